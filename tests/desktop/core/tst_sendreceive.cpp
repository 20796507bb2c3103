// SendJob and ReceiveJob end to end against a real redis-server and this build's ots-relay: files,
// folder trees with non-ASCII names, text shares returned in memory, passwords (missing, wrong,
// right), cancel deleting the half-made share, uploads and downloads that resume after the relay is
// killed and restarted (counted through a TCP proxy, so a resume provably sends less than it would
// by starting over), and blobs altered on the relay's disk.

#include "RelayProcess.h"
#include "ots/Crypto.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SendJob.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <memory>
#include <vector>

using ots::client::ClientError;
using ots::client::ErrorKind;
using ots::client::ReceiveJob;
using ots::client::ReceiveOptions;
using ots::client::SendJob;
using ots::client::SendOptions;
using ots::client::SendResult;

namespace {

constexpr int kJobTimeoutMs = 90'000;

/// Forwards TCP connections to the relay and counts the bytes in each direction, optionally at a
/// limited rate (so that a test can act in the middle of a transfer). It keeps listening while the
/// relay behind it restarts.
class CountingProxy : public QObject {
public:
    explicit CountingProxy(quint16 target)
        : m_target(target) {
        connect(&m_server, &QTcpServer::newConnection, this, [this] { accept(); });
        connect(&m_tick, &QTimer::timeout, this, [this] { pumpAll(true); });
        m_tick.start(20);
    }
    [[nodiscard]] bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    [[nodiscard]] quint16 port() const { return m_server.serverPort(); }
    /// Bytes per second towards the relay and back; 0 = as fast as possible.
    void setRates(qint64 up, qint64 down) {
        m_upRate = up;
        m_downRate = down;
    }
    [[nodiscard]] qint64 upBytes() const { return m_up; }
    [[nodiscard]] qint64 downBytes() const { return m_down; }

private:
    struct Pair {
        QTcpSocket* client = nullptr;
        QTcpSocket* upstream = nullptr;
    };

    void accept() {
        while (QTcpSocket* client = m_server.nextPendingConnection()) {
            auto pair = std::make_shared<Pair>();
            pair->client = client;
            pair->upstream = new QTcpSocket(client);
            client->setReadBufferSize(64 * 1024);
            pair->upstream->setReadBufferSize(64 * 1024);
            connect(client, &QTcpSocket::readyRead, this, [this, pair] { pump(*pair, false); });
            connect(pair->upstream, &QTcpSocket::readyRead, this, [this, pair] { pump(*pair, false); });
            connect(pair->upstream, &QTcpSocket::disconnected, this, [this, pair] { closePair(*pair); });
            connect(pair->upstream, &QTcpSocket::errorOccurred, this, [this, pair] { closePair(*pair); });
            connect(client, &QTcpSocket::disconnected, this, [this, pair] { closePair(*pair); });
            pair->upstream->connectToHost(QHostAddress::LocalHost, m_target);
            m_pairs.push_back(pair);
        }
    }
    static qint64 budget(qint64 rate) {
        return rate > 0 ? std::max<qint64>(rate / 50, 1) : (qint64(1) << 30);
    }
    void pump(Pair& pair, bool tick) {
        if (pair.client == nullptr)
            return;
        if (!tick && (m_upRate > 0 || m_downRate > 0))
            return; // rate-limited pairs move on the timer only
        move(*pair.client, *pair.upstream, budget(m_upRate), m_up);
        move(*pair.upstream, *pair.client, budget(m_downRate), m_down);
    }
    static void move(QTcpSocket& from, QTcpSocket& to, qint64 limit, qint64& counter) {
        if (to.state() != QAbstractSocket::ConnectedState && to.state() != QAbstractSocket::ConnectingState)
            return;
        if (to.bytesToWrite() > 256 * 1024)
            return;
        const QByteArray data = from.read(std::min<qint64>(limit, from.bytesAvailable()));
        if (!data.isEmpty()) {
            counter += data.size();
            to.write(data);
        }
    }
    void pumpAll(bool tick) {
        for (const auto& pair : m_pairs)
            pump(*pair, tick);
    }
    void closePair(Pair& pair) {
        if (pair.client == nullptr)
            return;
        QTcpSocket* client = pair.client;
        pair.client = nullptr;
        // What the relay already sent still reaches the client, then the client sees the cut.
        const QByteArray rest = pair.upstream->readAll();
        if (client->state() == QAbstractSocket::ConnectedState) {
            m_down += rest.size();
            client->write(rest);
        }
        pair.upstream->abort();
        client->disconnectFromHost();
        client->deleteLater();
    }

