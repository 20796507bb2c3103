// GCC 12 reports -Wnull-dereference inside Asio's scheduler once io_context::run() is inlined here
// (thread-info pointers that are never null on those paths). The diagnostic points into Boost's
// headers, so it is silenced for those lines only; our own code below is still checked.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "HttpServer.h"

#include "HttpSession.h"
#include "Log.h"
#include "Metrics.h"

#include <boost/asio/post.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <csignal>
#include <exception>
#include <limits>
#include <openssl/ssl.h>
#include <optional>
#include <thread>

namespace ots::relay {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

std::string endpointText(const asio::ip::tcp::endpoint& endpoint) {
    const std::string address = endpoint.address().to_string();
    return (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" +
           std::to_string(endpoint.port());
}

/// Runs a context until it is stopped. A handler that throws is a bug; it is logged, and the loop
/// goes on serving the other connections of this thread.
void runContext(asio::io_context& context) {
    while (true) {
        try {
            context.run();
            return;
        } catch (const std::exception& e) {
            Log::error("unexpected exception in an I/O thread", {{"error", e.what()}});
        }
    }
}

} // namespace

HttpServer::HttpServer(const Config& config, Api& api, Metrics& metrics, WorkerPool& workers)
    : m_config(config)
    , m_api(api)
    , m_metrics(metrics)
    , m_workers(workers) {
    const unsigned threads =
        config.ioThreads != 0 ? config.ioThreads : std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < threads; ++i)
        m_contexts.push_back(std::make_unique<asio::io_context>(1)); // one thread each: no locking inside
}

HttpServer::~HttpServer() = default;

Result<std::shared_ptr<asio::ssl::context>> HttpServer::makeTlsContext(const Config& config) {
    if (config.tlsCertificate.empty() || config.tlsPrivateKey.empty())
        return Error{Errc::InvalidArgument, "tls-certificate and tls-private-key must be set together"};
    auto context = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
    boost::system::error_code error;
    context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                             asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                             asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use,
                         error);
    if (error)
        return Error{Errc::InvalidArgument, "cannot set up TLS: " + error.message()};
    if (context->use_certificate_chain_file(config.tlsCertificate, error); error)
        return Error{Errc::InvalidArgument,
                     "cannot load tls-certificate " + config.tlsCertificate + ": " + error.message()};
    if (context->use_private_key_file(config.tlsPrivateKey, asio::ssl::context::pem, error); error)
        return Error{Errc::InvalidArgument,
                     "cannot load tls-private-key " + config.tlsPrivateKey + ": " + error.message()};
    if (SSL_CTX_check_private_key(context->native_handle()) != 1)
        return Error{Errc::InvalidArgument, "tls-private-key " + config.tlsPrivateKey +
                                                " does not belong to tls-certificate " +
                                                config.tlsCertificate};
    return context;
}

Status HttpServer::open() {
    auto proxies = ClientAddress::fromTrustedProxies(m_config.trustedProxies, m_config.clientIpv6Prefix);
    if (!proxies)
        return proxies.error();
    m_clientAddress = std::move(*proxies);

    if (!m_config.tlsCertificate.empty() || !m_config.tlsPrivateKey.empty()) {
        auto tls = makeTlsContext(m_config);
        if (!tls)
            return tls.error();
        m_tls = std::move(*tls);
    }

    boost::system::error_code error;
    const asio::ip::address address = asio::ip::make_address(m_config.listenAddress, error);
    if (error)
        return Error{Errc::InvalidArgument,
                     "listen address \"" + m_config.listenAddress + "\" is not an IP address"};
    const asio::ip::tcp::endpoint endpoint(address, m_config.listenPort);
    const std::string where = endpointText(endpoint);

    asio::ip::tcp::acceptor acceptor(*m_contexts.front());
    if (acceptor.open(endpoint.protocol(), error); error)
        return Error{Errc::IoOpenFailed, "cannot open a socket for " + where + ": " + error.message()};
    // Lets a restarted relay bind while old connections sit in TIME_WAIT; on Linux it never lets
    // two processes listen on the same port (that would need SO_REUSEPORT).
    if (acceptor.set_option(asio::socket_base::reuse_address(true), error); error)
        return Error{Errc::IoOpenFailed, "cannot set SO_REUSEADDR on " + where + ": " + error.message()};
    if (acceptor.bind(endpoint, error); error)
        return Error{Errc::IoOpenFailed, "cannot listen on " + where + ": " + error.message()};
    if (acceptor.listen(asio::socket_base::max_listen_connections, error); error)
        return Error{Errc::IoOpenFailed, "cannot listen on " + where + ": " + error.message()};
    m_acceptor.emplace(std::move(acceptor));
    return {};
}

