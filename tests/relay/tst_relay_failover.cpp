// Redis Sentinel failover under load (issue 16, must-show 2): a real Redis master with two replicas,
// three real sentinels (Debian's redis-sentinel, `redis-server FILE --sentinel`, quorum 2) and two
// ots-relay processes that find the master through the sentinels, all on loopback. Client threads
// create, upload (the two halves through different relays), complete and download shares without
// pause; then the master is killed with SIGKILL. Shown: while there is no master every answer is 503
// with Retry-After, quickly (no hang); the relays follow the promoted replica without a restart
// (the time is printed and bounded), also through a graceful failover that demotes a live master;
// every share whose create, upload and complete were answered is still downloadable afterwards (SPEC
// §10.13 Durability: the relay WAITs for a replica before it answers); and no one-download share is
// ever served twice, across both relays.
//
// Two replicas, because the relays WAIT for one (redis-wait-replicas): after the failover the
// promoted replica still has the other, so writes go on. With a single replica the relay answers
// 503 after a failover until a replica is back, as documented in installer/README.md.

#include "RedisSentinel.h"
#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QElapsedTimer>
#include <QHash>
#include <QMutex>
#include <QScopeGuard>
#include <QTest>
#include <QThread>

#include <atomic>
#include <csignal>
#include <memory>

using namespace ots;
using namespace ots::relaytest;
using ots::test::RedisSentinel;

namespace {

constexpr char kMasterName[] = "mymaster";
/// The failover's bound: down-after 1 s, an election, the promotion, the other replica's resync; a
/// failed election round retries after 2 × failover-timeout. Generous on purpose (a busy CI machine).
constexpr qint64 kResumeBoundMs = 30'000;
/// How long a client keeps retrying one step that is answered 503 before it calls that a failure.
constexpr int kRetryForMs = 40'000;
constexpr int kWriters = 4;
constexpr int kDownloaders = 2;

/// The value after the line `key` in redis-cli's raw output of a flat reply (SENTINEL master NAME).
QByteArray replyField(const QByteArray& output, const QByteArray& key) {
    const QList<QByteArray> lines = output.split('\n');
    for (qsizetype i = 0; i + 1 < lines.size(); ++i)
        if (lines[i].trimmed() == key)
            return lines[i + 1].trimmed();
    return {};
}

/// What every client thread reports to: the acknowledged shares, the downloads served per share, the
/// answers that broke a promise.
class Ledger {
public:
    std::atomic<bool> stop{false};

