// relay_load_bench: does ots-relay keep serving while 10,000 idle keep-alive connections and a crowd
// of slowloris clients sit on it? It starts its own redis-server and this build's ots-relay (free
// loopback ports, a temporary folder; RLIMIT_NOFILE raised to the hard limit first, so the relay
// inherits room for every connection) and runs, over 127.0.0.1:
//   (a) baseline: a paced stream of public-info GETs (16 keep-alive connections, 1,000 requests/s in
//       all, open loop: each request has a scheduled send time and its latency counts from then, so a
//       stalled relay cannot hide behind requests that were simply sent later) for S seconds;
//   (b) opens N (10,000) keep-alive connections that each make one request and then stay idle, and
//       200 slowloris connections that send a request header one byte a second and never finish it;
//   (c) the same paced stream again while all of those are held: p50, p99, errors; the relay's RSS
//       (VmRSS now, VmHWM over the whole run), open descriptors and ots_http_connections_active;
//   (d) one more request on every idle connection (how many the relay still serves), then waits for
//       the slowloris connections to be cut by the relay's header timeout.
// The relay gets --idle-timeout T with T longer than the idle connections are held between two of
// their requests (the opening budget + S + a margin), so they must all still answer in (d). The same
// timer bounds a request header however slowly its bytes arrive (relay/src/HttpSession.cpp sets it
// once per header), so each slowloris connection must be cut T after it connected, while the idle
// ones, whose timer (d) restarted, stay open. Built, not run by ctest:
//
//   build/tests/bench/relay_load_bench [--connections N] [--seconds S] [--slowloris K]
//                                      [--relay PATH] [--dir DIR] [--relay-arg ARG]...
//
// Limits (the issue's): p99 under load ≤ 50 ms, relay RSS ≤ 128 MiB, every idle connection served
// in (d), no errors, every slowloris connection cut by the relay within T + 10 s. Each figure is
// printed next to its limit as a ratio; the loaded p99 also next to the baseline p99 of the same run
// (context, not a limit). Exit status 1 if a limit is missed, 2 if the run could not be made. The
// whole run takes about S + T + 10 s (about 80 s by default).

#include "RelayBenchKit.h"

#include <boost/asio/as_tuple.hpp>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <sys/resource.h>
#include <thread>
#include <vector>

using namespace ots::bench;

namespace {

constexpr double kP99LimitMs = 50;
constexpr double kRssLimitMiB = 128;
constexpr unsigned kStreamConnections = 16;
constexpr double kStreamRate = 1000; // requests per second, all stream connections together
/// Longest the opening of the idle and slowloris connections may take; part of the idle timeout.
constexpr std::chrono::seconds kOpenBudget{30};
/// Added to the idle timeout beyond the opening budget and the loaded phase, for phase (d) itself.
constexpr std::chrono::seconds kIdleMargin{20};
/// How late after the idle timeout a slowloris connection may still be cut and count as cut in time.
constexpr std::chrono::seconds kCutSlack{10};
/// Any single network step of the client (connect, a request, a response) that takes longer fails.
constexpr std::chrono::seconds kStepTimeout{10};
constexpr unsigned kOpeningsInFlight = 256;

const auto noThrow = asio::as_tuple(asio::use_awaitable);

struct Options : RelayOptions {
    unsigned connections = 10'000;
    unsigned slowloris = 200;
    double seconds = 15;
};

/// Raises this process's soft RLIMIT_NOFILE to the hard limit (children inherit it); the run cannot
/// be made when even the hard limit is too low for `needed` descriptors.
void raiseFileLimit(rlim_t needed) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        fail(std::string("getrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
    if (limit.rlim_max != RLIM_INFINITY && limit.rlim_max < needed)
        fail("the hard limit on open files (RLIMIT_NOFILE) is " + std::to_string(limit.rlim_max) +
             "; this run needs " + std::to_string(needed) +
             " in this process and as many in the relay. Raise it (e.g. `ulimit -Hn 65536` as root, or "
             "LimitNOFILE= / limits.conf) or pass a smaller --connections");
    limit.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &limit) != 0)
        fail(std::string("setrlimit(RLIMIT_NOFILE): ") + std::strerror(errno));
}

http::request<http::empty_body> getRequest(const std::string& target) {
    http::request<http::empty_body> req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    return req;
}

struct ErrorCount {
    std::uint64_t count = 0;
    std::string first;

