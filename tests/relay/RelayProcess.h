#pragma once

// The real ots-relay binary (OTS_RELAY_BINARY, the one this build just linked) as a child process of
// a test: a free loopback port, a data folder the test chooses, its log (standard output and error)
// in a file the test can read, readiness through /readyz, and a stop by PID — SIGTERM for a
// graceful drain, SIGKILL for the crash tests.

#include "CephCluster.h"
#include "RedisServer.h"
#include "RelayClient.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QTemporaryDir>
#include <QThread>

#include <algorithm>
#include <memory>

#ifndef OTS_RELAY_BINARY
#error "OTS_RELAY_BINARY must name the ots-relay executable"
#endif

namespace ots::relaytest {

using ots::test::RedisServer;

/// A port nobody listens on right now.
inline quint16 freeLoopbackPort() {
    return RedisServer::freeLoopbackPort();
}

/// "VmRSS" or "VmHWM" of a process in KiB from /proc/PID/status; -1 if unreadable.
inline qint64 procStatusKiB(qint64 pid, const QByteArray& field) {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray& line : status.readAll().split('\n'))
        if (line.startsWith(field + ':'))
            return line.mid(field.size() + 1).trimmed().split(' ').value(0).toLongLong();
    return -1;
}

/// Ends a child: SIGTERM and a grace period when graceful, else (or then) SIGKILL — by its PID,
/// through QProcess.
inline void stopChild(QProcess& process, bool graceful, int graceMs = 10'000) {
    if (process.state() == QProcess::NotRunning)
        return;
    if (graceful) {
        process.terminate();
        if (process.waitForFinished(graceMs))
            return;
    }
    process.kill();
    process.waitForFinished(5000);
}

/// Runs redis-cli against the server on port; its standard output, or an empty array on failure.
inline QByteArray redisCli(quint16 port, const QStringList& arguments, int timeoutMs = 10'000) {
    QProcess process;
    process.start(QStringLiteral("redis-cli"), QStringList{QStringLiteral("-h"), QStringLiteral("127.0.0.1"),
                                                           QStringLiteral("-p"), QString::number(port)} +
                                                   arguments);
    if (!process.waitForFinished(timeoutMs)) {
        stopChild(process, false);
        return {};
    }
    return process.readAllStandardOutput();
}

/// Every key matching pattern (SCAN, so it is safe on a big database), sorted.
inline QList<QByteArray> redisKeys(quint16 port, const QString& pattern) {
    QList<QByteArray> out;
    for (const QByteArray& line :
         redisCli(port, {QStringLiteral("--scan"), QStringLiteral("--pattern"), pattern}).split('\n'))
        if (!line.trimmed().isEmpty())
            out.append(line.trimmed());
    std::sort(out.begin(), out.end());
    return out;
}

/// The Redis keys of one share (ots:{id}:*).
inline QList<QByteArray> shareKeys(quint16 redisPort, const QByteArray& id) {
    return redisKeys(redisPort, QStringLiteral("ots:{%1}:*").arg(QString::fromLatin1(id)));
}

/// Flags every test relay gets unless the test passes them itself: generous rate limits (the tests
/// send hundreds of requests from one address on purpose) and a fast sweeper.
inline QList<QPair<QString, QString>> relayTestDefaults() {
    return {{QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("1000000")},
            {QStringLiteral("--proofs-per-minute-per-ip"), QStringLiteral("1000000")},
            {QStringLiteral("--client-shares-per-hour"), QStringLiteral("1000000")},
            {QStringLiteral("--client-bytes-per-hour"), QStringLiteral("1T")},
            {QStringLiteral("--log-level"), QStringLiteral("debug")}};
}

/// Polls condition every 20 ms until it holds or timeoutMs passes; true if it held. For state that
/// another process changes in its own time (a sweeper, a finishing append), never as a delay.
template <typename Condition>
bool waitUntil(Condition condition, int timeoutMs) {
    const QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QThread::msleep(20);
    }
    return true;
}

class RelayProcess {
public:
    RelayProcess()
        : m_logDir(std::make_unique<QTemporaryDir>()) {}
    RelayProcess(const RelayProcess&) = delete;
    RelayProcess& operator=(const RelayProcess&) = delete;
    ~RelayProcess() { stop(); }

