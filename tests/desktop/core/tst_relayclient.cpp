// ots::client::RelayClient against a real ots-relay and redis-server (every call of the API v1, the
// relay's errors as typed ClientErrors, retries while Redis is stalled or gone, cancellation from
// another thread) and against small fake servers for what a real relay never does (an HTML page, a
// redirect, a reply that never comes, a download cut short, 429/500 answers to count retries, an upload
// cut mid-body by a proxy, garbage or chunked answers to a PATCH, an upload body that trickles in).

#include "HostileRelay.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"
#include "ots/client/ClientError.h"
#include "ots/client/RelayClient.h"

#include <QBuffer>
#include <QElapsedTimer>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <cstring>
#include <functional>
#include <thread>

using ots::client::CancelToken;
using ots::client::ClientError;
using ots::client::CreateRequest;
using ots::client::ErrorKind;
using ots::client::KdfInfo;
using ots::client::RetryPolicy;
using ots::relaytest::RelayFixture;
using ots::relaytest::TestShare;
using Client = ots::client::RelayClient;

namespace {

QString describe(const ClientError& error) {
    return QStringLiteral("%1 (%2, HTTP %3): %4")
        .arg(ots::client::errorKindName(error.kind), error.code)
        .arg(error.httpStatus)
        .arg(error.message);
}

#define OTS_EXPECT_OK(outcome)                                                                               \
    do {                                                                                                     \
        const auto& ots_outcome_ = (outcome);                                                                \
        QVERIFY2(ots_outcome_.ok(), qPrintable(describe(ots_outcome_.error())));                             \
    } while (false)
#define OTS_EXPECT_NO_ERROR(error)                                                                           \
    do {                                                                                                     \
        const ClientError ots_error_ = (error);                                                              \
        QVERIFY2(ots_error_.ok(), qPrintable(describe(ots_error_)));                                         \
    } while (false)
#define OTS_EXPECT_KIND(error, expectedKind)                                                                 \
    do {                                                                                                     \
        const ClientError ots_error_ = (error);                                                              \
        QVERIFY2(ots_error_.kind == (expectedKind), qPrintable(describe(ots_error_)));                       \
    } while (false)

RetryPolicy quickRetries(int attempts = 3) {
    RetryPolicy policy;
    policy.attempts = attempts;
    policy.firstDelay = std::chrono::milliseconds(20);
    policy.maxDelay = std::chrono::milliseconds(100);
    policy.requestTimeout = std::chrono::milliseconds(10'000);
    return policy;
}

QUrl loopbackUrl(quint16 port) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

CreateRequest createRequestFor(const TestShare& share) {
    CreateRequest request;
    request.size = static_cast<std::uint64_t>(share.ciphertext.size());
    request.expiresIn = share.expiresIn;
    request.maxDownloads = share.maxDownloads;
    request.authPublicKey = ots::test::toQ(share.keys->authPublicKey());
    request.linkPublicKey = ots::test::toQ(share.keys->linkPublicKey());
    request.metadataEnvelope = share.metadataEnvelope;
    if (share.kdf) {
        KdfInfo kdf;
        kdf.salt = ots::test::toQ(share.kdf->salt);
        kdf.iterations = share.kdf->iterations;
        kdf.memoryKiB = share.kdf->memoryKiB;
        kdf.parallelism = share.kdf->parallelism;
        request.password = kdf;
    }
    return request;
}

/// The proof of nonce for share: the download proof by signer (the share's own keys when null), the link
/// proof by linkSigner (likewise), as a receiver proves the link and the key.
ots::client::Proof sign(const TestShare& share, const QByteArray& nonce,
                        const ots::ShareKeys* signer = nullptr, const ots::ShareKeys* linkSigner = nullptr) {
    ots::ChallengeNonce raw{};
    std::copy(nonce.begin(), nonce.end(), raw.begin());
    return {nonce,
            ots::test::toQ((signer != nullptr ? *signer : *share.keys).signChallenge(share.idBytes, raw)),
            ots::test::toQ(
                (linkSigner != nullptr ? *linkSigner : *share.keys).signLinkChallenge(share.idBytes, raw))};
}

/// Collects a download in memory.
struct Collector {
    QByteArray data;
    Client::DownloadSink sink() {
        return [this](const char* bytes, qint64 size) {
            data.append(bytes, size);
            return ClientError{};
        };
    }
};

/// A tiny HTTP/1.1 server in the test's thread (the client's local event loop runs it): each
/// complete request is passed to the responder, whose bytes are written back before the connection
/// closes. An empty answer closes at once without a reply; a null one never answers.
class FakeServer {
public:
    using Responder = std::function<QByteArray(const QByteArray& request)>;

    explicit FakeServer(Responder responder)
        : m_responder(std::move(responder)) {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this] {
            while (QTcpSocket* socket = m_server.nextPendingConnection()) {
                socket->setParent(&m_server);
                QObject::connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { onData(socket); });
            }
        });
    }
    [[nodiscard]] bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    [[nodiscard]] QUrl url() const { return loopbackUrl(m_server.serverPort()); }
    [[nodiscard]] const QList<QByteArray>& requests() const { return m_requests; }

private:
    void onData(QTcpSocket* socket) {
        QByteArray& buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
        if (headerEnd < 0)
            return;
        qsizetype bodyLength = 0;
        for (const QByteArray& line : buffer.left(headerEnd).split('\n'))
            if (line.toLower().startsWith("content-length:"))
                bodyLength = line.mid(15).trimmed().toLongLong();
        if (buffer.size() < headerEnd + 4 + bodyLength)
            return;
        const QByteArray request = buffer.left(headerEnd + 4 + bodyLength);
        buffer.remove(0, request.size());
        m_requests.append(request);
        const QByteArray answer = m_responder(request);
        if (answer.isNull())
            return;
        socket->write(answer);
        socket->flush();
        socket->disconnectFromHost();
    }

    Responder m_responder;
    QTcpServer m_server;
    QHash<QTcpSocket*, QByteArray> m_buffers;
    QList<QByteArray> m_requests;
};

/// A sequential upload body that releases its bytes in bursts, as a slow producer does: readyRead after
/// each burst (the first at once), readChannelFinished after the last.
class BurstDevice : public QIODevice {
public:
    BurstDevice(QByteArray data, qsizetype burst, std::chrono::milliseconds interval)
        : m_data(std::move(data))
        , m_burst(burst) {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
        m_timer.setInterval(interval);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this] { release(); });
        release();
        m_timer.start();
    }
    [[nodiscard]] bool isSequential() const override { return true; }
    [[nodiscard]] qint64 bytesAvailable() const override {
        return m_released - m_position + QIODevice::bytesAvailable();
    }

protected:
    qint64 readData(char* data, qint64 maxSize) override {
        if (m_position == m_data.size())
            return -1;
        const qint64 size = std::min<qint64>(maxSize, m_released - m_position);
        std::memcpy(data, m_data.constData() + m_position, static_cast<std::size_t>(size));
        m_position += size;
        return size;
    }
    qint64 writeData(const char* /*data*/, qint64 /*maxSize*/) override { return -1; }