    void add(const std::string& what) {
        if (count++ == 0)
            first = what;
    }
};

// (a), (c): the paced request stream ------------------------------------------------------------

struct StreamResult {
    std::uint64_t completed = 0;
    ErrorCount errors;
    std::vector<std::uint32_t> latencyUs;
    double seconds = 0;
};

/// One connection of the stream: request k of connection c is due at start + (c + k·C) / rate.
asio::awaitable<void> streamConnection(tcp::endpoint endpoint, http::request<http::empty_body> req,
                                       unsigned index, Clock::time_point start, Clock::time_point end,
                                       StreamResult& result) {
    auto executor = co_await asio::this_coro::executor;
    const auto interval = std::chrono::duration<double>(double(kStreamConnections) / kStreamRate);
    const auto offset = std::chrono::duration<double>(double(index) / kStreamRate);
    std::optional<beast::tcp_stream> stream;
    beast::flat_buffer buffer;
    asio::steady_timer timer(executor);
    for (std::uint64_t k = 0;; ++k) {
        const auto due = start + std::chrono::duration_cast<Clock::duration>(offset + double(k) * interval);
        if (due >= end)
            break;
        timer.expires_at(due);
        co_await timer.async_wait(noThrow);
        if (!stream) {
            stream.emplace(executor);
            stream->expires_after(kStepTimeout);
            const auto [error] = co_await stream->async_connect(endpoint, noThrow);
            if (error) {
                result.errors.add("connect: " + error.message());
                stream.reset();
                continue;
            }
            stream->socket().set_option(tcp::no_delay(true));
            buffer.clear();
        }
        stream->expires_after(kStepTimeout);
        const auto [writeError, written] = co_await http::async_write(*stream, req, noThrow);
        http::response<http::string_body> res;
        beast::error_code readError = writeError;
        if (!writeError)
            readError = std::get<0>(co_await http::async_read(*stream, buffer, res, noThrow));
        const auto done = Clock::now();
        if (readError) {
            result.errors.add("request: " + readError.message());
            stream.reset();
            continue;
        }
        ++result.completed;
        result.latencyUs.push_back(static_cast<std::uint32_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(done - due).count()));
        if (res.result_int() != 200)
            result.errors.add("HTTP " + std::to_string(res.result_int()) + " " + res.body());
        if (!res.keep_alive())
            stream.reset();
    }
}

StreamResult pacedStream(const tcp::endpoint& endpoint, const std::string& target, double seconds) {
    asio::io_context io(1);
    StreamResult result;
    const auto start = Clock::now() + std::chrono::milliseconds(200);
    const auto end =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    for (unsigned i = 0; i < kStreamConnections; ++i)
        asio::co_spawn(io, streamConnection(endpoint, getRequest(target), i, start, end, result),
                       asio::detached);
    io.run();
    result.seconds = seconds;
    std::sort(result.latencyUs.begin(), result.latencyUs.end());
    return result;
}

// (b), (d): the held connections --------------------------------------------------------------

/// One request on an open connection; true on a 200 that keeps the connection alive.
asio::awaitable<bool> requestOn(beast::tcp_stream& stream, const http::request<http::empty_body>& req,
                                ErrorCount& errors) {
    stream.expires_after(kStepTimeout);
    const auto [writeError, written] = co_await http::async_write(stream, req, noThrow);
    if (writeError) {
        errors.add("write: " + writeError.message());
        co_return false;
    }
    beast::flat_buffer buffer;
    http::response<http::string_body> res;
    const auto [readError, read] = co_await http::async_read(stream, buffer, res, noThrow);
    stream.expires_never();
    if (readError) {
        errors.add("read: " + readError.message());
        co_return false;
    }
    if (res.result_int() != 200 || !res.keep_alive()) {
        errors.add("HTTP " + std::to_string(res.result_int()) + (res.keep_alive() ? "" : " (closing)"));
        co_return false;
    }
    co_return true;
}

struct Slowloris {
    explicit Slowloris(asio::any_io_executor executor)
        : socket(executor) {}
    tcp::socket socket;
    Clock::time_point connected;
    std::optional<double> endedAfter; ///< seconds from connect to the relay's close
    std::string how;                  ///< how it ended: "closed", "reset", "answered …"
    std::size_t bytesSent = 0;
};

