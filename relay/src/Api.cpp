#include "Api.h"

#include "BlobStore.h"
#include "LandingPage.h"
#include "Metrics.h"
#include "RedisConnection.h"
#include "ShareStore.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <boost/beast/core/string.hpp>
#include <boost/json.hpp>
#include <sodium.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <optional>

namespace ots::relay {

namespace json = boost::json;

namespace {

constexpr std::string_view kSharesPath = "/api/v1/shares";
constexpr std::size_t kTokenBytes = 32;
using Token = std::array<std::uint8_t, kTokenBytes>;

/// A request the client must fix; the message names the field.
struct BadRequest {
    std::string message;
};

bool needsShareId(Endpoint endpoint) noexcept {
    switch (endpoint) {
    case Endpoint::CreateShare:
    case Endpoint::Healthz:
    case Endpoint::Readyz:
    case Endpoint::MetricsText:
    case Endpoint::LandingPage:
    case Endpoint::None:
        return false;
    default:
        return true;
    }
}

std::optional<std::uint64_t> parseDecimal(std::string_view text) noexcept {
    if (text.empty() || text.size() > 19 ||
        !std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return std::nullopt;
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

bool equalsIgnoringCase(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               const auto lower = [](char c) {
                   return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
               };
               return lower(x) == lower(y);
           });
}

/// The credentials after "Bearer ", or nothing.
std::optional<std::string_view> bearer(const RequestHeader& header) {
    const auto it = header.find(http::field::authorization);
    if (it == header.end())
        return std::nullopt;
    const std::string_view value = it->value();
    constexpr std::string_view scheme = "bearer ";
    if (value.size() <= scheme.size() || !equalsIgnoringCase(value.substr(0, scheme.size()), scheme))
        return std::nullopt;
    std::string_view credentials = value.substr(scheme.size());
    while (!credentials.empty() && credentials.front() == ' ')
        credentials.remove_prefix(1);
    while (!credentials.empty() && credentials.back() == ' ')
        credentials.remove_suffix(1);
    return credentials;
}

/// Owner token or ticket: 32 bytes as unpadded base64url.
std::optional<Token> bearerToken(const RequestHeader& header) {
    const auto credentials = bearer(header);
    Token token{};
    if (!credentials || !base64url::decodeInto(*credentials, token))
        return std::nullopt;
    return token;
}

Token randomToken() {
    Token token{};
    randomBytes(token);
    return token;
}

std::string randomHex(std::size_t bytes) {
    std::vector<std::uint8_t> buffer(bytes);
    randomBytes(buffer);
    return toHex(buffer);
}

// A public key as stored in the share hash; anything but 32 bytes means Redis holds something no
// create wrote (answered like a Redis failure, never trusted).
AuthPublicKey storedPublicKey(std::string_view stored) {
    AuthPublicKey key{};
    if (stored.size() != key.size())
        throw RedisError("a share's stored public key has the wrong length");
    std::copy(stored.begin(), stored.end(), key.begin());
    return key;
}

std::string standardBase64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.pop_back();
    return out;
}

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

// --- strict JSON field access -----------------------------------------------------------------

const json::value* field(const json::object& object, std::string_view name) {
    const auto it = object.find(name);
    return it == object.end() ? nullptr : &it->value();
}

std::uint64_t requireUnsigned(const json::object& object, std::string_view name, std::uint64_t min,
                              std::uint64_t max) {
    const json::value* value = field(object, name);
    if (value == nullptr)
        throw BadRequest{"missing field \"" + std::string(name) + "\""};
    std::uint64_t number = 0;
    if (value->is_uint64())
        number = value->get_uint64();
    else if (value->is_int64() && value->get_int64() >= 0)
        number = static_cast<std::uint64_t>(value->get_int64());
    else
        throw BadRequest{"\"" + std::string(name) + "\" must be a non-negative integer"};
    if (number < min || number > max)
        throw BadRequest{"\"" + std::string(name) + "\" must be between " + std::to_string(min) + " and " +
                         std::to_string(max)};
    return number;
}

std::string_view requireString(const json::object& object, std::string_view name) {
    const json::value* value = field(object, name);
    if (value == nullptr)
        throw BadRequest{"missing field \"" + std::string(name) + "\""};
    if (!value->is_string())
        throw BadRequest{"\"" + std::string(name) + "\" must be a string"};
    const json::string& text = value->get_string();
    return {text.data(), text.size()};
}

template <std::size_t N>
std::array<std::uint8_t, N> requireBase64Url(const json::object& object, std::string_view name) {
    std::array<std::uint8_t, N> out{};
    if (!base64url::decodeInto(requireString(object, name), out))
        throw BadRequest{"\"" + std::string(name) + "\" must be " + std::to_string(N) +
                         " bytes of unpadded base64url"};
    return out;
}

json::object parseObject(const std::string& body) {
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    if (error)
        throw BadRequest{"the body is not valid JSON"};
    if (!value.is_object())
        throw BadRequest{"the body must be a JSON object"};
    return std::move(value.get_object());
}

std::string_view goneMessage(std::string_view reason) {
    if (reason == "deleted")
        return "The owner deleted this share.";
    if (reason == "downloaded")
        return "This share has been downloaded and deleted.";
    if (reason == "removed")
        return "The relay's operator removed this share.";
    return "This share has expired.";
}

/// Single byte range of RFC 9110 §14.1.2. Anything else in the header is ignored (a full response).
enum class RangeKind { Whole, Part, Unsatisfiable };
RangeKind parseRange(std::string_view value, std::uint64_t size, std::uint64_t& first, std::uint64_t& last) {
    constexpr std::string_view unit = "bytes=";
    if (value.size() <= unit.size() || !equalsIgnoringCase(value.substr(0, unit.size()), unit))
        return RangeKind::Whole;
    const std::string_view spec = value.substr(unit.size());
    const auto dash = spec.find('-');
    if (dash == std::string_view::npos || spec.find(',') != std::string_view::npos)
        return RangeKind::Whole;
    const std::string_view from = spec.substr(0, dash);
    const std::string_view to = spec.substr(dash + 1);
    if (from.empty()) {
        const auto suffix = parseDecimal(to);
        if (!suffix)
            return RangeKind::Whole;
        if (*suffix == 0 || size == 0)
            return RangeKind::Unsatisfiable;
        first = size - std::min(*suffix, size);
        last = size - 1;
        return RangeKind::Part;
    }
    const auto start = parseDecimal(from);
    if (!start)
        return RangeKind::Whole;
    std::uint64_t end = size == 0 ? 0 : size - 1;
    if (!to.empty()) {
        const auto parsed = parseDecimal(to);
        if (!parsed || *parsed < *start)
            return RangeKind::Whole;
        end = std::min(*parsed, end);
    }
    if (*start >= size)
        return RangeKind::Unsatisfiable;
    first = *start;
    last = end;
    return RangeKind::Part;
}

} // namespace

