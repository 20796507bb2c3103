// The relay behind Debian's nginx with the shipped recipe, installer/nginx/onetimeshare-relay.conf.
//
// The recipe is run as shipped, with only what must differ on a test machine substituted (ports,
// file paths; each substitution must match, so a changed recipe fails here instead of being tested
// half): a real redis-server, this build's ots-relay (trusted proxy 127.0.0.1) and nginx, all on
// free loopback ports, all files in one temporary folder. It shows that
//   - a 1 GiB upload with this build's `ots send` streams through: nginx's client_body_temp_path
//     stays empty the whole time while the relay's partial file grows, and `ots get` brings back
//     the same bytes (and nginx's proxy_temp_path stays empty during the download);
//   - the same sampler does see a spooled body once proxy_request_buffering is turned on, so the
//     check above can fail;
//   - Range downloads through nginx answer 206 with the right Content-Range and bytes (416 past the
//     end), with a ticket from a real proof;
//   - a request from 127.0.0.2 carrying a forged X-Forwarded-For is logged by the relay as 127.0.0.2;
//   - TLS with the recipe's certificate settings verifies, port 80 redirects to https except ACME
//     challenges, /metrics is not served, and the access log holds no share id, token, ticket or
//     query string.
// nginx unlinks its temporary files as soon as it creates them, so "never on disk" is checked on the
// files nginx's processes hold open under client_body_temp_path (and proxy_temp_path), not only on
// the folder's listing.
// One more check rides along: every OTS_RELAY_* setting in installer/docker (which cannot run
// here: no Docker engine) passes `ots-relay --check-config`.

#include "../relay/RelayProcess.h"
#include "NginxProcess.h"
#include "ots/Crypto.h"

#include <QCryptographicHash>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <chrono>
#include <mutex>
#include <set>
#include <sys/stat.h>
#include <thread>

#ifndef OTS_CLI_BINARY
#error "OTS_CLI_BINARY must name the ots executable"
#endif
#ifndef OTS_NGINX_RECIPE
#error "OTS_NGINX_RECIPE must name installer/nginx/onetimeshare-relay.conf"
#endif
#ifndef OTS_DOCKER_DIR
#error "OTS_DOCKER_DIR must name installer/docker"
#endif

using namespace ots::relaytest;

namespace {

constexpr qint64 kMiB = qint64{1} << 20;
constexpr qint64 kBigFileBytes = qint64{1} << 30;
// nginx must never hold an upload body on disk; a file this large in its body folder means it did.
constexpr qint64 kSpoolLimitBytes = 1 * kMiB;
constexpr int kTransferTimeoutMs = 100'000;

/// Block k of the big file: a fixed pseudo-random MiB with k in its first eight bytes, so a lost,
/// repeated or misplaced block shows as well as a wrong byte.
QByteArray bigFileBlock(qint64 index) {
    static const QByteArray base = [] {
        QByteArray bytes(kMiB, Qt::Uninitialized);
        quint64 state = 0x9E3779B97F4A7C15ULL;
        for (qsizetype i = 0; i < bytes.size(); ++i) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            bytes[i] = static_cast<char>(state >> 56);
        }
        return bytes;
    }();
    QByteArray block = base;
    for (int i = 0; i < 8; ++i)
        block[i] = static_cast<char>((index >> (8 * i)) & 0xFF);
    return block;
}

/// The processes whose parent is pid, from /proc.
QList<qint64> childProcesses(qint64 pid) {
    QList<qint64> children;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    for (const QString& entry : entries) {
        bool numeric = false;
        const qint64 candidate = entry.toLongLong(&numeric);
        if (!numeric)
            continue;
        QFile stat(QStringLiteral("/proc/%1/stat").arg(candidate));
        if (!stat.open(QIODevice::ReadOnly))
            continue;
        // "PID (COMMAND) STATE PPID ...": the command may hold spaces and parentheses.
        const QByteArray line = stat.readAll();
        const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
        if (fields.size() > 1 && fields[1].toLongLong() == pid)
            children.append(candidate);
    }
    return children;
}

