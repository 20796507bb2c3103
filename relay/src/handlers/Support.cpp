#include "handlers/Support.h"

#include "BlobStore.h"
#include "ots/Crypto.h"

#include <boost/json.hpp>

#include <algorithm>
#include <charconv>

namespace ots::relay::handlers {

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
                             std::to_string(max),
                         json::object{{"field", name}, {"min", min}, {"max", max}}};
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

json::object parseObject(const std::string& body) {
    boost::system::error_code error;
    json::value value = json::parse(body, error);
    if (error)
        throw BadRequest{"the body is not valid JSON"};
    if (!value.is_object())
        throw BadRequest{"the body must be a JSON object"};
    return std::move(value.get_object());
}

namespace {

std::string_view goneMessage(std::string_view reason) {
    if (reason == "deleted")
        return "The owner deleted this share.";
    if (reason == "downloaded")
        return "This share has been downloaded and deleted.";
    if (reason == "removed")
        return "The relay's operator removed this share.";
    return "This share has expired.";
}

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

} // namespace

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
                   std::string_view message, json::object extra) {
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

Response storageFull(const RequestHeader& header) {
    return Api::error(header, http::status::insufficient_storage, "storage_full",
                      "The relay's storage is full.");
}

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

Response notFound(const RequestHeader& header) {
    return Api::error(header, http::status::not_found, "not_found", "There is nothing at this address.");
}

std::optional<Response> refuseClient(const Exchange& exchange, std::string_view action,
                                     std::uint32_t perMinute) {
    const auto limit = exchange.store->rateLimit(action, exchange.context.clientBucket, perMinute);
    return clientRefusal(exchange.header, limit.verdict, limit.retryAfter);
}

std::optional<Response> clientRefusal(const RequestHeader& header, Verdict verdict, std::int64_t retryAfter) {
    if (verdict == Verdict::Blocked)
        return blocked(header);
    if (verdict == Verdict::RateLimited)
        return rateLimited(header, retryAfter);
    return std::nullopt;
}

std::variant<Response, StatusOutcome> statusForOwner(const Exchange& exchange) {
    const auto owner = bearerToken(exchange.header);
    if (!owner)
        return unauthorized(exchange.header);
    auto status = exchange.store->status(exchange.id(), tokenHash(*owner));
    if (auto failure = commonFailure(exchange.header, status))
        return *failure;
    return status;
}

void removeShareFiles(const Exchange& exchange, Api::AfterAnswer* later) {
    if (!later) {
        (void)removeFilesAndReleaseQuota(exchange.blobs, *exchange.store, exchange.id());
        return;
    }
    *later = [&blobs = exchange.blobs, &config = exchange.config,
              id = exchange.id()](RedisConnection& redis) {
        ShareStore laterStore(redis, config);
        (void)removeFilesAndReleaseQuota(blobs, laterStore, id);
    };
}

void stamp(Response& response, const RequestContext& context) {
    if (!context.requestId.empty())
        response.set("X-Request-Id", context.requestId);
}

} // namespace ots::relay::handlers
