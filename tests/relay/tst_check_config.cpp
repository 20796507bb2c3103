// `ots-relay --check-config` against real redis-servers: the warnings it prints (one line each on
// standard error, exit 0) and the Redis login errors it refuses with (exit 2); then a running relay
// behind a Redis with requirepass, with and without the password. With redis-sentinels: what each
// sentinel and the master it names answered (real redis-server --sentinel processes). This build's binary,
// started by the test; each redis-server on a free loopback port.

#include "RedisSentinel.h"
#include "RedisServer.h"
#include "RelayProcess.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace ots::relaytest;
using ots::test::RedisSentinel;
using ots::test::RedisServer;

namespace {

constexpr char kPassword[] = "redis-password-for-tst-check-config";

struct CheckResult {
    int exitCode = -1;
    QByteArray out;
    QList<QByteArray> warnings; ///< stderr lines "ots-relay: warning: …", prefix removed
    QByteArray err;
};

} // namespace

class TestCheckConfig : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    CheckResult check(quint16 redisPort, const QStringList& extraArgs) {
        QProcess process;
        process.start(QStringLiteral(OTS_RELAY_BINARY),
                      QStringList{QStringLiteral("--check-config"), QStringLiteral("--data-dir"),
                                  m_dir.filePath(QStringLiteral("data")), QStringLiteral("--redis-port"),
                                  QString::number(redisPort)} +
                          extraArgs);
        CheckResult result;
        if (!process.waitForFinished(30'000)) {
            process.kill();
            process.waitForFinished();
            return result;
        }
        result.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        result.out = process.readAllStandardOutput();
        result.err = process.readAllStandardError();
        for (const QByteArray& line : result.err.split('\n'))
            if (line.startsWith("ots-relay: warning: "))
                result.warnings << line.mid(20);
        return result;
    }

    static bool anyStartsWith(const QList<QByteArray>& lines, const QByteArray& prefix) {
        for (const QByteArray& line : lines)
            if (line.startsWith(prefix))
                return true;
        return false;
    }

private Q_SLOTS:
    void everyWarningOnItsOwnLine() {
        // No tokens, no open-relay, Redis without a password and without maxmemory: three warnings.
        RedisServer redis;
        QVERIFY(redis.start());
        const CheckResult result = check(redis.port(), {});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY(result.out.contains("# configuration OK"));
        const QByteArray redisName = "Redis at 127.0.0.1:" + QByteArray::number(redis.port());
        QCOMPARE(result.warnings.size(), 3);
        QVERIFY2(anyStartsWith(result.warnings, "open relay: no upload tokens"), result.err.constData());
        QVERIFY2(anyStartsWith(result.warnings, redisName + " accepts commands without a password"),
                 result.err.constData());
        QVERIFY2(anyStartsWith(result.warnings, redisName + " has no maxmemory"), result.err.constData());
        // Nothing but warnings on standard error.
        QCOMPARE(result.err.count('\n'), 3);
    }

    void safeSetUpHasNoWarnings() {
        RedisServer redis;
        QVERIFY(redis.start(0, {QStringLiteral("--requirepass"), QString::fromLatin1(kPassword),
                                QStringLiteral("--maxmemory"), QStringLiteral("64mb")}));
        const CheckResult result =
            check(redis.port(),
                  {QStringLiteral("--redis-password"), QString::fromLatin1(kPassword),
                   QStringLiteral("--upload-tokens"), QStringLiteral("an-upload-token-for-the-test")});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY2(result.err.isEmpty(), result.err.constData());
        QVERIFY(result.out.contains("redis-password = (set)"));
        QVERIFY(!result.out.contains(kPassword));
        // open-relay = true is the declared alternative to tokens: no warning either.
        const CheckResult open =
            check(redis.port(), {QStringLiteral("--redis-password"), QString::fromLatin1(kPassword),
                                 QStringLiteral("--open-relay"), QStringLiteral("true")});
        QVERIFY2(open.exitCode == 0 && open.err.isEmpty(), open.err.constData());
        // The test clock is for tests only: the same safe set-up with it on has that one warning.
        const CheckResult testClock =
            check(redis.port(), {QStringLiteral("--redis-password"), QString::fromLatin1(kPassword),
                                 QStringLiteral("--open-relay"), QStringLiteral("true"),
                                 QStringLiteral("--test-clock"), QStringLiteral("true")});
        QVERIFY2(testClock.exitCode == 0, testClock.err.constData());
        QCOMPARE(testClock.warnings.size(), 1);
        QVERIFY2(testClock.warnings.front().startsWith("test clock on (test-clock = true)"),
                 testClock.err.constData());
        QVERIFY(testClock.out.contains("test-clock = true"));
    }

