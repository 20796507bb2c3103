// A relay fleet behind Debian's nginx with the shipped recipe, installer/fleet/onetimeshare-fleet.conf
// (issue 16, must-show 3).
//
// A real one-node Ceph cluster (CephCluster), a real redis-server, two of this build's ots-relay with
// blob-store = s3 on the same bucket and Redis, and nginx running the fleet recipe with only ports and
// file paths substituted, all on loopback. It shows that
//   - an upload whose appends alternate between the two relays (3 MiB, 4 MiB, ... against 5 MiB parts,
//     so relay B continues a part relay A began and the other way round) completes, and downloads
//     byte-identical through each relay;
//   - `ots send` of 1 GiB through nginx and `ots get` through nginx give back the same bytes, while
//     the relay serving the download is killed (SIGKILL, by its PID) mid-way: nginx sends the
//     client's resumed Range request to the other relay, and the share counted one download;
//   - afterwards the bucket holds no object and no multipart upload of any finished or deleted share;
//   - the fleet recipe keeps every directive of the single-relay recipe (its hardening and headers);
//   - every OTS_RELAY_* setting of installer/fleet/compose.yaml (which cannot run here: no Docker
//     engine) passes `ots-relay --check-config`, with the bucket's values pointed at this Ceph.

#include "../relay/CephCluster.h"
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
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <array>

#ifndef OTS_CLI_BINARY
#error "OTS_CLI_BINARY must name the ots executable"
#endif
#ifndef OTS_FLEET_DIR
#error "OTS_FLEET_DIR must name installer/fleet"
#endif
#ifndef OTS_NGINX_RECIPE
#error "OTS_NGINX_RECIPE must name installer/nginx/onetimeshare-relay.conf"
#endif

using namespace ots::relaytest;

namespace {

constexpr qint64 kMiB = qint64{1} << 20;
constexpr qint64 kBigFileBytes = qint64{1} << 30;
constexpr int kTransferTimeoutMs = 150'000;

/// Response body bytes a relay has sent so far (its ots_http_bytes_sent_total, counted as they go):
/// the relay serving a download is the one whose count grows.
double bytesSent(const RelayProcess& relay) {
    return relay.client().metric("ots_http_bytes_sent_total");
}

/// The size of the largest file under folder (the download being written).
qint64 largestFile(const QString& folder) {
    qint64 largest = 0;
    QDirIterator it(folder, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        it.next();
        largest = std::max(largest, it.fileInfo().size());
    }
    return largest;
}

QByteArray sha256Of(const QString& path) {
    QFile file(path);
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!file.open(QIODevice::ReadOnly) || !hash.addData(&file))
        return {};
    return hash.result().toHex();
}

} // namespace

