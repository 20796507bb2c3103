#pragma once

// Streaming decryption of the v1 format (SPEC.md §4). Ciphertext goes in in pieces of any size;
// payload comes out chunk by chunk as each chunk authenticates. Plaintext is released before the
// final chunk has been seen, so a consumer must not treat it as final until finish() succeeds (the
// container unpacker stages it and commits only then). Memory: one frame and one chunk.

#include "ots/Bytes.h"
#include "ots/KeySchedule.h"
#include "ots/Result.h"
#include "ots/SecretBuffer.h"
#include "ots/StreamHeader.h"

#include <cstdint>

namespace ots {

class StreamDecryptor {
public:
    [[nodiscard]] static Result<StreamDecryptor> create(const ShareKeys& keys);

    /// Feeds ciphertext; payload bytes go to out. After an error the decryptor stays failed.
    [[nodiscard]] Status push(ByteView ciphertext, const ByteSink& out);
    /// The input has ended: StreamTruncated unless the final chunk authenticated.
    [[nodiscard]] Status finish();

    [[nodiscard]] bool complete() const noexcept { return m_phase == Phase::Done; }
    /// Known once the header authenticated (0 before).
    [[nodiscard]] std::uint64_t expectedCiphertextSize() const noexcept { return m_expectedCiphertext; }
    /// Known once the first chunk authenticated (0 before).
    [[nodiscard]] std::uint64_t payloadSize() const noexcept { return m_payloadSize; }

private:
    enum class Phase { Header, Chunks, Done, Failed };

    explicit StreamDecryptor(const ShareKeys& keys);
    [[nodiscard]] Status fail(Status error);
    [[nodiscard]] Status acceptHeader();
    [[nodiscard]] Status openFrame(const std::uint8_t* frame, std::size_t size, const ByteSink& out);
    [[nodiscard]] std::size_t currentFrameSize() const noexcept;

    const ShareKeys* m_keys;
    Phase m_phase = Phase::Header;
    Error m_error;
    StreamHeader m_header;
    std::uint64_t m_chunks = 0;
    std::uint64_t m_nextIndex = 0;
    std::uint64_t m_payloadSize = 0;
    std::uint64_t m_payloadEmitted = 0;
    std::uint64_t m_expectedCiphertext = 0;
    Bytes m_pending;      // a partial header or frame
    SecretBuffer m_state; // crypto_secretstream_xchacha20poly1305_state
    SecretBuffer m_plain; // one decrypted chunk
};

} // namespace ots