    void redisPasswordMissingOrWrong() {
        RedisServer redis;
        QVERIFY(redis.start(0, {QStringLiteral("--requirepass"), QString::fromLatin1(kPassword)}));
        const CheckResult missing = check(redis.port(), {});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("requires a password (NOAUTH): set redis-password"),
                 missing.err.constData());
        QVERIFY(!missing.out.contains("# configuration OK"));

        const CheckResult wrong =
            check(redis.port(), {QStringLiteral("--redis-password"), QStringLiteral("not-the-password")});
        QCOMPARE(wrong.exitCode, 2);
        QVERIFY2(wrong.err.contains("Redis refused redis-password"), wrong.err.constData());
        QVERIFY(!wrong.err.contains("not-the-password"));

        // A password for a Redis that has none is a mistake too (Redis says so; AUTH fails).
        RedisServer open;
        QVERIFY(open.start());
        const CheckResult needless =
            check(open.port(), {QStringLiteral("--redis-password"), QString::fromLatin1(kPassword)});
        QCOMPARE(needless.exitCode, 2);
        QVERIFY2(needless.err.contains("Redis refused redis-password"), needless.err.constData());
        QVERIFY(!needless.err.contains(kPassword));
    }

    void maxmemoryThatCannotBeChecked() {
        RedisServer redis;
        QVERIFY(redis.start(0, {QStringLiteral("--rename-command"), QStringLiteral("CONFIG"), QString()}));
        const CheckResult result =
            check(redis.port(), {QStringLiteral("--open-relay"), QStringLiteral("yes")});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QCOMPARE(result.warnings.size(), 2); // no password, and maxmemory unknown
        QVERIFY2(anyStartsWith(result.warnings, "cannot check the maxmemory of Redis at 127.0.0.1:" +
                                                    QByteArray::number(redis.port()) +
                                                    ": CONFIG GET was refused"),
                 result.err.constData());
    }

    void redisUnreachableIsAWarning() {
        const quint16 nobody = RedisServer::freeLoopbackPort();
        const CheckResult result = check(nobody, {QStringLiteral("--open-relay"), QStringLiteral("true")});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QCOMPARE(result.warnings.size(), 1);
        QVERIFY2(result.warnings.front().startsWith("cannot reach Redis at 127.0.0.1:" +
                                                    QByteArray::number(nobody)),
                 result.err.constData());
        QVERIFY(result.warnings.front().contains("not checked"));
    }

    void sentinelsAndTheirMasterReported() {
        // A master with no replica, one sentinel watching it, and a second sentinel nobody runs.
        RedisServer master;
        QVERIFY(master.start());
        RedisSentinel sentinel;
        RedisSentinel::Settings settings;
        settings.masterPort = master.port();
        settings.quorum = 1;
        QVERIFY(sentinel.start(settings));
        const quint16 nobody = RedisServer::freeLoopbackPort();
        const QByteArray sentinelName = "127.0.0.1:" + QByteArray::number(sentinel.port());
        const QByteArray masterName = "127.0.0.1:" + QByteArray::number(master.port());
        const CheckResult result = check(
            RedisServer::freeLoopbackPort(),
            {QStringLiteral("--open-relay"), QStringLiteral("true"), QStringLiteral("--redis-sentinels"),
             QString::fromLatin1(sentinelName) + QStringLiteral(",127.0.0.1:%1").arg(nobody)});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY2(result.out.contains("redis-sentinels = " + sentinelName + ",127.0.0.1:" +
                                     QByteArray::number(nobody) + "\nredis-master-name = mymaster\n"),
                 result.out.constData());
        QVERIFY2(result.out.contains("# Redis Sentinel at " + sentinelName + " names " + masterName +
                                     " as master mymaster\n"),
                 result.out.constData());
        QVERIFY2(result.out.contains("# Redis master mymaster at " + masterName + " answers as master\n"),
                 result.out.constData());
        QVERIFY2(anyStartsWith(result.warnings,
                               "cannot connect to Redis Sentinel at 127.0.0.1:" + QByteArray::number(nobody)),
                 result.err.constData());
        // redis-wait-replicas is 1 with sentinels: a master without a replica cannot confirm a write.
        QVERIFY2(anyStartsWith(result.warnings, "Redis master mymaster at " + masterName +
                                                    " has 0 connected replicas but redis-wait-replicas is 1"),
                 result.err.constData());

        // A name the sentinel does not watch.
        const CheckResult unknown =
            check(master.port(), {QStringLiteral("--open-relay"), QStringLiteral("true"),
                                  QStringLiteral("--redis-sentinels"), QString::fromLatin1(sentinelName),
                                  QStringLiteral("--redis-master-name"), QStringLiteral("othermaster")});
        QVERIFY2(unknown.exitCode == 0, unknown.err.constData());
        QVERIFY2(anyStartsWith(unknown.warnings,
                               "Redis Sentinel at " + sentinelName + " knows no master named othermaster"),
                 unknown.err.constData());
        QVERIFY2(anyStartsWith(unknown.warnings, "cannot reach Redis master othermaster ("),
                 unknown.err.constData());
    }

    void sentinelNamingAReplicaIsNoMaster() {
        // A sentinel told to watch what is in fact a replica names it; ROLE says "slave": no master.
        RedisServer master;
        QVERIFY(master.start());
        RedisServer replica;
        QVERIFY(replica.start(
            0, {QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"), QString::number(master.port())}));
        RedisSentinel sentinel;
        RedisSentinel::Settings settings;
        settings.masterPort = replica.port();
        settings.quorum = 1;
        QVERIFY(sentinel.start(settings));
        const CheckResult result =
            check(master.port(),
                  {QStringLiteral("--open-relay"), QStringLiteral("true"),
                   QStringLiteral("--redis-sentinels"), QStringLiteral("127.0.0.1:%1").arg(sentinel.port())});
        QVERIFY2(result.exitCode == 0, result.err.constData());
        QVERIFY2(anyStartsWith(result.warnings, "cannot reach Redis master mymaster at 127.0.0.1:" +
                                                    QByteArray::number(replica.port()) + " ("),
                 result.err.constData());
        QVERIFY2(result.err.contains("is a slave now, not a master"), result.err.constData());
    }

    void sentinelPasswordMissingOrWrong() {
        RedisServer master;
        QVERIFY(master.start());
        constexpr char kSentinelPassword[] = "sentinel-password-for-tst-check-config";
        RedisSentinel sentinel;
        RedisSentinel::Settings settings;
        settings.masterPort = master.port();
        settings.quorum = 1;
        settings.requirePass = kSentinelPassword;
        QVERIFY(sentinel.start(settings));
        const QStringList sentinels{QStringLiteral("--open-relay"), QStringLiteral("true"),
                                    QStringLiteral("--redis-sentinels"),
                                    QStringLiteral("127.0.0.1:%1").arg(sentinel.port())};
        const CheckResult missing = check(master.port(), sentinels);
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains("requires a password (NOAUTH): set redis-sentinel-password"),
                 missing.err.constData());
        const CheckResult wrong =
            check(master.port(), sentinels + QStringList{QStringLiteral("--redis-sentinel-password"),
                                                         QStringLiteral("not-the-password")});
        QCOMPARE(wrong.exitCode, 2);
        QVERIFY2(wrong.err.contains("refused redis-sentinel-password"), wrong.err.constData());
        QVERIFY(!wrong.err.contains("not-the-password"));
        const CheckResult right =
            check(master.port(), sentinels + QStringList{QStringLiteral("--redis-sentinel-password"),
                                                         QString::fromLatin1(kSentinelPassword)});
        QVERIFY2(right.exitCode == 0, right.err.constData());
        QVERIFY(right.out.contains("redis-sentinel-password = (set)\n"));
        QVERIFY(
            right.out.contains("# Redis master mymaster at 127.0.0.1:" + QByteArray::number(master.port())));
        QVERIFY(!right.out.contains(kSentinelPassword) && !right.err.contains(kSentinelPassword));
    }

    void runningRelayBehindRequirepass() {
        RedisServer redis;
        QVERIFY(redis.start(0, {QStringLiteral("--requirepass"), QString::fromLatin1(kPassword)}));
        // With the password: ready.
        RelayProcess relay;
        QVERIFY2(relay.start(redis.port(), m_dir.filePath(QStringLiteral("with")),
                             {QStringLiteral("--redis-password"), QString::fromLatin1(kPassword)}),
                 qPrintable(relay.error()));
        HttpConnection connection(relay.port());
        QVERIFY(connection.connect(2000));
        QCOMPARE(connection.request({"GET", "/readyz", {}, {}}).status, 200);
        relay.stop();
        QVERIFY(!relay.log().contains(kPassword));

        // Without: it serves (healthz) but is not ready, and its log says why in words.
        RelayProcess without;
        QVERIFY2(without.start(redis.port(), m_dir.filePath(QStringLiteral("without")), {}, false),
                 qPrintable(without.error()));
        HttpConnection probe(without.port());
        QVERIFY(probe.connect(2000));
        QCOMPARE(probe.request({"GET", "/readyz", {}, {}}).status, 503);
        without.stop();
        QVERIFY2(without.log().contains("requires a password (NOAUTH): set redis-password"),
                 without.log().constData());
    }
};

QTEST_GUILESS_MAIN(TestCheckConfig)
#include "tst_check_config.moc"
