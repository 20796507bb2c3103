#pragma once

// What the relay benchmarks (relay_bench, relay_load_bench, soak_bench) share: a redis-server and this
// build's ots-relay as child processes in a temporary folder (free loopback ports, stopped by PID),
// synchronous HTTP for set-up steps, the share API calls a client makes (create, upload, complete,
// challenge + proof → ticket, download, delete), /proc figures of a child, and percentiles. No Qt:
// the relay-only build has none. Everything goes to 127.0.0.1.

// GCC 12 reports -Wnull-dereference inside Asio's scheduler and executors once they are inlined
// (pointers that are never null on those paths). The diagnostic points into Boost's headers, so it is
// silenced for those headers only, as in relay/src/HttpServer.cpp; the benchmarks' own code is checked.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#pragma GCC diagnostic pop

#include "BenchArguments.h"
#include "ScratchDir.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <signal.h>
#include <spawn.h>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace ots::bench {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

/// Set-up or protocol failures end a run (exit status 2); throwing lets every child be stopped.
[[noreturn]] inline void fail(const std::string& what) {
    throw std::runtime_error(what);
}

inline double secondsSince(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

inline std::uint16_t freeLoopbackPort() {
    asio::io_context io;
    tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
    return acceptor.local_endpoint().port();
}

inline std::string base64Standard(std::span<const std::uint8_t> bytes) {
    std::string out(sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(std::strlen(out.c_str()));
    return out;
}

/// "VmRSS" or "VmHWM" in KiB from /proc/PID/status; -1 if unreadable.
inline long procStatusKiB(pid_t pid, const std::string& field) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    return -1;
}

/// Open file descriptors of a process (entries of /proc/PID/fd); -1 if unreadable.
inline long openFileDescriptors(pid_t pid) {
    std::error_code error;
    std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", error);
    if (error)
        return -1;
    long count = 0;
    for (; it != std::filesystem::directory_iterator(); it.increment(error)) {
        if (error)
            return -1;
        ++count;
    }
    return count;
}

/// The value at fraction p (0…1) of latencies sorted ascending, in milliseconds; 0 when empty.
inline double percentileMs(const std::vector<std::uint32_t>& sortedUs, double p) {
    if (sortedUs.empty())
        return 0.0;
    const auto index = static_cast<std::size_t>(p * double(sortedUs.size() - 1));
    return double(sortedUs[index]) / 1000.0;
}

/// A child process (redis-server, ots-relay) with its output in a log file, stopped by its PID. It
/// inherits this process's resource limits (RLIMIT_NOFILE included).
class Child {
public:
    Child() = default;
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;
    ~Child() { stop(); }

    void start(const std::vector<std::string>& argv, const std::string& logPath) {
        std::vector<char*> args;
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1, logPath.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_adddup2(&actions, 1, 2);
        const int error = posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), environ);
        posix_spawn_file_actions_destroy(&actions);
        if (error != 0)
            fail("cannot start " + argv[0] + ": " + std::strerror(error));
    }

    [[nodiscard]] bool running() {
        if (m_pid <= 0)
            return false;
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_pid = -1;
            return false;
        }
        return true;
    }

    /// SIGTERM, and SIGKILL if it has not ended after five seconds.
    void stop() {
        if (!running())
            return;
        kill(m_pid, SIGTERM);
        for (int i = 0; i < 250; ++i) {
            if (!running())
                return;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        kill(m_pid, SIGKILL);
        waitpid(m_pid, nullptr, 0);
        m_pid = -1;
    }

    [[nodiscard]] pid_t pid() const { return m_pid; }

private:
    pid_t m_pid = -1;
};

// Synchronous HTTP for set-up steps ---------------------------------------------------------------

struct Reply {
    unsigned status = 0;
    std::string body;
};

/// One request on a new connection, its complete reply.
inline Reply request(const tcp::endpoint& endpoint, http::verb verb, const std::string& target,
                     const std::string& body = {}, const std::string& bearer = {}) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect(endpoint);
    http::request<http::string_body> req{verb, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!bearer.empty())
        req.set(http::field::authorization, "Bearer " + bearer);
    if (!body.empty() || verb == http::verb::post) {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
        req.prepare_payload();
    }
    http::write(socket, req);
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    http::read(socket, buffer, res);
    return {res.result_int(), res.body()};
}

