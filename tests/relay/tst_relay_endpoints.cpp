// Every endpoint of the HTTP API v1 (SPEC.md §10) over real sockets against the real ots-relay and a
// real redis-server: the success path, every error of the §10 table that a client can provoke, the
// headers every response carries, /metrics, and a log that holds no secret (the receiver page and its
// files: tst_relay_receiver).
// Run against the local store and (tst_relay_endpoints_s3) against S3 on Ceph.

#include "RedisServer.h"
#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QProcess>
#include <QSet>
#include <QTest>

#include <csignal>
#include <sys/types.h>

using namespace ots;
using namespace ots::relaytest;

namespace {

qint64 now() {
    return QDateTime::currentSecsSinceEpoch();
}

QByteArray randomShareId() {
    ShareId id{};
    randomBytes(id);
    return b64u(id);
}

QSet<QString> keysOf(const QJsonObject& object) {
    const QStringList keys = object.keys();
    return {keys.begin(), keys.end()};
}

const QSet<QString> kInfoFields{QStringLiteral("id"),
                                QStringLiteral("state"),
                                QStringLiteral("size"),
                                QStringLiteral("expiresAt"),
                                QStringLiteral("downloadsLeft"),
                                QStringLiteral("passwordRequired"),
                                QStringLiteral("attemptsLeft"),
                                QStringLiteral("kdf")};

} // namespace

