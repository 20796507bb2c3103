// The fault suite: the whole system — the real client engine (SendJob, ReceiveJob), this build's
// ots-relay and a real redis-server — while the test breaks what real services lose:
//   redisKilled        Redis killed (SIGKILL) and restarted during uploads, then during downloads
//   relayKilled        the relay killed with SIGKILL at random points of 50 transfers, restarted on
//                      the same port and data folder each time
//   diskFull           the data folder on a 64 MiB tmpfs: uploads beyond it fail with 507, the relay
//                      stays up, nothing partial is served, earlier shares download, freed space works
//   relayRestarted     the relay stopped gracefully (SIGTERM) while clients retry, then started again
// Each scenario ends with the same invariants (FaultHarness.h): finished shares download
// byte-identical, no share is served more often than its limit, no file outlives the sweep, /readyz.
// The schedule of faults, sizes and limits comes from a seeded PRNG; the seed is printed, and
// OTS_FAULT_SEED=N replays it (the interleaving with the jobs' threads still varies with timing).
// ctest runs each scenario as its own test (label e2e): `tst_faults relayKilled`.

#include "FaultHarness.h"
#include "ots/Crypto.h"

#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace ots::e2e;
using ots::relaytest::RelayClient;
using ots::relaytest::TestShare;

namespace {

constexpr int kSweepSeconds = 1;

/// Flags of every relay here: a 1 s sweep (so "outlives the sweep" is checked within seconds) and
/// shares that may live as briefly as 1 s (the ones left to expire).
QStringList relayArgs() {
    return {QStringLiteral("--sweep-interval"), QStringLiteral("%1s").arg(kSweepSeconds),
            QStringLiteral("--min-expiry"),     QStringLiteral("1s"),
            QStringLiteral("--log-level"),      QStringLiteral("info")};
}

/// 64 KiB · 2^U(0, 7): mostly small files, some up to 8 MiB.
qsizetype randomSize(std::mt19937_64& rng, double maxDoublings = 7.0) {
    std::uniform_real_distribution<double> doublings(0.0, maxDoublings);
    return static_cast<qsizetype>(64.0 * 1024.0 * std::exp2(doublings(rng)));
}

/// A transfer that is downloaded (1 or 2 times allowed), at least `floor` bytes. The scenarios that
/// time their faults give their transfers a floor, so that on a fast, idle machine the transfers still
/// last long enough for the faults to land in them.
TransferSpec downloadedSpec(std::mt19937_64& rng, qsizetype floor = 0) {
    TransferSpec spec;
    spec.bytes = floor + randomSize(rng);
    spec.maxDownloads = std::uniform_int_distribution<int>(1, 2)(rng);
    return spec;
}

/// A small share nobody downloads, living 3 s: the sweeper must remove its blob.
TransferSpec expiringSpec(std::mt19937_64& rng) {
    TransferSpec spec;
    spec.bytes = randomSize(rng, 2.0);
    spec.expiresIn = 3;
    spec.download = false;
    return spec;
}

/// The size floor of transfers in the scenarios that time their faults (see downloadedSpec).
constexpr qsizetype kFaultFloor = qsizetype{4} << 20;

} // namespace

