#pragma once

// The key schedule (SPEC.md §3): link secret S → share key K (optionally hardened with a password
// through Argon2id) → subkeys for the stream, the metadata, the header commitment and MAC, and the
// Ed25519 key pair that proves knowledge of K to the relay; and, from S alone, the Ed25519 key pair
// that proves holding the link (SPEC.md §3.5).

#include "ots/Format.h"
#include "ots/Result.h"
#include "ots/SecretBuffer.h"

#include <array>
#include <cstdint>
#include <span>
#include <string_view>

namespace ots {

using ShareId = std::array<std::uint8_t, format::kShareIdBytes>;
using ChallengeNonce = std::array<std::uint8_t, format::kChallengeNonceBytes>;
using AuthPublicKey = std::array<std::uint8_t, format::kAuthPublicKeyBytes>;
using Signature = std::array<std::uint8_t, format::kSignatureBytes>;

struct Argon2Params {
    std::uint32_t iterations = format::kArgonDefaultIterations;
    std::uint32_t memoryKiB = format::kArgonDefaultMemoryKiB;
    std::uint32_t parallelism = format::kArgonDefaultParallelism;
    std::array<std::uint8_t, format::kArgonSaltBytes> salt{};

    /// The defaults with a fresh random salt: what a sender uses for a new share.
    [[nodiscard]] static Argon2Params withRandomSalt();
    /// Within [floor, ceiling] of Format.h: KdfParamsTooWeak / KdfParamsTooCostly otherwise.
    [[nodiscard]] Status validate() const;
};

/// 32 fresh random bytes: the secret of a new link.
[[nodiscard]] SecretBuffer generateLinkSecret();

class ShareKeys {
public:
    /// K = S. Fails with Errc::InvalidArgument if the secret is not 32 bytes.
    [[nodiscard]] static Result<ShareKeys> fromLinkSecret(const SecretBuffer& linkSecret);
    /// K = BLAKE2b-256(key = S, msg = "onetimeshare/v1/password" || Argon2id(P, salt, t, m, p)).
    /// The password must be UTF-8 in Unicode NFC (SPEC.md §3.2); clients normalise before calling.
    [[nodiscard]] static Result<ShareKeys>
    fromPassword(const SecretBuffer& linkSecret, std::string_view password, const Argon2Params& params);

    [[nodiscard]] const SecretBuffer& shareKey() const noexcept { return m_shareKey; }
    [[nodiscard]] const SecretBuffer& streamKey() const noexcept { return m_streamKey; }
    [[nodiscard]] const SecretBuffer& metadataKey() const noexcept { return m_metadataKey; }
    [[nodiscard]] const SecretBuffer& commitKey() const noexcept { return m_commitKey; }
    [[nodiscard]] const SecretBuffer& headerMacKey() const noexcept { return m_headerMacKey; }
    [[nodiscard]] const AuthPublicKey& authPublicKey() const noexcept { return m_authPublicKey; }
    /// The link key's public half: derived from S alone, the same with or without a password.
    [[nodiscard]] const AuthPublicKey& linkPublicKey() const noexcept { return m_linkPublicKey; }

    /// Ed25519 signature over "onetimeshare/v1/download-proof" || share id || nonce.
    [[nodiscard]] Signature signChallenge(const ShareId& shareId, const ChallengeNonce& nonce) const;
    /// Ed25519 signature by the link key over "onetimeshare/v1/link-proof" || share id || nonce.
    [[nodiscard]] Signature signLinkChallenge(const ShareId& shareId, const ChallengeNonce& nonce) const;

private:
    ShareKeys(SecretBuffer shareKey, const SecretBuffer& linkSecret);

    SecretBuffer m_shareKey;
    SecretBuffer m_streamKey;
    SecretBuffer m_metadataKey;
    SecretBuffer m_commitKey;
    SecretBuffer m_headerMacKey;
    SecretBuffer m_authSecretKey;
    AuthPublicKey m_authPublicKey{};
    SecretBuffer m_linkSecretKey;
    AuthPublicKey m_linkPublicKey{};
};

/// What the relay runs: true only for a valid signature by publicKey over this id and nonce.
[[nodiscard]] bool verifyDownloadProof(const AuthPublicKey& publicKey, const ShareId& shareId,
                                       const ChallengeNonce& nonce, const Signature& signature) noexcept;
/// What the relay runs before it counts anything: true only for a valid link-key signature.
[[nodiscard]] bool verifyLinkProof(const AuthPublicKey& linkPublicKey, const ShareId& shareId,
                                   const ChallengeNonce& nonce, const Signature& signature) noexcept;

} // namespace ots
