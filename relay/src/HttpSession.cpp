#include "HttpSession.h"

#include "ClientAddress.h"
#include "Log.h"
#include "Metrics.h"
#include "WorkerPool.h"
#include "ots/Crypto.h"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/read_size.hpp>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <span>
#include <sys/sendfile.h>
#include <type_traits>
#include <unistd.h>

namespace ots::relay {

namespace asio = boost::asio;
namespace beast = boost::beast;
using namespace std::chrono_literals;

namespace {

/// Upload pieces (and download pieces over TLS): big enough for full-speed loopback transfers, small
/// enough that thousands of transfers fit in a small relay. Plain-TCP downloads need no buffer at all:
/// sendfile(2) moves the blob from the page cache to the socket.
constexpr std::size_t kChunkSize = std::size_t{64} << 10;
/// sendfile(2) bytes per call, and per turn of the event loop before other sessions get theirs.
constexpr std::size_t kSendfileCall = std::size_t{1} << 20;
constexpr std::size_t kSendfileTurn = std::size_t{8} << 20;
/// After an error response with a request body still arriving, read and drop the body for a while
/// before closing (like nginx's lingering close), so a client that first writes its whole body and
/// then reads sees the response rather than a connection reset. Bounded in bytes, in total time
/// and in time without data.
constexpr std::size_t kLingerBytes = std::size_t{64} << 20;
constexpr auto kLingerTime = 10s;
constexpr auto kLingerIdle = 2s;
/// Upload bodies are read in larger pieces than the rest: fewer syscalls per byte on the hot path.
constexpr std::size_t kUploadPieceSize = std::size_t{256} << 10;
/// An upload starts with a small piece buffer and gets kUploadPieceSize once a read fills it, so
/// thousands of slow uploads hold kilobytes each, not a full piece.
constexpr std::size_t kFirstUploadPieceSize = std::size_t{16} << 10;
/// Upload pieces read straight from the socket per turn before yielding to the reactor.
constexpr int kSpeculativePieces = 16;
/// Passed to endUploadBody instead of an errno when the body's framing is not Content-Length.
constexpr int kFramingError = -1;
/// nginx's "client closed request": logged and counted when the connection ended mid-request.
constexpr unsigned kClientClosedRequest = 499;

template <class Stream>
constexpr bool kIsTls = std::is_same_v<Stream, TlsStream>;

/// Request ids only need to be unique enough to find a request in the logs; they protect nothing.
/// A per-thread generator seeded once from the CSPRNG spares a getrandom(2) call per request.
std::string newRequestId() {
    thread_local std::uint64_t state = [] {
        std::array<std::uint8_t, 8> seed{};
        ots::randomBytes(seed);
        std::uint64_t value = 0;
        for (const std::uint8_t byte : seed)
            value = (value << 8) | byte;
        return value;
    }();
    // splitmix64
    state += 0x9E3779B97F4A7C15ULL;
    std::uint64_t z = state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string id(16, '0');
    for (std::size_t i = 0; i < 16; ++i)
        id[15 - i] = kHex[(z >> (4 * i)) & 0xF];
    return id;
}

} // namespace

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, const SessionServices& services,
                                 ConnectionTracker::ClientSlot clientSlot)
    : m_stream(std::move(stream))
    , m_services(services)
    // Room for the largest header plus one read; Beast never reads more than 64 KiB at once.
    , m_buffer(services.config.headerLimit + kChunkSize)
    , m_clientSlot(std::move(clientSlot))
    , m_framer(services.config.headerLimit, services.config.jsonBodyLimit) {
    m_services.metrics.connectionOpened();
}

template <class Stream>
HttpSession<Stream>::~HttpSession() {
    closeFile();
    if (m_trackerId != 0)
        m_services.connections.remove(m_trackerId);
    m_services.metrics.connectionClosed();
}

