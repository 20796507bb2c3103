// Hostile and broken input over raw sockets: malformed JSON, oversized headers and bodies, lying
// Content-Length, bad and path-like ids, slowloris, hundreds of idle connections. Each gets a clear
// 4xx or a closed connection; the relay stays up, keeps serving others and its memory stays bounded.
// Run against the local store and (tst_relay_badinput_s3) against S3 on Ceph.

#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTest>
#include <QThread>

#include <arpa/inet.h>
#include <cerrno>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <vector>

using namespace ots;
using namespace ots::relaytest;

namespace {

constexpr int kIdleTimeoutSeconds = 2;
// The relay's resident set stays under 64 MiB whatever the load. Under a sanitizer (AddressSanitizer
// in the debug preset, ThreadSanitizer on the relay alone in the tsan preset: OTS_RELAY_SANITIZED)
// shadow memory and the allocation quarantine dominate it; there the bound only shows that memory
// does not grow with the number of connections or bytes.
#if defined(__SANITIZE_ADDRESS__) || defined(OTS_RELAY_SANITIZED)
constexpr qint64 kRssLimitKiB = 512 * 1024;
#else
constexpr qint64 kRssLimitKiB = 64 * 1024;
#endif

/// A clear refusal: a 4xx response, or the connection closed without one.
bool refused(const HttpResponse& response) {
    return (response.status >= 400 && response.status < 500) ||
           (response.status == 0 && response.closedByPeer);
}

} // namespace