const char* Route::label() const noexcept {
    switch (endpoint) {
    case Endpoint::CreateShare:
        return "create_share";
    case Endpoint::ShareInfo:
        return "share_info";
    case Endpoint::UploadOffset:
        return "upload_offset";
    case Endpoint::UploadAppend:
        return "upload_append";
    case Endpoint::Complete:
        return "complete";
    case Endpoint::Challenge:
        return "challenge";
    case Endpoint::Metadata:
        return "metadata";
    case Endpoint::Reserve:
        return "reserve";
    case Endpoint::Download:
        return "download";
    case Endpoint::FinishDownload:
        return "finish";
    case Endpoint::OwnerStatus:
        return "owner_status";
    case Endpoint::Delete:
        return "delete";
    case Endpoint::Unlock:
        return "unlock";
    case Endpoint::Healthz:
        return "healthz";
    case Endpoint::Readyz:
        return "readyz";
    case Endpoint::MetricsText:
        return "metrics";
    case Endpoint::LandingPage:
        return "landing_page";
    case Endpoint::None:
        break;
    }
    switch (kind) {
    case RouteKind::NotFound:
        return "not_found";
    case RouteKind::MethodNotAllowed:
        return "method_not_allowed";
    default:
        return "other";
    }
}

Api::Api(const Config& config, BlobStore& blobs, Metrics& metrics)
    : m_config(config)
    , m_blobs(blobs)
    , m_metrics(metrics) {}

std::uint64_t Api::redisBudget() const noexcept {
    if (m_config.redisMemoryBudget != 0)
        return m_config.redisMemoryBudget;
    // Three quarters: the rest is Redis' own overhead, tombstones, nonces and rate-limit windows, and
    // the allocator's slack, so that Redis never reaches maxmemory and refuses writes mid-transition.
    return m_redisMaxMemory.load(std::memory_order_relaxed) / 4 * 3;
}

Route Api::route(const RequestHeader& header) const {
    std::string_view path = header.target();
    if (const auto query = path.find('?'); query != std::string_view::npos)
        path = path.substr(0, query);
    const http::verb method = header.method();

    Route route;
    const auto match = [&route, method](http::verb wanted, RouteKind kind, Endpoint endpoint) {
        if (method == wanted) {
            route.kind = kind;
            route.endpoint = endpoint;
            return true;
        }
        return false;
    };
    const auto notAllowed = [&route] {
        route.kind = RouteKind::MethodNotAllowed;
        route.endpoint = Endpoint::None;
        return route;
    };

    if (path == "/" || path == "/healthz" || path == "/metrics" || path == "/readyz") {
        // Readyz is Static but asks Redis: the session runs it on a worker through handleReadyz()
        // (handleJson() forwards it too, for a caller that treats it like the JSON endpoints).
        const Endpoint endpoint = path == "/"          ? Endpoint::LandingPage
                                  : path == "/healthz" ? Endpoint::Healthz
                                  : path == "/metrics" ? Endpoint::MetricsText
                                                       : Endpoint::Readyz;
        return match(http::verb::get, RouteKind::Static, endpoint) ? route : notAllowed();
    }
    if (path.starts_with("/s/")) {
        if (!isShareIdText(path.substr(3)))
            return route; // not found: a landing page only exists for well-formed links
        return match(http::verb::get, RouteKind::Static, Endpoint::LandingPage) ? route : notAllowed();
    }
    if (path == kSharesPath)
        return match(http::verb::post, RouteKind::Json, Endpoint::CreateShare) ? route : notAllowed();
    if (!path.starts_with(kSharesPath) || path.size() <= kSharesPath.size() + 1 ||
        path[kSharesPath.size()] != '/')
        return route;

    std::string_view rest = path.substr(kSharesPath.size() + 1);
    const auto slash = rest.find('/');
    const std::string_view id = rest.substr(0, slash);
    const std::string_view action =
        slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1);
    if (slash != std::string_view::npos && action.empty())
        return route;

    bool known = true;
    bool matched = false;
    if (slash == std::string_view::npos) {
        matched = match(http::verb::get, RouteKind::Json, Endpoint::ShareInfo) ||
                  match(http::verb::delete_, RouteKind::Json, Endpoint::Delete);
    } else if (action == "blob") {
        matched = match(http::verb::head, RouteKind::Json, Endpoint::UploadOffset) ||
                  match(http::verb::patch, RouteKind::Upload, Endpoint::UploadAppend);
    } else if (action == "complete") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::Complete);
    } else if (action == "challenge") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::Challenge);
    } else if (action == "metadata") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::Metadata);
    } else if (action == "reservations") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::Reserve);
    } else if (action == "content") {
        matched = match(http::verb::get, RouteKind::Download, Endpoint::Download);
    } else if (action == "finish") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::FinishDownload);
    } else if (action == "owner") {
        matched = match(http::verb::get, RouteKind::Json, Endpoint::OwnerStatus);
    } else if (action == "unlock") {
        matched = match(http::verb::post, RouteKind::Json, Endpoint::Unlock);
    } else {
        known = false;
    }
    if (!known)
        return route;
    if (!matched)
        return notAllowed();
    // A malformed id keeps its endpoint with an empty shareId; every handler answers it with 400
    // bad_share_id before touching Redis or the disk.
    if (isShareIdText(id))
        route.shareId = std::string(id);
    return route;
}

