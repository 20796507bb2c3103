// Interruptions and lifetimes over real sockets: downloads and uploads cut mid-way resume to the
// identical bytes; kill -9 of the relay mid-upload and mid-download loses nothing that was finished;
// two relays share one Redis and one blob store; SIGTERM drains; expired shares leave Redis and the
// store; stale upload leases are taken over; a blob left by a kill between a finish/delete and its
// removal is swept. Run against the local store and (tst_relay_resume_s3) against S3 on Ceph.

#include "RelayClient.h"
#include "RelayProcess.h"
#include "TestClock.h"
#include "ots/Crypto.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTest>
#include <QThread>

using namespace ots;
using namespace ots::relaytest;

namespace {

QByteArray headerOf(const QByteArray& wire) {
    return wire.left(wire.indexOf("\r\n\r\n") + 4);
}

QByteArray bodyOf(const QByteArray& wire) {
    return wire.mid(wire.indexOf("\r\n\r\n") + 4);
}

/// Redis' clock in milliseconds (the scripts' clock).
qint64 redisNowMs(quint16 redisPort) {
    const QList<QByteArray> time = redisCli(redisPort, {QStringLiteral("TIME")}).split('\n');
    return time.size() < 2 ? 0
                           : time[0].trimmed().toLongLong() * 1000 + time[1].trimmed().toLongLong() / 1000;
}

QByteArray redisValue(quint16 redisPort, const QStringList& command) {
    return redisCli(redisPort, command).trimmed();
}

QString leaseKey(const QByteArray& id) {
    return QStringLiteral("ots:{%1}:lease").arg(QString::fromLatin1(id));
}

QString blobPathIn(const QString& dataDir, const QByteArray& id) {
    const QString text = QString::fromLatin1(id);
    return QDir(dataDir).filePath(QStringLiteral("blobs/%1/%2/%3").arg(text.left(2), text.mid(2, 2), text));
}

} // namespace

