#pragma once

// Streaming encryption into the v1 format (SPEC.md §4). Memory is one 64 KiB chunk plus one frame,
// whatever the payload size. The payload size is declared up front because it is encrypted into the
// first chunk and decides the padding; pushing more or fewer bytes fails with StreamSizeMismatch.

#include "ots/Bytes.h"
#include "ots/KeySchedule.h"
#include "ots/Result.h"
#include "ots/SecretBuffer.h"

#include <array>
#include <cstdint>

namespace ots {

class StreamEncryptor {
public:
    [[nodiscard]] static Result<StreamEncryptor> create(const ShareKeys& keys, std::uint64_t payloadSize);
    /// The encryptor create() made for this header, before its first push: what an upload interrupted
    /// by a restart of the program needs to regenerate the very bytes it already sent (the header is
    /// not secret: it opens the stream on the relay). The header must be one made under keys for
    /// payloadSize: StreamWrongKey, StreamHeaderTampered or StreamMalformed otherwise.
    [[nodiscard]] static Result<StreamEncryptor> resume(const ShareKeys& keys, std::uint64_t payloadSize,
                                                        ByteView header);

    /// An independent copy of the whole state (header, secretstream state, counters, the chunk being
    /// filled), in secure memory. The secretstream header is random, so a second create() would give
    /// other bytes; a clone taken before the first push restarts the very same stream, which lets an
    /// interrupted upload regenerate the bytes it already sent and skip them. A finished (zeroed)
    /// encryptor cannot be cloned: StreamFinished.
    [[nodiscard]] Result<StreamEncryptor> clone() const;

    /// The header; write it before the first frame.
    [[nodiscard]] ByteView header() const noexcept { return m_header; }
    /// Encrypts payload bytes; complete frames go to out as they fill.
    [[nodiscard]] Status push(ByteView payload, const ByteSink& out);
    /// Pads, encrypts the remaining chunks and the final one.
    [[nodiscard]] Status finish(const ByteSink& out);

    [[nodiscard]] std::uint64_t payloadSize() const noexcept { return m_payloadSize; }
    /// Exact size of the whole ciphertext (header included) for a payload of this size.
    [[nodiscard]] static std::uint64_t ciphertextSize(std::uint64_t payloadSize) noexcept;
    /// True when some payload size yields exactly this ciphertext size (SPEC.md §4.2, §4.3): the relay
    /// refuses to reserve storage for anything that cannot be a v1 stream.
    [[nodiscard]] static bool isValidCiphertextSize(std::uint64_t ciphertextBytes) noexcept;

private:
    StreamEncryptor(std::uint64_t payloadSize, std::uint64_t paddedSize);
    [[nodiscard]] Status sealChunk(const std::uint8_t* plain, std::size_t size, const ByteSink& out);

    std::uint64_t m_payloadSize = 0;
    std::uint64_t m_paddedSize = 0;
    std::uint64_t m_consumed = 0;  // payload bytes accepted so far
    std::uint64_t m_nextIndex = 0; // index of the chunk being filled
    std::size_t m_filled = 0;      // bytes in m_chunk
    bool m_finished = false;
    bool m_failed = false;
    std::array<std::uint8_t, format::kStreamHeaderBytes> m_header{};
    SecretBuffer m_state; // crypto_secretstream_xchacha20poly1305_state
    SecretBuffer m_chunk; // plaintext of the chunk being filled
    Bytes m_frame;
};

} // namespace ots