namespace {

/// RFC 9112 §9.3: HTTP/1.1 stays open unless the client says close; HTTP/1.0 only if it asks.
bool wantsKeepAlive(const RequestHeader& header) {
    bool close = false;
    bool keepAlive = false;
    for (const auto token : http::token_list{header[http::field::connection]}) {
        close = close || equalsIgnoringCase(token, "close");
        keepAlive = keepAlive || equalsIgnoringCase(token, "keep-alive");
    }
    return header.version() >= 11 ? !close : keepAlive;
}

Response baseResponse(const RequestHeader& header, http::status status) {
    Response response{status, header.version() == 0 ? 11u : header.version()};
    response.keep_alive(wantsKeepAlive(header));
    response.set(http::field::cache_control, "no-store");
    response.set("Referrer-Policy", "no-referrer");
    response.set("X-Content-Type-Options", "nosniff");
    return response;
}

Response jsonResponse(const RequestHeader& header, http::status status, const json::object& body) {
    Response response = baseResponse(header, status);
    response.set(http::field::content_type, "application/json");
    response.body() = json::serialize(body);
    response.prepare_payload();
    return response;
}

Response noContent(const RequestHeader& header) {
    // No Content-Length on a 204 (RFC 9110 §8.6), so no prepare_payload().
    return baseResponse(header, http::status::no_content);
}

Response textResponse(const RequestHeader& header, std::string_view contentType, std::string body) {
    Response response = baseResponse(header, http::status::ok);
    response.set(http::field::content_type, contentType);
    response.body() = std::move(body);
    response.prepare_payload();
    return response;
}

Response errorWith(const RequestHeader& header, http::status status, std::string_view code,
                   std::string_view message, json::object extra = {}) {
    extra["error"] = code;
    extra["message"] = message;
    return jsonResponse(header, status, extra);
}

Response unavailable(const RequestHeader& header) {
    Response response = Api::error(header, http::status::service_unavailable, "unavailable",
                                   "The relay's storage is not answering; try again shortly.");
    response.set(http::field::retry_after, "1");
    return response;
}

Response internalError(const RequestHeader& header) {
    return Api::error(header, http::status::internal_server_error, "internal",
                      "The relay could not read or write its storage.");
}

/// The answers shared by every share endpoint: no such share, gone (and why), wrong credentials.
std::optional<Response> commonFailure(const RequestHeader& header, const Outcome& outcome) {
    switch (outcome.verdict) {
    case Verdict::NotFound:
        return Api::error(header, http::status::not_found, "not_found", "There is no such share.");
    case Verdict::Gone:
        return Api::error(header, http::status::gone, outcome.goneReason, goneMessage(outcome.goneReason));
    case Verdict::Unauthorized:
        return Api::error(header, http::status::unauthorized, "unauthorized",
                          "The token in the Authorization header is missing or wrong.");
    default:
        return std::nullopt;
    }
}

Response unexpectedOutcome(const RequestHeader& header) {
    return Api::error(header, http::status::conflict, "conflict", "The share changed while the request ran.");
}

Response badShareId(const RequestHeader& header) {
    return Api::error(header, http::status::bad_request, "bad_share_id",
                      "The share id must be 22 characters of canonical base64url.");
}

Response unauthorized(const RequestHeader& header) {
    return Api::error(header, http::status::unauthorized, "unauthorized",
                      "The token in the Authorization header is missing or wrong.");
}

/// A client bucket the operator blocked (ots-relay admin block): no creates, no proofs.
Response blocked(const RequestHeader& header) {
    return Api::error(header, http::status::forbidden, "blocked",
                      "The relay's operator has blocked requests from your network for a while.");
}

Response rateLimited(const RequestHeader& header, std::int64_t retryAfter) {
    Response response =
        Api::error(header, http::status::too_many_requests, "rate_limited", "Too many requests; slow down.");
    response.set(http::field::retry_after, std::to_string(std::max<std::int64_t>(retryAfter, 1)));
    return response;
}

/// A lease value of this process, running from before its begin script until release() or the end of
/// the scope: then it is ended (its end script answered) or, after a Redis failure, abandoned for the
/// sweeper to delete (see LeaseRegistry).
class LeaseScope {
public:
    LeaseScope(const Config& config, std::string id)
        : m_id(std::move(id))
        , m_value(LeaseRegistry::instance().start(config)) {}
    ~LeaseScope() {
        if (m_owned)
            finish();
    }
    LeaseScope(const LeaseScope&) = delete;
    LeaseScope& operator=(const LeaseScope&) = delete;
    LeaseScope(LeaseScope&&) = delete;
    LeaseScope& operator=(LeaseScope&&) = delete;

    [[nodiscard]] const std::string& value() const noexcept { return m_value; }
    /// Whether the lease may be in Redis now: set before the begin script (a Redis failure from then on
    /// leaves it for the sweeper to delete), cleared when begin refused or an end script answered.
    void mayBeInRedis(bool value) noexcept { m_abandoned = value; }
    /// Someone else (the upload's end, finishUpload) ends it from now on.
    void release() noexcept { m_owned = false; }

private:
    void finish() noexcept {
        try {
            if (m_abandoned)
                LeaseRegistry::instance().abandoned(m_id, m_value);
            else
                LeaseRegistry::instance().ended(m_value);
        } catch (...) { // allocation failure: the lease then lapses with its TTL
        }
    }
    std::string m_id;
    std::string m_value;
    bool m_owned = true;
    bool m_abandoned = false;
};

/// Runs begin (appendBegin or completeBegin with lease) and, when the lease in the way is a stale one of
/// this very process (its append or complete ended without reaching Redis), deletes it and runs begin
/// once more. A lease of another relay, or of a request of this one that is still running, stays.
template <typename Begin>
OffsetOutcome beginWithTakeover(ShareStore& store, const Config& config, std::string_view id, Begin begin) {
    OffsetOutcome begun = begin();
    if (begun.verdict == Verdict::UploadInProgress &&
        LeaseRegistry::instance().isStale(begun.leaseHolder, config) &&
        store.releaseLease(id, begun.leaseHolder))
        begun = begin();
    return begun;
}

void stamp(Response& response, const RequestContext& context) {
    if (!context.requestId.empty())
        response.set("X-Request-Id", context.requestId);
}

json::object publicInfo(std::string_view id, const StatusOutcome& status) {
    json::object info;
    info["id"] = id;
    info["state"] = status.locked() && status.state == "ready" ? "locked" : status.state;
    info["size"] = status.size;
    info["expiresAt"] = status.expiresAt;
    info["downloadsLeft"] = status.maxDownloads - std::min(status.reserved, status.maxDownloads);
    info["passwordRequired"] = !status.kdfJson.empty();
    info["attemptsLeft"] = status.maxAttempts - std::min(status.attempts, status.maxAttempts);
    if (status.kdfJson.empty()) {
        info["kdf"] = nullptr;
    } else {
        boost::system::error_code error;
        json::value kdf = json::parse(status.kdfJson, error);
        if (error || !kdf.is_object())
            throw RedisError("a share's stored KDF parameters are not a JSON object");
        info["kdf"] = std::move(kdf);
    }
    return info;
}

json::object ownerInfo(std::string_view id, const StatusOutcome& status) {
    json::object info = publicInfo(id, status);
    info["uploadOffset"] = status.offset;
    info["downloadsReserved"] = status.reserved;
    info["downloadsFinished"] = status.finished;
    info["locked"] = status.locked();
    return info;
}

} // namespace

