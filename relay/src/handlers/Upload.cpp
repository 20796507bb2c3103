#include "BlobStore.h"
#include "LeaseRegistry.h"
#include "Metrics.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"

#include <algorithm>

namespace ots::relay {

namespace handlers {

namespace {

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

} // namespace

Response uploadOffset(const Exchange& exchange) {
    auto status = statusForOwner(exchange);
    if (auto* refused = std::get_if<Response>(&status))
        return std::move(*refused);
    const auto& owned = std::get<StatusOutcome>(status);
    Response offsets = noContent(exchange.header);
    offsets.set("Upload-Offset", std::to_string(owned.offset));
    offsets.set("Upload-Length", std::to_string(owned.size));
    return offsets;
}

Response completeUpload(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    const std::string& id = exchange.id();
    const auto owner = bearerToken(header);
    if (!owner)
        return unauthorized(header);
    LeaseScope lease(exchange.config, id);
    lease.mayBeInRedis(true);
    const std::string ownerHash = tokenHash(*owner);
    const auto begun = beginWithTakeover(*exchange.store, exchange.config, id, [&] {
        return exchange.store->completeBegin(id, ownerHash, lease.value());
    });
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
        return Api::error(header, http::status::conflict, "upload_in_progress",
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
    const BlobStatus committed = exchange.blobs.seal(id, begun.size);
    if (committed != BlobStatus::Ok) {
        // Releases the lease, changes nothing.
        (void)exchange.store->appendEnd(id, lease.value(), begun.size, 0);
        lease.mayBeInRedis(false);
        return internalError(header);
    }
    const auto ended = exchange.store->completeEnd(id, lease.value());
    lease.mayBeInRedis(false);
    if (auto failure = commonFailure(header, ended))
        return *failure;
    if (!ended.ok())
        return Api::error(header, http::status::conflict, "upload_in_progress",
                          "Another request is writing to this share.");
    return jsonResponse(header, http::status::ok, ready);
}

} // namespace handlers

// --- the body-streaming upload (Endpoint::UploadAppend) -------------------------------------------

std::variant<Response, UploadPlan> Api::beginUpload(const Route& route, const RequestHeader& header,
                                                    const RequestContext& context, RedisConnection& redis) {
    using namespace handlers;
    std::variant<Response, UploadPlan> result = [&]() -> std::variant<Response, UploadPlan> {
        if (route.endpoint != Endpoint::UploadAppend)
            return notFound(header);
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
            auto opened = m_blobs.openAppend(id, *offset, begun.size);
            if (const auto* failed = std::get_if<BlobStatus>(&opened)) {
                (void)store.appendEnd(id, lease.value(), *offset, 0); // releases the lease, changes nothing
                lease.mayBeInRedis(false);
                if (*failed == BlobStatus::AppendLimit)
                    return error(header, http::status::conflict, "append_limit",
                                 "This share's upload was resumed in too many small pieces; the relay "
                                 "takes no more of it. Send the file as a new share.");
                return *failed == BlobStatus::Full ? storageFull(header) : internalError(header);
            }
            UploadPlan plan;
            plan.shareId = id;
            plan.leaseToken = lease.value();
            lease.release(); // finishUpload ends it
            plan.append = std::move(std::get<std::unique_ptr<BlobAppend>>(opened));
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
    using namespace handlers;
    // The session answers a body cut short only if the connection still stands; the offset advances by
    // what arrived either way, so the client's HEAD afterwards tells it where to resume.
    (void)bodyComplete;
    // The session owns the connection; it adjusts keep-alive to the request it read.
    RequestHeader header;
    header.version(11);
    Response response = [&]() -> Response {
        const std::uint64_t count = std::min(received, plan.length);
        LeaseRegistry& leases = LeaseRegistry::instance();
        try {
            ShareStore store(redis, m_config);
            if (const BlobStatus durable = plan.append->makeDurable(count); durable != BlobStatus::Ok) {
                (void)store.appendEnd(plan.shareId, plan.leaseToken, plan.offset, 0);
                leases.ended(plan.leaseToken);
                return durable == BlobStatus::Full ? storageFull(header) : internalError(header);
            }
            const auto ended = store.appendEnd(plan.shareId, plan.leaseToken, plan.offset, count);
            leases.ended(plan.leaseToken);
            if (ended.verdict == Verdict::NotFound || ended.verdict == Verdict::Gone)
                (void)m_blobs.remove(plan.shareId); // deleted or expired while the body streamed in
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

} // namespace ots::relay
