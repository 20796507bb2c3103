// `ots-relay admin` (the operator's tools for abuse reports) as the real binary, against a real
// redis-server and a real relay serving the same Redis and data folder: takedown removes blob and keys
// at once and recipients get 410 `removed`; block refuses one client's creates and proofs with 403
// `blocked` while others go on; stats and show print nothing secret.

#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QJsonDocument>
#include <QProcess>
#include <QTest>
#include <sodium.h>

using namespace ots;
using namespace ots::relaytest;

namespace {

struct AdminRun {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    [[nodiscard]] QByteArray describe() const {
        return "exit " + QByteArray::number(exitCode) + "\nstdout: " + out + "\nstderr: " + err;
    }
};

QByteArray randomShareId() {
    ShareId id{};
    randomBytes(id);
    return b64u(id);
}

QByteArray hex(const QByteArray& bytes) {
    return bytes.toHex();
}

/// The link a recipient holds: the relay's receiver page with the link secret as fragment.
QByteArray linkOf(const TestShare& share, quint16 port) {
    const SecretBuffer& secret = share.keys->shareKey(); // K = S for a share without a password
    const QByteArray raw(reinterpret_cast<const char*>(secret.data()), static_cast<qsizetype>(secret.size()));
    return "https://127.0.0.1:" + QByteArray::number(port) + "/s/" + share.id + "#" + b64u(raw);
}

/// Every spelling of every secret of a share that the admin tools might leak.
QList<QByteArray> secretsOf(const TestShare& share) {
    const SecretBuffer& secret = share.keys->shareKey();
    const QByteArray linkSecret(reinterpret_cast<const char*>(secret.data()),
                                static_cast<qsizetype>(secret.size()));
    const auto bytes = [](const auto& key) {
        return QByteArray(reinterpret_cast<const char*>(key.data()), static_cast<qsizetype>(key.size()));
    };
    const QByteArray authKey = bytes(share.keys->authPublicKey());
    const QByteArray linkKey = bytes(share.keys->linkPublicKey());
    QByteArray ownerToken;
    ownerToken.resize(32);
    std::array<std::uint8_t, 32> ownerRaw{};
    if (!base64url::decodeInto(share.ownerToken.toStdString(), ownerRaw))
        std::abort();
    std::array<std::uint8_t, crypto_generichash_BYTES> ownerHash{};
    crypto_generichash(ownerHash.data(), ownerHash.size(), ownerRaw.data(), ownerRaw.size(), nullptr, 0);
    return {b64u(linkSecret),
            hex(linkSecret),
            share.ownerToken,
            hex(bytes(ownerHash)),
            b64u(authKey),
            authKey.toBase64(),
            hex(authKey),
            b64u(linkKey),
            linkKey.toBase64(),
            hex(linkKey),
            share.metadataEnvelope.toBase64(),
            share.metadataEnvelope.toBase64().left(60)};
}

} // namespace

