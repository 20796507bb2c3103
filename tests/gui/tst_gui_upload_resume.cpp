// Uploads that survive (issue 14), through the real window against a real redis-server and ots-relay,
// with a forwarding proxy (tests/desktop/TcpProxy.h) in front of the relay so that an upload can be
// frozen mid-way, at a byte count the test chooses, before the relay is killed:
// - the relay killed for 45 s and restarted: the upload goes on by itself ("retrying", then
//   "resumed"), and closing the window meanwhile asks first;
// - killed for longer than the (shortened) give-up time: Resume, after a restart of the app, finishes;
// - Cancel mid-upload and Discard after giving up leave nothing of the share in Redis but its
//   expiring tombstone, and no part file;
// - a file changed in place (same size, same modification time) before Resume: a new share, and the
//   relay's part file of the old one never holds a chunk of the second encryption.

#include "DropZone.h"
#include "GuiTestRelay.h"
#include "SendPage.h"
#include "TcpProxy.h"
#include "TransferProgress.h"
#include "ots/Base64Url.h"
#include "ots/ContainerPacker.h"
#include "ots/KeySchedule.h"
#include "ots/ShareArchive.h"
#include "ots/StreamEncryptor.h"
#include "ots/client/PendingUploadStore.h"
#include "ots/client/ReceiveJob.h"

#include <QElapsedTimer>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <chrono>

using ots::gui::MainWindow;
using ots::gui::SendPage;
using namespace ots::guitest;
using namespace std::chrono_literals;

namespace {

constexpr int kJobTimeoutMs = 90'000;
constexpr qsizetype kFileBytes = qsizetype{24} << 20;

ots::client::RetryPolicy quickRetry() {
    ots::client::RetryPolicy retry;
    retry.attempts = 3;
    retry.firstDelay = 500ms;
    retry.maxDelay = 3000ms;
    retry.requestTimeout = 2000ms; // the frozen connection counts as broken soon
    return retry;
}

/// Random bytes, fast (the files here are tens of MiB).
QByteArray bulkRandom(qsizetype size) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator::global()->fillRange(reinterpret_cast<quint32*>(bytes.data()), size / 4);
    return bytes;
}

/// The whole v1 stream of the container of paths, under keys, opened by header.
QByteArray encryptionOf(const QString& path, const ots::ShareKeys& keys, const QByteArray& header) {
    auto packer = ots::ContainerPacker::fromPaths({std::filesystem::path(path.toStdString())});
    if (!packer.ok())
        return {};
    auto encryptor =
        ots::StreamEncryptor::resume(keys, packer->payloadSize(),
                                     ots::ByteView(reinterpret_cast<const std::uint8_t*>(header.constData()),
                                                   static_cast<std::size_t>(header.size())));
    if (!encryptor.ok())
        return {};
    QByteArray out; // the header comes first from encryptContainer
    const ots::ByteSink sink = [&](ots::ByteView bytes) {
        out.append(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size()));
        return ots::Status{};
    };
    if (!ots::encryptContainer(packer.value(), std::move(encryptor).value(), sink).ok())
        return {};
    return out;
}

} // namespace

