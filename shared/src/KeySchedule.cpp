#include "ots/KeySchedule.h"

#include "ots/Crypto.h"

#include <argon2.h>
#include <sodium.h>

#include <cstring>

namespace ots {

namespace {

SecretBuffer deriveSubkey(const SecretBuffer& shareKey, std::uint64_t id) {
    SecretBuffer subkey(format::kKeyBytes);
    crypto_kdf_derive_from_key(subkey.data(), subkey.size(), id, format::kKdfContext, shareKey.data());
    return subkey;
}

// label || share id || nonce: fixed lengths after a fixed label, so no two inputs share an encoding.
// The two labels differ, so a signature of one kind never stands for the other (and the keys differ).
template <std::size_t LabelBytes>
using ProofMessage =
    std::array<std::uint8_t, LabelBytes + format::kShareIdBytes + format::kChallengeNonceBytes>;

template <std::size_t LabelBytes>
ProofMessage<LabelBytes> proofMessage(std::string_view label, const ShareId& shareId,
                                      const ChallengeNonce& nonce) {
    ProofMessage<LabelBytes> msg{};
    std::memcpy(msg.data(), label.data(), LabelBytes);
    std::memcpy(msg.data() + LabelBytes, shareId.data(), shareId.size());
    std::memcpy(msg.data() + LabelBytes + shareId.size(), nonce.data(), nonce.size());
    return msg;
}

auto downloadProofMessage(const ShareId& shareId, const ChallengeNonce& nonce) {
    return proofMessage<format::kProofLabel.size()>(format::kProofLabel, shareId, nonce);
}

auto linkProofMessage(const ShareId& shareId, const ChallengeNonce& nonce) {
    return proofMessage<format::kLinkProofLabel.size()>(format::kLinkProofLabel, shareId, nonce);
}

} // namespace

Argon2Params Argon2Params::withRandomSalt() {
    Argon2Params params;
    randomBytes(params.salt);
    return params;
}

Status Argon2Params::validate() const {
    if (iterations < format::kArgonMinIterations || memoryKiB < format::kArgonMinMemoryKiB ||
        parallelism < format::kArgonMinParallelism)
        return Errc::KdfParamsTooWeak;
    if (iterations > format::kArgonMaxIterations || memoryKiB > format::kArgonMaxMemoryKiB ||
        parallelism > format::kArgonMaxParallelism)
        return Errc::KdfParamsTooCostly;
    // Argon2 needs at least 8 KiB per lane; with the floor above that can only fail at huge p.
    if (memoryKiB < 8 * parallelism)
        return Errc::KdfParamsTooWeak;
    return {};
}

SecretBuffer generateLinkSecret() {
    SecretBuffer secret(format::kLinkSecretBytes);
    randombytes_buf(secret.data(), secret.size());
    return secret;
}

ShareKeys::ShareKeys(SecretBuffer shareKey, const SecretBuffer& linkSecret)
    : m_shareKey(std::move(shareKey))
    , m_streamKey(deriveSubkey(m_shareKey, format::kSubkeyStream))
    , m_metadataKey(deriveSubkey(m_shareKey, format::kSubkeyMetadata))
    , m_commitKey(deriveSubkey(m_shareKey, format::kSubkeyCommit))
    , m_headerMacKey(deriveSubkey(m_shareKey, format::kSubkeyHeaderMac))
    , m_authSecretKey(crypto_sign_SECRETKEYBYTES)
    , m_linkSecretKey(crypto_sign_SECRETKEYBYTES) {
    const SecretBuffer seed = deriveSubkey(m_shareKey, format::kSubkeyAuthSeed);
    crypto_sign_seed_keypair(m_authPublicKey.data(), m_authSecretKey.data(), seed.data());
    // From S, not K: a link holder proves the link without the password, and the link key is no test
    // for a password guess.
    const SecretBuffer linkSeed = deriveSubkey(linkSecret, format::kSubkeyLinkSeed);
    crypto_sign_seed_keypair(m_linkPublicKey.data(), m_linkSecretKey.data(), linkSeed.data());
}

Result<ShareKeys> ShareKeys::fromLinkSecret(const SecretBuffer& linkSecret) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (linkSecret.size() != format::kLinkSecretBytes)
        return Errc::InvalidArgument;
    return ShareKeys(linkSecret.clone(), linkSecret);
}

Result<ShareKeys> ShareKeys::fromPassword(const SecretBuffer& linkSecret, std::string_view password,
                                          const Argon2Params& params) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (linkSecret.size() != format::kLinkSecretBytes || password.size() > format::kMaxPasswordBytes)
        return Errc::InvalidArgument;
    if (password.empty())
        return Errc::PasswordEmpty;
    OTS_TRY(params.validate());

    SecretBuffer stretched(format::kArgonOutputBytes);
    const int rc = argon2id_hash_raw(params.iterations, params.memoryKiB, params.parallelism, password.data(),
                                     password.size(), params.salt.data(), params.salt.size(),
                                     stretched.data(), stretched.size());
    if (rc != ARGON2_OK)
        return Error{Errc::KdfFailed, argon2_error_message(rc)};

    // The link secret keys the hash, so the password alone (or a guess at it) yields nothing without S,
    // and S alone yields nothing without the password.
    SecretBuffer shareKey(format::kKeyBytes);
    crypto_generichash_state state;
    crypto_generichash_init(&state, linkSecret.data(), linkSecret.size(), shareKey.size());
    crypto_generichash_update(&state, reinterpret_cast<const unsigned char*>(format::kPasswordLabel.data()),
                              format::kPasswordLabel.size());
    crypto_generichash_update(&state, stretched.data(), stretched.size());
    crypto_generichash_final(&state, shareKey.data(), shareKey.size());
    sodium_memzero(&state, sizeof state);
    return ShareKeys(std::move(shareKey), linkSecret);
}

Signature ShareKeys::signChallenge(const ShareId& shareId, const ChallengeNonce& nonce) const {
    const auto msg = downloadProofMessage(shareId, nonce);
    Signature signature{};
    crypto_sign_detached(signature.data(), nullptr, msg.data(), msg.size(), m_authSecretKey.data());
    return signature;
}

Signature ShareKeys::signLinkChallenge(const ShareId& shareId, const ChallengeNonce& nonce) const {
    const auto msg = linkProofMessage(shareId, nonce);
    Signature signature{};
    crypto_sign_detached(signature.data(), nullptr, msg.data(), msg.size(), m_linkSecretKey.data());
    return signature;
}

bool verifyDownloadProof(const AuthPublicKey& publicKey, const ShareId& shareId, const ChallengeNonce& nonce,
                         const Signature& signature) noexcept {
    const auto msg = downloadProofMessage(shareId, nonce);
    return crypto_sign_verify_detached(signature.data(), msg.data(), msg.size(), publicKey.data()) == 0;
}

bool verifyLinkProof(const AuthPublicKey& linkPublicKey, const ShareId& shareId, const ChallengeNonce& nonce,
                     const Signature& signature) noexcept {
    const auto msg = linkProofMessage(shareId, nonce);
    return crypto_sign_verify_detached(signature.data(), msg.data(), msg.size(), linkPublicKey.data()) == 0;
}

} // namespace ots