    /// True when response has the status wanted. A 503 must carry Retry-After (counted); anything
    /// else is a violation (with step and the answer in its text).
    bool expect(const HttpResponse& response, const char* step, int wanted, bool alsoOk = false,
                int alternative = 0) {
        if (response.status == wanted || (alsoOk && response.status == alternative))
            return true;
        QMutexLocker lock(&m_mutex);
        if (response.status == 503) {
            ++m_unavailable;
            if (response.header("retry-after").isEmpty())
                m_violations << QStringLiteral("%1: 503 without Retry-After").arg(QLatin1String(step));
            return false;
        }
        m_violations << QStringLiteral("%1: %2").arg(QLatin1String(step),
                                                     QString::fromUtf8(response.describe()));
        return false;
    }
    void violation(const QString& text) {
        QMutexLocker lock(&m_mutex);
        m_violations << text;
    }
    void acknowledged(const std::shared_ptr<TestShare>& share) {
        QMutexLocker lock(&m_mutex);
        m_acknowledged << share;
        m_toDownload << share;
    }
    std::shared_ptr<TestShare> nextToDownload() {
        QMutexLocker lock(&m_mutex);
        return m_toDownload.isEmpty() ? nullptr : m_toDownload.takeFirst();
    }
    void served(const QByteArray& id) {
        QMutexLocker lock(&m_mutex);
        ++m_served[id];
    }
    [[nodiscard]] int servedCount(const QByteArray& id) {
        QMutexLocker lock(&m_mutex);
        return m_served.value(id);
    }
    [[nodiscard]] QList<std::shared_ptr<TestShare>> acknowledgedShares() {
        QMutexLocker lock(&m_mutex);
        return m_acknowledged;
    }
    [[nodiscard]] int acknowledgedCount() {
        QMutexLocker lock(&m_mutex);
        return static_cast<int>(m_acknowledged.size());
    }
    [[nodiscard]] int servedTotal() {
        QMutexLocker lock(&m_mutex);
        int total = 0;
        for (const int count : std::as_const(m_served))
            total += count;
        return total;
    }
    [[nodiscard]] int unavailableCount() {
        QMutexLocker lock(&m_mutex);
        return m_unavailable;
    }
    [[nodiscard]] QStringList violations() {
        QMutexLocker lock(&m_mutex);
        return m_violations;
    }

private:
    QMutex m_mutex;
    QList<std::shared_ptr<TestShare>> m_acknowledged;
    QList<std::shared_ptr<TestShare>> m_toDownload;
    QHash<QByteArray, int> m_served;
    QStringList m_violations;
    int m_unavailable = 0;
};

/// Sends send() until it is answered with something other than 503 (which must carry Retry-After),
/// for at most kRetryForMs: what a client does with 503 + Retry-After.
/// retried: set when a 503 came first (the step may then have happened without being confirmed).
template <typename Send>
HttpResponse untilAnswered(Ledger& ledger, const char* step, Send send, bool* retried = nullptr) {
    const QDeadlineTimer deadline(kRetryForMs);
    HttpResponse response = send();
    while (response.status == 503 && !deadline.hasExpired()) {
        (void)ledger.expect(response, step, 0); // counts the 503, checks Retry-After
        if (retried != nullptr)
            *retried = true;
        QThread::msleep(100); // shorter than Retry-After: the test wants the resume time
        response = send();
    }
    return response;
}

/// One download as a recipient does it: a reservation with a fresh ticket through `first` (proved
/// again with the same ticket after a 503, SPEC §10.6), the content through `second`, the finish through
/// `first`. Counts the download as served when the whole ciphertext arrived.
bool downloadOnce(Ledger& ledger, const RelayClient& first, const RelayClient& second,
                  const TestShare& share) {
    const QByteArray ticket = RelayClient::newTicket();
    const HttpResponse reservation = untilAnswered(
        ledger, "reservation", [&] { return first.prove(share, "reservations", nullptr, nullptr, ticket); });
    if (!ledger.expect(reservation, "reservation of an acknowledged share", 201, true, 200))
        return false;
    const HttpResponse content =
        untilAnswered(ledger, "download", [&] { return second.download(share.id, ticket); });
    if (!ledger.expect(content, "download", 200))
        return false;
    if (content.body != share.ciphertext) {
        ledger.violation(QStringLiteral("download of %1: other bytes than were uploaded")
                             .arg(QString::fromLatin1(share.id)));
        return false;
    }
    ledger.served(share.id);
    bool retried = false;
    const HttpResponse finished = untilAnswered(
        ledger, "finish", [&] { return first.finish(share.id, ticket); }, &retried);
    // A finish answered 503 (its WAIT found too few replicas) may still have happened on the master and
    // survived; the repeat SPEC §10.13 asks for then finds the share destroyed by it: 410 downloaded.
    if (retried && finished.status == 410 && finished.errorCode() == QStringLiteral("downloaded"))
        return true;
    return ledger.expect(finished, "finish", 200);
}

} // namespace

