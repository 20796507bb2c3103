#pragma once

// What an upload has already handed out, so that a resumed upload never sends other bytes where it
// sent some before (finding 11 of issue 14: re-encrypting a file that changed in place would put two
// plaintexts under one keystream). The ciphertext stream is cut into blocks of kBlockBytes; the
// ledger keeps a BLAKE2b-256 digest of each block up to sentBytes() (the last one of the partial
// block at the end). A restarted CiphertextProducer regenerates the stream from its start, checks
// every block the ledger knows before letting any of its bytes out, and records the blocks after.
// Internal to ots_client_jobs.

#include <QByteArray>
#include <QByteArrayView>

#include <cstdint>
#include <optional>

namespace ots::client {

class SentLedger {
public:
    static constexpr std::uint64_t kBlockBytes = std::uint64_t{1} << 20;
    static constexpr qsizetype kDigestBytes = 32;

    SentLedger() = default;
    /// A ledger kept with an unfinished upload; nullopt when the digests do not fit sentBytes.
    [[nodiscard]] static std::optional<SentLedger> restore(std::uint64_t sentBytes, QByteArray digests);

    /// Ciphertext bytes from the start of the stream that may have left this computer.
    [[nodiscard]] std::uint64_t sentBytes() const noexcept { return m_sentBytes; }
    /// The digests, block after block.
    [[nodiscard]] const QByteArray& digests() const noexcept { return m_digests; }

    /// True when bytes (block `index` from its start up to min(its end, sentBytes())) are what was sent.
    [[nodiscard]] bool matches(std::uint64_t index, QByteArrayView bytes) const;
    /// Block `index` now holds bytes from its start, and the stream was handed out up to end.
    void record(std::uint64_t index, QByteArrayView bytes, std::uint64_t end);

private:
    [[nodiscard]] static QByteArray digest(QByteArrayView bytes);

    std::uint64_t m_sentBytes = 0;
    QByteArray m_digests;
};

} // namespace ots::client