class TestRelayAdmin : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    RelayClient m_client{0};

    /// `ots-relay admin ARGS` against the fixture's Redis and data folder.
    AdminRun admin(const QStringList& args, const QStringList& configArgs = {}) const {
        QProcess process;
        QStringList arguments{QStringLiteral("admin")};
        arguments += args;
        arguments +=
            configArgs.isEmpty()
                ? QStringList{QStringLiteral("--redis-port"), QString::number(m_fixture.redis.port()),
                              QStringLiteral("--data-dir"), m_fixture.dataDir.path()}
                : configArgs;
        process.start(QStringLiteral(OTS_RELAY_BINARY), arguments);
        AdminRun run;
        if (!process.waitForFinished(30'000)) {
            stopChild(process, false);
            return run;
        }
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        return run;
    }

    /// A create as if forwarded for client by the trusted proxy (the test itself, 127.0.0.1).
    HttpResponse createFrom(TestShare& share, const QByteArray& client) const {
        HttpRequest request{"POST", "/api/v1/shares", {{"X-Forwarded-For", client}}, {}};
        request.json(share.createBody());
        HttpResponse response = m_client.send(request);
        if (response.status == 201) {
            share.id = response.json().value(QStringLiteral("id")).toString().toLatin1();
            share.ownerToken = response.json().value(QStringLiteral("ownerToken")).toString().toLatin1();
            if (!base64url::decodeInto(share.id.toStdString(), share.idBytes))
                response.failure = QStringLiteral("create returned a malformed id");
        }
        return response;
    }

    QByteArray redis(const QStringList& args) const {
        return redisCli(m_fixture.redis.port(), args).trimmed();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ots::initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1")}),
                 m_fixture.error());
        m_client = m_fixture.client();
    }

    void takedownRemovesBlobAndKeysAtOnce() {
        TestShare share = TestShare::make({.payloadBytes = 5000});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        QVERIFY(!filesNamed(m_fixture.dataDir.path(), QString::fromLatin1(share.id)).isEmpty());
        const QByteArray usageBefore = redis({QStringLiteral("GET"), QStringLiteral("{ots}:usage")});

        const AdminRun run =
            admin({QStringLiteral("takedown"), QString::fromLatin1(linkOf(share, m_fixture.relay.port())),
                   QStringLiteral("--reason"), QStringLiteral("abuse report 4711")});
        QVERIFY2(run.exitCode == 0, run.describe().constData());
        QVERIFY2(run.out.contains(share.id), run.describe().constData());

        // The audit line: one JSON object with the id, the reason and the time.
        QJsonObject audit;
        for (const QByteArray& line : run.err.split('\n'))
            if (line.contains("\"takedown\""))
                audit = QJsonDocument::fromJson(line).object();
        QCOMPARE(audit.value(QStringLiteral("id")).toString().toLatin1(), share.id);
        QCOMPARE(audit.value(QStringLiteral("reason")).toString(), QStringLiteral("abuse report 4711"));
        QVERIFY2(!audit.value(QStringLiteral("ts")).toString().isEmpty(), run.err.constData());
        for (const QByteArray& secret : secretsOf(share))
            QVERIFY2(!run.out.contains(secret) && !run.err.contains(secret), run.describe().constData());

        // Gone at once: the blob, every key but the tombstone, the quota and the sweeper's entries.
        QVERIFY(filesNamed(m_fixture.dataDir.path(), QString::fromLatin1(share.id)).isEmpty());
        QVERIFY(keysLeftBehind(m_fixture.redis.port(), share.id).isEmpty());
        QCOMPARE(redis({QStringLiteral("GET"),
                        QStringLiteral("ots:{%1}:gone").arg(QString::fromLatin1(share.id))}),
                 QByteArray("removed"));
        QCOMPARE(
            redis({QStringLiteral("HEXISTS"), QStringLiteral("{ots}:sizes"), QString::fromLatin1(share.id)}),
            QByteArray("0"));
        QCOMPARE(
            redis({QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), QString::fromLatin1(share.id)}),
            QByteArray());
        QCOMPARE(redis({QStringLiteral("GET"), QStringLiteral("{ots}:usage")}).toLongLong(),
                 usageBefore.toLongLong() - share.ciphertext.size() - share.metadataEnvelope.size() -
                     2048); // the quota holds ciphertext + Redis footprint (SPEC §10.13 §10.1)

        // Recipients are told who removed it.
        const HttpResponse info = m_client.info(share.id);
        OTS_EXPECT_ERROR(info, 410, "removed");
        QCOMPARE(info.json().value(QStringLiteral("message")).toString(),
                 QStringLiteral("The relay's operator removed this share."));
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 410, "removed");
        OTS_EXPECT_ERROR(m_client.send(RelayClient::proofRequest(share, "metadata",
                                                                 share.proof(b64u(QByteArray(32, 'n'))))),
                         410, "removed");

        // A second takedown has nothing left to remove.
        const AdminRun again = admin({QStringLiteral("takedown"), QString::fromLatin1(share.id),
                                      QStringLiteral("--reason"), QStringLiteral("again")});
        QVERIFY2(again.exitCode == 1 && again.err.contains("gone already"), again.describe().constData());
        // Without a reason nothing happens.
        TestShare kept = TestShare::make({});
        OTS_EXPECT_STATUS(m_client.create(kept), 201);
        const AdminRun noReason = admin({QStringLiteral("takedown"), QString::fromLatin1(kept.id)});
        QVERIFY2(noReason.exitCode == 2 && noReason.err.contains("--reason"),
                 noReason.describe().constData());
        OTS_EXPECT_STATUS(m_client.info(kept.id), 200);
    }

    void blockRefusesOneClient() {
        const AdminRun blocked =
            admin({QStringLiteral("block"), QStringLiteral("203.0.113.9"), QStringLiteral("--for"),
                   QStringLiteral("10m"), QStringLiteral("--reason"), QStringLiteral("spam")});
        QVERIFY2(blocked.exitCode == 0 && blocked.out.contains("203.0.113.9"),
                 blocked.describe().constData());
        const qint64 ttl =
            redis({QStringLiteral("TTL"), QStringLiteral("{ots}:block:203.0.113.9")}).toLongLong();
        QVERIFY2(ttl > 590 && ttl <= 600, QByteArray::number(ttl).constData());

        TestShare refused = TestShare::make({});
        const HttpResponse create = createFrom(refused, "203.0.113.9");
        OTS_EXPECT_ERROR(create, 403, "blocked");
        TestShare other = TestShare::make({});
        OTS_EXPECT_STATUS(createFrom(other, "203.0.113.10"), 201);

        // Proofs too: a challenge from the blocked client, while the share answers others.
        TestShare ready = TestShare::make({});
        OTS_EXPECT_STATUS(m_client.createReady(ready), 200);
        HttpRequest challenge{
            "POST", RelayClient::sharePath(ready.id, "/challenge"), {{"X-Forwarded-For", "203.0.113.9"}}, {}};
        OTS_EXPECT_ERROR(m_client.send(challenge), 403, "blocked");
        HttpRequest reservation =
            RelayClient::proofRequest(ready, "reservations", ready.proof(b64u(QByteArray(32, 'n'))));
        reservation.header("X-Forwarded-For", "203.0.113.9");
        OTS_EXPECT_ERROR(m_client.send(reservation), 403, "blocked");
        OTS_EXPECT_STATUS(m_client.prove(ready, "metadata"), 200);

        // An IPv6 address stands for its whole /64.
        const AdminRun blocked6 = admin({QStringLiteral("block"), QStringLiteral("2001:db8:5:6::1"),
                                         QStringLiteral("--for"), QStringLiteral("1h")});
        QVERIFY2(blocked6.exitCode == 0 && blocked6.out.contains("2001:db8:5:6::/64"),
                 blocked6.describe().constData());
        TestShare v6 = TestShare::make({});
        OTS_EXPECT_ERROR(createFrom(v6, "2001:db8:5:6::99"), 403, "blocked");
        OTS_EXPECT_STATUS(createFrom(v6, "2001:db8:5:7::99"), 201);
        const AdminRun wide = admin({QStringLiteral("block"), QStringLiteral("2001:db8::/32"),
                                     QStringLiteral("--for"), QStringLiteral("1h")});
        QVERIFY2(wide.exitCode == 2 && wide.err.contains("/64"), wide.describe().constData());

        const AdminRun list = admin({QStringLiteral("blocks")});
        QVERIFY2(list.exitCode == 0 && list.out.contains("203.0.113.9") &&
                     list.out.contains("2001:db8:5:6::/64") && list.out.contains("spam") &&
                     list.out.contains("left"),
                 list.describe().constData());

        const AdminRun unblocked = admin({QStringLiteral("unblock"), QStringLiteral("203.0.113.9")});
        QVERIFY2(unblocked.exitCode == 0 && unblocked.out.contains("unblocked"),
                 unblocked.describe().constData());
        OTS_EXPECT_STATUS(createFrom(refused, "203.0.113.9"), 201);
        QVERIFY(!admin({QStringLiteral("blocks")}).out.contains("203.0.113.9"));
        QCOMPARE(admin({QStringLiteral("unblock"), QStringLiteral("2001:db8:5:6::/64")}).exitCode, 0);
    }

    void statsAndShowPrintNoSecret() {
        TestShare share = TestShare::make({.payloadBytes = 3000, .maxDownloads = 3});
        OTS_EXPECT_STATUS(createFrom(share, "192.0.2.55"), 201);
        OTS_EXPECT_STATUS(m_client.uploadFrom(share, 0), 204);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        const QString shareKey = QStringLiteral("ots:{%1}:share").arg(QString::fromLatin1(share.id));
        QCOMPARE(redis({QStringLiteral("HGET"), shareKey, QStringLiteral("client")}),
                 QByteArray("192.0.2.55"));

        const AdminRun show =
            admin({QStringLiteral("show"), QString::fromLatin1(linkOf(share, m_fixture.relay.port()))});
        QVERIFY2(show.exitCode == 0, show.describe().constData());
        for (const QByteArray& expected :
             {QByteArray("state: ready"), QByteArray("client: 192.0.2.55"), QByteArray("password: no"),
              "size: " + QByteArray::number(share.ciphertext.size()), QByteArray("of 3"),
              QByteArray("expires: ")})
            QVERIFY2(show.out.contains(expected), show.describe().constData());

        const AdminRun stats = admin({QStringLiteral("stats")});
        QVERIFY2(stats.exitCode == 0 && stats.out.contains("192.0.2.55") && stats.out.contains("ready"),
                 stats.describe().constData());
        for (const QByteArray& secret : secretsOf(share)) {
            QVERIFY2(!show.out.contains(secret) && !show.err.contains(secret), show.describe().constData());
            QVERIFY2(!stats.out.contains(secret) && !stats.err.contains(secret),
                     stats.describe().constData());
        }

        // The hourly counts (the clients' allowances) are relay-wide keys that expire on their own.
        const QList<QByteArray> counts = redisKeys(m_fixture.redis.port(), QStringLiteral("{ots}:cq:*"));
        QVERIFY(!counts.isEmpty());
        for (const QByteArray& key : counts) {
            const qint64 ttl = redis({QStringLiteral("TTL"), QString::fromLatin1(key)}).toLongLong();
            QVERIFY2(ttl > 0 && ttl <= 7200, key.constData());
        }
    }

    void showUnknownShare() {
        const AdminRun unknown = admin({QStringLiteral("show"), QString::fromLatin1(randomShareId())});
        QVERIFY2(unknown.exitCode == 1 && unknown.err.contains("no share"), unknown.describe().constData());
        // Not a link: refused without echoing what followed the '#'.
        const AdminRun bad =
            admin({QStringLiteral("show"), QStringLiteral("https://relay/s/short#TOPSECRETFRAGMENT")});
        QVERIFY2(bad.exitCode == 2 && !bad.err.contains("TOPSECRETFRAGMENT") &&
                     !bad.out.contains("TOPSECRETFRAGMENT"),
                 bad.describe().constData());
    }

    void badConfigurationIsReported() {
        const AdminRun missingFile =
            admin({QStringLiteral("stats")},
                  {QStringLiteral("--config"), QStringLiteral("/nonexistent/ots-relay.conf")});
        QVERIFY2(missingFile.exitCode == 2 && missingFile.err.contains("/nonexistent/ots-relay.conf"),
                 missingFile.describe().constData());
        const AdminRun unknownOption =
            admin({QStringLiteral("stats")}, {QStringLiteral("--no-such-option"), QStringLiteral("1")});
        QVERIFY2(unknownOption.exitCode == 2 && unknownOption.err.contains("no-such-option"),
                 unknownOption.describe().constData());
        const AdminRun noRedis = admin({QStringLiteral("stats")},
                                       {QStringLiteral("--redis-port"), QString::number(freeLoopbackPort()),
                                        QStringLiteral("--data-dir"), m_fixture.dataDir.path()});
        QVERIFY2(noRedis.exitCode == 1 && noRedis.err.contains("Redis"), noRedis.describe().constData());
        const AdminRun unknownCommand = admin({QStringLiteral("frobnicate")});
        QVERIFY2(unknownCommand.exitCode == 2 && unknownCommand.err.contains("frobnicate"),
                 unknownCommand.describe().constData());
        const AdminRun optionFirst =
            admin({QStringLiteral("--data-dir"), m_fixture.dataDir.path(), QStringLiteral("stats")});
        QVERIFY2(optionFirst.exitCode == 2 && optionFirst.err.contains("the command comes first"),
                 optionFirst.describe().constData());
        const AdminRun help = admin({QStringLiteral("takedown"), QStringLiteral("--help")});
        QVERIFY2(help.exitCode == 0 && help.out.contains("--reason"), help.describe().constData());
    }

    void cleanupTestCase() { m_fixture.relay.stop(); }
};

QTEST_GUILESS_MAIN(TestRelayAdmin)
#include "tst_relay_admin.moc"
