// Downloads that survive, in the app (issue 14, must show 1): the real MainWindow's Receive page
// against a real redis-server and ots-relay, saving into real tmpfs mounts (tests/shared/TmpfsMount.h)
// through a throttling proxy (tests/desktop/TcpProxy.h), so that the disk can be filled while a
// download certainly runs. A folder too small is refused before anything is reserved; a disk that
// fills mid-way keeps the download reserved and offers Resume, which finishes byte-identical without
// a second download; and the same after the app is restarted between the failure and Resume.

#include "GuiTestRelay.h"
#include "ReceivePage.h"
#include "TcpProxy.h"
#include "TmpfsMount.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SendJob.h"

#include <QDateTime>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>

#include <memory>

using ots::gui::MainWindow;
using ots::gui::ReceivePage;
using ots::test::TcpProxy;
using ots::test::TmpfsMount;
using namespace ots::guitest;

namespace {
constexpr int kJobTimeoutMs = 60'000;
constexpr qint64 kMiB = qint64{1024} * 1024;
constexpr qint64 kShareBytes = 3 * kMiB;
} // namespace

class TestGuiReceiveResume : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;
    TcpProxy m_proxy;
    // The share of the first two tests (two downloads allowed), its content and its link through the proxy.
    ots::client::SendResult m_sent;
    QByteArray m_content;
    QString m_link;
    std::unique_ptr<TmpfsMount> m_disk; // the 5 MiB folder the first share is saved into

    ReceivePage* receive() const { return m_harness.window->receivePage(); }

    /// A share of content made as the Send page makes one (two downloads allowed).
    ots::client::SendResult share(const QString& name, const QByteArray& content) {
        const QString path = QDir(m_harness.freshDir(QStringLiteral("source"))).filePath(name);
        if (!writeFile(path, content))
            return {};
        ots::client::SendOptions options;
        options.relay = m_harness.relayUrl();
        options.paths = {path};
        options.maxDownloads = 2;
        options.expiresIn = 3600;
        ots::client::SendJob job(options);
        QSignalSpy finished(&job, &ots::client::SendJob::finished);
        QSignalSpy failed(&job, &ots::client::SendJob::failed);
        job.start();
        if (!QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kJobTimeoutMs) ||
            !failed.isEmpty())
            return {};
        return job.result();
    }

    /// The share's link with the relay's port replaced by the proxy's.
    QString throughProxy(const QString& link) const {
        QString proxied = link;
        proxied.replace(QStringLiteral(":%1/").arg(m_harness.fixture.relay.port()),
                        QStringLiteral(":%1/").arg(m_proxy.port()));
        return proxied;
    }

    /// The share's downloads left, as anyone sees them (GET …/shares/{id}: consumes nothing); -1 when the
    /// relay does not answer with them.
    int downloadsLeft(const QString& id) const {
        ots::client::RelayClient client(m_harness.relayUrl());
        const auto info = client.info(id);
        return info.ok() ? info.value().downloadsLeft : -1;
    }

    /// The share's reserved-downloads counter in the relay's Redis.
    QByteArray reservedInRedis(const QString& id) const {
        return ots::relaytest::redisCli(m_harness.fixture.redis.port(),
                                        {QStringLiteral("HGET"), QStringLiteral("ots:{%1}:share").arg(id),
                                         QStringLiteral("reserved")})
            .trimmed();
    }

    /// Opens link on the Receive page and waits for the file list.
    bool openAndShowDetails(const QString& link) {
        m_harness.window->showPage(MainWindow::Page::Receive);
        receive()->openLink(link);
        return QTest::qWaitFor(
                   [this] {
                       return receive()->stage() != ReceivePage::Stage::Checking &&
                              receive()->stage() != ReceivePage::Stage::Empty;
                   },
                   kJobTimeoutMs) &&
               receive()->stage() == ReceivePage::Stage::Details && receive()->fileList()->isVisible();
    }

    /// Clicks Download (or Resume) for folder and waits until the page leaves Downloading.
    bool clickDownload(const QString& folder) {
        receive()->folderEdit()->setText(folder);
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        return QTest::qWaitFor([this] { return receive()->stage() != ReceivePage::Stage::Downloading; },
                               kJobTimeoutMs);
    }

    /// Starts a throttled download into disk, fills the disk once the first bytes are seen arriving and
    /// waits for the failure; an empty string when it went as expected, otherwise what happened.
    QString downloadUntilDiskFull(TmpfsMount& disk) {
        m_proxy.throttleToClient(2 * kMiB);
        const qint64 usedBefore = disk.usedBytes();
        receive()->folderEdit()->setText(disk.path());
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        if (receive()->stage() != ReceivePage::Stage::Downloading)
            return QStringLiteral("Download did not start: %1").arg(receive()->errorLabel()->text());
        const bool arriving = QTest::qWaitFor(
            [&] {
                return disk.usedBytes() - usedBefore >= 128 * qint64{1024} ||
                       receive()->stage() != ReceivePage::Stage::Downloading;
            },
            kJobTimeoutMs);
        if (!arriving)
            return QStringLiteral("no bytes arrived in the folder");
        if (receive()->stage() != ReceivePage::Stage::Downloading)
            return QStringLiteral("the download ended before the disk could be filled: %1")
                .arg(receive()->errorLabel()->text());
        if (!disk.fill())
            return QStringLiteral("the disk could not be filled");
        if (!QTest::qWaitFor([this] { return receive()->stage() != ReceivePage::Stage::Downloading; },
                             kJobTimeoutMs))
            return QStringLiteral("still downloading on a full disk");
        m_proxy.throttleToClient(0);
        return {};
    }

    /// The page after a download failed on a full disk: still the file list, the sentence saying the
    /// download is still reserved, and Resume.
    void verifyResumable() const {
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Details);
        const QString said = receive()->errorLabel()->text();
        QVERIFY2(receive()->errorLabel()->isVisible(), qPrintable(said));
        QVERIFY2(said.contains(QLatin1String("disk filled up")), qPrintable(said));
        QVERIFY2(said.contains(QLatin1String("The download is still yours until")), qPrintable(said));
        QVERIFY(receive()->downloadButton()->isEnabled());
        QCOMPARE(receive()->downloadButton()->text(), QStringLiteral("&Resume download"));
        QVERIFY(receive()->job()->ticketHeldUntil() > QDateTime::currentDateTime());
        // The facts count the download this computer holds, as the relay does.
        QVERIFY2(receive()->infoLabel()->text().contains(QLatin1String("1 file")),
                 qPrintable(receive()->infoLabel()->text()));
        QVERIFY2(receive()->infoLabel()->text().contains(QLatin1String("1 download left")),
                 qPrintable(receive()->infoLabel()->text()));
    }

    /// No file of the failed download stays in the folder.
    static bool isEmptyFolder(const QString& path) {
        return QDir(path).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty();
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        QVERIFY(m_proxy.start(m_harness.fixture.relay.port()));
        m_content = randomBytes(kShareBytes);
        m_sent = share(QStringLiteral("survey-data.bin"), m_content);
        QVERIFY2(!m_sent.link.isEmpty(), "the share could not be made");
        m_link = throughProxy(m_sent.link);
        QVERIFY(m_link != m_sent.link);
        QCOMPARE(downloadsLeft(m_sent.id), 2);
    }

    // A folder with less room than the share: refused before anything is reserved, said in a sentence,
    // and the page stays on the file list, ready for another folder.
    void smallFolderIsRefusedBeforeReserving() {
        TmpfsMount small(kMiB);
        QVERIFY2(small.ok(), small.error().constData());
        QVERIFY(openAndShowDetails(m_link));
        QCOMPARE(receive()->downloadButton()->text(), QStringLiteral("&Download"));
        QVERIFY(!receive()->heldNotice()->isVisible());

        QSignalSpy errors(receive(), &ReceivePage::errorShown);
        QVERIFY(clickDownload(small.path()));
        QCOMPARE(errors.size(), 1);
        const QString said = receive()->errorLabel()->text();
        QVERIFY2(said.contains(QLatin1String("this try used no download")), qPrintable(said));
        QVERIFY2(said.contains(QDir::toNativeSeparators(small.path())), qPrintable(said));
        QVERIFY2(!said.contains(QLatin1String("still yours")), qPrintable(said));
        QVERIFY(receive()->errorLabel()->isVisible());
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Details);
        QVERIFY(receive()->fileList()->isVisible());
        QVERIFY(receive()->downloadButton()->isEnabled());
        QCOMPARE(receive()->downloadButton()->text(), QStringLiteral("&Download"));
        QVERIFY(!receive()->heldNotice()->isVisible());
        QVERIFY(!receive()->job()->ticketHeldUntil().isValid());
        QVERIFY2(receive()->infoLabel()->text().contains(QLatin1String("2 downloads left")),
                 qPrintable(receive()->infoLabel()->text()));
        QVERIFY(isEmptyFolder(small.path()));
        QCOMPARE(downloadsLeft(m_sent.id), 2);
        QCOMPARE(reservedInRedis(m_sent.id), QByteArray("0"));
    }

    // The same page, another folder (5 MiB) that fills up mid-way: the download stays reserved, the
    // page says until when and offers Resume; once there is room, Resume finishes it byte-identical,
    // and the share counts one download.
    void fullDiskKeepsTheDownloadAndResumeFinishesIt() {
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details, "the page did not stay on the file list");
        m_disk = std::make_unique<TmpfsMount>(5 * kMiB);
        QVERIFY2(m_disk->ok(), m_disk->error().constData());
        const QString failure = downloadUntilDiskFull(*m_disk);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        verifyResumable();
        QVERIFY(receive()->heldNotice()->isVisible());
        QCOMPARE(downloadsLeft(m_sent.id), 1);
        QCOMPARE(reservedInRedis(m_sent.id), QByteArray("1"));

        m_disk->free();
        QVERIFY2(isEmptyFolder(m_disk->path()), "the failed download left files behind");
        QVERIFY(clickDownload(m_disk->path()));
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Done, qPrintable(receive()->errorLabel()->text()));
        QVERIFY(readFile(m_disk->filePath(QStringLiteral("survey-data.bin"))) == m_content);
        QCOMPARE(downloadsLeft(m_sent.id), 1);
        QCOMPARE(reservedInRedis(m_sent.id), QByteArray("1"));
        QVERIFY2(receive()->doneLabel()->text().contains(QLatin1String("1 download left")),
                 qPrintable(receive()->doneLabel()->text()));

        // Finished: nothing is held any more, so the same link offers a plain Download (the share's
        // other one).
        QVERIFY(openAndShowDetails(m_link));
        QCOMPARE(receive()->downloadButton()->text(), QStringLiteral("&Download"));
        QVERIFY(!receive()->heldNotice()->isVisible());
        receive()->reset();
    }

    // A download that failed, then the app closed and started again with the same configuration: the
    // same link says that a download is already reserved for this computer, and Resume finishes it
    // without using another.
    void resumeAfterRestart() {
        const QByteArray content = randomBytes(kShareBytes + 4099);
        const ots::client::SendResult sent = share(QStringLiteral("field-recordings.bin"), content);
        QVERIFY2(!sent.link.isEmpty(), "the share could not be made");
        const QString link = throughProxy(sent.link);
        TmpfsMount disk(5 * kMiB);
        QVERIFY2(disk.ok(), disk.error().constData());

        QVERIFY(openAndShowDetails(link));
        const QString failure = downloadUntilDiskFull(disk);
        QVERIFY2(failure.isEmpty(), qPrintable(failure));
        verifyResumable();
        QCOMPARE(downloadsLeft(sent.id), 1);
        disk.free();

        // The restart: the window (and with it the page and its job) goes, the settings and the history
        // are read again from the same configuration folder.
        m_harness.window.reset();
        m_harness.history.reset();
        m_harness.settings.reset();
        m_harness.settings = std::make_unique<ots::client::Settings>();
        QCOMPARE(m_harness.settings->relayUrl(), m_harness.relayUrl());
        m_harness.history = std::make_unique<ots::client::ShareHistory>(
            m_harness.configDir(), ots::client::SecretStore::openFile(m_harness.configDir()));
        m_harness.window = std::make_unique<MainWindow>(m_harness.settings.get(), m_harness.history.get());
        m_harness.window->resize(1280, 800);
        m_harness.window->show();
        QVERIFY(QTest::qWaitForWindowExposed(m_harness.window.get()));

        QVERIFY(openAndShowDetails(link));
        QVERIFY(receive()->heldNotice()->isVisible());
        const QString notice = receive()->heldNotice()->text();
        QVERIFY2(notice.contains(QLatin1String("already reserved for this computer")), qPrintable(notice));
        QVERIFY2(notice.contains(QLatin1String("does not use another download")), qPrintable(notice));
        QCOMPARE(receive()->downloadButton()->text(), QStringLiteral("&Resume download"));
        QVERIFY(receive()->errorLabel()->text().isEmpty());
        QVERIFY2(receive()->infoLabel()->text().contains(QLatin1String("1 download left")),
                 qPrintable(receive()->infoLabel()->text()));
        QCOMPARE(downloadsLeft(sent.id), 1);

        QVERIFY(clickDownload(disk.path()));
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Done, qPrintable(receive()->errorLabel()->text()));
        QVERIFY(readFile(disk.filePath(QStringLiteral("field-recordings.bin"))) == content);
        QCOMPARE(downloadsLeft(sent.id), 1);
        QCOMPARE(reservedInRedis(sent.id), QByteArray("1"));
    }

    void cleanupTestCase() {
        m_harness.window.reset();
        m_proxy.stop();
    }
};

QTEST_MAIN(TestGuiReceiveResume)
#include "tst_gui_receive_resume.moc"