class TestRelayFailover : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dataDir;
    RedisServer m_master;
    RedisServer m_replicas[2];
    RedisSentinel m_sentinels[3];
    RelayProcess m_relays[2];

    [[nodiscard]] QByteArray sentinelMaster(int index) const {
        return redisCli(m_sentinels[index].port(),
                        {QStringLiteral("SENTINEL"), QStringLiteral("master"), QLatin1String(kMasterName)});
    }
    /// The port the first sentinel names as the master now (0 if it does not answer).
    [[nodiscard]] quint16 namedMasterPort() const {
        const QList<QByteArray> lines =
            redisCli(m_sentinels[0].port(),
                     {QStringLiteral("SENTINEL"), QStringLiteral("get-master-addr-by-name"),
                      QLatin1String(kMasterName)})
                .split('\n');
        return lines.size() >= 2 ? static_cast<quint16>(lines[1].trimmed().toUInt()) : 0;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY(m_dataDir.isValid());
        QVERIFY2(m_master.start(), "redis-server (master) did not start");
        for (RedisServer& replica : m_replicas)
            QVERIFY2(replica.start(0, {QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"),
                                       QString::number(m_master.port())}),
                     "redis-server (replica) did not start");
        for (RedisServer& replica : m_replicas)
            QVERIFY2(waitUntil(
                         [&] {
                             return redisCli(replica.port(),
                                             {QStringLiteral("INFO"), QStringLiteral("replication")})
                                 .contains("master_link_status:up");
                         },
                         15'000),
                     "a replica did not finish its first sync");
        RedisSentinel::Settings settings;
        settings.masterName = QLatin1String(kMasterName);
        settings.masterPort = m_master.port();
        for (RedisSentinel& sentinel : m_sentinels)
            QVERIFY2(sentinel.start(settings), "redis-server --sentinel did not start");
        // A failover needs the sentinels to know each other (they meet through the master every 2 s)
        // and the replicas to promote.
        for (int i = 0; i < 3; ++i)
            QVERIFY2(waitUntil(
                         [&] {
                             const QByteArray master = sentinelMaster(i);
                             return replyField(master, "num-other-sentinels") == "2" &&
                                    replyField(master, "num-slaves") == "2";
                         },
                         20'000),
                     (QByteArray("sentinel did not meet the others and the replicas: ") + sentinelMaster(i))
                         .constData());

        QString sentinels;
        for (const RedisSentinel& sentinel : m_sentinels)
            sentinels += (sentinels.isEmpty() ? QString() : QStringLiteral(",")) +
                         QStringLiteral("127.0.0.1:%1").arg(sentinel.port());
        for (RelayProcess& relay : m_relays)
            QVERIFY2(relay.start(m_master.port(), m_dataDir.path(),
                                 {QStringLiteral("--redis-sentinels"), sentinels,
                                  QStringLiteral("--redis-master-name"), QLatin1String(kMasterName),
                                  QStringLiteral("--redis-wait-replicas"), QStringLiteral("1"),
                                  // Generous for a busy machine: a replica on loopback confirms in well
                                  // under a millisecond.
                                  QStringLiteral("--redis-wait-timeout"), QStringLiteral("1s"),
                                  QStringLiteral("--redis-timeout"), QStringLiteral("3s")}),
                     qPrintable(relay.error()));
    }

    void cleanupTestCase() {
        for (RelayProcess& relay : m_relays)
            relay.stop();
        for (RedisSentinel& sentinel : m_sentinels)
            sentinel.stop();
        for (RedisServer& replica : m_replicas)
            replica.stop();
        m_master.stop();
    }

    void unreplicatedWriteIsNotAcknowledged() {
        // Both replicas frozen (SIGSTOP to their PIDs): the master takes the create, but no replica
        // confirms it within redis-wait-timeout, so the relay must not claim it: 503 + Retry-After.
        const RelayClient client = m_relays[0].client();
        const TestShare share = TestShare::make({});
        for (RedisServer& replica : m_replicas)
            QCOMPARE(::kill(static_cast<pid_t>(replica.pid()), SIGSTOP), 0);
        const HttpResponse unconfirmed = client.createRaw(share.createBody());
        for (RedisServer& replica : m_replicas)
            QCOMPARE(::kill(static_cast<pid_t>(replica.pid()), SIGCONT), 0);
        QVERIFY2(unconfirmed.status == 503 && unconfirmed.errorCode() == QStringLiteral("unavailable"),
                 unconfirmed.describe().constData());
        QCOMPARE(unconfirmed.header("retry-after"), QByteArray("1"));
        // Thawed, the replicas confirm again.
        QVERIFY(waitUntil([&] { return client.createRaw(share.createBody()).status == 201; }, 10'000));
    }

    void masterKilledUnderLoad() {
        const RelayClient clients[2] = {m_relays[0].client(), m_relays[1].client()};
        Ledger ledger;
        QList<QThread*> threads;
        for (int writer = 0; writer < kWriters; ++writer) {
            threads << QThread::create([&ledger, &clients, writer] {
                for (int n = 0; !ledger.stop.load(); ++n) {
                    const RelayClient& a = clients[(writer + n) % 2];
                    const RelayClient& b = clients[(writer + n + 1) % 2];
                    auto share =
                        std::make_shared<TestShare>(TestShare::make({.payloadBytes = 1500 + (n % 7) * 300,
                                                                     .maxDownloads = 1,
                                                                     .seed = writer * 100'000 + n}));
                    const qsizetype half = share->ciphertext.size() / 2;
                    const bool acknowledged =
                        ledger.expect(a.create(*share), "create", 201) &&
                        ledger.expect(a.append(*share, 0, share->ciphertext.left(half)), "append", 204) &&
                        ledger.expect(b.append(*share, half, share->ciphertext.mid(half)), "append", 204) &&
                        ledger.expect(b.complete(*share), "complete", 200);
                    if (acknowledged)
                        ledger.acknowledged(share);
                    else
                        QThread::msleep(100); // a share answered 503 is given up; a new one follows
                }
            });
        }
        for (int downloader = 0; downloader < kDownloaders; ++downloader) {
            threads << QThread::create([&ledger, &clients, downloader] {
                for (int n = 0; !ledger.stop.load(); ++n) {
                    const std::shared_ptr<TestShare> share = ledger.nextToDownload();
                    if (!share) {
                        QThread::msleep(20);
                        continue;
                    }
                    // Every other acknowledged share is left for after the failover.
                    if (n % 2 == 0)
                        (void)downloadOnce(ledger, clients[(downloader + n) % 2],
                                           clients[(downloader + n + 1) % 2], *share);
                }
            });
        }
        for (QThread* thread : std::as_const(threads))
            thread->start();
        const auto stopClients = [&] {
            ledger.stop = true;
            for (QThread* thread : std::as_const(threads)) {
                thread->wait();
                delete thread;
            }
            threads.clear();
        };
        auto guard = qScopeGuard(stopClients);

        QVERIFY2(
            waitUntil([&] { return ledger.acknowledgedCount() >= 20 && ledger.servedTotal() >= 5; }, 20'000),
            qPrintable(ledger.violations().join(QLatin1Char('\n'))));
        const int acknowledgedBefore = ledger.acknowledgedCount();
        QCOMPARE(ledger.unavailableCount(), 0);

        // kill -9 the master: no shutdown, no last words to the replicas or the sentinels.
        const quint16 oldMaster = m_master.port();
        QElapsedTimer clock;
        clock.start();
        m_master.kill();

        // Probe both relays with creates until each answers 201 again: until then, every answer must
        // be a quick 503 with Retry-After.
        const TestShare probe = TestShare::make({});
        qint64 resumedAt[2] = {-1, -1};
        qint64 promotedAt = -1;
        qint64 slowestProbeMs = 0;
        int probes503 = 0;
        while ((resumedAt[0] < 0 || resumedAt[1] < 0) && clock.elapsed() < kResumeBoundMs) {
            for (int r = 0; r < 2; ++r) {
                if (resumedAt[r] >= 0)
                    continue;
                QElapsedTimer took;
                took.start();
                const HttpResponse created = clients[r].createRaw(probe.createBody());
                slowestProbeMs = std::max(slowestProbeMs, took.elapsed());
                if (created.status == 201) {
                    resumedAt[r] = clock.elapsed();
                } else if (created.status == 503) {
                    ++probes503;
                    QVERIFY2(!created.header("retry-after").isEmpty(), "a 503 without Retry-After");
                } else {
                    QFAIL(qPrintable(QStringLiteral("while failing over, create answered ") +
                                     QString::fromUtf8(created.describe())));
                }
            }
            if (promotedAt < 0) {
                const quint16 named = namedMasterPort();
                if (named != 0 && named != oldMaster)
                    promotedAt = clock.elapsed();
            }
            QThread::msleep(100);
        }
        qInfo("failover: master killed; the sentinels named a new master after %lld ms; relay 1 wrote again "
              "after %lld ms, relay 2 after %lld ms; %d probe answers were 503 + Retry-After, the slowest "
              "probe took %lld ms",
              promotedAt, resumedAt[0], resumedAt[1], probes503, slowestProbeMs);
        QVERIFY2(resumedAt[0] >= 0 && resumedAt[1] >= 0,
                 qPrintable(QStringLiteral("the relays did not write again within %1 ms; relay log:\n")
                                .arg(kResumeBoundMs) +
                            QString::fromUtf8(m_relays[0].log().right(3000))));
        QVERIFY2(promotedAt >= 0, "the sentinels never named another master");
        // While there was no master the relays said so, at once: 503, never a hang.
        QVERIFY(probes503 > 0);
        QVERIFY2(slowestProbeMs < 10'000,
                 qPrintable(QStringLiteral("a probe took %1 ms").arg(slowestProbeMs)));

        // The stream goes on against the new master.
        QVERIFY2(waitUntil([&] { return ledger.acknowledgedCount() >= acknowledgedBefore + 20; }, 20'000),
                 qPrintable(ledger.violations().join(QLatin1Char('\n'))));
        stopClients();
        guard.dismiss();

        // Every acknowledged share — before, during and after the failover — is there: the ones not
        // downloaded yet download now, once; none gives out a second download.
        const QList<std::shared_ptr<TestShare>> shares = ledger.acknowledgedShares();
        int downloadedNow = 0;
        for (const std::shared_ptr<TestShare>& share : shares) {
            if (ledger.servedCount(share->id) == 0) {
                QVERIFY2(downloadOnce(ledger, clients[downloadedNow % 2], clients[(downloadedNow + 1) % 2],
                                      *share),
                         qPrintable(QStringLiteral("acknowledged share %1 is not downloadable: ")
                                        .arg(QString::fromLatin1(share->id)) +
                                    ledger.violations().join(QLatin1Char('\n'))));
                ++downloadedNow;
            }
            const HttpResponse again = clients[downloadedNow % 2].prove(*share, "reservations");
            QVERIFY2(again.status == 410,
                     qPrintable(QStringLiteral("share %1 (one download, already served) answered a new "
                                               "reservation with ")
                                    .arg(QString::fromLatin1(share->id)) +
                                QString::fromUtf8(again.describe())));
            QCOMPARE(ledger.servedCount(share->id), 1);
        }
        qInfo("%lld acknowledged shares (%d before the kill), %d downloaded after the failover, each served "
              "exactly once; %d answers during the load were 503 + Retry-After",
              static_cast<long long>(shares.size()), acknowledgedBefore, downloadedNow,
              ledger.unavailableCount());
        QVERIFY2(ledger.violations().isEmpty(), qPrintable(ledger.violations().join(QLatin1Char('\n'))));
    }

    void demotedMasterIsLeft() {
        // A graceful failover (SENTINEL FAILOVER) while the relays are connected to the master: the
        // sentinels promote the replica, turn the running master into its replica and close its client
        // connections. The relays must then write to the new master (not reconnect to the demoted one,
        // which still answers), with no answer but 503 + Retry-After in between.
        const RelayClient clients[2] = {m_relays[0].client(), m_relays[1].client()};
        const TestShare probe = TestShare::make({});
        for (const RelayClient& client : clients)
            for (int i = 0; i < 8; ++i) // through every worker's connection, most likely
                QVERIFY(
                    waitUntil([&] { return client.createRaw(probe.createBody()).status == 201; }, 10'000));
        const quint16 before = namedMasterPort();
        QVERIFY(before != 0);
        // A sentinel starts no new failover of a master within 2 × failover-timeout of the last one.
        QByteArray answer;
        QVERIFY2(waitUntil(
                     [&] {
                         answer = redisCli(m_sentinels[0].port(),
                                           {QStringLiteral("SENTINEL"), QStringLiteral("FAILOVER"),
                                            QLatin1String(kMasterName)});
                         return answer.startsWith("OK");
                     },
                     kResumeBoundMs),
                 answer.constData());
        QVERIFY2(waitUntil(
                     [&] {
                         return redisCli(before, {QStringLiteral("ROLE")}).startsWith("slave") &&
                                namedMasterPort() != before;
                     },
                     kResumeBoundMs),
                 "the graceful failover did not end");
        const quint16 after = namedMasterPort();
        // Every worker of both relays ends up writing to the new master; meanwhile only 503 + Retry-After.
        for (int r = 0; r < 2; ++r) {
            int written = 0;
            const QDeadlineTimer deadline(kResumeBoundMs);
            while (written < 16 && !deadline.hasExpired()) {
                TestShare share = TestShare::make({});
                const HttpResponse created = clients[r].create(share);
                if (created.status == 503) {
                    QVERIFY2(!created.header("retry-after").isEmpty(), "a 503 without Retry-After");
                    QThread::msleep(100);
                    continue;
                }
                QVERIFY2(created.status == 201, created.describe().constData());
                QCOMPARE(
                    redisCli(after, {QStringLiteral("EXISTS"),
                                     QStringLiteral("ots:{%1}:share").arg(QString::fromLatin1(share.id))})
                        .trimmed(),
                    QByteArray("1"));
                ++written;
            }
            QCOMPARE(written, 16);
            // And a whole share, uploaded through one relay and downloaded through both.
            Ledger ledger;
            auto share = std::make_shared<TestShare>(TestShare::make({}));
            QVERIFY(ledger.expect(untilAnswered(ledger, "create", [&] { return clients[r].create(*share); }),
                                  "create", 201));
            QVERIFY(
                ledger.expect(untilAnswered(ledger, "append",
                                            [&] { return clients[r].append(*share, 0, share->ciphertext); }),
                              "append", 204));
            QVERIFY(
                ledger.expect(untilAnswered(ledger, "complete", [&] { return clients[r].complete(*share); }),
                              "complete", 200));
            QVERIFY2(downloadOnce(ledger, clients[r], clients[1 - r], *share),
                     qPrintable(ledger.violations().join(QLatin1Char('\n'))));
        }
    }
};

QTEST_GUILESS_MAIN(TestRelayFailover)
#include "tst_relay_failover.moc"
