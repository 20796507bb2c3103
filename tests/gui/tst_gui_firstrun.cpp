// A new user's first minutes, against a real redis-server and ots-relay: the Send page's notice when
// no relay is set up (before any file is chosen) and "Set up a relay"; a send to a closed port fails
// at once, naming the relay once; an onetimeshare:// link to the loopback http relay, handed over by
// a second launch of the real program, opens and downloads; and the link page after a send: the
// files' own size, "Downloaded" seen from the relay, "Delete now" asking first and leaving no link to
// copy, and Copy beside (not over) the link at the window's minimum width.

#include "DropZone.h"
#include "GuiTestRelay.h"
#include "ReceivePage.h"
#include "RelayNotice.h"
#include "SendPage.h"
#include "SettingsPage.h"
#include "SingleInstance.h"

#include <QClipboard>
#include <QElapsedTimer>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#ifndef OTS_GUI_BINARY
#error "OTS_GUI_BINARY must name the onetimeshare executable"
#endif

using ots::gui::MainWindow;
using ots::gui::ReceivePage;
using ots::gui::RelayNotice;
using ots::gui::SendPage;
using namespace ots::guitest;

namespace {

constexpr int kJobTimeoutMs = 90'000;

/// A loopback port nothing listens on: bound, then released.
quint16 closedPort() {
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, 0))
        return 0;
    const quint16 port = server.serverPort();
    server.close();
    return port;
}

/// The message box a page opened (its object name), once it is shown.
QMessageBox* waitForMessageBox(QWidget* parent, const QString& name) {
    QMessageBox* box = nullptr;
    const bool shown = QTest::qWaitFor(
        [&] {
            box = parent->findChild<QMessageBox*>(name);
            return box != nullptr && box->isVisible();
        },
        10'000);
    return shown ? box : nullptr;
}

} // namespace

