#pragma once

// A real Redis Sentinel (Debian's redis-sentinel: `redis-server FILE --sentinel`) for one test: a free
// loopback port, its own config file in its own temporary folder (Sentinel rewrites that file as it
// learns), watching one master. Started by the test, stopped by its own PID (never by name).

#include "RedisServer.h"

#include <QByteArray>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>

namespace ots::test {

class RedisSentinel {
public:
    struct Settings {
        QString masterName = QStringLiteral("mymaster");
        quint16 masterPort = 0;
        int quorum = 2;
        int downAfterMs = 1000;
        int failoverTimeoutMs = 3000;
        QByteArray requirePass; ///< the sentinel's own password (requirepass); empty: none
    };

    RedisSentinel() = default;
    ~RedisSentinel() { stop(); }
    RedisSentinel(const RedisSentinel&) = delete;
    RedisSentinel& operator=(const RedisSentinel&) = delete;

    /// Writes the config file and starts the sentinel; true once it answers on its port (PING, or
    /// NOAUTH when it has a password).
    [[nodiscard]] bool start(const Settings& settings) {
        if (!m_dir.isValid())
            return false;
        m_port = RedisServer::freeLoopbackPort();
        const QString path = m_dir.filePath(QStringLiteral("sentinel.conf"));
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            return false;
        const QByteArray name = settings.masterName.toUtf8();
        QByteArray text = "port " + QByteArray::number(m_port) + "\nbind 127.0.0.1\ndaemonize no\n" + "dir " +
                          m_dir.path().toUtf8() + "\n" + "sentinel monitor " + name + " 127.0.0.1 " +
                          QByteArray::number(settings.masterPort) + ' ' +
                          QByteArray::number(settings.quorum) + '\n' + "sentinel down-after-milliseconds " +
                          name + ' ' + QByteArray::number(settings.downAfterMs) + '\n' +
                          "sentinel failover-timeout " + name + ' ' +
                          QByteArray::number(settings.failoverTimeoutMs) + '\n' + "sentinel parallel-syncs " +
                          name + " 1\n";
        if (!settings.requirePass.isEmpty())
            text += "requirepass " + settings.requirePass + '\n';
        if (file.write(text) != text.size())
            return false;
        file.close();
        m_process.setProgram(QStringLiteral("redis-server"));
        m_process.setArguments({path, QStringLiteral("--sentinel")});
        m_process.setStandardOutputFile(m_dir.filePath(QStringLiteral("sentinel.log")));
        m_process.setStandardErrorFile(QProcess::nullDevice());
        m_process.start();
        if (!m_process.waitForStarted(5000))
            return false;
        return RedisServer::waitUntilAnswering(m_process, m_port);
    }

    /// SIGTERM to this sentinel's PID, SIGKILL after a grace period.
    void stop() { RedisServer::stopByPid(m_process); }

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] qint64 pid() const { return m_process.processId(); }
    /// What the sentinel logged, for a failure message.
    [[nodiscard]] QByteArray log() const {
        QFile file(m_dir.filePath(QStringLiteral("sentinel.log")));
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
};

} // namespace ots::test