Response Api::error(const RequestHeader& header, http::status status, std::string_view code,
                    std::string_view message) {
    return errorWith(header, status, code, message);
}

std::optional<Response> Api::refuseFraming(const RequestHeader& header) {
    const auto codings = header.equal_range(http::field::transfer_encoding);
    if (codings.first == codings.second)
        return std::nullopt;
    if (std::next(codings.first) == codings.second &&
        boost::beast::iequals(codings.first->value(), "chunked"))
        return std::nullopt;
    return error(header, http::status::bad_request, "bad_request",
                 "Transfer-Encoding must be exactly \"chunked\" or absent.");
}

bool Api::isJsonMediaType(std::string_view contentType) noexcept {
    std::string_view type = contentType.substr(0, contentType.find(';'));
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t'))
        type.remove_prefix(1);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    return boost::beast::iequals(type, "application/json");
}

// --- JSON endpoints ------------------------------------------------------------------------------

namespace {

/// Every POST carries exactly one Content-Type, application/json, even one without a body. No web
/// page can send that to another origin without a CORS preflight, which the relay never answers
/// (SPEC.md §10.13): a foreign page cannot make its visitors' browsers create shares or spend proofs.
bool postIsJson(const RequestHeader& header) {
    if (header.method() != http::verb::post)
        return true;
    const auto types = header.equal_range(http::field::content_type);
    return types.first != types.second && std::next(types.first) == types.second &&
           Api::isJsonMediaType(types.first->value());
}

} // namespace

void Api::removeShareFiles(ShareStore& store, const std::string& id, AfterAnswer* later) {
    if (!later)
        return removeFilesAndReleaseQuota(m_blobs, store, id);
    *later = [this, id](RedisConnection& redis) {
        ShareStore laterStore(redis, m_config);
        removeFilesAndReleaseQuota(m_blobs, laterStore, id);
    };
}

