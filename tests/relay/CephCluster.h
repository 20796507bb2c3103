#pragma once

// A real one-node Ceph cluster with its S3 gateway (RGW) for one test program: ceph-mon, one ceph-osd
// (BlueStore on a sparse file) and radosgw, each on a free loopback port, all state in one temporary
// folder. Started by the test, stopped by its own PIDs (never by name); each daemon also gets
// PR_SET_PDEATHSIG, so none outlives a test that crashes or that ctest kills on a timeout.
// cephx stays on: the keys are made offline with ceph-authtool. radosgw-admin makes an S3 user with
// generated keys, and a bucket is created with a SigV4-signed PUT of this file's own (request()),
// which is written independently of the relay's S3 client, as objects() and multipartUploads() are
// (they read the bucket index through radosgw-admin): tests check the relay's S3 use against them.
// Qt Core only. Settings that matter and why: shared/notes/ceph-rgw-one-node.md.

#include "RedisServer.h"

#include <QByteArray>
#include <QCryptographicHash>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDebug>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QMessageAuthenticationCode>
#include <QPair>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStringList>
#include <QTemporaryDir>
#include <QThread>
#include <QUrl>
#include <QUuid>

#include <algorithm>
#include <array>
#include <cerrno>
#include <csignal>
#include <memory>
#include <optional>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <unistd.h>
#include <vector>

#ifndef OTS_CEPH_CONF_TEMPLATE
// tests/CMakeLists.txt defines it for every test.
#error "OTS_CEPH_CONF_TEMPLATE must name tests/relay/ceph/ceph.conf.in"
#endif

namespace ots::test {

class CephCluster {
public:
    /// A pending multipart upload, as the bucket index holds it.
    struct MultipartUpload {
        QString key;
        QString uploadId;
        friend bool operator==(const MultipartUpload&, const MultipartUpload&) = default;
    };
    /// An S3 answer: status 0 when no answer came (the reason is in body).
    struct Answer {
        int status = 0;
        QByteArray headers; // the header block, lines as sent
        QByteArray body;
    };
    using Query = QList<QPair<QString, QString>>;

    CephCluster() = default;
    ~CephCluster() { stop(); }
    CephCluster(const CephCluster&) = delete;
    CephCluster& operator=(const CephCluster&) = delete;

    /// Makes the cluster, starts mon, OSD and radosgw, creates an S3 user and the bucket bucket().
    /// False on any failure, with errorString() saying which step failed and the daemons' log tails.
    [[nodiscard]] bool start() {
        stop();
        m_error.clear();
        QElapsedTimer clock;
        clock.start();
        const bool ok = setUp();
        m_startMilliseconds = clock.elapsed();
        if (!ok) {
            // In full here: a test framework's failure message may cut it short.
            qWarning("Ceph cluster did not start: %s", qPrintable(m_error));
            stop(false); // keep the error, lose the processes and the folder
        }
        return ok;
    }

    /// SIGTERM to each daemon's PID (radosgw, OSD, mon), SIGKILL after a grace period; removes the
    /// folder. Safe to call twice.
    void stop() { stop(true); }

