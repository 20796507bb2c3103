#pragma once

// What more than one endpoint's handler needs: the request's numbers, credentials and JSON fields,
// and the responses the endpoints share. Every helper here is synchronous and needs no socket.

#include "ShareStore.h"
#include "handlers/Exchange.h"
#include "ots/Base64Url.h"

#include <boost/json.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ots::relay::handlers {

namespace json = boost::json;

inline constexpr std::size_t kTokenBytes = 32;
using Token = std::array<std::uint8_t, kTokenBytes>;

/// A request the client must fix; the message names the field. Api answers it 400 bad_request,
/// with `detail`'s members added to the body (a value out of range: "field", "min", "max").
struct BadRequest {
    std::string message;
    json::object detail = {};
};

// --- the request ----------------------------------------------------------------------------------

[[nodiscard]] std::optional<std::uint64_t> parseDecimal(std::string_view text) noexcept;
[[nodiscard]] bool equalsIgnoringCase(std::string_view a, std::string_view b) noexcept;
/// The credentials after "Bearer ", or nothing.
[[nodiscard]] std::optional<std::string_view> bearer(const RequestHeader& header);
/// Owner token or ticket: 32 bytes as unpadded base64url.
[[nodiscard]] std::optional<Token> bearerToken(const RequestHeader& header);
[[nodiscard]] Token randomToken();

// --- strict JSON field access (each throws BadRequest) --------------------------------------------

[[nodiscard]] const json::value* field(const json::object& object, std::string_view name);
[[nodiscard]] std::uint64_t requireUnsigned(const json::object& object, std::string_view name,
                                            std::uint64_t min, std::uint64_t max);
[[nodiscard]] std::string_view requireString(const json::object& object, std::string_view name);
[[nodiscard]] json::object parseObject(const std::string& body);

template <std::size_t N>
std::array<std::uint8_t, N> requireBase64Url(const json::object& object, std::string_view name) {
    std::array<std::uint8_t, N> out{};
    if (!base64url::decodeInto(requireString(object, name), out))
        throw BadRequest{"\"" + std::string(name) + "\" must be " + std::to_string(N) +
                         " bytes of unpadded base64url"};
    return out;
}

// --- responses ------------------------------------------------------------------------------------

[[nodiscard]] Response baseResponse(const RequestHeader& header, http::status status);
[[nodiscard]] Response jsonResponse(const RequestHeader& header, http::status status,
                                    const json::object& body);
[[nodiscard]] Response noContent(const RequestHeader& header);
[[nodiscard]] Response textResponse(const RequestHeader& header, std::string_view contentType,
                                    std::string body);
/// Api::error() with more fields beside "error" and "message".
[[nodiscard]] Response errorWith(const RequestHeader& header, http::status status, std::string_view code,
                                 std::string_view message, json::object extra = {});
[[nodiscard]] Response notFound(const RequestHeader& header);
[[nodiscard]] Response unavailable(const RequestHeader& header);
[[nodiscard]] Response internalError(const RequestHeader& header);
/// 507 storage_full: the store has no room for bytes it was about to keep.
[[nodiscard]] Response storageFull(const RequestHeader& header);
/// The answers shared by every share endpoint: no such share, gone (and why), wrong credentials.
[[nodiscard]] std::optional<Response> commonFailure(const RequestHeader& header, const Outcome& outcome);
[[nodiscard]] Response unexpectedOutcome(const RequestHeader& header);
[[nodiscard]] Response badShareId(const RequestHeader& header);
[[nodiscard]] Response unauthorized(const RequestHeader& header);
/// The answer for a client whose bucket is blocked or over its per-minute rate for action ("create",
/// "proof"), or nothing.
[[nodiscard]] std::optional<Response> refuseClient(const Exchange& exchange, std::string_view action,
                                                   std::uint32_t perMinute);
/// What refuseClient answers for a verdict of the client limit (Blocked, RateLimited), or nothing.
[[nodiscard]] std::optional<Response> clientRefusal(const RequestHeader& header, Verdict verdict,
                                                    std::int64_t retryAfter);
/// The share's status as its owner sees it (the request's bearer token), or the answer refusing it.
[[nodiscard]] std::variant<Response, StatusOutcome> statusForOwner(const Exchange& exchange);
void stamp(Response& response, const RequestContext& context);

/// A destroyed share's files and quota: now, or left in *later (Api::AfterAnswer says why).
void removeShareFiles(const Exchange& exchange, Api::AfterAnswer* later);

} // namespace ots::relay::handlers
