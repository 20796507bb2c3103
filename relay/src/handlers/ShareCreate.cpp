#include "Metrics.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <sodium.h>

#include <algorithm>
#include <limits>
#include <variant>

namespace ots::relay::handlers {

namespace {

std::optional<std::string> decodeStandardBase64(std::string_view text, std::size_t maxBytes) {
    if (text.size() / 4 * 3 > maxBytes + 3)
        return std::nullopt;
    std::string out(text.size() / 4 * 3 + 3, '\0');
    std::size_t length = 0;
    const char* end = nullptr;
    if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(),
                          nullptr, &length, &end, sodium_base64_VARIANT_ORIGINAL) != 0 ||
        end != text.data() + text.size())
        return std::nullopt;
    out.resize(length);
    return out;
}

// Whether the request may create a share (its upload token) and what it asks for; a Response when it
// may not or is malformed (BadRequest propagates). Touches no Redis.
std::variant<Response, NewShare> readCreate(const Exchange& exchange, std::int64_t& expiresIn) {
    const RequestHeader& header = exchange.header;
    if (!exchange.config.uploadTokens.empty()) {
        const auto credentials = bearer(header);
        bool allowed = false;
        if (credentials) {
            // Compare hashes in constant time: equal length, and no early exit on a prefix.
            std::array<std::uint8_t, crypto_generichash_BYTES> given{};
            crypto_generichash(given.data(), given.size(),
                               reinterpret_cast<const unsigned char*>(credentials->data()),
                               credentials->size(), nullptr, 0);
            for (const std::string& token : exchange.config.uploadTokens) {
                std::array<std::uint8_t, crypto_generichash_BYTES> known{};
                crypto_generichash(known.data(), known.size(),
                                   reinterpret_cast<const unsigned char*>(token.data()), token.size(),
                                   nullptr, 0);
                allowed = (sodium_memcmp(given.data(), known.data(), given.size()) == 0) || allowed;
            }
        }
        if (!allowed)
            return unauthorized(header);
    }
    const json::object request = parseObject(exchange.body);
    const std::uint64_t size = requireUnsigned(request, "size", 1, std::numeric_limits<std::uint64_t>::max());
    if (size > exchange.config.maxShareSize)
        return errorWith(header, http::status::payload_too_large, "too_large",
                         "The share is larger than this relay accepts (" +
                             std::to_string(exchange.config.maxShareSize) + " bytes).",
                         json::object{{"max", exchange.config.maxShareSize}});
    if (!StreamEncryptor::isValidCiphertextSize(size))
        throw BadRequest{"\"size\" is not the size of a v1 stream"};
    expiresIn = static_cast<std::int64_t>(
        requireUnsigned(request, "expiresIn", static_cast<std::uint64_t>(exchange.config.minExpiry.count()),
                        static_cast<std::uint64_t>(exchange.config.maxExpiry.count())));
    NewShare share;
    share.size = size;
    share.maxDownloads =
        static_cast<std::uint32_t>(requireUnsigned(request, "maxDownloads", 1, exchange.config.maxDownloads));
    share.maxAttempts = exchange.config.maxAttempts;
    const auto authKey = requireBase64Url<format::kAuthPublicKeyBytes>(request, "authPublicKey");
    share.authPublicKey.assign(reinterpret_cast<const char*>(authKey.data()), authKey.size());
    const auto linkKey = requireBase64Url<format::kAuthPublicKeyBytes>(request, "linkPublicKey");
    share.linkPublicKey.assign(reinterpret_cast<const char*>(linkKey.data()), linkKey.size());
    constexpr std::size_t minEnvelope =
        1 + format::kMetadataNonceBytes + format::kMetadataBlockBytes + format::kMetadataTagBytes;
    const auto metadata =
        decodeStandardBase64(requireString(request, "metadata"), metadata::maxEnvelopeBytes());
    if (!metadata || metadata->size() < minEnvelope || metadata->size() > metadata::maxEnvelopeBytes() ||
        static_cast<std::uint8_t>(metadata->front()) != format::kMetadataVersion)
        throw BadRequest{"\"metadata\" must be a version 1 metadata envelope in padded base64"};
    share.metadata = *metadata;
    if (const json::value* password = field(request, "password"); password && !password->is_null()) {
        if (!password->is_object())
            throw BadRequest{"\"password\" must be null or an object"};
        const json::object& kdf = password->get_object();
        Argon2Params params;
        params.salt = requireBase64Url<format::kArgonSaltBytes>(kdf, "salt");
        constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
        params.iterations = static_cast<std::uint32_t>(requireUnsigned(kdf, "iterations", 1, u32));
        params.memoryKiB = static_cast<std::uint32_t>(requireUnsigned(kdf, "memoryKiB", 1, u32));
        params.parallelism = static_cast<std::uint32_t>(requireUnsigned(kdf, "parallelism", 1, u32));
        if (!params.validate().ok())
            throw BadRequest{"\"password\" has Argon2id parameters outside the accepted range"};
        json::object canonical;
        canonical["salt"] = base64url::encode(params.salt);
        canonical["iterations"] = params.iterations;
        canonical["memoryKiB"] = params.memoryKiB;
        canonical["parallelism"] = params.parallelism;
        share.kdfJson = json::serialize(canonical);
    }
    return share;
}

} // namespace

