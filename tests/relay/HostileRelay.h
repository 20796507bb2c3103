#pragma once

// A hostile "relay" for the tests of what the client shows: a small HTTP/1.1 server on a free loopback
// port, on a thread of its own (so a test may block on a child process or spin any event loop), that
// answers every request with the status and body its responder picks: markup, huge strings, terminal
// control sequences in error codes and messages. One request per connection, then it closes.

#include <QByteArray>
#include <QList>

#include <arpa/inet.h>
#include <atomic>
#include <functional>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

namespace ots::relaytest {

class HostileRelay {
public:
    struct Answer {
        int status = 400;
        QByteArray body;
    };
    /// Gets the request line ("GET /api/v1/shares/… HTTP/1.1"); runs on the server's thread.
    using Responder = std::function<Answer(const QByteArray& requestLine)>;

    HostileRelay() = default;
    HostileRelay(const HostileRelay&) = delete;
    HostileRelay& operator=(const HostileRelay&) = delete;
    ~HostileRelay() { stop(); }

    /// Listens on 127.0.0.1 (a free port) and starts serving; false when no socket could be had.
    [[nodiscard]] bool start() {
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_listener < 0)
            return false;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof address;
        if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), length) != 0 ||
            ::listen(m_listener, 16) != 0 ||
            ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return false;
        m_port = ntohs(address.sin_port);
        m_thread = std::thread([this] { serve(); });
        return true;
    }

    void stop() {
        m_stopping = true;
        if (m_thread.joinable())
            m_thread.join();
        if (m_listener >= 0)
            ::close(m_listener);
        m_listener = -1;
    }

    void setResponder(Responder responder) {
        const std::lock_guard lock(m_mutex);
        m_responder = std::move(responder);
    }
    [[nodiscard]] quint16 port() const noexcept { return m_port; }
    [[nodiscard]] int requests() const noexcept { return m_requests; }

    /// The HTTP response for an answer, with the headers a relay sends.
    static QByteArray response(const Answer& answer) {
        return "HTTP/1.1 " + QByteArray::number(answer.status) +
               " Hostile\r\nContent-Type: application/json\r\nCache-Control: no-store\r\n"
               "Connection: close\r\nContent-Length: " +
               QByteArray::number(answer.body.size()) + "\r\n\r\n" + answer.body;
    }

private:
    void serve() {
        while (!m_stopping) {
            pollfd waiting{m_listener, POLLIN, 0};
            if (::poll(&waiting, 1, 50) <= 0)
                continue;
            const int connection = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (connection < 0)
                continue;
            handle(connection);
            ::close(connection);
        }
    }

    void handle(int connection) {
        QByteArray request;
        char buffer[16384];
        qsizetype headerEnd = -1;
        qsizetype bodyLength = 0;
        while (!m_stopping) {
            pollfd readable{connection, POLLIN, 0};
            if (::poll(&readable, 1, 2000) <= 0)
                return;
            const ssize_t got = ::recv(connection, buffer, sizeof buffer, 0);
            if (got <= 0)
                return;
            request.append(buffer, static_cast<qsizetype>(got));
            if (headerEnd < 0) {
                headerEnd = request.indexOf("\r\n\r\n");
                if (headerEnd >= 0) {
                    for (const QByteArray& line : request.left(headerEnd).split('\n'))
                        if (line.toLower().startsWith("content-length:"))
                            bodyLength = line.mid(15).trimmed().toLongLong();
                }
            }
            if (headerEnd >= 0 && request.size() >= headerEnd + 4 + bodyLength)
                break;
        }
        if (headerEnd < 0)
            return;
        ++m_requests;
        Answer answer;
        {
            const std::lock_guard lock(m_mutex);
            if (m_responder)
                answer = m_responder(request.left(request.indexOf("\r\n")));
        }
        const QByteArray bytes = response(answer);
        for (qsizetype sent = 0; sent < bytes.size();) {
            const ssize_t wrote = ::send(connection, bytes.constData() + sent,
                                         static_cast<std::size_t>(bytes.size() - sent), MSG_NOSIGNAL);
            if (wrote <= 0)
                return; // the client gave up on a huge answer: fine
            sent += wrote;
        }
        ::shutdown(connection, SHUT_WR);
    }

    int m_listener = -1;
    quint16 m_port = 0;
    std::atomic<bool> m_stopping{false};
    std::atomic<int> m_requests{0};
    std::mutex m_mutex;
    Responder m_responder;
    std::thread m_thread;
};

/// Error bodies a hostile relay answers with, each a valid {"error", "message"} object.
struct HostileBodies {
    /// Markup that AutoText would render: an image of /dev/zero, a font size, a link.
    static QByteArray markup() {
        return R"({"error":"<img src=/dev/zero width=99999 height=99999>","message":"<font size=7><a href=x>)"
               R"(click</a></font>"})";
    }
    /// An error code of 10 MB (markup inside, so laying it out as rich text would be ruinous too).
    static QByteArray huge() {
        return R"({"error":"<b>)" + QByteArray(qsizetype{10} * 1024 * 1024, 'A') + R"(</b>","message":"x"})";
    }
    /// Terminal commands: an OSC 52 clipboard write, a bell, cursor movement, a screen clear, a C1 CSI,
    /// a right-to-left override and a fake success line.
    static QByteArray controls() {
        return R"({"error":"\u001b]52;c;aGFja2Vk\u0007\u001b[1A\u001b[2K\u009b31mintegrity check passed\u202e",)"
               R"("message":"\u001b[2J\u001b]0;owned\u0007"})";
    }
};

} // namespace ots::relaytest
