// gui_screenshots: the real window at 1280×800 against a real redis-server and ots-relay, captured
// as PNG files for the README — Send (empty, sending, retrying while the relay is down, link ready with
// QR), Receive (file list, password prompt, a download that failed on a full disk offered for Resume),
// History and Settings, and the first run (no relay set up: the Send page's notice), each in the light
// and the dark theme.
//
//   xvfb-run -a -s "-screen 0 1280x800x24" build/tests/gui/gui_screenshots [OUTPUT_DIR]
//
// Run it as root (as CI runs the tests): the full disk is a real tmpfs it mounts.
// OUTPUT_DIR defaults to resources/screenshots in the source tree. Built with the tests, never run
// by ctest (it needs a display to be worth anything and rewrites files in the source tree).

#include "HistoryPage.h"
#include "MainWindow.h"
#include "ReceivePage.h"
#include "RelayNotice.h"
#include "RelayProcess.h"
#include "SendPage.h"
#include "SettingsPage.h"
#include "TcpProxy.h"
#include "Theme.h"
#include "TmpfsMount.h"
#include "TransferProgress.h"
#include "ots/Crypto.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/SecretStore.h"
#include "ots/client/SendJob.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPointer>
#include <QPushButton>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>
#include <QTreeWidget>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>

using ots::client::SendResult;
using ots::client::Settings;
using ots::gui::MainWindow;

namespace {

constexpr int kWaitMs = 60'000;
constexpr qint64 kKiB = 1024;

[[noreturn]] void fail(const QString& what) {
    std::fprintf(stderr, "gui_screenshots: %s\n", qPrintable(what));
    std::exit(1);
}

void writeFile(const QString& path, qint64 size) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        fail(QStringLiteral("cannot write %1").arg(path));
    QByteArray block(static_cast<qsizetype>(std::min<qint64>(size, qint64(64) * 1024)), Qt::Uninitialized);
    qint64 left = size;
    while (left > 0) {
        for (char& c : block)
            c = static_cast<char>(QRandomGenerator::global()->bounded(256));
        const qint64 n = std::min<qint64>(left, block.size());
        file.write(block.constData(), n);
        left -= n;
    }
}

class Shooter {
public:
    Shooter(QString outputDir, Settings* settings, ots::client::ShareHistory* history, QString relayUrl)
        : m_outputDir(std::move(outputDir))
        , m_settings(settings)
        , m_history(history)
        , m_relayUrl(std::move(relayUrl)) {
        if (!m_files.isValid())
            fail(QStringLiteral("no temporary folder"));
    }

    QString file(const QString& relative, qint64 size) {
        QString path = m_files.filePath(relative);
        if (!QFileInfo::exists(path))
            writeFile(path, size);
        return path;
    }

    // A share made the way the Send page makes one, recorded in the history.
    SendResult send(const QStringList& paths, const QString& password = {}, int maxDownloads = 1,
                    const std::optional<QByteArray>& text = {}) {
        ots::client::SendOptions options;
        options.relay = QUrl(m_relayUrl);
        options.paths = paths;
        options.text = text;
        options.password = password;
        options.maxDownloads = maxDownloads;
        options.expiresIn = std::int64_t(3) * 24 * 3600;
        ots::client::SendJob job(options);
        QSignalSpy finished(&job, &ots::client::SendJob::finished);
        QSignalSpy failed(&job, &ots::client::SendJob::failed);
        job.start();
        if (!QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kWaitMs) ||
            !failed.isEmpty())
            fail(QStringLiteral("send failed: %1").arg(job.error().message));
        if (const auto added = m_history->add(job.result()); !added.ok())
            fail(added.message);
        return job.result();
    }

    // A real download of the share (uses one of its downloads); or, with a wrong password, one
    // failed attempt.
    void receive(const SendResult& sent, const QString& password = {}, bool expectWrong = false) {
        ots::client::ReceiveJob job({sent.link, {}, false, {}});
        QSignalSpy ready(&job, &ots::client::ReceiveJob::metadataReady);
        QSignalSpy finished(&job, &ots::client::ReceiveJob::finished);
        QSignalSpy failed(&job, &ots::client::ReceiveJob::failed);
        job.unlock(password);
        if (!QTest::qWaitFor([&] { return !ready.isEmpty() || !failed.isEmpty(); }, kWaitMs))
            fail(QStringLiteral("receive timed out"));
        if (expectWrong) {
            if (failed.isEmpty())
                fail(QStringLiteral("a wrong password was accepted"));
            return;
        }
        if (!failed.isEmpty())
            fail(QStringLiteral("receive failed: %1").arg(job.error().message));
        QTemporaryDir out;
        job.download(out.path());
        if (!QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kWaitMs) ||
            !failed.isEmpty())
            fail(QStringLiteral("download failed: %1").arg(job.error().message));
    }

    void shoot(QWidget& window, const QString& name) {
        QTest::qWait(250); // let icons, fades and layouts settle
        QApplication::processEvents();
        const QString theme = ots::gui::Theme::effective() == Settings::Theme::Dark ? QStringLiteral("dark")
                                                                                    : QStringLiteral("light");
        const QString path = QDir(m_outputDir).filePath(QStringLiteral("%1-%2.png").arg(name, theme));
        if (!window.grab().save(path, "PNG"))
            fail(QStringLiteral("cannot save %1").arg(path));
        std::printf("%s\n", qPrintable(path));
        std::fflush(stdout);
    }