Response Api::handleJson(const Route& route, const RequestHeader& header, const std::string& body,
                         const RequestContext& context, RedisConnection& redis, AfterAnswer* afterAnswer) {
    Response response = [&]() -> Response {
        if (route.endpoint == Endpoint::Readyz)
            return handleReadyz(header, redis);
        if (route.kind != RouteKind::Json)
            return error(header, http::status::not_found, "not_found", "There is nothing at this address.");
        if (needsShareId(route.endpoint) && route.shareId.empty())
            return badShareId(header);
        if (!postIsJson(header))
            return error(header, http::status::unsupported_media_type, "unsupported_media_type",
                         "A POST must carry Content-Type: application/json.");
        try {
            ShareStore store(redis, m_config);
            const std::string& id = route.shareId;
            switch (route.endpoint) {
            case Endpoint::CreateShare: {
                if (store.isBlocked(context.clientBucket))
                    return blocked(header);
                const auto limit =
                    store.rateLimit("create", context.clientBucket, m_config.createsPerMinutePerIp);
                if (limit.verdict == Verdict::RateLimited)
                    return rateLimited(header, limit.retryAfter);
                if (!m_config.uploadTokens.empty()) {
                    const auto credentials = bearer(header);
                    bool allowed = false;
                    if (credentials) {
                        // Compare hashes in constant time: equal length, and no early exit on a prefix.
                        std::array<std::uint8_t, crypto_generichash_BYTES> given{};
                        crypto_generichash(given.data(), given.size(),
                                           reinterpret_cast<const unsigned char*>(credentials->data()),
                                           credentials->size(), nullptr, 0);
                        for (const std::string& token : m_config.uploadTokens) {
                            std::array<std::uint8_t, crypto_generichash_BYTES> known{};
                            crypto_generichash(known.data(), known.size(),
                                               reinterpret_cast<const unsigned char*>(token.data()),
                                               token.size(), nullptr, 0);
                            allowed =
                                (sodium_memcmp(given.data(), known.data(), given.size()) == 0) || allowed;
                        }
                    }
                    if (!allowed)
                        return unauthorized(header);
                }
                const json::object request = parseObject(body);
                const std::uint64_t size =
                    requireUnsigned(request, "size", 1, std::numeric_limits<std::uint64_t>::max());
                if (size > m_config.maxShareSize)
                    return error(header, http::status::payload_too_large, "too_large",
                                 "The share is larger than this relay accepts (" +
                                     std::to_string(m_config.maxShareSize) + " bytes).");
                if (!StreamEncryptor::isValidCiphertextSize(size))
                    throw BadRequest{"\"size\" is not the size of a v1 stream"};
                const auto expiresIn = static_cast<std::int64_t>(requireUnsigned(
                    request, "expiresIn", static_cast<std::uint64_t>(m_config.minExpiry.count()),
                    static_cast<std::uint64_t>(m_config.maxExpiry.count())));
                NewShare share;
                share.size = size;
                share.maxDownloads = static_cast<std::uint32_t>(
                    requireUnsigned(request, "maxDownloads", 1, m_config.maxDownloads));
                share.maxAttempts = m_config.maxAttempts;
                const auto authKey = requireBase64Url<format::kAuthPublicKeyBytes>(request, "authPublicKey");
                share.authPublicKey.assign(reinterpret_cast<const char*>(authKey.data()), authKey.size());
                const auto linkKey = requireBase64Url<format::kAuthPublicKeyBytes>(request, "linkPublicKey");
                share.linkPublicKey.assign(reinterpret_cast<const char*>(linkKey.data()), linkKey.size());
                constexpr std::size_t minEnvelope =
                    1 + format::kMetadataNonceBytes + format::kMetadataBlockBytes + format::kMetadataTagBytes;
                const auto metadata =
                    decodeStandardBase64(requireString(request, "metadata"), metadata::maxEnvelopeBytes());
                if (!metadata || metadata->size() < minEnvelope ||
                    metadata->size() > metadata::maxEnvelopeBytes() ||
                    static_cast<std::uint8_t>(metadata->front()) != format::kMetadataVersion)
                    throw BadRequest{"\"metadata\" must be a version 1 metadata envelope in padded base64"};
                share.metadata = *metadata;
                if (const json::value* password = field(request, "password");
                    password && !password->is_null()) {
                    if (!password->is_object())
                        throw BadRequest{"\"password\" must be null or an object"};
                    const json::object& kdf = password->get_object();
                    Argon2Params params;
                    params.salt = requireBase64Url<format::kArgonSaltBytes>(kdf, "salt");
                    constexpr std::uint64_t u32 = std::numeric_limits<std::uint32_t>::max();
                    params.iterations =
                        static_cast<std::uint32_t>(requireUnsigned(kdf, "iterations", 1, u32));
                    params.memoryKiB = static_cast<std::uint32_t>(requireUnsigned(kdf, "memoryKiB", 1, u32));
                    params.parallelism =
                        static_cast<std::uint32_t>(requireUnsigned(kdf, "parallelism", 1, u32));
                    if (!params.validate().ok())
                        throw BadRequest{"\"password\" has Argon2id parameters outside the accepted range"};
                    json::object canonical;
                    canonical["salt"] = base64url::encode(params.salt);
                    canonical["iterations"] = params.iterations;
                    canonical["memoryKiB"] = params.memoryKiB;
                    canonical["parallelism"] = params.parallelism;
                    share.kdfJson = json::serialize(canonical);
                }

                ShareId idBytes{};
                randomBytes(idBytes);
                const std::string newId = base64url::encode(idBytes);
                const Token owner = randomToken();
                share.ownerHash = tokenHash(owner);
                share.client = context.clientBucket;

                // The share's Redis footprint counts against the storage quota and the Redis budget.
                const std::uint64_t footprint = share.metadata.size() + kShareRedisOverhead;
                const auto quota = store.reserveQuota(newId, size, footprint, expiresIn, context.clientBucket,
                                                      redisBudget());
                if (quota.verdict == Verdict::StorageFull)
                    return error(header, http::status::insufficient_storage, "storage_full",
                                 "The relay has no room for a share of this size right now.");
                if (quota.verdict == Verdict::RedisFull)
                    return error(header, http::status::insufficient_storage, "storage_full",
                                 "The relay has no room for more shares' descriptions right now.");
                if (quota.verdict == Verdict::RateLimited) {
                    Response limited =
                        error(header, http::status::too_many_requests, "rate_limited",
                              "This client has reserved as much storage or created as many shares "
                              "as the relay allows in an hour.");
                    limited.set(http::field::retry_after,
                                std::to_string(std::max<std::int64_t>(quota.retryAfter, 1)));
                    return limited;
                }
                if (!quota.ok())
                    return unexpectedOutcome(header);
                const auto created = store.create(newId, share, quota.expiresAt);
                if (!created.ok()) {
                    store.releaseQuota(newId);
                    return unavailable(header);
                }
                if (!store.countCreate(context.clientBucket, size))
                    m_metrics.redisError(); // the share exists: a lost count must not fail its create
                json::object reply;
                reply["id"] = newId;
                reply["ownerToken"] = base64url::encode(owner);
                reply["expiresAt"] = quota.expiresAt;
                reply["uploadOffset"] = 0;
                return jsonResponse(header, http::status::created, reply);
            }

            case Endpoint::ShareInfo: {
                const auto status = store.status(id, "");
                if (auto failure = commonFailure(header, status))
                    return *failure;
                return jsonResponse(header, http::status::ok, publicInfo(id, status));
            }

            case Endpoint::UploadOffset:
            case Endpoint::OwnerStatus: {
                const auto owner = bearerToken(header);
                if (!owner)
                    return unauthorized(header);
                const auto status = store.status(id, tokenHash(*owner));
                if (auto failure = commonFailure(header, status))
                    return *failure;
                if (route.endpoint == Endpoint::OwnerStatus)
                    return jsonResponse(header, http::status::ok, ownerInfo(id, status));
                Response offsets = noContent(header);
                offsets.set("Upload-Offset", std::to_string(status.offset));
                offsets.set("Upload-Length", std::to_string(status.size));
                return offsets;
            }

            case Endpoint::Complete: {
                const auto owner = bearerToken(header);
                if (!owner)
                    return unauthorized(header);
                LeaseScope lease(m_config, id);
                lease.mayBeInRedis(true);
                const std::string ownerHash = tokenHash(*owner);
                const auto begun = beginWithTakeover(
                    store, m_config, id, [&] { return store.completeBegin(id, ownerHash, lease.value()); });
                lease.mayBeInRedis(begun.ok());
                if (auto failure = commonFailure(header, begun))
                    return *failure;
                json::object ready;
                ready["state"] = "ready";
                switch (begun.verdict) {
                case Verdict::Ok:
                    break;
                case Verdict::AlreadyComplete:
                    return jsonResponse(header, http::status::ok, ready);
                case Verdict::UploadInProgress:
                    return error(header, http::status::conflict, "upload_in_progress",
                                 "Another request is writing to this share.");
                case Verdict::Incomplete: {
                    json::object extra;
                    extra["offset"] = begun.offset;
                    return errorWith(header, http::status::conflict, "incomplete",
                                     "Not all declared bytes have arrived yet.", std::move(extra));
                }
                default:
                    return unexpectedOutcome(header);
                }
                const BlobStatus committed = m_blobs.commit(id, begun.size);
                if (committed != BlobStatus::Ok) {
                    // Releases the lease, changes nothing.
                    (void)store.appendEnd(id, lease.value(), begun.size, 0);
                    lease.mayBeInRedis(false);
                    return internalError(header);
                }
                const auto ended = store.completeEnd(id, lease.value());
                lease.mayBeInRedis(false);
                if (auto failure = commonFailure(header, ended))
                    return *failure;
                if (!ended.ok())
                    return error(header, http::status::conflict, "upload_in_progress",
                                 "Another request is writing to this share.");
                return jsonResponse(header, http::status::ok, ready);
            }

            case Endpoint::Challenge: {
                if (store.isBlocked(context.clientBucket))
                    return blocked(header);
                const auto limit =
                    store.rateLimit("proof", context.clientBucket, m_config.proofsPerMinutePerIp);
                if (limit.verdict == Verdict::RateLimited)
                    return rateLimited(header, limit.retryAfter);
                ChallengeNonce nonce{};
                randomBytes(nonce);
                const auto issued = store.challenge(id, toHex(nonce));
                if (auto failure = commonFailure(header, issued))
                    return *failure;
                if (issued.verdict == Verdict::NotReady)
                    return error(header, http::status::conflict, "not_ready",
                                 "The upload is not complete yet.");
                if (issued.verdict == Verdict::Locked)
                    return error(header, http::status::locked, "locked",
                                 "Too many wrong proofs: the share is locked until its owner unlocks it.");
                if (!issued.ok())
                    return unexpectedOutcome(header);
                json::object reply;
                reply["nonce"] = base64url::encode(nonce);
                reply["expiresIn"] = m_config.challengeLifetime.count();
                return jsonResponse(header, http::status::ok, reply);
            }

            case Endpoint::Metadata:
            case Endpoint::Reserve: {
                const bool forDownload = route.endpoint == Endpoint::Reserve;
                if (store.isBlocked(context.clientBucket))
                    return blocked(header);
                const auto limit =
                    store.rateLimit("proof", context.clientBucket, m_config.proofsPerMinutePerIp);
                if (limit.verdict == Verdict::RateLimited)
                    return rateLimited(header, limit.retryAfter);
                const json::object request = parseObject(body);
                const auto nonce = requireBase64Url<format::kChallengeNonceBytes>(request, "nonce");
                const auto signature = requireBase64Url<format::kSignatureBytes>(request, "signature");
                const auto linkSignature =
                    requireBase64Url<format::kSignatureBytes>(request, "linkSignature");
                ShareId idBytes{};
                if (!base64url::decodeInto(id, idBytes))
                    return badShareId(header);

                // Step one counts nothing: only a holder of the link (S) gets past the link signature. A
                // stranger who knows the id can neither lock nor probe the share; the nonce is spent.
                const auto begun = store.proofBegin(id, toHex(nonce), forDownload);
                if (auto failure = commonFailure(header, begun))
                    return *failure;
                switch (begun.verdict) {
                case Verdict::Ok:
                    break;
                case Verdict::NotReady:
                    return error(header, http::status::conflict, "not_ready",
                                 "The upload is not complete yet.");
                case Verdict::ChallengeInvalid:
                    return error(header, http::status::gone, "challenge_invalid",
                                 "The challenge is unknown, used or expired; ask for a new one.");
                case Verdict::NoDownloadsLeft:
                    return error(header, http::status::gone, "no_downloads_left",
                                 "Every allowed download of this share is taken.");
                default:
                    return unexpectedOutcome(header);
                }
                const AuthPublicKey linkKey = storedPublicKey(begun.linkPublicKey);
                if (!verifyLinkProof(linkKey, idBytes, nonce, linkSignature)) {
                    store.spendNonce(id, toHex(nonce));
                    m_metrics.linkProofRejected();
                    return error(header, http::status::forbidden, "link_invalid",
                                 "The link does not verify: it is damaged or incomplete.");
                }

                // Step two spends the nonce and, for a password share only, reserves an attempt before the
                // password proof is checked. Without a password the link secret is the whole key (256
                // bits): nothing to count, and such a share never locks.
                const std::string attemptId = randomHex(16);
                const auto attempt = store.attemptBegin(id, toHex(nonce), attemptId, begun.passwordRequired);
                if (auto failure = commonFailure(header, attempt))
                    return *failure;
                switch (attempt.verdict) {
                case Verdict::Ok:
                    break;
                case Verdict::ChallengeInvalid:
                    return error(header, http::status::gone, "challenge_invalid",
                                 "The challenge is unknown, used or expired; ask for a new one.");
                case Verdict::Locked:
                    m_metrics.attemptRefused();
                    return error(header, http::status::locked, "locked",
                                 "Too many wrong passwords: the share is locked until its owner unlocks it.");
                case Verdict::Busy: {
                    // Every attempt left is being checked right now; one of them may refund it.
                    m_metrics.attemptRefused();
                    Response busy =
                        error(header, http::status::too_many_requests, "rate_limited",
                              "Other proofs for this share are being checked; retry in a second.");
                    busy.set(http::field::retry_after, "1");
                    return busy;
                }
                default:
                    return unexpectedOutcome(header);
                }
                const bool valid =
                    verifyDownloadProof(storedPublicKey(begun.authPublicKey), idBytes, nonce, signature);
                m_metrics.proofVerified(valid);
                if (!valid) {
                    if (!begun.passwordRequired)
                        return error(header, http::status::forbidden, "proof_invalid",
                                     "The proof does not verify.");
                    const auto failed = store.attemptFail(id, attemptId);
                    if (auto failure = commonFailure(header, failed))
                        return *failure;
                    // The failure that reaches the limit is the one that locked the share.
                    if (failed.attempts == failed.maxAttempts)
                        m_metrics.shareLocked();
                    json::object extra;
                    extra["attemptsLeft"] =
                        failed.maxAttempts - std::min(failed.attempts, failed.maxAttempts);
                    return errorWith(header, http::status::forbidden, "proof_invalid",
                                     "The proof does not verify: the password is wrong.", std::move(extra));
                }
                if (!forDownload) {
                    const auto refunded = store.attemptRefund(id, attemptId);
                    if (auto failure = commonFailure(header, refunded))
                        return *failure;
                    if (!refunded.ok())
                        return unexpectedOutcome(header);
                    json::object reply;
                    reply["metadata"] = standardBase64(refunded.metadata);
                    return jsonResponse(header, http::status::ok, reply);
                }
                const Token ticket = randomToken();
                const std::string ticketHash = tokenHash(ticket);
                store.scheduleTicket(id, ticketHash);
                const auto reserved = store.reserve(id, ticketHash, attemptId);
                if (!reserved.ok())
                    store.unscheduleTicket(id, ticketHash);
                if (auto failure = commonFailure(header, reserved))
                    return *failure;
                if (reserved.verdict == Verdict::NoDownloadsLeft)
                    return error(header, http::status::gone, "no_downloads_left",
                                 "Every allowed download of this share is taken.");
                if (!reserved.ok())
                    return unexpectedOutcome(header);
                json::object reply;
                reply["ticket"] = base64url::encode(ticket);
                reply["size"] = reserved.size;
                reply["expiresIn"] = m_config.ticketLifetime.count();
                return jsonResponse(header, http::status::created, reply);
            }

            case Endpoint::FinishDownload: {
                const auto ticket = bearerToken(header);
                if (!ticket)
                    return unauthorized(header);
                // Before the keys can go: should this relay die between the script and the blob's
                // removal below, the sweeper finds the share due within the grace and removes the blob.
                store.scheduleCleanup(id);
                const auto finished = store.finish(id, tokenHash(*ticket));
                if (auto failure = commonFailure(header, finished))
                    return *failure;
                if (finished.verdict == Verdict::Destroyed) {
                    removeShareFiles(store, id, afterAnswer);
                } else if (!finished.ok()) {
                    return unexpectedOutcome(header);
                }
                json::object reply;
                reply["downloadsLeft"] = finished.downloadsLeft;
                return jsonResponse(header, http::status::ok, reply);
            }

            case Endpoint::Delete: {
                const auto owner = bearerToken(header);
                if (!owner)
                    return unauthorized(header);
                store.scheduleCleanup(id); // as for finish: a crash before the blob's removal
                const auto removed = store.remove(id, tokenHash(*owner));
                if (auto failure = commonFailure(header, removed))
                    return *failure;
                if (!removed.ok())
                    return unexpectedOutcome(header);
                // Removed before the answer: the owner who revokes a share is told it is gone once its
                // ciphertext has left this disk.
                removeShareFiles(store, id, nullptr);
                return noContent(header);
            }

            case Endpoint::Unlock: {
                const auto owner = bearerToken(header);
                if (!owner)
                    return unauthorized(header);
                const std::string ownerHash = tokenHash(*owner);
                const auto unlocked = store.unlock(id, ownerHash);
                if (auto failure = commonFailure(header, unlocked))
                    return *failure;
                if (!unlocked.ok())
                    return unexpectedOutcome(header);
                const auto status = store.status(id, ownerHash);
                if (auto failure = commonFailure(header, status))
                    return *failure;
                return jsonResponse(header, http::status::ok, ownerInfo(id, status));
            }

            default:
                return error(header, http::status::not_found, "not_found",
                             "There is nothing at this address.");
            }
        } catch (const BadRequest& bad) {
            return error(header, http::status::bad_request, "bad_request", bad.message);
        } catch (const RedisError&) {
            m_metrics.redisError();
            return unavailable(header);
        }
    }();
    stamp(response, context);
    return response;
}