private:
    void release() {
        if (m_released == m_data.size())
            return;
        m_released = std::min(m_released + m_burst, m_data.size());
        Q_EMIT readyRead();
        if (m_released == m_data.size()) {
            m_timer.stop();
            Q_EMIT readChannelFinished();
        }
    }

    QByteArray m_data;
    qsizetype m_burst;
    qsizetype m_released = 0;
    qsizetype m_position = 0;
    QTimer m_timer;
};

/// A proxy in the test's thread in front of a loopback port: once `budget` bytes of a connection went
/// towards the target it passes no more, ends that direction cleanly (the target sees the request end
/// there) and resets the client, as a connection lost mid-body looks to both.
class CuttingProxy {
public:
    CuttingProxy(quint16 targetPort, qint64 budget)
        : m_budget(budget) {
        QObject::connect(&m_server, &QTcpServer::newConnection, &m_server, [this, targetPort] {
            while (QTcpSocket* client = m_server.nextPendingConnection()) {
                client->setParent(&m_server);
                auto* target = new QTcpSocket(&m_server);
                QObject::connect(target, &QTcpSocket::connected, client,
                                 [=, this] { forward(client, target); });
                QObject::connect(client, &QTcpSocket::readyRead, target,
                                 [=, this] { forward(client, target); });
                QObject::connect(target, &QTcpSocket::readyRead, client, [=, this] {
                    if (!m_cut)
                        client->write(target->readAll());
                });
                target->connectToHost(QHostAddress::LocalHost, targetPort);
            }
        });
    }
    [[nodiscard]] bool listen() { return m_server.listen(QHostAddress::LocalHost); }
    [[nodiscard]] QUrl url() const { return loopbackUrl(m_server.serverPort()); }
    [[nodiscard]] bool cut() const { return m_cut; }
    /// Body bytes that went through: what passed, less the request head.
    [[nodiscard]] qint64 bodyBytesPassed() const {
        const qsizetype headEnd = m_head.indexOf("\r\n\r\n");
        return headEnd < 0 ? 0 : m_forwarded - (headEnd + 4);
    }

private:
    void forward(QTcpSocket* client, QTcpSocket* target) {
        if (m_cut || target->state() != QAbstractSocket::ConnectedState)
            return;
        const QByteArray bytes = client->read(m_budget - m_forwarded);
        if (m_head.size() < 4096)
            m_head += bytes.left(4096 - m_head.size());
        target->write(bytes);
        m_forwarded += bytes.size();
        if (m_forwarded >= m_budget) {
            m_cut = true;
            target->disconnectFromHost(); // after what was written
            client->abort();
        }
    }

    qint64 m_budget;
    qint64 m_forwarded = 0;
    bool m_cut = false;
    QByteArray m_head;
    QTcpServer m_server;
};

QByteArray httpAnswer(const QByteArray& statusLine, const QByteArray& body, const QByteArray& headers = {}) {
    return "HTTP/1.1 " + statusLine + "\r\nContent-Length: " + QByteArray::number(body.size()) +
           "\r\nConnection: close\r\n" + headers + "\r\n" + body;
}

} // namespace

class TestRelayClient : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    QUrl m_url;

    /// A share created, fully uploaded and completed through the client under test.
    bool makeReadyShare(Client& client, TestShare& share) {
        auto created = client.createShare(createRequestFor(share));
        if (!created.ok()) {
            qWarning("create: %s", qPrintable(describe(created.error())));
            return false;
        }
        adopt(share, created.value());
        QBuffer body(&share.ciphertext);
        if (!body.open(QIODevice::ReadOnly))
            return false;
        auto offset = client.appendBlob(id(share), owner(share), 0,
                                        static_cast<std::uint64_t>(share.ciphertext.size()), &body);
        if (!offset.ok() || offset.value() != static_cast<std::uint64_t>(share.ciphertext.size())) {
            qWarning("append: %s", qPrintable(describe(offset.error())));
            return false;
        }
        const ClientError completed = client.completeUpload(id(share), owner(share));
        if (completed)
            qWarning("complete: %s", qPrintable(describe(completed)));
        return completed.ok();
    }
    static void adopt(TestShare& share, const ots::client::CreatedShare& created) {
        share.id = created.id.toLatin1();
        share.ownerToken = created.ownerToken.toLatin1();
        share.expiresAt = created.expiresAt;
        std::copy_n(QByteArray::fromBase64(share.id, QByteArray::Base64UrlEncoding).constData(),
                    share.idBytes.size(), share.idBytes.begin());
    }
    static QString owner(const TestShare& share) { return QString::fromLatin1(share.ownerToken); }
    static QString id(const TestShare& share) { return QString::fromLatin1(share.id); }

    /// A 503 count of one route on the relay's /metrics.
    static double unavailableCount(const RelayFixture& fixture, const QByteArray& route) {
        return fixture.client().metric("ots_http_requests_total", "route=\"" + route + "\",status=\"503\"");
    }