template <class Stream>
void HttpSession<Stream>::start() {
    m_trackerId = m_services.connections.add(this->weak_from_this());
    asio::dispatch(m_stream.get_executor(),
                   beast::bind_front_handler(&HttpSession::onStart, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::drain() {
    asio::post(m_stream.get_executor(), [self = this->shared_from_this()] {
        // Between requests with nothing of the next one received: close now. Anything else
        // finishes its request first and closes afterwards (keep-alive is off while draining).
        if (self->m_phase == Phase::Handshake || (self->m_phase == Phase::Idle && self->m_buffer.size() == 0))
            beast::get_lowest_layer(self->m_stream).cancel();
    });
}

template <class Stream>
void HttpSession<Stream>::onStart() {
    beast::error_code error;
    const auto endpoint = beast::get_lowest_layer(m_stream).socket().remote_endpoint(error);
    if (error)
        return closeNow();
    m_peer = endpoint.address();
    if (m_services.connections.draining())
        return closeNow();
    if constexpr (kIsTls<Stream>) {
        beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
        m_stream.async_handshake(
            asio::ssl::stream_base::server,
            beast::bind_front_handler(&HttpSession::onHandshake, this->shared_from_this()));
    } else {
        readHeader();
    }
}

template <class Stream>
void HttpSession<Stream>::onHandshake(beast::error_code error) {
    if (error) {
        Log::debug("tls handshake failed", {{"error", error.message()}});
        return closeNow();
    }
    readHeader();
}

template <class Stream>
void HttpSession<Stream>::readHeader() {
    m_phase = Phase::Idle;
    m_framer.reset();
    if (m_services.connections.draining() && m_buffer.size() == 0)
        return shutdownAndClose();
    // An idle keep-alive connection should not sit on an upload-sized buffer.
    if (m_buffer.size() == 0 && m_buffer.capacity() > (std::size_t{16} << 10))
        m_buffer.shrink_to_fit();
    m_bytesIn = 0;
    // One deadline for the whole header, however many reads it takes.
    beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
    parseRequest();
}

template <class Stream>
void HttpSession<Stream>::parseRequest() {
    const RequestFramer::Phase before = m_framer.phase();
    const std::size_t used =
        m_framer.feed(std::string_view(static_cast<const char*>(m_buffer.data().data()), m_buffer.size()));
    m_buffer.consume(used);
    m_bytesIn += used;
    m_services.metrics.bytesIn(used);
    switch (m_framer.phase()) {
    case RequestFramer::Phase::Header:
    case RequestFramer::Phase::JsonBody:
        return readRequest();
    case RequestFramer::Phase::Failed:
        if (before == RequestFramer::Phase::Header)
            beginRequest();
        return writeResponse(Response(m_framer.failure().response), true);
    case RequestFramer::Phase::Routing:
        beginRequest();
        return dispatch();
    case RequestFramer::Phase::Done:
        return onJsonBody();
    case RequestFramer::Phase::UploadBody:
        break;
    }
}

template <class Stream>
void HttpSession<Stream>::readRequest() {
    // As Beast's own reads: what the buffer has room for, at least 512 bytes, at most kChunkSize.
    const std::size_t want = beast::read_size(m_buffer, kChunkSize);
    if (want == 0) {
        // Cannot happen with the buffer's headerLimit + kChunkSize (the header limit strikes first), but
        // a full buffer must never spin.
        if (m_phase != Phase::Busy)
            beginRequest();
        return respondError(http::status::bad_request, "bad_request", "The HTTP request is malformed.", true);
    }
    m_stream.async_read_some(m_buffer.prepare(want),
                             beast::bind_front_handler(&HttpSession::onRead, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::onRead(beast::error_code error, std::size_t bytes) {
    m_buffer.commit(bytes);
    if (error) {
        if (m_framer.phase() == RequestFramer::Phase::Header) {
            if (error == beast::error::timeout && m_buffer.size() > 0)
                Log::debug("request header timed out", {{"client", m_peer.to_string()}});
            return closeNow();
        }
        // Gone mid-body (or too slow): nothing to answer.
        finishRequest(kClientClosedRequest, true);
        return closeNow();
    }
    parseRequest();
}

template <class Stream>
void HttpSession<Stream>::beginRequest() {
    m_phase = Phase::Busy;
    m_requestStart = std::chrono::steady_clock::now();
    m_bytesOut = 0;
    m_status = 0;
    m_context.requestId = newRequestId();
    m_context.clientAddress = m_services.clientAddress.resolve(m_peer, m_framer.header());
    m_context.clientBucket = m_services.clientAddress.clientBucket(m_peer, m_framer.header());
    m_route = Route{};
}

template <class Stream>
void HttpSession<Stream>::dispatch() {
    std::optional<RequestFramer::Dispatch> decided;
    try {
        decided.emplace(m_framer.dispatch(m_services.api, m_services.connections.draining()));
    } catch (const std::exception& e) {
        Log::error("routing failed", {{"rid", m_context.requestId}, {"error", e.what()}});
        return respondError(http::status::bad_request, "bad_request", "The request could not be routed.",
                            true);
    }
    m_route = std::move(decided->route);
    if (decided->answer)
        return writeResponse(std::move(decided->answer->response), decided->answer->close);

    switch (m_route.kind) {
    case RouteKind::Static:
        if (m_route.endpoint == Endpoint::Readyz) {
            return offload(
                [self = this->shared_from_this()](RedisConnection& redis) {
                    return self->m_services.api.handleReadyz(self->m_framer.header(), redis);
                },
                [](HttpSession& session, Response response) { session.writeResponse(std::move(response)); });
        }
        try {
            return writeResponse(m_services.api.handleStatic(m_route, m_framer.header(), m_context));
        } catch (const std::exception& e) {
            Log::error("request failed", {{"rid", m_context.requestId}, {"error", e.what()}});
            return respondError(http::status::service_unavailable, "unavailable",
                                "The relay failed to answer.");
        }
    case RouteKind::Json:
        // The framer reads the body: from the bytes that came with the header, then from the socket
        // under one deadline.
        beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
        return parseRequest();
    case RouteKind::Upload:
        return offload(
            [self = this->shared_from_this()](RedisConnection& redis) {
                return self->m_services.api.beginUpload(self->m_route, self->m_framer.header(),
                                                        self->m_context, redis);
            },
            [](HttpSession& session, std::variant<Response, UploadPlan> result) {
                session.onUploadPlan(std::move(result));
            });
    case RouteKind::Download:
        return offload(
            [self = this->shared_from_this()](RedisConnection& redis) {
                return self->m_services.api.beginDownload(self->m_route, self->m_framer.header(),
                                                          self->m_context, redis);
            },
            [](HttpSession& session, std::variant<Response, DownloadPlan> result) {
                session.onDownloadPlan(std::move(result));
            });
    case RouteKind::NotFound:
    case RouteKind::MethodNotAllowed:
        break; // the framer answered these
    }
    respondError(http::status::not_found, "not_found", "There is nothing at this path.");
}

// JSON routes ------------------------------------------------------------------------------------

template <class Stream>
void HttpSession<Stream>::onJsonBody() {
    std::string body = m_framer.takeJsonBody();
    struct Answer {
        Response response;
        Api::AfterAnswer after;
    };
    offload(
        [self = this->shared_from_this(), body = std::move(body)](RedisConnection& redis) {
            Answer answer;
            answer.response = self->m_services.api.handleJson(self->m_route, self->m_framer.header(), body,
                                                              self->m_context, redis, &answer.after);
            return answer;
        },
        [](HttpSession& session, Answer answer) {
            session.writeResponse(std::move(answer.response));
            // The answer is on its way; a destroyed share's files go now (post() refuses only once the
            // relay is stopping: the sweeper then removes them).
            if (answer.after)
                session.m_services.workers.post(std::move(answer.after));
        });
}

// Uploads ----------------------------------------------------------------------------------------

template <class Stream>
void HttpSession<Stream>::onUploadPlan(std::variant<Response, UploadPlan> result) {
    if (auto* response = std::get_if<Response>(&result))
        return writeResponse(std::move(*response));
    m_upload = std::move(std::get<UploadPlan>(result));
    if (m_framer.beginUpload(m_upload->length))
        return endUploadBody(false, false, kFramingError);
    if (m_framer.expectsContinue()) {
        // The client waits for this before it sends the body: all checks passed, so go ahead.
        m_continue.emplace(http::status::continue_, m_framer.header().version());
        beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
        return http::async_write(
            m_stream, *m_continue,
            [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
                self->m_continue.reset();
                self->m_bytesOut += bytes;
                self->m_services.metrics.bytesOut(bytes);
                if (error)
                    return self->endUploadBody(false, true, 0);
                self->startUploadBody();
            });
    }
    startUploadBody();
}

template <class Stream>
void HttpSession<Stream>::startUploadBody() {
    // Exactly Content-Length bytes follow the header (the framer refused anything else), read straight
    // into the piece buffer and handed to the store's append without a detour through a parser.
    m_rateWindowEnd = std::chrono::steady_clock::now() + m_services.config.minUploadWindow;
    m_rateWindowBytes = 0;
    m_chunk = std::make_unique<char[]>(kFirstUploadPieceSize);
    m_uploadPieceSize = kFirstUploadPieceSize;
    // Body bytes that arrived together with the header.
    const std::string_view early = m_framer.uploadPiece(
        std::string_view(static_cast<const char*>(m_buffer.data().data()), m_buffer.size()));
    if (!early.empty()) {
        if (!storeUploadBytes(early.data(), early.size()))
            return;
        m_buffer.consume(early.size());
        m_bytesIn += early.size();
        m_services.metrics.bytesIn(early.size());
    }
    readUploadPiece();
}

template <class Stream>
bool HttpSession<Stream>::storeUploadBytes(const char* data, std::size_t size) {
    if (const int writeError = m_upload->append->write(data, size)) {
        Log::error("cannot store upload bytes",
                   {{"rid", m_context.requestId}, {"error", std::strerror(writeError)}});
        endUploadBody(false, false, writeError);
        return false;
    }
    m_framer.uploadStored(size);
    // The minimum rate: enough bytes in this window starts the next one.
    m_rateWindowBytes += size;
    if (m_rateWindowBytes >= m_services.config.minUploadBytes) {
        m_rateWindowEnd = std::chrono::steady_clock::now() + m_services.config.minUploadWindow;
        m_rateWindowBytes = 0;
    }
    return true;
}

template <class Stream>
void HttpSession<Stream>::readUploadPiece() {
    if (m_framer.uploadRemaining() == 0)
        return endUploadBody(true, false, 0);
    if constexpr (std::is_same_v<Stream, PlainStream>) {
        // Take what the kernel already holds without a round trip through the reactor, a bounded
        // number of pieces per turn so one fast upload does not starve the other connections.
        asio::ip::tcp::socket& socket = m_stream.socket();
        if (!socket.non_blocking())
            socket.non_blocking(true);
        for (int piece = 0; piece < kSpeculativePieces && m_framer.uploadRemaining() > 0; ++piece) {
            const std::size_t want = m_framer.uploadWant(m_uploadPieceSize);
            beast::error_code error;
            const std::size_t bytes = socket.read_some(asio::buffer(m_chunk.get(), want), error);
            if (error == asio::error::would_block || error == asio::error::try_again)
                break;
            m_bytesIn += bytes;
            m_services.metrics.bytesIn(bytes);
            if (bytes > 0 && !storeUploadBytes(m_chunk.get(), bytes))
                return;
            if (error)
                return endUploadBody(false, true, 0);
            growUploadPiece(bytes); // after the bytes are stored: it replaces the buffer
        }
        if (m_framer.uploadRemaining() == 0)
            return endUploadBody(true, false, 0);
    }
    const std::size_t want = m_framer.uploadWant(m_uploadPieceSize);
    // Whichever comes first: the idle timeout, or the end of a window that has not brought
    // min-upload-rate bytes. Either cuts the connection; the bytes that did arrive are kept.
    const auto now = std::chrono::steady_clock::now();
    const auto idleEnd = now + m_services.config.idleTimeout;
    if (m_rateWindowEnd <= now) {
        m_services.metrics.slowUploadCut();
        return endUploadBody(false, true, 0);
    }
    beast::get_lowest_layer(m_stream).expires_at(std::min(idleEnd, m_rateWindowEnd));
    m_stream.async_read_some(
        asio::buffer(m_chunk.get(), want),
        beast::bind_front_handler(&HttpSession::onUploadPiece, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::onUploadPiece(beast::error_code error, std::size_t bytes) {
    m_bytesIn += bytes;
    m_services.metrics.bytesIn(bytes);
    if (bytes > 0 && !storeUploadBytes(m_chunk.get(), bytes))
        return;
    if (error) {
        if (error == beast::error::timeout && std::chrono::steady_clock::now() >= m_rateWindowEnd)
            m_services.metrics.slowUploadCut();
        return endUploadBody(false, true, 0);
    }
    growUploadPiece(bytes); // after the bytes are stored: it replaces the buffer
    readUploadPiece();
}

template <class Stream>
void HttpSession<Stream>::growUploadPiece(std::size_t lastRead) {
    // A read that filled the small buffer: the data comes fast, so take full pieces from now on.
    if (lastRead == m_uploadPieceSize && m_uploadPieceSize < kUploadPieceSize) {
        m_chunk = std::make_unique<char[]>(kUploadPieceSize);
        m_uploadPieceSize = kUploadPieceSize;
    }
}

template <class Stream>
void HttpSession<Stream>::endUploadBody(bool bodyComplete, bool connectionLost, int writeError) {
    m_chunk.reset();
    // Always reaches Redis, even when the pool is busy: it releases the append's lease and records
    // the bytes that did arrive, so the client can resume from there.
    auto self = this->shared_from_this();
    const bool queued = m_services.workers.post([self, received = m_framer.uploadReceived(), bodyComplete,
                                                 connectionLost, writeError](RedisConnection& redis) {
        std::optional<Response> response;
        try {
            response = self->m_services.api.finishUpload(*self->m_upload, received, bodyComplete,
                                                         self->m_context, redis);
        } catch (const std::exception& e) {
            Log::error("finishing an upload failed",
                       {{"rid", self->m_context.requestId}, {"error", e.what()}});
        }
        asio::post(self->m_stream.get_executor(),
                   [self, response = std::move(response), connectionLost, writeError]() mutable {
                       self->m_upload.reset();
                       if (connectionLost) {
                           self->finishRequest(kClientClosedRequest, true);
                           return self->closeNow();
                       }
                       if (writeError == ENOSPC || writeError == EDQUOT)
                           return self->respondError(http::status::insufficient_storage, "storage_full",
                                                     "The relay's disk is full.", true);
                       if (writeError == kFramingError)
                           return self->writeResponse(Response(self->m_framer.failure().response), true);
                       if (writeError != 0 || !response)
                           return self->respondError(http::status::service_unavailable, "unavailable",
                                                     "The relay could not store the upload.", true);
                       self->writeResponse(std::move(*response));
                   });
    });
    if (!queued) {
        m_upload.reset();
        respondError(http::status::service_unavailable, "unavailable", "The relay is shutting down.", true);
    }
}

// Downloads --------------------------------------------------------------------------------------

template <class Stream>
void HttpSession<Stream>::onDownloadPlan(std::variant<Response, DownloadPlan> result) {
    if (auto* response = std::get_if<Response>(&result))
        return writeResponse(std::move(*response));
    DownloadPlan& plan = std::get<DownloadPlan>(result);
    m_source = std::move(plan.source);
    m_downloadOffset = plan.first;
    m_downloadRemaining = plan.count;
    m_downloadResponse.emplace(std::move(plan.header.base()));
    decorate(*m_downloadResponse, false);
    m_downloadResponse->content_length(plan.count);
    m_status = m_downloadResponse->result_int();
    m_downloadResponse->body().data = nullptr;
    m_downloadResponse->body().more = true;
    m_downloadSerializer.emplace(*m_downloadResponse);
    if (std::is_same_v<Stream, PlainStream> && m_source->fileDescriptor() >= 0) {
        // The head through Beast, the body straight from the file (Content-Length framing: the body
        // is the bare bytes).
        beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
        http::async_write_header(
            m_stream, *m_downloadSerializer,
            [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
                self->m_bytesOut += bytes;
                self->m_services.metrics.bytesOut(bytes);
                if (error) {
                    self->closeFile();
                    self->finishRequest(self->m_status, true);
                    return self->closeNow();
                }
                self->sendFileBody();
            });
    } else {
        m_chunk = std::make_unique<char[]>(kChunkSize);
        sendDownloadPiece();
    }
}

template <class Stream>
void HttpSession<Stream>::sendFileBody() {
    auto& socket = beast::get_lowest_layer(m_stream).socket();
    const auto fail = [this](const char* what, int error) {
        if (what != nullptr)
            Log::error(what, {{"rid", m_context.requestId}, {"error", std::strerror(error)}});
        closeFile();
        finishRequest(m_status, true);
        closeNow();
    };
    beast::error_code ignored;
    socket.native_non_blocking(true, ignored);
    std::size_t thisTurn = 0;
    while (m_downloadRemaining > 0) {
        if (thisTurn >= kSendfileTurn) {
            // Fair to the other sessions of this thread: go on in a later turn.
            return asio::post(m_stream.get_executor(),
                              [self = this->shared_from_this()] { self->sendFileBody(); });
        }
        off_t offset = static_cast<off_t>(m_downloadOffset);
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(kSendfileCall, m_downloadRemaining));
        const ssize_t sent = ::sendfile(socket.native_handle(), m_source->fileDescriptor(), &offset, want);
        if (sent > 0) {
            const auto bytes = static_cast<std::size_t>(sent);
            m_downloadOffset += bytes;
            m_downloadRemaining -= bytes;
            m_bytesOut += bytes;
            m_services.metrics.bytesOut(bytes);
            thisTurn += bytes;
            continue;
        }
        if (sent == 0) // the file ended early: part of the answer is out, so only a cut is honest
            return fail("cannot read blob", EIO);
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) { // EWOULDBLOCK is EAGAIN on Linux
            // EPIPE / ECONNRESET: the client went away; anything else is the relay's own trouble.
            const int error = errno;
            return fail(error == EPIPE || error == ECONNRESET ? nullptr : "cannot send blob", error);
        }
        // The socket is full: wait until it drains, at most the idle timeout.
        if (!m_sendTimer)
            m_sendTimer.emplace(m_stream.get_executor());
        m_sendTimer->expires_after(m_services.config.idleTimeout);
        m_sendTimer->async_wait([weak = this->weak_from_this()](beast::error_code error) {
            if (error)
                return; // cancelled: the socket became writable (or the session ended)
            if (auto self = weak.lock()) {
                beast::error_code ignoredError;
                beast::get_lowest_layer(self->m_stream).socket().cancel(ignoredError);
            }
        });
        socket.async_wait(asio::socket_base::wait_write,
                          [self = this->shared_from_this()](beast::error_code error) {
                              self->m_sendTimer->cancel();
                              if (error) {
                                  // Timed out (the client stopped reading) or the connection is gone.
                                  self->closeFile();
                                  self->finishRequest(self->m_status, true);
                                  return self->closeNow();
                              }
                              self->sendFileBody();
                          });
        return;
    }
    finishDownload();
}

template <class Stream>
void HttpSession<Stream>::sendDownloadPiece() {
    if (m_downloadRemaining == 0)
        return writeDownloadPiece(0);
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunkSize, m_downloadRemaining));
    // The store's deadline is its own (a local read never waits; S3 has its timeout); the socket's
    // deadline starts once the bytes are there.
    m_source->asyncRead(m_stream.get_executor(), std::span<char>(m_chunk.get(), want),
                        [self = this->shared_from_this()](int readError, std::size_t bytes) {
                            if (readError != 0 || bytes == 0) {
                                // Part of the response may be out already: the only honest signal
                                // left is a cut connection.
                                Log::error("cannot read blob",
                                           {{"rid", self->m_context.requestId},
                                            {"error", std::strerror(readError != 0 ? readError : EIO)}});
                                self->closeFile();
                                self->finishRequest(self->m_status, true);
                                return self->closeNow();
                            }
                            self->writeDownloadPiece(std::min<std::size_t>(bytes, self->m_downloadRemaining));
                        });
}

template <class Stream>
void HttpSession<Stream>::writeDownloadPiece(std::size_t bytes) {
    auto& body = m_downloadResponse->body();
    m_pieceSize = bytes;
    body.data = bytes > 0 ? m_chunk.get() : nullptr;
    body.size = bytes;
    body.more = m_downloadRemaining > bytes;
    beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
    http::async_write(m_stream, *m_downloadSerializer,
                      beast::bind_front_handler(&HttpSession::onDownloadPiece, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::onDownloadPiece(beast::error_code error, std::size_t bytes) {
    if (error == http::error::need_buffer)
        error = {}; // this piece is out: read the next one
    m_bytesOut += bytes;
    m_services.metrics.bytesOut(bytes);
    if (error) {
        closeFile();
        finishRequest(m_status, true);
        return closeNow();
    }
    m_downloadOffset += m_pieceSize;
    m_downloadRemaining -= m_pieceSize;
    if (!m_downloadSerializer->is_done())
        return sendDownloadPiece();
    finishDownload();
}

template <class Stream>
void HttpSession<Stream>::finishDownload() {
    closeFile();
    m_chunk.reset();
    m_downloadSerializer.reset();
    m_downloadResponse.reset();
    finishRequest(m_status);
    if (m_keepAlive)
        return readHeader();
    shutdownAndClose();
}

// Responses --------------------------------------------------------------------------------------

template <class Stream>
template <class Work, class Then>
void HttpSession<Stream>::offload(Work work, Then then) {
    auto self = this->shared_from_this();
    const bool queued =
        m_services.workers.tryPost([self, work = std::move(work), then](RedisConnection& redis) mutable {
            using Result = decltype(work(redis));
            std::optional<Result> result;
            try {
                result.emplace(work(redis));
            } catch (const std::exception& e) {
                Log::error("request failed", {{"rid", self->m_context.requestId}, {"error", e.what()}});
            }
            asio::post(self->m_stream.get_executor(), [self, then, result = std::move(result)]() mutable {
                if (!result)
                    return self->respondError(http::status::service_unavailable, "unavailable",
                                              "The relay failed to answer; try again.");
                then(*self, std::move(*result));
            });
        });
    if (!queued) {
        // A slow Redis must not grow an unbounded backlog: say so now and let the client retry.
        respondError(http::status::service_unavailable, "unavailable",
                     "The relay is busy; try again shortly.");
    }
}

template <class Stream>
void HttpSession<Stream>::respondError(http::status status, std::string_view code, std::string_view message,
                                       bool close) {
    writeResponse(Api::error(m_framer.header(), status, code, message), close);
}

template <class Stream>
template <class Message>
void HttpSession<Stream>::decorate(Message& message, bool close) {
    message.set(http::field::server, "ots-relay");
    message.set("X-Request-Id", m_context.requestId);
    if (message.find(http::field::cache_control) == message.end())
        message.set(http::field::cache_control, "no-store");
    if (message.find("Referrer-Policy") == message.end())
        message.set("Referrer-Policy", "no-referrer");
    if (message.result() == http::status::service_unavailable &&
        message.find(http::field::retry_after) == message.end())
        message.set(http::field::retry_after, "1");
    m_keepAlive = !close && m_framer.keepAlive(message.keep_alive()) && !m_services.connections.draining();
    message.keep_alive(m_keepAlive);
}

template <class Stream>
void HttpSession<Stream>::writeResponse(Response response, bool close) {
    decorate(response, close);
    // 1xx, 204 and 304 carry no body and, per RFC 9110, no Content-Length either.
    const unsigned status = response.result_int();
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (!bodiless && !response.has_content_length() && !response.chunked())
        response.prepare_payload();
    m_status = response.result_int();
    m_response.emplace(std::move(response));
    beast::get_lowest_layer(m_stream).expires_after(m_services.config.idleTimeout);
    http::async_write(m_stream, *m_response,
                      beast::bind_front_handler(&HttpSession::onWrite, this->shared_from_this()));
}

template <class Stream>
void HttpSession<Stream>::onWrite(beast::error_code error, std::size_t bytes) {
    m_bytesOut += bytes;
    m_services.metrics.bytesOut(bytes);
    m_response.reset();
    finishRequest(m_status, static_cast<bool>(error));
    if (error)
        return closeNow();
    if (m_keepAlive)
        return readHeader();
    shutdownAndClose();
}

template <class Stream>
void HttpSession<Stream>::finishRequest(unsigned status, bool aborted) {
    const unsigned counted = aborted ? kClientClosedRequest : status;
    m_services.metrics.requestFinished(m_route.endpoint, counted);
    if (!Log::enabled(LogLevel::Info))
        return;
    const double ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - m_requestStart).count();
    boost::json::object fields{
        {"rid", m_context.requestId},
        {"method", std::string(m_framer.header().method_string())},
        {"route", m_route.label()},
        {"status", counted},
        {"ms", ms},
        {"bytes_in", m_bytesIn},
        {"bytes_out", m_bytesOut},
        {"client", m_context.clientAddress},
    };
    if (aborted)
        fields["aborted"] = true;
    Log::info("request", fields);
}

// Closing ----------------------------------------------------------------------------------------

template <class Stream>
void HttpSession<Stream>::shutdownAndClose() {
    m_phase = Phase::Closing;
    auto& tcp = beast::get_lowest_layer(m_stream);
    if constexpr (kIsTls<Stream>) {
        tcp.expires_after(kLingerIdle);
        m_stream.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->closeNow(); });
    } else {
        beast::error_code ignored;
        tcp.socket().shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        if (!m_framer.bodyPending())
            return closeNow();
        // Unread body bytes would make close() send a reset, and a reset can destroy the response
        // in the client's receive buffer before it reads it. Drain a bounded amount first.
        m_lingered = 0;
        m_lingerDeadline = std::chrono::steady_clock::now() + kLingerTime;
        linger();
    }
}

template <class Stream>
void HttpSession<Stream>::linger() {
    const auto now = std::chrono::steady_clock::now();
    if (now >= m_lingerDeadline)
        return closeNow();
    m_buffer.clear();
    auto& tcp = beast::get_lowest_layer(m_stream);
    tcp.expires_after(std::min<std::chrono::steady_clock::duration>(kLingerIdle, m_lingerDeadline - now));
    tcp.async_read_some(m_buffer.prepare(kChunkSize),
                        [self = this->shared_from_this()](beast::error_code error, std::size_t bytes) {
                            self->m_lingered += bytes;
                            self->m_services.metrics.bytesIn(bytes);
                            if (error || self->m_lingered >= kLingerBytes)
                                return self->closeNow();
                            self->linger();
                        });
}

template <class Stream>
void HttpSession<Stream>::closeNow() {
    m_phase = Phase::Closing;
    closeFile();
    beast::get_lowest_layer(m_stream).close();
}

template <class Stream>
void HttpSession<Stream>::closeFile() noexcept {
    m_source.reset();
}

template class HttpSession<PlainStream>;
template class HttpSession<TlsStream>;

} // namespace ots::relay
