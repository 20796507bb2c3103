#pragma once

// The relay's request handling as plain synchronous functions from request to response: no sockets,
// no Asio. The HTTP layer frames requests with RequestFramer (header and body limits, framing checks,
// route() from the route table in RouteTable.cpp, keep-alive) on an I/O thread — HttpSession feeds it
// the socket's bytes, the tests and fuzz_relay_http feed it theirs — and runs the rest on a worker
// thread that owns one Redis connection:
//   Json     – body read whole (≤ Config::jsonBodyLimit), then handleJson() → response
//   Upload   – beginUpload() → plan or error response; the session streams the body into
//              plan.append (the blob store's append at plan.offset); then finishUpload() with the
//              bytes that arrived
//   Download – beginDownload() → plan (the store's read of the range, headers) or error response;
//              the session streams
//   Static   – handleStatic(): the receiver page and its /web/ files, /healthz, /metrics — no Redis,
//              may run on the I/O thread
// Every function here is thread-safe; per-thread state is the Redis connection passed in.

#include "BlobStore.h"
#include "Config.h"

#include <boost/beast/http.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace ots::relay {

class RedisConnection;
class ShareStore;
class Metrics;
namespace handlers {
struct Exchange;
}
namespace receiver {
struct WebFile;
}

namespace http = boost::beast::http;
using RequestHeader = http::request_header<>;
using Response = http::response<http::string_body>;

struct RequestContext {
    std::string clientAddress; ///< after the trusted-proxy rule, for the log
    std::string requestId;     ///< random, echoed as X-Request-Id, in every log line
    /// What rate limits count by: ClientAddress::clientBucket(), e.g. "2001:db8:1:2::/64".
    std::string clientBucket;
};

enum class RouteKind { Json, Upload, Download, Static, NotFound, MethodNotAllowed };

/// Which method and path reach each endpoint, its handler and its metrics label: the route table,
/// RouteTable.cpp. The order is the metrics' index (Metrics::requestFinished).
enum class Endpoint {
    CreateShare,
    ShareInfo,
    UploadOffset,
    UploadAppend,
    Complete,
    Challenge,
    Metadata,
    Reserve,
    Download,
    FinishDownload,
    OwnerStatus,
    Delete,
    Unlock,
    Healthz,
    Readyz,
    MetricsText,
    ReceiverPage,
    WebFile,
    None,
};

struct Route {
    RouteKind kind = RouteKind::NotFound;
    Endpoint endpoint = Endpoint::None;
    std::string shareId;                        ///< validated: 22 chars of canonical base64url, or empty
    const receiver::WebFile* webFile = nullptr; ///< Endpoint::WebFile: the file the path names
    [[nodiscard]] const char* label() const noexcept; ///< low-cardinality metrics label, e.g. "share_info"
};

struct UploadPlan {
    std::string shareId;
    std::string leaseToken;             ///< identifies this append in Redis until finishUpload
    std::unique_ptr<BlobAppend> append; ///< where the body's bytes go
    std::uint64_t offset = 0;           ///< where the body's first byte goes
    std::uint64_t length = 0;           ///< Content-Length of the body (offset + length ≤ declared size)
};

struct DownloadPlan {
    std::unique_ptr<BlobRead> source; ///< the range's bytes
    std::uint64_t first = 0;          ///< first byte to send
    std::uint64_t count = 0;          ///< bytes to send
    Response header;                  ///< status 200/206 and headers, body empty; content_length set
};

class Api {
public:
    Api(const Config& config, BlobStore& blobs, Metrics& metrics);

    /// Method and path only; never touches Redis. Rejects malformed ids here (400/404).
    [[nodiscard]] Route route(const RequestHeader& header) const;