    /// Starts the relay against Redis on redisPort with dataDir; later flags win over earlier ones,
    /// so extraArgs may override the test defaults. Waits for /readyz (or /healthz when waitReady
    /// is false, for a relay whose Redis is down). On failure, error() has the reason and the log.
    [[nodiscard]] bool start(quint16 redisPort, const QString& dataDir, const QStringList& extraArgs = {},
                             bool waitReady = true, int timeoutMs = 20'000) {
        m_redisPort = redisPort;
        m_dataDir = dataDir;
        m_extraArgs = extraArgs;
        for (int attempt = 0; attempt < 3; ++attempt) {
            m_port = m_samePortNext ? m_port : freeLoopbackPort();
            ++m_starts;
            m_logPath = m_logDir->filePath(QStringLiteral("relay-%1.log").arg(m_starts));
            m_process.setProgram(QStringLiteral(OTS_RELAY_BINARY));
            QStringList arguments{QStringLiteral("--listen"),     QStringLiteral("127.0.0.1:%1").arg(m_port),
                                  QStringLiteral("--data-dir"),   dataDir,
                                  QStringLiteral("--redis-port"), QString::number(redisPort)};
            for (const auto& [flag, value] : relayTestDefaults())
                if (!extraArgs.contains(flag))
                    arguments << flag << value;
            arguments += extraArgs;
            m_process.setArguments(arguments);
            m_process.setProcessEnvironment(m_environment);
            m_process.setProcessChannelMode(QProcess::MergedChannels);
            m_process.setStandardOutputFile(m_logPath);
            m_process.start();
            if (!m_process.waitForStarted(timeoutMs)) {
                m_error = QStringLiteral("ots-relay did not start: ") + m_process.errorString();
                return false;
            }
            m_pid = m_process.processId();
            m_killedOnPurpose = false;
            if (waitUntilServing(waitReady, timeoutMs))
                return true;
            const bool exited = !isRunning();
            stopChild(m_process, false);
            m_error = QStringLiteral("ots-relay not %1 within %2 ms; log:\n%3")
                          .arg(waitReady ? QStringLiteral("ready") : QStringLiteral("serving"))
                          .arg(timeoutMs)
                          .arg(QString::fromUtf8(log().right(4000)));
            if (!exited)
                return false; // it ran but never became ready: a real failure, not a race for a port
            if (m_samePortNext)
                QThread::msleep(200); // the old process's port may take a moment to come free
        }
        return false;
    }
    /// An environment variable for the relay's next starts (secrets go here, never in arguments).
    void setEnvironment(const QString& name, const QString& value) { m_environment.insert(name, value); }

    /// Starts again on the same port, Redis, data folder and flags, as a service manager would
    /// (a new log file). The same port matters: a relay knows its own upload leases by its address.
    [[nodiscard]] bool restart(int timeoutMs = 20'000) {
        stopChild(m_process, false);
        m_samePortNext = true;
        const bool started = start(m_redisPort, m_dataDir, m_extraArgs, true, timeoutMs);
        m_samePortNext = false;
        return started;
    }

    /// SIGTERM (graceful drain), SIGKILL after the grace period. A relay that died on its own before
    /// (a crash the test did not cause) gets the end of its log printed, so the failure explains itself.
    void stop(int graceMs = 10'000) {
        if (m_process.state() != QProcess::NotRunning && !isRunning() && !m_killedOnPurpose)
            qWarning("ots-relay (pid %lld) ended by itself: %s %d; its log ends with:\n%s", qint64(m_pid),
                     m_process.exitStatus() == QProcess::CrashExit ? "signal" : "exit code",
                     m_process.exitCode(), log().right(3000).constData());
        stopChild(m_process, true, graceMs);
    }
    /// kill -9: the crash tests.
    void kill() {
        m_killedOnPurpose = true;
        stopChild(m_process, false);
    }
    /// Sends SIGTERM and returns at once (the drain runs while the test goes on).
    void sendTerminate() {
        m_killedOnPurpose = true;
        m_process.terminate();
    }
    [[nodiscard]] bool waitForExit(int timeoutMs) {
        return m_process.state() == QProcess::NotRunning || m_process.waitForFinished(timeoutMs);
    }
    [[nodiscard]] bool isRunning() {
        return m_process.state() != QProcess::NotRunning && !m_process.waitForFinished(0);
    }
    /// Ended on its own terms with status 0: a clean drain (a sanitizer report at exit fails it).
    [[nodiscard]] bool exitedCleanly() const {
        return m_process.state() == QProcess::NotRunning && m_process.exitStatus() == QProcess::NormalExit &&
               m_process.exitCode() == 0;
    }

    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] qint64 pid() const { return m_process.processId(); }
    [[nodiscard]] RelayClient client() const { return RelayClient(m_port); }
    [[nodiscard]] const QString& error() const { return m_error; }
    [[nodiscard]] QString logPath() const { return m_logPath; }
    /// Every log file of this object's starts, concatenated.
    [[nodiscard]] QByteArray log() const {
        QByteArray all;
        for (int i = 1; i <= m_starts; ++i) {
            QFile file(m_logDir->filePath(QStringLiteral("relay-%1.log").arg(i)));
            if (file.open(QIODevice::ReadOnly))
                all += file.readAll();
        }
        return all;
    }
    [[nodiscard]] qint64 rssKiB() const { return procStatusKiB(pid(), "VmRSS"); }
    [[nodiscard]] qint64 peakRssKiB() const { return procStatusKiB(pid(), "VmHWM"); }