private:
    QString m_outputDir;
    Settings* m_settings;
    ots::client::ShareHistory* m_history;
    QString m_relayUrl;
    QTemporaryDir m_files;
};

QPointer<QWidget> g_window; // shown in the picture left behind when something does not appear

template <typename Condition>
void waitFor(Condition condition, const char* what) {
    if (QTest::qWaitFor(condition, kWaitMs))
        return;
    QString extra;
    if (!g_window.isNull()) {
        const QString path = QDir(QDir::tempPath()).filePath(QStringLiteral("gui_screenshots-failed.png"));
        if (g_window->grab().save(path, "PNG"))
            extra = QStringLiteral(" (the window is in %1)").arg(path);
    }
    fail(QStringLiteral("timed out waiting for %1%2").arg(QString::fromLatin1(what), extra));
}

// The theme is switched the way a person does it: in Settings.
void chooseTheme(MainWindow& window, Settings::Theme theme) {
    window.showPage(MainWindow::Page::Settings);
    auto* combo = window.settingsPage()->findChild<QComboBox*>(QStringLiteral("themeCombo"));
    if (combo == nullptr)
        fail(QStringLiteral("the Settings page has no theme choice"));
    combo->setCurrentIndex(combo->findData(static_cast<int>(theme)));
    if (ots::gui::Theme::effective() != theme)
        fail(QStringLiteral("the theme did not change"));
}

} // namespace