private Q_SLOTS:
    // SPEC §10.6: the ticket is the client's. A relay that answers a reservation with another ticket
    // (so that the client would download under a credential the relay picked, or think it holds a
    // reservation it does not) is not keeping the reservation asked for: refused, nothing kept.
    void reservationWithAnotherTicketIsRefused() {
        ots::relaytest::HostileRelay relay;
        const QByteArray foreign = QByteArray(42, 'B') + 'A';
        relay.setResponder([&](const QByteArray& requestLine) {
            if (!requestLine.contains("/reservations"))
                return ots::relaytest::HostileRelay::Answer{404, R"({"error":"not_found"})"};
            return ots::relaytest::HostileRelay::Answer{201, R"({"ticket":")" + foreign +
                                                                 R"(","size":4225,"expiresIn":3600})"};
        });
        QVERIFY(relay.start());
        ots::client::RelayClient client(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(relay.port())));
        const ots::client::Proof proof{QByteArray(32, 'n'), QByteArray(64, 's'), QByteArray(64, 'l')};
        const QString ours = ots::client::RelayClient::newTicket();
        QVERIFY(ours.toLatin1() != foreign);
        const auto reservation = client.reserve(QString(22, u'A'), proof, ours);
        QVERIFY(!reservation.ok());
        QCOMPARE(reservation.error().kind, ErrorKind::RelayUnavailable);
        // The answer's ticket is never shown.
        QVERIFY(!reservation.error().message.contains(QString::fromLatin1(foreign)));
    }

    void initTestCase() {
        QVERIFY(ots::initialize().ok());
        QVERIFY2(m_fixture.start(), m_fixture.error());
        m_url = loopbackUrl(m_fixture.relay.port());
    }

    void cleanupTestCase() { m_fixture.relay.stop(); }

    void validateUrls_data() {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("valid");
        QTest::newRow("https host") << QStringLiteral("https://relay.example") << true;
        QTest::newRow("https host port slash") << QStringLiteral("https://relay.example:8443/") << true;
        QTest::newRow("http loopback v4") << QStringLiteral("http://127.0.0.1:8080") << true;
        QTest::newRow("http localhost") << QStringLiteral("http://localhost:8080") << true;
        QTest::newRow("http loopback v6") << QStringLiteral("http://[::1]:8080") << true;
        QTest::newRow("http remote") << QStringLiteral("http://example.com") << false;
        QTest::newRow("ftp") << QStringLiteral("ftp://relay.example") << false;
        QTest::newRow("path") << QStringLiteral("https://relay.example/api") << false;
        QTest::newRow("query") << QStringLiteral("https://relay.example/?a=1") << false;
        QTest::newRow("fragment") << QStringLiteral("https://relay.example/#x") << false;
        QTest::newRow("userinfo") << QStringLiteral("https://user:pw@relay.example") << false;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("no scheme") << QStringLiteral("relay.example") << false;
    }
    void validateUrls() {
        QFETCH(QString, url);
        QFETCH(bool, valid);
        Client client{QUrl(url)};
        const ClientError error = client.validate();
        QVERIFY2(error.ok() == valid, qPrintable(describe(error)));
        if (!valid) {
            QCOMPARE(error.kind, ErrorKind::Usage);
            QVERIFY(!error.message.isEmpty());
            // Every call refuses at once, before anything is sent.
            OTS_EXPECT_KIND(client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error(), ErrorKind::Usage);
        }
    }

    void errorMapping_data() {
        QTest::addColumn<int>("errc");
        QTest::addColumn<ErrorKind>("kind");
        QTest::newRow("link") << int(ots::Errc::LinkMissingSecret) << ErrorKind::BadLink;
        QTest::newRow("link http") << int(ots::Errc::LinkInsecureHttp) << ErrorKind::BadLink;
        QTest::newRow("wrong key") << int(ots::Errc::StreamWrongKey) << ErrorKind::WrongKey;
        QTest::newRow("chunk") << int(ots::Errc::StreamChunkTampered) << ErrorKind::Tampered;
        QTest::newRow("truncated") << int(ots::Errc::StreamTruncated) << ErrorKind::Tampered;
        QTest::newRow("metadata") << int(ots::Errc::MetadataAuthFailed) << ErrorKind::Tampered;
        QTest::newRow("container") << int(ots::Errc::ContainerMalformed) << ErrorKind::Tampered;
        QTest::newRow("path") << int(ots::Errc::PathTraversal) << ErrorKind::Tampered;
        QTest::newRow("io") << int(ots::Errc::IoDiskFull) << ErrorKind::LocalIo;
        QTest::newRow("password empty") << int(ots::Errc::PasswordEmpty) << ErrorKind::Usage;
        QTest::newRow("kdf weak") << int(ots::Errc::KdfParamsTooWeak) << ErrorKind::Usage;
        QTest::newRow("invalid argument") << int(ots::Errc::InvalidArgument) << ErrorKind::Usage;
        QTest::newRow("self test") << int(ots::Errc::SelfTestFailed) << ErrorKind::Internal;
    }
    void errorMapping() {
        QFETCH(int, errc);
        QFETCH(ErrorKind, kind);
        const auto code = static_cast<ots::Errc>(errc);
        const ClientError error = ClientError::fromOts({code, "detail"});
        QCOMPARE(error.kind, kind);
        QCOMPARE(error.code, QString::fromUtf8(ots::errorName(code).data()));
        QVERIFY(error.message.startsWith(QString::fromUtf8(ots::errorMessage(code).data())));
        QVERIFY(error.message.contains(QStringLiteral("detail")));
        QVERIFY(ClientError::fromOts({}).ok());
        QCOMPARE(ots::client::errorKindName(ErrorKind::WrongPassword), QStringLiteral("wrong_password"));
        QCOMPARE(ots::client::errorKindName(ErrorKind::RelayUnavailable),
                 QStringLiteral("relay_unavailable"));
        QCOMPARE(ots::client::errorKindName(ErrorKind::None), QStringLiteral("none"));
    }

    void checkConnection() { OTS_EXPECT_NO_ERROR(Client(m_url).checkConnection()); }

    void happyPath() {
        Client client(m_url);
        TestShare share = TestShare::make({.payloadBytes = 200'000});
        const auto total = static_cast<std::uint64_t>(share.ciphertext.size());
        auto created = client.createShare(createRequestFor(share));
        OTS_EXPECT_OK(created);
        QCOMPARE(created.value().id.size(), qsizetype(22));
        QCOMPARE(created.value().ownerToken.size(), qsizetype(43));
        QCOMPARE(created.value().uploadOffset, std::uint64_t{0});
        QVERIFY(created.value().expiresAt > QDateTime::currentSecsSinceEpoch());
        adopt(share, created.value());

        auto offset = client.uploadOffset(id(share), owner(share));
        OTS_EXPECT_OK(offset);
        QCOMPARE(offset.value(), std::uint64_t{0});

        // Not ready while uploading.
        OTS_EXPECT_KIND(client.challenge(id(share)).error(), ErrorKind::NotReady);

        // Two PATCHes from one QBuffer, each from where the last one stopped.
        QBuffer body(&share.ciphertext);
        QVERIFY(body.open(QIODevice::ReadOnly));
        const std::uint64_t half = total / 2;
        std::uint64_t lastProgress = 0;
        const auto progress = [&](std::uint64_t sent) {
            QVERIFY(sent >= lastProgress);
            lastProgress = sent;
        };
        auto first = client.appendBlob(id(share), owner(share), 0, half, &body, progress);
        OTS_EXPECT_OK(first);
        QCOMPARE(first.value(), half);
        QCOMPARE(lastProgress, half);
        auto status = client.ownerStatus(id(share), owner(share));
        OTS_EXPECT_OK(status);
        QCOMPARE(status.value().state, QStringLiteral("uploading"));
        QCOMPARE(status.value().uploadOffset, half);
        QCOMPARE(status.value().size, total);

        // A PATCH from a stale offset is refused with the relay's code, for the job to re-ask HEAD.
        QVERIFY(body.seek(0));
        const ClientError stale = client.appendBlob(id(share), owner(share), 0, 10, &body).error();
        QCOMPARE(stale.kind, ErrorKind::RelayRejected);
        QCOMPARE(stale.code, QStringLiteral("offset_mismatch"));
        QCOMPARE(stale.httpStatus, 409);
        QVERIFY(body.seek(static_cast<qint64>(half)));
        lastProgress = 0; // progress counts the bytes of one request
        auto second = client.appendBlob(id(share), owner(share), half, total - half, &body, progress);
        OTS_EXPECT_OK(second);
        QCOMPARE(second.value(), total);
        QCOMPARE(lastProgress, total - half);
        OTS_EXPECT_NO_ERROR(client.completeUpload(id(share), owner(share)));
        OTS_EXPECT_NO_ERROR(client.completeUpload(id(share), owner(share))); // idempotent

        auto info = client.info(id(share));
        OTS_EXPECT_OK(info);
        QCOMPARE(info.value().id, id(share));
        QCOMPARE(info.value().state, QStringLiteral("ready"));
        QCOMPARE(info.value().size, total);
        QCOMPARE(info.value().downloadsLeft, 1);
        QCOMPARE(info.value().passwordRequired, false);
        QCOMPARE(info.value().attemptsLeft, 5);
        QVERIFY(!info.value().kdf.has_value());

        auto nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        QCOMPARE(nonce.value().nonce.size(), qsizetype(32));
        QVERIFY(nonce.value().expiresIn > 0);
        auto envelope = client.metadata(id(share), sign(share, nonce.value().nonce));
        OTS_EXPECT_OK(envelope);
        QCOMPARE(envelope.value(), share.metadataEnvelope);

        nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        auto reservation = client.reserve(id(share), sign(share, nonce.value().nonce),
                                          ots::client::RelayClient::newTicket());
        OTS_EXPECT_OK(reservation);
        QCOMPARE(reservation.value().ticket.size(), qsizetype(43));
        QCOMPARE(reservation.value().size, total);
        QVERIFY(reservation.value().expiresIn > 0);
        const QString ticket = reservation.value().ticket;

        Collector whole;
        auto delivered = client.download(id(share), ticket, 0, whole.sink());
        OTS_EXPECT_OK(delivered);
        QCOMPARE(delivered.value(), total);
        QVERIFY(whole.data == share.ciphertext);

        Collector tail;
        const std::uint64_t from = 70'001;
        delivered = client.download(id(share), ticket, from, tail.sink());
        OTS_EXPECT_OK(delivered);
        QCOMPARE(delivered.value(), total - from);
        QVERIFY(tail.data == share.ciphertext.mid(static_cast<qsizetype>(from)));

        auto left = client.finish(id(share), ticket);
        OTS_EXPECT_OK(left);
        QCOMPARE(left.value(), 0);
        const ClientError gone = client.info(id(share)).error();
        QCOMPARE(gone.kind, ErrorKind::Downloaded);
        QCOMPARE(gone.code, QStringLiteral("downloaded"));
        QCOMPARE(gone.httpStatus, 410);
        // A finished ticket is refused; the share is gone, so 410 wins.
        OTS_EXPECT_KIND(client.finish(id(share), ticket).error(), ErrorKind::Downloaded);
    }

    void passwordShareInfo() {
        Client client(m_url);
        TestShare share = TestShare::make({});
        CreateRequest request = createRequestFor(share);
        KdfInfo kdf;
        kdf.salt = QByteArray(16, '\x42');
        kdf.iterations = 3;
        kdf.memoryKiB = 65536;
        kdf.parallelism = 4;
        request.password = kdf;
        auto created = client.createShare(request);
        OTS_EXPECT_OK(created);
        auto info = client.info(created.value().id);
        OTS_EXPECT_OK(info);
        QVERIFY(info.value().passwordRequired);
        QVERIFY(info.value().kdf.has_value());
        QCOMPARE(info.value().kdf->salt, kdf.salt);
        QCOMPARE(info.value().kdf->iterations, 3u);
        QCOMPARE(info.value().kdf->memoryKiB, 65536u);
        QCOMPARE(info.value().kdf->parallelism, 4u);
    }

    // A link holder with a wrong password: the link proof holds, the password proof does not.
    void wrongProofsLockAndOwnerUnlocks() {
        Client client(m_url);
        TestShare share = TestShare::make({.password = true});
        QVERIFY(makeReadyShare(client, share));
        const auto stranger = TestShare::strangerKeys();
        for (int expectedLeft = 4; expectedLeft >= 0; --expectedLeft) {
            auto nonce = client.challenge(id(share));
            OTS_EXPECT_OK(nonce);
            const ClientError wrong =
                client.metadata(id(share), sign(share, nonce.value().nonce, stranger.get())).error();
            QVERIFY2(wrong.kind == ErrorKind::WrongPassword, qPrintable(describe(wrong)));
            QCOMPARE(wrong.code, QStringLiteral("proof_invalid"));
            QCOMPARE(wrong.httpStatus, 403);
            QCOMPARE(wrong.attemptsLeft, expectedLeft);
        }
        const ClientError locked = client.challenge(id(share)).error();
        QCOMPARE(locked.kind, ErrorKind::Locked);
        QCOMPARE(locked.httpStatus, 423);
        auto info = client.info(id(share));
        OTS_EXPECT_OK(info);
        QCOMPARE(info.value().state, QStringLiteral("locked"));
        QCOMPARE(info.value().attemptsLeft, 0);

        auto status = client.ownerStatus(id(share), owner(share));
        OTS_EXPECT_OK(status);
        QVERIFY(status.value().locked);
        QCOMPARE(status.value().downloadsReserved, 0);
        QCOMPARE(status.value().downloadsFinished, 0);
        QCOMPARE(status.value().uploadOffset, status.value().size);

        auto unlocked = client.unlock(id(share), owner(share));
        OTS_EXPECT_OK(unlocked);
        QVERIFY(!unlocked.value().locked);
        QCOMPARE(unlocked.value().attemptsLeft, 5);
        auto nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        OTS_EXPECT_OK(client.metadata(id(share), sign(share, nonce.value().nonce)));
    }

    // Someone without the link (or with a damaged one), on shares with and without a password: refused
    // as a damaged link, nothing counted, never locked; the right link then works.
    void linkProofFailuresCountNothing_data() {
        QTest::addColumn<bool>("password");
        QTest::newRow("password") << true;
        QTest::newRow("no password") << false;
    }
    void linkProofFailuresCountNothing() {
        QFETCH(bool, password);
        Client client(m_url);
        TestShare share = TestShare::make({.password = password});
        QVERIFY(makeReadyShare(client, share));
        const auto stranger = TestShare::strangerKeys();
        for (int i = 0; i < 8; ++i) {
            auto nonce = client.challenge(id(share));
            OTS_EXPECT_OK(nonce);
            // The right download proof does not help without the link.
            const ClientError refused =
                client.metadata(id(share), sign(share, nonce.value().nonce, nullptr, stranger.get())).error();
            QVERIFY2(refused.kind == ErrorKind::WrongKey, qPrintable(describe(refused)));
            QCOMPARE(refused.code, QStringLiteral("link_invalid"));
            QCOMPARE(refused.httpStatus, 403);
            QVERIFY(refused.message.contains(QStringLiteral("damaged or incomplete")));
        }
        if (!password) {
            // Without a password even a wrong download proof by a link holder is never counted.
            for (int i = 0; i < 8; ++i) {
                auto nonce = client.challenge(id(share));
                OTS_EXPECT_OK(nonce);
                const ClientError refused =
                    client.metadata(id(share), sign(share, nonce.value().nonce, stranger.get())).error();
                QCOMPARE(refused.code, QStringLiteral("proof_invalid"));
            }
        }
        auto info = client.info(id(share));
        OTS_EXPECT_OK(info);
        QCOMPARE(info.value().state, QStringLiteral("ready"));
        QCOMPARE(info.value().attemptsLeft, 5);
        auto nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        OTS_EXPECT_OK(client.metadata(id(share), sign(share, nonce.value().nonce)));
    }

    void ownerDeletes() {
        Client client(m_url);
        TestShare share = TestShare::make({});
        QVERIFY(makeReadyShare(client, share));
        // Someone else's token: 401, for every owner call.
        const QString wrongToken = QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 9)));
        const ClientError refused = client.ownerStatus(id(share), wrongToken).error();
        QCOMPARE(refused.kind, ErrorKind::Unauthorized);
        QCOMPARE(refused.httpStatus, 401);
        OTS_EXPECT_KIND(client.uploadOffset(id(share), wrongToken).error(), ErrorKind::Unauthorized);
        OTS_EXPECT_KIND(client.deleteShare(id(share), wrongToken), ErrorKind::Unauthorized);
        OTS_EXPECT_KIND(client.unlock(id(share), wrongToken).error(), ErrorKind::Unauthorized);

        OTS_EXPECT_NO_ERROR(client.deleteShare(id(share), owner(share)));
        const ClientError gone = client.info(id(share)).error();
        QCOMPARE(gone.kind, ErrorKind::Deleted);
        QCOMPARE(gone.code, QStringLiteral("deleted"));
        OTS_EXPECT_KIND(client.deleteShare(id(share), owner(share)), ErrorKind::Deleted);
        OTS_EXPECT_KIND(client.uploadOffset(id(share), owner(share)).error(), ErrorKind::Deleted);
    }

    void notFound() {
        Client client(m_url);
        const ClientError missing = client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(missing.kind, ErrorKind::NotFound);
        QCOMPARE(missing.code, QStringLiteral("not_found"));
        QCOMPARE(missing.httpStatus, 404);
        QVERIFY(!missing.message.isEmpty());
        // A malformed id never reaches the relay (nor a URL).
        OTS_EXPECT_KIND(client.info(QStringLiteral("../../readyz")).error(), ErrorKind::Usage);
    }

    void downloadSinkErrorStops() {
        Client client(m_url);
        TestShare share = TestShare::make({.payloadBytes = 600'000});
        QVERIFY(makeReadyShare(client, share));
        auto nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        auto reservation = client.reserve(id(share), sign(share, nonce.value().nonce),
                                          ots::client::RelayClient::newTicket());
        OTS_EXPECT_OK(reservation);

        QByteArray received;
        int calls = 0;
        const auto failing = [&](const char* bytes, qint64 size) {
            ++calls;
            if (received.size() >= 100'000)
                return ClientError::make(ErrorKind::LocalIo, QStringLiteral("io.disk_full"),
                                         QStringLiteral("The disk is full."));
            received.append(bytes, size);
            return ClientError{};
        };
        const ClientError stopped =
            client.download(id(share), reservation.value().ticket, 0, failing).error();
        QCOMPARE(stopped.kind, ErrorKind::LocalIo);
        QCOMPARE(stopped.code, QStringLiteral("io.disk_full"));
        QVERIFY(received.size() >= 100'000 && received.size() < share.ciphertext.size());
        const int callsAtStop = calls;
        QTest::qWait(50);
        QCOMPARE(calls, callsAtStop); // nothing more after the error

        // The ticket still works: resume from what the sink kept.
        Collector rest;
        auto resumed = client.download(id(share), reservation.value().ticket,
                                       static_cast<std::uint64_t>(received.size()), rest.sink());
        OTS_EXPECT_OK(resumed);
        QVERIFY(received + rest.data == share.ciphertext);
    }

    void relayNotRunning() {
        const quint16 port = ots::relaytest::freeLoopbackPort();
        Client client(loopbackUrl(port), quickRetries(3));
        QElapsedTimer timer;
        timer.start();
        const ClientError error = client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(error.kind, ErrorKind::Network);
        QCOMPARE(error.code, QStringLiteral("connection_refused"));
        QCOMPARE(error.httpStatus, 0);
        QVERIFY(error.message.contains(QString::number(port)));
        QVERIFY2(timer.elapsed() < 5000, QByteArray::number(timer.elapsed()).constData());
        OTS_EXPECT_KIND(client.checkConnection(), ErrorKind::Network);
    }

    void redisStalledThenBack() {
        RelayFixture fixture;
        QVERIFY2(fixture.start({QStringLiteral("--redis-timeout"), QStringLiteral("200ms")}),
                 fixture.error());
        RetryPolicy policy;
        policy.attempts = 60;
        policy.firstDelay = std::chrono::milliseconds(50);
        policy.maxDelay = std::chrono::milliseconds(200);
        Client client(loopbackUrl(fixture.relay.port()), policy);
        TestShare share = TestShare::make({});
        QVERIFY(makeReadyShare(client, share));
        const double before = unavailableCount(fixture, "share_info");

        const auto redisPid = static_cast<pid_t>(fixture.redis.pid());
        QCOMPARE(::kill(redisPid, SIGSTOP), 0);
        std::thread resume([redisPid] {
            std::this_thread::sleep_for(std::chrono::milliseconds(900));
            ::kill(redisPid, SIGCONT);
        });
        auto info = client.info(id(share));
        resume.join();
        OTS_EXPECT_OK(info);
        QCOMPARE(info.value().state, QStringLiteral("ready"));
        // It really was answered with 503 first and retried.
        QVERIFY2(unavailableCount(fixture, "share_info") > before,
                 QByteArray::number(unavailableCount(fixture, "share_info")).constData());
    }

    void redisGoneGivesUp() {
        RelayFixture fixture;
        QVERIFY2(fixture.start({QStringLiteral("--redis-timeout"), QStringLiteral("200ms")}),
                 fixture.error());
        Client client(loopbackUrl(fixture.relay.port()), quickRetries(3));
        TestShare share = TestShare::make({});
        QVERIFY(makeReadyShare(client, share));
        fixture.redis.stop();
        const double before = unavailableCount(fixture, "share_info");
        const ClientError error = client.info(id(share)).error();
        QCOMPARE(error.kind, ErrorKind::RelayUnavailable);
        QCOMPARE(error.code, QStringLiteral("unavailable"));
        QCOMPARE(error.httpStatus, 503);
        QCOMPARE(unavailableCount(fixture, "share_info") - before, 3.0); // exactly the configured attempts
        // A create is retried too: the relay refused it before applying anything.
        const double createsBefore = unavailableCount(fixture, "create_share");
        OTS_EXPECT_KIND(client.createShare(createRequestFor(TestShare::make({}))).error(),
                        ErrorKind::RelayUnavailable);
        QCOMPARE(unavailableCount(fixture, "create_share") - createsBefore, 3.0);
        OTS_EXPECT_KIND(client.checkConnection(), ErrorKind::RelayUnavailable);
    }

    void cancelFromAnotherThread() {
        // A server that accepts and never answers: only cancel ends the call.
        FakeServer silent([](const QByteArray&) { return QByteArray(); });
        // (a null QByteArray means "never answer")
        QVERIFY(silent.listen());
        auto token = std::make_shared<CancelToken>();
        Client client(silent.url(), quickRetries(3), token);
        std::thread canceller([token] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            token->cancel();
        });
        QElapsedTimer timer;
        timer.start();
        const ClientError error = client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        const qint64 elapsed = timer.elapsed();
        canceller.join();
        QCOMPARE(error.kind, ErrorKind::Cancelled);
        QVERIFY2(elapsed >= 250 && elapsed < 2000, QByteArray::number(elapsed).constData());
        QCOMPARE(silent.requests().size(), 1);
        // Once cancelled, every call returns at once.
        OTS_EXPECT_KIND(client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error(), ErrorKind::Cancelled);
    }

    void cancelDuringRetryWait() {
        const quint16 port = ots::relaytest::freeLoopbackPort();
        RetryPolicy slow;
        slow.attempts = 10;
        slow.firstDelay = std::chrono::milliseconds(20'000);
        slow.maxDelay = std::chrono::milliseconds(20'000);
        auto token = std::make_shared<CancelToken>();
        Client client(loopbackUrl(port), slow, token);
        std::thread canceller([token] {
            std::this_thread::sleep_for(std::chrono::milliseconds(300));
            token->cancel();
        });
        QElapsedTimer timer;
        timer.start();
        const ClientError error = client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        canceller.join();
        QCOMPARE(error.kind, ErrorKind::Cancelled);
        QVERIFY2(timer.elapsed() < 2000, QByteArray::number(timer.elapsed()).constData());
    }

    void requestTimeout() {
        FakeServer silent([](const QByteArray&) { return QByteArray(); });
        QVERIFY(silent.listen());
        RetryPolicy policy = quickRetries(2);
        policy.requestTimeout = std::chrono::milliseconds(300);
        Client client(silent.url(), policy);
        QElapsedTimer timer;
        timer.start();
        const ClientError error = client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(error.kind, ErrorKind::Network);
        QCOMPARE(error.code, QStringLiteral("timeout"));
        QCOMPARE(silent.requests().size(), 2); // a GET is retried after a timeout
        QVERIFY2(timer.elapsed() < 3000, QByteArray::number(timer.elapsed()).constData());
    }

    void notARelay() {
        FakeServer web([](const QByteArray&) {
            return httpAnswer("200 OK", "<!doctype html><html><body>Welcome to nginx!</body></html>",
                              "Content-Type: text/html\r\n");
        });
        QVERIFY(web.listen());
        Client client(web.url(), quickRetries(3));
        const ClientError error = client.checkConnection();
        QCOMPARE(error.kind, ErrorKind::RelayUnavailable);
        QCOMPARE(error.code, QStringLiteral("not_a_relay"));
        QVERIFY2(error.message.contains(QStringLiteral("not a OneTimeShare relay")),
                 qPrintable(error.message));
        QVERIFY(error.message.contains(web.url().authority()));
        OTS_EXPECT_KIND(client.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error(),
                        ErrorKind::RelayUnavailable);
        // Every request said who it is and carried nothing it should not.
        for (const QByteArray& request : web.requests()) {
            QVERIFY2(request.contains("User-Agent: OneTimeShare/"), request.constData());
            QVERIFY(!request.toLower().contains("authorization"));
        }

        // JSON, but not the API's: still not a relay.
        FakeServer json([](const QByteArray&) {
            return httpAnswer("200 OK", R"({"hello":"world"})", "Content-Type: application/json\r\n");
        });
        QVERIFY(json.listen());
        OTS_EXPECT_KIND(Client(json.url()).info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error(),
                        ErrorKind::RelayUnavailable);
    }

    void redirectsAreNotFollowed() {
        FakeServer target([](const QByteArray&) { return httpAnswer("200 OK", "{}"); });
        QVERIFY(target.listen());
        const QByteArray location =
            target.url().toString().toLatin1() + "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA/owner";
        FakeServer redirecting([location](const QByteArray&) {
            return httpAnswer("307 Temporary Redirect", {}, "Location: " + location + "\r\n");
        });
        QVERIFY(redirecting.listen());
        Client client(redirecting.url(), quickRetries(3));
        const QString token = QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 3)));
        const ClientError error = client.ownerStatus(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA"), token).error();
        QCOMPARE(error.kind, ErrorKind::RelayRejected);
        QCOMPARE(error.code, QStringLiteral("redirect"));
        QCOMPARE(error.httpStatus, 307);
        QCOMPARE(redirecting.requests().size(), 1);
        QVERIFY(redirecting.requests().constFirst().contains("Authorization: Bearer " + token.toLatin1()));
        QVERIFY(target.requests().isEmpty()); // the token never went anywhere else
    }

    void retriesCountedPerKind() {
        int answered = 0;
        FakeServer limited([&answered](const QByteArray&) {
            ++answered;
            return httpAnswer("429 Too Many Requests", R"({"error":"rate_limited","message":"slow down"})",
                              "Retry-After: 1\r\nContent-Type: application/json\r\n");
        });
        QVERIFY(limited.listen());
        RetryPolicy policy = quickRetries(3);
        QElapsedTimer timer;
        timer.start();
        const ClientError error =
            Client(limited.url(), policy).challenge(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(error.kind, ErrorKind::RateLimited);
        QCOMPARE(error.retryAfterSeconds, 1);
        QCOMPARE(error.httpStatus, 429);
        QCOMPARE(answered, 3); // a POST refused with 429 was not applied: retried
        // Retry-After (1 s) is honoured only up to maxDelay (100 ms).
        QVERIFY2(timer.elapsed() < 1500, QByteArray::number(timer.elapsed()).constData());

        // A connection cut without an answer: a POST may have been applied, so RelayClient does not
        // repeat it; a GET it repeats. (Qt's HTTP layer itself resends a POST once when a fresh
        // connection closes before any byte of an answer; three attempts would be three or more.)
        FakeServer cutting([](const QByteArray&) { return QByteArray(""); });
        QVERIFY(cutting.listen());
        Client cut(cutting.url(), policy);
        const ClientError post = cut.challenge(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(post.kind, ErrorKind::Network);
        QCOMPARE(post.code, QStringLiteral("connection_lost"));
        const qsizetype postRequests = cutting.requests().size();
        QVERIFY2(postRequests >= 1 && postRequests <= 2, QByteArray::number(postRequests).constData());
        OTS_EXPECT_KIND(cut.info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error(), ErrorKind::Network);
        QCOMPARE(cutting.requests().size() - postRequests, qsizetype(3));

        // An unknown relay code is rejected with the code kept, and the relay's text is not shown.
        FakeServer odd([](const QByteArray&) {
            return httpAnswer("400 Bad Request", R"({"error":"bad_request","message":"RELAY TEXT"})");
        });
        QVERIFY(odd.listen());
        const ClientError rejected =
            Client(odd.url(), policy).info(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")).error();
        QCOMPARE(rejected.kind, ErrorKind::RelayRejected);
        QCOMPARE(rejected.code, QStringLiteral("bad_request"));
        QVERIFY(!rejected.message.contains(QStringLiteral("RELAY TEXT")));
        QCOMPARE(odd.requests().size(), 1);
    }

    void appendFromSlowSource() {
        // The body trickles in: 16 KiB bursts every 5 ms, the way a pipe from a busy producer fills.
        Client client(m_url);
        TestShare share = TestShare::make({.payloadBytes = 300'000});
        const auto total = static_cast<std::uint64_t>(share.ciphertext.size());
        auto created = client.createShare(createRequestFor(share));
        OTS_EXPECT_OK(created);
        adopt(share, created.value());
        BurstDevice body(share.ciphertext, 16 * 1024, std::chrono::milliseconds(5));
        std::uint64_t lastProgress = 0;
        int progressCalls = 0;
        const auto progress = [&](std::uint64_t sent) {
            QVERIFY(sent >= lastProgress && sent <= total);
            lastProgress = sent;
            ++progressCalls;
        };
        auto offset = client.appendBlob(id(share), owner(share), 0, total, &body, progress);
        OTS_EXPECT_OK(offset);
        QCOMPARE(offset.value(), total);
        QCOMPARE(lastProgress, total);
        QVERIFY(progressCalls > 1);
        OTS_EXPECT_NO_ERROR(client.completeUpload(id(share), owner(share)));

        // The relay holds exactly the bytes that trickled in.
        auto nonce = client.challenge(id(share));
        OTS_EXPECT_OK(nonce);
        auto reservation = client.reserve(id(share), sign(share, nonce.value().nonce),
                                          ots::client::RelayClient::newTicket());
        OTS_EXPECT_OK(reservation);
        Collector whole;
        OTS_EXPECT_OK(client.download(id(share), reservation.value().ticket, 0, whole.sink()));
        QVERIFY(whole.data == share.ciphertext);
    }

    void appendCutMidBody() {
        Client direct(m_url, quickRetries(3));
        TestShare share = TestShare::make({.payloadBytes = 600'000});
        const auto total = static_cast<std::uint64_t>(share.ciphertext.size());
        auto created = direct.createShare(createRequestFor(share));
        OTS_EXPECT_OK(created);
        adopt(share, created.value());

        CuttingProxy proxy(m_fixture.relay.port(), 200'000);
        QVERIFY(proxy.listen());
        Client client(proxy.url(), quickRetries(3));
        QBuffer body(&share.ciphertext);
        QVERIFY(body.open(QIODevice::ReadOnly));
        const ClientError error = client.appendBlob(id(share), owner(share), 0, total, &body).error();
        QVERIFY(proxy.cut());
        QVERIFY2(error.kind == ErrorKind::Network, qPrintable(describe(error)));
        QCOMPARE(error.code, QStringLiteral("connection_lost"));

        // The relay keeps what arrived (SPEC.md §10.13) once it has seen the body end.
        const auto arrived = static_cast<std::uint64_t>(proxy.bodyBytesPassed());
        QVERIFY(arrived > 0 && arrived < total);
        std::uint64_t stored = 0;
        QElapsedTimer waited;
        waited.start();
        for (;;) {
            auto offset = direct.uploadOffset(id(share), owner(share));
            OTS_EXPECT_OK(offset);
            stored = offset.value();
            if (stored == arrived || waited.elapsed() > 5000)
                break;
            QTest::qWait(20);
        }
        QCOMPARE(stored, arrived);

        // The upload goes on from there, as the send job does (asking again while the relay may still be
        // closing the cut append).
        ots::client::Outcome<std::uint64_t> rest = std::uint64_t{0};
        for (;;) {
            QVERIFY(body.seek(static_cast<qint64>(stored)));
            rest = direct.appendBlob(id(share), owner(share), stored, total - stored, &body);
            if (rest.ok() || rest.error().code != QLatin1String("upload_in_progress") ||
                waited.elapsed() > 5000)
                break;
            QTest::qWait(20);
        }
        OTS_EXPECT_OK(rest);
        QCOMPARE(rest.value(), total);
        OTS_EXPECT_NO_ERROR(direct.completeUpload(id(share), owner(share)));
    }

    void appendCancelledMidBody() {
        // A server that takes the head and the first bytes and waits for the rest, which never come.
        FakeServer silent([](const QByteArray&) { return QByteArray(); });
        QVERIFY(silent.listen());
        const QString shareId = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA");
        const QString token = QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 2)));
        auto cancel = std::make_shared<CancelToken>();
        {
            Client client(silent.url(), quickRetries(3), cancel);
            BurstDevice stalled(ots::relaytest::pattern(1 << 20, 4), 64 * 1024, std::chrono::hours(1));
            std::uint64_t lastProgress = 0;
            std::thread canceller([cancel] {
                std::this_thread::sleep_for(std::chrono::milliseconds(300));
                cancel->cancel();
            });
            QElapsedTimer timer;
            timer.start();
            const ClientError error = client
                                          .appendBlob(shareId, token, 0, 1 << 20, &stalled,
                                                      [&](std::uint64_t sent) { lastProgress = sent; })
                                          .error();
            const qint64 elapsed = timer.elapsed();
            canceller.join();
            QVERIFY2(error.kind == ErrorKind::Cancelled, qPrintable(describe(error)));
            QVERIFY2(elapsed >= 250 && elapsed < 1500, QByteArray::number(elapsed).constData());
            QCOMPARE(lastProgress, std::uint64_t{64 * 1024}); // the first burst left before the stall
        }

        // Without a cancel, the same stall ends after requestTimeout with nothing moving.
        RetryPolicy policy = quickRetries(3);
        policy.requestTimeout = std::chrono::milliseconds(300);
        Client client(silent.url(), policy);
        BurstDevice stalled(ots::relaytest::pattern(1 << 20, 4), 64 * 1024, std::chrono::hours(1));
        QElapsedTimer timer;
        timer.start();
        const ClientError error = client.appendBlob(shareId, token, 0, 1 << 20, &stalled).error();
        QVERIFY2(error.kind == ErrorKind::Network, qPrintable(describe(error)));
        QCOMPARE(error.code, QStringLiteral("timeout"));
        QVERIFY2(timer.elapsed() < 2000, QByteArray::number(timer.elapsed()).constData());
    }

    void appendLimitIsFinal() {
        // A relay that takes no more of an upload (SPEC §10.12, 409 append_limit): said in words, with the
        // one next step, and not retried.
        FakeServer refusing([](const QByteArray&) {
            return httpAnswer("409 Conflict", R"({"error":"append_limit","message":"no more"})",
                              "Content-Type: application/json\r\n");
        });
        QVERIFY(refusing.listen());
        Client client(refusing.url(), quickRetries(3));
        QByteArray data = ots::relaytest::pattern(100, 7);
        QBuffer body(&data);
        QVERIFY(body.open(QIODevice::ReadOnly));
        const ClientError error =
            client
                .appendBlob(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA"),
                            QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 2))), 0, 100,
                            &body)
                .error();
        QCOMPARE(error.kind, ErrorKind::RelayRejected);
        QCOMPARE(error.code, QStringLiteral("append_limit"));
        QVERIFY2(error.message.contains(QStringLiteral("new share")), qPrintable(error.message));
        QCOMPARE(refusing.requests().size(), 1);
    }

    void appendAnsweredWithGarbage() {
        FakeServer garbage([](const QByteArray&) { return QByteArray("SSH-2.0-OpenSSH_9.2\r\n"); });
        QVERIFY(garbage.listen());
        Client client(garbage.url(), quickRetries(3));
        const QString shareId = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA");
        const QString token = QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 2)));
        QByteArray data = ots::relaytest::pattern(5000, 6);
        QBuffer body(&data);
        QVERIFY(body.open(QIODevice::ReadOnly));
        const ClientError error = client.appendBlob(shareId, token, 1000, 5000, &body).error();
        QCOMPARE(error.kind, ErrorKind::RelayUnavailable);
        QCOMPARE(error.code, QStringLiteral("not_a_relay"));
        QCOMPARE(garbage.requests().size(), 1); // a PATCH is never repeated inside the client

        // The request as the relay expects it (SPEC.md §10.6), the body intact after the head.
        const QByteArray request = garbage.requests().constFirst();
        const qsizetype headEnd = request.indexOf("\r\n\r\n");
        QVERIFY(headEnd > 0);
        const QList<QByteArray> lines = request.left(headEnd + 2).split('\n');
        QCOMPARE(lines.constFirst(), "PATCH /api/v1/shares/" + shareId.toLatin1() + "/blob HTTP/1.1\r");
        const auto has = [&lines](const QByteArray& line) { return lines.contains(line + '\r'); };
        QVERIFY(has("Host: 127.0.0.1:" + QByteArray::number(garbage.url().port())));
        QVERIFY(has("Authorization: Bearer " + token.toLatin1()));
        QVERIFY(has("Upload-Offset: 1000"));
        QVERIFY(has("Content-Type: application/offset+octet-stream"));
        QVERIFY(has("Content-Length: 5000"));
        QVERIFY(has("Connection: close"));
        QVERIFY(request.contains("\r\nUser-Agent: OneTimeShare/"));
        QVERIFY(request.mid(headEnd + 4) == data);

        // An answer that starts as HTTP and then is not is no relay either; an HTML page with a 200 too.
        FakeServer broken(
            [](const QByteArray&) { return QByteArray("HTTP/1.1 204 No Content\r\nbad line\r\n\r\n"); });
        QVERIFY(broken.listen());
        QVERIFY(body.seek(0));
        OTS_EXPECT_KIND(Client(broken.url()).appendBlob(shareId, token, 0, 5000, &body).error(),
                        ErrorKind::RelayUnavailable);
        FakeServer web([](const QByteArray&) { return httpAnswer("200 OK", "<html></html>"); });
        QVERIFY(web.listen());
        QVERIFY(body.seek(0));
        OTS_EXPECT_KIND(Client(web.url()).appendBlob(shareId, token, 0, 5000, &body).error(),
                        ErrorKind::RelayUnavailable);

        // A relay's JSON error, chunked, maps as any other answer does.
        FakeServer chunked([](const QByteArray&) {
            return QByteArray(
                "HTTP/1.1 409 Conflict\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                "10\r\n{\"error\":\"offset\r\n19\r\n_mismatch\",\"message\":\"x\"}\r\n0\r\n\r\n");
        });
        QVERIFY(chunked.listen());
        QVERIFY(body.seek(0));
        const ClientError mismatch = Client(chunked.url()).appendBlob(shareId, token, 0, 5000, &body).error();
        QCOMPARE(mismatch.kind, ErrorKind::RelayRejected);
        QCOMPARE(mismatch.code, QStringLiteral("offset_mismatch"));
        QCOMPARE(mismatch.httpStatus, 409);

        // A body that ends before its announced length is a local failure, not the network's.
        QByteArray shortData = ots::relaytest::pattern(100, 7);
        QBuffer shortBody(&shortData);
        QVERIFY(shortBody.open(QIODevice::ReadOnly));
        const ClientError unreadable =
            Client(garbage.url()).appendBlob(shareId, token, 0, 5000, &shortBody).error();
        QCOMPARE(unreadable.kind, ErrorKind::LocalIo);
    }

    void downloadCutShort() {
        const QByteArray content = ots::relaytest::pattern(1000, 5);
        FakeServer cutting([&content](const QByteArray& request) {
            if (!request.contains("Range: bytes=100-"))
                return httpAnswer("400 Bad Request", R"({"error":"bad_request","message":"no range"})");
            // Announces 900 bytes, sends 400, closes.
            return QByteArray("HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 100-999/1000\r\n"
                              "Content-Length: 900\r\nConnection: close\r\n\r\n") +
                   content.mid(100, 400);
        });
        QVERIFY(cutting.listen());
        Client client(cutting.url(), quickRetries(3));
        Collector collected;
        const QString ticket = QString::fromLatin1(ots::relaytest::b64u(ots::relaytest::pattern(32, 1)));
        const ClientError error =
            client.download(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA"), ticket, 100, collected.sink()).error();
        QVERIFY2(error.kind == ErrorKind::Network, qPrintable(describe(error)));
        QCOMPARE(error.code, QStringLiteral("connection_lost"));
        // Everything that arrived was delivered before the error, so the caller resumes at 500.
        QVERIFY(collected.data == content.mid(100, 400));
        // Never continued inside the client: every request asked for the caller's offset. (Qt's HTTP layer
        // itself may re-send an idempotent GET once when the close reaches it before it began reading the
        // answer, which a slow sanitizer run can make happen; that request is the same one.)
        QVERIFY(!cutting.requests().isEmpty());
        for (const QByteArray& request : cutting.requests())
            QVERIFY2(request.contains("Range: bytes=100-\r\n"), request.constData());

        // A relay that answers another range than asked is not trusted with the bytes.
        FakeServer wrongRange([&content](const QByteArray&) {
            return httpAnswer("206 Partial Content", content.mid(0, 900),
                              "Content-Range: bytes 0-899/1000\r\n");
        });
        QVERIFY(wrongRange.listen());
        Collector none;
        OTS_EXPECT_KIND(Client(wrongRange.url())
                            .download(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA"), ticket, 100, none.sink())
                            .error(),
                        ErrorKind::RelayUnavailable);
        QVERIFY(none.data.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestRelayClient)
#include "tst_relayclient.moc"
