#include "ots/MetadataEnvelope.h"

#include "ots/Crypto.h"

#include <sodium.h>

#include <array>
#include <cstring>

namespace ots::metadata {

namespace {

// Associated data = label || version: a metadata envelope can never be confused with another use of
// the same key, and a downgraded version byte fails authentication.
std::array<std::uint8_t, format::kMetadataLabel.size() + 1> associatedData() {
    std::array<std::uint8_t, format::kMetadataLabel.size() + 1> ad{};
    std::memcpy(ad.data(), format::kMetadataLabel.data(), format::kMetadataLabel.size());
    ad.back() = format::kMetadataVersion;
    return ad;
}

constexpr std::size_t kOverhead = 1 + format::kMetadataNonceBytes + format::kMetadataTagBytes;

} // namespace

Result<Bytes> seal(const ShareKeys& keys, ByteView plaintext) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (plaintext.size() > format::kMaxMetadataPlainBytes)
        return Errc::MetadataTooLarge;

    // sodium_pad always adds at least one byte, so the padded size is the next multiple above.
    Bytes padded(plaintext.size() + format::kMetadataBlockBytes);
    if (!plaintext.empty())
        std::memcpy(padded.data(), plaintext.data(), plaintext.size());
    std::size_t paddedSize = 0;
    if (sodium_pad(&paddedSize, padded.data(), plaintext.size(), format::kMetadataBlockBytes,
                   padded.size()) != 0)
        return Errc::InvalidArgument;
    padded.resize(paddedSize);

    Bytes envelope(kOverhead + paddedSize);
    envelope[0] = format::kMetadataVersion;
    randombytes_buf(envelope.data() + 1, format::kMetadataNonceBytes);
    const auto ad = associatedData();
    unsigned long long sealed = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(envelope.data() + 1 + format::kMetadataNonceBytes, &sealed,
                                               padded.data(), padded.size(), ad.data(), ad.size(), nullptr,
                                               envelope.data() + 1, keys.metadataKey().data());
    sodium_memzero(padded.data(), padded.size());
    return envelope;
}

Result<Bytes> open(const ShareKeys& keys, ByteView envelope) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (envelope.empty())
        return Errc::MetadataTruncated;
    if (envelope[0] != format::kMetadataVersion)
        return Errc::MetadataUnsupportedVersion;
    if (envelope.size() > maxEnvelopeBytes())
        return Errc::MetadataTooLarge;
    if (envelope.size() < kOverhead + format::kMetadataBlockBytes)
        return Errc::MetadataTruncated;

    const std::size_t cipherSize = envelope.size() - 1 - format::kMetadataNonceBytes;
    Bytes plain(cipherSize - format::kMetadataTagBytes);
    const auto ad = associatedData();
    unsigned long long plainSize = 0;
    if (crypto_aead_xchacha20poly1305_ietf_decrypt(
            plain.data(), &plainSize, nullptr, envelope.data() + 1 + format::kMetadataNonceBytes, cipherSize,
            ad.data(), ad.size(), envelope.data() + 1, keys.metadataKey().data()) != 0)
        return Errc::MetadataAuthFailed;
    std::size_t unpadded = 0;
    if (plainSize % format::kMetadataBlockBytes != 0 ||
        sodium_unpad(&unpadded, plain.data(), static_cast<std::size_t>(plainSize),
                     format::kMetadataBlockBytes) != 0)
        return Errc::MetadataMalformed;
    plain.resize(unpadded);
    return plain;
}

} // namespace ots::metadata