    /// The body's framing, checked as soon as the header is in (RFC 9112 §6.1): a Transfer-Encoding
    /// other than exactly "chunked" is 400. Beast frames "chunked, identity" as no body at all and
    /// "gzip, chunked" as chunked; a proxy in front may frame either differently, and the bytes one of
    /// us takes for a body the other takes for the next request (request smuggling). The answer closes
    /// the connection: where this request ends is not known.
    [[nodiscard]] static std::optional<Response> refuseFraming(const RequestHeader& header);

    /// Whether a Content-Type value names application/json: the media type compared without regard
    /// to case, parameters ("; charset=utf-8") allowed and ignored.
    [[nodiscard]] static bool isJsonMediaType(std::string_view contentType) noexcept;

    /// Work a request leaves for after its answer: removing the files of a share that a finish (its
    /// last download) has just destroyed. Unlinking a large blob keeps the kernel busy for a good
    /// part of a second (dropping its cached pages, freeing its extents), which the recipient need not
    /// wait for: the share's keys are gone already, and the sweeper removes the files should this
    /// relay stop before the work runs (the share was scheduled for cleanup first). A delete still
    /// removes them before it answers: the owner is told the ciphertext is gone when it is.
    using AfterAnswer = std::function<void(RedisConnection&)>;

    /// afterAnswer: where to leave such work for the caller, to run on a worker once the answer is on
    /// its way; without it (tests, fuzzer) the work is done before this returns.
    [[nodiscard]] Response handleJson(const Route& route, const RequestHeader& header,
                                      const std::string& body, const RequestContext& context,
                                      RedisConnection& redis, AfterAnswer* afterAnswer = nullptr);
    [[nodiscard]] Response handleStatic(const Route& route, const RequestHeader& header,
                                        const RequestContext& context);
    /// Readyz needs Redis and the disk, so it runs on a worker.
    [[nodiscard]] Response handleReadyz(const RequestHeader& header, RedisConnection& redis);

    [[nodiscard]] std::variant<Response, UploadPlan> beginUpload(const Route& route,
                                                                 const RequestHeader& header,
                                                                 const RequestContext& context,
                                                                 RedisConnection& redis);
    /// received = body bytes the session wrote into plan.append; this makes them durable and then
    /// advances the offset. Called also when the body was cut short.
    [[nodiscard]] Response finishUpload(const UploadPlan& plan, std::uint64_t received, bool bodyComplete,
                                        const RequestContext& context, RedisConnection& redis);

    [[nodiscard]] std::variant<Response, DownloadPlan> beginDownload(const Route& route,
                                                                     const RequestHeader& header,
                                                                     const RequestContext& context,
                                                                     RedisConnection& redis);

    /// Redis' maxmemory as last read (0: unlimited or unknown); the Redis budget derives from it unless
    /// redis-memory-budget is set. Any thread may call it (the sweeper's refreshes it every pass).
    void setRedisMaxMemory(std::uint64_t bytes) noexcept {
        m_redisMaxMemory.store(bytes, std::memory_order_relaxed);
    }
    /// The budget the shares' Redis footprint must stay within (0: none).
    [[nodiscard]] std::uint64_t redisBudget() const noexcept;
    /// What one share costs in Redis beyond its metadata: keys, fields, hashes, index entries (generous).
    static constexpr std::uint64_t kShareRedisOverhead = 2048;

    /// An error response with body {"error": code, "message": message}.
    [[nodiscard]] static Response error(const RequestHeader& header, http::status status,
                                        std::string_view code, std::string_view message);

private:
    /// What a handler of the route table (RouteTable.h) is given; redis and store null where it must not
    /// wait for Redis.
    [[nodiscard]] handlers::Exchange exchange(const Route& route, const RequestHeader& header,
                                              const std::string& body, const RequestContext& context,
                                              RedisConnection* redis, ShareStore* store,
                                              AfterAnswer* afterAnswer);

    const Config& m_config;
    BlobStore& m_blobs;
    Metrics& m_metrics;
    std::atomic<std::uint64_t> m_redisMaxMemory{0};
};

} // namespace ots::relay
