// The window's main flows against a real redis-server and ots-relay, driven like a person would:
// drops on the drop zone, the clipboard, Enter and clicks, and a second `onetimeshare LINK` launch;
// and with "Copy app-only links" set, the onetimeshare:// link a real send copies, shows and encodes.

#include "DropZone.h"
#include "GuiTestRelay.h"
#include "QrCodeWidget.h"
#include "ReceivePage.h"
#include "SendPage.h"
#include "SettingsPage.h"
#include "SingleInstance.h"
#include "Theme.h"
#include "TransferProgress.h"
#include "ots/ShareLink.h"
#include "ots/client/Passphrase.h"
#include "ots/client/SendJob.h"

#include <QCheckBox>
#include <QClipboard>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QProcess>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>
#include <QTreeWidget>
#include <QtConcurrent/QtConcurrentRun>

#ifndef OTS_GUI_BINARY
#error "OTS_GUI_BINARY must name the onetimeshare executable"
#endif

using ots::gui::MainWindow;
using ots::gui::ReceivePage;
using ots::gui::SendPage;
using namespace ots::guitest;

namespace {
constexpr int kJobTimeoutMs = 90'000;
}

class TestGuiFlows : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;

    SendPage* send() const { return m_harness.window->sendPage(); }
    ReceivePage* receive() const { return m_harness.window->receivePage(); }

    /// With OTS_GUI_GRAB_DIR set (e.g. under Xvfb), saves the window as NAME.png there: a way to look
    /// at what the tests drive.
    void grab(const QString& name) const {
        const QString dir = qEnvironmentVariable("OTS_GUI_GRAB_DIR");
        if (dir.isEmpty())
            return;
        QTest::qWait(50); // let the layout settle and paint
        m_harness.window->grab().save(QDir(dir).filePath(name + QStringLiteral(".png")));
    }

    /// Drops paths on the drop zone and waits for the link; the link.
    QString dropAndWaitForLink(const QStringList& paths) {
        m_harness.window->showPage(MainWindow::Page::Send);
        QList<QUrl> urls;
        for (const QString& path : paths)
            urls << QUrl::fromLocalFile(path);
        if (!dropUrls(send()->dropZone(), urls))
            return QStringLiteral("drop refused");
        if (!QTest::qWaitFor([this] { return send()->stage() != SendPage::Stage::Sending; }, kJobTimeoutMs))
            return QStringLiteral("still sending");
        if (send()->stage() != SendPage::Stage::Result)
            return QStringLiteral("send ended in stage %1: %2")
                .arg(static_cast<int>(send()->stage()))
                .arg(send()->errorLabel()->text());
        return send()->lastResult().link;
    }

    /// Pastes the clipboard into Receive's link field with Ctrl+V, presses Enter and waits for the details.
    bool pasteAndInspect() {
        m_harness.window->showPage(MainWindow::Page::Receive);
        if (receive()->stage() != ReceivePage::Stage::Empty)
            receive()->reset();
        QLineEdit* field = receive()->linkEdit();
        field->setFocus();
        field->clear();
        QTest::keyClick(field, Qt::Key_V, Qt::ControlModifier);
        QTest::keyClick(field, Qt::Key_Return);
        return QTest::qWaitFor([this] { return receive()->stage() != ReceivePage::Stage::Checking; },
                               kJobTimeoutMs);
    }

    /// Downloads into a fresh folder and waits; the folder.
    QString downloadAll() {
        QString target = m_harness.freshDir(QStringLiteral("received"));
        receive()->folderEdit()->setText(target);
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        if (!QTest::qWaitFor([this] { return receive()->stage() != ReceivePage::Stage::Downloading; },
                             kJobTimeoutMs))
            return QStringLiteral("still downloading");
        return target;
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        if (qEnvironmentVariable("OTS_GUI_GRAB_THEME") == QLatin1String("dark"))
            ots::gui::Theme::apply(ots::client::Settings::Theme::Dark);
        grab(QStringLiteral("send-empty"));
    }

    void dropFileThenReceiveIt() {
        const QString source = m_harness.freshDir(QStringLiteral("file"));
        const QString path = QDir(source).filePath(QStringLiteral("report.bin"));
        const QByteArray content = randomBytes(3 * 1024 * 1024 + 77);
        QVERIFY(writeFile(path, content));

        QSignalSpy recorded(send(), &SendPage::historyRecorded);
        const QString link = dropAndWaitForLink({path});
        QVERIFY2(link.startsWith(QLatin1String("http://127.0.0.1:")), qPrintable(link));
        QCOMPARE(send()->stage(), SendPage::Stage::Result);
        QCOMPARE(QApplication::clipboard()->text(), link);
        QCOMPARE(send()->linkEdit()->text(), link);
        QVERIFY(send()->qrCode()->moduleCount() >= 21);
        QCOMPARE(send()->qrCode()->text(), link);
        grab(QStringLiteral("send-link-ready"));
        // Every share is recorded in the history.
        QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 1, 15'000);
        QCOMPARE(recorded.first().first().toBool(), true);
        QVERIFY(m_harness.history->find(send()->lastResult().id).ok());

        // The clipboard's link is offered on the Receive page; pasting it shows the file first.
        m_harness.window->showPage(MainWindow::Page::Receive);
        QVERIFY(receive()->clipboardButton()->isVisible());
        QVERIFY(pasteAndInspect());
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details,
                 qPrintable(receive()->errorLabel()->text()));
        QCOMPARE(receive()->fileList()->topLevelItemCount(), 1);
        QCOMPARE(receive()->fileList()->topLevelItem(0)->text(0), QStringLiteral("report.bin"));
        QCOMPARE(receive()->fileList()->topLevelItem(0)->text(1),
                 ots::client::formatBytes(3 * 1024 * 1024 + 77));
        QVERIFY2(receive()->infoLabel()->text().contains(QLatin1String("1 download")),
                 qPrintable(receive()->infoLabel()->text()));
        // Looking did not use the download.
        QCOMPARE(receive()->job()->info().downloadsLeft, 1);
        grab(QStringLiteral("receive-details"));

        const QString target = downloadAll();
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Done);
        QCOMPARE(readFile(QDir(target).filePath(QStringLiteral("report.bin"))), content);
        QVERIFY(receive()->openFolderButton()->isVisible());
        QCOMPARE(receive()->savedFolder(), target);

        // The one download is used: the same link now says so, in a sentence.
        QVERIFY(pasteAndInspect());
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Empty);
        QVERIFY2(receive()->errorLabel()->text().contains(QLatin1String("already been downloaded")),
                 qPrintable(receive()->errorLabel()->text()));
    }

    void dropFolderThenReceiveIt() {
        const QString root = m_harness.freshDir(QStringLiteral("tree"));
        const QString folder = QDir(root).filePath(QStringLiteral("photos"));
        QVERIFY(writeFile(QDir(folder).filePath(QStringLiteral("a.jpg")), randomBytes(200'000)));
        QVERIFY(writeFile(QDir(folder).filePath(QStringLiteral("trip/b.jpg")), randomBytes(350'001)));
        QVERIFY(writeFile(QDir(folder).filePath(QStringLiteral("trip/notes.txt")), "seen from the ferry\n"));
        QVERIFY(QDir().mkpath(QDir(folder).filePath(QStringLiteral("empty"))));

        const QString link = dropAndWaitForLink({folder + QLatin1Char('/')});
        QVERIFY2(link.startsWith(QLatin1String("http://")), qPrintable(link));
        QCOMPARE(QApplication::clipboard()->text(), link);

        QVERIFY(pasteAndInspect());
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details,
                 qPrintable(receive()->errorLabel()->text()));
        QStringList listed;
        for (int i = 0; i < receive()->fileList()->topLevelItemCount(); ++i)
            listed << receive()->fileList()->topLevelItem(i)->text(0);
        QVERIFY2(listed.contains(QStringLiteral("photos/trip/b.jpg")),
                 qPrintable(listed.join(QLatin1Char(' '))));
        QVERIFY2(listed.contains(QStringLiteral("photos/empty")), qPrintable(listed.join(QLatin1Char(' '))));

        const QString target = downloadAll();
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Done);
        QCOMPARE(snapshot(QDir(target).filePath(QStringLiteral("photos"))), snapshot(folder));
    }

    void passwordShareAsksAndReportsWrongPassword() {
        const QString source = m_harness.freshDir(QStringLiteral("secret"));
        const QString path = QDir(source).filePath(QStringLiteral("contract.pdf"));
        const QByteArray content = randomBytes(120'000);
        QVERIFY(writeFile(path, content));

        m_harness.window->showPage(MainWindow::Page::Send);
        send()->startOver();
        QTest::mouseClick(send()->generateButton(), Qt::LeftButton);
        const QString password = send()->passwordEdit()->text();
        QVERIFY(ots::client::looksGenerated(password));
        QVERIFY2(send()->strengthLabel()->text().contains(QLatin1String("Strong")),
                 qPrintable(send()->strengthLabel()->text()));
        const QString link = dropAndWaitForLink({path});
        QVERIFY2(link.startsWith(QLatin1String("http://")), qPrintable(link));
        QVERIFY(send()->lastResult().passwordProtected);
        QVERIFY(send()->copyPasswordButton()->isVisible());
        QTest::mouseClick(send()->copyPasswordButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), password);
        QApplication::clipboard()->setText(link);
        send()->startOver();
        QVERIFY(send()->passwordEdit()->text().isEmpty()); // the next share does not reuse it

        QVERIFY(pasteAndInspect());
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details,
                 qPrintable(receive()->errorLabel()->text()));
        QVERIFY(receive()->passwordBox()->isVisible());
        QVERIFY(!receive()->downloadButton()->isEnabled());
        const int attempts = receive()->job()->info().attemptsLeft;
        QVERIFY(attempts > 1);
        QVERIFY2(receive()->passwordStatus()->text().contains(QString::number(attempts)),
                 qPrintable(receive()->passwordStatus()->text()));
        QCOMPARE(receive()->fileList()->topLevelItemCount(), 0); // names are encrypted too
        grab(QStringLiteral("receive-password"));

        // A wrong password: said in a sentence with the attempts left, and the prompt stays.
        QSignalSpy errors(receive(), &ReceivePage::errorShown);
        receive()->passwordEdit()->setText(QStringLiteral("not-the-password"));
        QTest::keyClick(receive()->passwordEdit(), Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, kJobTimeoutMs);
        const QString said = errors.first().first().toString();
        QVERIFY2(said.contains(QLatin1String("not right")), qPrintable(said));
        QVERIFY2(said.contains(QString::number(attempts - 1)), qPrintable(said));
        QCOMPARE(receive()->passwordStatus()->text(), said);
        QVERIFY(receive()->passwordBox()->isVisible());
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Details);

        // The link with one character of its secret changed, and the right password: the relay refuses
        // the link before it counts anything, and the app says the link is damaged, not the password.
        QString damaged = link;
        const qsizetype at = link.indexOf(QLatin1Char('#')) + 7;
        damaged[at] = link[at] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');
        for (int i = 0; i < 3; ++i) {
            QApplication::clipboard()->setText(damaged);
            QVERIFY(pasteAndInspect());
            QCOMPARE(receive()->stage(), ReceivePage::Stage::Details);
            QSignalSpy damagedErrors(receive(), &ReceivePage::errorShown);
            receive()->passwordEdit()->setText(password);
            QTest::keyClick(receive()->passwordEdit(), Qt::Key_Return);
            QTRY_COMPARE_WITH_TIMEOUT(damagedErrors.size(), 1, kJobTimeoutMs);
            const QString damagedSaid = damagedErrors.first().first().toString();
            QVERIFY2(damagedSaid.contains(QLatin1String("damaged or incomplete")), qPrintable(damagedSaid));
            QVERIFY2(!damagedSaid.contains(QLatin1String("password")), qPrintable(damagedSaid));
            // Back to the link field: the link is what needs fixing.
            QCOMPARE(receive()->stage(), ReceivePage::Stage::Empty);
        }
        QApplication::clipboard()->setText(link);
        QVERIFY(pasteAndInspect());
        QCOMPARE(receive()->job()->info().attemptsLeft, attempts - 1);

        // The right one opens the file list, and the file arrives intact.
        QSignalSpy details(receive(), &ReceivePage::detailsShown);
        receive()->passwordEdit()->setText(password);
        QTest::mouseClick(receive()->unlockButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(details.size(), 1, kJobTimeoutMs);
        QCOMPARE(receive()->fileList()->topLevelItemCount(), 1);
        QVERIFY(receive()->downloadButton()->isEnabled());
        const QString target = downloadAll();
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Done);
        QCOMPARE(readFile(QDir(target).filePath(QStringLiteral("contract.pdf"))), content);
    }

    void cancelMidSendLeavesNothingOnTheRelay() {
        const quint16 redisPort = m_harness.fixture.redis.port();
        const QList<QByteArray> before = shareRecords(redisPort);
        const QString source = m_harness.freshDir(QStringLiteral("big"));
        const QString path = QDir(source).filePath(QStringLiteral("big.bin"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray block = randomBytes(qsizetype{4} * 1024 * 1024);
            for (int i = 0; i < 64; ++i) // 256 MiB: long enough to cancel in the middle
                QVERIFY(file.write(block) == block.size());
        }

        m_harness.window->showPage(MainWindow::Page::Send);
        send()->startOver();
        QSignalSpy cancelled(send(), &SendPage::shareCancelled);
        QVERIFY(dropUrls(send()->dropZone(), {QUrl::fromLocalFile(path)}));
        QCOMPARE(send()->stage(), SendPage::Stage::Sending);
        // Wait until the relay holds part of the upload.
        QTRY_VERIFY_WITH_TIMEOUT(send()->progressView()->percent() >= 1, kJobTimeoutMs);
        QVERIFY(send()->progressView()->percent() < 100);
        grab(QStringLiteral("send-progress"));
        QVERIFY(shareRecords(redisPort).size() == before.size() + 1);
        QTest::mouseClick(send()->progressView()->cancelButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, kJobTimeoutMs);
        QCOMPARE(send()->stage(), SendPage::Stage::Compose);
        QCOMPARE(shareRecords(redisPort), before);
        QFile::remove(path);
    }

    void textShareThroughASecondLaunch() {
        // A text share made with "Share text…".
        m_harness.window->showPage(MainWindow::Page::Send);
        send()->startOver();
        QTest::mouseClick(send()->shareTextButton(), Qt::LeftButton);
        QVERIFY(send()->textEdit()->isVisible());
        const QString secret = QStringLiteral("wifi: correct-horse-battery-staple ✓");
        send()->textEdit()->setPlainText(secret);
        QTest::mouseClick(send()->sendTextButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(send()->stage() == SendPage::Stage::Result, kJobTimeoutMs);
        const QString link = send()->lastResult().link;

        // This process is the running window (its SingleInstance listens under the user's name); a
        // second SingleInstance, in another thread as in another process, reaches it …
        ots::gui::SingleInstance running;
        QVERIFY2(running.listen(), qPrintable(running.errorString()));
        // In a folder only this user may enter, under a name that holds no link.
        QCOMPARE(running.socketPath(), ots::gui::SingleInstance::defaultSocketPath());
        QCOMPARE(QFileInfo(running.socketPath()).fileName(), ots::gui::SingleInstance::socketName());
        const QFileInfo folder(QFileInfo(running.socketPath()).absolutePath());
        QVERIFY(folder.isDir() && !folder.isSymLink());
        QCOMPARE(folder.permissions() & ~(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                          QFile::ReadUser | QFile::WriteUser | QFile::ExeUser),
                 QFile::Permissions());
        QSignalSpy received(&running, &ots::gui::SingleInstance::argumentsReceived);
        {
            ots::gui::SingleInstance taken;
            QVERIFY(!taken.listen()); // the name belongs to the running window
        }
        QFuture<bool> probe = QtConcurrent::run([path = running.socketPath()] {
            ots::gui::SingleInstance other(path);
            return other.sendToRunning({QStringLiteral("--probe")});
        });
        QTRY_VERIFY_WITH_TIMEOUT(probe.isFinished(), 10'000);
        QVERIFY(probe.result());
        QCOMPARE(received.size(), 1);
        QCOMPARE(received.takeFirst().first().toStringList(), QStringList{QStringLiteral("--probe")});
        connect(&running, &ots::gui::SingleInstance::argumentsReceived, m_harness.window.get(),
                &MainWindow::handleArguments);

        // … and the real program, started as a second launch with the link, hands it over and exits 0.
        m_harness.window->showPage(MainWindow::Page::Send);
        QProcess launch;
        launch.setProgram(QStringLiteral(OTS_GUI_BINARY));
        launch.setArguments({link});
        launch.start();
        QVERIFY(launch.waitForStarted(10'000));
        QTRY_COMPARE_WITH_TIMEOUT(received.size(), 1, 30'000);
        QVERIFY(QTest::qWaitFor([&launch] { return launch.state() == QProcess::NotRunning; }, 30'000));
        QCOMPARE(launch.exitStatus(), QProcess::NormalExit);
        QCOMPARE(launch.exitCode(), 0);
        QCOMPARE(received.first().first().toStringList(), QStringList{link});

        // The running window brought Receive forward with the link, and shows the text.
        QCOMPARE(m_harness.window->currentPage(), MainWindow::Page::Receive);
        QCOMPARE(receive()->linkEdit()->text(), link);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Details, kJobTimeoutMs);
        QVERIFY(!receive()->fileList()->isVisible());
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Done, kJobTimeoutMs);
        QCOMPARE(receive()->textView()->toPlainText(), secret);
        QVERIFY(receive()->textView()->isReadOnly());
        QTest::mouseClick(receive()->copyTextButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), secret);
        grab(QStringLiteral("receive-text"));
    }

    void deleteNowRemovesTheShare() {
        const QString source = m_harness.freshDir(QStringLiteral("delete"));
        const QString path = QDir(source).filePath(QStringLiteral("draft.txt"));
        QVERIFY(writeFile(path, "first draft\n"));
        QSignalSpy recorded(send(), &SendPage::historyRecorded);
        const QString link = dropAndWaitForLink({path});
        QVERIFY2(link.startsWith(QLatin1String("http://")), qPrintable(link));
        const QString id = send()->lastResult().id;
        QTRY_COMPARE_WITH_TIMEOUT(recorded.size(), 1, 15'000);

        QSignalSpy deleted(send(), &SendPage::shareDeleted);
        QTest::mouseClick(send()->deleteButton(), Qt::LeftButton);
        QMessageBox* confirm = nullptr; // it asks first, as History does
        QTRY_VERIFY_WITH_TIMEOUT(
            (confirm = send()->findChild<QMessageBox*>(QStringLiteral("sendDeleteConfirm"))) != nullptr &&
                confirm->isVisible(),
            10'000);
        QTest::mouseClick(confirm->button(QMessageBox::Yes), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(deleted.size(), 1, 30'000);
        QCOMPARE(deleted.first().first().toBool(), true);
        const QList<QByteArray> keys =
            ots::relaytest::shareKeys(m_harness.fixture.redis.port(), id.toLatin1());
        QVERIFY(!keys.contains(QStringLiteral("ots:{%1}:share").arg(id).toLatin1()));
        const auto entry = m_harness.history->find(id);
        QVERIFY(entry.ok());
        QCOMPARE(entry.value().state, QStringLiteral("deleted"));

        // Receive says so in a sentence.
        m_harness.window->showPage(MainWindow::Page::Receive);
        receive()->openLink(link);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Empty, kJobTimeoutMs);
        QVERIFY2(receive()->errorLabel()->text().contains(QLatin1String("deleted")),
                 qPrintable(receive()->errorLabel()->text()));
    }

    void droppedLinkOpensInReceive() {
        m_harness.window->showPage(MainWindow::Page::Send);
        const QString link = QStringLiteral("http://127.0.0.1:%1/s/AAAAAAAAAAAAAAAAAAAAAA#"
                                            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
                                 .arg(m_harness.fixture.relay.port());
        QVERIFY(!ReceivePage::findLink(QStringLiteral("see ") + link + QStringLiteral(" soon")).isEmpty());
        // A web link dropped on the window (even over the drop zone, which takes only files) opens in
        // Receive.
        QVERIFY(dropUrls(send()->dropZone(), {QUrl(link)}));
        QCOMPARE(m_harness.window->currentPage(), MainWindow::Page::Receive);
        QCOMPARE(receive()->linkEdit()->text(), link);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Empty, kJobTimeoutMs);
        QVERIFY2(receive()->errorLabel()->text().contains(QLatin1String("does not exist")),
                 qPrintable(receive()->errorLabel()->text()));
    }

    void bigTextIsSavedWhereChosen() {
        // A text share over 16 MiB cannot be shown: Receive asks where to save it (the receive folder by
        // default), saves it there through the real download code, says where, and writes nothing to
        // the temporary folder.
        QByteArray text;
        for (int line = 0; text.size() <= static_cast<qsizetype>(ots::client::kMaxTextInMemory); ++line)
            text += "line " + QByteArray::number(line) + " of a long text share\n";
        ots::client::SendOptions options;
        options.relay = m_harness.relayUrl();
        options.text = text;
        ots::client::SendJob job(options);
        QSignalSpy sent(&job, &ots::client::SendJob::finished);
        QSignalSpy sendFailed(&job, &ots::client::SendJob::failed);
        job.start();
        QTRY_VERIFY_WITH_TIMEOUT(!sent.isEmpty() || !sendFailed.isEmpty(), kJobTimeoutMs);
        QVERIFY(sendFailed.isEmpty());
        const QString link = sent.first().first().value<ots::client::SendResult>().link;

        const auto tempEntries = [] {
            return QDir(QDir::tempPath())
                .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System);
        };
        const QStringList tempBefore = tempEntries();
        m_harness.window->showPage(MainWindow::Page::Receive);
        receive()->reset();
        const QString defaultFolder = receive()->folderEdit()->text();
        receive()->openLink(link);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Details, kJobTimeoutMs);
        QVERIFY(receive()->folderEdit()->isVisible());
        QVERIFY(receive()->chooseFolderButton()->isVisible());
        QVERIFY(!defaultFolder.isEmpty());
        QCOMPARE(receive()->folderEdit()->text(), defaultFolder);
        QVERIFY(receive()->downloadButton()->text().contains(QLatin1String("Save")));

        const QString target = m_harness.freshDir(QStringLiteral("big-text"));
        receive()->folderEdit()->setText(QDir::toNativeSeparators(target));
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() != ReceivePage::Stage::Downloading, kJobTimeoutMs);
        QCOMPARE(receive()->stage(), ReceivePage::Stage::Done);
        QCOMPARE(receive()->savedFolder(), target);
        QCOMPARE(QDir(target).entryList(QDir::Files), QStringList{QStringLiteral("message.txt")});
        QFile saved(QDir(target).filePath(QStringLiteral("message.txt")));
        QVERIFY(saved.open(QIODevice::ReadOnly));
        QVERIFY(saved.readAll() == text);
        const QString said = receive()->doneLabel()->text();
        QVERIFY2(said.contains(QDir::toNativeSeparators(target)) &&
                     said.contains(QLatin1String("message.txt")),
                 qPrintable(said));
        QVERIFY(!receive()->textView()->isVisible());
        QVERIFY(receive()->openFolderButton()->isVisible());
        QCOMPARE(tempEntries(), tempBefore);
    }

    // "Copy app-only links" set on the Settings page (from the keyboard) and saved: after a real send the
    // clipboard, the link field and the QR code hold the app form, onetimeshare:// (for this loopback
    // relay it means http, SPEC.md §2.1), of the same share id and secret, and Receive opens it. Set
    // off again, the card shows and copies the web link, http://127.0.0.1:….
    void appOnlyLinkAfterARealSend() {
        auto* appOnly =
            m_harness.window->settingsPage()->findChild<QCheckBox*>(QStringLiteral("appOnlyLinksCheck"));
        if (appOnly == nullptr)
            QFAIL("the Settings page has no appOnlyLinksCheck");
        m_harness.window->showPage(MainWindow::Page::Settings);
        QVERIFY(!appOnly->isChecked());
        appOnly->setFocus();
        QTest::keyClick(appOnly, Qt::Key_Space);
        QVERIFY(appOnly->isChecked());
        QVERIFY(ots::client::Settings().appOnlyLinks()); // saved: a fresh read of the file has it

        m_harness.window->showPage(MainWindow::Page::Send);
        send()->startOver();
        QTest::mouseClick(send()->shareTextButton(), Qt::LeftButton);
        send()->textEdit()->setPlainText(QStringLiteral("for the app only"));
        QGuiApplication::clipboard()->clear();
        QTest::mouseClick(send()->sendTextButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(send()->stage() == SendPage::Stage::Result, kJobTimeoutMs);
        const QString web = send()->lastResult().link;
        const QString port = QString::number(m_harness.fixture.relay.port());
        QVERIFY2(web.startsWith(QStringLiteral("http://127.0.0.1:") + port), qPrintable(web));

        const QString copied = QApplication::clipboard()->text();
        QVERIFY2(
            copied.startsWith(QStringLiteral("onetimeshare://127.0.0.1:") + port + QStringLiteral("/s/")),
            qPrintable(copied));
        const auto app = ots::ShareLink::parse(copied.toStdString());
        const auto sent = ots::ShareLink::parse(web.toStdString());
        QVERIFY(app.ok() && sent.ok());
        QCOMPARE(app->transport(), ots::ShareLink::Transport::Http);
        QCOMPARE(app->shareIdText(), sent->shareIdText());
        QCOMPARE(QString::fromStdString(app->shareIdText()), send()->lastResult().id);
        QVERIFY(app->secret().equals(sent->secret().span()));
        QCOMPARE(send()->linkEdit()->text(), copied);
        QCOMPARE(send()->qrCode()->text(), copied);
        QVERIFY(send()->linkFormLabel()->isVisible());
        QVERIFY2(send()->linkFormLabel()->text().contains(QLatin1String("OneTimeShare app")),
                 qPrintable(send()->linkFormLabel()->text()));
        grab(QStringLiteral("send-app-only-link"));
        QGuiApplication::clipboard()->clear();
        QTest::mouseClick(send()->copyButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), copied);

        // The app opens it: pasted into Receive, it shows the share (nothing is downloaded yet).
        QVERIFY(pasteAndInspect());
        QVERIFY2(receive()->stage() == ReceivePage::Stage::Details,
                 qPrintable(receive()->errorLabel()->text()));
        receive()->reset();

        // Off again: the card shows, encodes and copies the web link.
        m_harness.window->showPage(MainWindow::Page::Settings);
        appOnly->setFocus();
        QTest::keyClick(appOnly, Qt::Key_Space);
        QVERIFY(!appOnly->isChecked());
        QVERIFY(!ots::client::Settings().appOnlyLinks());
        m_harness.window->showPage(MainWindow::Page::Send);
        QCOMPARE(send()->linkEdit()->text(), web);
        QCOMPARE(send()->qrCode()->text(), web);
        QVERIFY(send()->linkFormLabel()->isHidden());
        QTest::mouseClick(send()->copyButton(), Qt::LeftButton);
        QCOMPARE(QApplication::clipboard()->text(), web);
    }
};

QTEST_MAIN(TestGuiFlows)
#include "tst_gui_flows.moc"
