#pragma once

// A text share decrypted into memory instead of onto disk: ciphertext → StreamDecryptor →
// ContainerParser → the content of the container's one file, capped so that a share that claims to be
// a short text cannot fill the receiver's memory. The text counts only once finish() succeeded.

#include "ots/Bytes.h"
#include "ots/ContainerParser.h"
#include "ots/KeySchedule.h"
#include "ots/StreamDecryptor.h"

#include <QByteArray>

#include <cstddef>
#include <memory>
#include <optional>

namespace ots::client {

class TextCollector final : public ContainerHandler {
public:
    /// keys must outlive the collector.
    [[nodiscard]] static Result<std::unique_ptr<TextCollector>> create(const ShareKeys& keys,
                                                                       std::size_t maxBytes);
    ~TextCollector() override;
    TextCollector(const TextCollector&) = delete;
    TextCollector& operator=(const TextCollector&) = delete;

    [[nodiscard]] Status push(ByteView ciphertext);
    /// The stream and the container ended properly: the text.
    [[nodiscard]] Result<QByteArray> finish();

    Status onEntry(const ContainerEntry& entry) override;
    Status onData(ByteView data) override;
    Status onEntryEnd() override;

private:
    explicit TextCollector(std::size_t maxBytes);
    void wipe() noexcept;

    std::size_t m_maxBytes;
    std::optional<StreamDecryptor> m_decryptor;
    std::unique_ptr<ContainerParser> m_parser;
    QByteArray m_text;
    int m_entries = 0;
};

} // namespace ots::client