Response Api::handleReadyz(const RequestHeader& header, RedisConnection& redis) {
    if (redis.ping() && m_blobs.writable())
        return textResponse(header, "text/plain; charset=utf-8", "ok\n");
    return unavailable(header);
}

Response Api::handleStatic(const Route& route, const RequestHeader& header, const RequestContext& context) {
    Response response = [&]() -> Response {
        switch (route.endpoint) {
        case Endpoint::Healthz:
            return textResponse(header, "text/plain; charset=utf-8", "ok\n");
        case Endpoint::MetricsText:
            return textResponse(header, "text/plain; version=0.0.4; charset=utf-8", m_metrics.render());
        case Endpoint::LandingPage: {
            const LandingPage& page = LandingPage::instance();
            Response html = textResponse(header, "text/html; charset=utf-8", page.html());
            html.set("Content-Security-Policy", page.contentSecurityPolicy());
            html.set(http::field::x_frame_options, "DENY");
            return html;
        }
        default:
            return error(header, http::status::not_found, "not_found", "There is nothing at this address.");
        }
    }();
    stamp(response, context);
    return response;
}

// --- uploads and downloads -----------------------------------------------------------------------

std::variant<Response, UploadPlan> Api::beginUpload(const Route& route, const RequestHeader& header,
                                                    const RequestContext& context, RedisConnection& redis) {
    std::variant<Response, UploadPlan> result = [&]() -> std::variant<Response, UploadPlan> {
        if (route.endpoint != Endpoint::UploadAppend)
            return error(header, http::status::not_found, "not_found", "There is nothing at this address.");
        if (route.shareId.empty())
            return badShareId(header);
        const auto owner = bearerToken(header);
        if (!owner)
            return unauthorized(header);
        const auto offsetField = header.find("Upload-Offset");
        const auto offset = offsetField == header.end() ? std::nullopt : parseDecimal(offsetField->value());
        if (!offset)
            return error(header, http::status::bad_request, "bad_request",
                         "\"Upload-Offset\" must be the decimal offset the upload continues at.");
        const auto lengthField = header.find(http::field::content_length);
        if (lengthField == header.end())
            return error(header, http::status::length_required, "length_required",
                         "An upload needs a Content-Length.");
        const auto length = parseDecimal(lengthField->value());
        if (!length)
            return error(header, http::status::bad_request, "bad_request",
                         "\"Content-Length\" is not a number.");
        if (*length > m_config.maxShareSize || *offset > m_config.maxShareSize)
            return error(header, http::status::payload_too_large, "too_large",
                         "The body goes past the share's declared size.");
        try {
            ShareStore store(redis, m_config);
            const std::string& id = route.shareId;
            LeaseScope lease(m_config, id);
            lease.mayBeInRedis(true);
            const std::string ownerHash = tokenHash(*owner);
            const auto begun = beginWithTakeover(store, m_config, id, [&] {
                return store.appendBegin(id, ownerHash, *offset, *length, lease.value());
            });
            lease.mayBeInRedis(begun.ok());
            if (auto failure = commonFailure(header, begun))
                return *failure;
            switch (begun.verdict) {
            case Verdict::Ok:
                break;
            case Verdict::OffsetMismatch: {
                json::object extra;
                extra["offset"] = begun.offset;
                Response mismatch =
                    errorWith(header, http::status::conflict, "offset_mismatch",
                              "Upload-Offset is not the share's current offset.", std::move(extra));
                mismatch.set("Upload-Offset", std::to_string(begun.offset));
                return mismatch;
            }
            case Verdict::UploadInProgress:
                return error(header, http::status::conflict, "upload_in_progress",
                             "Another request is writing to this share.");
            case Verdict::TooLarge:
                return error(header, http::status::payload_too_large, "too_large",
                             "The body goes past the share's declared size.");
            default:
                return unexpectedOutcome(header);
            }
            if (m_blobs.preparePart(id, *offset) != BlobStatus::Ok) {
                (void)store.appendEnd(id, lease.value(), *offset, 0); // releases the lease, changes nothing
                lease.mayBeInRedis(false);
                return internalError(header);
            }
            UploadPlan plan;
            plan.shareId = id;
            plan.leaseToken = lease.value();
            lease.release(); // finishUpload ends it
            plan.partPath = m_blobs.partPath(id);
            plan.offset = *offset;
            plan.length = *length;
            return plan;
        } catch (const RedisError&) {
            m_metrics.redisError();
            return unavailable(header);
        }
    }();
    if (auto* response = std::get_if<Response>(&result))
        stamp(*response, context);
    return result;
}