class HeldConnections {
public:
    HeldConnections(tcp::endpoint endpoint, std::string target, const Options& options)
        : m_endpoint(endpoint)
        , m_target(std::move(target))
        , m_options(options)
        , m_work(asio::make_work_guard(m_io)) {
        m_thread = std::thread([this] { m_io.run(); });
    }
    HeldConnections(const HeldConnections&) = delete;
    HeldConnections& operator=(const HeldConnections&) = delete;
    ~HeldConnections() { shutDown(); }

    /// (b) Opens the slowloris connections, then the idle ones; returns the seconds it took.
    double open() {
        const auto start = Clock::now();
        runHere([this]() -> asio::awaitable<void> {
            auto executor = co_await asio::this_coro::executor;
            for (unsigned i = 0; i < m_options.slowloris; ++i) {
                auto slow = std::make_shared<Slowloris>(executor);
                m_slowloris.push_back(slow);
                asio::co_spawn(executor, trickle(slow), asio::detached);
            }
            m_idle.resize(m_options.connections);
            co_await forEachIdle([this](std::size_t i) -> asio::awaitable<void> {
                auto stream = std::make_unique<beast::tcp_stream>(co_await asio::this_coro::executor);
                stream->expires_after(kStepTimeout);
                const auto [error] = co_await stream->async_connect(m_endpoint, noThrow);
                if (error) {
                    m_openErrors.add("connect: " + error.message());
                    co_return;
                }
                if (co_await requestOn(*stream, getRequest(m_target), m_openErrors))
                    m_idle[i] = std::move(stream);
            });
        });
        return secondsSince(start);
    }

    /// (d) One request on every idle connection that opened; how many got their 200.
    std::size_t requestOnEveryIdle() {
        std::atomic<std::size_t> served{0};
        runHere([this, &served]() -> asio::awaitable<void> {
            co_await forEachIdle([this, &served](std::size_t i) -> asio::awaitable<void> {
                if (!m_idle[i]) {
                    co_return;
                }
                if (co_await requestOn(*m_idle[i], getRequest(m_target), m_finalErrors))
                    ++served;
            });
        });
        return served.load();
    }

    /// Waits until every slowloris connection has ended or `deadline` passed.
    void waitForSlowloris(Clock::time_point deadline) {
        while (Clock::now() < deadline && slowlorisEnded() < m_slowloris.size())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }

    [[nodiscard]] std::size_t slowlorisEnded() {
        return runHereValue([this] {
            return static_cast<std::size_t>(std::count_if(m_slowloris.begin(), m_slowloris.end(),
                                                          [](const auto& s) { return s->endedAfter; }));
        });
    }

    /// The slowloris records; read them only after shutDown() (the I/O thread writes them until then).
    [[nodiscard]] std::vector<Slowloris*> slowloris() const {
        std::vector<Slowloris*> out;
        for (const auto& s : m_slowloris)
            out.push_back(s.get());
        return out;
    }

    [[nodiscard]] std::size_t idleOpen() const {
        return static_cast<std::size_t>(
            std::count_if(m_idle.begin(), m_idle.end(), [](const auto& s) { return s != nullptr; }));
    }
    [[nodiscard]] const ErrorCount& openErrors() const { return m_openErrors; }
    [[nodiscard]] const ErrorCount& finalErrors() const { return m_finalErrors; }

    /// Closes every connection and ends the I/O thread.
    void shutDown() {
        if (!m_thread.joinable())
            return;
        asio::post(m_io, [this] {
            m_stopping = true;
            for (auto& slow : m_slowloris) {
                beast::error_code ignored;
                slow->socket.close(ignored);
            }
            m_idle.clear();
        });
        m_work.reset();
        m_thread.join();
    }

private:
    /// Runs `count` = connections bodies, kOpeningsInFlight at a time.
    template <class Body>
    asio::awaitable<void> forEachIdle(Body body) {
        auto executor = co_await asio::this_coro::executor;
        std::size_t next = 0;
        std::size_t running = 0;
        asio::steady_timer finished(executor, asio::steady_timer::time_point::max());
        const auto worker = [&]() -> asio::awaitable<void> {
            while (next < m_idle.size())
                co_await body(next++);
            if (--running == 0)
                finished.cancel();
        };
        for (unsigned i = 0; i < kOpeningsInFlight; ++i) {
            ++running;
            asio::co_spawn(executor, worker(), asio::detached);
        }
        co_await finished.async_wait(noThrow);
    }

