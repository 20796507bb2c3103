// The S3 blob store against a real S3: a one-node Ceph cluster with its gateway (CephCluster.h), a real
// redis-server and this build's ots-relay with blob-store = s3, all on loopback. What only the S3 store
// has: appends of any size mapped onto 5 MiB multipart parts and tail objects, a bucket that is ahead
// of Redis after a crash, the bucket left empty by finish, delete and expiry, orphans in the bucket
// swept at start-up, and --check-config reaching the bucket. The relay suites that matter (endpoints,
// races, resume, bad input) also run against this store as their *_s3 entries.

#include "CephCluster.h"
#include "RedisServer.h"
#include "RelayClient.h"
#include "RelayProcess.h"
#include "TestClock.h"

#include <QProcess>
#include <QTest>

#include <numeric>

using namespace ots;
using namespace ots::relaytest;

namespace {

constexpr qint64 kMiB = qint64{1} << 20;
constexpr qint64 kPart = 5 * kMiB; // the relay's --s3-part-size here: the smallest S3 allows

} // namespace

class TestRelayS3 : public QObject {
    Q_OBJECT

    test::CephCluster m_ceph;
    RedisServer m_redis;
    QTemporaryDir m_data;
    RelayProcess m_relay;
    RelayClient m_client{0};

    [[nodiscard]] QStringList relayArguments(const QStringList& extra = {}) {
        QStringList arguments = QStringList{QStringLiteral("--s3-part-size"), QStringLiteral("5M"),
                                            QStringLiteral("--sweep-interval"), QStringLiteral("1s")} +
                                TestClock::arguments() + extra;
        useS3Store(m_relay, m_ceph, arguments);
        return arguments;
    }

    /// Everything of the share in the bucket: objects (blob, tails) and multipart uploads.
    [[nodiscard]] QStringList inBucket(const QByteArray& id) {
        QStringList out;
        const auto objects = m_ceph.objects(m_ceph.bucket());
        if (!objects)
            return {QStringLiteral("(bucket index unreadable: %1)").arg(m_ceph.errorString())};
        for (const QString& key : *objects)
            if (key.contains(QString::fromLatin1(id)))
                out << key;
        for (const auto& upload :
             m_ceph.multipartUploads(m_ceph.bucket()).value_or(QList<test::CephCluster::MultipartUpload>{}))
            if (upload.key.contains(QString::fromLatin1(id)))
                out << QStringLiteral("upload:") + upload.key;
        return out;
    }

    [[nodiscard]] QByteArray objectBytes(const QString& key) const {
        const auto answer =
            m_ceph.request("GET", QLatin1Char('/') + m_ceph.bucket() + QLatin1Char('/') + key);
        return answer.status == 200 ? answer.body
                                    : QByteArray("(HTTP ") + QByteArray::number(answer.status) + ')';
    }

    [[nodiscard]] static QString blobKey(const QByteArray& id) {
        return QStringLiteral("ots/b/") + QString::fromLatin1(id);
    }

    /// create, then the ciphertext in appends of the given sizes, each checked, then complete.
    void uploadInPieces(TestShare& share, const QList<qint64>& pieces) {
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        qint64 offset = 0;
        for (const qint64 piece : pieces) {
            const HttpResponse appended = m_client.append(share, offset, share.ciphertext.mid(offset, piece));
            OTS_EXPECT_STATUS(appended, 204);
            offset += std::min(piece, share.ciphertext.size() - offset);
            QCOMPARE(appended.header("upload-offset"), QByteArray::number(offset));
        }
        QCOMPARE(offset, share.ciphertext.size());
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY2(m_ceph.start(), qPrintable(m_ceph.errorString()));
        qInfo("Ceph cluster with RGW up in %lld ms", static_cast<long long>(m_ceph.startMilliseconds()));
        QVERIFY(m_redis.start());
        QVERIFY(m_data.isValid());
        QVERIFY2(m_relay.start(m_redis.port(), m_data.path(), relayArguments()), qPrintable(m_relay.error()));
        m_client = m_relay.client();
    }

    void cleanupTestCase() {
        m_relay.stop();
        m_ceph.stop();
    }

