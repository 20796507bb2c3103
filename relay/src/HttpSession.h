#pragma once

// One HTTP/1.1 connection, plain or TLS (the same code runs over both stream types): its I/O. It
// keeps itself alive with shared_from_this and runs on its connection's io_context, which one thread
// runs, so its state needs no locks. What the bytes mean is the RequestFramer's (RequestFramer.h, no
// socket, also driven by tst_request_framer and the fuzzer): header and body limits, the framing
// checks, which body a route has, the error answer to each parse failure, 100-continue and whether
// the connection is kept alive. The session moves the bytes. Discipline, as in Beast's examples:
//   - every read and write has a deadline (Config::idleTimeout; one for a whole header or JSON body,
//     however many reads it takes), so slowloris clients are cut; an upload body also has a minimum
//     rate (min-upload-rate per min-upload-rate-window);
//   - one request at a time: the next header is read only after the response is written, so no
//     responses queue up behind a slow reader;
//   - bodies stream: upload bytes are read straight into a piece buffer (no more than the framer
//     says remain) and go to the blob store's append; downloads go out of the store 64 KiB at a time
//     (or by sendfile(2) from a local blob file), so memory per connection stays small whatever the size;
//   - after an error answer with a body still arriving it lingers, reading and dropping a bounded
//     amount, so the client sees the answer rather than a reset;
//   - everything that needs Redis runs on the WorkerPool; the result is posted back here.

#include "Api.h"
#include "ConnectionTracker.h"
#include "RequestFramer.h"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>

namespace ots::relay {

class ClientAddress;
class Metrics;
class WorkerPool;

/// What every session of one server shares. All references outlive the sessions.
struct SessionServices {
    const Config& config;
    Api& api;
    Metrics& metrics;
    WorkerPool& workers;
    const ClientAddress& clientAddress;
    ConnectionTracker& connections;
};

using PlainStream = boost::beast::tcp_stream;
using TlsStream = boost::beast::ssl_stream<boost::beast::tcp_stream>;

template <class Stream>
class HttpSession final : public ConnectionTracker::Connection,
                          public std::enable_shared_from_this<HttpSession<Stream>> {
public:
    /// The stream's executor must be the io_context (one thread) this session runs on. clientSlot
    /// counts the connection against its client's cap until the session ends.
    HttpSession(Stream stream, const SessionServices& services, ConnectionTracker::ClientSlot clientSlot);
    HttpSession(const HttpSession&) = delete;
    HttpSession& operator=(const HttpSession&) = delete;
    ~HttpSession() override;

    /// Registers with the tracker and starts (TLS handshake, then the first request). Call once.
    void start();
    /// Closes the connection if it is idle between requests; a busy one closes after its response.
    void drain() override;

private:
    enum class Phase { Handshake, Idle, Busy, Closing };
    using DownloadResponse = http::response<http::buffer_body>;
    using DownloadSerializer = http::response_serializer<http::buffer_body>;

    void onStart();
    void onHandshake(boost::beast::error_code error);
    /// Starts the next request (the framer's reset) and parses what the buffer holds of it.
    void readHeader();
    /// Feeds the buffer to the framer and acts on its phase: reads more, answers, or dispatches.
    void parseRequest();
    void readRequest();
    void onRead(boost::beast::error_code error, std::size_t bytes);
    void beginRequest();
    void dispatch();

    void onJsonBody();

    void onUploadPlan(std::variant<Response, UploadPlan> result);
    void startUploadBody();
    /// Hands bytes to the store's append; on failure ends the upload (and answers) and returns false.
    [[nodiscard]] bool storeUploadBytes(const char* data, std::size_t size);
    void readUploadPiece();
    void onUploadPiece(boost::beast::error_code error, std::size_t bytes);
    void growUploadPiece(std::size_t lastRead);
    void endUploadBody(bool bodyComplete, bool connectionLost, int writeError);

    void onDownloadPlan(std::variant<Response, DownloadPlan> result);
    /// Store → buffer → socket, one piece at a time (TLS, or a store without a local file).
    void sendDownloadPiece();
    void writeDownloadPiece(std::size_t bytes);
    void onDownloadPiece(boost::beast::error_code error, std::size_t bytes);
    /// Plain TCP: the body goes from the blob file to the socket with sendfile(2), no copy through
    /// the relay's memory; waits for the socket with the idle timeout when it is full.
    void sendFileBody();
    void finishDownload();

    /// Runs work(redis) on the worker pool and then(result) back on this session's executor; if
    /// the pool's queue is full, answers 503 at once.
    template <class Work, class Then>
    void offload(Work work, Then then);

    void respondError(http::status status, std::string_view code, std::string_view message,
                      bool close = false);
    void writeResponse(Response response, bool close = false);
    void onWrite(boost::beast::error_code error, std::size_t bytes);
    template <class Message>
    void decorate(Message& message, bool close);
    void finishRequest(unsigned status, bool aborted = false);

    void shutdownAndClose();
    void linger();
    void closeNow();
    void closeFile() noexcept; ///< ends the download's read of the store

    Stream m_stream;
    SessionServices m_services;
    boost::beast::flat_buffer m_buffer;
    std::uint64_t m_trackerId = 0;
    ConnectionTracker::ClientSlot m_clientSlot;
    boost::asio::ip::address m_peer;
    Phase m_phase = Phase::Handshake;

    // The request in progress.
    RequestFramer m_framer;
    Route m_route;
    RequestContext m_context;
    std::chrono::steady_clock::time_point m_requestStart;
    std::uint64_t m_bytesIn = 0;
    std::uint64_t m_bytesOut = 0;
    bool m_keepAlive = false;
    unsigned m_status = 0;
    std::optional<Response> m_response;
    std::optional<http::response<http::empty_body>> m_continue;
    std::size_t m_lingered = 0;
    std::chrono::steady_clock::time_point m_lingerDeadline;

    // Streaming bodies (one of them at a time).
    std::unique_ptr<char[]> m_chunk;
    std::size_t m_uploadPieceSize = 0;  ///< the size of m_chunk while an upload body streams
    std::unique_ptr<BlobRead> m_source; ///< the download's bytes
    std::optional<UploadPlan> m_upload;
    /// The minimum body rate (min-upload-rate per min-upload-rate-window): the current window ends
    /// here, and this many bytes have arrived in it. Reads never wait past the window's end.
    std::chrono::steady_clock::time_point m_rateWindowEnd;
    std::uint64_t m_rateWindowBytes = 0;
    std::optional<DownloadResponse> m_downloadResponse;
    std::optional<DownloadSerializer> m_downloadSerializer;
    std::uint64_t m_downloadOffset = 0;
    std::uint64_t m_downloadRemaining = 0;
    std::size_t m_pieceSize = 0;
    std::optional<boost::asio::steady_timer> m_sendTimer; ///< the idle timeout of a sendfile wait
};

extern template class HttpSession<PlainStream>;
extern template class HttpSession<TlsStream>;

} // namespace ots::relay