    /// Runs a coroutine on the I/O thread and waits for it to end.
    template <class Make>
    void runHere(Make make) {
        std::promise<void> done;
        asio::co_spawn(m_io, make(), [&done](std::exception_ptr error) {
            if (error)
                done.set_exception(error);
            else
                done.set_value();
        });
        done.get_future().get();
    }

    template <class Function>
    std::invoke_result_t<Function> runHereValue(Function function) {
        std::promise<std::invoke_result_t<Function>> done;
        asio::post(m_io, [&] { done.set_value(function()); });
        return done.get_future().get();
    }

    /// One slowloris client: a request line and a header line that never ends, one byte a second,
    /// while a read waits for the relay to close the connection (or, against the rules, to answer).
    asio::awaitable<void> trickle(std::shared_ptr<Slowloris> slow) {
        auto executor = co_await asio::this_coro::executor;
        const auto [connectError] = co_await slow->socket.async_connect(m_endpoint, noThrow);
        slow->connected = Clock::now();
        if (connectError) {
            slow->endedAfter = 0;
            slow->how = "could not connect: " + connectError.message();
            co_return;
        }
        asio::co_spawn(executor, watchForEnd(slow), asio::detached);
        const std::string start = "GET " + m_target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
        const auto [writeError, written] =
            co_await asio::async_write(slow->socket, asio::buffer(start), noThrow);
        slow->bytesSent += written;
        asio::steady_timer timer(executor);
        while (!writeError && !slow->endedAfter && !m_stopping) {
            timer.expires_after(std::chrono::seconds(1));
            co_await timer.async_wait(noThrow);
            if (slow->endedAfter || m_stopping)
                break;
            static constexpr char kByte = 'a';
            const auto [error, n] =
                co_await asio::async_write(slow->socket, asio::buffer(&kByte, 1), noThrow);
            if (error)
                break; // the reader records how the relay ended it
            slow->bytesSent += n;
        }
    }

    asio::awaitable<void> watchForEnd(std::shared_ptr<Slowloris> slow) {
        std::array<char, 64> reply{};
        const auto [error, n] = co_await slow->socket.async_read_some(asio::buffer(reply), noThrow);
        if (m_stopping)
            co_return;
        slow->endedAfter = secondsSince(slow->connected);
        if (n > 0)
            slow->how = "answered: " + std::string(reply.data(), std::min<std::size_t>(n, 12));
        else if (error == asio::error::eof)
            slow->how = "closed";
        else if (error == asio::error::connection_reset)
            slow->how = "reset";
        else
            slow->how = error.message();
    }

    tcp::endpoint m_endpoint;
    std::string m_target;
    const Options& m_options;
    asio::io_context m_io{1};
    asio::executor_work_guard<asio::io_context::executor_type> m_work;
    std::thread m_thread;
    bool m_stopping = false;
    std::vector<std::unique_ptr<beast::tcp_stream>> m_idle;
    std::vector<std::shared_ptr<Slowloris>> m_slowloris;
    ErrorCount m_openErrors;
    ErrorCount m_finalErrors;
};

// The run ----------------------------------------------------------------------------------------

/// A number after `name ` in the relay's /metrics text; -1 if absent.
double metricValue(const std::string& metrics, const std::string& name) {
    std::size_t at = 0;
    while ((at = metrics.find(name, at)) != std::string::npos) {
        if ((at == 0 || metrics[at - 1] == '\n') && at + name.size() < metrics.size() &&
            metrics[at + name.size()] == ' ')
            return std::strtod(metrics.c_str() + at + name.size() + 1, nullptr);
        at += name.size();
    }
    return -1;
}

bool check(bool ok) {
    std::printf("  %s\n", ok ? "ok" : "MISSED");
    return ok;
}