inline json::object parseObject(const Reply& reply, unsigned expected, const char* what) {
    if (reply.status != expected)
        fail(std::string(what) + ": HTTP " + std::to_string(reply.status) + " " + reply.body);
    return json::parse(reply.body).as_object();
}

/// The head of a response read byte-exactly off a raw socket: status, header lines, and whatever of
/// the body arrived with it.
struct ResponseHead {
    unsigned status = 0;
    std::string text; ///< status line and header lines, up to and with the blank line
    std::string rest; ///< body bytes read together with the head

    /// The value of header `name` (case-insensitive), or empty.
    [[nodiscard]] std::string header(std::string_view name) const {
        std::size_t at = text.find("\r\n");
        while (at != std::string::npos && at + 2 < text.size()) {
            const std::size_t end = text.find("\r\n", at + 2);
            const std::string_view line(text.data() + at + 2,
                                        (end == std::string::npos ? text.size() : end) - (at + 2));
            const std::size_t colon = line.find(':');
            if (colon == name.size() &&
                std::equal(name.begin(), name.end(), line.begin(), [](char a, char b) {
                    return std::tolower(static_cast<unsigned char>(a)) ==
                           std::tolower(static_cast<unsigned char>(b));
                })) {
                std::string_view value = line.substr(colon + 1);
                while (!value.empty() && value.front() == ' ')
                    value.remove_prefix(1);
                return std::string(value);
            }
            at = end;
        }
        return {};
    }
};

inline ResponseHead readResponseHead(tcp::socket& socket) {
    ResponseHead head;
    const std::size_t end = asio::read_until(socket, asio::dynamic_buffer(head.text), "\r\n\r\n");
    head.rest = head.text.substr(end);
    head.text.resize(end);
    if (head.text.rfind("HTTP/1.1 ", 0) != 0)
        fail("not an HTTP/1.1 response: " + head.text.substr(0, head.text.find("\r\n")));
    head.status = static_cast<unsigned>(std::strtoul(head.text.c_str() + 9, nullptr, 10));
    return head;
}

/// Reads exactly `bytes` after `prefix` (body bytes already read with the head) from socket and
/// compares all of them with expected; throws on a difference. A peer that closes early throws too.
inline void readAndCompare(tcp::socket& socket, const std::uint8_t* expected, std::uint64_t bytes,
                           const std::string& prefix = {}) {
    std::vector<std::uint8_t> buffer(1 << 20);
    std::uint64_t at = 0;
    if (!prefix.empty()) {
        if (prefix.size() > bytes || std::memcmp(prefix.data(), expected, prefix.size()) != 0)
            fail("received bytes differ from those sent");
        at = prefix.size();
    }
    while (at < bytes) {
        const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), bytes - at));
        const std::size_t n = socket.read_some(asio::buffer(buffer.data(), want));
        if (std::memcmp(buffer.data(), expected + at, n) != 0)
            fail("received bytes differ from those sent");
        at += n;
    }
}

/// The largest ciphertext size of a v1 stream that is at most `bytes` (the relay accepts only those).
inline std::uint64_t streamSizeAtMost(std::uint64_t bytes) {
    std::uint64_t low = 0;
    std::uint64_t high = bytes;
    while (low < high) {
        const std::uint64_t mid = low + (high - low + 1) / 2;
        if (ots::StreamEncryptor::ciphertextSize(mid) <= bytes)
            low = mid;
        else
            high = mid - 1;
    }
    return ots::StreamEncryptor::ciphertextSize(low);
}

/// One share's client side: its id and owner token.
struct Share {
    std::string id;
    ots::ShareId idBytes{};
    std::string ownerToken;
    std::uint64_t size = 0;
    std::int64_t expiresAt = 0; ///< unix seconds, as the relay said at create
};

/// The relay's share API as a client uses it, one connection per call, with one key pair for every
/// share it creates (a benchmark needs no secrecy between its own shares). Safe to call from several
/// threads at once.
class ShareApi {
public:
    explicit ShareApi(tcp::endpoint endpoint)
        : m_endpoint(endpoint)
        , m_keys(makeKeys()) {}

    [[nodiscard]] const tcp::endpoint& endpoint() const { return m_endpoint; }

