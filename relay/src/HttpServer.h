#pragma once

// The listening side: one io_context per I/O thread (each run by exactly one thread, so a
// connection's handlers never run concurrently), one acceptor handing new connections to the
// contexts in turn, optional native TLS, and the SIGTERM/SIGINT drain.
//
// open() binds or fails with a clear message, so a half-started server never exists; run() serves
// until a signal (or stop()) and then drains: no new connections, idle keep-alive connections
// close, requests in flight get up to drainTimeout to finish.

#include "ClientAddress.h"
#include "Config.h"
#include "ConnectionTracker.h"
#include "ots/Result.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace ots::relay {

class Api;
class Metrics;
class WorkerPool;

class HttpServer {
public:
    static constexpr std::chrono::seconds kDefaultDrainTimeout{10};

    HttpServer(const Config& config, Api& api, Metrics& metrics, WorkerPool& workers);
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;
    ~HttpServer();

    /// A TLS server context from Config::tlsCertificate and tlsPrivateKey (TLS 1.2+), checking
    /// that the key belongs to the certificate. Fails with a sentence naming the file at fault.
    [[nodiscard]] static Result<std::shared_ptr<boost::asio::ssl::context>>
    makeTlsContext(const Config& config);

    /// Loads TLS (if configured), binds and listens. Call once, before run().
    [[nodiscard]] Status open();
    /// The bound address (the real port when Config::listenPort is 0).
    [[nodiscard]] boost::asio::ip::tcp::endpoint localEndpoint() const;
    [[nodiscard]] bool tlsEnabled() const noexcept { return m_tls != nullptr; }

    /// Serves on Config::ioThreads threads (the caller's among them) until SIGTERM, SIGINT or
    /// stop(), then drains and returns.
    void run(std::chrono::steady_clock::duration drainTimeout = kDefaultDrainTimeout);
    /// Starts the drain as a signal would. Thread-safe.
    void stop();
    /// Called once on an I/O thread when the drain begins (the listener is closed by then). Set
    /// before run().
    void setDrainCallback(std::function<void()> callback) { m_onDrain = std::move(callback); }

private:
    void accept();
    void waitForSignal();
    void beginDrain();
    void checkDrained();
    void stopContexts();

    const Config& m_config;
    Api& m_api;
    Metrics& m_metrics;
    WorkerPool& m_workers;
    ClientAddress m_clientAddress;
    ConnectionTracker m_connections;
    std::shared_ptr<boost::asio::ssl::context> m_tls;

    std::vector<std::unique_ptr<boost::asio::io_context>> m_contexts;
    std::vector<std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>>
        m_work;
    std::size_t m_nextContext = 0;
    std::optional<boost::asio::ip::tcp::acceptor> m_acceptor;
    std::optional<boost::asio::signal_set> m_signals;
    std::optional<boost::asio::steady_timer> m_drainTimer;
    std::function<void()> m_onDrain;
    std::optional<boost::asio::steady_timer> m_acceptRetryTimer;
    std::chrono::steady_clock::time_point m_drainDeadline;
    std::chrono::steady_clock::duration m_drainTimeout = kDefaultDrainTimeout;
    bool m_draining = false;
};

} // namespace ots::relay