    [[nodiscard]] QString errorString() const { return m_error; }
    /// http://127.0.0.1:PORT (path-style addressing).
    [[nodiscard]] QString endpoint() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_rgwPort); }
    [[nodiscard]] quint16 rgwPort() const { return m_rgwPort; }
    [[nodiscard]] static QString region() { return QStringLiteral("us-east-1"); }
    [[nodiscard]] QString accessKeyId() const { return m_accessKeyId; }
    [[nodiscard]] QString secretAccessKey() const { return m_secretAccessKey; }
    /// A bucket made by start(), empty then.
    [[nodiscard]] QString bucket() const { return QStringLiteral("ots-test"); }
    /// Wall-clock time the last start() took.
    [[nodiscard]] qint64 startMilliseconds() const { return m_startMilliseconds; }
    /// PIDs of the running daemons (mon, OSD, radosgw), for tests that check none is left.
    [[nodiscard]] QList<qint64> pids() const {
        QList<qint64> result;
        for (const Daemon& daemon : m_daemons)
            if (daemon.process->state() != QProcess::NotRunning)
                result.append(daemon.process->processId());
        return result;
    }
    [[nodiscard]] QString folder() const { return m_dir ? m_dir->path() : QString(); }

    /// Keys of the objects in `bucket`, from the bucket index (radosgw-admin), not through S3; multipart
    /// uploads' parts and metadata are left out (see multipartUploads(); so would be a key that itself
    /// starts with `_multipart_`, which the relay's keys never do). std::nullopt when the index
    /// cannot be read (no such bucket, cluster down): errorString() says why.
    [[nodiscard]] std::optional<QStringList> objects(const QString& bucket) {
        const auto entries = indexEntries(bucket);
        if (!entries)
            return std::nullopt;
        QStringList keys;
        for (const QString& name : *entries)
            if (!name.startsWith(multipartPrefix()))
                keys.append(name);
        return keys;
    }

    /// Multipart uploads in `bucket` not completed nor aborted — any upload with its metadata or a part
    /// still in the bucket index (radosgw-admin). The index names them `_multipart_KEY.UPLOADID.meta`
    /// and `_multipart_KEY.UPLOADID.PARTNUMBER`; upload ids hold no '.'.
    [[nodiscard]] std::optional<QList<MultipartUpload>> multipartUploads(const QString& bucket) {
        const auto entries = indexEntries(bucket);
        if (!entries)
            return std::nullopt;
        QList<MultipartUpload> uploads;
        for (const QString& name : *entries) {
            if (!name.startsWith(multipartPrefix()))
                continue;
            QString rest = name.mid(multipartPrefix().size());
            rest.truncate(rest.lastIndexOf(QLatin1Char('.'))); // ".meta" or ".PARTNUMBER"
            const qsizetype dot = rest.lastIndexOf(QLatin1Char('.'));
            if (dot <= 0)
                continue;
            const MultipartUpload upload{rest.left(dot), rest.mid(dot + 1)};
            if (!uploads.contains(upload))
                uploads.append(upload);
        }
        return uploads;
    }

    /// An S3 request signed with SigV4 by this file's own code (the user's keys; pass `anonymous` for
    /// an unsigned one). `path` is the decoded path, e.g. "/bucket/key"; one connection per request.
    [[nodiscard]] Answer request(const QByteArray& method, const QString& path, const Query& query = {},
                                 const QByteArray& body = {}, bool anonymous = false) const {
        const QByteArray host = QByteArrayLiteral("127.0.0.1:") + QByteArray::number(m_rgwPort);
        const QByteArray canonicalPath = QUrl::toPercentEncoding(path, "/");
        QList<QByteArray> encoded; // SigV4 sorts the encoded parameters
        for (const auto& [name, value] : query)
            encoded.append(QUrl::toPercentEncoding(name) + '=' + QUrl::toPercentEncoding(value));
        std::sort(encoded.begin(), encoded.end());
        const QByteArray canonicalQuery = encoded.join('&');
        QByteArray head =
            method + ' ' + canonicalPath + (canonicalQuery.isEmpty() ? QByteArray() : '?' + canonicalQuery) +
            " HTTP/1.1\r\nHost: " + host +
            "\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n";
        if (!anonymous) {
            const QDateTime now = QDateTime::currentDateTimeUtc();
            const QByteArray date = now.toString(QStringLiteral("yyyyMMdd'T'HHmmss'Z'")).toLatin1();
            const QByteArray day = date.left(8);
            const QByteArray payloadHash = QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex();
            const QByteArray signedHeaders = "host;x-amz-content-sha256;x-amz-date";
            const QByteArray canonicalRequest = method + '\n' + canonicalPath + '\n' + canonicalQuery +
                                                "\nhost:" + host + "\nx-amz-content-sha256:" + payloadHash +
                                                "\nx-amz-date:" + date + "\n\n" + signedHeaders + '\n' +
                                                payloadHash;
            const QByteArray scope = day + '/' + region().toLatin1() + "/s3/aws4_request";
            const QByteArray stringToSign =
                "AWS4-HMAC-SHA256\n" + date + '\n' + scope + '\n' +
                QCryptographicHash::hash(canonicalRequest, QCryptographicHash::Sha256).toHex();
            QByteArray key = "AWS4" + m_secretAccessKey.toLatin1();
            for (const QByteArray& part :
                 {day, region().toLatin1(), QByteArray("s3"), QByteArray("aws4_request")})
                key = QMessageAuthenticationCode::hash(part, key, QCryptographicHash::Sha256);
            const QByteArray signature =
                QMessageAuthenticationCode::hash(stringToSign, key, QCryptographicHash::Sha256).toHex();
            head += "x-amz-date: " + date + "\r\nx-amz-content-sha256: " + payloadHash +
                    "\r\nAuthorization: AWS4-HMAC-SHA256 Credential=" + m_accessKeyId.toLatin1() + '/' +
                    scope + ", SignedHeaders=" + signedHeaders + ", Signature=" + signature + "\r\n";
        }
        return exchange(m_rgwPort, head + "\r\n" + body);
    }

    /// Creates a bucket through a signed S3 PUT (radosgw-admin cannot create buckets).
    [[nodiscard]] bool createBucket(const QString& name) {
        const Answer answer = request("PUT", QLatin1Char('/') + name);
        if (answer.status == 200)
            return true;
        m_error = QStringLiteral("creating bucket %1 failed: HTTP %2 %3")
                      .arg(name)
                      .arg(answer.status)
                      .arg(QString::fromUtf8(answer.body.left(500)));
        return false;
    }

    /// Removes the folders of clusters whose test process died without stop() (a crash, a ctest
    /// timeout): their daemons died with it, but a folder holds a BlueStore file of tens of MB. A
    /// folder whose owner file names a live process, or that has none yet (still being made), stays.
    /// start() calls this on the folder's parent; an empty parent means the one start() would use.
    static void removeStaleFolders(QString parent = {}) {
        if (parent.isEmpty())
            parent = stateParent();
        if (parent.isEmpty())
            return;
        const QDir parentDir(parent);
        for (const QString& name :
             parentDir.entryList({folderPrefix() + QLatin1Char('*')}, QDir::Dirs | QDir::NoDotAndDotDot)) {
            QFile owner(parentDir.filePath(name) + QLatin1Char('/') + QLatin1String(ownerFileName()));
            if (!owner.open(QIODevice::ReadOnly))
                continue;
            bool ok = false;
            const qint64 pid = owner.readAll().trimmed().toLongLong(&ok);
            owner.close();
            if (ok && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH)
                QDir(parentDir.filePath(name)).removeRecursively();
        }
    }