    [[nodiscard]] std::string createBody(std::uint64_t size, std::uint64_t expiresIn = 3600,
                                         unsigned maxDownloads = 1) const {
        auto envelope = ots::metadata::seal(m_keys, std::vector<std::uint8_t>(200, 'm'));
        if (!envelope.ok())
            fail("metadata seal failed");
        json::object body{{"size", size},
                          {"expiresIn", expiresIn},
                          {"maxDownloads", maxDownloads},
                          {"authPublicKey", ots::base64url::encode(m_keys.authPublicKey())},
                          {"linkPublicKey", ots::base64url::encode(m_keys.linkPublicKey())},
                          {"metadata", base64Standard(*envelope)},
                          {"password", nullptr}};
        return json::serialize(body);
    }

    Share create(std::uint64_t size, std::uint64_t expiresIn = 3600, unsigned maxDownloads = 1) const {
        const json::object created = parseObject(request(m_endpoint, http::verb::post, "/api/v1/shares",
                                                         createBody(size, expiresIn, maxDownloads)),
                                                 201, "create");
        Share share;
        share.id = json::value_to<std::string>(created.at("id"));
        share.ownerToken = json::value_to<std::string>(created.at("ownerToken"));
        share.size = size;
        share.expiresAt = json::value_to<std::int64_t>(created.at("expiresAt"));
        if (!ots::base64url::decodeInto(share.id, share.idBytes))
            fail("create returned a malformed id");
        return share;
    }

    void complete(const Share& share) const {
        parseObject(request(m_endpoint, http::verb::post, "/api/v1/shares/" + share.id + "/complete", {},
                            share.ownerToken),
                    200, "complete");
    }

    void remove(const Share& share) const {
        const Reply reply =
            request(m_endpoint, http::verb::delete_, "/api/v1/shares/" + share.id, {}, share.ownerToken);
        if (reply.status != 204)
            fail("delete: HTTP " + std::to_string(reply.status));
    }

    /// Challenge, then a signed reservation: the ticket (201), or nothing when the relay refuses
    /// with one of the statuses in `refusals` (e.g. 410 for no downloads left); anything else throws.
    std::optional<std::string> tryReserve(const Share& share,
                                          std::initializer_list<unsigned> refusals) const {
        const Reply challengeReply =
            request(m_endpoint, http::verb::post, "/api/v1/shares/" + share.id + "/challenge");
        if (std::find(refusals.begin(), refusals.end(), challengeReply.status) != refusals.end())
            return std::nullopt;
        const json::object challenge = parseObject(challengeReply, 200, "challenge");
        const std::string nonceText = json::value_to<std::string>(challenge.at("nonce"));
        ots::ChallengeNonce nonce{};
        if (!ots::base64url::decodeInto(nonceText, nonce))
            fail("challenge returned a malformed nonce");
        const ots::Signature signature = m_keys.signChallenge(share.idBytes, nonce);
        const ots::Signature linkSignature = m_keys.signLinkChallenge(share.idBytes, nonce);
        std::array<std::uint8_t, 32> ticket{};
        ots::randomBytes(ticket);
        const json::object proof{{"nonce", nonceText},
                                 {"signature", ots::base64url::encode(signature)},
                                 {"linkSignature", ots::base64url::encode(linkSignature)},
                                 {"ticket", ots::base64url::encode(ticket)}};
        const Reply reply = request(m_endpoint, http::verb::post,
                                    "/api/v1/shares/" + share.id + "/reservations", json::serialize(proof));
        if (std::find(refusals.begin(), refusals.end(), reply.status) != refusals.end())
            return std::nullopt;
        return json::value_to<std::string>(parseObject(reply, 201, "reservation").at("ticket"));
    }

    std::string reserve(const Share& share) const { return *tryReserve(share, {}); }

    /// The head of one PATCH appending `length` bytes at `offset`.
    [[nodiscard]] static std::string uploadHead(const Share& share, std::uint64_t offset,
                                                std::uint64_t length) {
        return "PATCH /api/v1/shares/" + share.id +
               "/blob HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + share.ownerToken +
               "\r\nUpload-Offset: " + std::to_string(offset) +
               "\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: " +
               std::to_string(length) + "\r\n\r\n";
    }