int main(int argc, char* argv[]) {
    QTemporaryDir configDir;
    if (!configDir.isValid())
        return 1;
    qputenv("OTS_CONFIG_DIR", configDir.path().toUtf8());
    qputenv("OTS_SECRET_STORE", "file");

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("OneTimeShare"));
    QApplication::setApplicationDisplayName(QStringLiteral("OneTimeShare"));
    Q_INIT_RESOURCE(onetimeshare);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    const QString outputDir = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral(OTS_SCREENSHOT_DIR);
    QDir().mkpath(outputDir);

    if (!ots::initialize().ok())
        fail(QStringLiteral("the crypto self-test failed"));
    ots::relaytest::RelayFixture fixture;
    if (!fixture.start({QStringLiteral("--max-attempts"), QStringLiteral("3")}))
        fail(QString::fromUtf8(fixture.error()));
    const QString relayUrl = QStringLiteral("http://127.0.0.1:%1").arg(fixture.relay.port());

    Settings settings;
    settings.setRelayUrl(QUrl(relayUrl));
    settings.setTheme(Settings::Theme::Light);
    settings.sync();
    ots::gui::Theme::apply(Settings::Theme::Light);
    ots::client::ShareHistory history;
    Shooter shooter(outputDir, &settings, &history, relayUrl);

    // A history with a share in every state.
    const QString report = shooter.file(QStringLiteral("quarterly-report.pdf"), kKiB * 840);
    const QString contract = shooter.file(QStringLiteral("contract-draft.docx"), kKiB * 96);
    const QString mockups = shooter.file(QStringLiteral("design-mockups.zip"), kKiB * 2300);
    QStringList photos;
    for (const char* name :
         {"beach.jpg", "sunset.jpg", "old-town.jpg", "harbour.jpg", "market.jpg", "ferry.jpg"})
        photos << shooter.file(QStringLiteral("holiday-photos/") + QString::fromLatin1(name), kKiB * 350);
    const QString photoFolder = QFileInfo(photos.constFirst()).absolutePath();

    const SendResult text =
        shooter.send({}, {}, 1, QByteArray("Wi-Fi password for the office: correct-horse-battery"));
    if (!history.revoke(history.find(text.id).value()).ok())
        fail(QStringLiteral("revoke failed"));
    const SendResult locked = shooter.send({contract}, QStringLiteral("a strong shared passphrase"));
    for (int attempt = 0; attempt < 3; ++attempt)
        shooter.receive(locked, QStringLiteral("guess %1").arg(attempt), true);
    const SendResult downloaded = shooter.send({photoFolder});
    shooter.receive(downloaded);
    const SendResult partly = shooter.send({mockups}, {}, 3);
    shooter.receive(partly);
    shooter.send({report});

    // What Receive shows: a folder share (its list is read without using a download) and a share
    // with a password.
    for (const auto& [name, size] :
         {std::pair{"income-statement.pdf", 420 * 1024}, std::pair{"receipts.zip", 5400 * 1024},
          std::pair{"deductions.xlsx", 88 * 1024}, std::pair{"notes/letter-to-advisor.odt", 36 * 1024},
          std::pair{"notes/checklist.txt", 3 * 1024}})
        (void)shooter.file(QStringLiteral("tax-documents-2026/") + QString::fromLatin1(name), size);
    const SendResult folder = shooter.send({shooter.file(QStringLiteral("tax-documents-2026"), 0)}, {}, 2);
    const SendResult secret = shooter.send({shooter.file(QStringLiteral("passport-scan.pdf"), kKiB * 1200)},
                                           QStringLiteral("another strong passphrase"));

    MainWindow window(&settings, &history);
    window.resize(1280, 800);
    window.show();
    if (!QTest::qWaitForWindowExposed(&window))
        fail(QStringLiteral("the window was not shown"));
    g_window = &window;

    // History and Settings first in both themes, so both pictures show the same shares.
    for (const Settings::Theme theme : {Settings::Theme::Light, Settings::Theme::Dark}) {
        chooseTheme(window, theme);

        // History: refreshed from the relay, one share selected.
        window.showPage(MainWindow::Page::History);
        ots::gui::HistoryPage* historyPage = window.historyPage();
        QSignalSpy refreshed(historyPage, &ots::gui::HistoryPage::refreshFinished);
        historyPage->refresh();
        waitFor([&] { return !refreshed.isEmpty() || !historyPage->busy(); }, "the history refresh");
        waitFor([&] { return !historyPage->busy(); }, "the history refresh");
        historyPage->selectShare(downloaded.id);
        shooter.shoot(window, QStringLiteral("history"));

        // Settings, after a successful connection test.
        window.showPage(MainWindow::Page::Settings);
        ots::gui::SettingsPage* settingsPage = window.settingsPage();
        QSignalSpy tested(settingsPage, &ots::gui::SettingsPage::connectionTested);
        settingsPage->testConnection();
        waitFor([&] { return !tested.isEmpty(); }, "the connection test");
        shooter.shoot(window, QStringLiteral("settings"));
    }

    // The big file for "sending in progress": sparse, so it costs no disk, and big enough that the
    // upload is still running when the picture is taken.
    const QString big = shooter.file(QStringLiteral("big/video-archive.mov"), 0);
    {
        QFile sparse(big);
        if (!sparse.resize(2 * kKiB * kKiB * kKiB))
            fail(QStringLiteral("cannot make the big file"));
    }

    for (const Settings::Theme theme : {Settings::Theme::Light, Settings::Theme::Dark}) {
        chooseTheme(window, theme);

        // Send: empty.
        window.showPage(MainWindow::Page::Send);
        ots::gui::SendPage* send = window.sendPage();
        send->startOver();
        shooter.shoot(window, QStringLiteral("send-empty"));

        // Send: in progress (then cancelled, which deletes the half-made share).
        send->sendPaths({big});
        waitFor(
            [&] {
                return send->stage() == ots::gui::SendPage::Stage::Sending &&
                       send->progressView()->percent() >= 3;
            },
            "the upload to start");
        shooter.shoot(window, QStringLiteral("send-progress"));

        // Send: the relay goes away mid-upload; the page counts down to the next try, and the upload
        // resumes by itself once the relay is back.
        fixture.relay.kill();
        waitFor(
            [&] {
                return send->progressView()->detailLabel()->text().contains(QLatin1String("retrying in"));
            },
            "the retry countdown");
        shooter.shoot(window, QStringLiteral("send-retrying"));
        if (!fixture.relay.restart())
            fail(fixture.relay.error());
        waitFor(
            [&] { return send->progressView()->detailLabel()->text().startsWith(QLatin1String("Resumed")); },
            "the upload to resume");
        send->cancel();
        waitFor([&] { return send->stage() != ots::gui::SendPage::Stage::Sending; }, "the cancel");
        send->startOver();

        // Send: the link with its QR code.
        send->sendPaths({report});
        waitFor([&] { return send->stage() == ots::gui::SendPage::Stage::Result; }, "the link");
        shooter.shoot(window, QStringLiteral("send-link"));
        send->startOver();

        // Receive: the file list of a folder share (nothing downloaded yet).
        window.showPage(MainWindow::Page::Receive);
        ots::gui::ReceivePage* receive = window.receivePage();
        receive->reset();
        receive->openLink(folder.link);
        waitFor(
            [&] { return receive->fileList()->topLevelItemCount() > 0 && receive->fileList()->isVisible(); },
            "the file list");
        shooter.shoot(window, QStringLiteral("receive-files"));

        // Receive: the password prompt.
        receive->reset();
        receive->openLink(secret.link);
        waitFor([&] { return receive->passwordBox()->isVisible(); }, "the password prompt");
        receive->passwordEdit()->setFocus();
        shooter.shoot(window, QStringLiteral("receive-password"));
        receive->reset();
    }

    // Receive: a download that failed half-way because the disk filled up, still reserved and offered
    // for Resume. A real full disk (a 5 MiB tmpfs, so this needs root) filled while a throttling proxy
    // keeps the download running.
    {
        const SendResult survey =
            shooter.send({shooter.file(QStringLiteral("site-survey-scans.zip"), kKiB * 3 * 1024)}, {}, 2);
        ots::test::TmpfsMount disk(kKiB * 5 * 1024);
        if (!disk.ok())
            fail(QString::fromUtf8(disk.error()));
        ots::test::TcpProxy proxy;
        if (!proxy.start(fixture.relay.port()))
            fail(QStringLiteral("the proxy did not start"));
        QString link = survey.link;
        link.replace(QStringLiteral(":%1/").arg(fixture.relay.port()),
                     QStringLiteral(":%1/").arg(proxy.port()));
        proxy.throttleToClient(kKiB * 2 * 1024);
        window.showPage(MainWindow::Page::Receive);
        ots::gui::ReceivePage* receive = window.receivePage();
        receive->reset();
        receive->openLink(link);
        waitFor([&] { return receive->stage() == ots::gui::ReceivePage::Stage::Details; }, "the file list");
        receive->folderEdit()->setText(disk.path());
        const qint64 usedBefore = disk.usedBytes();
        receive->download();
        waitFor([&] { return disk.usedBytes() - usedBefore >= 128 * kKiB; }, "the download to start");
        if (!disk.fill())
            fail(QStringLiteral("cannot fill the disk"));
        waitFor([&] { return receive->stage() != ots::gui::ReceivePage::Stage::Downloading; }, "the failure");
        if (receive->stage() != ots::gui::ReceivePage::Stage::Details || !receive->heldNotice()->isVisible())
            fail(QStringLiteral("the failed download cannot be resumed: %1")
                     .arg(receive->errorLabel()->text()));
        for (const Settings::Theme theme : {Settings::Theme::Light, Settings::Theme::Dark}) {
            chooseTheme(window, theme);
            window.showPage(MainWindow::Page::Receive);
            receive->downloadButton()->setFocus();
            shooter.shoot(window, QStringLiteral("receive-resumable"));
        }
        receive->reset();
    }
    window.hide();

    // First run: a fresh configuration (no relay saved, no history), so new shares would go to the
    // default address, where nothing answers here. The Send page says so before anything is chosen.
    const QString freshDir = QDir(configDir.path()).filePath(QStringLiteral("first-run"));
    QDir().mkpath(freshDir);
    Settings fresh(QDir(freshDir).filePath(QStringLiteral("settings.ini")));
    ots::client::ShareHistory freshHistory(freshDir, ots::client::SecretStore::openFile(freshDir));
    MainWindow firstRun(&fresh, &freshHistory);
    firstRun.resize(1280, 800);
    firstRun.show();
    if (!QTest::qWaitForWindowExposed(&firstRun))
        fail(QStringLiteral("the first-run window was not shown"));
    g_window = &firstRun;
    for (const Settings::Theme theme : {Settings::Theme::Light, Settings::Theme::Dark}) {
        chooseTheme(firstRun, theme);
        firstRun.showPage(MainWindow::Page::Send);
        ots::gui::RelayNotice* notice = firstRun.sendPage()->relayNotice();
        notice->check();
        waitFor(
            [&] { return notice->state() == ots::gui::RelayNotice::State::NotSetUp && notice->isVisible(); },
            "the first-run notice");
        shooter.shoot(firstRun, QStringLiteral("first-run"));
    }
    return 0;
}