    void appendsOfAnySizeBecomeOneBlob_data() {
        QTest::addColumn<qint64>("size");
        QTest::addColumn<QList<qint64>>("pieces");
        // One append smaller than a part: no multipart upload, one PUT at complete.
        QTest::newRow("one small append") << qint64{300'000} << QList<qint64>{300'000};
        // Appends that end inside parts, on a part boundary, and one byte at a time across one.
        QTest::newRow("across parts")
            << 12 * kMiB + 77 << QList<qint64>{3 * kMiB, 4 * kMiB, 3 * kMiB - 1, 1, 1, 2 * kMiB + 75};
        QTest::newRow("exact parts") << 2 * kPart << QList<qint64>{kPart, kPart};
        QTest::newRow("one big append") << 11 * kMiB << QList<qint64>{11 * kMiB};
    }

    void appendsOfAnySizeBecomeOneBlob() {
        QFETCH(qint64, size);
        QFETCH(QList<qint64>, pieces);
        TestShare share = TestShare::make({.payloadBytes = size - 40 * (size / 65'536 + 1), .seed = 7});
        // The pieces name ciphertext sizes; the last piece takes whatever is left.
        pieces.back() += share.ciphertext.size() - std::accumulate(pieces.begin(), pieces.end(), qint64{0});
        uploadInPieces(share, pieces);
        // Sealed: one object, the blob, byte for byte; no tail, no multipart upload left.
        QCOMPARE(inBucket(share.id), QStringList{blobKey(share.id)});
        QVERIFY(objectBytes(blobKey(share.id)) == share.ciphertext);
        // Through the relay, whole and by range.
        const HttpResponse reservation = m_client.prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = RelayClient::ticketOf(reservation);
        const qint64 first = share.ciphertext.size() / 3;
        const HttpResponse part =
            m_client.download(share.id, ticket, "bytes=" + QByteArray::number(first) + "-");
        OTS_EXPECT_STATUS(part, 206);
        QVERIFY(part.body == share.ciphertext.mid(first));
        const HttpResponse whole = m_client.download(share.id, ticket);
        OTS_EXPECT_STATUS(whole, 200);
        QVERIFY(whole.body == share.ciphertext);
        // The last finish destroys the share: the bucket keeps nothing of it.
        OTS_EXPECT_STATUS(m_client.finish(share.id, ticket), 200);
        QVERIFY2(waitUntil([&] { return inBucket(share.id).isEmpty(); }, 10'000),
                 qPrintable(inBucket(share.id).join(QLatin1Char(' '))));
    }

    void deleteAndExpiryLeaveNothing() {
        // Deleted mid-upload: the tail and the multipart upload go too.
        TestShare uploading = TestShare::make({.payloadBytes = 9 * kMiB, .seed = 8});
        OTS_EXPECT_STATUS(m_client.create(uploading), 201);
        OTS_EXPECT_STATUS(m_client.append(uploading, 0, uploading.ciphertext.left(6 * kMiB)), 204);
        QVERIFY(inBucket(uploading.id).size() >= 2); // a part in an upload, and the tail
        OTS_EXPECT_STATUS(m_client.remove(uploading), 204);
        QCOMPARE(inBucket(uploading.id), QStringList{});

        // Expired, ready and mid-upload: the sweeper removes both once the clock passes the expiry.
        TestShare ready = TestShare::make({.payloadBytes = 200'000, .expiresIn = 120, .seed = 9});
        OTS_EXPECT_STATUS(m_client.createReady(ready), 200);
        TestShare half = TestShare::make({.payloadBytes = 7 * kMiB, .expiresIn = 120, .seed = 10});
        OTS_EXPECT_STATUS(m_client.create(half), 201);
        OTS_EXPECT_STATUS(m_client.append(half, 0, half.ciphertext.left(kPart + 100)), 204);
        QVERIFY(!inBucket(ready.id).isEmpty());
        QVERIFY(!inBucket(half.id).isEmpty());
        {
            TestClock clock(m_redis.port()); // back to Redis' time when it goes
            clock.advance(121);
            for (const TestShare* share : {&ready, &half})
                QVERIFY2(waitUntil([&] { return inBucket(share->id).isEmpty(); }, 15'000),
                         qPrintable(inBucket(share->id).join(QLatin1Char(' '))));
            OTS_EXPECT_ERROR(m_client.info(ready.id), 410, "expired");
        }
    }

    void tinyAppendsMeetTheTailBudget() {
        // Each append reads the tail back and stores it again with its own bytes: a stranger with an
        // owner token cannot make one byte per request cost the bucket a part per request for ever. The
        // share's re-read tail bytes stop at what an upload in 1 MiB appends reads back at most, one part
        // per MiB, plus four parts (SPEC §10.12); the append that would pass that is refused with 409
        // append_limit and changes nothing, and so is every later one.
        TestShare share = TestShare::make({.payloadBytes = 6 * kMiB, .seed = 11});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        const qint64 budget = (share.ciphertext.size() / kMiB + 1) * kPart + 4 * kPart;
        qint64 offset = 4 * kMiB;
        OTS_EXPECT_STATUS(m_client.append(share, 0, share.ciphertext.left(offset)), 204);
        qint64 reread = 0;
        int accepted = 0;
        while (true) {
            reread += offset % kPart; // the tail this append reads back
            const HttpResponse appended = m_client.append(share, offset, share.ciphertext.mid(offset, 1));
            if (reread > budget) {
                OTS_EXPECT_ERROR(appended, 409, "append_limit");
                break;
            }
            OTS_EXPECT_STATUS(appended, 204);
            ++offset;
            ++accepted;
            QVERIFY(accepted < 100);
        }
        QCOMPARE(accepted, 13); // 4 MiB and a few bytes each: the 14th passes 11 parts (55 MiB)
        // Refused for good, whatever the size; the offset stayed where it was.
        OTS_EXPECT_ERROR(m_client.append(share, offset, share.ciphertext.mid(offset)), 409, "append_limit");
        OTS_EXPECT_ERROR(m_client.append(share, offset + 1, share.ciphertext.mid(offset + 1)), 409,
                         "offset_mismatch");
        // The owner can still delete it, and the bucket keeps nothing of it.
        OTS_EXPECT_STATUS(m_client.remove(share), 204);
        QCOMPARE(inBucket(share.id), QStringList{});
    }

    void bucketAheadOfRedisIsCutBack() {
        // A relay that died after the bucket took an append's bytes but before Redis moved the offset
        // leaves a tail longer than the offset (and maybe parts past it). The next append must build on
        // the offset Redis holds, never on those bytes.
        TestShare share = TestShare::make({.payloadBytes = 8 * kMiB, .seed = 11});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        const qint64 offset = 2 * kMiB;
        OTS_EXPECT_STATUS(m_client.append(share, 0, share.ciphertext.left(offset)), 204);
        const QStringList tails = inBucket(share.id).filter(QStringLiteral("/t/"));
        QCOMPARE(tails.size(), qsizetype(1));
        // The crashed append's bytes: garbage where the share's next bytes belong.
        const QByteArray ahead = share.ciphertext.left(offset) + QByteArray(3 * kMiB, 'X');
        QCOMPARE(m_ceph
                     .request("PUT", QLatin1Char('/') + m_ceph.bucket() + QLatin1Char('/') + tails.first(),
                              {}, ahead)
                     .status,
                 200);
        const HttpResponse head = m_client.uploadOffset(share);
        QCOMPARE(head.header("upload-offset"), QByteArray::number(offset));
        OTS_EXPECT_STATUS(m_client.append(share, offset, share.ciphertext.mid(offset)), 204);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        QVERIFY(objectBytes(blobKey(share.id)) == share.ciphertext);
        QCOMPARE(inBucket(share.id), QStringList{blobKey(share.id)});
        OTS_EXPECT_STATUS(m_client.remove(share), 204);
    }

    void killedMidUploadKeepsTheReportedOffset() {
        TestShare share = TestShare::make({.payloadBytes = 14 * kMiB, .seed = 12});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        const qint64 confirmed = 6 * kMiB + 3;
        OTS_EXPECT_STATUS(m_client.append(share, 0, share.ciphertext.left(confirmed)), 204);
        // Half of the next append's body reaches the relay, then the relay is killed.
        HttpConnection upload(m_client.port());
        QVERIFY(upload.connect());
        const QByteArray rest = share.ciphertext.mid(confirmed);
        HttpRequest request = RelayClient::appendRequest(share, confirmed, rest);
        const QByteArray wire = request.serialize(m_client.port());
        QVERIFY(upload.writeAll(wire.left(wire.size() - rest.size() / 2)));
        QTest::qWait(300);
        m_relay.kill();
        QVERIFY2(m_relay.restart(), qPrintable(m_relay.error()));
        m_client = m_relay.client();
        // The offset is what was confirmed, or more if the cut append's bytes reached the bucket first.
        const qint64 offset = m_client.uploadOffset(share).header("upload-offset").toLongLong();
        QVERIFY2(offset >= confirmed && offset <= share.ciphertext.size(),
                 qPrintable(QString::number(offset)));
        OTS_EXPECT_STATUS(m_client.append(share, offset, share.ciphertext.mid(offset)), 204);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        const HttpResponse content = m_client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
        OTS_EXPECT_STATUS(m_client.remove(share), 204);
        QVERIFY2(inBucket(share.id).isEmpty(), qPrintable(inBucket(share.id).join(QLatin1Char(' '))));
    }

    void orphansInTheBucketAreSwept() {
        // Objects and an upload of a share Redis does not know (Redis lost, a relay died long ago):
        // the start-up scan removes them; keys outside the prefix and not named like ours stay.
        const QString orphan = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA");
        const QString path = QLatin1Char('/') + m_ceph.bucket() + QLatin1Char('/');
        QCOMPARE(m_ceph.request("PUT", path + QStringLiteral("ots/b/") + orphan, {}, "sealed").status, 200);
        QCOMPARE(m_ceph
                     .request("PUT", path + QStringLiteral("ots/t/") + orphan + QStringLiteral("/5242880-0"),
                              {}, "t")
                     .status,
                 200);
        QCOMPARE(m_ceph
                     .request("POST", path + QStringLiteral("ots/b/") + orphan + QStringLiteral("x"),
                              {{QStringLiteral("uploads"), QString()}})
                     .status,
                 200);
        QCOMPARE(
            m_ceph.request("PUT", path + QStringLiteral("someone-else/b/") + orphan, {}, "not ours").status,
            200);
        TestShare live = TestShare::make({.payloadBytes = 1000, .seed = 13});
        OTS_EXPECT_STATUS(m_client.createReady(live), 200);

        m_relay.stop();
        QVERIFY2(m_relay.restart(), qPrintable(m_relay.error()));
        m_client = m_relay.client();
        QVERIFY2(waitUntil([&] { return inBucket(orphan.toLatin1()).size() == 2; }, 10'000),
                 qPrintable(inBucket(orphan.toLatin1()).join(QLatin1Char(' '))));
        // What stays: the foreign key, and the upload whose key is no share id's (ids are 22 characters).
        const QStringList left = inBucket(orphan.toLatin1());
        QVERIFY2(left.contains(QStringLiteral("someone-else/b/") + orphan),
                 qPrintable(left.join(QLatin1Char(' '))));
        QCOMPARE(inBucket(live.id), QStringList{blobKey(live.id)});
        OTS_EXPECT_STATUS(m_client.remove(live), 204);
    }

    void checkConfigReachesTheBucket() {
        const auto check = [&](const QStringList& arguments, const QString& secret, QByteArray& output) {
            QProcess process;
            QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
            environment.insert(QStringLiteral("OTS_RELAY_S3_SECRET_ACCESS_KEY"), secret);
            process.setProcessEnvironment(environment);
            process.setProcessChannelMode(QProcess::MergedChannels);
            process.start(QStringLiteral(OTS_RELAY_BINARY),
                          QStringList{QStringLiteral("--check-config"), QStringLiteral("--data-dir"),
                                      m_data.path(), QStringLiteral("--redis-port"),
                                      QString::number(m_redis.port()), QStringLiteral("--blob-store"),
                                      QStringLiteral("s3"), QStringLiteral("--s3-endpoint"),
                                      m_ceph.endpoint(), QStringLiteral("--s3-access-key-id"),
                                      m_ceph.accessKeyId()} +
                              arguments);
            process.waitForFinished(60'000);
            output = process.readAll();
            return process.exitCode();
        };
        QByteArray output;
        QCOMPARE(check({QStringLiteral("--s3-bucket"), m_ceph.bucket()}, m_ceph.secretAccessKey(), output),
                 0);
        QVERIFY2(output.contains("configuration OK"), output.constData());
        QVERIFY(!output.contains(m_ceph.secretAccessKey().toLatin1()));
        QVERIFY2(output.contains("s3-secret-access-key = (set)"), output.constData());
        // No probe object left behind.
        QVERIFY(m_ceph.objects(m_ceph.bucket())->filter(QStringLiteral("check-config")).isEmpty());

        const QString wrongSecret = QStringLiteral("wrong-secret-0123456789");
        QCOMPARE(check({QStringLiteral("--s3-bucket"), m_ceph.bucket()}, wrongSecret, output), 2);
        QVERIFY2(output.contains("SignatureDoesNotMatch") || output.contains("403"), output.constData());
        QVERIFY(!output.contains(wrongSecret.toLatin1()));
        QCOMPARE(check({QStringLiteral("--s3-bucket"), QStringLiteral("no-such-bucket")},
                       m_ceph.secretAccessKey(), output),
                 2);
        QVERIFY2(output.contains("no-such-bucket") && output.contains("cannot be reached"),
                 output.constData());
    }
};

QTEST_GUILESS_MAIN(TestRelayS3)
#include "tst_relay_s3.moc"
