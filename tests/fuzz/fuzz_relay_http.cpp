// libFuzzer target for the relay's request handling: the input is raw bytes from a client's side of one
// HTTP/1.1 connection. They go through the relay's own RequestFramer (relay/src/RequestFramer.h, what
// HttpSession feeds its socket's bytes to: header limit, framing checks, JSON body within its limit,
// upload body framed by Content-Length and written to the plan's append, the answers to parse failures,
// keep-alive) and the relay's Api (ots_relay_core_requests, no sockets) against a real redis-server and
// a real data folder, and every response is serialised and parsed back. Up to kMaxRequests pipelined
// requests per input, as long as the framer keeps the connection alive.
//
// So that inputs reach past "no such share", the literal "$ID" in a request stands for the id of the
// last share this input created and "$OWNER" for its owner token (the seeds in
// tests/fuzz/corpus/fuzz_relay_http use them: create, then upload, complete, info, …).
//
// Crashes: any sanitizer report; an exception escaping the Api other than a Redis failure (the
// session would answer 503 to what must be a 4xx); a response that does not serialise and parse back
// to the same status and body; an error response (4xx/5xx with a body) that is not the API's
// {"error": CODE, "message": TEXT}; a 5xx other than "unavailable" while Redis is up.
//
// The redis-server is started once (tests/relay/RedisServer.h, free loopback port, own folder) and
// stopped by its PID at exit. libFuzzer ends a crashing, timed-out or out-of-memory run with _Exit,
// past every destructor: a forked watchdog that holds the read end of a pipe kills that one PID when
// the pipe closes, i.e. whenever and however this process ends.

#include "Api.h"
#include "LocalBlobStore.h"
#include "Metrics.h"
#include "RedisConnection.h"
#include "RedisServer.h"
#include "RequestFramer.h"
#include "ots/Crypto.h"

#include <QTemporaryDir>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <csignal>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fcntl.h>
#include <filesystem>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <unistd.h>

using namespace ots::relay;
namespace beast = boost::beast;