    /// One PATCH of the whole body; the time until the relay's 204 (it has synced the bytes by then).
    double upload(const Share& share, const std::uint8_t* data, std::uint64_t bytes) const {
        asio::io_context io;
        tcp::socket socket(io);
        const auto start = Clock::now();
        socket.connect(m_endpoint);
        const std::string head = uploadHead(share, 0, bytes);
        const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer(data, bytes)};
        asio::write(socket, wire);
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        const double seconds = secondsSince(start);
        if (res.result_int() != 204)
            fail("upload: HTTP " + std::to_string(res.result_int()) + " " + res.body());
        return seconds;
    }

    /// The head of one GET of the content with a ticket; `range` ("bytes=a-") when not empty.
    [[nodiscard]] static std::string downloadHead(const Share& share, const std::string& ticket,
                                                  const std::string& range = {}) {
        return "GET /api/v1/shares/" + share.id +
               "/content HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + ticket + "\r\n" +
               (range.empty() ? std::string() : "Range: " + range + "\r\n") + "\r\n";
    }

    /// One GET of the whole content, compared byte for byte with expected; the time it took.
    double download(const Share& share, const std::string& ticket, const std::uint8_t* expected,
                    std::uint64_t bytes) const {
        asio::io_context io;
        tcp::socket socket(io);
        const auto start = Clock::now();
        socket.connect(m_endpoint);
        asio::write(socket, asio::buffer(downloadHead(share, ticket)));
        const ResponseHead head = readResponseHead(socket);
        if (head.status != 200)
            fail("download: " + head.text.substr(0, head.text.find("\r\n")));
        readAndCompare(socket, expected, bytes, head.rest);
        return secondsSince(start);
    }

    Share createReady(std::uint64_t size) const {
        Share share = create(size);
        std::vector<std::uint8_t> bytes(size);
        randombytes_buf(bytes.data(), bytes.size());
        upload(share, bytes.data(), size);
        complete(share);
        return share;
    }

private:
    static ots::ShareKeys makeKeys() {
        auto keys = ots::ShareKeys::fromLinkSecret(ots::generateLinkSecret());
        if (!keys.ok())
            fail("key schedule failed");
        return std::move(keys).value();
    }

    tcp::endpoint m_endpoint;
    ots::ShareKeys m_keys;
};

/// A redis-server and this build's ots-relay in a temporary folder (redis/, data/, both logs), on
/// free loopback ports; ready once /readyz answers 200. Everything stops and the folder goes with the
/// object.
class RelayStack {
public:
    RelayStack() = default;
    RelayStack(const RelayStack&) = delete;
    RelayStack& operator=(const RelayStack&) = delete;
    ~RelayStack() { stop(); }