/// Watches folders from a thread of its own while the test waits on a transfer: the largest file
/// seen in each, and the distinct sizes seen (to show the watch overlapped a growing file). nginx
/// unlinks its temporary files right after creating them, so for a folder with a process given, the
/// files that process and its children hold open under that folder count as well.
class FolderSampler {
public:
    struct Watch {
        QString folder;
        qint64 processId = 0; ///< nginx's master, or 0
    };

    explicit FolderSampler(QList<Watch> watches)
        : m_watches(std::move(watches))
        , m_largest(static_cast<std::size_t>(m_watches.size()), 0)
        , m_sizes(static_cast<std::size_t>(m_watches.size())) {
        m_thread = std::thread([this] {
            while (!m_stop.load()) {
                sampleOnce();
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
            sampleOnce();
        });
    }
    FolderSampler(const FolderSampler&) = delete;
    FolderSampler& operator=(const FolderSampler&) = delete;
    ~FolderSampler() { stop(); }

    void stop() {
        m_stop.store(true);
        if (m_thread.joinable())
            m_thread.join();
    }
    [[nodiscard]] qint64 largest(std::size_t watch) const {
        std::lock_guard lock(m_mutex);
        return m_largest[watch];
    }
    [[nodiscard]] std::size_t distinctSizes(std::size_t watch) const {
        std::lock_guard lock(m_mutex);
        return m_sizes[watch].size();
    }
    [[nodiscard]] int samples() const { return m_samples.load(); }

private:
    void record(std::size_t watch, qint64 size) {
        std::lock_guard lock(m_mutex);
        m_largest[watch] = std::max(m_largest[watch], size);
        if (size > 0)
            m_sizes[watch].insert(size);
    }

    void sampleOnce() {
        for (std::size_t i = 0; i < m_largest.size(); ++i) {
            const Watch& watch = m_watches.at(static_cast<qsizetype>(i));
            QDirIterator it(watch.folder, QDir::Files | QDir::Hidden | QDir::System,
                            QDirIterator::Subdirectories);
            while (it.hasNext()) {
                it.next();
                record(i, it.fileInfo().size());
            }
            if (watch.processId == 0)
                continue;
            const QByteArray prefix = QFile::encodeName(watch.folder) + '/';
            QList<qint64> processes = childProcesses(watch.processId);
            processes.append(watch.processId);
            for (const qint64 pid : std::as_const(processes)) {
                const QString fdDir = QStringLiteral("/proc/%1/fd").arg(pid);
                const QStringList fds =
                    QDir(fdDir).entryList(QDir::Files | QDir::System | QDir::NoDotAndDotDot);
                for (const QString& fd : fds) {
                    const QByteArray link = QFile::encodeName(fdDir + QLatin1Char('/') + fd);
                    char target[4096];
                    const ssize_t length = ::readlink(link.constData(), target, sizeof(target) - 1);
                    if (length <= 0 || !QByteArrayView(target, length).startsWith(prefix))
                        continue;
                    struct stat status {};
                    if (::stat(link.constData(), &status) == 0) // follows the link, deleted or not
                        record(i, status.st_size);
                }
            }
        }
        ++m_samples;
    }

    QList<Watch> m_watches;
    mutable std::mutex m_mutex;
    std::vector<qint64> m_largest;
    std::vector<std::set<qint64>> m_sizes;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_samples{0};
    std::thread m_thread;
};

} // namespace