class TestGuiFirstRun : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;

    SendPage* send() const { return m_harness.window->sendPage(); }
    ReceivePage* receive() const { return m_harness.window->receivePage(); }

    /// Drops paths on the drop zone and waits for the link page; empty on failure (see the error label).
    bool dropAndWaitForLink(const QStringList& paths) {
        m_harness.window->showPage(MainWindow::Page::Send);
        send()->startOver();
        QList<QUrl> urls;
        for (const QString& path : paths)
            urls << QUrl::fromLocalFile(path);
        if (!dropUrls(send()->dropZone(), urls))
            return false;
        return QTest::qWaitFor([this] { return send()->stage() != SendPage::Stage::Sending; },
                               kJobTimeoutMs) &&
               send()->stage() == SendPage::Stage::Result;
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
    }

    void firstRunSaysSoBeforeAnyFileAndFailsFast() {
        // A fresh configuration: no relay saved, no history (its own window next to the harness's).
        // New shares would go to the default address, http://127.0.0.1:8080, where no relay runs on a
        // test machine.
        const QString dir = m_harness.freshDir(QStringLiteral("fresh-config"));
        ots::client::Settings fresh(QDir(dir).filePath(QStringLiteral("settings.ini")));
        QVERIFY(!fresh.relayConfigured());
        ots::client::ShareHistory history(dir, ots::client::SecretStore::openFile(dir));
        MainWindow window(&fresh, &history);
        window.resize(1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        SendPage* page = window.sendPage();
        RelayNotice* notice = page->relayNotice();
        QCOMPARE(window.currentPage(), MainWindow::Page::Send);
        QCOMPARE(page->stage(), SendPage::Stage::Compose);

        // The notice is there before any file is chosen, names the address tried, and offers set-up.
        QTRY_VERIFY_WITH_TIMEOUT(notice->isVisible(), 10'000);
        QCOMPARE(notice->state(), RelayNotice::State::NotSetUp);
        const QString address = fresh.relayUrl().toString();
        QVERIFY2(notice->messageLabel()->text().contains(address),
                 qPrintable(notice->messageLabel()->text()));
        QCOMPARE(notice->messageLabel()->textFormat(), Qt::PlainText);
        QVERIFY(notice->setUpButton()->isVisible());
        QVERIFY(page->dropZone()->isVisible());

        // "Set up a relay" opens Settings with the address field focused (token and Test follow it).
        QTest::mouseClick(notice->setUpButton(), Qt::LeftButton);
        QCOMPARE(window.currentPage(), MainWindow::Page::Settings);
        auto* relayEdit = window.settingsPage()->findChild<QLineEdit*>(QStringLiteral("relayUrlEdit"));
        QVERIFY(relayEdit != nullptr);
        QTRY_COMPARE_WITH_TIMEOUT(QApplication::focusWidget(), static_cast<QWidget*>(relayEdit), 5'000);

        // A relay that does not answer: a closed loopback port. The notice says so too.
        const quint16 port = closedPort();
        QVERIFY(port != 0);
        const QString closed = QStringLiteral("http://127.0.0.1:%1").arg(port);
        relayEdit->setText(closed);
        QTest::keyClick(relayEdit, Qt::Key_Return); // saves it (and tests it)
        QTRY_COMPARE_WITH_TIMEOUT(fresh.relayUrl(), QUrl(closed), 10'000);
        QVERIFY(fresh.relayConfigured());
        window.showPage(MainWindow::Page::Send);
        QTRY_COMPARE_WITH_TIMEOUT(notice->state(), RelayNotice::State::NotAnswering, 10'000);
        QVERIFY(notice->isVisible());
        QVERIFY2(notice->messageLabel()->text().contains(closed), qPrintable(notice->messageLabel()->text()));

        // A send against it fails in under 2 s, with a message that names the relay's address once.
        const QString source = m_harness.freshDir(QStringLiteral("first-run-file"));
        const QString path = QDir(source).filePath(QStringLiteral("notes.txt"));
        QVERIFY(writeFile(path, "first share\n"));
        QSignalSpy failed(page, &SendPage::shareFailed);
        QElapsedTimer clock;
        clock.start();
        QVERIFY(dropUrls(page->dropZone(), {QUrl::fromLocalFile(path)}));
        QTRY_COMPARE_WITH_TIMEOUT(failed.size(), 1, 10'000);
        const qint64 elapsed = clock.elapsed();
        QVERIFY2(elapsed < 2000, qPrintable(QStringLiteral("the send failed after %1 ms").arg(elapsed)));
        QCOMPARE(page->stage(), SendPage::Stage::Compose);
        const QString message = page->errorLabel()->text();
        QVERIFY2(page->errorLabel()->isVisible(), qPrintable(message));
        QVERIFY2(message.count(QStringLiteral("127.0.0.1:%1").arg(port)) == 1, qPrintable(message));
        QVERIFY(notice->isVisible());
    }

    void appSchemeLinkOpensAndDownloads() {
        const QString source = m_harness.freshDir(QStringLiteral("scheme"));
        const QString path = QDir(source).filePath(QStringLiteral("plan.bin"));
        const QByteArray content = randomBytes(300'000);
        QVERIFY(writeFile(path, content));
        QVERIFY2(dropAndWaitForLink({path}), qPrintable(send()->errorLabel()->text()));
        const QString appLink = send()->lastResult().appLink;
        const QString prefix =
            QStringLiteral("onetimeshare://127.0.0.1:%1/s/").arg(m_harness.fixture.relay.port());
        QVERIFY2(appLink.startsWith(prefix), qPrintable(appLink));
        QCOMPARE(appLink.mid(prefix.size()), send()->lastResult().link.mid(prefix.size() - 8));

        // This process is the running window; the real program, launched with the app link as a
        // desktop does for a clicked onetimeshare:// link, hands it over and exits.
        ots::gui::SingleInstance running;
        QVERIFY2(running.listen(), qPrintable(running.errorString()));
        QSignalSpy received(&running, &ots::gui::SingleInstance::argumentsReceived);
        connect(&running, &ots::gui::SingleInstance::argumentsReceived, m_harness.window.get(),
                &MainWindow::handleArguments);
        QProcess launch;
        launch.setProgram(QStringLiteral(OTS_GUI_BINARY));
        launch.setArguments({appLink});
        launch.start();
        QVERIFY(launch.waitForStarted(10'000));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 30'000);
        QVERIFY(QTest::qWaitFor([&launch] { return launch.state() == QProcess::NotRunning; }, 30'000));
        QCOMPARE(launch.exitCode(), 0);

        // Receive opened it over http (no certificate error) and downloads it byte for byte.
        QCOMPARE(m_harness.window->currentPage(), MainWindow::Page::Receive);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() != ReceivePage::Stage::Checking, kJobTimeoutMs);
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details,
                 qPrintable(receive()->errorLabel()->text()));
        const QString target = m_harness.freshDir(QStringLiteral("scheme-received"));
        receive()->folderEdit()->setText(target);
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() != ReceivePage::Stage::Downloading, kJobTimeoutMs);
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Done, qPrintable(receive()->errorLabel()->text()));
        QCOMPARE(readFile(QDir(target).filePath(QStringLiteral("plan.bin"))), content);

        // Back on the link page, the sender sees the download, and the dead link cannot be copied.
        QSignalSpy seen(send(), &SendPage::downloadsSeen);
        m_harness.window->showPage(MainWindow::Page::Send);
        QTRY_VERIFY_WITH_TIMEOUT(!seen.isEmpty(), 15'000);
        QVERIFY2(send()->resultStatusLabel()->text().contains(QLatin1String("Downloaded")),
                 qPrintable(send()->resultStatusLabel()->text()));
        QVERIFY(!send()->copyButton()->isEnabled());
    }

    void linkPageShowsFileSizesAndAsksBeforeDeleting() {
        const QString source = m_harness.freshDir(QStringLiteral("link-page"));
        const QString path = QDir(source).filePath(QStringLiteral("draft.txt"));
        const QByteArray content = randomBytes(1000);
        QVERIFY(writeFile(path, content));
        QVERIFY2(dropAndWaitForLink({path}), qPrintable(send()->errorLabel()->text()));
        const QString link = send()->lastResult().link;
        const QString id = send()->lastResult().id;
        const quint16 redisPort = m_harness.fixture.redis.port();
        const QByteArray shareKey = QStringLiteral("ots:{%1}:share").arg(id).toLatin1();

        // The size of the file itself, as the receiver will see it (not the container's).
        QVERIFY2(send()->resultSummaryLabel()->text().contains(
                     ots::client::formatBytes(static_cast<std::uint64_t>(content.size()))),
                 qPrintable(send()->resultSummaryLabel()->text()));

        // At the window's minimum width, Copy sits beside the link, not over it.
        const QSize before = m_harness.window->size();
        m_harness.window->resize(m_harness.window->minimumSize());
        QTest::qWait(100);
        const QWidget* common = send();
        const QRect linkBox(send()->linkEdit()->mapTo(common, QPoint(0, 0)), send()->linkEdit()->size());
        const QRect copyBox(send()->copyButton()->mapTo(common, QPoint(0, 0)), send()->copyButton()->size());
        QVERIFY2(!linkBox.intersects(copyBox), qPrintable(QStringLiteral("link %1,%2 %3×%4, copy %5,%6")
                                                              .arg(linkBox.x())
                                                              .arg(linkBox.y())
                                                              .arg(linkBox.width())
                                                              .arg(linkBox.height())
                                                              .arg(copyBox.x())
                                                              .arg(copyBox.y())));
        QVERIFY(send()->copyButton()->geometry().right() <= send()->copyButton()->parentWidget()->width());
        m_harness.window->resize(before);

        // "Delete now" asks first; Cancel keeps the share.
        QSignalSpy deleted(send(), &SendPage::shareDeleted);
        QTest::mouseClick(send()->deleteButton(), Qt::LeftButton);
        QMessageBox* confirm = waitForMessageBox(send(), QStringLiteral("sendDeleteConfirm"));
        QVERIFY(confirm != nullptr);
        QCOMPARE(confirm->defaultButton(), confirm->button(QMessageBox::Cancel));
        QTest::mouseClick(confirm->button(QMessageBox::Cancel), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(
            send()->findChild<QMessageBox*>(QStringLiteral("sendDeleteConfirm")) == nullptr, 5'000);
        QTest::qWait(200);
        QCOMPARE(deleted.size(), 0);
        QVERIFY(ots::relaytest::shareKeys(redisPort, id.toLatin1()).contains(shareKey));
        QVERIFY(send()->copyButton()->isEnabled());

        // Delete confirms; then the page says so and the dead link can no longer be copied.
        QTest::mouseClick(send()->deleteButton(), Qt::LeftButton);
        confirm = waitForMessageBox(send(), QStringLiteral("sendDeleteConfirm"));
        QVERIFY(confirm != nullptr);
        QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(deleted.size(), 1, 30'000);
        QCOMPARE(deleted.first().first().toBool(), true);
        QVERIFY(!ots::relaytest::shareKeys(redisPort, id.toLatin1()).contains(shareKey));
        QVERIFY2(send()->resultStatusLabel()->text().contains(QLatin1String("Deleted")),
                 qPrintable(send()->resultStatusLabel()->text()));
        QVERIFY(!send()->copyButton()->isEnabled());
        QVERIFY(!send()->linkEdit()->text().contains(id));
        QApplication::clipboard()->setText(QStringLiteral("something else"));
        send()->copyLink();
        QCOMPARE(QApplication::clipboard()->text(), QStringLiteral("something else"));
        QVERIFY(QApplication::clipboard()->text() != link);
    }
};

QTEST_MAIN(TestGuiFirstRun)
#include "tst_gui_firstrun.moc"