    quint16 m_target;
    QTcpServer m_server;
    QTimer m_tick;
    std::vector<std::shared_ptr<Pair>> m_pairs;
    qint64 m_upRate = 0;
    qint64 m_downRate = 0;
    qint64 m_up = 0;
    qint64 m_down = 0;
};

QByteArray randomBytes(qsizetype size) {
    QByteArray out(size, Qt::Uninitialized);
    auto* words = reinterpret_cast<quint32*>(out.data());
    QRandomGenerator::global()->fillRange(words, static_cast<qsizetype>(size / 4));
    for (qsizetype i = size - size % 4; i < size; ++i)
        out[i] = static_cast<char>(QRandomGenerator::global()->bounded(256));
    return out;
}

bool writeFile(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QUrl relayUrl(quint16 port) {
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
}

/// The same link on another port (the relay directly instead of the proxy, or the reverse).
QString onPort(const QString& link, quint16 port) {
    QString out = link;
    const qsizetype hostEnd = out.indexOf(QLatin1String("/s/"));
    const qsizetype colon = out.lastIndexOf(QLatin1Char(':'), hostEnd);
    return out.replace(colon + 1, hostEnd - colon - 1, QString::number(port));
}

ots::client::RetryPolicy quickRetry() {
    ots::client::RetryPolicy retry;
    retry.attempts = 8;
    retry.firstDelay = std::chrono::milliseconds(100);
    retry.maxDelay = std::chrono::milliseconds(1000);
    retry.requestTimeout = std::chrono::milliseconds(15'000);
    return retry;
}

bool terminal(SendJob::State state) {
    return state == SendJob::State::Finished || state == SendJob::State::Failed ||
           state == SendJob::State::Cancelled;
}

/// Files of a tree (relative path → content); folders map to a null array.
QMap<QString, QByteArray> snapshot(const QString& dir) {
    QMap<QString, QByteArray> out;
    for (const QString& path : ots::test::listTree(dir)) {
        const QString full = QDir(dir).filePath(path);
        out.insert(path, QFileInfo(full).isDir() ? QByteArray() : readFile(full));
    }
    return out;
}

} // namespace

class TestSendReceive : public QObject {
    Q_OBJECT

private:
    ots::relaytest::RelayFixture m_fixture;
    QTemporaryDir m_configDir;
    QTemporaryDir m_work;
    int m_counter = 0;

    QString freshDir(const QString& name) {
        const QString path = m_work.filePath(QStringLiteral("%1-%2").arg(name).arg(++m_counter));
        QDir().mkpath(path);
        return path;
    }

    SendOptions baseOptions(quint16 port) const {
        SendOptions options;
        options.relay = relayUrl(port);
        options.retry = quickRetry();
        return options;
    }

    /// Runs a send to its end; the job for inspection.
    std::unique_ptr<SendJob> runSend(SendOptions options) {
        auto job = std::make_unique<SendJob>(std::move(options));
        job->start();
        [&] { QTRY_VERIFY_WITH_TIMEOUT(terminal(job->state()), kJobTimeoutMs); }();
        return job;
    }

    /// unlock (which inspects first), then, if it got there, download.
    std::unique_ptr<ReceiveJob> runReceive(const QString& link, const QString& password, const QString& dir,
                                           bool saveText = false) {
        ReceiveOptions options;
        options.link = link;
        options.retry = quickRetry();
        options.saveText = saveText;
        auto job = std::make_unique<ReceiveJob>(options);
        job->unlock(password);
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(job->state() != ReceiveJob::State::Unlocking &&
                                         job->state() != ReceiveJob::State::Idle,
                                     kJobTimeoutMs);
        }();
        if (job->state() != ReceiveJob::State::Ready)
            return job;
        job->download(dir);
        [&] {
            QTRY_VERIFY_WITH_TIMEOUT(job->state() == ReceiveJob::State::Finished ||
                                         job->state() == ReceiveJob::State::Failed ||
                                         job->state() == ReceiveJob::State::Cancelled,
                                     kJobTimeoutMs);
        }();
        return job;
    }

    ots::client::Outcome<ots::client::ShareInfo> infoOf(const QString& id) const {
        ots::client::RelayClient client(relayUrl(m_fixture.relay.port()), quickRetry());
        return client.info(id);
    }

    QString blobPath(const QString& id) const {
        return QDir(m_fixture.dataDir.path())
            .filePath(QStringLiteral("blobs/%1/%2/%3").arg(id.left(2), id.mid(2, 2), id));
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_configDir.isValid() && m_work.isValid());
        qputenv("OTS_CONFIG_DIR", m_configDir.path().toUtf8());
        qputenv("OTS_SECRET_STORE", "file");
        QVERIFY(ots::initialize().ok());
        QVERIFY2(m_fixture.start(), m_fixture.error());
    }