    /// base empty: the system's temporary folder. relayArgs come after the defaults (generous rate
    /// limits), so they may override them.
    void start(const std::string& relayBinary, const std::string& base, const std::string& prefix,
               const std::vector<std::string>& relayArgs) {
        m_scratch.emplace(base, prefix);
        const std::filesystem::path& root = m_scratch->path();
        std::filesystem::create_directories(root / "redis");
        std::filesystem::create_directories(root / "data");

        const std::uint16_t redisPort = freeLoopbackPort();
        m_redis.start({"redis-server", "--port", std::to_string(redisPort), "--bind", "127.0.0.1", "--save",
                       "", "--appendonly", "no", "--dir", (root / "redis").string()},
                      (root / "redis.log").string());
        waitForRedis(redisPort);
        const std::uint16_t relayPort = freeLoopbackPort();
        m_endpoint = tcp::endpoint(asio::ip::address_v4::loopback(), relayPort);
        std::vector<std::string> argv{relayBinary, "--listen", "127.0.0.1:" + std::to_string(relayPort),
                                      "--data-dir", dataDir().string(), "--redis-port",
                                      std::to_string(redisPort), "--creates-per-minute-per-ip", "1000000000",
                                      "--proofs-per-minute-per-ip", "1000000000",
                                      // The benches' thousands of clients all come from 127.0.0.1.
                                      "--max-connections-per-client", "1000000", "--client-shares-per-hour",
                                      "1000000000", "--client-bytes-per-hour", "1000T"};
        argv.insert(argv.end(), relayArgs.begin(), relayArgs.end());
        m_relay.start(argv, logPath().string());

        const auto deadline = Clock::now() + std::chrono::seconds(20);
        while (Clock::now() < deadline) {
            if (!m_relay.running())
                fail("ots-relay exited; see " + logPath().string());
            try {
                if (request(m_endpoint, http::verb::get, "/readyz").status == 200)
                    return;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        fail("ots-relay not ready within 20 s; see " + logPath().string());
    }

    void stop() {
        m_relay.stop();
        m_redis.stop();
        m_scratch.reset();
    }

    [[nodiscard]] const tcp::endpoint& endpoint() const { return m_endpoint; }
    [[nodiscard]] pid_t relayPid() const { return m_relay.pid(); }
    [[nodiscard]] bool relayRunning() { return m_relay.running(); }
    [[nodiscard]] std::filesystem::path dataDir() const { return m_scratch->path() / "data"; }
    [[nodiscard]] std::filesystem::path logPath() const { return m_scratch->path() / "relay.log"; }

    /// The last `bytes` of the relay's log (empty before start).
    [[nodiscard]] std::string logTail(std::size_t bytes = 3000) const {
        if (!m_scratch)
            return {};
        // stdio, not istreambuf_iterator: GCC 12 reports -Wnull-dereference inside libstdc++'s streambuf
        // once that is inlined (it depends on what else the including file inlines).
        std::string text;
        if (std::FILE* log = std::fopen(logPath().c_str(), "rb")) {
            char chunk[4096];
            std::size_t got = 0;
            while ((got = std::fread(chunk, 1, sizeof(chunk), log)) > 0)
                text.append(chunk, got);
            std::fclose(log);
        }
        return text.substr(text.size() > bytes ? text.size() - bytes : 0);
    }

private:
    /// Until Redis answers PING, so the relay's start-up scan finds it (10 s at most).
    void waitForRedis(std::uint16_t port) {
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline) {
            if (!m_redis.running())
                fail("redis-server exited; see " + (m_scratch->path() / "redis.log").string());
            try {
                asio::io_context io;
                tcp::socket socket(io);
                socket.connect(tcp::endpoint(asio::ip::address_v4::loopback(), port));
                asio::write(socket, asio::buffer(std::string_view("PING\r\n")));
                std::string reply;
                asio::read_until(socket, asio::dynamic_buffer(reply), "\r\n");
                if (reply.rfind("+PONG", 0) == 0)
                    return;
            } catch (const std::exception&) {
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        fail("redis-server did not answer PING within 10 s; see " +
             (m_scratch->path() / "redis.log").string());
    }

    std::optional<ScratchDir> m_scratch;
    Child m_redis;
    Child m_relay;
    tcp::endpoint m_endpoint;
};

/// What every relay benchmark accepts: --relay PATH, --dir DIR, --relay-arg ARG (repeatable).
struct RelayOptions {
#ifdef OTS_RELAY_BINARY
    std::string relay = OTS_RELAY_BINARY;
#else
    std::string relay;
#endif
    std::string dir;
    std::vector<std::string> relayArgs;
};

/// Walks the command line: the RelayOptions flags go into relay, every other flag to
/// own(flag, value), which returns false for a flag it does not know; value() takes the next argument.
template <class Own>
void parseArguments(int argc, char** argv, const std::string& program, RelayOptions& relay, Own own) {
    forEachArgument(argc, argv, program, [&](const std::string& arg, const auto& value) {
        if (arg == "--relay")
            relay.relay = value();
        else if (arg == "--dir")
            relay.dir = value();
        else if (arg == "--relay-arg")
            relay.relayArgs.push_back(value());
        else
            return own(arg, value);
        return true;
    });
}

/// main() of a benchmark: SIGPIPE off (a relay may close a socket mid-write), libsodium's self-tests,
/// then body(); an exception ends the run with status 2 after its message (and the end of the relay's
/// log, when a stack is given).
template <class Body>
int benchMain(const char* program, const RelayStack* stack, Body body) {
    signal(SIGPIPE, SIG_IGN);
    if (!ots::initialize().ok()) {
        std::fprintf(stderr, "%s: crypto self-tests failed\n", program);
        return 2;
    }
    try {
        return body();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "%s: %s\n", program, error.what());
        const std::string log = stack != nullptr ? stack->logTail(3000) : std::string();
        if (!log.empty())
            std::fprintf(stderr, "%s: the relay's log ends with:\n%s\n", program, log.c_str());
        return 2;
    }
}

} // namespace ots::bench