Response Api::finishUpload(const UploadPlan& plan, std::uint64_t received, bool bodyComplete,
                           const RequestContext& context, RedisConnection& redis) {
    // The session answers a body cut short only if the connection still stands; the offset advances by
    // what arrived either way, so the client's HEAD afterwards tells it where to resume.
    (void)bodyComplete;
    // The session owns the connection; it adjusts keep-alive to the request it read.
    RequestHeader header;
    header.version(11);
    Response response = [&]() -> Response {
        std::uint64_t count = std::min(received, plan.length);
        // Count only bytes that are really in the file, whatever the caller believes it wrote.
        const auto size = m_blobs.partSize(plan.shareId);
        const std::uint64_t present = size && *size > plan.offset ? *size - plan.offset : 0;
        count = std::min(count, present);
        LeaseRegistry& leases = LeaseRegistry::instance();
        try {
            ShareStore store(redis, m_config);
            if (count > 0 && m_blobs.syncPart(plan.shareId) != BlobStatus::Ok) {
                (void)store.appendEnd(plan.shareId, plan.leaseToken, plan.offset, 0);
                leases.ended(plan.leaseToken);
                return internalError(header);
            }
            const auto ended = store.appendEnd(plan.shareId, plan.leaseToken, plan.offset, count);
            leases.ended(plan.leaseToken);
            if (ended.verdict == Verdict::NotFound || ended.verdict == Verdict::Gone)
                m_blobs.remove(plan.shareId); // deleted or expired while the body streamed in
            if (auto failure = commonFailure(header, ended))
                return *failure;
            if (!ended.ok())
                return error(header, http::status::conflict, "upload_in_progress",
                             "This upload's lease ran out; ask for the offset and resume.");
            Response done = noContent(header);
            done.set("Upload-Offset", std::to_string(ended.offset));
            return done;
        } catch (const RedisError&) {
            // The lease may still be in Redis: no longer running here, so this relay takes it over when
            // the owner resumes, and the sweeper deletes it once Redis answers (for the other relays).
            leases.abandoned(plan.shareId, plan.leaseToken);
            m_metrics.redisError();
            return unavailable(header);
        }
    }();
    stamp(response, context);
    return response;
}

