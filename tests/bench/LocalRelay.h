#pragma once

// A redis-server (tests/relay/RedisServer.h) and an ots-relay on free loopback ports, for the client
// benchmarks: the relay binary is the caller's choice (--relay), its data and log go into a folder
// the caller chooses (so the big blobs land next to the benchmark's other files), and both are
// stopped by their own PIDs when the object goes.

#include "RedisServer.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QThread>
#include <QUrl>

#include <arpa/inet.h>
#include <cstdlib>
#include <cstring>
#include <netinet/in.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

namespace ots::bench {

class LocalRelay {
public:
    LocalRelay() = default;
    LocalRelay(const LocalRelay&) = delete;
    LocalRelay& operator=(const LocalRelay&) = delete;
    ~LocalRelay() { stop(); }

    /// Starts Redis, then the relay at `binary` with its data in dataDir and its output in logPath,
    /// and waits for /readyz. extraArgs come last (later flags win). Throws with the log on failure.
    void start(const QString& binary, const QString& dataDir, const QString& logPath,
               const QStringList& extraArgs) {
        if (!m_redis.start())
            throw std::runtime_error("redis-server did not start (is it installed and on PATH?)");
        m_logPath = logPath;
        m_port = ots::test::RedisServer::freeLoopbackPort();
        QStringList arguments{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:%1").arg(m_port),
                              QStringLiteral("--data-dir"), dataDir, QStringLiteral("--redis-port"),
                              QString::number(m_redis.port()), QStringLiteral("--creates-per-minute-per-ip"),
                              QStringLiteral("1000000"), QStringLiteral("--proofs-per-minute-per-ip"),
                              QStringLiteral("1000000"),
                              // Every bench client is 127.0.0.1: the per-client allowances out of the way.
                              QStringLiteral("--client-shares-per-hour"), QStringLiteral("1000000000"),
                              QStringLiteral("--client-bytes-per-hour"), QStringLiteral("1000T"),
                              QStringLiteral("--log-level"), QStringLiteral("info")};
        arguments += extraArgs;
        m_relay.setProgram(binary);
        m_relay.setArguments(arguments);
        m_relay.setProcessChannelMode(QProcess::MergedChannels);
        m_relay.setStandardOutputFile(logPath);
        m_relay.setStandardInputFile(QProcess::nullDevice());
        m_relay.start();
        if (!m_relay.waitForStarted(10'000))
            throw std::runtime_error("cannot start " + binary.toStdString() + ": " +
                                     m_relay.errorString().toStdString());
        const QDeadlineTimer deadline(20'000);
        while (!deadline.hasExpired()) {
            if (m_relay.waitForFinished(50))
                throw std::runtime_error("ots-relay exited at start; its log ends with:\n" + logTail());
            if (httpStatus("/readyz") == 200)
                return;
        }
        throw std::runtime_error("ots-relay was not ready within 20 s; its log ends with:\n" + logTail());
    }

    /// SIGTERM to the relay's PID (SIGKILL after 10 s), then Redis likewise.
    void stop() {
        if (m_relay.state() != QProcess::NotRunning) {
            m_relay.terminate();
            if (!m_relay.waitForFinished(10'000)) {
                m_relay.kill();
                m_relay.waitForFinished(5000);
            }
        }
        m_redis.stop();
    }

    [[nodiscard]] QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    [[nodiscard]] qint64 pid() const { return m_relay.processId(); }

    /// The last few KiB of the relay's log, for failure messages.
    [[nodiscard]] std::string logTail(qint64 bytes = 3000) const {
        QFile log(m_logPath);
        if (!log.open(QIODevice::ReadOnly))
            return "(no log at " + m_logPath.toStdString() + ")";
        const qint64 size = log.size();
        log.seek(size > bytes ? size - bytes : 0);
        return log.readAll().toStdString();
    }

private:
    /// The status code of a GET on the relay (one connection, one request); 0 when nothing answers.
    [[nodiscard]] int httpStatus(const char* target) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0)
            return 0;
        timeval timeout{2, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        int status = 0;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
            const QByteArray request =
                QByteArray("GET ") + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n";
            char reply[64] = {};
            if (::send(fd, request.constData(), static_cast<std::size_t>(request.size()), MSG_NOSIGNAL) ==
                    static_cast<ssize_t>(request.size()) &&
                ::recv(fd, reply, sizeof(reply) - 1, 0) > 12 && std::strncmp(reply, "HTTP/1.1 ", 9) == 0)
                status = static_cast<int>(std::strtol(reply + 9, nullptr, 10));
        }
        ::close(fd);
        return status;
    }

    ots::test::RedisServer m_redis;
    QProcess m_relay;
    QString m_logPath;
    quint16 m_port = 0;
};

} // namespace ots::bench