class TestFaults : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_configDir;

    /// The invariants every scenario ends with; on failure, what broke, one line per violation.
    void checkInvariants(TransferRun& run, RelayProcess& relay, quint16 redisPort, const QString& dataDir) {
        // 4 first, so that a dead relay explains the rest.
        QVERIFY2(relayReady(relay), "the relay does not answer /readyz after the scenario");

        // 2: extra downloads of every share until the relay refuses; at most its limit succeed.
        run.startProbes();
        QVERIFY2(run.runUntilDone(90'000), qPrintable(run.summary()));
        QStringList violations = run.violations(true); // 1 (bytes) and 2 (client counts)
        violations += redisViolations(redisPort, run.shareIds());
        int allowed = 0;
        for (const auto& transfer : run.transfers())
            if (transfer->sent && transfer->spec.download)
                allowed += transfer->spec.maxDownloads;
        const int granted = loggedRequests(relay.log(), "reserve", 201);
        qInfo("reservations granted by the relay (its request log, all runs): %d of %d allowed", granted,
              allowed);
        if (granted > allowed)
            violations << QStringLiteral("the relay granted %1 reservations, the shares allow %2")
                              .arg(granted)
                              .arg(allowed);

        // 3: after the sweep, every file in the data folder belongs to a live share, and the shares
        // left to expire are gone with their files.
        QStringList expiring;
        for (const auto& transfer : run.transfers())
            if (transfer->sent && !transfer->spec.download)
                expiring << transfer->id;
        const auto swept = [&] {
            if (!orphans(dataDir, redisPort).isEmpty())
                return false;
            const QStringList onDisk = idsOnDisk(dataDir);
            for (const QString& id : expiring)
                if (onDisk.contains(id) || shareKeyExists(redisPort, id))
                    return false;
            return true;
        };
        // Expiring shares live 3 s after their creation; the sweep runs every second. A blob whose
        // finish or delete was cut by a kill -9 between the keys' and the blob's removal is found by
        // the sweep once the cleanup grace has passed (SPEC §10.13 §10.12): wait for that too.
        constexpr int kCleanupGraceSeconds = 15;
        const bool clean = ots::relaytest::waitUntil(
            swept, (std::max(3, kCleanupGraceSeconds) + 4 * kSweepSeconds) * 1000 + 5000);
        if (!clean) {
            for (const QString& id : orphans(dataDir, redisPort))
                violations << QStringLiteral("orphan file outlived the sweep: %1")
                                  .arg(describeOrphan(dataDir, redisPort, id));
            const QStringList onDisk = idsOnDisk(dataDir);
            for (const QString& id : expiring)
                if (onDisk.contains(id) || shareKeyExists(redisPort, id))
                    violations << QStringLiteral("expired share %1 still has %2")
                                      .arg(id, onDisk.contains(id) ? QStringLiteral("its file")
                                                                   : QStringLiteral("its share key"));
        }
        qInfo(
            "after the sweep: %lld file(s) in the data folder, all of live shares: %s; %lld expired share(s) "
            "swept",
            static_cast<long long>(idsOnDisk(dataDir).size()), clean ? "yes" : "NO",
            static_cast<long long>(expiring.size()));
        QVERIFY2(violations.isEmpty(), qPrintable(violations.join(QLatin1Char('\n'))));
        QVERIFY2(relayReady(relay), "the relay does not answer /readyz at the end");
    }

    /// At least `share` of the downloaded transfers finished (the rest failed clearly, see
    /// violations), and no upload was stranded by a lease (409 upload_in_progress until the client
    /// gave up): a relay takes over its own stale leases at once (SPEC §10.13 §10.2).
    static void expectMostFinished(const TransferRun& run, double share) {
        int wanted = 0;
        int finished = 0;
        for (const auto& transfer : run.transfers()) {
            QVERIFY2(transfer->sent || transfer->sendError.code != QLatin1String("upload_in_progress"),
                     qPrintable(QStringLiteral("upload of transfer %1 stranded by a lease: %2")
                                    .arg(transfer->index)
                                    .arg(run.summary())));
            if (!transfer->spec.download)
                continue;
            ++wanted;
            finished += transfer->successes > 0;
        }
        QVERIFY2(finished >= static_cast<int>(std::ceil(share * wanted)),
                 qPrintable(QStringLiteral("only %1 of %2 transfers finished: %3")
                                .arg(finished)
                                .arg(wanted)
                                .arg(run.summary())));
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_configDir.isValid());
        qputenv("OTS_CONFIG_DIR", m_configDir.path().toUtf8());
        qputenv("OTS_SECRET_STORE", "file");
        QVERIFY(ots::initialize().ok());
    }

    void redisKilled() {
        std::mt19937_64 rng(scenarioSeed("redisKilled"));
        DurableRedis redis;
        QVERIFY2(redis.start(), "redis-server did not start");
        QTemporaryDir data;
        QTemporaryDir work;
        RelayProcess relay;
        QVERIFY2(relay.start(redis.port(), data.path(), relayArgs()), qPrintable(relay.error()));

        TransferRun run(work.path(), relay.port(), 6);
        for (int i = 0; i < 14; ++i) {
            TransferSpec spec = i % 7 == 6 ? expiringSpec(rng) : downloadedSpec(rng, kFaultFloor);
            spec.holdDownload = true; // downloads start after the upload phase, for their own kills
            run.add(spec, rng);
        }
        QElapsedTimer clock;
        clock.start();
        // The first kill of each phase strikes on an event, the first bytes seen moving (a timer raced
        // the transfers: on an idle machine a phase can end before any timer fires); the second one
        // 100–500 ms later if the phase still runs.
        qint64 nextKillMs = 0;
        int kills = 0;
        // Kill Redis while transfers run, keep it down for a moment (clients get 503 and retry), restart.
        const auto killDuring = [&](int busy, bool moving, const char* what) {
            if (busy == 0 || !moving || kills >= 2 || (kills > 0 && clock.elapsed() < nextKillMs))
                return;
            qInfo("kill -9 redis #%d at %lld ms, %d %s in flight", ++kills, clock.elapsed(), busy, what);
            redis.kill();
            run.runFor(std::uniform_int_distribution<int>(300, 1200)(rng));
            if (!redis.start())
                qFatal("redis-server did not restart: %s", redis.log().right(2000).constData());
            nextKillMs = clock.elapsed() + std::uniform_int_distribution<int>(100, 500)(rng);
        };
        QVERIFY2(run.runUntil([&] { return run.sendsDone(); }, 90'000,
                              [&] { killDuring(run.uploading(), run.uploadProgressSeen() > 0, "uploads"); }),
                 qPrintable(run.summary()));
        QVERIFY2(kills >= 1, "the uploads ended before Redis could be killed");
        const int uploadKills = kills;

        kills = 0;
        run.releaseDownloads();
        QVERIFY2(
            run.runUntil([&] { return run.done(); }, 90'000,
                         [&] { killDuring(run.downloading(), run.downloadProgressSeen() > 0, "downloads"); }),
            qPrintable(run.summary()));
        QVERIFY2(kills >= 1, "the downloads ended before Redis could be killed");
        qInfo("%s; Redis killed %d times during uploads, %d during downloads", qPrintable(run.summary()),
              uploadKills, kills);
        QVERIFY(run.totalRetries() > 0);
        expectMostFinished(run, 0.9);

        // The relay itself never restarted: its metrics cover the whole scenario.
        checkInvariants(run, relay, redis.port(), data.path());
        if (QTest::currentTestFailed())
            return;
        const double reservations =
            relay.client().metric("ots_http_requests_total", "route=\"reserve\",status=\"201\"");
        qInfo("metrics: ots_http_requests_total{route=reserve,status=201} = %.0f", reservations);
        QVERIFY(reservations >= 0);
        QCOMPARE(static_cast<int>(reservations), loggedRequests(relay.log(), "reserve", 201));
    }

    void relayKilled() {
        std::mt19937_64 rng(scenarioSeed("relayKilled"));
        DurableRedis redis;
        QVERIFY2(redis.start(), "redis-server did not start");
        QTemporaryDir data;
        QTemporaryDir work;
        RelayProcess relay;
        QVERIFY2(relay.start(redis.port(), data.path(), relayArgs()), qPrintable(relay.error()));

        constexpr int kTransfers = 50;
        TransferRun run(work.path(), relay.port(), 6);
        for (int i = 0; i < kTransfers; ++i)
            run.add(i % 10 == 9 ? expiringSpec(rng) : downloadedSpec(rng, kFaultFloor / 2), rng);

        QElapsedTimer clock;
        clock.start();
        // A kill every 20–150 ms while transfers run: on an idle machine the 50 transfers take only
        // a few seconds (uploads resume at once after a kill), and at least 8 kills must land in them.
        std::uniform_int_distribution<int> gap(20, 150);
        qint64 nextKillMs = gap(rng);
        int kills = 0;
        int midUpload = 0;
        int midDownload = 0;
        const auto killRelay = [&] {
            if (run.active() == 0 || clock.elapsed() < nextKillMs || kills >= 25)
                return;
            const int uploading = run.uploading();
            const int downloading = run.downloading();
            midUpload += uploading > 0;
            midDownload += downloading > 0;
            qInfo("kill -9 relay #%d at %lld ms: %d uploading, %d downloading, %d active", ++kills,
                  clock.elapsed(), uploading, downloading, run.active());
            relay.kill();
            if (!relay.restart())
                qFatal("ots-relay did not restart: %s", qPrintable(relay.error()));
            nextKillMs = clock.elapsed() + gap(rng);
        };
        QVERIFY2(run.runUntil([&] { return run.done(); }, 150'000, killRelay), qPrintable(run.summary()));
        qInfo("%s; relay killed %d times (%d with uploads, %d with downloads in flight)",
              qPrintable(run.summary()), kills, midUpload, midDownload);
        QVERIFY2(kills >= 8, "too few kills landed during the transfers");
        QVERIFY2(midUpload > 0 && midDownload > 0, "no kill landed in an upload or none in a download");
        QVERIFY(run.totalRetries() > 0);
        expectMostFinished(run, 0.9);
        checkInvariants(run, relay, redis.port(), data.path());
    }

    void diskFull() {
        // Never skipped: a full disk is only real on a file system that fills, and mounting one needs root.
        if (::geteuid() != 0)
            QFAIL("diskFull mounts a size-limited tmpfs and needs root: run the suite as root (CI does)");
        std::mt19937_64 rng(scenarioSeed("diskFull"));
        QTemporaryDir mountPoint;
        QVERIFY(mountPoint.isValid());
        QProcess mount;
        mount.start(QStringLiteral("mount"),
                    {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                     QStringLiteral("size=64m,mode=0700"), QStringLiteral("tmpfs"), mountPoint.path()});
        QVERIFY(mount.waitForFinished(10'000));
        QVERIFY2(mount.exitCode() == 0,
                 qPrintable(QStringLiteral("mount -t tmpfs failed (a container without CAP_SYS_ADMIN?): ") +
                            QString::fromLocal8Bit(mount.readAllStandardError())));
        RelayProcess relay;
        const auto unmount = qScopeGuard([&] {
            relay.stop();
            QProcess::execute(QStringLiteral("umount"), {mountPoint.path()});
        });
        const QString data = QDir(mountPoint.path()).filePath(QStringLiteral("data"));
        DurableRedis redis;
        QVERIFY2(redis.start(), "redis-server did not start");
        QTemporaryDir work;
        QVERIFY2(relay.start(redis.port(), data, relayArgs()), qPrintable(relay.error()));

        // Fill it: 6 MiB shares one after another until the disk refuses one.
        TransferRun run(work.path(), relay.port(), 1);
        for (int i = 0; i < 14; ++i) {
            TransferSpec spec;
            spec.bytes = 6 * 1024 * 1024 + std::uniform_int_distribution<int>(0, 4096)(rng);
            spec.holdDownload = true;
            run.add(spec, rng);
        }
        QVERIFY2(run.runUntil([&] { return run.sendsDone(); }, 90'000, [] {}), qPrintable(run.summary()));
        int sent = 0;
        int full = 0;
        for (const auto& transfer : run.transfers()) {
            sent += transfer->sent;
            if (!transfer->sent) {
                QVERIFY2(transfer->sendError.kind == ots::client::ErrorKind::StorageFull &&
                             transfer->sendError.httpStatus == 507,
                         qPrintable(run.summary()));
                ++full;
            }
        }
        qInfo("disk of 64 MiB: %d shares of 6 MiB stored, %d refused with 507 storage_full (\"%s\")", sent,
              full, qPrintable(run.transfers().back()->sendError.message));
        QVERIFY2(sent >= 5 && full >= 1, qPrintable(run.summary()));
        QVERIFY(relay.isRunning());
        QCOMPARE(relay.client().get("/healthz").status, 200);

        // Nothing partial is served: a share whose upload hit the full disk stays "uploading", its
        // bytes cannot be reserved or downloaded, and no blob of it appears.
        const RelayClient api = relay.client();
        TestShare partial = TestShare::make({.payloadBytes = 12 * 1024 * 1024});
        OTS_EXPECT_STATUS(api.create(partial), 201);
        OTS_EXPECT_ERROR(api.uploadFrom(partial, 0), 507, "storage_full");
        const auto offset = api.uploadOffset(partial);
        OTS_EXPECT_STATUS(offset, 204);
        QVERIFY(offset.header("Upload-Offset").toLongLong() < partial.ciphertext.size());
        OTS_EXPECT_ERROR(api.complete(partial), 409, "incomplete");
        OTS_EXPECT_ERROR(api.challenge(partial.id), 409, "not_ready");
        QCOMPARE(api.info(partial.id).json().value(QStringLiteral("state")).toString(),
                 QStringLiteral("uploading"));
        QVERIFY(ots::relaytest::filesNamed(QDir(data).filePath(QStringLiteral("blobs")),
                                           QString::fromLatin1(partial.id))
                    .isEmpty());
        OTS_EXPECT_STATUS(api.remove(partial), 204);

        // Earlier shares still download (and, downloaded once, free their space)…
        run.releaseDownloads();
        QVERIFY2(run.runUntilDone(90'000), qPrintable(run.summary()));
        for (const auto& transfer : run.transfers())
            if (transfer->sent)
                QVERIFY2(transfer->successes == 1, qPrintable(run.summary()));
        // … and new uploads fit again.
        for (int i = 0; i < 3; ++i) {
            TransferSpec spec;
            spec.bytes = 6 * 1024 * 1024;
            run.add(spec, rng);
        }
        QVERIFY2(run.runUntilDone(90'000), qPrintable(run.summary()));
        for (std::size_t i = run.transfers().size() - 3; i < run.transfers().size(); ++i)
            QVERIFY2(run.transfers()[i]->successes == 1, qPrintable(run.summary()));
        qInfo("%s", qPrintable(run.summary()));
        checkInvariants(run, relay, redis.port(), data);
    }

    void relayRestarted() {
        std::mt19937_64 rng(scenarioSeed("relayRestarted"));
        DurableRedis redis;
        QVERIFY2(redis.start(), "redis-server did not start");
        QTemporaryDir data;
        QTemporaryDir work;
        RelayProcess relay;
        QVERIFY2(relay.start(redis.port(), data.path(), relayArgs()), qPrintable(relay.error()));

        TransferRun run(work.path(), relay.port(), 6);
        for (int i = 0; i < 18; ++i)
            run.add(i % 9 == 8 ? expiringSpec(rng) : downloadedSpec(rng, kFaultFloor), rng);

        QElapsedTimer clock;
        clock.start();
        std::uniform_int_distribution<int> gap(30, 200);
        qint64 nextStopMs = gap(rng);
        int restarts = 0;
        int retriedWhileDown = 0;
        const auto restartRelay = [&] {
            if (run.active() == 0 || clock.elapsed() < nextStopMs || restarts >= 3)
                return;
            qInfo("SIGTERM relay #%d at %lld ms: %d uploading, %d downloading", ++restarts, clock.elapsed(),
                  run.uploading(), run.downloading());
            const int before = run.totalRetries();
            QElapsedTimer drain;
            drain.start();
            relay.sendTerminate();
            // The drain lets requests in flight end; the clients keep going meanwhile.
            if (!run.runUntil([&] { return relay.waitForExit(0); }, 15'000, [] {}))
                qFatal("ots-relay did not drain within 15 s");
            if (!relay.exitedCleanly())
                qFatal("ots-relay did not exit cleanly after SIGTERM: %s",
                       relay.log().right(3000).constData());
            const qint64 drainMs = drain.elapsed();
            // Down until the clients have met the closed port and are retrying (or 3 s).
            (void)run.runUntil([&] { return run.totalRetries() > before || run.active() == 0; }, 3000, [] {});
            retriedWhileDown += run.totalRetries() > before;
            qInfo("  drained and exited 0 in %lld ms; %d retries by the clients since SIGTERM", drainMs,
                  run.totalRetries() - before);
            run.runFor(std::uniform_int_distribution<int>(0, 500)(rng));
            if (!relay.restart())
                qFatal("ots-relay did not start again: %s", qPrintable(relay.error()));
            nextStopMs = clock.elapsed() + gap(rng);
        };
        QVERIFY2(run.runUntil([&] { return run.done(); }, 120'000, restartRelay), qPrintable(run.summary()));
        qInfo("%s; relay restarted %d times, clients retrying during %d of them", qPrintable(run.summary()),
              restarts, retriedWhileDown);
        QVERIFY2(restarts >= 2, "the transfers ended before the relay could be restarted twice");
        QVERIFY2(retriedWhileDown >= 1, "no client was retrying while the relay was down");
        expectMostFinished(run, 1.0);
        checkInvariants(run, relay, redis.port(), data.path());
    }
};

QTEST_GUILESS_MAIN(TestFaults)
#include "tst_faults.moc"