private:
    QProcessEnvironment m_environment = QProcessEnvironment::systemEnvironment();
    bool waitUntilServing(bool waitReady, int timeoutMs) {
        const QDeadlineTimer deadline(timeoutMs);
        const QByteArray target = waitReady ? "/readyz" : "/healthz";
        while (!deadline.hasExpired()) {
            if (m_process.waitForFinished(50))
                return false;
            HttpConnection connection(m_port);
            if (!connection.connect(500))
                continue;
            if (connection.request({"GET", target, {}, {}}, 2000).status == 200)
                return true;
        }
        return false;
    }

    std::unique_ptr<QTemporaryDir> m_logDir;
    QProcess m_process;
    quint16 m_port = 0;
    quint16 m_redisPort = 0;
    QString m_dataDir;
    QStringList m_extraArgs;
    QString m_logPath;
    QString m_error;
    int m_starts = 0;
    bool m_samePortNext = false;
    bool m_killedOnPurpose = false;
    qint64 m_pid = 0; // kept after the process ends, for messages
};

/// The keys of a share that outlive it: all but its tombstone and its unused challenge nonces, which
/// expire on their own within challenge-lifetime (so each must carry a TTL to be left out).
inline QList<QByteArray> keysLeftBehind(quint16 redisPort, const QByteArray& id) {
    QList<QByteArray> out;
    for (const QByteArray& key : shareKeys(redisPort, id)) {
        if (key.endsWith(":gone"))
            continue;
        if (key.contains(":nonce:") &&
            redisCli(redisPort, {QStringLiteral("PTTL"), QString::fromLatin1(key)}).trimmed().toLongLong() >
                0)
            continue;
        out.append(key);
    }
    return out;
}

/// The entries below dir whose name contains needle (e.g. a share id).
inline QStringList filesNamed(const QString& dir, const QString& needle) {
    QStringList out;
    const QStringList all = test::listTree(dir);
    for (const QString& path : all)
        if (path.contains(needle))
            out << path;
    return out;
}

/// The blob store the relay tests run against. OTS_TEST_BLOB_STORE=s3 (the *_s3 ctest entries) makes
/// every RelayFixture keep its relay's blobs in a one-node Ceph cluster's bucket (testCephCluster()).
inline bool s3StoreUnderTest() {
    return qgetenv("OTS_TEST_BLOB_STORE") == "s3";
}

/// The test program's one Ceph cluster: started by the first caller (~7 s, ~1 GiB of memory), shared
/// by every caller while one of them holds it, stopped when the last lets it go. Relays with Redis
/// servers of their own keep their blobs under prefixes of their own in its bucket (nextS3Prefix()),
/// so that one relay's orphan sweep never sees another's objects. Null on failure, with the reason in
/// `error`.
inline std::shared_ptr<test::CephCluster> testCephCluster(QString& error) {
    static std::weak_ptr<test::CephCluster> shared;
    if (std::shared_ptr<test::CephCluster> running = shared.lock())
        return running;
    auto cluster = std::make_shared<test::CephCluster>();
    if (!cluster->start()) {
        error = QStringLiteral("the Ceph cluster did not start: ") + cluster->errorString();
        return nullptr;
    }
    shared = cluster;
    return cluster;
}

/// A key prefix in the test cluster's bucket that no other relay of this program uses: the relay's
/// default "ots/" first, then "ots-2/", "ots-3/", …
inline QString nextS3Prefix() {
    static int used = 0;
    ++used;
    return used == 1 ? QStringLiteral("ots/") : QStringLiteral("ots-%1/").arg(used);
}

/// Adds to `arguments` (and the relay's environment) what makes a relay keep its blobs in ceph's bucket.
inline void useS3Store(RelayProcess& relay, const test::CephCluster& ceph, QStringList& arguments,
                       const QString& prefix = QStringLiteral("ots/")) {
    arguments = QStringList{QStringLiteral("--blob-store"),       QStringLiteral("s3"),
                            QStringLiteral("--s3-endpoint"),      ceph.endpoint(),
                            QStringLiteral("--s3-bucket"),        ceph.bucket(),
                            QStringLiteral("--s3-prefix"),        prefix,
                            QStringLiteral("--s3-access-key-id"), ceph.accessKeyId()} +
                arguments;
    relay.setEnvironment(QStringLiteral("OTS_RELAY_S3_SECRET_ACCESS_KEY"), ceph.secretAccessKey());
}