class TestGuiUploadResume : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;
    ots::test::TcpProxy m_proxy;
    int m_breaksBefore = 0;

    SendPage* send() const { return m_harness.window->sendPage(); }
    ots::gui::TransferProgress* progress() const { return send()->progressView(); }
    quint16 redisPort() const { return m_harness.fixture.redis.port(); }

    QString writeSource(const QString& name, const QByteArray& content) {
        const QString path = QDir(m_harness.freshDir(QStringLiteral("src"))).filePath(name);
        return writeFile(path, content) ? path : QString();
    }

    /// Drops path on the Send page; the proxy freezes the upload once `after` bytes went to the relay,
    /// and the relay is killed (SIGKILL) there. The id of the share being uploaded.
    QString dropAndKillMidway(const QString& path, quint64 after) {
        freezeAfter(after);
        m_harness.window->showPage(MainWindow::Page::Send);
        if (!dropUrls(send()->dropZone(), {QUrl::fromLocalFile(path)}))
            return {};
        QString id = frozenShareId();
        m_harness.fixture.relay.kill();
        return id;
    }

    /// dropAndKillMidway, then waits until the upload gave up, paused and was kept; the share id.
    QString pauseUpload(const QString& path, quint64 after) {
        QSignalSpy saved(send(), &SendPage::pendingUploadSaved);
        QString id = dropAndKillMidway(path, after);
        if (id.isEmpty() || !QTest::qWaitFor([this] { return send()->isPaused(); }, 30'000) ||
            !QTest::qWaitFor([&saved] { return !saved.isEmpty(); }, 15'000) ||
            !saved.first().first().toBool())
            return {};
        return id;
    }

    /// The proxy freezes the next upload once `after` bytes of it went to the relay.
    void freezeAfter(quint64 after) {
        m_breaksBefore = m_proxy.breaks();
        m_proxy.resetCounters();
        m_proxy.breakOnce(ots::test::TcpProxy::Direction::ToRelay, after, ots::test::TcpProxy::Break::Stall);
    }

    /// Once the proxy froze the upload: the id of the share whose part file the relay writes.
    QString frozenShareId() {
        QString part;
        if (!QTest::qWaitFor([this] { return m_proxy.breaks() > m_breaksBefore; }, kJobTimeoutMs) ||
            !QTest::qWaitFor(
                [&] {
                    part = partFile();
                    return !part.isEmpty() && QFileInfo(part).size() > 0;
                },
                10'000))
            return {};
        return QFileInfo(part).completeBaseName();
    }

    /// The relay's part file of the share being uploaded (empty when there is none).
    QString partFile() const {
        const QString data = m_harness.fixture.dataDir.path();
        const QStringList parts = ots::relaytest::filesNamed(data, QStringLiteral(".part"));
        return parts.isEmpty() ? QString() : QDir(data).filePath(parts.first());
    }

    bool restartRelay() {
        if (m_harness.fixture.relay.restart())
            return true;
        qWarning("%s", qPrintable(m_harness.fixture.relay.error()));
        return false;
    }

    /// Nothing of share id in Redis but its tombstone, which expires; no file of it on the relay's disk.
    bool leftNoTrace(const QString& id) const {
        const QByteArray key = id.toLatin1();
        for (const QByteArray& left : ots::relaytest::shareKeys(redisPort(), key)) {
            if (!left.endsWith(":gone"))
                return false;
            const QByteArray ttl =
                ots::relaytest::redisCli(redisPort(), {QStringLiteral("PTTL"), QString::fromLatin1(left)});
            if (ttl.trimmed().toLongLong() <= 0)
                return false;
        }
        return ots::relaytest::filesNamed(m_harness.fixture.dataDir.path(), id).isEmpty();
    }

    /// Downloads link into a fresh folder with a ReceiveJob; the file's bytes.
    QByteArray download(const QString& link, const QString& name) {
        ots::client::ReceiveOptions options;
        options.link = link;
        options.retry = quickRetry();
        ots::client::ReceiveJob job(options);
        job.unlock();
        if (!QTest::qWaitFor([&] { return job.state() == ots::client::ReceiveJob::State::Ready; },
                             kJobTimeoutMs))
            return {};
        const QString out = m_harness.freshDir(QStringLiteral("out"));
        job.download(out);
        if (!QTest::qWaitFor([&] { return job.state() == ots::client::ReceiveJob::State::Finished; },
                             kJobTimeoutMs))
            return {};
        return readFile(QDir(out).filePath(name));
    }

    bool waitForResult() {
        return QTest::qWaitFor([this] { return send()->stage() != SendPage::Stage::Sending; },
                               kJobTimeoutMs) &&
               send()->stage() == SendPage::Stage::Result;
    }

    /// The window as a new start of the app finds it: same settings, history and kept upload.
    bool restartApp() {
        m_harness.window.reset();
        m_harness.window = std::make_unique<MainWindow>(m_harness.settings.get(), m_harness.history.get());
        m_harness.window->resize(1280, 800);
        m_harness.window->show();
        return QTest::qWaitForWindowExposed(m_harness.window.get());
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        QVERIFY(m_proxy.start(m_harness.fixture.relay.port()));
        m_harness.settings->setRelayUrl(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_proxy.port())));
        m_harness.settings->sync();
    }

    void init() { send()->setUploadPatience(quickRetry(), 3s); }

    void relayBackAfter45SecondsUploadFinishesByItself() {
        send()->setUploadPatience(quickRetry(), 120s);
        const QByteArray content = bulkRandom(kFileBytes);
        const QString path = writeSource(QStringLiteral("outage.bin"), content);
        QSignalSpy status(send(), &SendPage::statusMessage);
        QElapsedTimer outage;
        const QString id = dropAndKillMidway(path, 6u << 20);
        outage.start();
        QVERIFY(!id.isEmpty());

        // The real state, counting down, not a stale "attempt 1".
        QVERIFY(QTest::qWaitFor(
            [this] { return progress()->detailLabel()->text().contains(QLatin1String("retrying in")); },
            15'000));
        QVERIFY2(progress()->detailLabel()->text().startsWith(QLatin1String("The relay is unreachable")),
                 qPrintable(progress()->detailLabel()->text()));

        // Closing the window meanwhile asks; "Cancel" keeps the window and the upload.
        bool asked = false;
        QTimer::singleShot(200, this, [&asked] {
            auto* box = qobject_cast<QMessageBox*>(QApplication::activeModalWidget());
            if (box == nullptr || box->objectName() != QLatin1String("closeDuringTransfer"))
                return;
            asked = true;
            box->button(QMessageBox::Cancel)->click();
        });
        QVERIFY(!m_harness.window->close());
        QVERIFY(asked);
        QVERIFY(m_harness.window->isVisible());
        QVERIFY(send()->isTransferring());

        QTest::qWait(static_cast<int>(std::max<qint64>(0, 45'000 - outage.elapsed())));
        QVERIFY(send()->isTransferring()); // still trying, not given up
        QVERIFY(progress()->detailLabel()->text().startsWith(QLatin1String("The relay is unreachable")));
        QVERIFY(restartRelay());

        QVERIFY2(waitForResult(), qPrintable(send()->errorLabel()->text()));
        QCOMPARE(send()->lastResult().id, id);
        // The status line said "retrying", then "resumed".
        qsizetype retrying = -1;
        qsizetype resumed = -1;
        for (qsizetype i = 0; i < status.size(); ++i) {
            const QString text = status.at(i).first().toString();
            if (retrying < 0 && text.contains(QLatin1String("retrying")))
                retrying = i;
            if (text == QLatin1String("Upload resumed."))
                resumed = i;
        }
        QVERIFY(retrying >= 0);
        QVERIFY(resumed > retrying);
        QCOMPARE(download(send()->lastResult().link, QStringLiteral("outage.bin")) == content, true);
    }

    void givenUpUploadResumesAfterAppRestart() {
        const QByteArray content = bulkRandom(kFileBytes);
        const QString path = writeSource(QStringLiteral("later.bin"), content);
        const QString id = pauseUpload(path, 8u << 20);
        QVERIFY(!id.isEmpty());
        QVERIFY(progress()->resumeButton()->isVisible());
        QVERIFY(progress()->discardButton()->isVisible());

        // The secrets are in the secret store, not in the plain record.
        ots::client::PendingUploadStore store(m_harness.configDir(),
                                              ots::client::SecretStore::openFile(m_harness.configDir()));
        const auto kept = store.load();
        QVERIFY2(kept.ok(), qPrintable(kept.error().message));
        QCOMPARE(kept.value().shareId, id);
        const QByteArray record = readFile(store.filePath());
        QVERIFY(!record.isEmpty());
        QVERIFY(!record.contains(kept.value().ownerToken.toLatin1()));
        QVERIFY(!record.contains(kept.value().linkSecret.toLatin1()));

        QVERIFY(restartApp());
        QVERIFY(QTest::qWaitFor([this] { return send()->isPaused(); }, 15'000));
        QVERIFY(restartRelay());
        QTest::mouseClick(progress()->resumeButton(), Qt::LeftButton);
        QVERIFY2(waitForResult(), qPrintable(send()->errorLabel()->text()));
        QCOMPARE(send()->lastResult().id, id);
        QVERIFY(QTest::qWaitFor([&store] { return !QFile::exists(store.filePath()); }, 10'000));
        QCOMPARE(download(send()->lastResult().link, QStringLiteral("later.bin")) == content, true);
    }

    void cancelAndDiscardLeaveNoTrace() {
        // Cancel while the upload runs (frozen by the proxy, the relay alive).
        send()->setUploadPatience(quickRetry(), 120s);
        const QString path = writeSource(QStringLiteral("cancel.bin"), bulkRandom(kFileBytes));
        freezeAfter(4u << 20);
        QVERIFY(dropUrls(send()->dropZone(), {QUrl::fromLocalFile(path)}));
        const QString cancelledId = frozenShareId();
        QVERIFY(!cancelledId.isEmpty());
        QTest::mouseClick(progress()->cancelButton(), Qt::LeftButton);
        QVERIFY(
            QTest::qWaitFor([this] { return send()->stage() == SendPage::Stage::Compose; }, kJobTimeoutMs));
        QVERIFY(QTest::qWaitFor([&] { return leftNoTrace(cancelledId); }, 10'000));

        // Discard after the upload gave up.
        send()->setUploadPatience(quickRetry(), 3s);
        const QString discardedId = dropAndKillMidway(path, 4u << 20);
        QVERIFY(!discardedId.isEmpty());
        QVERIFY(QTest::qWaitFor([this] { return send()->isPaused(); }, 30'000));
        QVERIFY(restartRelay());
        QVERIFY(!leftNoTrace(discardedId)); // the partial upload waits on the relay
        QTest::mouseClick(progress()->discardButton(), Qt::LeftButton);
        QVERIFY(
            QTest::qWaitFor([this] { return send()->stage() == SendPage::Stage::Compose; }, kJobTimeoutMs));
        QVERIFY(QTest::qWaitFor([&] { return leftNoTrace(discardedId); }, 10'000));
    }

    void changedInputStartsNewShareWithoutKeystreamReuse() {
        const QByteArray original = bulkRandom(kFileBytes);
        const QString path = writeSource(QStringLiteral("changing.bin"), original);
        const QString oldId = pauseUpload(path, 10u << 20);
        QVERIFY(!oldId.isEmpty());
        const QString part = partFile();
        QVERIFY(part.contains(oldId));

        // Both encryptions under the old share's keys and header: of the file as sent, and as changed.
        ots::client::PendingUploadStore store(m_harness.configDir(),
                                              ots::client::SecretStore::openFile(m_harness.configDir()));
        const auto kept = store.load();
        QVERIFY2(kept.ok(), qPrintable(kept.error().message));
        auto secret = ots::base64url::decodeSecret(kept.value().linkSecret.toStdString(),
                                                   ots::format::kLinkSecretBytes);
        QVERIFY(secret.ok());
        auto keys = ots::ShareKeys::fromLinkSecret(secret.value());
        QVERIFY(keys.ok());
        const QByteArray header = kept.value().streamHeader;
        const QByteArray first = encryptionOf(path, keys.value(), header);
        QVERIFY(first.startsWith(header));

        // In place: same size, same modification time, other bytes in every chunk.
        const QDateTime modified = QFileInfo(path).lastModified();
        QByteArray changed = original;
        for (qsizetype i = 0; i < changed.size(); i += qsizetype{16} * 1024)
            changed[i] = static_cast<char>(changed[i] ^ 0x5a);
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadWrite));
            QCOMPARE(file.write(changed), changed.size());
            QVERIFY(file.setFileTime(modified, QFileDevice::FileModificationTime));
        }
        QCOMPARE(QFileInfo(path).lastModified(), modified);
        const QByteArray second = encryptionOf(path, keys.value(), header);
        QCOMPARE(second.size(), first.size());

        // Every chunk the relay holds for the old share is the first encryption's, never the second's.
        constexpr auto kFrame = static_cast<qsizetype>(ots::format::kChunkFrameBytes);
        constexpr auto kHeader = static_cast<qsizetype>(ots::format::kStreamHeaderBytes);
        int framesSeen = 0;
        bool reused = false;
        const auto inspect = [&] {
            const QByteArray held = readFile(part);
            for (qsizetype at = kHeader; at + kFrame <= held.size(); at += kFrame) {
                const QByteArrayView frame = QByteArrayView(held).sliced(at, kFrame);
                if (frame != QByteArrayView(first).sliced(at, kFrame) ||
                    frame == QByteArrayView(second).sliced(at, kFrame))
                    reused = true;
                framesSeen = std::max(framesSeen, static_cast<int>((at - kHeader) / kFrame) + 1);
            }
        };
        inspect();
        QVERIFY(framesSeen > 0);
        QVERIFY(!reused);

        QSignalSpy status(send(), &SendPage::statusMessage);
        QVERIFY(restartRelay());
        inspect();
        QTest::mouseClick(progress()->resumeButton(), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor(
            [&] {
                inspect();
                return send()->stage() != SendPage::Stage::Sending;
            },
            kJobTimeoutMs));
        QVERIFY2(send()->stage() == SendPage::Stage::Result, qPrintable(send()->errorLabel()->text()));
        QVERIFY(!reused);
        QVERIFY(send()->lastResult().id != oldId);
        bool told = false;
        for (const QList<QVariant>& message : status)
            told =
                told || message.first().toString().contains(QLatin1String("changed since the upload began"));
        QVERIFY(told);
        QVERIFY(QTest::qWaitFor([&] { return leftNoTrace(oldId); }, 10'000));
        QCOMPARE(download(send()->lastResult().link, QStringLiteral("changing.bin")) == changed, true);
    }

    void cleanupTestCase() { m_proxy.stop(); }
};

QTEST_MAIN(TestGuiUploadResume)
#include "tst_gui_upload_resume.moc"