class TestNginxE2e : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ots::initialize().ok());
        QVERIFY(m_dir.isValid());
        // nginx's workers run as an unprivileged user when the test runs as root: let them reach
        // their temporary folders and the ACME webroot.
        QVERIFY(QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                        QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                                        QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                        QFileDevice::ExeOther));
        QVERIFY(QDir().mkpath(path("data")));
        QVERIFY(QDir().mkpath(path("config")));
        QVERIFY(QDir().mkpath(path("acme/.well-known/acme-challenge")));
        QVERIFY(
            NginxProcess::writeFile(path("acme/.well-known/acme-challenge/test-token"), "challenge-answer"));

        const QString certificate = NginxProcess::makeCertificate(path("cert.pem"), path("key.pem"));
        QVERIFY2(certificate.isEmpty(), qPrintable(certificate));

        m_recipe = NginxProcess::readFile(QStringLiteral(OTS_NGINX_RECIPE));
        QVERIFY2(!m_recipe.isEmpty(), "cannot read " OTS_NGINX_RECIPE);

        QVERIFY(m_redis.start());
        // Exactly what the recipe tells the operator to set.
        QVERIFY2(m_relay.start(m_redis.port(), path("data"),
                               {QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1"),
                                QStringLiteral("--log-level"), QStringLiteral("info")}),
                 qPrintable(m_relay.error()));

        m_plainPort = freeLoopbackPort();
        m_tlsPort = freeLoopbackPort();
        m_redirectPort = freeLoopbackPort();
        while (m_tlsPort == m_plainPort)
            m_tlsPort = freeLoopbackPort();
        while (m_redirectPort == m_plainPort || m_redirectPort == m_tlsPort)
            m_redirectPort = freeLoopbackPort();
        QVERIFY2(m_nginx.start(path("nginx"), m_recipe, substitutions(m_plainPort, m_tlsPort, m_redirectPort),
                               m_plainPort),
                 qPrintable(m_nginx.error()));
    }

    void tlsVerifiesAndPortEightyRedirects() {
        // https with the recipe's ssl_* settings and the certificate the test put in their place.
        QSslSocket socket;
        QSslConfiguration tls = socket.sslConfiguration();
        tls.setCaCertificates(QSslCertificate::fromPath(path("cert.pem")));
        socket.setSslConfiguration(tls);
        socket.setPeerVerifyName(QStringLiteral("relay.example.org"));
        socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), m_tlsPort);
        QVERIFY2(socket.waitForEncrypted(10'000), qPrintable(socket.errorString()));
        QVERIFY(socket.sessionProtocol() == QSsl::TlsV1_3 || socket.sessionProtocol() == QSsl::TlsV1_2);
        socket.write("GET /readyz HTTP/1.1\r\nHost: relay.example.org\r\nConnection: close\r\n\r\n");
        QByteArray answer;
        while (socket.waitForReadyRead(5000))
            answer += socket.readAll();
        answer += socket.readAll();
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        QVERIFY2(answer.contains("\r\nStrict-Transport-Security: max-age="), answer.constData());
        QVERIFY2(answer.contains("\r\nX-Request-Id: "), answer.constData()); // the relay answered

        // Port 80: everything to https, with path and query kept...
        HttpConnection redirect(m_redirectPort);
        HttpRequest toHttps{"GET", "/s/AAAAAAAAAAAAAAAAAAAAAA?x=1", {}, {}};
        const HttpResponse moved = redirect.request(toHttps);
        QVERIFY2(moved.status == 301, moved.describe().constData());
        QCOMPARE(moved.header("location"), QByteArray("https://127.0.0.1/s/AAAAAAAAAAAAAAAAAAAAAA?x=1"));
        // ...except certificate challenges, served from the webroot.
        HttpConnection acme(m_redirectPort);
        const HttpResponse challenge =
            acme.request({"GET", "/.well-known/acme-challenge/test-token", {}, {}});
        QVERIFY2(challenge.status == 200, challenge.describe().constData());
        QCOMPARE(challenge.body, QByteArray("challenge-answer"));

        // /metrics stays on the relay's loopback port.
        HttpConnection metrics(m_plainPort);
        QCOMPARE(metrics.request({"GET", "/metrics", {}, {}}).status, 404);
        HttpConnection direct(m_relay.port());
        QCOMPARE(direct.request({"GET", "/metrics", {}, {}}).status, 200);
    }

    // The browser receiver needs the whole origin: its page at / and /s/<id>, its scripts and style
    // under /web/ (its CSP allows no other origin). Through nginx they arrive exactly as the relay
    // sends them, headers included.
    void receiverPageAndFilesPassThrough() {
        for (const QByteArray& target :
             {QByteArray("/"), QByteArray("/s/AAAAAAAAAAAAAAAAAAAAAA"), QByteArray("/web/receiver_main.js"),
              QByteArray("/web/receiver_style.css"), QByteArray("/web/download_worker.js"),
              QByteArray("/web/vendor/libsodium.js")}) {
            HttpConnection proxied(m_plainPort);
            HttpConnection direct(m_relay.port());
            const HttpResponse viaNginx = proxied.request({"GET", target, {}, {}});
            const HttpResponse fromRelay = direct.request({"GET", target, {}, {}});
            QVERIFY2(viaNginx.status == 200, (target + ": " + viaNginx.describe()).constData());
            QVERIFY2(viaNginx.body == fromRelay.body, target.constData());
            for (const QByteArray& header :
                 {QByteArray("content-type"), QByteArray("content-security-policy"),
                  QByteArray("x-content-type-options"), QByteArray("cache-control"),
                  QByteArray("x-frame-options"), QByteArray("cross-origin-opener-policy")}) {
                QVERIFY2(!fromRelay.header(header).isEmpty(), (target + ": " + header).constData());
                QCOMPARE(viaNginx.header(header), fromRelay.header(header));
            }
        }
    }

    void relayLogsTheRealClientAddress() {
        // From 127.0.0.2, claiming to be someone else: nginx replaces the claim with the address it
        // saw, and the relay believes nginx (127.0.0.1, a trusted proxy).
        HttpConnection connection(m_plainPort);
        QVERIFY2(connection.socket().bind(QHostAddress(QStringLiteral("127.0.0.2")), 0),
                 qPrintable(connection.socket().errorString()));
        HttpRequest request{"GET", "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA", {}, {}};
        request.header("X-Forwarded-For", "203.0.113.7");
        const HttpResponse response = connection.request(request);
        QVERIFY2(response.status == 404, response.describe().constData());
        const QByteArray requestId = response.header("x-request-id");
        QVERIFY2(!requestId.isEmpty(), response.describe().constData());

        QJsonObject line;
        QVERIFY2(waitUntil(
                     [&] {
                         line = relayLogLine(requestId);
                         return !line.isEmpty();
                     },
                     5000),
                 m_relay.log().right(2000).constData());
        qInfo("relay log line: %s", QJsonDocument(line).toJson(QJsonDocument::Compact).constData());
        QCOMPARE(line.value(QStringLiteral("client")).toString(), QStringLiteral("127.0.0.2"));

        // nginx's own access log agrees.
        QVERIFY(waitUntil([&] { return accessLog().contains("127.0.0.2 ["); }, 5000));
        QVERIFY(!accessLog().contains("203.0.113.7"));
    }

    void rangeDownloadsThroughNginx() {
        RelayClient client(m_plainPort);
        client.recordSecretsInto(&m_secrets);
        TestShare share = TestShare::make({.payloadBytes = 300'000, .maxDownloads = 1});
        const HttpResponse ready = client.createReady(share);
        QVERIFY2(ready.status == 200, ready.describe().constData());
        m_secrets.append(share.id);
        const HttpResponse reservation = client.prove(share, "reservations");
        QVERIFY2(reservation.status == 201, reservation.describe().constData());
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        const qint64 size = share.ciphertext.size();
        const QByteArray total = QByteArray::number(size);

        const HttpResponse middle = client.download(share.id, ticket, "bytes=1000-70999");
        QVERIFY2(middle.status == 206, middle.describe().constData());
        QCOMPARE(middle.header("content-range"), "bytes 1000-70999/" + total);
        QCOMPARE(middle.header("accept-ranges"), QByteArray("bytes"));
        QCOMPARE(middle.body.size(), qsizetype{70'000});
        QVERIFY(middle.body == share.ciphertext.mid(1000, 70'000));

        const HttpResponse resume = client.download(share.id, ticket, "bytes=200000-");
        QVERIFY2(resume.status == 206, resume.describe().constData());
        QCOMPARE(resume.header("content-range"),
                 "bytes 200000-" + QByteArray::number(size - 1) + '/' + total);
        QVERIFY(resume.body == share.ciphertext.mid(200'000));

        const HttpResponse tail = client.download(share.id, ticket, "bytes=-100");
        QVERIFY2(tail.status == 206, tail.describe().constData());
        QVERIFY(tail.body == share.ciphertext.right(100));

        const HttpResponse beyond = client.download(share.id, ticket, "bytes=" + total + '-');
        QVERIFY2(beyond.status == 416, beyond.describe().constData());
        QCOMPARE(beyond.header("content-range"), "bytes */" + total);

        const HttpResponse whole = client.download(share.id, ticket);
        QVERIFY2(whole.status == 200, whole.describe().constData());
        QVERIFY(whole.body == share.ciphertext);
        QCOMPARE(client.finish(share.id, ticket).status, 200);
    }

    void controlSpooledBodyIsSeen() {
        // The same recipe with request buffering on, in a second nginx: the sampler must catch the
        // body on disk, or the streaming check below could pass without looking at anything.
        const quint16 plain = freeLoopbackPort();
        const quint16 tls = freeLoopbackPort();
        const quint16 redirect = freeLoopbackPort();
        auto replacements = substitutions(plain, tls, redirect);
        replacements.append(
            qMakePair(QByteArray("proxy_request_buffering off;"), QByteArray("proxy_request_buffering on;")));
        for (auto& [from, to] : replacements)
            if (from.startsWith("/var/log/nginx/"))
                to = QFile::encodeName(path("control/logs/"));
        NginxProcess control;
        QVERIFY2(control.start(path("control"), m_recipe, replacements, plain), qPrintable(control.error()));

        RelayClient client(plain);
        TestShare share = TestShare::make({.payloadBytes = 64 * kMiB});
        QCOMPARE(client.create(share).status, 201);
        FolderSampler sampler({{control.path(QStringLiteral("body")), control.pid()}});
        const HttpResponse appended = client.append(share, 0, share.ciphertext);
        sampler.stop();
        QVERIFY2(appended.status == 204, appended.describe().constData());
        qInfo("buffering on: largest file in client_body_temp_path %lld bytes (%d samples)",
              sampler.largest(0), sampler.samples());
        QVERIFY2(sampler.largest(0) > kSpoolLimitBytes, "the sampler missed a spooled body");
        QCOMPARE(client.remove(share).status, 204);
    }

    void bigUploadStreamsThroughWithoutSpooling() {
        // 1 GiB, written block by block.
        const QString source = path("big.bin");
        {
            QFile file(source);
            QVERIFY(file.open(QIODevice::WriteOnly));
            for (qint64 block = 0; block < kBigFileBytes / kMiB; ++block)
                QCOMPARE(file.write(bigFileBlock(block)), kMiB);
        }

        QElapsedTimer timer;
        timer.start();
        FolderSampler upload(
            {{m_nginx.path(QStringLiteral("body")), m_nginx.pid()}, {path("data/uploads"), 0}});
        QProcess send;
        prepare(send, {QStringLiteral("send"), QStringLiteral("--json"), QStringLiteral("--relay"),
                       QStringLiteral("http://127.0.0.1:%1").arg(m_plainPort), source});
        send.start();
        const bool sent = send.waitForFinished(kTransferTimeoutMs);
        upload.stop();
        if (!sent)
            stopChild(send, false);
        const QByteArray sendErr = send.readAllStandardError();
        QVERIFY2(sent && send.exitStatus() == QProcess::NormalExit && send.exitCode() == 0,
                 sendErr.constData());
        const qint64 uploadMs = timer.restart();
        qInfo("ots send of 1 GiB through nginx: %lld ms; largest file in nginx's client_body_temp_path: %lld "
              "bytes; %zu distinct sizes of the relay's partial file over %d samples",
              uploadMs, upload.largest(0), upload.distinctSizes(1), upload.samples());
        QVERIFY2(upload.largest(0) <= kSpoolLimitBytes, "nginx wrote the upload body to disk");
        // The watch really ran while the relay received the bytes bit by bit.
        QVERIFY2(upload.distinctSizes(1) >= 3, "the sampler did not overlap the upload");

        const QJsonObject result = QJsonDocument::fromJson(send.readAllStandardOutput()).object();
        const QString link = result.value(QStringLiteral("link")).toString();
        QVERIFY2(link.startsWith(QStringLiteral("http://127.0.0.1:%1/s/").arg(m_plainPort)),
                 qPrintable(link));
        m_secrets.append(result.value(QStringLiteral("id")).toString().toLatin1());
        m_secrets.append(link.section(QLatin1Char('#'), 1).toLatin1());

        QVERIFY(QDir().mkpath(path("out")));
        FolderSampler download({{m_nginx.path(QStringLiteral("proxy")), m_nginx.pid()}});
        QProcess get;
        prepare(get, {QStringLiteral("get"), link, QStringLiteral("-o"), path("out")});
        get.start();
        const bool got = get.waitForFinished(kTransferTimeoutMs);
        download.stop();
        if (!got)
            stopChild(get, false);
        const QByteArray getErr = get.readAllStandardError();
        QVERIFY2(got && get.exitStatus() == QProcess::NormalExit && get.exitCode() == 0, getErr.constData());
        qInfo("ots get of 1 GiB through nginx: %lld ms; largest file in nginx's proxy_temp_path: %lld bytes",
              timer.elapsed(), download.largest(0));
        QCOMPARE(download.largest(0), qint64{0});
        QFile::remove(source);

        QFile received(path("out/big.bin"));
        QVERIFY2(received.open(QIODevice::ReadOnly), getErr.constData());
        QCOMPARE(received.size(), kBigFileBytes);
        for (qint64 block = 0; block < kBigFileBytes / kMiB; ++block) {
            const QByteArray bytes = received.read(kMiB);
            if (bytes != bigFileBlock(block))
                QFAIL(qPrintable(QStringLiteral("block %1 of the received file differs").arg(block)));
        }
        received.close();
        QFile::remove(received.fileName());
    }

    void accessLogHoldsNoSecrets() {
        // A query string never reaches the log either.
        HttpConnection connection(m_plainPort);
        QCOMPARE(connection.request({"GET", "/healthz?token=query-string-marker", {}, {}}).status, 200);
        QVERIFY(waitUntil([&] { return accessLog().contains("GET /healthz HTTP/1.1\" 200"); }, 5000));

        const QByteArray log = accessLog();
        qInfo("access log, %lld bytes; its first lines:\n%s", qint64(log.size()), log.left(600).constData());
        QVERIFY(log.contains("\"PATCH /api/v1/shares/{id}/blob HTTP/1.1\" 204"));
        QVERIFY(log.contains("\"GET /api/v1/shares/{id}/content HTTP/1.1\" 206"));
        QVERIFY(!log.contains("query-string-marker"));
        QVERIFY(!log.contains('?'));
        QVERIFY(m_secrets.size() >= 5);
        for (const QByteArray& secret : std::as_const(m_secrets))
            if (!secret.isEmpty() && log.contains(secret))
                QFAIL(qPrintable(
                    QStringLiteral("the access log contains \"%1\"").arg(QString::fromLatin1(secret))));
    }

    void dockerSettingsAreRelaySettings() {
        // No Docker engine here, so the container recipes cannot run; but every OTS_RELAY_* setting
        // they pass must be one the relay knows, with a value it accepts.
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        const QRegularExpression setting(
            QStringLiteral("^\\s*(?:ENV\\s+)?(OTS_RELAY_[A-Z_]+)[:=]\\s*\"?([^\"\\s]*)\"?"));
        int found = 0;
        for (const char* recipe : {OTS_DOCKER_DIR "/Dockerfile", OTS_DOCKER_DIR "/compose.yaml"}) {
            const QByteArray text = NginxProcess::readFile(QString::fromUtf8(recipe));
            QVERIFY2(!text.isEmpty(), recipe);
            for (const QByteArray& line : text.split('\n')) {
                const QRegularExpressionMatch match = setting.match(QString::fromUtf8(line));
                if (!match.hasMatch())
                    continue;
                // Secrets come from compose's .env as ${NAME:?}: stand in a value like the one its
                // recipe generates.
                QString value = match.captured(2);
                if (value.startsWith(QLatin1String("${")))
                    value = QStringLiteral("test-secret-for-") + match.captured(1).toLower();
                environment.insert(match.captured(1), value);
                ++found;
            }
        }
        QVERIFY2(found >= 10, "the Docker recipes set fewer OTS_RELAY_* variables than expected");
        environment.insert(QStringLiteral("OTS_RELAY_DATA_DIR"), path("docker-data"));
        QProcess check;
        check.setProcessEnvironment(environment);
        check.start(QStringLiteral(OTS_RELAY_BINARY), {QStringLiteral("--check-config")});
        QVERIFY(check.waitForFinished(30'000));
        const QByteArray output = check.readAllStandardOutput() + check.readAllStandardError();
        QVERIFY2(check.exitCode() == 0, output.constData());
        QVERIFY2(output.contains("listen = 0.0.0.0:8080"), output.constData());
        QVERIFY2(output.contains("trusted-proxies = 172.31.77.1"), output.constData());
        QVERIFY2(output.contains("redis-host = redis"), output.constData());
        // Safe by default: Redis with a password, and a private relay.
        QVERIFY2(output.contains("redis-password = (set)"), output.constData());
        QVERIFY2(output.contains("upload-tokens = (set)"), output.constData());
        QVERIFY2(!output.contains("warning: open relay"), output.constData());
    }

    // Last: it spends 127.0.0.1's request budget at nginx.
    void perClientLimitsAnswerLikeTheRelay() {
        // limit_req: 10 requests a second with bursts of 100. Requests on one keep-alive connection
        // as fast as it answers meet a 429 soon after the burst; it carries the relay's error body,
        // so clients treat it as the relay's own rate limit.
        HttpConnection connection(m_plainPort);
        HttpResponse limited;
        int sent = 0;
        for (; sent < 2000 && limited.status != 429; ++sent) {
            limited = connection.request({"GET", "/healthz", {}, {}});
            QVERIFY2(limited.status == 200 || limited.status == 429, limited.describe().constData());
        }
        qInfo("first 429 after %d requests", sent);
        QVERIFY2(limited.status == 429, limited.describe().constData());
        QVERIFY2(sent > 50, QByteArray::number(sent).constData()); // a burst was allowed first
        QCOMPARE(limited.errorCode(), QStringLiteral("rate_limited"));
        QCOMPARE(limited.header("retry-after"), QByteArray("1"));
        QVERIFY(limited.header("content-type").startsWith("application/json"));
    }

private:
    [[nodiscard]] QString path(const QString& name) const { return m_dir.filePath(name); }
    [[nodiscard]] QString path(const char* name) const { return path(QString::fromUtf8(name)); }

    /// What the test changes in the recipe: the relay it talks to, where nginx listens and where
    /// its files are.
    [[nodiscard]] QList<QPair<QByteArray, QByteArray>> substitutions(quint16 plain, quint16 tls,
                                                                     quint16 redirect) const {
        return QList<QPair<QByteArray, QByteArray>>{
                   {"server 127.0.0.1:8080;",
                    "server 127.0.0.1:" + QByteArray::number(m_relay.port()) + ';'}} +
               NginxProcess::siteSubstitutions(plain, tls, redirect, m_dir.path());
    }

    void prepare(QProcess& process, const QStringList& arguments) const {
        NginxProcess::prepareCli(process, QStringLiteral(OTS_CLI_BINARY), arguments, m_dir.path());
    }

    [[nodiscard]] QByteArray accessLog() const {
        return NginxProcess::readFile(path("nginx/logs/onetimeshare-relay.access.log"));
    }

    /// The relay's "request" log line with this request id, or an empty object.
    [[nodiscard]] QJsonObject relayLogLine(const QByteArray& requestId) const {
        for (const QByteArray& raw : m_relay.log().split('\n')) {
            QJsonObject line = QJsonDocument::fromJson(raw).object();
            if (line.value(QStringLiteral("rid")).toString().toLatin1() == requestId &&
                line.contains(QStringLiteral("client")))
                return line;
        }
        return {};
    }

    QTemporaryDir m_dir;
    QByteArray m_recipe;
    RedisServer m_redis;
    RelayProcess m_relay;
    NginxProcess m_nginx;
    quint16 m_plainPort = 0;
    quint16 m_tlsPort = 0;
    quint16 m_redirectPort = 0;
    QList<QByteArray> m_secrets; ///< ids, tokens, tickets, link secrets the access log must not hold
};

QTEST_GUILESS_MAIN(TestNginxE2e)
#include "nginx_e2e.moc"