/// With s3StoreUnderTest(): adds what makes `relay` keep its blobs in the program's Ceph cluster
/// (testCephCluster()) under a prefix of its own, which it returns, and holds the cluster in `ceph`,
/// which must outlive the relay. For a relay with a Redis of its own (RelayFixture, or a test's own).
/// On failure `ceph` is null and `error` says why. Without S3: nothing, an empty prefix.
inline QString useTestS3Store(RelayProcess& relay, QStringList& arguments,
                              std::shared_ptr<test::CephCluster>& ceph, QString& error) {
    if (!s3StoreUnderTest())
        return {};
    ceph = testCephCluster(error);
    if (!ceph)
        return {};
    QString prefix = nextS3Prefix();
    useS3Store(relay, *ceph, arguments, prefix);
    return prefix;
}

/// One Redis, one data folder, one relay: what most tests start in initTestCase.
struct RelayFixture {
    RedisServer redis;
    QTemporaryDir dataDir;
    RelayProcess relay;
    std::shared_ptr<test::CephCluster> ceph; ///< with s3StoreUnderTest(): the program's (testCephCluster())
    QString s3Prefix; ///< with s3StoreUnderTest(): this fixture's keys in ceph's bucket

    [[nodiscard]] bool start(const QStringList& extraArgs = {}) {
        if (!dataDir.isValid()) {
            m_error = QStringLiteral("no temporary folder");
            return false;
        }
        if (!redis.start()) {
            m_error = QStringLiteral("redis-server did not start");
            return false;
        }
        QStringList arguments = extraArgs;
        s3Prefix = useTestS3Store(relay, arguments, ceph, m_error);
        if (s3StoreUnderTest() && !ceph)
            return false;
        if (!relay.start(redis.port(), dataDir.path(), arguments)) {
            m_error = relay.error();
            return false;
        }
        return true;
    }

    /// Starts another relay on this fixture's Redis, data folder and blob store (with S3: the same
    /// bucket and prefix), as a second relay of one installation.
    [[nodiscard]] bool startAnother(RelayProcess& other, QStringList extraArgs = {}) const {
        if (ceph)
            useS3Store(other, *ceph, extraArgs, s3Prefix);
        return other.start(redis.port(), dataDir.path(), extraArgs);
    }

    /// The key of a share's sealed blob in the bucket (S3 only).
    [[nodiscard]] QString blobKey(const QByteArray& id) const {
        return s3Prefix + QStringLiteral("b/") + QString::fromLatin1(id);
    }
    /// The path of an object for ceph->request(): /BUCKET/KEY (S3 only).
    [[nodiscard]] QString objectPath(const QString& key) const {
        return QLatin1Char('/') + ceph->bucket() + QLatin1Char('/') + key;
    }

    /// What the store holds of a share: files in the data folder (LocalBlobStore), or objects and
    /// multipart uploads under this fixture's prefix in the bucket (S3BlobStore), as the bucket index
    /// lists them. An empty id: everything the store holds.
    [[nodiscard]] QStringList stored(const QString& id) const {
        if (!ceph)
            return filesNamed(dataDir.path(), id);
        const auto ours = [&](const QString& key) { return key.startsWith(s3Prefix) && key.contains(id); };
        QStringList out;
        const auto objects = ceph->objects(ceph->bucket());
        if (!objects)
            out << QStringLiteral("(objects unreadable: %1)").arg(ceph->errorString());
        for (const QString& key : objects.value_or(QStringList{}))
            if (ours(key))
                out << key;
        const auto uploads = ceph->multipartUploads(ceph->bucket());
        if (!uploads)
            out << QStringLiteral("(uploads unreadable: %1)").arg(ceph->errorString());
        for (const auto& upload : uploads.value_or(QList<test::CephCluster::MultipartUpload>{}))
            if (ours(upload.key))
                out << QStringLiteral("multipart upload of ") + upload.key;
        return out;
    }
    [[nodiscard]] QStringList stored(const QByteArray& id) const { return stored(QString::fromLatin1(id)); }
    /// The bound for a wait on what the store holds (a removal after the answer, a sweep): timeoutMs
    /// with the local store; with S3 three times that, as each look (stored()) runs radosgw-admin twice.
    [[nodiscard]] int storeWaitMs(int timeoutMs) const { return ceph ? 3 * timeoutMs : timeoutMs; }
    [[nodiscard]] RelayClient client() const { return relay.client(); }
    [[nodiscard]] const char* error() const {
        m_errorUtf8 = m_error.toUtf8();
        return m_errorUtf8.constData();
    }

private:
    QString m_error;
    mutable QByteArray m_errorUtf8;
};

} // namespace ots::relaytest
