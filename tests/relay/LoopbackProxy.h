#pragma once

// A TCP proxy on a free loopback port, in a thread of its own, in front of a real server (the Ceph
// gateway): counts the connections it accepts, can terminate TLS with a test certificate (the server
// behind speaks plain HTTP), and plays a server that drops keep-alive connections: closeAll() closes every
// open connection at once (an idle timeout), dropNextReused() closes the next reused connection the moment
// a new request arrives on it, unanswered (the race an idle timeout can lose).

// GCC 12 reports -Wnull-dereference inside Asio once io_context::run() is inlined (as in HttpServer.cpp):
// silenced for the lines of Boost's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#pragma GCC diagnostic pop

#include <array>
#include <atomic>
#include <cstdint>
#include <future>
#include <list>
#include <memory>
#include <thread>

namespace ots::test {

class LoopbackProxy {
public:
    /// `tls`: a server context with certificate and key, or null for plain TCP.
    LoopbackProxy(std::uint16_t targetPort, std::shared_ptr<boost::asio::ssl::context> tls = {})
        : m_target(boost::asio::ip::make_address_v4("127.0.0.1"), targetPort)
        , m_tls(std::move(tls))
        , m_acceptor(m_io, {boost::asio::ip::make_address_v4("127.0.0.1"), 0}) {
        accept();
        m_thread = std::thread([this] { m_io.run(); });
    }
    ~LoopbackProxy() {
        m_io.stop();
        m_thread.join();
    }
    LoopbackProxy(const LoopbackProxy&) = delete;
    LoopbackProxy& operator=(const LoopbackProxy&) = delete;

    [[nodiscard]] std::uint16_t port() const { return m_acceptor.local_endpoint().port(); }
    [[nodiscard]] int accepted() const { return m_accepted.load(); }
    /// Closes every open connection, as a server's idle timeout would; returns when done.
    void closeAll() {
        std::promise<void> done;
        boost::asio::post(m_io, [this, &done] {
            for (const auto& close : m_closers)
                close();
            m_closers.clear();
            done.set_value();
        });
        done.get_future().wait();
    }
    void dropNextReused() { m_dropNextReused = true; }

private:
    using tcp = boost::asio::ip::tcp;

    /// One client connection and its connection to the target; client bytes → target, target bytes → client.
    template <typename ClientStream>
    struct Session : std::enable_shared_from_this<Session<ClientStream>> {
        Session(LoopbackProxy& proxy, ClientStream stream)
            : m_proxy(proxy)
            , m_client(std::move(stream))
            , m_server(proxy.m_io) {}

        tcp::socket& clientSocket() {
            if constexpr (std::is_same_v<ClientStream, tcp::socket>)
                return m_client;
            else
                return m_client.next_layer();
        }

        void close() {
            boost::system::error_code ignored;
            clientSocket().close(ignored);
            m_server.close(ignored);
        }

        void start() {
            auto self = this->shared_from_this();
            m_proxy.m_closers.push_back([self] { self->close(); });
            m_server.async_connect(m_proxy.m_target, [self](boost::system::error_code ec) {
                if (ec)
                    return self->close();
                self->fromClient();
                self->fromServer();
            });
        }

        void fromClient() {
            auto self = this->shared_from_this();
            m_client.async_read_some(
                boost::asio::buffer(m_up), [self](boost::system::error_code ec, std::size_t n) {
                    if (ec)
                        return self->close();
                    if (self->m_requestsSeen++ > 0 && self->m_answered &&
                        self->m_proxy.m_dropNextReused.exchange(false))
                        return self->close();
                    self->m_answered = false;
                    boost::asio::async_write(self->m_server, boost::asio::buffer(self->m_up.data(), n),
                                             [self](boost::system::error_code error, std::size_t) {
                                                 if (error)
                                                     return self->close();
                                                 self->fromClient();
                                             });
                });
        }

        void fromServer() {
            auto self = this->shared_from_this();
            m_server.async_read_some(
                boost::asio::buffer(m_down), [self](boost::system::error_code ec, std::size_t n) {
                    if (ec)
                        return self->close();
                    self->m_answered = true;
                    boost::asio::async_write(self->m_client, boost::asio::buffer(self->m_down.data(), n),
                                             [self](boost::system::error_code error, std::size_t) {
                                                 if (error)
                                                     return self->close();
                                                 self->fromServer();
                                             });
                });
        }

        LoopbackProxy& m_proxy;
        ClientStream m_client;
        tcp::socket m_server;
        std::array<char, 64 * 1024> m_up{};
        std::array<char, 64 * 1024> m_down{};
        int m_requestsSeen = 0;
        bool m_answered = false;
    };

    void accept() {
        m_acceptor.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
            if (ec)
                return;
            ++m_accepted;
            if (!m_tls) {
                std::make_shared<Session<tcp::socket>>(*this, std::move(socket))->start();
            } else {
                using TlsSession = Session<boost::asio::ssl::stream<tcp::socket>>;
                auto session = std::make_shared<TlsSession>(
                    *this, boost::asio::ssl::stream<tcp::socket>(std::move(socket), *m_tls));
                session->m_client.async_handshake(boost::asio::ssl::stream_base::server,
                                                  [session](boost::system::error_code error) {
                                                      if (error)
                                                          return session->close();
                                                      session->start();
                                                  });
            }
            accept();
        });
    }

    boost::asio::io_context m_io;
    tcp::endpoint m_target;
    std::shared_ptr<boost::asio::ssl::context> m_tls;
    tcp::acceptor m_acceptor;
    std::list<std::function<void()>> m_closers;
    std::atomic<int> m_accepted{0};
    std::atomic<bool> m_dropNextReused{false};
    std::thread m_thread;
};

} // namespace ots::test
