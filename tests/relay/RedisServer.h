#pragma once

// A real redis-server for one test program: a free loopback port, its own temporary folder, no
// persistence. Started by the test, stopped by its own PID (never by name). Qt Core only, so tests
// that do not link Qt Network can use it too.

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>
#include <QTemporaryDir>
#include <QThread>

#include <arpa/inet.h>
#include <csignal>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace ots::test {

class RedisServer {
public:
    RedisServer() = default;
    ~RedisServer() { stop(); }
    RedisServer(const RedisServer&) = delete;
    RedisServer& operator=(const RedisServer&) = delete;

    /// A port nothing listens on right now (the kernel's pick for an ephemeral bind).
    static quint16 freeLoopbackPort() {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return 0;
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        quint16 port = 0;
        if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0)
            port = ntohs(address.sin_port);
        ::close(fd);
        return port;
    }

    /// Starts redis-server (on `port`, or a free one) and waits until it answers PING (with NOAUTH, if
    /// extraArgs holds --requirepass). Later arguments win, so extraArgs may add or change settings.
    [[nodiscard]] bool start(quint16 port = 0, const QStringList& extraArgs = {}) {
        if (!m_dir.isValid())
            return false;
        m_port = port != 0 ? port : freeLoopbackPort();
        m_process.setProgram(QStringLiteral("redis-server"));
        QStringList arguments{QStringLiteral("--port"),       QString::number(m_port),
                              QStringLiteral("--bind"),       QStringLiteral("127.0.0.1"),
                              QStringLiteral("--save"),       QString(),
                              QStringLiteral("--appendonly"), QStringLiteral("no"),
                              QStringLiteral("--dir"),        m_dir.path(),
                              QStringLiteral("--daemonize"),  QStringLiteral("no")};
        arguments += extraArgs;
        m_process.setArguments(arguments);
        m_process.setStandardOutputFile(QProcess::nullDevice());
        m_process.setStandardErrorFile(QProcess::nullDevice());
        m_process.start();
        if (!m_process.waitForStarted(5000))
            return false;
        return waitUntilAnswering(m_process, m_port);
    }

    /// SIGTERM to this server's PID, SIGKILL after a grace period.
    void stop() { stopByPid(m_process); }

    /// SIGTERM to the process's PID, SIGKILL after a grace period.
    static void stopByPid(QProcess& process) {
        if (process.state() == QProcess::NotRunning)
            return;
        const qint64 pid = process.processId();
        if (pid > 0)
            ::kill(static_cast<pid_t>(pid), SIGTERM);
        if (!process.waitForFinished(5000)) {
            if (pid > 0)
                ::kill(static_cast<pid_t>(pid), SIGKILL);
            process.waitForFinished(5000);
        }
    }

    /// Waits until the process answers PING on port (or NOAUTH); false if it ends or 10 s pass.
    [[nodiscard]] static bool waitUntilAnswering(QProcess& process, quint16 port) {
        const QDeadlineTimer deadline(10'000);
        while (!deadline.hasExpired()) {
            if (process.state() != QProcess::Running)
                return false;
            if (answersPingOn(port))
                return true;
            QThread::msleep(20);
        }
        return false;
    }

    /// kill -9 to this server's PID (a crash: no shutdown, no last words to its replicas).
    void kill() {
        if (m_process.state() == QProcess::NotRunning)
            return;
        if (const qint64 pid = m_process.processId(); pid > 0)
            ::kill(static_cast<pid_t>(pid), SIGKILL);
        m_process.waitForFinished(5000);
    }

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] qint64 pid() const { return m_process.processId(); }

    /// Something on the loopback port answers PING with PONG (or NOAUTH: it has a password).
    [[nodiscard]] static bool answersPingOn(quint16 port) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return false;
        timeval timeout{1, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        bool ok = false;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
            constexpr char ping[] = "PING\r\n";
            char reply[16] = {};
            if (::send(fd, ping, sizeof(ping) - 1, MSG_NOSIGNAL) == static_cast<ssize_t>(sizeof(ping) - 1) &&
                ::recv(fd, reply, sizeof(reply) - 1, 0) > 0)
                ok = std::strncmp(reply, "+PONG", 5) == 0 || std::strncmp(reply, "-NOAUTH", 7) == 0;
        }
        ::close(fd);
        return ok;
    }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
};

} // namespace ots::test
