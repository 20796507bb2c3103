#include "BlobStore.h"
#include "Metrics.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"

#include <algorithm>

namespace ots::relay {

namespace handlers {

namespace {

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

Response finishDownload(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    const std::string& id = exchange.id();
    const auto ticket = bearerToken(header);
    if (!ticket)
        return unauthorized(header);
    // Before the keys can go: should this relay die between the script and the blob's
    // removal below, the sweeper finds the share due within the grace and removes the blob.
    exchange.store->scheduleCleanup(id);
    const auto finished = exchange.store->finish(id, tokenHash(*ticket));
    if (auto failure = commonFailure(header, finished))
        return *failure;
    if (finished.verdict == Verdict::Destroyed) {
        removeShareFiles(exchange, exchange.afterAnswer);
    } else if (!finished.ok()) {
        return unexpectedOutcome(header);
    }
    json::object reply;
    reply["downloadsLeft"] = finished.downloadsLeft;
    return jsonResponse(header, http::status::ok, reply);
}

} // namespace handlers

// --- the body-streaming download (Endpoint::Download) ---------------------------------------------

std::variant<Response, DownloadPlan> Api::beginDownload(const Route& route, const RequestHeader& header,
                                                        const RequestContext& context,
                                                        RedisConnection& redis) {
    using namespace handlers;
    std::variant<Response, DownloadPlan> result = [&]() -> std::variant<Response, DownloadPlan> {
        if (route.endpoint != Endpoint::Download)
            return notFound(header);
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
        DownloadPlan plan;
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
        auto opened = m_blobs.openRead(route.shareId, size, plan.first, plan.count);
        if (const auto* failed = std::get_if<BlobStatus>(&opened)) {
            // Missing: finished, deleted or swept since the ticket was checked. Anything else: the
            // ticket is valid, so the blob must be there.
            return *failed == BlobStatus::Missing
                       ? error(header, http::status::not_found, "not_found", "The share's content is gone.")
                       : internalError(header);
        }
        plan.source = std::move(std::get<std::unique_ptr<BlobRead>>(opened));
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