    void fileRoundTrip() {
        const QString source = freshDir(QStringLiteral("src"));
        const QByteArray content = randomBytes(5 * 1024 * 1024 + 123);
        QVERIFY(writeFile(QDir(source).filePath(QStringLiteral("report.bin")), content));

        SendOptions options = baseOptions(m_fixture.relay.port());
        options.paths = {QDir(source).filePath(QStringLiteral("report.bin"))};
        options.note = QStringLiteral("the quarterly numbers");
        options.uploadSegmentBytes = 1024 * 1024 + 4321; // several PATCHes from one running encryptor
        auto send = std::make_unique<SendJob>(options);
        QSignalSpy progress(send.get(), &SendJob::progress);
        QSignalSpy finished(send.get(), &SendJob::finished);
        send->start();
        QTRY_VERIFY_WITH_TIMEOUT(terminal(send->state()), kJobTimeoutMs);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        QCOMPARE(finished.size(), 1);
        const SendResult result = send->result();
        QCOMPARE(result.displayName, QStringLiteral("report.bin"));
        QCOMPARE(result.payloadBytes > std::uint64_t(content.size()), true);
        QCOMPARE(result.fileBytes, std::uint64_t(content.size())); // what the receiver is shown
        QVERIFY(result.link.startsWith(QStringLiteral("http://127.0.0.1:")));
        // A loopback http relay has an app form that means http (SPEC.md §2.1).
        QCOMPARE(result.appLink, QStringLiteral("onetimeshare://") + result.link.mid(7));
        QVERIFY(!progress.isEmpty());
        const QList<QVariant> last = progress.last();
        QCOMPARE(last.at(0).toULongLong(), result.ciphertextBytes);
        QCOMPARE(last.at(1).toULongLong(), result.ciphertextBytes);

        const QString out = freshDir(QStringLiteral("out"));
        auto receive = runReceive(result.link, {}, out);
        QVERIFY2(receive->state() == ReceiveJob::State::Finished, qPrintable(receive->error().message));
        QCOMPARE(receive->metadata().fileCount, 1);
        QCOMPARE(receive->metadata().totalBytes, std::uint64_t(content.size()));
        QCOMPARE(receive->metadata().note, QStringLiteral("the quarterly numbers"));
        QCOMPARE(receive->result().savedPaths.size(), 1);
        QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("report.bin"))), content);
        QCOMPARE(receive->result().downloadsLeft, 0);
        QCOMPARE(ots::test::listTree(out), QStringList{QStringLiteral("report.bin")});

        // One download was allowed and it is used: the share is gone.
        QTRY_COMPARE_WITH_TIMEOUT(infoOf(result.id).error().kind, ErrorKind::Downloaded, 10'000);
    }

    void folderTreeRoundTrip() {
        const QString parent = freshDir(QStringLiteral("tree"));
        const QString root = QDir(parent).filePath(QStringLiteral("Ordner ü"));
        QVERIFY(writeFile(root + QStringLiteral("/sub/deeper/файл.txt"), randomBytes(70'000)));
        QVERIFY(writeFile(root + QStringLiteral("/sub/empty.bin"), QByteArray()));
        QVERIFY(writeFile(root + QStringLiteral("/日本語 notes.txt"), "plain words\n"));
        QVERIFY(QDir().mkpath(root + QStringLiteral("/sub/empty folder")));

        SendOptions options = baseOptions(m_fixture.relay.port());
        options.paths = {root};
        options.maxDownloads = 2;
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        QCOMPARE(send->result().displayName, QStringLiteral("Ordner ü (6 items)"));

        const QString out = freshDir(QStringLiteral("out"));
        auto receive = runReceive(send->result().link, {}, out);
        QVERIFY2(receive->state() == ReceiveJob::State::Finished, qPrintable(receive->error().message));
        QCOMPARE(receive->metadata().fileCount, 3);
        QCOMPARE(receive->metadata().folderCount, 4);
        QVERIFY(!receive->metadata().isText);
        QCOMPARE(receive->result().downloadsLeft, 1);
        QCOMPARE(snapshot(out), snapshot(parent));
    }

    void textShareStaysInMemory() {
        const QByteArray secret = "db password: hunter2 — ✓ ünïcödé\n";
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.text = secret;
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        QCOMPARE(send->result().displayName, QStringLiteral("Text"));

        const QString out = freshDir(QStringLiteral("out"));
        auto receive = runReceive(send->result().link, {}, out);
        QVERIFY2(receive->state() == ReceiveJob::State::Finished, qPrintable(receive->error().message));
        QVERIFY(receive->metadata().isText);
        QVERIFY(receive->result().isText);
        QCOMPARE(receive->result().text, secret);
        QVERIFY(receive->result().savedPaths.isEmpty());
        QVERIFY(ots::test::listTree(out).isEmpty());
    }

    void emptyTextAndSavedText() {
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.text = QByteArray();
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        auto receive = runReceive(send->result().link, {}, freshDir(QStringLiteral("out")));
        QVERIFY2(receive->state() == ReceiveJob::State::Finished, qPrintable(receive->error().message));
        QVERIFY(receive->result().isText);
        QVERIFY(receive->result().text.isEmpty());

        // saveText writes it as a file instead.
        options.text = QByteArray("kept on disk");
        options.textName = QStringLiteral("secret.txt");
        auto saved = runSend(options);
        QVERIFY2(saved->state() == SendJob::State::Finished, qPrintable(saved->error().message));
        const QString out = freshDir(QStringLiteral("out"));
        auto onDisk = runReceive(saved->result().link, {}, out, true);
        QVERIFY2(onDisk->state() == ReceiveJob::State::Finished, qPrintable(onDisk->error().message));
        QVERIFY(onDisk->result().text.isEmpty());
        QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("secret.txt"))), QByteArray("kept on disk"));
    }

    void passwordShare() {
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.text = QByteArray("behind a password");
        options.password = QStringLiteral("caf\u00e9 au lait"); // composed é
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        QVERIFY(send->result().passwordProtected);

        ReceiveOptions receiveOptions;
        receiveOptions.link = send->result().link;
        receiveOptions.retry = quickRetry();
        ReceiveJob job(receiveOptions);
        QSignalSpy failed(&job, &ReceiveJob::failed);
        QSignalSpy inspected(&job, &ReceiveJob::inspected);
        job.inspect();
        QTRY_COMPARE_WITH_TIMEOUT(job.state(), ReceiveJob::State::NeedPassword, kJobTimeoutMs);
        QCOMPARE(inspected.size(), 1);
        QVERIFY(job.info().passwordRequired);

        job.unlock();
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, kJobTimeoutMs);
        QCOMPARE(job.error().kind, ErrorKind::PasswordRequired);
        QCOMPARE(job.state(), ReceiveJob::State::NeedPassword);

        job.unlock(QStringLiteral("wrong guess"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 2, kJobTimeoutMs);
        QCOMPARE(job.error().kind, ErrorKind::WrongPassword);
        QCOMPARE(job.state(), ReceiveJob::State::NeedPassword);
        const int firstLeft = job.error().attemptsLeft;
        QVERIFY(firstLeft > 0);

        job.unlock(QStringLiteral("another wrong guess"));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 3, kJobTimeoutMs);
        QCOMPARE(job.error().kind, ErrorKind::WrongPassword);
        QCOMPARE(job.error().attemptsLeft, firstLeft - 1);

        // The same password typed in decomposed form (e + combining acute) opens it: NFC on both sides.
        job.unlock(QStringLiteral("cafe\u0301 au lait"));
        QTRY_COMPARE_WITH_TIMEOUT(job.state(), ReceiveJob::State::Ready, kJobTimeoutMs);
        job.download(freshDir(QStringLiteral("out")));
        QTRY_COMPARE_WITH_TIMEOUT(job.state(), ReceiveJob::State::Finished, kJobTimeoutMs);
        QCOMPARE(job.result().text, QByteArray("behind a password"));
    }

    void wrongLinkSecret() {
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.text = QByteArray("x");
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        QString link = send->result().link;
        const qsizetype hash = link.indexOf(QLatin1Char('#'));
        link[hash + 1] = link[hash + 1] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        auto receive = runReceive(link, {}, freshDir(QStringLiteral("out")));
        QCOMPARE(receive->state(), ReceiveJob::State::Failed);
        QCOMPARE(receive->error().kind, ErrorKind::WrongKey);

        auto bad =
            runReceive(QStringLiteral("http://127.0.0.1:1/s/short#x"), {}, freshDir(QStringLiteral("out")));
        QCOMPARE(bad->error().kind, ErrorKind::BadLink);
    }

    void cancelMidSendDeletesTheShare() {
        CountingProxy proxy(m_fixture.relay.port());
        QVERIFY(proxy.listen());
        proxy.setRates(4 * 1024 * 1024, 0);
        const QString source = freshDir(QStringLiteral("src"));
        QVERIFY(writeFile(QDir(source).filePath(QStringLiteral("big.bin")), randomBytes(24 * 1024 * 1024)));

        SendOptions options = baseOptions(proxy.port());
        options.paths = {QDir(source).filePath(QStringLiteral("big.bin"))};
        SendJob job(options);
        QSignalSpy cancelled(&job, &SendJob::cancelled);
        job.start();
        QTRY_VERIFY_WITH_TIMEOUT(proxy.upBytes() > 2 * 1024 * 1024, kJobTimeoutMs);
        QCOMPARE(job.state(), SendJob::State::Uploading);
        job.cancel();
        QCOMPARE(job.state(), SendJob::State::Cancelling);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, 20'000);
        QCOMPARE(job.state(), SendJob::State::Cancelled);
        QCOMPARE(job.error().kind, ErrorKind::Cancelled);

        // The half-made share was deleted: the relay keeps a "deleted" tombstone and, once the cut append
        // has ended on its side, no partial file.
        QTRY_VERIFY_WITH_TIMEOUT(
            ots::relaytest::filesNamed(m_fixture.dataDir.path(), QStringLiteral(".part")).isEmpty(), 10'000);
        const QList<QByteArray> shares =
            ots::relaytest::redisKeys(m_fixture.redis.port(), QStringLiteral("ots:{*}:gone"));
        QVERIFY(!shares.isEmpty());
        QString deletedId;
        for (const QByteArray& key : shares)
            if (ots::relaytest::redisCli(m_fixture.redis.port(),
                                         {QStringLiteral("GET"), QString::fromLatin1(key)})
                    .trimmed() == "deleted")
                deletedId = QString::fromLatin1(key.mid(5, 22)); // ots:{ID}:gone
        QVERIFY(!deletedId.isEmpty());
        QCOMPARE(infoOf(deletedId).error().kind, ErrorKind::Deleted);
    }

    void uploadResumesAfterRelayRestart() {
        CountingProxy proxy(m_fixture.relay.port());
        QVERIFY(proxy.listen());
        proxy.setRates(16 * 1024 * 1024, 0);
        const QString source = freshDir(QStringLiteral("src"));
        const QByteArray content = randomBytes(40 * 1024 * 1024);
        QVERIFY(writeFile(QDir(source).filePath(QStringLiteral("resume.bin")), content));

        SendOptions options = baseOptions(proxy.port());
        options.paths = {QDir(source).filePath(QStringLiteral("resume.bin"))};
        options.uploadSegmentBytes = 4 * 1024 * 1024; // the kill loses at most the segment in flight
        SendJob job(options);
        QSignalSpy retrying(&job, &SendJob::retrying);
        job.start();
        QTRY_VERIFY_WITH_TIMEOUT(proxy.upBytes() > 8 * 1024 * 1024, kJobTimeoutMs);
        QVERIFY(!terminal(job.state()));
        QVERIFY2(m_fixture.relay.restart(), qPrintable(m_fixture.relay.error()));
        QTRY_VERIFY_WITH_TIMEOUT(terminal(job.state()), kJobTimeoutMs);
        QVERIFY2(job.state() == SendJob::State::Finished, qPrintable(job.error().message));
        QVERIFY(!retrying.isEmpty());
        const auto ciphertext = static_cast<double>(job.result().ciphertextBytes);
        qInfo("sent %lld bytes through the proxy for %.0f bytes of ciphertext", proxy.upBytes(), ciphertext);
        QVERIFY(static_cast<double>(proxy.upBytes()) < 1.5 * ciphertext);

        const QString out = freshDir(QStringLiteral("out"));
        auto receive = runReceive(onPort(job.result().link, m_fixture.relay.port()), {}, out);
        QVERIFY2(receive->state() == ReceiveJob::State::Finished, qPrintable(receive->error().message));
        QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("resume.bin"))) == content, true);
    }

    void downloadResumesAfterRelayRestart() {
        const QString source = freshDir(QStringLiteral("src"));
        const QByteArray content = randomBytes(40 * 1024 * 1024);
        QVERIFY(writeFile(QDir(source).filePath(QStringLiteral("fetch.bin")), content));
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.paths = {QDir(source).filePath(QStringLiteral("fetch.bin"))};
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));

        CountingProxy proxy(m_fixture.relay.port());
        QVERIFY(proxy.listen());
        proxy.setRates(0, 16 * 1024 * 1024);
        ReceiveOptions receiveOptions;
        receiveOptions.link = onPort(send->result().link, proxy.port());
        receiveOptions.retry = quickRetry();
        ReceiveJob job(receiveOptions);
        QSignalSpy retrying(&job, &ReceiveJob::retrying);
        job.unlock();
        QTRY_COMPARE_WITH_TIMEOUT(job.state(), ReceiveJob::State::Ready, kJobTimeoutMs);
        const QString out = freshDir(QStringLiteral("out"));
        job.download(out);
        QTRY_VERIFY_WITH_TIMEOUT(proxy.downBytes() > 12 * 1024 * 1024, kJobTimeoutMs);
        QCOMPARE(job.state(), ReceiveJob::State::Downloading);
        QVERIFY2(m_fixture.relay.restart(), qPrintable(m_fixture.relay.error()));
        QTRY_VERIFY_WITH_TIMEOUT(job.state() == ReceiveJob::State::Finished ||
                                     job.state() == ReceiveJob::State::Failed,
                                 kJobTimeoutMs);
        QVERIFY2(job.state() == ReceiveJob::State::Finished, qPrintable(job.error().message));
        QVERIFY(!retrying.isEmpty());
        const auto ciphertext = static_cast<double>(send->result().ciphertextBytes);
        qInfo("received %lld bytes through the proxy for %.0f bytes of ciphertext", proxy.downBytes(),
              ciphertext);
        QVERIFY(static_cast<double>(proxy.downBytes()) < 1.5 * ciphertext);
        QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("fetch.bin"))) == content, true);
    }

    void tamperedBlobLeavesNothing_data() {
        QTest::addColumn<bool>("truncate");
        QTest::newRow("byte flipped") << false;
        QTest::newRow("truncated") << true;
    }

    void tamperedBlobLeavesNothing() {
        QFETCH(bool, truncate);
        const QString source = freshDir(QStringLiteral("src"));
        QVERIFY(writeFile(QDir(source).filePath(QStringLiteral("victim.bin")), randomBytes(300'000)));
        SendOptions options = baseOptions(m_fixture.relay.port());
        options.paths = {QDir(source).filePath(QStringLiteral("victim.bin"))};
        auto send = runSend(options);
        QVERIFY2(send->state() == SendJob::State::Finished, qPrintable(send->error().message));
        const QString id = send->result().id;

        QFile blob(blobPath(id));
        QVERIFY2(blob.open(QIODevice::ReadWrite), qPrintable(blob.fileName()));
        if (truncate) {
            // A relay whose copy is short but that reports the short size everywhere (a lying relay):
            // only the stream itself can tell.
            const qint64 shorter = blob.size() - 70'000;
            QVERIFY(blob.resize(shorter));
            ots::relaytest::redisCli(m_fixture.redis.port(),
                                     {QStringLiteral("HSET"), QStringLiteral("ots:{%1}:share").arg(id),
                                      QStringLiteral("size"), QString::number(shorter)});
        } else {
            QVERIFY(blob.seek(200'000));
            char byte = 0;
            QVERIFY(blob.getChar(&byte));
            QVERIFY(blob.seek(200'000));
            QVERIFY(blob.putChar(static_cast<char>(byte ^ 0x01)));
        }
        blob.close();

        const QString out = freshDir(QStringLiteral("out"));
        auto receive = runReceive(send->result().link, {}, out);
        QCOMPARE(receive->state(), ReceiveJob::State::Failed);
        QCOMPARE(receive->error().kind, ErrorKind::Tampered);
        QVERIFY2(ots::test::listTree(out).isEmpty(),
                 qPrintable(ots::test::listTree(out).join(QLatin1Char(' '))));
    }
};

QTEST_GUILESS_MAIN(TestSendReceive)
#include "tst_sendreceive.moc"
