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
std::array<std::uint8_t, format::kProofLabel.size() + format::kShareIdBytes + format::kChallengeNonceBytes>
proofMessage(const ShareId& shareId, const ChallengeNonce& nonce) {
    std::array<std::uint8_t,
               format::kProofLabel.size() + format::kShareIdBytes + format::kChallengeNonceBytes>
        msg{};
    std::memcpy(msg.data(), format::kProofLabel.data(), format::kProofLabel.size());
    std::memcpy(msg.data() + format::kProofLabel.size(), shareId.data(), shareId.size());
    std::memcpy(msg.data() + format::kProofLabel.size() + shareId.size(), nonce.data(), nonce.size());
    return msg;
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

ShareKeys::ShareKeys(SecretBuffer shareKey)
    : m_shareKey(std::move(shareKey))
    , m_streamKey(deriveSubkey(m_shareKey, format::kSubkeyStream))
    , m_metadataKey(deriveSubkey(m_shareKey, format::kSubkeyMetadata))
    , m_commitKey(deriveSubkey(m_shareKey, format::kSubkeyCommit))
    , m_headerMacKey(deriveSubkey(m_shareKey, format::kSubkeyHeaderMac))
    , m_authSecretKey(crypto_sign_SECRETKEYBYTES) {
    SecretBuffer seed = deriveSubkey(m_shareKey, format::kSubkeyAuthSeed);
    crypto_sign_seed_keypair(m_authPublicKey.data(), m_authSecretKey.data(), seed.data());
}

Result<ShareKeys> ShareKeys::fromLinkSecret(const SecretBuffer& linkSecret) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (linkSecret.size() != format::kLinkSecretBytes)
        return Errc::InvalidArgument;
    return ShareKeys(linkSecret.clone());
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
    return ShareKeys(std::move(shareKey));
}

Signature ShareKeys::signChallenge(const ShareId& shareId, const ChallengeNonce& nonce) const {
    const auto msg = proofMessage(shareId, nonce);
    Signature signature{};
    crypto_sign_detached(signature.data(), nullptr, msg.data(), msg.size(), m_authSecretKey.data());
    return signature;
}

bool verifyDownloadProof(const AuthPublicKey& publicKey, const ShareId& shareId, const ChallengeNonce& nonce,
                         const Signature& signature) noexcept {
    const auto msg = proofMessage(shareId, nonce);
    return crypto_sign_verify_detached(signature.data(), msg.data(), msg.size(), publicKey.data()) == 0;
}

} // namespace ots