private:
    static QString multipartPrefix() { return QStringLiteral("_multipart_"); }
    static QString folderPrefix() { return QStringLiteral("ots-ceph-"); }
    /// The PID of the test process that made the folder.
    static const char* ownerFileName() { return "owner.pid"; }

    /// Candidate parents for the cluster's folder: BlueStore opens its block file with O_DIRECT,
    /// which tmpfs refuses, so the first of $TMPDIR, /var/tmp and the working folder that is not tmpfs.
    static QString stateParent() {
        constexpr long tmpfsMagic = 0x01021994; // TMPFS_MAGIC, <linux/magic.h>
        QStringList candidates;
        if (const QByteArray tmp = qgetenv("TMPDIR"); !tmp.isEmpty())
            candidates.append(QString::fromLocal8Bit(tmp));
        candidates << QStringLiteral("/var/tmp") << QDir::currentPath();
        for (const QString& candidate : candidates) {
            struct statfs info {};
            if (::statfs(QFile::encodeName(candidate).constData(), &info) == 0 &&
                static_cast<long>(info.f_type) != tmpfsMagic &&
                ::access(QFile::encodeName(candidate).constData(), W_OK) == 0)
                return candidate;
        }
        return {};
    }

    [[nodiscard]] bool setUp() {
        const QString parent = stateParent();
        if (parent.isEmpty())
            return fail(QStringLiteral("no writable folder that is not tmpfs ($TMPDIR, /var/tmp, the working "
                                       "folder): BlueStore needs O_DIRECT; set TMPDIR to a disk folder"));
        removeStaleFolders(parent);
        m_dir = std::make_unique<QTemporaryDir>(parent + QLatin1Char('/') + folderPrefix() +
                                                QStringLiteral("XXXXXX"));
        if (!m_dir->isValid())
            return fail(
                QStringLiteral("cannot create a folder under %1: %2").arg(parent, m_dir->errorString()));
        QFile owner(path(ownerFileName()));
        if (!owner.open(QIODevice::WriteOnly) || owner.write(QByteArray::number(::getpid())) <= 0)
            return fail(QStringLiteral("cannot write %1").arg(owner.fileName()));
        owner.close();
        const QString root = m_dir->path();
        for (const char* sub : {"run", "log", "crash", "mon", "osd/ceph-0", "rgw"})
            if (!QDir().mkpath(root + QLatin1Char('/') + QLatin1String(sub)))
                return fail(QStringLiteral("cannot create %1/%2").arg(root, QLatin1String(sub)));
        m_monPort = RedisServer::freeLoopbackPort();
        m_rgwPort = RedisServer::freeLoopbackPort();
        while (m_rgwPort == m_monPort)
            m_rgwPort = RedisServer::freeLoopbackPort();
        if (m_monPort == 0 || m_rgwPort == 0)
            return fail(QStringLiteral("no free loopback port"));
        const QString fsid = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (!writeConfig(fsid))
            return false;

        // Every key offline; ceph-mon --mkfs imports them all into the monitor's auth database.
        const QString keyring = path("keyring");
        const std::array<QStringList, 4> keys{{
            {QStringLiteral("--create-keyring"), keyring, QStringLiteral("--gen-key"), QStringLiteral("-n"),
             QStringLiteral("mon."), QStringLiteral("--cap"), QStringLiteral("mon"),
             QStringLiteral("allow *")},
            {keyring, QStringLiteral("--gen-key"), QStringLiteral("-n"), QStringLiteral("client.admin"),
             QStringLiteral("--cap"), QStringLiteral("mon"), QStringLiteral("allow *"),
             QStringLiteral("--cap"), QStringLiteral("osd"), QStringLiteral("allow *"),
             QStringLiteral("--cap"), QStringLiteral("mgr"), QStringLiteral("allow *")},
            {keyring, QStringLiteral("--gen-key"), QStringLiteral("-n"), QStringLiteral("osd.0"),
             QStringLiteral("--cap"), QStringLiteral("mon"), QStringLiteral("allow profile osd"),
             QStringLiteral("--cap"), QStringLiteral("osd"), QStringLiteral("allow *"),
             QStringLiteral("--cap"), QStringLiteral("mgr"), QStringLiteral("allow profile osd")},
            {keyring, QStringLiteral("--gen-key"), QStringLiteral("-n"), QStringLiteral("client.rgw.ots"),
             QStringLiteral("--cap"), QStringLiteral("mon"), QStringLiteral("allow rw"),
             QStringLiteral("--cap"), QStringLiteral("osd"), QStringLiteral("allow rwx"),
             QStringLiteral("--cap"), QStringLiteral("mgr"), QStringLiteral("allow rw")},
        }};
        for (const QStringList& arguments : keys)
            if (!runTool(QStringLiteral("ceph-authtool"), arguments))
                return false;
        if (!runTool(QStringLiteral("monmaptool"),
                     {QStringLiteral("--create"), QStringLiteral("--addv"), QStringLiteral("a"),
                      QStringLiteral("[v2:127.0.0.1:%1]").arg(m_monPort), QStringLiteral("--fsid"), fsid,
                      path("monmap")}) ||
            !runTool(QStringLiteral("ceph-mon"),
                     {configArg(), QStringLiteral("--mkfs"), QStringLiteral("-i"), QStringLiteral("a"),
                      QStringLiteral("--monmap"), path("monmap"), QStringLiteral("--keyring"), keyring}))
            return false;
        if (!startDaemon(QStringLiteral("ceph-mon"), {QStringLiteral("-i"), QStringLiteral("a")}, "mon.a"))
            return false;

        const QString osdUuid = QUuid::createUuid().toString(QUuid::WithoutBraces);
        if (!runTool(QStringLiteral("ceph"),
                     {configArg(), QStringLiteral("--connect-timeout"), QStringLiteral("30"),
                      QStringLiteral("osd"), QStringLiteral("new"), osdUuid, QStringLiteral("0")}) ||
            !runTool(QStringLiteral("ceph-osd"),
                     {configArg(), QStringLiteral("-i"), QStringLiteral("0"), QStringLiteral("--mkfs"),
                      QStringLiteral("--osd-uuid"), osdUuid}))
            return false;
        if (!startDaemon(QStringLiteral("ceph-osd"), {QStringLiteral("-i"), QStringLiteral("0")}, "osd.0"))
            return false;
        // radosgw waits for the OSD by itself and creates its pools; it listens once they exist.
        if (!startDaemon(QStringLiteral("radosgw"), {QStringLiteral("-n"), QStringLiteral("client.rgw.ots")},
                         "client.rgw.ots"))
            return false;
        if (!waitForGateway())
            return false;

        QByteArray userJson;
        if (!runTool(QStringLiteral("radosgw-admin"),
                     {configArg(), QStringLiteral("user"), QStringLiteral("create"),
                      QStringLiteral("--uid=ots"), QStringLiteral("--display-name=ots")},
                     &userJson))
            return false;
        const QJsonArray userKeys =
            QJsonDocument::fromJson(userJson).object().value(QLatin1String("keys")).toArray();
        m_accessKeyId = userKeys.first().toObject().value(QLatin1String("access_key")).toString();
        m_secretAccessKey = userKeys.first().toObject().value(QLatin1String("secret_key")).toString();
        if (m_accessKeyId.isEmpty() || m_secretAccessKey.isEmpty())
            return fail(QStringLiteral("radosgw-admin user create gave no S3 keys"));
        return createBucket(bucket());
    }

    [[nodiscard]] bool writeConfig(const QString& fsid) {
        QFile templateFile(QStringLiteral(OTS_CEPH_CONF_TEMPLATE));
        if (!templateFile.open(QIODevice::ReadOnly))
            return fail(QStringLiteral("cannot read %1").arg(templateFile.fileName()));
        QByteArray text = templateFile.readAll();
        text.replace("@FSID@", fsid.toLatin1())
            .replace("@DIR@", QFile::encodeName(m_dir->path()))
            .replace("@MON_PORT@", QByteArray::number(m_monPort))
            .replace("@RGW_PORT@", QByteArray::number(m_rgwPort));
        QFile config(path("ceph.conf"));
        if (!config.open(QIODevice::WriteOnly) || config.write(text) != text.size())
            return fail(QStringLiteral("cannot write %1").arg(config.fileName()));
        return true;
    }

    [[nodiscard]] QString path(const char* name) const {
        return m_dir->path() + QLatin1Char('/') + QLatin1String(name);
    }
    [[nodiscard]] QString configArg() const { return QStringLiteral("--conf=") + path("ceph.conf"); }

    /// Ceph's own environment variables would change what the tools read.
    static QProcessEnvironment cleanEnvironment() {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.remove(QStringLiteral("CEPH_ARGS"));
        environment.remove(QStringLiteral("CEPH_CONF"));
        return environment;
    }

    /// The child gets SIGKILL when the thread that started it ends (the test process dying included).
    static void dieWithParent(QProcess& process) {
        const pid_t parent = ::getpid();
        process.setChildProcessModifier([parent] {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (::getppid() != parent)
                ::_exit(1);
        });
    }

    /// Runs a Ceph tool to its end (its stdout into `output` when given).
    [[nodiscard]] bool runTool(const QString& program, const QStringList& arguments,
                               QByteArray* output = nullptr) {
        QProcess process;
        process.setProcessEnvironment(cleanEnvironment());
        process.setWorkingDirectory(m_dir->path());
        dieWithParent(process);
        process.start(program, arguments);
        if (!process.waitForStarted(10'000))
            return fail(
                QStringLiteral("%1 did not start: %2 (is the package installed? installer/setup.sh deps)")
                    .arg(program, process.errorString()));
        if (!process.waitForFinished(60'000)) {
            ::kill(static_cast<pid_t>(process.processId()), SIGKILL);
            process.waitForFinished(5000);
            return fail(QStringLiteral("%1 %2 did not finish within 60 s").arg(program, arguments.value(1)));
        }
        const QByteArray out = process.readAllStandardOutput();
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
            return fail(QStringLiteral("%1 %2 failed (exit %3): %4%5")
                            .arg(program, arguments.mid(0, 3).join(QLatin1Char(' ')))
                            .arg(process.exitCode())
                            .arg(QString::fromUtf8(process.readAllStandardError().right(2000)),
                                 QString::fromUtf8(out.right(1000))));
        if (output != nullptr)
            *output = out;
        return true;
    }

    /// Starts a daemon in the foreground (-f), its stdout and stderr in log/NAME.out.
    [[nodiscard]] bool startDaemon(const QString& program, const QStringList& arguments, const char* name) {
        auto process = std::make_unique<QProcess>();
        process->setProcessEnvironment(cleanEnvironment());
        process->setWorkingDirectory(m_dir->path());
        process->setProcessChannelMode(QProcess::MergedChannels);
        process->setStandardOutputFile(path("log") + QLatin1Char('/') + QLatin1String(name) +
                                       QStringLiteral(".out"));
        dieWithParent(*process);
        process->start(program, QStringList{configArg(), QStringLiteral("-f")} + arguments);
        if (!process->waitForStarted(10'000))
            return fail(
                QStringLiteral("%1 did not start: %2 (is the package installed? installer/setup.sh deps)")
                    .arg(program, process->errorString()));
        m_daemons.push_back({std::move(process), QLatin1String(name)});
        return true;
    }

    /// Polls the gateway until an anonymous ListBuckets answers 200; fails early when a daemon exits.
    [[nodiscard]] bool waitForGateway() {
        const QDeadlineTimer deadline(60'000);
        while (!deadline.hasExpired()) {
            for (const Daemon& daemon : m_daemons)
                if (daemon.process->state() == QProcess::NotRunning)
                    return fail(QStringLiteral("%1 exited (code %2) while the gateway was starting")
                                    .arg(daemon.name)
                                    .arg(daemon.process->exitCode()));
            if (request("GET", QStringLiteral("/"), {}, {}, true).status == 200)
                return true;
            QThread::msleep(100);
        }
        return fail(QStringLiteral("radosgw did not answer on %1 within 60 s").arg(endpoint()));
    }

    /// One HTTP/1.1 exchange (Connection: close) over a loopback socket: the whole answer, de-chunked.
    static Answer exchange(quint16 port, const QByteArray& request) {
        Answer answer;
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0)
            return answer;
        timeval timeout{30, 0};
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
        ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QByteArray received;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
            qsizetype sent = 0;
            while (sent < request.size()) {
                const ssize_t n = ::send(fd, request.constData() + sent,
                                         static_cast<size_t>(request.size() - sent), MSG_NOSIGNAL);
                if (n <= 0)
                    break;
                sent += n;
            }
            std::array<char, 65536> buffer{};
            for (;;) {
                const ssize_t n = ::recv(fd, buffer.data(), buffer.size(), 0);
                if (n <= 0)
                    break;
                received.append(buffer.data(), n);
            }
        }
        ::close(fd);
        const qsizetype headerEnd = received.indexOf("\r\n\r\n");
        if (!received.startsWith("HTTP/1.") || headerEnd < 0) {
            answer.body = "no HTTP answer";
            return answer;
        }
        answer.status = received.mid(9, 3).toInt();
        answer.headers = received.left(headerEnd);
        QByteArray body = received.mid(headerEnd + 4);
        if (answer.headers.toLower().contains("\r\ntransfer-encoding: chunked")) {
            QByteArray plain;
            qsizetype at = 0;
            for (;;) {
                const qsizetype lineEnd = body.indexOf("\r\n", at);
                if (lineEnd < 0)
                    break;
                bool ok = false;
                const qsizetype size =
                    body.mid(at, lineEnd - at).split(';').first().trimmed().toLongLong(&ok, 16);
                if (!ok || size == 0)
                    break;
                plain += body.mid(lineEnd + 2, size);
                at = lineEnd + 2 + size + 2;
            }
            body = plain;
        }
        answer.body = body;
        return answer;
    }

    [[nodiscard]] std::optional<QStringList> indexEntries(const QString& bucket) {
        if (!m_dir || m_daemons.empty())
            return std::nullopt;
        QByteArray json;
        if (!runTool(QStringLiteral("radosgw-admin"),
                     {configArg(), QStringLiteral("bucket"), QStringLiteral("list"),
                      QStringLiteral("--bucket=") + bucket, QStringLiteral("--max-entries=100000")},
                     &json))
            return std::nullopt;
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(json, &error);
        if (!document.isArray()) {
            m_error =
                QStringLiteral("radosgw-admin bucket list: not a JSON array: %1").arg(error.errorString());
            return std::nullopt;
        }
        QStringList names;
        for (const QJsonValue entry : document.array())
            names.append(entry.toObject().value(QLatin1String("name")).toString());
        return names;
    }

    /// Records the error with the last lines of every daemon's output and log.
    bool fail(const QString& what) {
        m_error = what;
        if (!m_dir)
            return false;
        const QDir logs(path("log"));
        for (const QString& name : logs.entryList(QDir::Files, QDir::Name)) {
            QFile file(logs.filePath(name));
            if (!file.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = file.readAll();
            const QList<QByteArray> lines = text.trimmed().split('\n');
            if (text.trimmed().isEmpty())
                continue;
            m_error += QStringLiteral("\n--- last lines of %1:\n").arg(file.fileName());
            m_error += QString::fromUtf8(lines.mid(std::max<qsizetype>(0, lines.size() - 15)).join('\n'));
        }
        return false;
    }

    void stop(bool clearError) {
        // radosgw and the OSD first: an OSD whose monitor is gone waits for it.
        for (auto it = m_daemons.rbegin(); it != m_daemons.rend(); ++it) {
            QProcess& process = *it->process;
            if (process.state() == QProcess::NotRunning)
                continue;
            const auto pid = static_cast<pid_t>(process.processId());
            ::kill(pid, SIGTERM);
            if (!process.waitForFinished(3000)) {
                ::kill(pid, SIGKILL);
                process.waitForFinished(5000);
            }
        }
        m_daemons.clear();
        if (m_dir) {
            m_dir->remove();
            m_dir.reset();
        }
        m_accessKeyId.clear();
        m_secretAccessKey.clear();
        if (clearError)
            m_error.clear();
    }

    std::unique_ptr<QTemporaryDir> m_dir;
    struct Daemon {
        std::unique_ptr<QProcess> process;
        QString name;
    };
    std::vector<Daemon> m_daemons; // in start order: mon, OSD, radosgw
    QString m_error;
    QString m_accessKeyId;
    QString m_secretAccessKey;
    quint16 m_monPort = 0;
    quint16 m_rgwPort = 0;
    qint64 m_startMilliseconds = 0;
};

} // namespace ots::test
