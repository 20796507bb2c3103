// Every Send and Receive action from the keyboard alone, against a real redis-server and ots-relay:
// Ctrl+1 … Ctrl+4, Tab, Enter, Alt mnemonics, Ctrl+V and Ctrl+Enter — no mouse anywhere.

#include "DropZone.h"
#include "GuiTestRelay.h"
#include "ReceivePage.h"
#include "SendPage.h"
#include "TransferProgress.h"
#include "ots/client/Passphrase.h"

#include <QClipboard>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTest>
#include <QTreeWidget>

using ots::gui::MainWindow;
using ots::gui::ReceivePage;
using ots::gui::SendPage;
using namespace ots::guitest;

namespace {
constexpr int kJobTimeoutMs = 90'000;
}

class TestGuiKeyboard : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;

    MainWindow* window() const { return m_harness.window.get(); }
    SendPage* send() const { return window()->sendPage(); }
    ReceivePage* receive() const { return window()->receivePage(); }

    /// Presses key on the widget that has the focus (as the platform would).
    void press(Qt::Key key, Qt::KeyboardModifiers modifiers = Qt::NoModifier) {
        QWidget* target = QApplication::focusWidget() != nullptr ? QApplication::focusWidget() : window();
        QTest::keyClick(target, key, modifiers);
    }

    /// Tab until target has the focus; false after 25 presses.
    bool tabTo(QWidget* target) {
        for (int i = 0; i < 25 && QApplication::focusWidget() != target; ++i)
            press(Qt::Key_Tab);
        return QApplication::focusWidget() == target;
    }

    /// Makes a text share with the keyboard only; its link.
    QString shareTextByKeyboard(const QString& text) {
        press(Qt::Key_1, Qt::ControlModifier);
        if (send()->stage() == SendPage::Stage::Result) {
            if (!tabTo(send()->newShareButton()))
                return QStringLiteral("no focus on Send something else");
            press(Qt::Key_Return);
        }
        if (!tabTo(send()->shareTextButton()))
            return QStringLiteral("no focus on Share text");
        press(Qt::Key_Return);
        if (QApplication::focusWidget() != send()->textEdit())
            return QStringLiteral("the text box did not get the focus");
        QTest::keyClicks(send()->textEdit(), text);
        press(Qt::Key_Return, Qt::ControlModifier);
        if (!QTest::qWaitFor([this] { return send()->stage() == SendPage::Stage::Result; }, kJobTimeoutMs))
            return QStringLiteral("no link: %1").arg(send()->errorLabel()->text());
        return send()->lastResult().link;
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        m_harness.settings->setCopyLinkOnFinish(false); // the Copy button is pressed by key below
        QApplication::setActiveWindow(window());
    }

    void shortcutsSwitchPages() {
        const std::pair<Qt::Key, MainWindow::Page> keys[] = {{Qt::Key_2, MainWindow::Page::Receive},
                                                             {Qt::Key_3, MainWindow::Page::History},
                                                             {Qt::Key_4, MainWindow::Page::Settings},
                                                             {Qt::Key_1, MainWindow::Page::Send}};
        for (const auto& [key, page] : keys) {
            press(key, Qt::ControlModifier);
            QCOMPARE(window()->currentPage(), page);
            QVERIFY(QApplication::focusWidget() != nullptr);
        }
        QCOMPARE(QApplication::focusWidget(), send()->chooseFilesButton());
        press(Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), receive()->linkEdit());
    }

    void sendOptionsByKeyboard() {
        press(Qt::Key_1, Qt::ControlModifier);
        // Alt+E: expiry; Alt+D: downloads; Alt+G: generate a password; Alt+P: the password field.
        press(Qt::Key_E, Qt::AltModifier);
        QCOMPARE(QApplication::focusWidget(), send()->expiryCombo());
        const int expiry = send()->expiryCombo()->currentIndex();
        press(expiry == 0 ? Qt::Key_Down : Qt::Key_Up);
        QVERIFY(send()->expiryCombo()->currentIndex() != expiry);
        press(Qt::Key_D, Qt::AltModifier);
        QCOMPARE(QApplication::focusWidget(), send()->downloadsSpin());
        press(Qt::Key_Up);
        QCOMPARE(send()->downloadsSpin()->value(), 2);
        press(Qt::Key_G, Qt::AltModifier); // a button's mnemonic clicks it after a short animation
        QTRY_VERIFY(ots::client::looksGenerated(send()->passwordEdit()->text()));
        QCOMPARE(QApplication::focusWidget(), send()->passwordEdit());
        press(Qt::Key_Backspace); // the passphrase is selected: one key clears it
        QVERIFY(send()->passwordEdit()->text().isEmpty());
        press(Qt::Key_P, Qt::AltModifier);
        QCOMPARE(QApplication::focusWidget(), send()->passwordEdit());
        QTest::keyClicks(send()->passwordEdit(), QStringLiteral("hunter2"));
        QVERIFY2(send()->strengthLabel()->text().contains(QLatin1String("Weak")),
                 qPrintable(send()->strengthLabel()->text()));
        press(Qt::Key_A, Qt::ControlModifier);
        press(Qt::Key_Backspace);
        QVERIFY(send()->passwordEdit()->text().isEmpty());
        send()->applyDefaults();
    }

    void sendTextCopyAndReceiveByKeyboard() {
        QApplication::clipboard()->clear();
        const QString text = QStringLiteral("door code 4711, then the second door on the left");
        const QString link = shareTextByKeyboard(text);
        QVERIFY2(link.startsWith(QLatin1String("http://")), qPrintable(link));
        // The result card has the focus on Copy: Enter copies.
        QCOMPARE(QApplication::focusWidget(), send()->copyButton());
        press(Qt::Key_Return);
        QCOMPARE(QApplication::clipboard()->text(), link);

        // Receive: Ctrl+2, Ctrl+V, Enter looks it up; Tab to the button, Enter shows the text.
        press(Qt::Key_2, Qt::ControlModifier);
        QCOMPARE(QApplication::focusWidget(), receive()->linkEdit());
        press(Qt::Key_V, Qt::ControlModifier);
        QCOMPARE(receive()->linkEdit()->text(), link);
        press(Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Details, kJobTimeoutMs);
        QVERIFY(tabTo(receive()->downloadButton()));
        press(Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Done, kJobTimeoutMs);
        QCOMPARE(receive()->textView()->toPlainText(), text);
        // Copy text has the focus: Enter copies it.
        QCOMPARE(QApplication::focusWidget(), receive()->copyTextButton());
        press(Qt::Key_Return);
        QCOMPARE(QApplication::clipboard()->text(), text);
        // "Receive another" by its mnemonic.
        press(Qt::Key_A, Qt::AltModifier);
        QTRY_COMPARE(receive()->stage(), ReceivePage::Stage::Empty);
        QCOMPARE(QApplication::focusWidget(), receive()->linkEdit());
    }

    void receiveFilesWithPasswordByKeyboard() {
        const QString source = m_harness.freshDir(QStringLiteral("src"));
        const QString path = QDir(source).filePath(QStringLiteral("plan.odt"));
        const QByteArray content = randomBytes(300'000);
        QVERIFY(writeFile(path, content));
        press(Qt::Key_1, Qt::ControlModifier);
        if (send()->stage() == SendPage::Stage::Result) {
            QVERIFY(tabTo(send()->newShareButton()));
            press(Qt::Key_Return);
        }
        press(Qt::Key_P, Qt::AltModifier);
        QTest::keyClicks(send()->passwordEdit(), QStringLiteral("a long and private sentence"));
        QVERIFY(dropUrls(send()->dropZone(),
                         {QUrl::fromLocalFile(path)})); // (files come from a drop or a dialog)
        QTRY_VERIFY_WITH_TIMEOUT(send()->stage() == SendPage::Stage::Result, kJobTimeoutMs);
        QCOMPARE(QApplication::focusWidget(), send()->copyButton());
        press(Qt::Key_Return);
        const QString link = send()->lastResult().link;
        QCOMPARE(QApplication::clipboard()->text(), link);

        press(Qt::Key_2, Qt::ControlModifier);
        press(Qt::Key_V, Qt::ControlModifier);
        press(Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Details, kJobTimeoutMs);
        // The password prompt has the focus; a wrong one keeps it there, the right one opens the list.
        QCOMPARE(QApplication::focusWidget(), receive()->passwordEdit());
        QTest::keyClicks(receive()->passwordEdit(), QStringLiteral("wrong guess"));
        QSignalSpy errors(receive(), &ReceivePage::errorShown);
        press(Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(errors.size(), 1, kJobTimeoutMs);
        QCOMPARE(QApplication::focusWidget(), receive()->passwordEdit());
        QTest::keyClicks(receive()->passwordEdit(),
                         QStringLiteral("a long and private sentence")); // replaces the selection
        QSignalSpy details(receive(), &ReceivePage::detailsShown);
        press(Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(details.size(), 1, kJobTimeoutMs);
        QCOMPARE(receive()->fileList()->topLevelItemCount(), 1);

        // Tab to the folder field, type the folder, Tab on to Download, Enter.
        const QString target = m_harness.freshDir(QStringLiteral("dst"));
        QVERIFY(tabTo(receive()->folderEdit()));
        press(Qt::Key_A, Qt::ControlModifier);
        QTest::keyClicks(receive()->folderEdit(), target);
        QVERIFY(tabTo(receive()->downloadButton()));
        press(Qt::Key_Return);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Done, kJobTimeoutMs);
        QCOMPARE(readFile(QDir(target).filePath(QStringLiteral("plan.odt"))), content);
        QCOMPARE(QApplication::focusWidget(), receive()->openFolderButton());
    }

    void cancelAndDeleteByKeyboard() {
        // Cancel: the progress view's Cancel button has the focus while sending.
        const QString source = m_harness.freshDir(QStringLiteral("big"));
        const QString path = QDir(source).filePath(QStringLiteral("big.bin"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            const QByteArray block = randomBytes(qsizetype{4} * 1024 * 1024);
            for (int i = 0; i < 48; ++i)
                QVERIFY(file.write(block) == block.size());
        }
        press(Qt::Key_1, Qt::ControlModifier);
        if (send()->stage() == SendPage::Stage::Result) {
            QVERIFY(tabTo(send()->newShareButton()));
            press(Qt::Key_Return);
        }
        QSignalSpy cancelled(send(), &SendPage::shareCancelled);
        QVERIFY(dropUrls(send()->dropZone(), {QUrl::fromLocalFile(path)}));
        QCOMPARE(QApplication::focusWidget(), send()->progressView()->cancelButton());
        press(Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(cancelled.size(), 1, kJobTimeoutMs);
        QCOMPARE(send()->stage(), SendPage::Stage::Compose);
        QFile::remove(path);

        // Delete now: Tab to it on the result card, Enter; it asks first (Cancel is the default), so
        // Tab to Delete in the question and Enter.
        const QString link = shareTextByKeyboard(QStringLiteral("short-lived"));
        QVERIFY2(link.startsWith(QLatin1String("http://")), qPrintable(link));
        QSignalSpy deleted(send(), &SendPage::shareDeleted);
        QVERIFY(tabTo(send()->deleteButton()));
        press(Qt::Key_Return);
        QMessageBox* confirm = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (confirm = send()->findChild<QMessageBox*>(QStringLiteral("sendDeleteConfirm"))) != nullptr &&
                confirm->isVisible(),
            10'000);
        QTRY_VERIFY_WITH_TIMEOUT(QApplication::focusWidget() == confirm->button(QMessageBox::Cancel), 5'000);
        QVERIFY(tabTo(confirm->button(QMessageBox::Yes)));
        press(Qt::Key_Return);
        QTRY_COMPARE_WITH_TIMEOUT(deleted.size(), 1, 30'000);
        QCOMPARE(deleted.first().first().toBool(), true);
    }
};

QTEST_MAIN(TestGuiKeyboard)
#include "tst_gui_keyboard.moc"