std::variant<Response, DownloadPlan> Api::beginDownload(const Route& route, const RequestHeader& header,
                                                        const RequestContext& context,
                                                        RedisConnection& redis) {
    std::variant<Response, DownloadPlan> result = [&]() -> std::variant<Response, DownloadPlan> {
        if (route.endpoint != Endpoint::Download)
            return error(header, http::status::not_found, "not_found", "There is nothing at this address.");
        if (route.shareId.empty())
            return badShareId(header);
        const auto ticket = bearerToken(header);
        if (!ticket)
            return unauthorized(header);
        std::uint64_t size = 0;
        try {
            ShareStore store(redis, m_config);
            const auto checked = store.ticketCheck(route.shareId, tokenHash(*ticket));
            if (auto failure = commonFailure(header, checked))
                return *failure;
            if (!checked.ok())
                return unexpectedOutcome(header);
            size = checked.size;
        } catch (const RedisError&) {
            m_metrics.redisError();
            return unavailable(header);
        }
        if (m_blobs.blobSize(route.shareId) != size)
            return internalError(header);

        DownloadPlan plan;
        plan.blobPath = m_blobs.blobPath(route.shareId);
        std::uint64_t first = 0;
        std::uint64_t last = size - 1;
        const auto rangeField = header.find(http::field::range);
        const RangeKind range = rangeField == header.end()
                                    ? RangeKind::Whole
                                    : parseRange(rangeField->value(), size, first, last);
        if (range == RangeKind::Unsatisfiable) {
            Response refused = error(header, http::status::range_not_satisfiable, "range_not_satisfiable",
                                     "The range lies outside the share.");
            refused.set(http::field::content_range, "bytes */" + std::to_string(size));
            return refused;
        }
        plan.header =
            baseResponse(header, range == RangeKind::Part ? http::status::partial_content : http::status::ok);
        plan.header.set(http::field::content_type, "application/octet-stream");
        plan.header.set(http::field::accept_ranges, "bytes");
        if (range == RangeKind::Part)
            plan.header.set(http::field::content_range, "bytes " + std::to_string(first) + "-" +
                                                            std::to_string(last) + "/" +
                                                            std::to_string(size));
        plan.first = first;
        plan.count = last - first + 1;
        plan.header.content_length(plan.count);
        return plan;
    }();
    if (auto* response = std::get_if<Response>(&result))
        stamp(*response, context);
    else
        stamp(std::get<DownloadPlan>(result).header, context);
    return result;
}

} // namespace ots::relay
