#pragma once

// The metadata envelope (SPEC.md §5): names, sizes, MIME types and the note of a share, sealed with
// XChaCha20-Poly1305 under the metadata key. The relay stores these bytes and cannot read them.
//   envelope = version (1) || nonce (24) || ciphertext of padded plaintext || tag (16)

#include "ots/Bytes.h"
#include "ots/KeySchedule.h"
#include "ots/Result.h"

namespace ots::metadata {

/// Pads plaintext (ISO/IEC 7816-4) to a multiple of 256 bytes and seals it under a random nonce.
[[nodiscard]] Result<Bytes> seal(const ShareKeys& keys, ByteView plaintext);
/// Opens and unpads an envelope; every failure has its own Errc (Metadata*).
[[nodiscard]] Result<Bytes> open(const ShareKeys& keys, ByteView envelope);

/// The largest envelope open() accepts; the relay uses it as its limit too.
[[nodiscard]] constexpr std::size_t maxEnvelopeBytes() noexcept {
    return 1 + format::kMetadataNonceBytes + format::kMaxMetadataPlainBytes + format::kMetadataBlockBytes +
           format::kMetadataTagBytes;
}

} // namespace ots::metadata