class TestRelayResume : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    RelayClient m_client{0};

    QString dataDir() const { return m_fixture.dataDir.path(); }

    /// Makes the relay's removal of these shares' sealed blobs fail while the blobs stay: afterwards
    /// Redis and the store are as a kill -9 between the finish/delete script and the blob's removal
    /// leaves them. Local store: a non-empty folder where each blob was, so that its unlink fails (the
    /// blob waits aside). S3: a bucket policy that denies s3:DeleteObject on their keys. restoreBlobs()
    /// undoes it; the blobs are then the orphans the sweep must find.
    bool blockBlobRemoval(const QList<QByteArray>& ids) const {
        if (!m_fixture.ceph) {
            for (const QByteArray& id : ids) {
                const QString path = blobPathIn(dataDir(), id);
                if (!QFile::rename(path, path + QStringLiteral(".kept")) ||
                    !QDir().mkpath(path + QStringLiteral("/x")))
                    return false;
            }
            return true;
        }
        QJsonArray resources;
        for (const QByteArray& id : ids)
            resources.append(
                QStringLiteral("arn:aws:s3:::%1/%2").arg(m_fixture.ceph->bucket(), m_fixture.blobKey(id)));
        const QJsonObject deny{{QStringLiteral("Effect"), QStringLiteral("Deny")},
                               {QStringLiteral("Principal"), QStringLiteral("*")},
                               {QStringLiteral("Action"), QStringLiteral("s3:DeleteObject")},
                               {QStringLiteral("Resource"), resources}};
        const QJsonObject policy{{QStringLiteral("Version"), QStringLiteral("2012-10-17")},
                                 {QStringLiteral("Statement"), QJsonArray{deny}}};
        const test::CephCluster::Answer answer = m_fixture.ceph->request(
            "PUT", QLatin1Char('/') + m_fixture.ceph->bucket(), {{QStringLiteral("policy"), QString()}},
            QJsonDocument(policy).toJson(QJsonDocument::Compact));
        if (answer.status != 200 && answer.status != 204)
            qWarning("PUT bucket policy: HTTP %d %s", answer.status, answer.body.constData());
        return answer.status == 200 || answer.status == 204;
    }
    bool restoreBlobs(const QList<QByteArray>& ids) const {
        if (!m_fixture.ceph) {
            for (const QByteArray& id : ids) {
                const QString path = blobPathIn(dataDir(), id);
                if (!QDir(path).removeRecursively() || !QFile::rename(path + QStringLiteral(".kept"), path))
                    return false;
            }
            return true;
        }
        const test::CephCluster::Answer answer = m_fixture.ceph->request(
            "DELETE", QLatin1Char('/') + m_fixture.ceph->bucket(), {{QStringLiteral("policy"), QString()}});
        if (answer.status != 204 && answer.status != 200)
            qWarning("DELETE bucket policy: HTTP %d %s", answer.status, answer.body.constData());
        return answer.status == 204 || answer.status == 200;
    }
    /// The share's sealed blob is in the store: the file DATA/blobs/XY/ZW/ID, or the object PREFIX b/ID.
    bool blobStored(const QByteArray& id) const {
        if (!m_fixture.ceph)
            return QFileInfo(blobPathIn(dataDir(), id)).isFile();
        return m_fixture.stored(id).contains(m_fixture.blobKey(id));
    }

    /// What a crash long ago leaves of an upload whose share Redis does not know, written behind the
    /// relay's back: a partial file uploads/ID.part (local store) or a tail object PREFIX t/ID/5242880-0
    /// (S3). Its name as stored() lists it; empty when it could not be made.
    QString leaveStrayUpload(const QString& id) const {
        if (!m_fixture.ceph) {
            const QString name = QStringLiteral("uploads/%1.part").arg(id);
            QFile stray(QDir(dataDir()).filePath(name));
            return stray.open(QIODevice::WriteOnly) && stray.write("left over") == 9 ? name : QString();
        }
        const QString key = m_fixture.s3Prefix + QStringLiteral("t/%1/5242880-0").arg(id);
        return m_fixture.ceph->request("PUT", m_fixture.objectPath(key), {}, "left over").status == 200
                   ? key
                   : QString();
    }

    // Waits until the relay has read at least `bytes` more request bytes than `before` (its own
    // counter), so that a test knows a body it wrote has reached the relay, not only the kernel.
    static bool relayReceived(const RelayClient& client, double before, qint64 bytes) {
        return waitUntil(
            [&] { return client.metric("ots_http_bytes_received_total") >= before + double(bytes); }, 10'000);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY2(m_fixture.start(), m_fixture.error());
        m_client = m_fixture.client();
    }

    void cleanupTestCase() {
        m_fixture.relay.stop();
        // A clean drain exits 0 (in a sanitizer build, a report at exit would fail it).
        QVERIFY2(m_fixture.relay.exitedCleanly(), m_fixture.relay.log().right(3000).constData());
    }

    void interruptedDownloadResumes() {
        TestShare share = TestShare::make({.payloadBytes = 6 << 20});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        const HttpResponse reservation = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);

        // Three interruptions at growing offsets, each by dropping the connection mid-body.
        QByteArray received;
        for (const qint64 stopAt : {qint64(1) << 20, qint64(3) << 20, qint64(5) << 20}) {
            HttpConnection connection(m_client.port());
            QVERIFY(connection.connect());
            const QByteArray range =
                received.isEmpty() ? QByteArray() : "bytes=" + QByteArray::number(received.size()) + '-';
            QVERIFY(connection.writeAll(
                RelayClient::downloadRequest(share.id, ticket, range).serialize(m_client.port())));
            const HttpResponse partial = connection.readResponse(false, 20'000, stopAt - received.size());
            QVERIFY2(partial.status == (received.isEmpty() ? 200 : 206), partial.describe().constData());
            QVERIFY(!partial.complete);
            received += partial.body;
            connection.abort();
        }
        QVERIFY(received.size() >= (5 << 20) && received.size() < share.ciphertext.size());
        QVERIFY(received == share.ciphertext.left(received.size()));

        // The share is untouched by the aborted transfers: still one reserved download.
        const HttpResponse info = m_client.info(share.id);
        OTS_EXPECT_STATUS(info, 200);
        QCOMPARE(info.json().value(QStringLiteral("state")).toString(), QStringLiteral("ready"));

        const HttpResponse rest =
            m_client.download(share.id, ticket, "bytes=" + QByteArray::number(received.size()) + '-');
        OTS_EXPECT_STATUS(rest, 206);
        QCOMPARE(rest.header("content-range"), "bytes " + QByteArray::number(received.size()) + '-' +
                                                   QByteArray::number(share.ciphertext.size() - 1) + '/' +
                                                   QByteArray::number(share.ciphertext.size()));
        received += rest.body;
        QVERIFY(received == share.ciphertext);
        OTS_EXPECT_STATUS(m_client.finish(share.id, ticket), 200);
        QVERIFY(waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));
    }

    void interruptedUploadResumes_data() {
        QTest::addColumn<bool>("reset");
        QTest::newRow("client closes (FIN)") << false;
        QTest::newRow("client resets (RST)") << true;
    }

    void interruptedUploadResumes() {
        QFETCH(bool, reset);
        TestShare share = TestShare::make({.payloadBytes = 4 << 20});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        const qint64 size = share.ciphertext.size();
        const qint64 sent = size / 2 + 12345;

        // PATCH announcing the whole body, then the connection dies after half of it.
        const QByteArray wire =
            RelayClient::appendRequest(share, 0, share.ciphertext).serialize(m_client.port());
        const double before = m_client.metric("ots_http_bytes_received_total");
        HttpConnection connection(m_client.port());
        QVERIFY(connection.connect());
        QVERIFY(connection.writeAll(headerOf(wire) + bodyOf(wire).left(sent)));
        QVERIFY(relayReceived(m_client, before, sent));
        if (reset)
            connection.abort();
        else
            connection.close();

        // The relay keeps what arrived: HEAD reports it once the cut append has ended.
        qint64 offset = 0;
        QVERIFY(waitUntil(
            [&] {
                const HttpResponse head = m_client.uploadOffset(share);
                offset = head.header("upload-offset").toLongLong();
                return head.status == 204 && offset > 0;
            },
            10'000));
        qInfo("sent %lld bytes before the cut; the relay kept %lld", sent, offset);
        QVERIFY2(offset <= sent, QByteArray::number(offset).constData());
        if (!reset)
            QCOMPARE(offset, sent); // a clean close delivers every byte sent

        // Not downloadable before completion.
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 409, "not_ready");
        ChallengeNonce madeUp{};
        randomBytes(madeUp);
        const HttpResponse reserveEarly =
            m_client.send(RelayClient::proofRequest(share, "reservations", share.proof(b64u(madeUp))));
        QVERIFY2(reserveEarly.status == 409 && reserveEarly.errorCode() == QStringLiteral("not_ready"),
                 reserveEarly.describe().constData());
        OTS_EXPECT_ERROR(m_client.complete(share), 409, "incomplete");
        OTS_EXPECT_ERROR(m_client.download(share.id, b64u(pattern(32))), 401, "unauthorized");

        // Resume from the reported offset.
        OTS_EXPECT_STATUS(m_client.uploadFrom(share, offset, 1 << 20), 204);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        const HttpResponse content = m_client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
    }

    void killedMidUploadAndMidDownload() {
        // A finished share nobody touches, one being downloaded, one being uploaded.
        TestShare finished = TestShare::make({.payloadBytes = 300'000, .seed = 1});
        OTS_EXPECT_STATUS(m_client.createReady(finished), 200);
        // Large enough that the socket buffers cannot hold the rest of the download.
        TestShare downloading = TestShare::make({.payloadBytes = 32 << 20, .seed = 2});
        OTS_EXPECT_STATUS(m_client.createReady(downloading), 200);
        const HttpResponse reservation = m_client.prove(downloading, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        TestShare uploading = TestShare::make({.payloadBytes = 8 << 20, .seed = 3});
        OTS_EXPECT_STATUS(m_client.create(uploading), 201);
        const qint64 firstPiece = 1 << 20;
        OTS_EXPECT_STATUS(m_client.append(uploading, 0, uploading.ciphertext.left(firstPiece)), 204);

        // The upload streams its second piece slowly: 2 MiB of 7 MiB have gone when the relay dies.
        const double before = m_client.metric("ots_http_bytes_received_total");
        const QByteArray uploadWire =
            RelayClient::appendRequest(uploading, firstPiece, uploading.ciphertext.mid(firstPiece))
                .serialize(m_client.port());
        HttpConnection upload(m_client.port());
        QVERIFY(upload.connect());
        QVERIFY(upload.writeAll(headerOf(uploadWire) + bodyOf(uploadWire).left(2 << 20)));
        QVERIFY(relayReceived(m_client, before, 2 << 20));

        // The download reads slowly: 1 MiB taken, the rest waits in the relay.
        HttpConnection download(m_client.port());
        QVERIFY(download.connect());
        QVERIFY(download.writeAll(
            RelayClient::downloadRequest(downloading.id, ticket).serialize(m_client.port())));
        const HttpResponse partial = download.readResponse(false, 20'000, 1 << 20);
        OTS_EXPECT_STATUS(partial, 200);
        QVERIFY(!partial.complete);

        // A stray partial upload without a share key (a crash long ago): start-up may remove it.
        const QString strayName = leaveStrayUpload(QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA"));
        QVERIFY(!strayName.isEmpty());
        const QStringList onDisk = m_fixture.stored(QString());
        QVERIFY(onDisk.contains(strayName));

        m_fixture.relay.kill();
        QVERIFY(!m_fixture.relay.isRunning());
        // Whatever reached this side before the crash is a valid prefix.
        QVERIFY(download.waitForClose(5000));
        QByteArray received = partial.body + download.pending();
        QVERIFY(received == downloading.ciphertext.left(received.size()));
        upload.abort();

        QVERIFY2(m_fixture.relay.restart(), qPrintable(m_fixture.relay.error()));
        m_client = m_fixture.client();

        // Nothing stored was lost but the stray partial upload, which start-up removes.
        QVERIFY(waitUntil([&] { return !m_fixture.stored(QString()).contains(strayName); },
                          m_fixture.storeWaitMs(5000)));
        const QStringList afterRestart = m_fixture.stored(QString());
        for (const QString& file : onDisk)
            QVERIFY2(file == strayName || afterRestart.contains(file), qPrintable(file));

        // The finished share downloads identically.
        const HttpResponse finishedContent = m_client.reserveAndDownload(finished);
        OTS_EXPECT_STATUS(finishedContent, 200);
        QVERIFY(finishedContent.body == finished.ciphertext);

        // The interrupted download resumes with its ticket, which lives in Redis.
        const HttpResponse rest =
            m_client.download(downloading.id, ticket, "bytes=" + QByteArray::number(received.size()) + '-');
        OTS_EXPECT_STATUS(rest, 206);
        received += rest.body;
        QVERIFY(received == downloading.ciphertext);
        OTS_EXPECT_STATUS(m_client.finish(downloading.id, ticket), 200);

        // The interrupted upload resumes from the offset the relay reports.
        const HttpResponse head = m_client.uploadOffset(uploading);
        OTS_EXPECT_STATUS(head, 204);
        const qint64 offset = head.header("upload-offset").toLongLong();
        qInfo("after kill -9 and restart: download resumed at %lld, upload at offset %lld",
              qint64(received.size()), offset);
        QVERIFY2(offset >= firstPiece && offset <= firstPiece + (2 << 20),
                 head.header("upload-offset").constData());
        OTS_EXPECT_STATUS(m_client.uploadFrom(uploading, offset, 3 << 20), 204);
        OTS_EXPECT_STATUS(m_client.complete(uploading), 200);
        const HttpResponse uploadedContent = m_client.reserveAndDownload(uploading);
        OTS_EXPECT_STATUS(uploadedContent, 200);
        QVERIFY(uploadedContent.body == uploading.ciphertext);
    }

    // Small shares uploaded and completed side by side: the appends' fdatasync and the blobs' renames
    // share fsyncs of the uploads folder (relay/src/GroupSync.h), and complete no longer syncs the part
    // itself. Every share the relay acknowledged is still there after kill -9, byte for byte.
    void concurrentSmallSharesSurviveKill() {
        constexpr int kShares = 12;
        QList<TestShare> shares;
        QList<HttpRequest> appends;
        for (int i = 0; i < kShares; ++i) {
            shares.append(TestShare::make({.payloadBytes = 200'000 + i * 1000, .seed = 40 + i}));
            OTS_EXPECT_STATUS(m_client.create(shares.back()), 201);
            appends.append(RelayClient::appendRequest(shares.back(), 0, shares.back().ciphertext));
        }
        for (const HttpResponse& appended : sendConcurrently(m_client.port(), appends))
            OTS_EXPECT_STATUS(appended, 204);
        QList<HttpRequest> completes;
        for (const TestShare& share : shares)
            completes.append(
                HttpRequest{"POST", RelayClient::sharePath(share.id, "/complete"), {}, {}}.bearer(
                    share.ownerToken));
        for (const HttpResponse& completed : sendConcurrently(m_client.port(), completes))
            OTS_EXPECT_STATUS(completed, 200);

        m_fixture.relay.kill();
        QVERIFY(!m_fixture.relay.isRunning());
        QVERIFY2(m_fixture.relay.restart(), qPrintable(m_fixture.relay.error()));
        m_client = m_fixture.client();
        for (const TestShare& share : shares) {
            const HttpResponse content = m_client.reserveAndDownload(share);
            OTS_EXPECT_STATUS(content, 200);
            QVERIFY(content.body == share.ciphertext);
        }
    }

    void twoRelaysShareRedisAndData() {
        RelayProcess second;
        QVERIFY2(m_fixture.startAnother(second), qPrintable(second.error()));
        const RelayClient a = m_client;
        const RelayClient b = second.client();

        // Created and half uploaded through A, the rest through B; complete through B.
        TestShare share = TestShare::make({.payloadBytes = 3 << 20, .maxDownloads = 2});
        OTS_EXPECT_STATUS(a.create(share), 201);
        const qint64 half = share.ciphertext.size() / 2;
        OTS_EXPECT_STATUS(a.append(share, 0, share.ciphertext.left(half)), 204);
        const HttpResponse headB = b.uploadOffset(share);
        QCOMPARE(headB.header("upload-offset"), QByteArray::number(half));
        OTS_EXPECT_STATUS(b.uploadFrom(share, half), 204);
        OTS_EXPECT_STATUS(b.complete(share), 200);

        // The challenge comes from A, the proof goes to B: the nonce lives in Redis.
        const HttpResponse challenge = a.challenge(share.id);
        OTS_EXPECT_STATUS(challenge, 200);
        const HttpResponse reservation = b.send(
            RelayClient::proofRequest(share, "reservations", share.proof(RelayClient::nonceOf(challenge))));
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        const HttpResponse viaB = b.download(share.id, ticket);
        OTS_EXPECT_STATUS(viaB, 200);
        QVERIFY(viaB.body == share.ciphertext);
        const HttpResponse viaA = a.download(share.id, ticket, "bytes=100-");
        OTS_EXPECT_STATUS(viaA, 206);
        QVERIFY(viaA.body == share.ciphertext.mid(100));
        OTS_EXPECT_STATUS(a.finish(share.id, ticket), 200);

        // The second download: reserved through B, read through A, finished through B.
        const HttpResponse second2 = b.prove(share, "reservations");
        OTS_EXPECT_STATUS(second2, 201);
        const HttpResponse content = a.download(share.id, RelayClient::ticketOf(second2));
        QVERIFY(content.body == share.ciphertext);
        OTS_EXPECT_STATUS(b.finish(share.id, RelayClient::ticketOf(second2)), 200);
        OTS_EXPECT_ERROR(a.info(share.id), 410, "downloaded");
        OTS_EXPECT_ERROR(b.info(share.id), 410, "downloaded");
        QVERIFY(waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));

        // Deleted through one, gone through the other.
        TestShare other = TestShare::make({});
        OTS_EXPECT_STATUS(b.createReady(other), 200);
        OTS_EXPECT_STATUS(a.remove(other), 204);
        OTS_EXPECT_ERROR(b.info(other.id), 410, "deleted");
        second.stop();
        QVERIFY2(second.exitedCleanly(), second.log().right(3000).constData());
    }

    void sigtermDrainsRunningDownload() {
        RelayProcess draining;
        QVERIFY2(m_fixture.startAnother(draining), qPrintable(draining.error()));
        const RelayClient client = draining.client();
        TestShare share = TestShare::make({.payloadBytes = 8 << 20});
        OTS_EXPECT_STATUS(client.createReady(share), 200);
        const HttpResponse reservation = client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);

        HttpConnection download(client.port());
        QVERIFY(download.connect());
        QVERIFY(download.writeAll(RelayClient::downloadRequest(share.id, RelayClient::ticketOf(reservation))
                                      .serialize(client.port())));
        HttpResponse response = download.readResponse(false, 20'000, 1 << 20);
        OTS_EXPECT_STATUS(response, 200);

        draining.sendTerminate();
        // Once the drain has begun, new requests are refused (503) or find the port closed.
        HttpResponse late;
        QVERIFY(waitUntil(
            [&] {
                late = client.get("/readyz");
                return late.status != 200;
            },
            5000));
        QVERIFY2(late.status == 503 || late.status == 0, late.describe().constData());
        // The running download still completes.
        download.continueBody(response, -1, 30'000);
        QVERIFY2(response.complete, response.describe().constData());
        QVERIFY(response.body == share.ciphertext);
        QVERIFY(draining.waitForExit(15'000));
        QVERIFY2(draining.exitedCleanly(), draining.log().right(3000).constData());
    }

    // The default lifetimes (challenge 2 min, ticket 1 h), run out on the test clock.
    void lapsedNoncesAndTickets() {
        RelayProcess fast;
        TestClock clock(m_fixture.redis.port());
        QVERIFY2(m_fixture.startAnother(
                     fast, TestClock::arguments() +
                               QStringList{QStringLiteral("--sweep-interval"), QStringLiteral("1s")}),
                 qPrintable(fast.error()));
        const RelayClient client = fast.client();
        // Expiring long after the ticket lapses: the share goes because its only download lapsed.
        TestShare share =
            TestShare::make({.payloadBytes = 50'000, .expiresIn = 24 * 3600, .maxDownloads = 1});
        OTS_EXPECT_STATUS(client.createReady(share), 200);

        // A nonce older than challenge-lifetime is refused; one second younger it was still good.
        const HttpResponse challenge = client.challenge(share.id);
        OTS_EXPECT_STATUS(challenge, 200);
        QCOMPARE(challenge.json().value(QStringLiteral("expiresIn")).toInt(), 120);
        const QJsonObject lateProof = share.proof(RelayClient::nonceOf(challenge));
        clock.advance(121);
        OTS_EXPECT_ERROR(client.send(RelayClient::proofRequest(share, "reservations", lateProof)), 410,
                         "challenge_invalid");
        const HttpResponse fresh = client.challenge(share.id);
        OTS_EXPECT_STATUS(fresh, 200);
        clock.advance(119);
        OTS_EXPECT_STATUS(client.send(RelayClient::proofRequest(share, "metadata",
                                                                share.proof(RelayClient::nonceOf(fresh)))),
                          200);

        // A ticket that lapses unfinished ends its download: the only one, so the share goes
        // (tombstone "downloaded") and its blob with it.
        const HttpResponse reservation = client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        QCOMPARE(reservation.json().value(QStringLiteral("expiresIn")).toInt(), 3600);
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        OTS_EXPECT_STATUS(client.download(share.id, ticket, "bytes=0-99"), 206);
        clock.advance(3601);
        HttpResponse info;
        QVERIFY2(waitUntil(
                     [&] {
                         info = client.info(share.id);
                         return info.status == 410;
                     },
                     10'000),
                 info.describe().constData());
        QCOMPARE(info.errorCode(), QStringLiteral("downloaded"));
        const HttpResponse late = client.download(share.id, ticket, "bytes=100-");
        QVERIFY2(late.status == 401 || late.status == 410, late.describe().constData());
        QVERIFY(
            waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(10'000)));
        QCOMPARE(keysLeftBehind(m_fixture.redis.port(), share.id), QList<QByteArray>{});
        fast.stop();
    }

    // Regression (issue 7, fault suite): an upload's lease (ots:{id}:lease) outlived the append that
    // took it — after Redis failed at the append's end, or after a kill -9 before the partial file
    // existed — and every resume was refused with 409 upload_in_progress for the lease's hour.
    void staleLeasesAreTakenOver() {
        const quint16 redisPort = m_fixture.redis.port();
        TestShare share = TestShare::make({.payloadBytes = 3 << 20, .seed = 11});
        OTS_EXPECT_STATUS(m_client.create(share), 201);

        // The lease value this relay process writes, read while an append streams.
        const qint64 piece = 1 << 20;
        const QByteArray wire =
            RelayClient::appendRequest(share, 0, share.ciphertext.left(piece)).serialize(m_client.port());
        HttpConnection slow(m_client.port());
        QVERIFY(slow.connect());
        const double before = m_client.metric("ots_http_bytes_received_total");
        QVERIFY(slow.writeAll(headerOf(wire) + bodyOf(wire).left(64 << 10)));
        QVERIFY(relayReceived(m_client, before, 64 << 10));
        const QByteArray lease = redisValue(redisPort, {QStringLiteral("GET"), leaseKey(share.id)});
        QVERIFY2(lease.size() > 49, lease.constData());
        // A second append meanwhile is refused: the first one is running.
        OTS_EXPECT_ERROR(m_client.append(share, 0, share.ciphertext.left(10)), 409, "upload_in_progress");
        QVERIFY(slow.writeAll(bodyOf(wire).mid(64 << 10)));
        OTS_EXPECT_STATUS(slow.readResponse(), 204);
        QVERIFY(redisValue(redisPort, {QStringLiteral("EXISTS"), leaseKey(share.id)}) == "0");

        // 1. What an append's end that never reached Redis leaves: this process's lease, an hour to
        //    live, no append running. The owner's resume takes it over at once.
        QCOMPARE(redisValue(redisPort, {QStringLiteral("SET"), leaseKey(share.id), QString::fromLatin1(lease),
                                        QStringLiteral("PX"), QStringLiteral("3600000")}),
                 QByteArray("OK"));
        OTS_EXPECT_STATUS(m_client.append(share, piece, share.ciphertext.mid(piece, piece)), 204);

        // 2. A lease of another relay is respected (its append may be streaming right now).
        const QString foreign =
            QStringLiteral("elsewhere:8080:/srv/ots/0123456789abcdef-") + QString(32, QLatin1Char('0'));
        redisCli(redisPort, {QStringLiteral("SET"), leaseKey(share.id), foreign, QStringLiteral("PX"),
                             QStringLiteral("3600000")});
        OTS_EXPECT_ERROR(m_client.append(share, 2 * piece, share.ciphertext.mid(2 * piece)), 409,
                         "upload_in_progress");

        // 3. A lease of this relay's previous run on a share without a partial file (a kill -9
        //    between the begin script and the file's creation): released by the restart.
        TestShare fresh = TestShare::make({.payloadBytes = 200'000, .seed = 12});
        OTS_EXPECT_STATUS(m_client.create(fresh), 201);
        const QString previousRun = QString::fromLatin1(lease.left(lease.size() - 49)) +
                                    QStringLiteral("ffffffffffffffff-") + QString(32, QLatin1Char('0'));
        redisCli(redisPort, {QStringLiteral("SET"), leaseKey(fresh.id), previousRun, QStringLiteral("PX"),
                             QStringLiteral("3600000")});
        QVERIFY(m_fixture.stored(fresh.id).isEmpty());
        m_fixture.relay.kill();
        QVERIFY2(m_fixture.relay.restart(), qPrintable(m_fixture.relay.error()));
        m_client = m_fixture.client();
        QVERIFY(redisValue(redisPort, {QStringLiteral("EXISTS"), leaseKey(fresh.id)}) == "0");
        OTS_EXPECT_STATUS(m_client.uploadFrom(fresh, 0), 204);
        OTS_EXPECT_STATUS(m_client.complete(fresh), 200);
        // … while the other relay's lease survived the restart.
        QCOMPARE(redisValue(redisPort, {QStringLiteral("GET"), leaseKey(share.id)}), foreign.toLatin1());
        redisCli(redisPort, {QStringLiteral("DEL"), leaseKey(share.id)});
        OTS_EXPECT_STATUS(m_client.uploadFrom(share, 2 * piece), 204);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        const HttpResponse content = m_client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
    }

    // Regression (issue 7, fault suite): a relay killed after the finish or delete script had deleted
    // a share's keys but before it removed the blob left the blob until the share's original expiry,
    // because the expiry index entry still pointed there. The relay now brings the entry forward to
    // within the cleanup grace before such a script, so the sweep finds the orphan; a live share's
    // blob stays, and its entry goes back to its expiry.
    void blobLeftByKilledFinishOrDeleteIsSwept() {
        const quint16 redisPort = m_fixture.redis.port();
        RelayProcess fast;
        TestClock clock(redisPort);
        QVERIFY2(m_fixture.startAnother(
                     fast, TestClock::arguments() +
                               QStringList{QStringLiteral("--sweep-interval"), QStringLiteral("1s")}),
                 qPrintable(fast.error()));
        const RelayClient client = fast.client();
        TestShare finished = TestShare::make({.payloadBytes = 100'000, .seed = 21});
        TestShare deleted = TestShare::make({.payloadBytes = 100'000, .seed = 22});
        TestShare live = TestShare::make({.payloadBytes = 100'000, .maxDownloads = 2, .seed = 23});
        for (TestShare* share : {&finished, &deleted, &live})
            OTS_EXPECT_STATUS(client.createReady(*share), 200);
        const HttpResponse reservation = client.prove(finished, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const HttpResponse liveReservation = client.prove(live, "reservations");
        OTS_EXPECT_STATUS(liveReservation, 201);

        QVERIFY(blockBlobRemoval({finished.id, deleted.id}));
        const qint64 startMs = redisNowMs(redisPort);
        OTS_EXPECT_STATUS(client.finish(finished.id, RelayClient::ticketOf(reservation)), 200);
        OTS_EXPECT_STATUS(client.remove(deleted), 204);
        OTS_EXPECT_STATUS(client.finish(live.id, RelayClient::ticketOf(liveReservation)), 200);

        // The state a kill -9 at that point leaves: keys gone, tombstone set, blob still there, and the
        // expiry entry (with the quota) still there — now due within the grace, not at the expiry.
        for (const TestShare* share : {&finished, &deleted}) {
            const QString id = QString::fromLatin1(share->id);
            QVERIFY(redisValue(redisPort,
                               {QStringLiteral("EXISTS"), QStringLiteral("ots:{%1}:share").arg(id)}) == "0");
            QVERIFY(!redisValue(redisPort, {QStringLiteral("GET"), QStringLiteral("ots:{%1}:gone").arg(id)})
                         .isEmpty());
            const QByteArray due =
                redisValue(redisPort, {QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), id});
            QVERIFY2(!due.isEmpty() && due.toLongLong() <= startMs + 60'000,
                     qPrintable(QStringLiteral("expiry entry of %1: '%2', now %3")
                                    .arg(id, QString::fromLatin1(due))
                                    .arg(startMs)));
        }
        QVERIFY(restoreBlobs({finished.id, deleted.id}));
        QVERIFY(blobStored(finished.id));
        QVERIFY(blobStored(deleted.id));

        // The sweep removes both orphans (and their quota and entries) once the grace (15 s, passed on
        // the test clock) has passed.
        clock.advance(16);
        for (const TestShare* share : {&finished, &deleted}) {
            const QString id = QString::fromLatin1(share->id);
            QVERIFY2(waitUntil([&] { return m_fixture.stored(id).isEmpty(); }, m_fixture.storeWaitMs(10'000)),
                     qPrintable(m_fixture.stored(id).join(QLatin1Char(' '))));
            QVERIFY(waitUntil(
                [&] {
                    return redisValue(redisPort,
                                      {QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), id})
                               .isEmpty() &&
                           redisValue(redisPort, {QStringLiteral("HGET"), QStringLiteral("{ots}:sizes"), id})
                               .isEmpty();
                },
                5000));
        }
        // The live share (one of two downloads finished) kept its blob, and the sweep moved its entry
        // back to its expiry.
        const QString liveId = QString::fromLatin1(live.id);
        QVERIFY(blobStored(live.id));
        QVERIFY(waitUntil(
            [&] {
                return redisValue(redisPort,
                                  {QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), liveId})
                           .toLongLong() >= live.expiresAt * 1000;
            },
            10'000));
        const HttpResponse second = client.reserveAndDownload(live);
        OTS_EXPECT_STATUS(second, 200);
        QVERIFY(second.body == live.ciphertext);
        fast.stop();
    }

    void expiredSharesLeaveRedisAndDisk() {
        RelayProcess fast;
        TestClock clock(m_fixture.redis.port());
        QVERIFY2(m_fixture.startAnother(
                     fast, TestClock::arguments() +
                               QStringList{QStringLiteral("--sweep-interval"), QStringLiteral("1s")}),
                 qPrintable(fast.error()));
        const RelayClient client = fast.client();
        TestShare ready = TestShare::make({.payloadBytes = 100'000, .expiresIn = 600});
        OTS_EXPECT_STATUS(client.createReady(ready), 200);
        TestShare partial = TestShare::make({.payloadBytes = 100'000, .expiresIn = 600});
        OTS_EXPECT_STATUS(client.create(partial), 201);
        OTS_EXPECT_STATUS(client.append(partial, 0, partial.ciphertext.left(5000)), 204);
        TestShare lasting = TestShare::make({.payloadBytes = 1000, .expiresIn = 24 * 3600});
        OTS_EXPECT_STATUS(client.createReady(lasting), 200);
        const double sweptBefore =
            RelayClient::metricIn(client.get("/metrics").body, "ots_shares_swept_total") +
            m_client.metric("ots_shares_swept_total");

        // Live a second before their expiry, gone for clients as soon as it comes (expiresAt is in whole
        // seconds: the partial share, created a moment later, may expire a second later). The real
        // clock runs on too: what is stored is looked at only after the first check, as that look may
        // take a second in the bucket's index.
        clock.advance(598);
        OTS_EXPECT_STATUS(client.info(ready.id), 200);
        OTS_EXPECT_STATUS(client.info(partial.id), 200);
        QCOMPARE(m_fixture.stored(ready.id).size(), qsizetype(1));
        QCOMPARE(m_fixture.stored(partial.id).size(), qsizetype(1));
        clock.advance(3);
        for (const TestShare* share : {&ready, &partial}) {
            const HttpResponse info = client.info(share->id);
            QVERIFY2(info.status == 404 ||
                         (info.status == 410 && info.errorCode() == QStringLiteral("expired")),
                     info.describe().constData());
        }
        OTS_EXPECT_STATUS(client.info(lasting.id), 200);

        // Gone from Redis (but the tombstone) and from disk within a few sweep intervals.
        for (const TestShare* share : {&ready, &partial}) {
            const QString id = QString::fromLatin1(share->id);
            QVERIFY2(waitUntil([&] { return keysLeftBehind(m_fixture.redis.port(), share->id).isEmpty(); },
                               10'000),
                     shareKeys(m_fixture.redis.port(), share->id).join(' ').constData());
            QVERIFY2(waitUntil([&] { return m_fixture.stored(id).isEmpty(); }, m_fixture.storeWaitMs(10'000)),
                     qPrintable(m_fixture.stored(id).join(QLatin1Char(' '))));
            QVERIFY(redisCli(m_fixture.redis.port(),
                             {QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), id})
                        .trimmed()
                        .isEmpty());
            QVERIFY(
                redisCli(m_fixture.redis.port(), {QStringLiteral("HGET"), QStringLiteral("{ots}:sizes"), id})
                    .trimmed()
                    .isEmpty());
        }
        // Whichever relay's sweeper claimed them (ZREM decides) counted them.
        const double sweptAfter =
            RelayClient::metricIn(client.get("/metrics").body, "ots_shares_swept_total") +
            m_client.metric("ots_shares_swept_total");
        QVERIFY2(sweptAfter >= sweptBefore + 2, QByteArray::number(sweptAfter).constData());
        // The lasting share was not touched.
        QCOMPARE(m_fixture.stored(lasting.id).size(), qsizetype(1));
        OTS_EXPECT_STATUS(client.info(lasting.id), 200);
        fast.stop();
    }

    // Issue 13, must show 3: twenty creates that never upload a byte fill the quota; after
    // upload-idle-timeout (the default hour, passed on the test clock) the sweeper deletes them (410
    // expired) and the quota is back, while a share whose upload keeps moving the whole time is never
    // touched and completes.
    void stalledUploadsReleaseTheirQuota() {
        constexpr int kAbandoned = 20;
        constexpr qint64 kPayload = 100'000;
        constexpr qint64 kExpiresIn = 24 * 3600; // far beyond the idle timeout: only stalling ends them
        TestShare moving = TestShare::make({.payloadBytes = kPayload, .expiresIn = kExpiresIn, .seed = 40});
        const qint64 size = moving.ciphertext.size();
        // What a share holds of the quota (SPEC §10.13 §10.1): its ciphertext and its Redis footprint,
        // the metadata envelope plus 2048 bytes. All shares here have envelopes of one size.
        const qint64 held = size + moving.metadataEnvelope.size() + 2048;
        RelayFixture idle;
        QVERIFY2(idle.start(TestClock::arguments() +
                            QStringList{QStringLiteral("--storage-quota"),
                                        QString::number(held * (kAbandoned + 1)),
                                        QStringLiteral("--max-size"), QString::number(size),
                                        QStringLiteral("--upload-idle-timeout"), QStringLiteral("1h"),
                                        QStringLiteral("--sweep-interval"), QStringLiteral("1s")}),
                 idle.error());
        TestClock clock(idle.redis.port());
        QVERIFY2(idle.relay.log().contains("test clock on"), idle.relay.log().right(2000).constData());
        const RelayClient client = idle.client();
        OTS_EXPECT_STATUS(client.create(moving), 201);
        QList<TestShare> abandoned;
        for (int i = 0; i < kAbandoned; ++i) {
            abandoned.append(
                TestShare::make({.payloadBytes = kPayload, .expiresIn = kExpiresIn, .seed = 41 + i}));
            OTS_EXPECT_STATUS(client.create(abandoned.last()), 201);
        }
        TestShare real = TestShare::make({.payloadBytes = kPayload, .seed = 70});
        OTS_EXPECT_ERROR(client.create(real), 507, "storage_full");

        // The moving share sends a little every 20 minutes for 100 minutes, well over the idle timeout;
        // just before the hour nothing has gone yet.
        qint64 offset = 0;
        const auto appendPiece = [&] {
            const QByteArray piece = moving.ciphertext.mid(offset, 500);
            OTS_EXPECT_STATUS(client.append(moving, offset, piece), 204);
            offset += piece.size();
        };
        for (int step = 0; step < 2; ++step) {
            clock.advance(20 * 60);
            appendPiece();
        }
        clock.advance(20 * 60 - 60); // 59 minutes
        OTS_EXPECT_STATUS(client.info(abandoned.first().id), 200);
        OTS_EXPECT_ERROR(client.create(real), 507, "storage_full");
        clock.advance(60);
        appendPiece();
        for (int step = 0; step < 2; ++step) {
            clock.advance(20 * 60);
            appendPiece();
        }
        // Within a sweep pass (one a second) the stalled ones go and the real share fits. The pass
        // expires them one by one, each share's room back once its blob is removed (with S3: requests
        // to the bucket), so the first room may come back while the pass is still at work.
        QVERIFY2(waitUntil([&] { return client.create(real).status == 201; }, 10'000),
                 "the stalled uploads' quota never came back");
        OTS_EXPECT_STATUS(client.append(real, 0, real.ciphertext), 204);
        OTS_EXPECT_STATUS(client.complete(real), 200);
        for (const TestShare& share : std::as_const(abandoned)) {
            HttpResponse info;
            QVERIFY2(waitUntil(
                         [&] {
                             info = client.info(share.id);
                             return info.status != 200;
                         },
                         10'000),
                     info.describe().constData());
            OTS_EXPECT_ERROR(info, 410, "expired");
            OTS_EXPECT_ERROR(client.append(share, 0, share.ciphertext.left(100)), 410, "expired");
        }
        const auto usage = [&] {
            return redisCli(idle.redis.port(), {QStringLiteral("GET"), QStringLiteral("{ots}:usage")})
                .trimmed();
        };
        QVERIFY(waitUntil([&] { return usage() == QByteArray::number(2 * held); }, 10'000));
        QCOMPARE(usage(), QByteArray::number(2 * held));

        // The moving share was never expired: it completes and downloads whole.
        OTS_EXPECT_STATUS(client.append(moving, offset, moving.ciphertext.mid(offset)), 204);
        OTS_EXPECT_STATUS(client.complete(moving), 200);
        const HttpResponse content = client.reserveAndDownload(moving);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == moving.ciphertext);
        idle.relay.stop();
    }

    // A relay without the test clock (the default) never reads its offset: set two days ahead, it
    // neither gives a create a later expiry nor expires the share, at any endpoint or in its sweeper.
    void testClockOffsetIgnoredWhenOff() {
        RelayProcess plain;
        QVERIFY2(m_fixture.startAnother(plain, {QStringLiteral("--sweep-interval"), QStringLiteral("1s")}),
                 qPrintable(plain.error()));
        const RelayClient client = plain.client();
        TestClock clock(m_fixture.redis.port());
        clock.advance(2 * 24 * 3600);
        TestShare share = TestShare::make({.payloadBytes = 1000, .expiresIn = 60, .maxDownloads = 2});
        OTS_EXPECT_STATUS(client.createReady(share), 200);
        QVERIFY2(qAbs(share.expiresAt - (QDateTime::currentSecsSinceEpoch() + 60)) <= 5,
                 QByteArray::number(share.expiresAt).constData());
        OTS_EXPECT_STATUS(client.info(share.id), 200);
        OTS_EXPECT_STATUS(client.prove(share, "metadata"), 200);
        // Two sweep passes of this relay go by (a negative check: there is nothing to wait for).
        QThread::msleep(2500);
        OTS_EXPECT_STATUS(client.info(share.id), 200);
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));
        const HttpResponse content = client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
        plain.stop();
    }
};

QTEST_GUILESS_MAIN(TestRelayResume)
#include "tst_relay_resume.moc"