class TestFleetE2e : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(ots::initialize().ok());
        QVERIFY(m_dir.isValid());
        // nginx's workers run as an unprivileged user when the test runs as root.
        QVERIFY(QFile::setPermissions(m_dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                        QFileDevice::ExeOwner | QFileDevice::ReadGroup |
                                                        QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                        QFileDevice::ExeOther));
        for (const char* folder : {"data-a", "data-b", "config", "out", "acme"})
            QVERIFY(QDir().mkpath(path(folder)));
        const QString certificate = NginxProcess::makeCertificate(path("cert.pem"), path("key.pem"));
        QVERIFY2(certificate.isEmpty(), qPrintable(certificate));
        m_recipe = NginxProcess::readFile(QStringLiteral(OTS_FLEET_DIR "/onetimeshare-fleet.conf"));
        QVERIFY2(!m_recipe.isEmpty(), "cannot read " OTS_FLEET_DIR "/onetimeshare-fleet.conf");

        QElapsedTimer clock;
        clock.start();
        QVERIFY2(m_ceph.start(), qPrintable(m_ceph.errorString()));
        qInfo("Ceph cluster up in %lld ms", m_ceph.startMilliseconds());
        QVERIFY(m_redis.start());
        // Both relays: one bucket, one Redis, 5 MiB parts (S3's minimum), nginx as trusted proxy; each
        // its own data folder (only the spool of appends in flight is there).
        for (auto& [relay, data] : {std::pair{&m_relayA, "data-a"}, std::pair{&m_relayB, "data-b"}}) {
            QStringList arguments{QStringLiteral("--s3-part-size"),    QStringLiteral("5M"),
                                  QStringLiteral("--trusted-proxies"), QStringLiteral("127.0.0.1"),
                                  QStringLiteral("--log-level"),       QStringLiteral("info")};
            useS3Store(*relay, m_ceph, arguments);
            QVERIFY2(relay->start(m_redis.port(), path(data), arguments), qPrintable(relay->error()));
        }

        m_plainPort = freeLoopbackPort();
        m_tlsPort = freeLoopbackPort();
        m_redirectPort = freeLoopbackPort();
        while (m_tlsPort == m_plainPort)
            m_tlsPort = freeLoopbackPort();
        while (m_redirectPort == m_plainPort || m_redirectPort == m_tlsPort)
            m_redirectPort = freeLoopbackPort();
        QVERIFY2(m_nginx.start(path("nginx"), m_recipe, substitutions(), m_plainPort),
                 qPrintable(m_nginx.error()));
        qInfo("Ceph, Redis, two relays and nginx up in %lld ms", clock.elapsed());
    }

    void recipeKeepsTheSingleRelayChoices() {
        // Every directive of the single-relay recipe outside its upstream block (limits, TLS, headers,
        // streaming, timeouts, the log format) is in the fleet recipe too, word for word.
        const QByteArray single = NginxProcess::readFile(QStringLiteral(OTS_NGINX_RECIPE));
        QVERIFY(!single.isEmpty());
        bool inUpstream = false;
        int checked = 0;
        for (const QByteArray& raw : single.split('\n')) {
            const QByteArray line = raw.trimmed();
            if (line.startsWith("upstream "))
                inUpstream = true;
            if (inUpstream) {
                inUpstream = line != "}";
                continue;
            }
            if (line.isEmpty() || line.startsWith('#') || line == "}")
                continue;
            ++checked;
            if (!m_recipe.contains(raw + '\n'))
                QFAIL(
                    qPrintable(QStringLiteral("the fleet recipe lacks the single-relay recipe's line \"%1\"")
                                   .arg(QString::fromUtf8(line))));
        }
        QVERIFY2(checked > 50, QByteArray::number(checked).constData());
        // Both relays are in the upstream; retries only as the recipe explains.
        QVERIFY(m_recipe.contains("least_conn;"));
        QVERIFY(m_recipe.contains("proxy_next_upstream error timeout http_502 http_503;"));
        QVERIFY(!m_recipe.contains("non_idempotent;"));
    }

    void appendsAlternateBetweenRelays() {
        // 3 MiB, 4 MiB, 3 MiB, ... then a last odd piece: every 5 MiB part boundary falls inside an
        // append, so each relay completes parts whose first bytes the other one put in the tail.
        TestShare share = TestShare::make({.payloadBytes = 24 * kMiB + 12'345, .maxDownloads = 2, .seed = 7});
        const std::array<RelayClient, 2> relays{RelayClient(m_relayA.port()), RelayClient(m_relayB.port())};
        const HttpResponse created = relays[0].create(share);
        QVERIFY2(created.status == 201, created.describe().constData());
        qint64 offset = 0;
        int turn = 0;
        while (offset < share.ciphertext.size()) {
            const qint64 piece =
                std::min<qint64>((turn % 2 == 0 ? 3 : 4) * kMiB, share.ciphertext.size() - offset);
            const RelayClient& relay = relays[static_cast<std::size_t>(turn % 2)];
            const HttpResponse appended = relay.append(share, offset, share.ciphertext.mid(offset, piece));
            QVERIFY2(appended.status == 204,
                     (QByteArray::number(turn) + ": " + appended.describe()).constData());
            offset += piece;
            QCOMPARE(appended.header("upload-offset"), QByteArray::number(offset));
            // The other relay reports the same durable offset.
            const HttpResponse head = relays[static_cast<std::size_t>((turn + 1) % 2)].uploadOffset(share);
            QCOMPARE(head.header("upload-offset"), QByteArray::number(offset));
            ++turn;
        }
        QVERIFY(turn >= 7);
        const HttpResponse completed = relays[1].complete(share);
        QVERIFY2(completed.status == 200 || completed.status == 204, completed.describe().constData());

        // One download through each relay, each from a reservation made on the other one.
        for (std::size_t i = 0; i < 2; ++i) {
            const HttpResponse reservation = relays[1 - i].prove(share, "reservations");
            QVERIFY2(reservation.status == 201, reservation.describe().constData());
            const QByteArray ticket = RelayClient::ticketOf(reservation);
            const HttpResponse whole = relays[i].download(share.id, ticket);
            QVERIFY2(whole.status == 200, whole.describe().constData());
            QVERIFY2(whole.body == share.ciphertext, "a download differs from the upload");
            // A range across a part boundary from the other relay, on the same ticket.
            const HttpResponse range = relays[1 - i].download(share.id, ticket, "bytes=5242000-10486000");
            QVERIFY2(range.status == 206, range.describe().constData());
            QVERIFY(range.body == share.ciphertext.mid(5'242'000, 10'486'000 - 5'242'000 + 1));
            QCOMPARE(relays[i].finish(share.id, ticket).status, 200);
        }
        QCOMPARE(relays[0].info(share.id).status, 410); // both downloads used: gone
        m_finished.append(share.id);
        QVERIFY2(waitUntil([&] { return storedOf(share.id).isEmpty(); }, 20'000),
                 qPrintable(storedOf(share.id).join(QLatin1Char(' '))));
    }

    void bigShareSurvivesARelayKilledMidDownload() {
        // 1 GiB of random bytes, and its hash.
        const QString source = path("big.bin");
        QByteArray expected;
        {
            QFile file(source);
            QVERIFY(file.open(QIODevice::WriteOnly));
            QCryptographicHash hash(QCryptographicHash::Sha256);
            QRandomGenerator random(16);
            QByteArray block(8 * kMiB, Qt::Uninitialized);
            for (qint64 written = 0; written < kBigFileBytes; written += block.size()) {
                random.fillRange(reinterpret_cast<quint32*>(block.data()), block.size() / 4);
                hash.addData(block);
                QCOMPARE(file.write(block), block.size());
            }
            expected = hash.result().toHex();
        }

        QElapsedTimer timer;
        timer.start();
        QProcess send;
        prepare(send, {QStringLiteral("send"), QStringLiteral("--json"), QStringLiteral("--downloads"),
                       QStringLiteral("2"), QStringLiteral("--relay"),
                       QStringLiteral("http://127.0.0.1:%1").arg(m_plainPort), source});
        send.start();
        const bool sent = send.waitForFinished(kTransferTimeoutMs);
        if (!sent)
            stopChild(send, false);
        QVERIFY2(sent && send.exitStatus() == QProcess::NormalExit && send.exitCode() == 0,
                 send.readAllStandardError().constData());
        QFile::remove(source);
        const QJsonObject sentResult = QJsonDocument::fromJson(send.readAllStandardOutput()).object();
        const QString link = sentResult.value(QStringLiteral("link")).toString();
        m_bigId = sentResult.value(QStringLiteral("id")).toString().toLatin1();
        QVERIFY2(link.startsWith(QStringLiteral("http://127.0.0.1:%1/s/").arg(m_plainPort)),
                 qPrintable(link));
        qInfo("ots send of 1 GiB through nginx to two relays: %lld ms", timer.restart());

        // ots get through nginx; once a quarter has arrived, the relay serving it is killed.
        QProcess get;
        prepare(get,
                {QStringLiteral("get"), QStringLiteral("--json"), link, QStringLiteral("-o"), path("out")});
        get.start();
        QVERIFY(waitUntil(
            [&] {
                return get.state() == QProcess::NotRunning || largestFile(path("out")) > kBigFileBytes / 4;
            },
            kTransferTimeoutMs));
        QVERIFY2(get.state() != QProcess::NotRunning, "the download ended before a relay could be killed");
        const std::array<RelayProcess*, 2> relays{&m_relayA, &m_relayB};
        const std::array<double, 2> before{bytesSent(m_relayA), bytesSent(m_relayB)};
        QThread::msleep(200);
        const std::array<double, 2> after{bytesSent(m_relayA), bytesSent(m_relayB)};
        const std::size_t serving = after[1] - before[1] > after[0] - before[0] ? 1 : 0;
        QVERIFY2(after[serving] - before[serving] > double(kMiB), "no relay is sending the download");
        const qint64 receivedBeforeKill = largestFile(path("out"));
        const qint64 killedPid = relays[serving]->pid();
        const qsizetype survivorLogBefore = relays[1 - serving]->log().size();
        relays[serving]->kill();
        m_survivor = relays[1 - serving];
        qInfo("killed relay %c (pid %lld) after %lld of %lld bytes had arrived", serving == 0 ? 'A' : 'B',
              killedPid, receivedBeforeKill, kBigFileBytes);
        QVERIFY(receivedBeforeKill < kBigFileBytes);

        const bool got = get.waitForFinished(kTransferTimeoutMs);
        if (!got)
            stopChild(get, false);
        const QByteArray getErr = get.readAllStandardError();
        QVERIFY2(got && get.exitStatus() == QProcess::NormalExit && get.exitCode() == 0, getErr.constData());
        qInfo("ots get of 1 GiB through nginx, one relay killed on the way: %lld ms", timer.elapsed());
        const QJsonObject gotResult = QJsonDocument::fromJson(get.readAllStandardOutput()).object();
        // Counted once: of the two downloads, one is left.
        QCOMPARE(gotResult.value(QStringLiteral("downloadsLeft")).toInt(-1), 1);
        QCOMPARE(sha256Of(path("out/big.bin")), expected);
        QFile::remove(path("out/big.bin"));
        // The survivor finished what the killed relay began: a Range request on the same ticket.
        const QByteArray survivorLog = m_survivor->log().mid(survivorLogBefore);
        QVERIFY2(survivorLog.contains("\"status\":206"), survivorLog.right(3000).constData());
    }

    void bucketHoldsNothingOfFinishedShares() {
        QVERIFY(!m_bigId.isEmpty());
        // The 1 GiB share's second download is not wanted: its sender deletes it (through nginx).
        QProcess remove;
        prepare(remove, {QStringLiteral("delete"), QString::fromLatin1(m_bigId)});
        remove.start();
        QVERIFY(remove.waitForFinished(60'000));
        QVERIFY2(remove.exitCode() == 0,
                 (remove.readAllStandardOutput() + remove.readAllStandardError()).constData());
        m_finished.append(m_bigId);

        QStringList left;
        const bool empty = waitUntil(
            [&] {
                left.clear();
                for (const QByteArray& id : std::as_const(m_finished))
                    left += storedOf(id);
                return left.isEmpty();
            },
            30'000);
        QVERIFY2(empty, qPrintable(left.join(QLatin1Char(' '))));
        // Nothing at all: no tail, no spool object, no multipart upload of any share.
        const auto objects = m_ceph.objects(m_ceph.bucket());
        const auto uploads = m_ceph.multipartUploads(m_ceph.bucket());
        QVERIFY2(objects && uploads, qPrintable(m_ceph.errorString()));
        QVERIFY2(objects->isEmpty(), qPrintable(objects->join(QLatin1Char(' '))));
        QVERIFY(uploads->isEmpty());
    }

    void composeSettingsAreRelaySettings() {
        // No Docker engine here: every OTS_RELAY_* setting of the fleet's compose file must be one the
        // relay knows, with a value it accepts; the bucket's come from .env, here this Ceph's.
        const QByteArray text = NginxProcess::readFile(QStringLiteral(OTS_FLEET_DIR "/compose.yaml"));
        QVERIFY(!text.isEmpty());
        const QHash<QString, QString> fromEnv{
            {QStringLiteral("OTS_S3_ENDPOINT"), m_ceph.endpoint()},
            {QStringLiteral("OTS_S3_BUCKET"), m_ceph.bucket()},
            {QStringLiteral("OTS_S3_ACCESS_KEY_ID"), m_ceph.accessKeyId()},
            {QStringLiteral("OTS_S3_SECRET_ACCESS_KEY"), m_ceph.secretAccessKey()},
        };
        const QRegularExpression setting(
            QStringLiteral("^\\s*(OTS_RELAY_[A-Z0-9_]+):\\s*\"?([^\"\\s]*)\"?\\s*$"));
        const QRegularExpression variable(QStringLiteral("^\\$\\{([A-Z0-9_]+)(?::\\?|:-([^}]*))\\}$"));
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("PATH"),
                           QProcessEnvironment::systemEnvironment().value(QStringLiteral("PATH")));
        int found = 0;
        for (const QByteArray& line : text.split('\n')) {
            const QRegularExpressionMatch match = setting.match(QString::fromUtf8(line));
            if (!match.hasMatch())
                continue;
            QString value = match.captured(2);
            if (const QRegularExpressionMatch from = variable.match(value); from.hasMatch())
                value = fromEnv.value(from.captured(1),
                                      from.captured(2).isEmpty()
                                          ? QStringLiteral("test-secret-for-") + from.captured(1).toLower()
                                          : from.captured(2));
            QVERIFY2(!environment.contains(match.captured(1)), qPrintable(match.captured(1)));
            environment.insert(match.captured(1), value);
            ++found;
        }
        QVERIFY2(found >= 20, QByteArray::number(found).constData());
        environment.insert(QStringLiteral("OTS_RELAY_DATA_DIR"), path("compose-data"));
        QProcess check;
        check.setProcessEnvironment(environment);
        check.start(QStringLiteral(OTS_RELAY_BINARY), {QStringLiteral("--check-config")});
        QVERIFY(check.waitForFinished(60'000));
        const QByteArray output = check.readAllStandardOutput() + check.readAllStandardError();
        QVERIFY2(check.exitStatus() == QProcess::NormalExit && check.exitCode() == 0, output.constData());
        for (const char* expected :
             {"blob-store = s3", "redis-sentinels = sentinel1:26379,sentinel2:26379,sentinel3:26379",
              "redis-master-name = onetimeshare", "redis-wait-replicas = 1", "trusted-proxies = 172.31.78.10",
              "redis-password = (set)", "upload-tokens = (set)", "# configuration OK"})
            QVERIFY2(output.contains(expected), expected);
        QVERIFY2(!output.contains("warning: open relay"), output.constData());
        // The secret never shows.
        QVERIFY(!output.contains(m_ceph.secretAccessKey().toUtf8()));
    }

private:
    [[nodiscard]] QString path(const QString& name) const { return m_dir.filePath(name); }
    [[nodiscard]] QString path(const char* name) const { return path(QString::fromUtf8(name)); }

    /// The recipe's relays become the two test relays; nginx listens on loopback ports and keeps its
    /// files in the test's folder.
    [[nodiscard]] QList<QPair<QByteArray, QByteArray>> substitutions() const {
        return QList<QPair<QByteArray, QByteArray>>{
                   {"server relay1:8080 ", "server 127.0.0.1:" + QByteArray::number(m_relayA.port()) + ' '},
                   {"server relay2:8080 ", "server 127.0.0.1:" + QByteArray::number(m_relayB.port()) + ' '}} +
               NginxProcess::siteSubstitutions(m_plainPort, m_tlsPort, m_redirectPort, m_dir.path());
    }

    void prepare(QProcess& process, const QStringList& arguments) const {
        NginxProcess::prepareCli(process, QStringLiteral(OTS_CLI_BINARY), arguments, m_dir.path());
    }

    /// What the bucket holds of a share: objects (blob, tails) and multipart uploads whose key names it.
    [[nodiscard]] QStringList storedOf(const QByteArray& id) {
        QStringList out;
        const auto objects = m_ceph.objects(m_ceph.bucket());
        const auto uploads = m_ceph.multipartUploads(m_ceph.bucket());
        if (!objects || !uploads)
            return {QStringLiteral("(bucket index unreadable: %1)").arg(m_ceph.errorString())};
        for (const QString& key : *objects)
            if (key.contains(QString::fromLatin1(id)))
                out << key;
        for (const auto& upload : *uploads)
            if (upload.key.contains(QString::fromLatin1(id)))
                out << QStringLiteral("multipart upload of ") + upload.key;
        return out;
    }

    QTemporaryDir m_dir;
    QByteArray m_recipe;
    ots::test::CephCluster m_ceph;
    RedisServer m_redis;
    RelayProcess m_relayA;
    RelayProcess m_relayB;
    RelayProcess* m_survivor = nullptr;
    NginxProcess m_nginx;
    quint16 m_plainPort = 0;
    quint16 m_tlsPort = 0;
    quint16 m_redirectPort = 0;
    QList<QByteArray> m_finished; ///< shares finished or deleted: the bucket must hold nothing of them
    QByteArray m_bigId;
};

QTEST_GUILESS_MAIN(TestFleetE2e)
#include "fleet_e2e.moc"