asio::ip::tcp::endpoint HttpServer::localEndpoint() const {
    boost::system::error_code error;
    return m_acceptor ? m_acceptor->local_endpoint(error) : asio::ip::tcp::endpoint{};
}

void HttpServer::run(std::chrono::steady_clock::duration drainTimeout) {
    m_drainTimeout = drainTimeout;
    asio::io_context& main = *m_contexts.front();
    m_signals.emplace(main, SIGINT, SIGTERM);
    waitForSignal();
    m_drainTimer.emplace(main);
    m_acceptRetryTimer.emplace(main);
    for (auto& context : m_contexts)
        m_work.emplace_back(asio::make_work_guard(*context));
    accept();

    std::vector<std::thread> threads;
    for (std::size_t i = 1; i < m_contexts.size(); ++i)
        threads.emplace_back([context = m_contexts[i].get()] { runContext(*context); });
    runContext(main);
    for (std::thread& thread : threads)
        thread.join();
    Log::info("stopped", {{"connections_left", m_connections.size()}});
}

void HttpServer::stop() {
    asio::post(*m_contexts.front(), [this] { beginDrain(); });
}

void HttpServer::waitForSignal() {
    m_signals->async_wait([this](const boost::system::error_code& error, int signal) {
        if (error)
            return;
        if (!m_draining) {
            Log::info("signal received, draining", {{"signal", signal}});
            beginDrain();
            return waitForSignal();
        }
        Log::warn("second signal received, stopping at once", {{"signal", signal}});
        stopContexts();
    });
}

void HttpServer::accept() {
    asio::io_context& target = *m_contexts[m_nextContext];
    m_nextContext = (m_nextContext + 1) % m_contexts.size();
    m_acceptor->async_accept(target, [this](const boost::system::error_code& error,
                                            asio::ip::tcp::socket socket) {
        if (m_draining || !m_acceptor->is_open())
            return;
        if (error) {
            // Out of file descriptors (EMFILE) and the like: retry shortly instead of spinning.
            Log::warn("accept failed", {{"error", error.message()}});
            m_acceptRetryTimer->expires_after(100ms);
            m_acceptRetryTimer->async_wait([this](const boost::system::error_code& waitError) {
                if (!waitError && !m_draining)
                    accept();
            });
            return;
        }
        boost::system::error_code ignored;
        // Counted by the TCP peer: X-Forwarded-For is known only once a header has been read, and
        // refusing before that is what keeps the cap cheap. A trusted proxy carries every client's
        // connections, so it is not capped here (it caps each client itself, nginx limit_conn): one
        // client's 256 connections through it must not lock everyone else out.
        boost::system::error_code peerError;
        const asio::ip::tcp::endpoint peer = socket.remote_endpoint(peerError);
        if (peerError) { // gone already
            socket.close(ignored);
            return accept();
        }
        std::optional<ConnectionTracker::ClientSlot> slot = m_connections.admit(
            m_clientAddress.peerBucket(peer.address()), m_clientAddress.isTrusted(peer.address())
                                                            ? std::numeric_limits<std::size_t>::max()
                                                            : m_config.maxConnectionsPerClient);
        if (!slot) {
            m_metrics.connectionRefused();
            socket.close(ignored);
            return accept();
        }
        socket.set_option(asio::ip::tcp::no_delay(true), ignored);
        const SessionServices services{m_config, m_api, m_metrics, m_workers, m_clientAddress, m_connections};
        if (m_tls)
            std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *m_tls), services,
                                                     std::move(*slot))
                ->start();
        else
            std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), services,
                                                       std::move(*slot))
                ->start();
        accept();
    });
}

void HttpServer::beginDrain() {
    if (m_draining)
        return;
    m_draining = true;
    boost::system::error_code ignored;
    if (m_acceptor)
        m_acceptor->close(ignored);
    m_acceptRetryTimer->cancel();
    Log::info("draining", {{"connections", m_connections.size()}});
    if (m_onDrain)
        m_onDrain();
    m_connections.drainAll();
    m_drainDeadline = std::chrono::steady_clock::now() + m_drainTimeout;
    checkDrained();
}

void HttpServer::checkDrained() {
    const std::size_t open = m_connections.size();
    if (open == 0 || std::chrono::steady_clock::now() >= m_drainDeadline) {
        if (open != 0)
            Log::warn("drain deadline passed, closing connections", {{"connections", open}});
        return stopContexts();
    }
    m_drainTimer->expires_after(50ms);
    m_drainTimer->async_wait([this](const boost::system::error_code& error) {
        if (!error)
            checkDrained();
    });
}

void HttpServer::stopContexts() {
    if (m_signals) {
        boost::system::error_code ignored;
        m_signals->cancel(ignored);
    }
    for (auto& work : m_work)
        work.reset();
    for (auto& context : m_contexts)
        context->stop();
}

} // namespace ots::relay
