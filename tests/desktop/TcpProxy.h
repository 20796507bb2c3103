#pragma once

// A TCP proxy for the end-to-end tests, between the client and the relay on loopback: it forwards
// bytes both ways, counts them per direction, and can break the transfer once — cut (reset both
// sides) or stall (stop forwarding, keep the connection open) — when the bytes in one direction pass
// a threshold. The resume tests check that a transfer survives the cut without starting over (the
// counters tell how many bytes crossed), the cancel test uses the stall.
// Plain POSIX sockets and threads: the proxy must keep running while the test blocks on a child process.

#include <QtGlobal>

#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace ots::test {

class TcpProxy {
public:
    enum class Direction { ToRelay = 0, ToClient = 1 };
    enum class Break { None, Cut, Stall };

    TcpProxy() = default;
    ~TcpProxy() { stop(); }
    TcpProxy(const TcpProxy&) = delete;
    TcpProxy& operator=(const TcpProxy&) = delete;

    /// Listens on a free loopback port and forwards every connection to 127.0.0.1:targetPort.
    [[nodiscard]] bool start(quint16 targetPort) {
        m_targetPort = targetPort;
        m_listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (m_listener < 0)
            return false;
        const int yes = 1;
        ::setsockopt(m_listener, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
        sockaddr_in address = loopback(0);
        socklen_t length = sizeof(address);
        if (::bind(m_listener, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(m_listener, 64) != 0 ||
            ::getsockname(m_listener, reinterpret_cast<sockaddr*>(&address), &length) != 0)
            return false;
        m_port = ntohs(address.sin_port);
        m_stopping = false;
        m_acceptor = std::thread([this] { acceptLoop(); });
        return true;
    }

    void stop() {
        m_stopping = true;
        if (m_acceptor.joinable())
            m_acceptor.join();
        std::vector<std::thread> threads;
        {
            const std::lock_guard lock(m_mutex);
            threads.swap(m_connections);
        }
        for (auto& thread : threads)
            thread.join();
        if (m_listener >= 0)
            ::close(m_listener);
        m_listener = -1;
    }

    [[nodiscard]] quint16 port() const { return m_port; }

    /// The next time the bytes sent in direction (counted since the last resetCounters()) pass
    /// afterBytes, the connection carrying them breaks as breakKind says — once.
    void breakOnce(Direction direction, quint64 afterBytes, Break breakKind) {
        const std::lock_guard lock(m_mutex);
        m_breakDirection = direction;
        m_breakAfter = afterBytes;
        m_break = breakKind;
    }
    /// Forwards at most bytesPerSecond towards the client from now on (0: as fast as it comes), so a
    /// test can act on the receiving side while a download is certainly still running.
    void throttleToClient(quint64 bytesPerSecond) { m_throttle = bytesPerSecond; }
    void resetCounters() {
        m_bytes[0] = 0;
        m_bytes[1] = 0;
    }
    [[nodiscard]] quint64 bytes(Direction direction) const { return m_bytes[index(direction)].load(); }
    /// How many times a break happened.
    [[nodiscard]] int breaks() const { return m_breaks.load(); }
    [[nodiscard]] int connections() const { return m_accepted.load(); }

private:
    static constexpr std::size_t index(Direction direction) {
        return direction == Direction::ToRelay ? 0 : 1;
    }

    static sockaddr_in loopback(quint16 port) {
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        return address;
    }

    void acceptLoop() {
        while (!m_stopping) {
            pollfd listener{m_listener, POLLIN, 0};
            if (::poll(&listener, 1, 50) <= 0)
                continue;
            const int client = ::accept4(m_listener, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0)
                continue;
            const int relay = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            const sockaddr_in target = loopback(m_targetPort);
            if (relay < 0 ||
                ::connect(relay, reinterpret_cast<const sockaddr*>(&target), sizeof(target)) != 0) {
                if (relay >= 0)
                    ::close(relay);
                ::close(client);
                continue;
            }
            ++m_accepted;
            const std::lock_guard lock(m_mutex);
            m_connections.emplace_back([this, client, relay] { forward(client, relay); });
        }
    }

    // How many of `available` bytes may pass in direction before a break, and whether it breaks now.
    quint64 allowance(Direction direction, quint64 available, Break& breakNow) {
        const std::lock_guard lock(m_mutex);
        breakNow = Break::None;
        if (m_break == Break::None || m_breakDirection != direction)
            return available;
        const quint64 sent = m_bytes[index(direction)].load();
        if (sent + available <= m_breakAfter)
            return available;
        breakNow = m_break;
        m_break = Break::None;
        ++m_breaks;
        return m_breakAfter > sent ? m_breakAfter - sent : 0;
    }

    static bool sendAll(int fd, const char* data, quint64 size) {
        while (size > 0) {
            const ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
            if (sent < 0 && errno == EINTR)
                continue;
            if (sent <= 0)
                return false;
            data += sent;
            size -= static_cast<quint64>(sent);
        }
        return true;
    }

    static void resetAndClose(int fd) {
        const linger hard{1, 0}; // RST, as a dropped connection looks to both ends
        ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
        ::close(fd);
    }

    void forward(int client, int relay) {
        std::vector<char> buffer(std::size_t{64} * 1024);
        bool stalled = false;
        while (!m_stopping) {
            if (stalled) {
                ::usleep(20'000);
                continue;
            }
            pollfd fds[2] = {{client, POLLIN, 0}, {relay, POLLIN, 0}};
            const int ready = ::poll(fds, 2, 50);
            if (ready < 0 && errno != EINTR)
                break;
            if (ready <= 0)
                continue;
            bool closed = false;
            for (int side = 0; side < 2 && !closed && !stalled; ++side) {
                if ((fds[side].revents & (POLLIN | POLLHUP | POLLERR)) == 0)
                    continue;
                const int from = side == 0 ? client : relay;
                const int to = side == 0 ? relay : client;
                const Direction direction = side == 0 ? Direction::ToRelay : Direction::ToClient;
                const ssize_t got = ::recv(from, buffer.data(), buffer.size(), 0);
                if (got < 0 && errno == EINTR)
                    continue;
                if (got <= 0) {
                    closed = true;
                    break;
                }
                Break breakNow = Break::None;
                const quint64 pass = allowance(direction, static_cast<quint64>(got), breakNow);
                if (pass > 0 && !sendAll(to, buffer.data(), pass)) {
                    closed = true;
                    break;
                }
                m_bytes[index(direction)] += pass;
                if (const quint64 rate = m_throttle.load(); rate > 0 && direction == Direction::ToClient)
                    std::this_thread::sleep_for(std::chrono::microseconds(pass * 1'000'000 / rate));
                if (breakNow == Break::Cut) {
                    resetAndClose(client);
                    resetAndClose(relay);
                    return;
                }
                if (breakNow == Break::Stall)
                    stalled = true;
            }
            if (closed)
                break;
        }
        ::close(client);
        ::close(relay);
    }

    quint16 m_targetPort = 0;
    quint16 m_port = 0;
    int m_listener = -1;
    std::atomic<bool> m_stopping{false};
    std::atomic<quint64> m_throttle{0};
    std::thread m_acceptor;
    std::mutex m_mutex;
    std::vector<std::thread> m_connections;
    std::atomic<quint64> m_bytes[2] = {0, 0};
    std::atomic<int> m_breaks{0};
    std::atomic<int> m_accepted{0};
    Direction m_breakDirection = Direction::ToRelay;
    quint64 m_breakAfter = 0;
    Break m_break = Break::None;
};

} // namespace ots::test