int measure(const Options& options, RelayStack& stack) {
    const rlim_t needed = options.connections + options.slowloris + kStreamConnections + 256;
    raiseFileLimit(needed);
    const auto idleTimeout =
        kOpenBudget + std::chrono::seconds(static_cast<long>(options.seconds + 0.999)) + kIdleMargin;
    std::vector<std::string> relayArgs{"--idle-timeout", std::to_string(idleTimeout.count()) + "s"};
    relayArgs.insert(relayArgs.end(), options.relayArgs.begin(), options.relayArgs.end());
    stack.start(options.relay, options.dir, "relay_load_bench", relayArgs);
    const pid_t relay = stack.relayPid();
    ShareApi api(stack.endpoint());
    const std::string target = "/api/v1/shares/" + api.createReady(4225).id;
    std::printf("relay_load_bench: %u cores, %s, idle timeout %lld s, open files limit %llu\n",
                std::thread::hardware_concurrency(), options.relay.c_str(),
                static_cast<long long>(idleTimeout.count()), static_cast<unsigned long long>(needed));
    std::printf("stream: %u keep-alive connections, %.0f GET %s/s in all, paced (latency from the scheduled "
                "send time)\n",
                kStreamConnections, kStreamRate, "/api/v1/shares/{id}");

    // (a)
    const StreamResult baseline = pacedStream(stack.endpoint(), target, options.seconds);
    const double baseP99 = percentileMs(baseline.latencyUs, 0.99);
    std::printf("(a) baseline %5.1f s: %6llu requests (%.0f/s)  p50 %6.2f ms  p99 %6.2f ms  errors %llu\n",
                baseline.seconds, static_cast<unsigned long long>(baseline.completed),
                double(baseline.completed) / baseline.seconds, percentileMs(baseline.latencyUs, 0.50),
                baseP99, static_cast<unsigned long long>(baseline.errors.count));
    const long baseRssKiB = procStatusKiB(relay, "VmRSS");

    // (b)
    HeldConnections held(stack.endpoint(), target, options);
    const double openSeconds = held.open();
    if (openSeconds > double(kOpenBudget.count()))
        fail("opening the connections took " + std::to_string(openSeconds) + " s, more than the " +
             std::to_string(kOpenBudget.count()) + " s the idle timeout allows for");
    std::printf("(b) opened %zu of %u idle keep-alive connections (one request each) and %u slowloris "
                "connections in %.1f s; open errors %llu%s%s\n",
                held.idleOpen(), options.connections, options.slowloris, openSeconds,
                static_cast<unsigned long long>(held.openErrors().count),
                held.openErrors().count ? ", first: " : "", held.openErrors().first.c_str());

    // (c)
    const StreamResult loaded = pacedStream(stack.endpoint(), target, options.seconds);
    const long rssKiB = procStatusKiB(relay, "VmRSS");
    const long fds = openFileDescriptors(relay);
    double active = -1;
    try {
        active = metricValue(request(stack.endpoint(), http::verb::get, "/metrics").body,
                             "ots_http_connections_active");
    } catch (const std::exception& error) {
        std::printf("    (/metrics failed: %s)\n", error.what());
    }
    const double loadedP99 = percentileMs(loaded.latencyUs, 0.99);
    std::printf(
        "(c) loaded   %5.1f s: %6llu requests (%.0f/s)  p50 %6.2f ms  p99 %6.2f ms  errors %llu%s%s\n",
        loaded.seconds, static_cast<unsigned long long>(loaded.completed),
        double(loaded.completed) / loaded.seconds, percentileMs(loaded.latencyUs, 0.50), loadedP99,
        static_cast<unsigned long long>(loaded.errors.count), loaded.errors.count ? ", first: " : "",
        loaded.errors.first.c_str());
    std::printf("    relay holds %ld open descriptors, ots_http_connections_active %.0f; VmRSS %.1f MiB "
                "(%.1f MiB before (b))\n",
                fds, active, double(rssKiB) / 1024, double(baseRssKiB) / 1024);

    // (d)
    const auto finalStart = Clock::now();
    const std::size_t served = held.requestOnEveryIdle();
    const double finalSeconds = secondsSince(finalStart);
    const long peakKiB = procStatusKiB(relay, "VmHWM");
    std::printf(
        "(d) one more request on each idle connection: %zu answered 200 in %.1f s; failures %llu%s%s\n",
        served, finalSeconds, static_cast<unsigned long long>(held.finalErrors().count),
        held.finalErrors().count ? ", first: " : "", held.finalErrors().first.c_str());
    const auto slowDeadline = Clock::now() + idleTimeout + kCutSlack;
    std::printf("    waiting up to %lld s for the relay to cut the slowloris connections...\n",
                static_cast<long long>(
                    std::chrono::duration_cast<std::chrono::seconds>(slowDeadline - Clock::now()).count()));
    std::fflush(stdout);
    held.waitForSlowloris(slowDeadline);
    held.shutDown();
    std::size_t cut = 0;
    std::size_t cutInTime = 0;
    double firstCut = 1e9;
    double lastCut = 0;
    std::size_t bytesMax = 0;
    std::map<std::string, std::size_t> how;
    for (const Slowloris* slow : held.slowloris()) {
        bytesMax = std::max(bytesMax, slow->bytesSent);
        if (!slow->endedAfter) {
            ++how["still open"];
            continue;
        }
        ++how[slow->how];
        if (slow->how == "closed" || slow->how == "reset") {
            ++cut;
            firstCut = std::min(firstCut, *slow->endedAfter);
            lastCut = std::max(lastCut, *slow->endedAfter);
            if (*slow->endedAfter <= double((idleTimeout + kCutSlack).count()))
                ++cutInTime;
        }
    }
    std::string howText;
    for (const auto& [what, count] : how)
        howText += (howText.empty() ? "" : ", ") + std::to_string(count) + " " + what;
    std::printf(
        "    slowloris: %s; cut after %.1f … %.1f s (idle timeout %lld s); up to %zu header bytes sent\n",
        howText.c_str(), cut ? firstCut : 0.0, lastCut, static_cast<long long>(idleTimeout.count()),
        bytesMax);

    // Verdict
    bool ok = true;
    std::printf("\nfigure                                   value      limit   ratio\n");
    std::printf("p99 under load (c)                   %8.2f ms  %6.0f ms  %5.2f", loadedP99, kP99LimitMs,
                loadedP99 / kP99LimitMs);
    ok &= check(loadedP99 <= kP99LimitMs && !loaded.latencyUs.empty());
    std::printf("p99 under load vs baseline (a)       %8.2f ms  %6.2f ms  %5.2f  (context, no limit)\n",
                loadedP99, baseP99, baseP99 > 0 ? loadedP99 / baseP99 : 0.0);
    std::printf("relay VmRSS during (c)               %8.1f MiB %6.0f MiB %5.2f", double(rssKiB) / 1024,
                kRssLimitMiB, double(rssKiB) / 1024 / kRssLimitMiB);
    ok &= check(rssKiB > 0 && double(rssKiB) / 1024 <= kRssLimitMiB);
    std::printf("relay VmHWM (peak, whole run)        %8.1f MiB %6.0f MiB %5.2f", double(peakKiB) / 1024,
                kRssLimitMiB, double(peakKiB) / 1024 / kRssLimitMiB);
    ok &= check(peakKiB > 0 && double(peakKiB) / 1024 <= kRssLimitMiB);
    std::printf("idle connections served in (d)       %8zu     %6u     %5.2f", served, options.connections,
                double(served) / options.connections);
    ok &= check(served == options.connections);
    const std::uint64_t errors = baseline.errors.count + loaded.errors.count + held.openErrors().count;
    std::printf("errors (stream a+c, opening b)       %8llu     %6d     %5s",
                static_cast<unsigned long long>(errors), 0, "-");
    ok &= check(errors == 0);
    std::printf("slowloris cut within idle timeout+%llds %5zu     %6u     %5.2f",
                static_cast<long long>(kCutSlack.count()), cutInTime, options.slowloris,
                options.slowloris ? double(cutInTime) / options.slowloris : 1.0);
    ok &= check(cutInTime == options.slowloris);
    if (!stack.relayRunning())
        fail("ots-relay exited during the run");
    std::printf("relay_load_bench: %s\n", ok ? "all limits met" : "LIMIT MISSED");
    return ok ? 0 : 1;
}

Options parseOptions(int argc, char** argv) {
    Options options;
    parseArguments(argc, argv, "relay_load_bench", options, [&](const std::string& arg, const auto& value) {
        if (arg == "--connections")
            options.connections = static_cast<unsigned>(std::stoul(value()));
        else if (arg == "--seconds")
            options.seconds = std::stod(value());
        else if (arg == "--slowloris")
            options.slowloris = static_cast<unsigned>(std::stoul(value()));
        else
            return false;
        return true;
    });
    if (options.connections == 0 || options.seconds <= 0 || options.seconds > 600)
        fail("--connections must be above 0 and --seconds above 0 and at most 600");
    return options;
}

} // namespace

int main(int argc, char** argv) {
    RelayStack stack;
    return benchMain("relay_load_bench", &stack, [&] { return measure(parseOptions(argc, argv), stack); });
}