namespace {

constexpr int kMaxRequests = 8;
/// Inputs between two wipes of Redis and the data folder, so quota and rate windows never saturate.
constexpr unsigned kWipeEvery = 4000;
/// Download bodies are read up to this much (the fuzzer cannot sign a proof, so plans are rare).
constexpr std::uint64_t kMaxDownloadRead = std::uint64_t{1} << 20;

void require(bool condition, const char* what) {
    if (!condition) {
        std::fprintf(stderr, "fuzz_relay_http: %s\n", what);
        std::abort();
    }
}

struct World {
    ots::test::RedisServer redisServer;
    QTemporaryDir data;
    Config config;
    std::unique_ptr<LocalBlobStore> blobs;
    std::unique_ptr<Metrics> metrics;
    std::unique_ptr<Api> api;
    std::unique_ptr<RedisConnection> redis;
    unsigned runs = 0;
};

World* world = nullptr;

/// Kills `pid` when this process ends, whichever way: a child blocked on a pipe only we hold open.
void killWhenWeDie(pid_t pid) {
    int fds[2];
    require(::pipe(fds) == 0, "pipe");
    const pid_t watchdog = ::fork();
    require(watchdog >= 0, "fork");
    if (watchdog == 0) {
        ::close(fds[1]);
        char byte = 0;
        while (::read(fds[0], &byte, 1) != 0) {
        }
        ::kill(pid, SIGKILL);
        ::_exit(0);
    }
    ::close(fds[0]); // the write end stays open, unused, until this process is gone
}

void stopWorld() {
    delete world; // RedisServer's destructor: SIGTERM to its PID, SIGKILL after a grace period
    world = nullptr;
}

/// Serialises the response as the session writes it and parses it back.
void checkResponse(Response response, const RequestHeader& header) {
    const unsigned status = response.result_int();
    require(status >= 100 && status <= 599, "status out of range");
    const bool bodiless = status < 200 || status == 204 || status == 304;
    if (!bodiless && !response.has_content_length() && !response.chunked())
        response.prepare_payload();
    if (status >= 400 && !response.body().empty()) {
        boost::system::error_code error;
        const boost::json::value value = boost::json::parse(response.body(), error);
        require(!error && value.is_object(), "error body is not a JSON object");
        const auto& object = value.get_object();
        require(object.contains("error") && object.at("error").is_string(), "error body without code");
        require(object.contains("message") && object.at("message").is_string(), "error body without message");
        if (status >= 500 && status != 507) {
            const std::string_view code = object.at("error").get_string();
            require(code == "unavailable" || code == "internal", "unexpected 5xx code");
        }
    }
    std::ostringstream wire;
    wire << response;
    const std::string bytes = wire.str();
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.eager(true); // header and body in one put()
    if (header.method() == http::verb::head)
        parser.skip(true);
    beast::error_code error;
    parser.put(boost::asio::buffer(bytes), error);
    if (!error && !parser.is_done())
        parser.put_eof(error);
    require(!error && parser.is_done(), "response does not parse back");
    require(parser.get().result_int() == status, "status changed on the wire");
    if (header.method() != http::verb::head && !bodiless)
        require(parser.get().body() == response.body(), "body changed on the wire");
}

/// Replaces every `placeholder` in `text` with `value` (unless value is empty).
void substitute(std::string& text, std::string_view placeholder, const std::string& value) {
    if (value.empty())
        return;
    for (std::size_t at = text.find(placeholder); at != std::string::npos;
         at = text.find(placeholder, at + value.size()))
        text.replace(at, placeholder.size(), value);
}

void wipe() {
    (void)world->redis->command({"FLUSHALL"});
    for (const char* folder : {"uploads", "blobs"}) {
        const std::filesystem::path path = std::filesystem::path(world->config.dataDirectory) / folder;
        std::filesystem::remove_all(path);
        std::filesystem::create_directories(path);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    require(ots::initialize().ok(), "libsodium did not initialise");
    world = new World;
    require(world->data.isValid(), "no temporary folder");
    require(world->redisServer.start(), "redis-server did not start (is it installed?)");
    killWhenWeDie(static_cast<pid_t>(world->redisServer.pid()));
    std::atexit(stopWorld);
    Config& config = world->config;
    config.dataDirectory = std::filesystem::path(world->data.path().toStdString());
    config.redisPort = world->redisServer.port();
    config.minExpiry = std::chrono::seconds(1);
    config.createsPerMinutePerIp = 1'000'000;
    config.proofsPerMinutePerIp = 1'000'000;
    world->blobs = std::make_unique<LocalBlobStore>(config.dataDirectory);
    world->metrics = std::make_unique<Metrics>();
    world->api = std::make_unique<Api>(config, *world->blobs, *world->metrics);
    world->redis = std::make_unique<RedisConnection>(config);
    require(world->redis->ping(), "redis-server does not answer");
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (++world->runs % kWipeEvery == 0)
        wipe();
    Api& api = *world->api;
    RedisConnection& redis = *world->redis;
    const Config& config = world->config;
    const RequestContext context{"192.0.2.7", "fuzz", "192.0.2.7"};

    std::string stream(reinterpret_cast<const char*>(data), size); // what the client has not sent yet
    std::string shareId;
    std::string ownerToken;
    RequestFramer framer(config.headerLimit, config.jsonBodyLimit);
    for (int request = 0; request < kMaxRequests && !stream.empty(); ++request) {
        substitute(stream, "$ID", shareId);
        substitute(stream, "$OWNER", ownerToken);
        std::string_view rest(stream);

        framer.reset();
        rest.remove_prefix(framer.feed(rest));
        if (framer.phase() == RequestFramer::Phase::Header)
            return 0; // the input ends inside the header: the client went away
        const RequestHeader& header = framer.header();
        if (framer.phase() == RequestFramer::Phase::Failed) {
            // A malformed or oversized header, or refused framing: answered, and the connection closes.
            require(framer.failure().close, "a framing failure that keeps the connection");
            checkResponse(framer.failure().response, header);
            return 0;
        }
        std::optional<RequestFramer::Dispatch> decided;
        try {
            decided.emplace(framer.dispatch(api, false));
        } catch (const std::exception&) {
            require(false, "route() threw");
        }
        const Route& route = decided->route;

        std::optional<Response> response;
        bool close = false;
        try {
            if (decided->answer) {
                response = std::move(decided->answer->response);
                close = decided->answer->close;
            } else {
                switch (route.kind) {
                case RouteKind::NotFound:
                case RouteKind::MethodNotAllowed:
                    require(false, "the framer left a 404/405 unanswered");
                    break;
                case RouteKind::Static:
                    response = route.endpoint == Endpoint::Readyz ? api.handleReadyz(header, redis)
                                                                  : api.handleStatic(route, header, context);
                    break;
                case RouteKind::Json: {
                    rest.remove_prefix(framer.feed(rest));
                    if (framer.phase() == RequestFramer::Phase::JsonBody)
                        return 0; // the client went away mid-body
                    if (framer.phase() == RequestFramer::Phase::Failed) {
                        response = framer.failure().response;
                        close = true;
                        break;
                    }
                    const std::string body = framer.takeJsonBody();
                    response = api.handleJson(route, header, body, context, redis);
                    if (route.endpoint == Endpoint::CreateShare &&
                        response->result() == http::status::created) {
                        const auto created = boost::json::parse(response->body()).as_object();
                        shareId = std::string(created.at("id").as_string());
                        ownerToken = std::string(created.at("ownerToken").as_string());
                    }
                    break;
                }
                case RouteKind::Upload: {
                    auto plan = api.beginUpload(route, header, context, redis);
                    if (auto* answer = std::get_if<Response>(&plan)) {
                        response = std::move(*answer);
                        break;
                    }
                    const UploadPlan& upload = std::get<UploadPlan>(plan);
                    if (auto refused = framer.beginUpload(upload.length)) {
                        (void)api.finishUpload(upload, 0, false, context, redis);
                        response = std::move(refused->response);
                        close = true;
                        break;
                    }
                    const std::string_view piece = framer.uploadPiece(rest);
                    require(upload.append->write(piece.data(), piece.size()) == 0,
                            "cannot write the partial upload the plan opened");
                    framer.uploadStored(piece.size());
                    rest.remove_prefix(piece.size());
                    const bool complete = framer.uploadRemaining() == 0;
                    response = api.finishUpload(upload, framer.uploadReceived(), complete, context, redis);
                    if (!complete)
                        return 0; // cut mid-body: the session closes without an answer
                    break;
                }
                case RouteKind::Download: {
                    auto plan = api.beginDownload(route, header, context, redis);
                    if (auto* answer = std::get_if<Response>(&plan)) {
                        response = std::move(*answer);
                        break;
                    }
                    DownloadPlan& download = std::get<DownloadPlan>(plan);
                    Response full(std::move(download.header));
                    std::string body(static_cast<std::size_t>(std::min(download.count, kMaxDownloadRead)),
                                     '\0');
                    const int fd = download.source->fileDescriptor();
                    require(fd >= 0, "the local store's read has no file");
                    const ssize_t n =
                        ::pread(fd, body.data(), body.size(), static_cast<off_t>(download.first));
                    body.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
                    full.body() = std::move(body);
                    full.content_length(full.body().size());
                    response = std::move(full);
                    break;
                }
                }
            }
        } catch (const RedisError&) {
            response = Api::error(header, http::status::service_unavailable, "unavailable", "busy");
        } catch (const std::exception& e) {
            std::fprintf(stderr, "fuzz_relay_http: the Api threw: %s\n", e.what());
            require(false, "an exception escaped the Api");
        }
        require(response.has_value(), "no response");
        const bool keepAlive = !close && framer.keepAlive(response->keep_alive());
        checkResponse(std::move(*response), header);
        if (!keepAlive)
            return 0;
        stream.erase(0, stream.size() - rest.size());
    }
    return 0;
}
