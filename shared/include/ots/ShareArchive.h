#pragma once

// The two whole-share pipelines built from the layers below:
//   files → ContainerPacker → StreamEncryptor → ciphertext
//   ciphertext → StreamDecryptor → ContainerParser → ContainerUnpacker → files, committed only after
//   the final chunk authenticated; any failure leaves the target folder as it was.

#include "ots/Bytes.h"
#include "ots/ContainerPacker.h"
#include "ots/ContainerParser.h"
#include "ots/ContainerUnpacker.h"
#include "ots/KeySchedule.h"
#include "ots/StreamDecryptor.h"
#include "ots/StreamEncryptor.h"

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace ots {

/// Writes the whole ciphertext (header and frames) of packer's container to out.
/// progress receives the payload bytes encrypted so far.
[[nodiscard]] Status encryptContainer(const ContainerPacker& packer, const ShareKeys& keys,
                                      const ByteSink& out,
                                      const std::function<void(std::uint64_t)>& progress = {});
/// The same with an encryptor the caller prepared (a clone of one that has not been pushed to, so that
/// the output repeats an earlier run byte for byte). Its payload size must be packer's
/// (InvalidArgument otherwise).
[[nodiscard]] Status encryptContainer(const ContainerPacker& packer, StreamEncryptor encryptor,
                                      const ByteSink& out,
                                      const std::function<void(std::uint64_t)>& progress = {});

class ShareExtractor {
public:
    /// keys must outlive the extractor.
    [[nodiscard]] static Result<std::unique_ptr<ShareExtractor>>
    create(const ShareKeys& keys, const std::filesystem::path& targetDir,
           PathRules rules = PathRules::Native);

    /// Feeds ciphertext. On error everything staged so far is removed.
    [[nodiscard]] Status push(ByteView ciphertext);
    /// Ends the input; on success the files are moved into the target folder and their final
    /// top-level paths returned. On error nothing is left behind.
    [[nodiscard]] Result<std::vector<std::filesystem::path>> finish();
    /// Gives up: removes everything staged.
    void abort() noexcept;

    [[nodiscard]] const StreamDecryptor& decryptor() const noexcept { return *m_decryptor; }

private:
    ShareExtractor() = default;
    [[nodiscard]] Status failed(Status error);

    std::unique_ptr<ContainerUnpacker> m_unpacker;
    std::unique_ptr<ContainerParser> m_parser;
    std::optional<StreamDecryptor> m_decryptor;
    Status m_error;
};

} // namespace ots