Response createShare(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    // The client's rate limit and the operator's block are checked with the quota, in one round trip
    // (ShareStore::reserveQuota). A request refused before that still counts against the rate limit,
    // and a blocked or limited client gets 403 or 429 for it as for any other create.
    std::int64_t expiresIn = 0;
    std::variant<Response, NewShare> read;
    try {
        read = readCreate(exchange, expiresIn);
    } catch (const BadRequest&) {
        if (auto refused = refuseClient(exchange, "create", exchange.config.createsPerMinutePerIp))
            return *refused;
        throw;
    }
    if (auto* refusal = std::get_if<Response>(&read)) {
        if (auto refused = refuseClient(exchange, "create", exchange.config.createsPerMinutePerIp))
            return *refused;
        return std::move(*refusal);
    }
    NewShare& share = std::get<NewShare>(read);
    const std::uint64_t size = share.size;

    ShareId idBytes{};
    randomBytes(idBytes);
    const std::string newId = base64url::encode(idBytes);
    const Token owner = randomToken();
    share.ownerHash = tokenHash(owner);
    share.client = exchange.context.clientBucket;

    // The share's Redis footprint counts against the storage quota and the Redis budget.
    const std::uint64_t footprint = share.metadata.size() + Api::kShareRedisOverhead;
    const auto quota = exchange.store->reserveQuota(newId, size, footprint, expiresIn,
                                                    exchange.context.clientBucket, exchange.redisBudget);
    if (quota.verdict == Verdict::StorageFull)
        return Api::error(header, http::status::insufficient_storage, "storage_full",
                          "The relay has no room for a share of this size right now.");
    if (quota.verdict == Verdict::RedisFull)
        return Api::error(header, http::status::insufficient_storage, "storage_full",
                          "The relay has no room for more shares' descriptions right now.");
    if (auto refused = clientRefusal(header, quota.verdict, quota.retryAfter))
        return *refused;
    if (quota.verdict == Verdict::AllowanceSpent) {
        Response limited = Api::error(header, http::status::too_many_requests, "rate_limited",
                                      "This client has reserved as much storage or created as many shares "
                                      "as the relay allows in an hour.");
        limited.set(http::field::retry_after, std::to_string(std::max<std::int64_t>(quota.retryAfter, 1)));
        return limited;
    }
    if (!quota.ok())
        return unexpectedOutcome(header);
    const auto created = exchange.store->create(newId, share, quota.expiresAt);
    if (!created.ok()) {
        exchange.store->releaseQuota(newId);
        return unavailable(header);
    }
    json::object reply;
    reply["id"] = newId;
    reply["ownerToken"] = base64url::encode(owner);
    reply["expiresAt"] = quota.expiresAt;
    reply["uploadOffset"] = 0;
    return jsonResponse(header, http::status::created, reply);
}

} // namespace ots::relay::handlers