class TestRelayBadInput : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_root; // holds the data folder and nothing else: traversal would show here
    RedisServer m_redis;
    RelayProcess m_relay;
    RelayClient m_client{0};
    std::shared_ptr<test::CephCluster> m_ceph; // with s3StoreUnderTest(): the bucket m_relay keeps blobs in

    QString dataDir() const { return m_root.filePath(QStringLiteral("data")); }

    // Sends raw bytes on a fresh connection and reads one response.
    HttpResponse sendRaw(const QByteArray& bytes, int timeoutMs = 10'000) {
        HttpConnection connection(m_client.port());
        if (!connection.connect()) {
            HttpResponse response;
            response.failure = QStringLiteral("connect failed");
            return response;
        }
        if (!connection.writeAll(bytes, timeoutMs)) {
            HttpResponse response = connection.readResponse(false, 2000);
            return response;
        }
        return connection.readResponse(false, timeoutMs);
    }

    bool stillHealthy() { return m_relay.isRunning() && m_client.get("/healthz").status == 200; }

    /// Opens count connections to port and keeps them in held, each answering one request (so the
    /// relay has taken every one of them in).
    static bool holdServedConnections(quint16 port, int count,
                                      std::vector<std::unique_ptr<HttpConnection>>& held) {
        for (int i = 0; i < count; ++i) {
            held.push_back(std::make_unique<HttpConnection>(port));
            const HttpResponse response = held.back()->request({"GET", "/healthz", {}, {}});
            if (response.status != 200) {
                qWarning("connection %d: %s", i + 1, response.describe().constData());
                return false;
            }
        }
        return true;
    }
    /// A new connection to port is closed by the relay with nothing sent.
    static bool closedUnanswered(quint16 port) {
        HttpConnection connection(port);
        return connection.connect() && connection.waitForClose(kRequestTimeoutMs) &&
               connection.pending().isEmpty();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY(m_root.isValid());
        QVERIFY(QDir(m_root.path()).mkdir(QStringLiteral("data")));
        QVERIFY(m_redis.start());
        // manyIdleConnections stands for hundreds of clients, all on 127.0.0.1: above the default
        // per-client cap, which connectionsPerClient tests on relays of its own.
        QStringList arguments{QStringLiteral("--idle-timeout"),
                              QStringLiteral("%1s").arg(kIdleTimeoutSeconds),
                              QStringLiteral("--max-connections-per-client"), QStringLiteral("100000")};
        QString error;
        useTestS3Store(m_relay, arguments, m_ceph, error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(m_relay.start(m_redis.port(), dataDir(), arguments), qPrintable(m_relay.error()));
        m_client = m_relay.client();
    }

    void cleanupTestCase() {
        // Still alive after everything, and it leaves cleanly.
        QVERIFY(m_relay.isRunning());
        m_relay.stop();
        QVERIFY2(m_relay.exitedCleanly(), m_relay.log().right(3000).constData());
    }

    void malformedJson_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("truncated") << QByteArray(R"({"size": 4225, "expiresIn": )");
        QTest::newRow("trailing garbage") << QByteArray(R"({"size": 4225} xyz)");
        QTest::newRow("two documents") << QByteArray(R"({"size": 4225}{"size": 4225})");
        QTest::newRow("single quotes") << QByteArray(R"({'size': 4225})");
        QTest::newRow("invalid utf-8") << QByteArray("{\"size\": 4225, \"metadata\": \"\xff\xfe\"}");
        QTest::newRow("nul byte") << QByteArray("{\"size\": 4225\0}", 15);
        QTest::newRow("deep nesting") << QByteArray(100'000, '[') + QByteArray(100'000, ']');
        QTest::newRow("deep objects")
            << QByteArray(50'000, '{').replace("{", "{\"a\":") + "1" + QByteArray(50'000, '}');
        QTest::newRow("huge number") << QByteArray(R"({"size": 1e400, "expiresIn": 60, "maxDownloads": 1})");
        QTest::newRow("size above 2^64") << QByteArray(R"({"size": 184467440737095516160})");
        QTest::newRow("size negative zero") << QByteArray(R"({"size": -0})");
        QTest::newRow("a string") << QByteArray(R"("hello")");
        QTest::newRow("null") << QByteArray("null");
        QTest::newRow("binary") << pattern(5000, 3);
        QTest::newRow("duplicate keys") << QByteArray(R"({"size": 4225, "size": "x"})");
    }

    void malformedJson() {
        QFETCH(QByteArray, body);
        HttpRequest request{"POST", "/api/v1/shares", {{"Content-Type", "application/json"}}, body};
        const HttpResponse response = m_client.send(request);
        OTS_EXPECT_ERROR(response, 400, "bad_request");
        // The same against a proof endpoint of a real share.
        TestShare share = TestShare::make({});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        request.target = RelayClient::sharePath(share.id, "/reservations");
        OTS_EXPECT_ERROR(m_client.send(request), 400, "bad_request");
        // Nothing was spent: every attempt is still there.
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);
    }

    void oversizedHeadersAndBodies() {
        // One long header, many headers, a long URL: 413 (header-limit).
        OTS_EXPECT_ERROR(
            sendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: " + QByteArray(64 * 1024, 'a') + "\r\n\r\n"),
            413, "too_large");
        QByteArray many = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
        for (int i = 0; i < 2000; ++i)
            many += "X-" + QByteArray::number(i) + ": v\r\n";
        OTS_EXPECT_ERROR(sendRaw(many + "\r\n"), 413, "too_large");
        OTS_EXPECT_ERROR(
            sendRaw("GET /api/v1/shares/" + QByteArray(100 * 1024, 'A') + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            413, "too_large");
        // A megabyte of header bytes with no end: refused, not buffered forever.
        const HttpResponse endless = sendRaw("GET /healthz HTTP/1.1\r\nX: " + QByteArray(1 << 20, 'b'));
        QVERIFY2(refused(endless), endless.describe().constData());

        // JSON bodies above the limit, announced or sent.
        OTS_EXPECT_ERROR(
            sendRaw("POST /api/v1/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: 99999999999\r\n\r\n{"),
            413, "too_large");
        const QByteArray bigJson = "{\"metadata\": \"" + QByteArray(4 << 20, 'A') + "\"}";
        OTS_EXPECT_ERROR(
            m_client.send({"POST", "/api/v1/shares", {{"Content-Type", "application/json"}}, bigJson}), 413,
            "too_large");

        // An upload body above the share's size, announced: refused before a byte is stored.
        TestShare share = TestShare::make({});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        HttpConnection upload(m_client.port());
        QVERIFY(upload.connect());
        QVERIFY(upload.writeAll("PATCH " + RelayClient::sharePath(share.id, "/blob") +
                                " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + share.ownerToken +
                                "\r\nUpload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\n"
                                "Content-Length: 10737418240\r\n\r\n"));
        OTS_EXPECT_ERROR(upload.readResponse(false, 5000), 413, "too_large");
        QCOMPARE(m_client.uploadOffset(share).header("upload-offset"), QByteArray("0"));
        QVERIFY(stillHealthy());
    }

    void wrongContentLength() {
        const QByteArray json = R"({"size": 4225, "expiresIn": 3600, "maxDownloads": 1})";
        const QByteArray head =
            "POST /api/v1/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n";

        // Shorter than the body: the body is cut (400), the rest is no request (4xx or closed).
        {
            HttpConnection connection(m_client.port());
            QVERIFY(connection.connect());
            QVERIFY(connection.writeAll(head + "Content-Length: 10\r\n\r\n" + json));
            OTS_EXPECT_ERROR(connection.readResponse(), 400, "bad_request");
            const HttpResponse rest = connection.readResponse(false, (kIdleTimeoutSeconds + 5) * 1000);
            QVERIFY2(refused(rest), rest.describe().constData());
        }
        // Longer than the body: the relay waits for bytes that never come, then gives up and closes.
        {
            HttpConnection connection(m_client.port());
            QVERIFY(connection.connect());
            QElapsedTimer timer;
            timer.start();
            QVERIFY(connection.writeAll(head + "Content-Length: 500\r\n\r\n" + json));
            const HttpResponse response = connection.readResponse(false, (kIdleTimeoutSeconds + 5) * 1000);
            QVERIFY2(refused(response), response.describe().constData());
            QVERIFY2(timer.elapsed() < (kIdleTimeoutSeconds + 3) * 1000,
                     QByteArray::number(timer.elapsed()).constData());
        }
        // Not a number, negative, twice with different values, alongside chunked (smuggling).
        for (const QByteArray& lengthHeaders :
             {QByteArray("Content-Length: abc\r\n"), QByteArray("Content-Length: -5\r\n"),
              QByteArray("Content-Length: 5x\r\n"), QByteArray("Content-Length: 0x10\r\n"),
              QByteArray("Content-Length: 10\r\nContent-Length: 20\r\n"),
              QByteArray("Content-Length: 99999999999999999999999\r\n"),
              QByteArray("Content-Length: 4\r\nTransfer-Encoding: chunked\r\n")}) {
            const HttpResponse response = sendRaw(head + lengthHeaders + "\r\n" + json, 10'000);
            QVERIFY2(refused(response), (lengthHeaders + " → " + response.describe()).constData());
        }
        QVERIFY(stillHealthy());
    }

    void transferEncodingOtherThanChunked_data() {
        QTest::addColumn<QByteArray>("codings");
        QTest::addColumn<QByteArray>("body");
        // What follows the header is a second request, in case the relay reads it as one.
        const QByteArray smuggled = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
        QTest::newRow("chunked, identity")
            << QByteArray("Transfer-Encoding: chunked, identity\r\n") << smuggled;
        QTest::newRow("gzip, chunked")
            << QByteArray("Transfer-Encoding: gzip, chunked\r\n") << "4\r\n{}  \r\n0\r\n\r\n" + smuggled;
        QTest::newRow("identity") << QByteArray("Transfer-Encoding: identity\r\n") << smuggled;
        QTest::newRow("gzip and chunked on two lines")
            << QByteArray("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n")
            << "4\r\n{}  \r\n0\r\n\r\n" + smuggled;
        QTest::newRow("chunked twice")
            << QByteArray("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n")
            << "4\r\n{}  \r\n0\r\n\r\n" + smuggled;
    }

    void transferEncodingOtherThanChunked() {
        // RFC 9112 §6.1: a request whose final coding is not chunked has no knowable length. It is
        // answered 400 and the connection closes; nothing after its header is read as a request.
        QFETCH(QByteArray, codings);
        QFETCH(QByteArray, body);
        HttpConnection connection(m_client.port());
        QVERIFY(connection.connect());
        QVERIFY(connection.writeAll("POST /api/v1/shares HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Type: application/json\r\n" +
                                    codings + "\r\n" + body));
        OTS_EXPECT_ERROR(connection.readResponse(), 400, "bad_request");
        QVERIFY(connection.waitForClose(kRequestTimeoutMs));
        QVERIFY2(connection.pending().isEmpty(), connection.pending().left(200).constData());
    }

    void transferEncodingChunkedStillWorks() {
        // Exactly "chunked" (in any case) frames a JSON body as before.
        TestShare share = TestShare::make({});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        HttpConnection connection(m_client.port());
        QVERIFY(connection.connect());
        QVERIFY(connection.writeAll("POST " + RelayClient::sharePath(share.id, "/challenge") +
                                    " HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                                    "Transfer-Encoding: Chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n"
                                    "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        OTS_EXPECT_STATUS(connection.readResponse(), 200);
        OTS_EXPECT_STATUS(connection.readResponse(), 200);
    }

    void garbageRequests() {
        for (const QByteArray& garbage :
             {QByteArray("HELLO\r\n\r\n"), QByteArray("GET\r\n\r\n"),
              QByteArray("GET /healthz HTTP/1.1\r\nHost x\r\n\r\n"),
              QByteArray("G\x00T / HTTP/1.1\r\n\r\n", 18),
              QByteArray("GET http://evil.example/api/v1/shares HTTP/1.1\r\nHost: x\r\n\r\n"),
              QByteArray("\r\n\r\n\r\n\r\n"), pattern(4000, 11),
              QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")}) {
            const HttpResponse response = sendRaw(garbage, 10'000);
            // An absolute-form target may legitimately be served as its path; everything else is refused.
            if (garbage.contains("http://evil") && response.status >= 200 && response.status < 500)
                continue;
            QVERIFY2(refused(response), (garbage.left(40).toHex() + " → " + response.describe()).constData());
        }
        QVERIFY(stillHealthy());
    }

    void pipelinedRequests() {
        // Keep-alive and pipelining: three requests in one write, three responses in order.
        HttpConnection connection(m_client.port());
        QVERIFY(connection.connect());
        QVERIFY(connection.writeAll("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA HTTP/1.1\r\nHost: x\r\n\r\n"
                                    "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"));
        OTS_EXPECT_STATUS(connection.readResponse(), 200);
        OTS_EXPECT_ERROR(connection.readResponse(), 404, "not_found");
        OTS_EXPECT_ERROR(connection.readResponse(), 404, "not_found");
    }

    void pathLikeIds_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        const QList<QByteArray> ids{"..%2F..%2Fetc",
                                    "..%2F..%2F..%2F..%2Fetc%2Fpasswd",
                                    "%2e%2e%2f%2e%2e%2fetc",
                                    "../../x",
                                    "..",
                                    ".",
                                    "AAAAAAAAAAAAAAAAAAAA/A",
                                    "AAAAAAAAAAA/AAAAAAAAAA",
                                    "AAAAAAAAAAAAAAAAAAAAA%00",
                                    "AAAAAAAAAAAAAAAAAAAA\\A",
                                    "%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41%41",
                                    "....................../",
                                    "~root"};
        for (const QByteArray& id : ids) {
            QTest::newRow(("info " + id).constData()) << QByteArray("GET") << "/api/v1/shares/" + id;
            QTest::newRow(("blob " + id).constData())
                << QByteArray("PATCH") << "/api/v1/shares/" + id + "/blob";
            QTest::newRow(("content " + id).constData())
                << QByteArray("GET") << "/api/v1/shares/" + id + "/content";
            QTest::newRow(("delete " + id).constData()) << QByteArray("DELETE") << "/api/v1/shares/" + id;
        }
        QTest::newRow("dot segments before api") << QByteArray("GET") << QByteArray("/../../api/v1/shares/x");
        QTest::newRow("receiver traversal") << QByteArray("GET") << QByteArray("/s/..%2F..%2Fetc%2Fpasswd");
        QTest::newRow("receiver dot segments") << QByteArray("GET") << QByteArray("/s/../../etc/passwd");
        QTest::newRow("web file traversal") << QByteArray("GET") << QByteArray("/web/..%2F..%2Fetc%2Fpasswd");
        QTest::newRow("web file dot segments") << QByteArray("GET") << QByteArray("/web/../../../etc/passwd");
        QTest::newRow("web vendor dot segments")
            << QByteArray("GET") << QByteArray("/web/vendor/../../../../etc/passwd");
        QTest::newRow("double slash") << QByteArray("GET") << QByteArray("//etc/passwd");
    }

    void pathLikeIds() {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        HttpRequest request{method, target, {}, method == "PATCH" ? QByteArray("0123456789") : QByteArray()};
        request.bearer(b64u(pattern(32)));
        request.header("Upload-Offset", "0").header("Content-Type", "application/offset+octet-stream");
        const HttpResponse response = m_client.send(request);
        QVERIFY2(!response.body.contains("root:"), response.describe().constData());
        if (target.startsWith("/s/") && response.status == 200)
            return; // the receiver page is static: whatever follows /s/ it never touches disk or Redis
        QVERIFY2(response.status == 400 || response.status == 404 || response.status == 405 ||
                     (response.status == 0 && response.closedByPeer),
                 response.describe().constData());
        if (response.status == 400)
            QVERIFY2(response.errorCode() == QStringLiteral("bad_share_id") ||
                         response.errorCode() == QStringLiteral("bad_request"),
                     response.describe().constData());
        // Nothing appeared next to the data folder.
        QCOMPARE(QDir(m_root.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden),
                 QStringList{QStringLiteral("data")});
        // Nor in the bucket, where only an append writes: every key there is a test relay's blob or
        // tail of a well-formed id.
        if (m_ceph && method == "PATCH") {
            static const QRegularExpression storeKey(
                QStringLiteral("^ots(-[0-9]+)?/(b/[A-Za-z0-9_-]{22}|t/[A-Za-z0-9_-]{22}/[0-9]+-[0-9]+)$"));
            const auto objects = m_ceph->objects(m_ceph->bucket());
            QVERIFY2(objects, qPrintable(m_ceph->errorString()));
            for (const QString& key : *objects)
                QVERIFY2(storeKey.match(key).hasMatch(), qPrintable(key));
            const auto uploads = m_ceph->multipartUploads(m_ceph->bucket());
            QVERIFY2(uploads, qPrintable(m_ceph->errorString()));
            for (const auto& upload : *uploads)
                QVERIFY2(storeKey.match(upload.key).hasMatch(), qPrintable(upload.key));
        }
    }

    void slowloris() {
        // Headers trickled one byte per second: the relay closes the connection within the idle
        // timeout plus a margin, and serves a normal client all the while.
        HttpConnection slow(m_client.port());
        QVERIFY(slow.connect());
        const QByteArray trickle =
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + QByteArray(100, 's');
        QElapsedTimer timer;
        timer.start();
        bool closed = false;
        for (qsizetype i = 0;
             i < trickle.size() && !closed && timer.elapsed() < (kIdleTimeoutSeconds + 10) * 1000; ++i) {
            slow.writeNow(trickle.mid(i, 1));
            OTS_EXPECT_STATUS(m_client.get("/healthz"), 200);
            TestShare share = TestShare::make({});
            OTS_EXPECT_STATUS(m_client.create(share), 201);
            closed = slow.waitForClose(1000);
        }
        qInfo("trickling connection closed by the relay after %lld ms", qint64(timer.elapsed()));
        QVERIFY2(closed, "the relay kept a trickling connection open");
        QVERIFY2(timer.elapsed() <= (kIdleTimeoutSeconds + 3) * 1000,
                 QByteArray::number(timer.elapsed()).constData());
        QVERIFY(slow.pending().isEmpty() || slow.pending().startsWith("HTTP/1.1 4"));

        // Many slow clients at once do not starve a normal one either.
        std::vector<std::unique_ptr<HttpConnection>> crowd;
        for (int i = 0; i < 50; ++i) {
            crowd.push_back(std::make_unique<HttpConnection>(m_client.port()));
            QVERIFY(crowd.back()->connect());
            crowd.back()->writeNow("POST /api/v1/shares HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{");
        }
        OTS_EXPECT_STATUS(m_client.get("/healthz"), 200);
        for (auto& connection : crowd) {
            const HttpResponse response = connection->readResponse(false, (kIdleTimeoutSeconds + 5) * 1000);
            QVERIFY2(refused(response), response.describe().constData());
        }
        QVERIFY(stillHealthy());
    }

    void manyIdleConnections() {
        constexpr int kIdle = 500;
        std::vector<std::unique_ptr<HttpConnection>> idle;
        idle.reserve(kIdle);
        for (int i = 0; i < kIdle; ++i) {
            auto connection = std::make_unique<HttpConnection>(m_client.port());
            connection->socket().connectToHost(QHostAddress::LocalHost, m_client.port());
            idle.push_back(std::move(connection));
        }
        for (auto& connection : idle)
            QVERIFY(connection->socket().waitForConnected(10'000));
        // Half of them start a request and stop.
        for (int i = 0; i < kIdle; i += 2)
            idle[static_cast<std::size_t>(i)]->writeNow("GET /api/v1/sha");
        // The relay holds them all (before the idle timeout closes them) in bounded memory.
        double active = 0;
        QVERIFY2(waitUntil(
                     [&] {
                         active = m_client.metric("ots_http_connections_active");
                         return active >= kIdle;
                     },
                     kIdleTimeoutSeconds * 1000 / 2),
                 QByteArray::number(active).constData());
        const qint64 rssWithIdle = m_relay.rssKiB();
        qInfo("%g connections open, relay VmRSS %lld KiB", active, rssWithIdle);
        QVERIFY2(rssWithIdle > 0 && rssWithIdle < kRssLimitKiB, QByteArray::number(rssWithIdle).constData());

        // Normal requests still succeed meanwhile, the full API path included.
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 10; ++i) {
            TestShare share = TestShare::make({.payloadBytes = 50'000});
            OTS_EXPECT_STATUS(m_client.createReady(share), 200);
            const HttpResponse content = m_client.reserveAndDownload(share);
            OTS_EXPECT_STATUS(content, 200);
            QVERIFY(content.body == share.ciphertext);
        }
        QVERIFY2(timer.elapsed() < 10'000, QByteArray::number(timer.elapsed()).constData());

        // Every idle connection is closed by the relay (or answered with a 4xx) within the timeout.
        for (auto& connection : idle) {
            const HttpResponse response = connection->readResponse(false, (kIdleTimeoutSeconds + 5) * 1000);
            QVERIFY2(refused(response), response.describe().constData());
        }
        QVERIFY(waitUntil([&] { return m_client.metric("ots_http_connections_active") <= 2; }, 5000));
        QVERIFY(stillHealthy());
    }

    void connectionsPerClient() {
        // max-connections-per-client 8 (in the config file): eight idle connections from 127.0.0.1 are
        // held and served, the ninth is closed before anything is read, and once one of the eight
        // has gone a new one is served again.
        RelayFixture capped;
        QVERIFY(capped.dataDir.isValid());
        const QString configFile = capped.dataDir.filePath(QStringLiteral("relay.conf"));
        QFile config(configFile);
        QVERIFY(config.open(QIODevice::WriteOnly));
        config.write("max-connections-per-client = 8\n");
        config.close();
        QVERIFY2(capped.start({QStringLiteral("--config"), configFile}), capped.error());
        const RelayClient client = capped.client();
        // start()'s readiness probes are closed, but one the relay was slow to answer (with S3, /readyz
        // asks the bucket) holds its slot until the relay has seen the close: let them go first.
        QVERIFY(
            waitUntil([&] { return client.metric("ots_http_connections_active") <= 1; }, kRequestTimeoutMs));
        std::vector<std::unique_ptr<HttpConnection>> held;
        QVERIFY(holdServedConnections(client.port(), 8, held));
        QVERIFY(closedUnanswered(client.port()));
        // The eight are still served.
        for (auto& connection : held)
            OTS_EXPECT_STATUS(connection->request({"GET", "/healthz", {}, {}}), 200);

        // One goes; the relay notices its end, and then a new connection is served. Until it has
        // noticed, a new connection is the ninth and is closed: try again until one is answered.
        held.front()->close();
        held.erase(held.begin());
        QVERIFY(waitUntil(
            [&] {
                auto fresh = std::make_unique<HttpConnection>(client.port());
                if (!fresh->connect() || fresh->request({"GET", "/healthz", {}, {}}).status != 200)
                    return false;
                held.push_back(std::move(fresh));
                return true;
            },
            kRequestTimeoutMs));
        QVERIFY(closedUnanswered(client.port()));
        held.clear();
        QVERIFY(waitUntil([&] { return client.metric("ots_http_connections_refused_total") >= 2; },
                          kRequestTimeoutMs));

        // The default cap, 256: that many idle connections are held, the 257th is refused.
        RelayFixture byDefault;
        QVERIFY2(byDefault.start(), byDefault.error());
        const RelayClient defaultClient = byDefault.client();
        QVERIFY(holdServedConnections(defaultClient.port(), 256, held));
        QVERIFY(closedUnanswered(defaultClient.port()));
        held.clear();

        // A trusted proxy carries every client's connections: it is not capped (it caps each client).
        RelayFixture behindProxy;
        QVERIFY2(behindProxy.start({QStringLiteral("--max-connections-per-client"), QStringLiteral("8"),
                                    QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1")}),
                 behindProxy.error());
        QVERIFY(holdServedConnections(behindProxy.client().port(), 20, held));
        held.clear();
    }

    // Issue 13, must show 5: 2,000 uploads trickling one byte a second are each cut by the minimum
    // body rate, the relay's memory stays small while they hang on, a normal client is served all the
    // while, and the byte each one sent is kept (the upload resumes from it).
    void tricklingUploadsAreCut() {
        constexpr int kTricklers = 2000;
        constexpr int kWindowSeconds = 3;
#if defined(OTS_RELAY_SANITIZED)
        constexpr qint64 kTrickleRssLimitKiB = 1024 * 1024;
#else
        constexpr qint64 kTrickleRssLimitKiB = 128 * 1024;
#endif
        RelayFixture relay;
        QVERIFY2(relay.start({QStringLiteral("--min-upload-rate"), QStringLiteral("16K"),
                              QStringLiteral("--min-upload-rate-window"),
                              QStringLiteral("%1s").arg(kWindowSeconds), QStringLiteral("--idle-timeout"),
                              QStringLiteral("60s"), QStringLiteral("--max-connections-per-client"),
                              QStringLiteral("100000")}),
                 relay.error());
        const RelayClient client = relay.client();
        QList<TestShare> shares;
        for (int i = 0; i < kTricklers; ++i) {
            shares.append(TestShare::make({.payloadBytes = 10, .seed = i}));
            OTS_EXPECT_STATUS(client.create(shares.last()), 201);
        }

        // Plain sockets: the header and one byte of the body each, then a byte a second.
        std::vector<int> sockets;
        const auto closeAll = qScopeGuard([&sockets] {
            for (const int fd : sockets)
                ::close(fd);
        });
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(client.port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        for (const TestShare& share : std::as_const(shares)) {
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            sockets.push_back(fd);
            QCOMPARE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
            HttpRequest patch{"PATCH",
                              RelayClient::sharePath(share.id, "/blob"),
                              {{"Upload-Offset", "0"},
                               {"Content-Type", "application/offset+octet-stream"},
                               {"Content-Length", QByteArray::number(share.ciphertext.size())}},
                              {}};
            patch.bearer(share.ownerToken);
            const QByteArray head = patch.serialize(client.port()) + share.ciphertext.left(1);
            QCOMPARE(::send(fd, head.constData(), static_cast<size_t>(head.size()), MSG_NOSIGNAL),
                     static_cast<ssize_t>(head.size()));
        }
        const auto open = [&sockets] {
            int count = 0;
            for (const int fd : sockets) {
                char byte = 0;
                const ssize_t got = ::recv(fd, &byte, 1, MSG_DONTWAIT | MSG_PEEK);
                if (got < 0 && errno == EAGAIN) // EWOULDBLOCK is the same value on Linux
                    ++count;                    // nothing to read and not closed
            }
            return count;
        };
        QElapsedTimer clock;
        clock.start();
        qint64 peakRss = 0;
        int offset = 1;
        while (clock.elapsed() < (kWindowSeconds + 6) * 1000 && open() > 0) {
            QThread::msleep(1000);
            // One more byte on every connection still open (a cut one refuses it: ignored).
            for (std::size_t i = 0; i < sockets.size(); ++i)
                (void)::send(sockets[i], shares[static_cast<qsizetype>(i)].ciphertext.constData() + offset, 1,
                             MSG_NOSIGNAL | MSG_DONTWAIT);
            ++offset;
            peakRss = std::max(peakRss, relay.relay.rssKiB());
            // A normal client is served throughout.
            TestShare normal = TestShare::make({.payloadBytes = 20'000, .seed = 9000 + offset});
            OTS_EXPECT_STATUS(client.createReady(normal), 200);
            const HttpResponse content = client.reserveAndDownload(normal);
            OTS_EXPECT_STATUS(content, 200);
            QVERIFY(content.body == normal.ciphertext);
        }
        qInfo("%d trickling uploads: relay VmRSS peak %lld KiB; still open after %lld ms: %d", kTricklers,
              peakRss, clock.elapsed(), open());
        QCOMPARE(open(), 0);
        QVERIFY2(peakRss > 0 && peakRss < kTrickleRssLimitKiB, QByteArray::number(peakRss).constData());
        QVERIFY(waitUntil([&] { return client.metric("ots_uploads_cut_slow_total") >= kTricklers; }, 10'000));
        // What arrived was kept: each upload resumes from the bytes it had sent before the cut.
        for (int i = 0; i < kTricklers; i += 397) {
            const HttpResponse offsetNow = client.uploadOffset(shares[i]);
            OTS_EXPECT_STATUS(offsetNow, 204);
            QVERIFY(offsetNow.header("upload-offset").toInt() >= 1);
        }
    }

    void stalledDownloadReader() {
        // A download whose client stops reading: the relay's socket fills, and after the idle timeout
        // the relay cuts that connection (the body is sent with sendfile, so this is its own timer),
        // serves everyone else meanwhile, and the share is untouched: the ticket still resumes.
        TestShare share = TestShare::make({.payloadBytes = 64 << 20, .seed = 7});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        const HttpResponse reservation = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);

        // A plain socket with a small receive buffer, so that nothing reads on our side behind the
        // test's back (a QTcpSocket would, whenever an event loop runs).
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        const int small = 64 * 1024;
        QCOMPARE(::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small), 0);
        // A relay that never cuts the connection would leave it open after the body: recv gives up.
        const timeval patience{5, 0};
        QCOMPARE(::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &patience, sizeof patience), 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_client.port());
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        QCOMPARE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address), 0);
        const QByteArray request = RelayClient::downloadRequest(share.id, ticket).serialize(m_client.port());
        QCOMPARE(::send(fd, request.constData(), static_cast<size_t>(request.size()), MSG_NOSIGNAL),
                 static_cast<ssize_t>(request.size()));

        // Not reading for longer than the idle timeout; others are served all the while.
        QElapsedTimer stalled;
        stalled.start();
        while (stalled.elapsed() < (kIdleTimeoutSeconds + 2) * 1000) {
            OTS_EXPECT_STATUS(m_client.get("/healthz"), 200);
            QThread::msleep(250);
        }
        // Now read: the connection ends (cut by the relay) long before the whole body.
        QByteArray received;
        char buffer[65536];
        QElapsedTimer reading;
        reading.start();
        bool ended = false;
        while (!ended && reading.elapsed() < 20'000) {
            const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
            if (got > 0)
                received.append(buffer, got);
            else
                ended = got == 0 || errno != EINTR; // closed, or (EAGAIN) nothing came for 5 s
        }
        QVERIFY2(ended, "the stalled download's connection was never cut");
        const qsizetype headEnd = received.indexOf("\r\n\r\n");
        QVERIFY2(received.startsWith("HTTP/1.1 200") && headEnd > 0, received.left(200).constData());
        const qsizetype body = received.size() - headEnd - 4;
        qInfo("stalled reader: the relay cut it after %lld of %lld body bytes", qint64(body),
              qint64(share.ciphertext.size()));
        QVERIFY2(body < share.ciphertext.size(), QByteArray::number(body).constData());
        QVERIFY(received.mid(headEnd + 4) == share.ciphertext.left(body));

        // Nothing consumed: the same ticket resumes from there and ends with the whole share.
        const HttpResponse rest =
            m_client.download(share.id, ticket, "bytes=" + QByteArray::number(body) + '-');
        OTS_EXPECT_STATUS(rest, 206);
        QVERIFY(share.ciphertext.left(body) + rest.body == share.ciphertext);
        OTS_EXPECT_STATUS(m_client.finish(share.id, ticket), 200);
        QVERIFY(stillHealthy());
    }

    void memoryStaysBounded() {
        // After everything above (and a few large transfers now), the relay's memory is bounded.
        for (int i = 0; i < 3; ++i) {
            TestShare share = TestShare::make({.payloadBytes = 16 << 20, .seed = i});
            OTS_EXPECT_STATUS(m_client.createReady(share), 200);
            const HttpResponse content = m_client.reserveAndDownload(share);
            OTS_EXPECT_STATUS(content, 200);
            QVERIFY(content.body == share.ciphertext);
        }
        const qint64 rss = m_relay.rssKiB();
        const qint64 peak = m_relay.peakRssKiB();
        qInfo("relay VmRSS %lld KiB, VmHWM %lld KiB", rss, peak);
        QVERIFY2(rss > 0 && rss < kRssLimitKiB, QByteArray::number(rss).constData());
        QVERIFY2(peak > 0 && peak < kRssLimitKiB, QByteArray::number(peak).constData());
        QVERIFY(stillHealthy());
    }
};

QTEST_GUILESS_MAIN(TestRelayBadInput)
#include "tst_relay_badinput.moc"
