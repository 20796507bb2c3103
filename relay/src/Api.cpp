#include "Api.h"

#include "Metrics.h"
#include "RouteTable.h"
#include "ShareStore.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"

#include <boost/beast/core/string.hpp>

namespace ots::relay {

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
    return matchRoute(header.method(), path);
}

Response Api::error(const RequestHeader& header, http::status status, std::string_view code,
                    std::string_view message) {
    return handlers::errorWith(header, status, code, message);
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

handlers::Exchange Api::exchange(const Route& route, const RequestHeader& header, const std::string& body,
                                 const RequestContext& context, RedisConnection* redis, ShareStore* store,
                                 AfterAnswer* afterAnswer) {
    return {.config = m_config,
            .blobs = m_blobs,
            .metrics = m_metrics,
            .header = header,
            .context = context,
            .route = route,
            .body = body,
            .redis = redis,
            .store = store,
            .afterAnswer = afterAnswer,
            .redisBudget = redisBudget()};
}

Response Api::handleJson(const Route& route, const RequestHeader& header, const std::string& body,
                         const RequestContext& context, RedisConnection& redis, AfterAnswer* afterAnswer) {
    Response response = [&]() -> Response {
        if (route.endpoint == Endpoint::Readyz)
            return handleReadyz(header, redis);
        if (route.kind != RouteKind::Json)
            return handlers::notFound(header);
        const RouteEntry* entry = routeFor(route.endpoint);
        if (entry && entry->needsId && route.shareId.empty())
            return handlers::badShareId(header);
        if (!postIsJson(header))
            return error(header, http::status::unsupported_media_type, "unsupported_media_type",
                         "A POST must carry Content-Type: application/json.");
        if (!entry || entry->kind != RouteKind::Json || !entry->handler)
            return handlers::notFound(header);
        try {
            ShareStore store(redis, m_config);
            return entry->handler(exchange(route, header, body, context, &redis, &store, afterAnswer));
        } catch (const handlers::BadRequest& bad) {
            return handlers::errorWith(header, http::status::bad_request, "bad_request", bad.message,
                                       bad.detail);
        } catch (const RedisError&) {
            m_metrics.redisError();
            return handlers::unavailable(header);
        }
    }();
    handlers::stamp(response, context);
    return response;
}

Response Api::handleReadyz(const RequestHeader& header, RedisConnection& redis) {
    const Route route{RouteKind::Static, Endpoint::Readyz, {}};
    return handlers::readyz(exchange(route, header, {}, {}, &redis, nullptr, nullptr));
}

Response Api::handleStatic(const Route& route, const RequestHeader& header, const RequestContext& context) {
    const RouteEntry* entry = routeFor(route.endpoint);
    Response response = entry && entry->kind == RouteKind::Static && entry->handler
                            ? entry->handler(exchange(route, header, {}, context, nullptr, nullptr, nullptr))
                            : handlers::notFound(header);
    handlers::stamp(response, context);
    return response;
}

} // namespace ots::relay