class TestRelayEndpoints : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    RelayClient m_client{0};
    QList<QByteArray> m_secrets; // every token, ticket, nonce, signature, key and envelope seen
    QSet<QByteArray> m_requestIds;

    // A share created (201) through m_client; fails the test otherwise.
    bool createShare(TestShare& share) {
        const HttpResponse response = m_client.create(share);
        if (response.status != 201)
            qWarning("create: %s", response.describe().constData());
        return response.status == 201;
    }
    bool createReadyShare(TestShare& share) {
        const HttpResponse response = m_client.createReady(share);
        if (response.status != 200)
            qWarning("create+upload+complete: %s", response.describe().constData());
        return response.status == 200;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--max-size"), QStringLiteral("64M")}), m_fixture.error());
        m_client = m_fixture.client();
        m_client.recordSecretsInto(&m_secrets);
        if (m_fixture.ceph) // the relay's S3 secret, from its environment
            m_secrets.append(m_fixture.ceph->secretAccessKey().toLatin1());
    }

    void cleanupTestCase() {
        m_fixture.relay.stop();
        // A clean drain exits 0 (in a sanitizer build, a report at exit would fail it).
        QVERIFY2(m_fixture.relay.exitedCleanly(), m_fixture.relay.log().right(3000).constData());
    }

    void createAndInfo() {
        TestShare share = TestShare::make({});
        const HttpResponse created = m_client.create(share);
        OTS_EXPECT_STATUS(created, 201);
        const QJsonObject body = created.json();
        QCOMPARE(share.id.size(), qsizetype(22));
        QCOMPARE(share.ownerToken.size(), qsizetype(43));
        QVERIFY(qAbs(share.expiresAt - (now() + share.expiresIn)) <= 5);
        QCOMPARE(body.value(QStringLiteral("uploadOffset")).toInteger(-1), 0);
        QVERIFY(created.header("content-type").startsWith("application/json"));

        const HttpResponse info = m_client.info(share.id);
        OTS_EXPECT_STATUS(info, 200);
        const QJsonObject json = info.json();
        // Nothing else: not the public key, not the metadata (§3.4, the offline-guessing rule).
        QCOMPARE(keysOf(json), kInfoFields);
        QCOMPARE(json.value(QStringLiteral("id")).toString().toLatin1(), share.id);
        QCOMPARE(json.value(QStringLiteral("state")).toString(), QStringLiteral("uploading"));
        QCOMPARE(json.value(QStringLiteral("size")).toInteger(), share.ciphertext.size());
        QCOMPARE(json.value(QStringLiteral("expiresAt")).toInteger(), share.expiresAt);
        QCOMPARE(json.value(QStringLiteral("downloadsLeft")).toInt(), 1);
        QCOMPARE(json.value(QStringLiteral("passwordRequired")).toBool(true), false);
        QCOMPARE(json.value(QStringLiteral("attemptsLeft")).toInt(), 5);
        QVERIFY(json.value(QStringLiteral("kdf")).isNull());
        QVERIFY(!info.body.contains(b64u(share.keys->authPublicKey())));
        QVERIFY(!info.body.contains(share.metadataEnvelope.toBase64()));

        // Two creates never share an id or a token.
        TestShare other = TestShare::make({});
        QVERIFY(createShare(other));
        QVERIFY(other.id != share.id);
        QVERIFY(other.ownerToken != share.ownerToken);
    }

    void createWithPassword() {
        TestShare share = TestShare::make({.payloadBytes = 70'000, .maxDownloads = 3, .password = true});
        QVERIFY(createShare(share));
        const QJsonObject json = m_client.info(share.id).json();
        QCOMPARE(json.value(QStringLiteral("passwordRequired")).toBool(false), true);
        QCOMPARE(json.value(QStringLiteral("downloadsLeft")).toInt(), 3);
        QCOMPARE(json.value(QStringLiteral("kdf")).toObject(),
                 share.createBody().value(QStringLiteral("password")).toObject());
    }

    void createRejects_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("code");

        const TestShare share = TestShare::make({});
        const QJsonObject good = share.createBody();
        const auto with = [&](const char* field, const QJsonValue& value) {
            QJsonObject body = good;
            if (value.isUndefined())
                body.remove(QLatin1String(field));
            else
                body[QLatin1String(field)] = value;
            return QJsonDocument(body).toJson(QJsonDocument::Compact);
        };
        const auto withKdf = [&](const char* field, const QJsonValue& value) {
            QJsonObject kdf{
                {QStringLiteral("salt"), QString::fromLatin1(b64u(Argon2Params::withRandomSalt().salt))},
                {QStringLiteral("iterations"), 3},
                {QStringLiteral("memoryKiB"), 65536},
                {QStringLiteral("parallelism"), 4}};
            kdf[QLatin1String(field)] = value;
            return with("password", kdf);
        };
        const QString bad = QStringLiteral("bad_request");
        const qint64 size = share.ciphertext.size();

        QTest::newRow("not json") << QByteArray("{\"size\": 4225,") << 400 << bad;
        QTest::newRow("json array") << QByteArray("[1,2,3]") << 400 << bad;
        QTest::newRow("empty body") << QByteArray() << 400 << bad;
        QTest::newRow("no size") << with("size", QJsonValue::Undefined) << 400 << bad;
        QTest::newRow("size as string") << with("size", QString::number(size)) << 400 << bad;
        QTest::newRow("size fractional") << with("size", double(size) + 0.5) << 400 << bad;
        QTest::newRow("size negative") << with("size", -size) << 400 << bad;
        QTest::newRow("size zero") << with("size", 0) << 400 << bad;
        QTest::newRow("size not a v1 stream (-1)") << with("size", size - 1) << 400 << bad;
        QTest::newRow("size not a v1 stream (+1)") << with("size", size + 1) << 400 << bad;
        QTest::newRow("size below any stream") << with("size", 1000) << 400 << bad;
        QTest::newRow("size above max-size")
            << with("size", qint64(StreamEncryptor::ciphertextSize(100 << 20))) << 413
            << QStringLiteral("too_large");
        QTest::newRow("expiresIn below min") << with("expiresIn", 59) << 400 << bad;
        QTest::newRow("expiresIn above max") << with("expiresIn", 7 * 24 * 3600 + 1) << 400 << bad;
        QTest::newRow("expiresIn missing") << with("expiresIn", QJsonValue::Undefined) << 400 << bad;
        QTest::newRow("maxDownloads zero") << with("maxDownloads", 0) << 400 << bad;
        QTest::newRow("maxDownloads above max") << with("maxDownloads", 101) << 400 << bad;
        QTest::newRow("maxDownloads as bool") << with("maxDownloads", true) << 400 << bad;
        QTest::newRow("authPublicKey short")
            << with("authPublicKey", QString::fromLatin1(b64u(pattern(31)))) << 400 << bad;
        QTest::newRow("authPublicKey padded")
            << with("authPublicKey", QString::fromLatin1(b64u(pattern(32)) + "=")) << 400 << bad;
        QTest::newRow("authPublicKey standard base64")
            << with("authPublicKey", QString::fromLatin1(QByteArray(32, '\xfb').toBase64())) << 400 << bad;
        QTest::newRow("authPublicKey missing") << with("authPublicKey", QJsonValue::Undefined) << 400 << bad;
        QTest::newRow("metadata not base64") << with("metadata", QStringLiteral("@@@@")) << 400 << bad;
        QTest::newRow("metadata missing") << with("metadata", QJsonValue::Undefined) << 400 << bad;
        QTest::newRow("metadata a number") << with("metadata", 12) << 400 << bad;
        QTest::newRow("password not an object") << with("password", QStringLiteral("hunter2")) << 400 << bad;
        QTest::newRow("kdf salt short")
            << withKdf("salt", QString::fromLatin1(b64u(pattern(15)))) << 400 << bad;
        QTest::newRow("kdf iterations below floor") << withKdf("iterations", 2) << 400 << bad;
        QTest::newRow("kdf memory below floor") << withKdf("memoryKiB", 1024) << 400 << bad;
        QTest::newRow("kdf memory above ceiling") << withKdf("memoryKiB", 8 * 1024 * 1024) << 400 << bad;
        QTest::newRow("kdf parallelism zero") << withKdf("parallelism", 0) << 400 << bad;
        QTest::newRow("kdf parallelism missing")
            << withKdf("parallelism", QJsonValue::Undefined) << 400 << bad;
    }

    void createRejects() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, code);
        HttpRequest request{"POST", "/api/v1/shares", {{"Content-Type", "application/json"}}, body};
        const HttpResponse response = m_client.send(request);
        OTS_EXPECT_STATUS(response, status);
        QCOMPARE(response.errorCode(), code);
        QVERIFY(!response.json().value(QStringLiteral("message")).toString().isEmpty());
    }

    void privateRelayNeedsUploadToken() {
        RelayFixture privateRelay;
        QVERIFY2(privateRelay.start(
                     {QStringLiteral("--upload-tokens"), QStringLiteral("sesame-0123456789abcdef")}),
                 privateRelay.error());
        const RelayClient client = privateRelay.client();
        TestShare share = TestShare::make({});
        OTS_EXPECT_ERROR(client.create(share), 401, "unauthorized");
        OTS_EXPECT_ERROR(client.create(share, "sesame-0123456789abcdeX"), 401, "unauthorized");
        OTS_EXPECT_STATUS(client.create(share, "sesame-0123456789abcdef"), 201);
        QVERIFY(!privateRelay.relay.log().contains("sesame-0123456789abcdef"));
    }

    void uploadAndComplete() {
        TestShare share = TestShare::make({.payloadBytes = 200'000});
        QVERIFY(createShare(share));
        const qint64 size = share.ciphertext.size();
        const qint64 half = size / 2;

        HttpResponse head = m_client.uploadOffset(share);
        OTS_EXPECT_STATUS(head, 204);
        QCOMPARE(head.header("upload-offset"), QByteArray("0"));
        QCOMPARE(head.header("upload-length"), QByteArray::number(size));

        // Not the owner.
        TestShare stranger = share;
        stranger.ownerToken = b64u(pattern(32, 5));
        OTS_EXPECT_STATUS(m_client.uploadOffset(stranger), 401); // HEAD: no body, so no error code
        OTS_EXPECT_ERROR(m_client.append(stranger, 0, share.ciphertext.left(half)), 401, "unauthorized");
        HttpRequest anonymous = RelayClient::appendRequest(share, 0, share.ciphertext.left(half));
        anonymous.headers.removeIf([](const auto& h) { return h.first == "Authorization"; });
        OTS_EXPECT_ERROR(m_client.send(anonymous), 401, "unauthorized");
        HttpRequest basic = RelayClient::appendRequest(share, 0, share.ciphertext.left(half));
        basic.headers.removeIf([](const auto& h) { return h.first == "Authorization"; });
        basic.header("Authorization", "Basic " + share.ownerToken);
        OTS_EXPECT_ERROR(m_client.send(basic), 401, "unauthorized");

        // Wrong offset: 409 with the current offset in the body.
        HttpResponse mismatch = m_client.append(share, 10, share.ciphertext.mid(10, 100));
        OTS_EXPECT_ERROR(mismatch, 409, "offset_mismatch");
        QCOMPARE(mismatch.json().value(QStringLiteral("offset")).toInteger(-1), 0);
        HttpRequest noOffset = RelayClient::appendRequest(share, 0, share.ciphertext.left(100));
        noOffset.headers.removeIf([](const auto& h) { return h.first == "Upload-Offset"; });
        OTS_EXPECT_ERROR(m_client.send(noOffset), 400, "bad_request");
        HttpRequest textOffset = RelayClient::appendRequest(share, 0, share.ciphertext.left(100));
        for (auto& [name, value] : textOffset.headers)
            if (name == "Upload-Offset")
                value = "zero";
        OTS_EXPECT_ERROR(m_client.send(textOffset), 400, "bad_request");

        // Beyond the declared size.
        OTS_EXPECT_ERROR(m_client.append(share, 0, share.ciphertext + "x"), 413, "too_large");

        // No Content-Length (a chunked body): 411.
        HttpRequest chunked = RelayClient::appendRequest(share, 0, "5\r\nhello\r\n0\r\n\r\n");
        chunked.autoContentLength = false;
        chunked.header("Transfer-Encoding", "chunked");
        OTS_EXPECT_ERROR(m_client.send(chunked), 411, "length_required");

        // First half, then the state shows it.
        HttpResponse first = m_client.append(share, 0, share.ciphertext.left(half));
        OTS_EXPECT_STATUS(first, 204);
        QCOMPARE(first.header("upload-offset"), QByteArray::number(half));
        head = m_client.uploadOffset(share);
        QCOMPARE(head.header("upload-offset"), QByteArray::number(half));
        OTS_EXPECT_ERROR(m_client.append(share, 0, share.ciphertext.left(half)), 409, "offset_mismatch");

        // Not downloadable before completion; info still works.
        OTS_EXPECT_ERROR(m_client.complete(share), 409, "incomplete");
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 409, "not_ready");
        const HttpResponse uploadingInfo = m_client.info(share.id);
        OTS_EXPECT_STATUS(uploadingInfo, 200);
        QCOMPARE(uploadingInfo.json().value(QStringLiteral("state")).toString(), QStringLiteral("uploading"));
        const HttpResponse owner = m_client.ownerStatus(share);
        OTS_EXPECT_STATUS(owner, 200);
        QCOMPARE(owner.json().value(QStringLiteral("uploadOffset")).toInteger(-1), half);

        // Complete only the owner may call.
        OTS_EXPECT_STATUS(m_client.uploadFrom(share, half, 40'000), 204);
        OTS_EXPECT_ERROR(m_client.complete(stranger), 401, "unauthorized");
        const HttpResponse done = m_client.complete(share);
        OTS_EXPECT_STATUS(done, 200);
        QCOMPARE(done.json().value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
        head = m_client.uploadOffset(share);
        QCOMPARE(head.header("upload-offset"), QByteArray::number(size));
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("state")).toString(),
                 QStringLiteral("ready"));

        // The blob is sealed in the store, nothing of the upload left: the file DATA/blobs/XY/ZW/ID
        // and nothing in uploads/ (local store), or the object PREFIX b/ID and no tail object and no
        // multipart upload (S3).
        if (!m_fixture.ceph) {
            const QString expected =
                QStringLiteral("blobs/%1/%2/%3")
                    .arg(QString::fromLatin1(share.id.left(2)), QString::fromLatin1(share.id.mid(2, 2)),
                         QString::fromLatin1(share.id));
            QCOMPARE(m_fixture.stored(share.id), QStringList{expected});
            QFile blob(m_fixture.dataDir.filePath(expected));
            QVERIFY(blob.open(QIODevice::ReadOnly));
            QCOMPARE(blob.readAll(), share.ciphertext);
        } else {
            QCOMPARE(m_fixture.stored(share.id), QStringList{m_fixture.blobKey(share.id)});
            const auto blob =
                m_fixture.ceph->request("GET", m_fixture.objectPath(m_fixture.blobKey(share.id)));
            QCOMPARE(blob.status, 200);
            QCOMPARE(blob.body, share.ciphertext);
        }
    }

    void appendWhileAnotherRuns() {
        TestShare share = TestShare::make({.payloadBytes = 100'000});
        QVERIFY(createShare(share));
        const qint64 size = share.ciphertext.size();
        // The first append announces the whole body and sends only part of it, then waits.
        HttpConnection slow(m_client.port());
        QVERIFY(slow.connect());
        const QByteArray wire =
            RelayClient::appendRequest(share, 0, share.ciphertext).serialize(m_client.port());
        const qsizetype headerBytes = wire.indexOf("\r\n\r\n") + 4;
        QVERIFY(slow.writeAll(wire.left(headerBytes + 1000)));

        // A second append meanwhile: 409 upload_in_progress (poll: the first must have begun). A poll
        // holds the lease for a moment itself; if the first append's head arrived in that moment, the
        // first was the one refused (it has an answer): it is sent again.
        HttpResponse second;
        waitUntil(
            [&] {
                if (slow.answered()) {
                    slow.socket().abort();
                    if (!slow.connect() || !slow.writeAll(wire.left(headerBytes + 1000)))
                        return false;
                }
                second = m_client.append(share, 0, QByteArray());
                return second.errorCode() == QStringLiteral("upload_in_progress");
            },
            10'000);
        OTS_EXPECT_ERROR(second, 409, "upload_in_progress");

        QVERIFY(slow.writeAll(wire.mid(headerBytes + 1000)));
        const HttpResponse first = slow.readResponse();
        OTS_EXPECT_STATUS(first, 204);
        QCOMPARE(first.header("upload-offset"), QByteArray::number(size));
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
    }

    void proofsMetadataDownloadFinish() {
        TestShare share = TestShare::make({.payloadBytes = 300'000});
        QVERIFY(createReadyShare(share));
        const qint64 size = share.ciphertext.size();

        const HttpResponse challenge = m_client.challenge(share.id);
        OTS_EXPECT_STATUS(challenge, 200);
        const QByteArray nonce = RelayClient::nonceOf(challenge);
        QCOMPARE(nonce.size(), qsizetype(43));
        QVERIFY(challenge.json().value(QStringLiteral("expiresIn")).toInt() > 0);

        // Metadata: a valid proof returns the envelope as it was stored.
        const HttpResponse meta =
            m_client.send(RelayClient::proofRequest(share, "metadata", share.proof(nonce)));
        OTS_EXPECT_STATUS(meta, 200);
        QCOMPARE(QByteArray::fromBase64(meta.json().value(QStringLiteral("metadata")).toString().toLatin1()),
                 share.metadataEnvelope);
        // The nonce is single-use.
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "metadata", share.proof(nonce))), 410,
                         "challenge_invalid");
        // A nonce the relay never issued.
        OTS_EXPECT_ERROR(
            m_client.send(RelayClient::proofRequest(share, "reservations", share.proof(b64u(pattern(32))))),
            410, "challenge_invalid");
        // Malformed proofs are refused before any nonce or attempt is spent.
        const QByteArray fresh = RelayClient::nonceOf(m_client.challenge(share.id));
        QJsonObject shortSignature = share.proof(fresh);
        shortSignature[QStringLiteral("signature")] = QString::fromLatin1(b64u(pattern(63)));
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "reservations", shortSignature)), 400,
                         "bad_request");
        QJsonObject noNonce = share.proof(fresh);
        noNonce.remove(QStringLiteral("nonce"));
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "reservations", noNonce)), 400,
                         "bad_request");
        QJsonObject noLinkSignature = share.proof(fresh);
        noLinkSignature.remove(QStringLiteral("linkSignature"));
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "reservations", noLinkSignature)),
                         400, "bad_request");
        HttpRequest garbage{"POST",
                            RelayClient::sharePath(share.id, "/reservations"),
                            {{"Content-Type", "application/json"}},
                            "nonce=1&signature=2"};
        OTS_EXPECT_ERROR(m_client.send(garbage), 400, "bad_request");

        // Without the link (a well-formed link signature by another key): 403 link_invalid, and the
        // right download proof beside it does not help. Nothing is counted.
        const auto stranger = TestShare::strangerKeys();
        const HttpResponse noLink = m_client.prove(share, "reservations", nullptr, stranger.get());
        OTS_EXPECT_ERROR(noLink, 403, "link_invalid");
        QVERIFY(!noLink.json().contains(QStringLiteral("attemptsLeft")));
        // The link but a wrong download proof, on a share without a password: refused, never counted
        // (the link secret is the whole key).
        const HttpResponse wrong = m_client.prove(share, "reservations", stranger.get());
        OTS_EXPECT_ERROR(wrong, 403, "proof_invalid");
        QVERIFY(!wrong.json().contains(QStringLiteral("attemptsLeft")));
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);
        // Signatures for another share's id do not verify here either.
        TestShare elsewhere = share;
        elsewhere.idBytes[0] ^= 1;
        const QByteArray otherNonce = RelayClient::nonceOf(m_client.challenge(share.id));
        QJsonObject crossProof = elsewhere.proof(otherNonce);
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "reservations", crossProof)), 403,
                         "link_invalid");
        // Each refused proof spent its nonce.
        OTS_EXPECT_ERROR(
            m_client.send(RelayClient::proofRequest(share, "reservations", share.proof(otherNonce))), 410,
            "challenge_invalid");

        // Reservation: the ticket.
        const HttpResponse reservation = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        QCOMPARE(ticket.size(), qsizetype(43));
        QCOMPARE(reservation.json().value(QStringLiteral("size")).toInteger(), size);
        QVERIFY(reservation.json().value(QStringLiteral("expiresIn")).toInt() > 0);
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("downloadsLeft")).toInt(-1), 0);
        OTS_EXPECT_ERROR(m_client.prove(share, "reservations"), 410, "no_downloads_left");
        // The metadata stays readable while the download runs.
        OTS_EXPECT_STATUS(m_client.prove(share, "metadata"), 200);

        // Download: the ticket, and only the ticket.
        OTS_EXPECT_ERROR(m_client.send({"GET", RelayClient::sharePath(share.id, "/content"), {}, {}}), 401,
                         "unauthorized");
        OTS_EXPECT_ERROR(m_client.download(share.id, b64u(pattern(32, 9))), 401, "unauthorized");
        OTS_EXPECT_ERROR(m_client.download(share.id, share.ownerToken), 401, "unauthorized");
        const HttpResponse whole = m_client.download(share.id, ticket);
        OTS_EXPECT_STATUS(whole, 200);
        QVERIFY(whole.body == share.ciphertext);
        QCOMPARE(whole.header("accept-ranges"), QByteArray("bytes"));
        QCOMPARE(whole.header("content-type"), QByteArray("application/octet-stream"));
        QCOMPARE(whole.header("content-length"), QByteArray::number(size));

        // Ranges: a-b, a-, -n; the ticket works any number of times.
        HttpResponse part = m_client.download(share.id, ticket, "bytes=10-19");
        OTS_EXPECT_STATUS(part, 206);
        QCOMPARE(part.body, share.ciphertext.mid(10, 10));
        QCOMPARE(part.header("content-range"), "bytes 10-19/" + QByteArray::number(size));
        part = m_client.download(share.id, ticket, "bytes=" + QByteArray::number(size - 1000) + "-");
        OTS_EXPECT_STATUS(part, 206);
        QVERIFY(part.body == share.ciphertext.right(1000));
        QCOMPARE(part.header("content-range"), "bytes " + QByteArray::number(size - 1000) + '-' +
                                                   QByteArray::number(size - 1) + '/' +
                                                   QByteArray::number(size));
        part = m_client.download(share.id, ticket, "bytes=-50");
        OTS_EXPECT_STATUS(part, 206);
        QCOMPARE(part.body, share.ciphertext.right(50));
        part = m_client.download(share.id, ticket, "bytes=0-" + QByteArray::number(size + 1000));
        OTS_EXPECT_STATUS(part, 206); // an end past the blob is clamped (RFC 9110 §14.1.2)
        QVERIFY(part.body == share.ciphertext);
        // Outside the blob: 416.
        HttpResponse outside = m_client.download(share.id, ticket, "bytes=" + QByteArray::number(size) + "-");
        OTS_EXPECT_ERROR(outside, 416, "range_not_satisfiable");
        QCOMPARE(outside.header("content-range"), "bytes */" + QByteArray::number(size));
        OTS_EXPECT_ERROR(
            m_client.download(share.id, ticket,
                              "bytes=" + QByteArray::number(size + 5) + "-" + QByteArray::number(size + 10)),
            416, "range_not_satisfiable");

        // Finish: the share is downloaded, its blob and keys go, a tombstone says why.
        OTS_EXPECT_ERROR(m_client.finish(share.id, b64u(pattern(32, 3))), 401, "unauthorized");
        const HttpResponse finished = m_client.finish(share.id, ticket);
        OTS_EXPECT_STATUS(finished, 200);
        QCOMPARE(finished.json().value(QStringLiteral("downloadsLeft")).toInt(-1), 0);
        OTS_EXPECT_ERROR(m_client.info(share.id), 410, "downloaded");
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 410, "downloaded");
        const HttpResponse after = m_client.download(share.id, ticket);
        QVERIFY2(after.status == 410 || after.status == 401, after.describe().constData());
        QVERIFY(waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));
        QVERIFY(shareKeys(m_fixture.redis.port(), share.id).contains("ots:{" + share.id + "}:gone"));
        const QList<QByteArray> left = keysLeftBehind(m_fixture.redis.port(), share.id);
        QVERIFY2(left.isEmpty(), left.join(' ').constData());
    }

    void severalDownloads() {
        TestShare share = TestShare::make({.payloadBytes = 5000, .maxDownloads = 2});
        QVERIFY(createReadyShare(share));
        const HttpResponse first = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(first, 201);
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("downloadsLeft")).toInt(-1), 1);
        const HttpResponse second = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(second, 201);
        QVERIFY(RelayClient::ticketOf(first) != RelayClient::ticketOf(second));
        OTS_EXPECT_ERROR(m_client.prove(share, "reservations"), 410, "no_downloads_left");

        OTS_EXPECT_STATUS(m_client.finish(share.id, RelayClient::ticketOf(first)), 200);
        // One download still runs: the share and its blob stay.
        OTS_EXPECT_STATUS(m_client.info(share.id), 200);
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));
        const HttpResponse owner = m_client.ownerStatus(share);
        QCOMPARE(owner.json().value(QStringLiteral("downloadsReserved")).toInt(-1), 2);
        QCOMPARE(owner.json().value(QStringLiteral("downloadsFinished")).toInt(-1), 1);
        const HttpResponse body = m_client.download(share.id, RelayClient::ticketOf(second));
        OTS_EXPECT_STATUS(body, 200);
        QCOMPARE(body.body, share.ciphertext);
        // A finished ticket ends.
        const HttpResponse ended = m_client.download(share.id, RelayClient::ticketOf(first));
        OTS_EXPECT_ERROR(ended, 401, "unauthorized");

        OTS_EXPECT_STATUS(m_client.finish(share.id, RelayClient::ticketOf(second)), 200);
        OTS_EXPECT_ERROR(m_client.info(share.id), 410, "downloaded");
        QVERIFY(waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));
    }

    void ownerStatusDeleteUnlock() {
        TestShare share = TestShare::make({.maxDownloads = 4});
        QVERIFY(createReadyShare(share));
        TestShare stranger = share;
        stranger.ownerToken = b64u(pattern(32, 77));

        OTS_EXPECT_ERROR(m_client.ownerStatus(stranger), 401, "unauthorized");
        OTS_EXPECT_ERROR(m_client.send({"GET", RelayClient::sharePath(share.id, "/owner"), {}, {}}), 401,
                         "unauthorized");
        const HttpResponse owner = m_client.ownerStatus(share);
        OTS_EXPECT_STATUS(owner, 200);
        QSet<QString> ownerFields = kInfoFields;
        ownerFields += {QStringLiteral("uploadOffset"), QStringLiteral("downloadsReserved"),
                        QStringLiteral("downloadsFinished"), QStringLiteral("locked")};
        QCOMPARE(keysOf(owner.json()), ownerFields);
        QCOMPARE(owner.json().value(QStringLiteral("uploadOffset")).toInteger(), share.ciphertext.size());
        QCOMPARE(owner.json().value(QStringLiteral("downloadsReserved")).toInt(-1), 0);
        QCOMPARE(owner.json().value(QStringLiteral("downloadsFinished")).toInt(-1), 0);
        QCOMPARE(owner.json().value(QStringLiteral("locked")).toBool(true), false);
        QCOMPARE(owner.json().value(QStringLiteral("state")).toString(), QStringLiteral("ready"));

        OTS_EXPECT_ERROR(m_client.unlock(stranger), 401, "unauthorized");
        OTS_EXPECT_STATUS(m_client.unlock(share), 200); // unlocking an unlocked share is harmless

        OTS_EXPECT_ERROR(m_client.remove(stranger), 401, "unauthorized");
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));
        OTS_EXPECT_STATUS(m_client.remove(share), 204);
        OTS_EXPECT_ERROR(m_client.info(share.id), 410, "deleted");
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 410, "deleted");
        QVERIFY(m_fixture.stored(share.id).isEmpty());
        const HttpResponse again = m_client.remove(share);
        QVERIFY2(again.status == 410 || again.status == 401, again.describe().constData());

        // Deleting a share mid-upload removes its partial file too.
        TestShare partial = TestShare::make({.payloadBytes = 50'000});
        QVERIFY(createShare(partial));
        OTS_EXPECT_STATUS(m_client.append(partial, 0, partial.ciphertext.left(1000)), 204);
        QCOMPARE(m_fixture.stored(partial.id).size(), qsizetype(1));
        OTS_EXPECT_STATUS(m_client.remove(partial), 204);
        QVERIFY(m_fixture.stored(partial.id).isEmpty());
        OTS_EXPECT_STATUS(m_client.uploadOffset(partial), 410);
    }

    void lockAfterMaxAttempts() {
        TestShare share = TestShare::make({.password = true});
        QVERIFY(createReadyShare(share));
        const auto stranger = TestShare::strangerKeys();
        for (int attempt = 1; attempt <= 5; ++attempt) {
            const HttpResponse wrong = m_client.prove(share, "metadata", stranger.get());
            OTS_EXPECT_ERROR(wrong, 403, "proof_invalid");
            QCOMPARE(wrong.json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5 - attempt);
        }
        // Locked, not deleted: 423 on challenge and on a proof with a nonce obtained before.
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 423, "locked");
        const HttpResponse info = m_client.info(share.id);
        OTS_EXPECT_STATUS(info, 200);
        QCOMPARE(info.json().value(QStringLiteral("state")).toString(), QStringLiteral("locked"));
        QCOMPARE(info.json().value(QStringLiteral("attemptsLeft")).toInt(-1), 0);
        QCOMPARE(m_client.ownerStatus(share).json().value(QStringLiteral("locked")).toBool(false), true);
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));

        OTS_EXPECT_STATUS(m_client.unlock(share), 200);
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);
        const HttpResponse meta = m_client.prove(share, "metadata");
        OTS_EXPECT_STATUS(meta, 200);
        OTS_EXPECT_STATUS(m_client.prove(share, "reservations"), 201);
    }

    void lockedRefusesOutstandingNonce() {
        TestShare share = TestShare::make({.password = true});
        QVERIFY(createReadyShare(share));
        const QByteArray kept = RelayClient::nonceOf(m_client.challenge(share.id));
        QCOMPARE(kept.size(), qsizetype(43));
        const auto stranger = TestShare::strangerKeys();
        for (int attempt = 1; attempt <= 5; ++attempt)
            OTS_EXPECT_ERROR(m_client.prove(share, "metadata", stranger.get()), 403, "proof_invalid");
        const double verifiedBefore = m_client.metric("ots_proof_verifications_total");
        // Even a correct signature on a nonce issued before the lock is refused unverified.
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "metadata", share.proof(kept))), 423,
                         "locked");
        QCOMPARE(m_client.metric("ots_proof_verifications_total"), verifiedBefore);
    }

    void unknownSharesAndPaths() {
        const QByteArray unknown = randomShareId();
        OTS_EXPECT_ERROR(m_client.info(unknown), 404, "not_found");
        OTS_EXPECT_ERROR(m_client.challenge(unknown), 404, "not_found");
        TestShare ghost = TestShare::make({});
        ghost.id = unknown;
        ghost.ownerToken = b64u(pattern(32));
        const HttpResponse owner = m_client.ownerStatus(ghost);
        QVERIFY2(owner.status == 404 || owner.status == 401, owner.describe().constData());
        OTS_EXPECT_ERROR(m_client.get("/api/v2/shares"), 404, "not_found");
        OTS_EXPECT_ERROR(m_client.get("/api/v1/shares/" + unknown + "/nothing-here"), 404, "not_found");
        OTS_EXPECT_ERROR(m_client.get("/nothing"), 404, "not_found");
    }

    void badShareIds_data() {
        QTest::addColumn<QByteArray>("id");
        const QByteArray good = randomShareId();
        QTest::newRow("21 chars") << good.left(21);
        QTest::newRow("23 chars") << good + "A";
        QTest::newRow("plus sign") << "+" + good.mid(1);
        QTest::newRow("padding") << good.left(21) + "=";
        QTest::newRow("non-canonical last char")
            << good.left(21) + "B"; // low 4 bits of the last char must be 0
        QTest::newRow("percent-encoded") << "%41" + good.mid(3);
    }

    void badShareIds() {
        QFETCH(QByteArray, id);
        OTS_EXPECT_ERROR(m_client.info(id), 400, "bad_share_id");
        OTS_EXPECT_ERROR(m_client.challenge(id), 400, "bad_share_id");
    }

    void methodNotAllowed_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("target");
        const QByteArray id = randomShareId();
        QTest::newRow("PUT shares") << QByteArray("PUT") << QByteArray("/api/v1/shares");
        QTest::newRow("GET shares") << QByteArray("GET") << QByteArray("/api/v1/shares");
        QTest::newRow("POST info") << QByteArray("POST") << RelayClient::sharePath(id);
        QTest::newRow("GET challenge") << QByteArray("GET") << RelayClient::sharePath(id, "/challenge");
        QTest::newRow("DELETE content") << QByteArray("DELETE") << RelayClient::sharePath(id, "/content");
        QTest::newRow("PUT blob") << QByteArray("PUT") << RelayClient::sharePath(id, "/blob");
        QTest::newRow("GET reservations") << QByteArray("GET") << RelayClient::sharePath(id, "/reservations");
        QTest::newRow("POST healthz") << QByteArray("POST") << QByteArray("/healthz");
        QTest::newRow("DELETE metrics") << QByteArray("DELETE") << QByteArray("/metrics");
    }

    void methodNotAllowed() {
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, target);
        OTS_EXPECT_ERROR(m_client.send({method, target, {}, {}}), 405, "method_not_allowed");
    }

    void postsMustBeJson() {
        // A web page may send a "simple" cross-origin POST (text/plain, form encodings) without asking
        // first; its visitors' browsers would create shares or spend proofs. Every POST must be
        // application/json, which no page can send to another origin without a CORS preflight, and the
        // relay answers no preflight.
        RelayFixture fresh;
        QVERIFY2(fresh.start({QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("1")}),
                 fresh.error());
        const RelayClient client = fresh.client();
        // Each create schedules its share's expiry in {ots}:expiry (SPEC.md §10.11).
        const auto scheduledShares = [&fresh] {
            QProcess cli;
            cli.start(QStringLiteral("redis-cli"), {QStringLiteral("-p"), QString::number(fresh.redis.port()),
                                                    QStringLiteral("ZCARD"), QStringLiteral("{ots}:expiry")});
            return cli.waitForFinished(kRequestTimeoutMs) ? cli.readAllStandardOutput().trimmed()
                                                          : QByteArray();
        };
        const QJsonObject body = TestShare::make({}).createBody();
        for (const QByteArray type :
             {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}) {
            HttpRequest create{"POST", "/api/v1/shares", {}, {}};
            create.json(body);
            create.headers = {{"Content-Type", type}, {"Origin", "https://evil.example"}};
            const HttpResponse refused = client.send(create);
            OTS_EXPECT_ERROR(refused, 415, "unsupported_media_type");
            for (const auto& [name, value] : refused.headers)
                QVERIFY2(!name.startsWith("access-control-"), name.constData());
        }
        QCOMPARE(scheduledShares(), QByteArray("0")); // no share was created
        // Nothing was counted either: the one create this minute allows still goes through, with
        // the media type in any case and with parameters.
        HttpRequest create{
            "POST", "/api/v1/shares", {{"Content-Type", "Application/JSON; charset=utf-8"}}, {}};
        create.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
        OTS_EXPECT_STATUS(client.send(create), 201);
        QCOMPARE(scheduledShares(), QByteArray("1"));

        // A body-less POST without Content-Type is refused too, before the nonce is made.
        TestShare share = TestShare::make({});
        QVERIFY(createReadyShare(share));
        HttpRequest challenge{"POST", RelayClient::sharePath(share.id, "/challenge"), {}, {}};
        challenge.autoContentType = false;
        OTS_EXPECT_ERROR(m_client.send(challenge), 415, "unsupported_media_type");
        for (const QByteArray suffix : {"/complete", "/metadata", "/reservations", "/finish", "/unlock"}) {
            HttpRequest post{
                "POST", RelayClient::sharePath(share.id, suffix), {{"Content-Type", "text/plain"}}, "{}"};
            OTS_EXPECT_ERROR(m_client.send(post), 415, "unsupported_media_type");
        }
        OTS_EXPECT_STATUS(m_client.challenge(share.id), 200);
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);

        // No CORS preflight is answered, and no response ever carries an Access-Control-* header.
        HttpRequest preflight{"OPTIONS",
                              "/api/v1/shares",
                              {{"Origin", "https://evil.example"},
                               {"Access-Control-Request-Method", "POST"},
                               {"Access-Control-Request-Headers", "content-type"}},
                              {}};
        const HttpResponse options = m_client.send(preflight);
        OTS_EXPECT_ERROR(options, 405, "method_not_allowed");
        for (const auto& [name, value] : options.headers)
            QVERIFY2(!name.startsWith("access-control-"), name.constData());
    }

    void tooLarge() {
        // A JSON body above json-body-limit (1200 KiB by default).
        QJsonObject body = TestShare::make({}).createBody();
        body[QStringLiteral("metadata")] = QString::fromLatin1(QByteArray(1300 * 1024, 'A').toBase64());
        HttpRequest big{"POST", "/api/v1/shares", {}, {}};
        big.json(body);
        OTS_EXPECT_ERROR(m_client.send(big), 413, "too_large");
        // Announced only: the relay answers from the header without waiting for the body.
        HttpConnection announced(m_client.port());
        QVERIFY(announced.connect());
        QVERIFY(
            announced.writeAll("POST /api/v1/shares HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                               "Content-Length: 1000000000\r\n\r\n{"));
        OTS_EXPECT_ERROR(announced.readResponse(false, 5000), 413, "too_large");

        // Headers above header-limit (8 KiB by default).
        HttpRequest fat{"GET", "/healthz", {{"X-Padding", QByteArray(16 * 1024, 'p')}}, {}};
        OTS_EXPECT_ERROR(m_client.send(fat), 413, "too_large");
        HttpRequest many{"GET", "/healthz", {}, {}};
        for (int i = 0; i < 400; ++i)
            many.header("X-Header-" + QByteArray::number(i), QByteArray(40, 'v'));
        OTS_EXPECT_ERROR(m_client.send(many), 413, "too_large");
        QVERIFY(m_fixture.relay.isRunning());
        OTS_EXPECT_STATUS(m_client.get("/healthz"), 200);
    }

    void rateLimited() {
        RelayFixture limited;
        QVERIFY2(limited.start({QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("3"),
                                QStringLiteral("--proofs-per-minute-per-ip"), QStringLiteral("4")}),
                 limited.error());
        const RelayClient client = limited.client();
        for (int i = 0; i < 3; ++i) {
            TestShare share = TestShare::make({});
            OTS_EXPECT_STATUS(client.create(share), 201);
        }
        TestShare refused = TestShare::make({});
        const HttpResponse response = client.create(refused);
        OTS_EXPECT_ERROR(response, 429, "rate_limited");
        bool ok = false;
        const int retryAfter = response.header("retry-after").toInt(&ok);
        QVERIFY2(ok && retryAfter >= 1 && retryAfter <= 60, response.header("retry-after").constData());

        // Challenges and proofs have their own per-IP window.
        RelayFixture limitedProofs;
        QVERIFY2(limitedProofs.start({QStringLiteral("--proofs-per-minute-per-ip"), QStringLiteral("4")}),
                 limitedProofs.error());
        const RelayClient proofs = limitedProofs.client();
        TestShare share = TestShare::make({});
        OTS_EXPECT_STATUS(proofs.createReady(share), 200);
        HttpResponse last;
        for (int i = 0; i < 20 && last.status != 429; ++i)
            last = proofs.challenge(share.id);
        OTS_EXPECT_ERROR(last, 429, "rate_limited");
        QVERIFY(last.hasHeader("retry-after"));
        // Public info is not a proof: it still answers.
        OTS_EXPECT_STATUS(proofs.info(share.id), 200);

        // X-Forwarded-For from an untrusted peer changes nothing: one bucket for 127.0.0.1.
        const auto createFrom = [](const RelayClient& relayClient, const QByteArray& forwardedFor) {
            HttpRequest request{"POST", "/api/v1/shares", {{"X-Forwarded-For", forwardedFor}}, {}};
            request.json(TestShare::make({}).createBody());
            return relayClient.send(request);
        };
        RelayFixture untrusted;
        QVERIFY2(untrusted.start({QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("2")}),
                 untrusted.error());
        OTS_EXPECT_STATUS(createFrom(untrusted.client(), "203.0.113.1"), 201);
        OTS_EXPECT_STATUS(createFrom(untrusted.client(), "203.0.113.2"), 201);
        OTS_EXPECT_ERROR(createFrom(untrusted.client(), "203.0.113.3"), 429, "rate_limited");
        // Behind a trusted proxy, each forwarded address has its own bucket.
        RelayFixture proxied;
        QVERIFY2(proxied.start({QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("2"),
                                QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1")}),
                 proxied.error());
        for (const QByteArray address : {"203.0.113.1", "203.0.113.2", "203.0.113.3"}) {
            OTS_EXPECT_STATUS(createFrom(proxied.client(), address), 201);
            OTS_EXPECT_STATUS(createFrom(proxied.client(), address), 201);
        }
        OTS_EXPECT_ERROR(createFrom(proxied.client(), "203.0.113.2"), 429, "rate_limited");
    }

    // Issue 13, must show 3: one client cannot reserve more than its hourly allowance while another
    // client's create still succeeds; the share count has its own allowance.
    void perClientAllowance() {
        const TestShare probe = TestShare::make({.payloadBytes = 60'000});
        // A share's hold on the quota: ciphertext + metadata envelope + 2048 (SPEC §10.13 §10.1).
        const qint64 held = probe.ciphertext.size() + probe.metadataEnvelope.size() + 2048;
        RelayFixture relay;
        QVERIFY2(relay.start({QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1"),
                              QStringLiteral("--max-size"), QString::number(held),
                              QStringLiteral("--client-bytes-per-hour"), QString::number(3 * held),
                              QStringLiteral("--client-shares-per-hour"), QStringLiteral("5")}),
                 relay.error());
        const RelayClient client = relay.client();
        const auto createFrom = [&client](const QByteArray& forwardedFor, qint64 payloadBytes) {
            HttpRequest request{"POST", "/api/v1/shares", {{"X-Forwarded-For", forwardedFor}}, {}};
            request.json(TestShare::make({.payloadBytes = payloadBytes}).createBody());
            return client.send(request);
        };
        // The allowance is per clock hour: should the hour turn in the middle, one more round with fresh
        // clients gives the answer.
        const auto round = [&](const QByteArray& big, const QByteArray& other, const QByteArray& small) {
            for (int i = 0; i < 3; ++i)
                if (const HttpResponse created = createFrom(big, 60'000); created.status != 201)
                    return "create " + QByteArray::number(i) + ": " + created.describe();
            const HttpResponse refused = createFrom(big, 60'000);
            if (refused.status != 429 || refused.errorCode() != QStringLiteral("rate_limited") ||
                refused.header("retry-after").toInt() < 1 || refused.header("retry-after").toInt() > 3600)
                return "fourth create: " + refused.describe();
            if (const HttpResponse created = createFrom(other, 60'000); created.status != 201)
                return "another client: " + created.describe();
            for (int i = 0; i < 5; ++i)
                if (const HttpResponse created = createFrom(small, 10); created.status != 201)
                    return "small create " + QByteArray::number(i) + ": " + created.describe();
            const HttpResponse sixth = createFrom(small, 10);
            if (sixth.status != 429)
                return "sixth small create: " + sixth.describe();
            return QByteArray();
        };
        QByteArray failure = round("192.0.2.10", "192.0.2.20", "2001:db8:7:7::1");
        if (!failure.isEmpty())
            failure = round("192.0.2.11", "192.0.2.21", "2001:db8:7:8::1");
        QVERIFY2(failure.isEmpty(), failure.constData());
    }

    // Issue 13, must show 3: with Redis' maxmemory set, creates carrying 1 MiB of metadata are refused
    // with 507 before Redis is full (never a 503 from a Redis that refuses writes), the relay stays
    // ready, and a deleted share's room comes back.
    void redisBudget() {
        RedisServer redis;
        QVERIFY(redis.start());
        constexpr qint64 kMaxMemory = 40 << 20;
        QCOMPARE(redisCli(redis.port(), {QStringLiteral("CONFIG"), QStringLiteral("SET"),
                                         QStringLiteral("maxmemory"), QString::number(kMaxMemory)})
                     .trimmed(),
                 QByteArrayLiteral("OK"));
        QTemporaryDir data;
        RelayProcess relay;
        QStringList arguments;
        std::shared_ptr<test::CephCluster> ceph;
        QString error;
        useTestS3Store(relay, arguments, ceph, error);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY2(relay.start(redis.port(), data.path(), arguments), qPrintable(relay.error()));
        const RelayClient client = relay.client();
        const QByteArray note(1000 * 1000, 'n');
        QList<TestShare> created;
        HttpResponse last;
        for (int i = 0; i < 60; ++i) {
            TestShare share = TestShare::make({.payloadBytes = 100, .seed = i});
            auto envelope = metadata::seal(*share.keys, view(note));
            QVERIFY(envelope.ok());
            share.metadataEnvelope = toQ(*envelope);
            last = client.create(share);
            if (last.status != 201)
                break;
            created.append(share);
        }
        OTS_EXPECT_ERROR(last, 507, "storage_full");
        QVERIFY2(created.size() >= 10, QByteArray::number(created.size()).constData());
        const QByteArray info = redisCli(redis.port(), {QStringLiteral("INFO"), QStringLiteral("memory")});
        const qsizetype at = info.indexOf("used_memory:");
        QVERIFY(at >= 0);
        const qint64 used = info.mid(at + 12, info.indexOf('\r', at) - at - 12).toLongLong();
        QVERIFY2(used > 10 << 20 && used < kMaxMemory, info.constData());
        OTS_EXPECT_STATUS(client.get("/readyz"), 200);
        OTS_EXPECT_STATUS(client.remove(created.first()), 204);
        TestShare again = created.first();
        OTS_EXPECT_STATUS(client.create(again), 201);
        relay.stop();
    }

    void ipv6ClientsByPrefix() {
        // Behind a trusted proxy, every address of one IPv6 /64 is one client: the eight below share
        // one create window of 5, while a client of another /64 (or an IPv4 one) has its own.
        const auto createFrom = [](const RelayClient& relayClient, const QByteArray& forwardedFor) {
            HttpRequest request{"POST", "/api/v1/shares", {{"X-Forwarded-For", forwardedFor}}, {}};
            request.json(TestShare::make({}).createBody());
            return relayClient.send(request);
        };
        // Fixed one-minute windows (SPEC.md §10.13): should the minute turn during the eight requests,
        // the count restarts, so that round is repeated once with a fresh /64.
        const auto sharedWindow = [&createFrom](const RelayClient& client) {
            QByteArray failure;
            for (const QByteArray prefix : {"2001:db8:1:2::", "2001:db8:1:4::"}) {
                int created = 0;
                HttpResponse last;
                for (int n = 1; n <= 8; ++n) {
                    last = createFrom(client, prefix + QByteArray::number(n, 16));
                    if (last.status == 201)
                        ++created;
                    else if (last.status != 429)
                        return "unexpected " + last.describe();
                }
                if (created == 5 && last.status == 429)
                    return QByteArray();
                failure = prefix + "/64: " + QByteArray::number(created) + " of 8 created, not 5";
            }
            return failure;
        };
        const QStringList limits{QStringLiteral("--creates-per-minute-per-ip"), QStringLiteral("5"),
                                 QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1")};
        RelayFixture byPrefix;
        QVERIFY2(byPrefix.start(limits), byPrefix.error());
        const QByteArray shared = sharedWindow(byPrefix.client());
        QVERIFY2(shared.isEmpty(), shared.constData());
        OTS_EXPECT_STATUS(createFrom(byPrefix.client(), "2001:db8:1:3::1"), 201);
        OTS_EXPECT_STATUS(createFrom(byPrefix.client(), "198.51.100.77"), 201);
        OTS_EXPECT_STATUS(createFrom(byPrefix.client(), "::ffff:198.51.100.78"), 201);

        // client-ipv6-prefix = 128: each address is a client of its own.
        RelayFixture byAddress;
        QVERIFY2(byAddress.start(limits +
                                 QStringList{QStringLiteral("--client-ipv6-prefix"), QStringLiteral("128")}),
                 byAddress.error());
        for (int n = 1; n <= 8; ++n)
            OTS_EXPECT_STATUS(createFrom(byAddress.client(), "2001:db8:1:2::" + QByteArray::number(n)), 201);
    }

    void storageQuota() {
        RelayFixture small;
        QVERIFY2(small.start({QStringLiteral("--storage-quota"), QStringLiteral("100000"),
                              QStringLiteral("--max-size"), QStringLiteral("70000")}),
                 small.error());
        const RelayClient client = small.client();
        TestShare first = TestShare::make({.payloadBytes = 60'000});
        OTS_EXPECT_STATUS(client.create(first), 201);
        TestShare second = TestShare::make({.payloadBytes = 60'000});
        OTS_EXPECT_ERROR(client.create(second), 507, "storage_full");
        // Released when the share goes.
        OTS_EXPECT_STATUS(client.remove(first), 204);
        OTS_EXPECT_STATUS(client.create(second), 201);
        // And when its last download finishes: the files and the quota go after the answer.
        OTS_EXPECT_STATUS(client.remove(second), 204);
        TestShare third = TestShare::make({.payloadBytes = 60'000});
        OTS_EXPECT_STATUS(client.createReady(third), 200);
        const HttpResponse reservation = client.prove(third, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        OTS_EXPECT_STATUS(client.finish(third.id, RelayClient::ticketOf(reservation)), 200);
        QVERIFY(waitUntil([&] { return small.stored(third.id).isEmpty(); }, small.storeWaitMs(5000)));
        TestShare fourth = TestShare::make({.payloadBytes = 60'000});
        HttpResponse created;
        QVERIFY2(waitUntil(
                     [&] {
                         created = client.create(fourth);
                         return created.status == 201;
                     },
                     5000),
                 created.describe().constData());
    }

    void redisDownAndBack() {
        RelayFixture fixture;
        QVERIFY2(fixture.start({QStringLiteral("--redis-timeout"), QStringLiteral("500ms")}),
                 fixture.error());
        const RelayClient client = fixture.client();
        TestShare share = TestShare::make({});
        OTS_EXPECT_STATUS(client.createReady(share), 200);
        const quint16 redisPort = fixture.redis.port();

        // Redis gone: 503 unavailable at once, not a hang; the process itself still serves.
        fixture.redis.stop();
        QElapsedTimer timer;
        timer.start();
        const HttpResponse down = client.info(share.id);
        OTS_EXPECT_ERROR(down, 503, "unavailable");
        QVERIFY2(timer.elapsed() < 3000, QByteArray::number(timer.elapsed()).constData());
        QCOMPARE(down.header("retry-after"), QByteArray("1"));
        TestShare refused = TestShare::make({});
        OTS_EXPECT_ERROR(client.create(refused), 503, "unavailable");
        OTS_EXPECT_STATUS(client.get("/healthz"), 200);
        OTS_EXPECT_STATUS(client.get("/readyz"), 503);
        OTS_EXPECT_STATUS(client.get("/s/" + share.id), 200); // the receiver page needs no Redis
        QVERIFY(RelayClient::metricIn(client.get("/metrics").body, "ots_redis_errors_total") >= 1);

        // Back: the relay reconnects by itself (the new Redis is empty: no persistence).
        QVERIFY(fixture.redis.start(redisPort));
        QVERIFY(waitUntil([&] { return client.get("/readyz").status == 200; }, 10'000));
        // Each pooled connection may still fail once (503) before it reconnects; then all is well.
        TestShare again = TestShare::make({});
        int failures = 0;
        QVERIFY(waitUntil(
            [&] {
                const bool created = client.create(again).status == 201;
                failures += created ? 0 : 1;
                return created;
            },
            10'000));
        qInfo("after Redis came back and /readyz said 200: %d create(s) answered 503 first", failures);
        QVERIFY2(failures <= 8,
                 QByteArray::number(failures).constData()); // at most one per --redis-connections
        OTS_EXPECT_STATUS(client.uploadFrom(again, 0), 204);
        OTS_EXPECT_STATUS(client.complete(again), 200);
        for (int i = 0; i < 20; ++i)
            OTS_EXPECT_STATUS(client.info(again.id), 200);

        // Redis stalled (SIGSTOP): answered within the Redis timeout, not hung.
        QCOMPARE(::kill(static_cast<pid_t>(fixture.redis.pid()), SIGSTOP), 0);
        timer.restart();
        const HttpResponse stalled = client.info(again.id);
        const qint64 stalledMs = timer.elapsed();
        QCOMPARE(::kill(static_cast<pid_t>(fixture.redis.pid()), SIGCONT), 0);
        OTS_EXPECT_ERROR(stalled, 503, "unavailable");
        QVERIFY2(stalledMs < 3000, QByteArray::number(stalledMs).constData());
        QVERIFY(waitUntil([&] { return client.info(again.id).status == 200; }, 10'000));
        QVERIFY(fixture.relay.isRunning());
    }

    void healthAndReadiness() {
        const HttpResponse health = m_client.get("/healthz");
        OTS_EXPECT_STATUS(health, 200);
        QCOMPARE(health.body.trimmed(), QByteArray("ok"));
        OTS_EXPECT_STATUS(m_client.get("/readyz"), 200);
    }

    void commonHeaders() {
        TestShare share = TestShare::make({});
        QVERIFY(createReadyShare(share));
        const QList<HttpRequest> requests{
            {"GET", RelayClient::sharePath(share.id), {}, {}},
            {"GET", RelayClient::sharePath(randomShareId()), {}, {}},
            {"GET", "/api/v1/shares/short", {}, {}},
            {"GET", "/healthz", {}, {}},
            {"GET", "/metrics", {}, {}},
            {"GET", "/s/" + share.id, {}, {}},
            {"GET", "/web/receiver_main.js", {}, {}},
            {"PUT", "/api/v1/shares", {}, {}},
            {"POST", RelayClient::sharePath(share.id, "/challenge"), {}, {}},
            {"HEAD",
             RelayClient::sharePath(share.id, "/blob"),
             {{"Authorization", "Bearer " + share.ownerToken}},
             {}},
        };
        QSet<QByteArray> ids;
        for (const HttpRequest& request : requests) {
            const HttpResponse response = m_client.send(request);
            QVERIFY2(response.status != 0, response.describe().constData());
            const QByteArray id = response.header("x-request-id");
            QVERIFY2(!id.isEmpty(), request.target.constData());
            QVERIFY2(!ids.contains(id), id.constData());
            ids.insert(id);
            m_requestIds.insert(id);
            QCOMPARE(response.header("cache-control"), QByteArray("no-store"));
            QCOMPARE(response.header("referrer-policy"), QByteArray("no-referrer"));
        }
    }

    void metricsText() {
        const HttpResponse metrics = m_client.get("/metrics");
        OTS_EXPECT_STATUS(metrics, 200);
        QVERIFY(metrics.header("content-type").startsWith("text/plain"));
        for (const char* name :
             {"ots_http_requests_total", "ots_http_bytes_received_total", "ots_http_bytes_sent_total",
              "ots_http_connections_active", "ots_http_connections_refused_total", "ots_shares",
              "ots_proof_verifications_total", "ots_attempts_refused_total", "ots_shares_locked_total",
              "ots_redis_errors_total", "ots_shares_swept_total"})
            QVERIFY2(metrics.body.contains(QByteArray(name) + ' ') ||
                         metrics.body.contains(QByteArray(name) + '{'),
                     name);
        QVERIFY(metrics.body.contains("route=\""));
        QVERIFY(metrics.body.contains("status=\"201\""));
        QVERIFY(metrics.body.contains("status=\"404\""));
        // Earlier tests checked signatures and locked shares.
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_proof_verifications_total") >= 10);
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_shares_locked_total") >= 2);
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_http_bytes_received_total") > 1'000'000);
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_http_bytes_sent_total") > 600'000);
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_http_connections_active") >= 1);
        // Each sample line is "name{labels} value" or "name value".
        for (const QByteArray& line : metrics.body.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            bool numeric = false;
            line.mid(line.lastIndexOf(' ') + 1).toDouble(&numeric);
            QVERIFY2(numeric && line.startsWith("ots_"), line.constData());
        }
    }

    // Last: everything above has left its traces in the log by now.
    void logHoldsNoSecrets() {
        QVERIFY(m_secrets.size() > 50);
        const QByteArray log = m_fixture.relay.log();
        // Log lines carry the request id a client saw in X-Request-Id.
        QVERIFY(!m_requestIds.isEmpty());
        bool idLogged = false;
        for (const QByteArray& id : std::as_const(m_requestIds))
            idLogged = idLogged || log.contains(id);
        QVERIFY2(idLogged, "no X-Request-Id of commonHeaders() appears in the log");
        for (const QByteArray& secret : std::as_const(m_secrets))
            QVERIFY2(!log.contains(secret), ("in the log: " + secret).constData());
        // Not in a standard-base64 spelling either (the metadata travels that way).
        for (const QByteArray& secret : std::as_const(m_secrets)) {
            const QByteArray asBase64 =
                QByteArray::fromBase64(secret, QByteArray::Base64UrlEncoding).toBase64();
            QVERIFY2(asBase64.size() < 16 || !log.contains(asBase64),
                     ("in the log: " + asBase64).constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestRelayEndpoints)
#include "tst_relay_endpoints.moc"
