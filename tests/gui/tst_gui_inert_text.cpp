// Nothing received is markup: the real window (offscreen) opens links to a hostile relay fixture
// (tests/relay/HostileRelay.h) whose error answers carry markup (<img src=/dev/zero width=99999>),
// a 10 MB error code and terminal control sequences, and a real share a malicious sender made with a
// hostile note and file names such as "<font size=7 …>BIG.txt". Every label that shows them is plain
// text (textFormat() and what it lays out), the relay's code is never quoted, and the process's memory
// stays flat over repeated hostile answers (resident size, not timing).

#include "GuiTestRelay.h"
#include "HostileRelay.h"
#include "ReceivePage.h"
#include "ots/client/SendJob.h"

#include <QEventLoop>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTreeWidget>

using ots::gui::MainWindow;
using ots::gui::ReceivePage;
using ots::relaytest::HostileBodies;
using ots::relaytest::HostileRelay;

namespace {

constexpr int kJobTimeoutMs = 60'000;
constexpr qint64 kMaxGrowthBytes = qint64{50} << 20;

/// Resident set size of this process, from /proc/self/statm.
qint64 residentBytes() {
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    return fields.size() > 1 ? fields.at(1).toLongLong() * ::sysconf(_SC_PAGESIZE) : -1;
}

// The malicious sender's note: OSC 52, BEL, cursor movement, C1 CSI, markup, a right-to-left override.
const QString kHostileNote = QStringLiteral("<img src=/dev/zero width=99999 height=99999>\x1b]52;c;aGk=\x07"
                                            "\x1b[1A\u009b31m<font size=7>BIG</font>\u202eevil");

} // namespace

class TestGuiInertText : public QObject {
    Q_OBJECT

    ots::guitest::GuiHarness m_harness;
    HostileRelay m_hostile;

    ReceivePage* receive() const { return m_harness.window->receivePage(); }

    [[nodiscard]] QString hostileLink() const {
        return QStringLiteral("http://127.0.0.1:%1/s/AAAAAAAAAAAAAAAAAAAAAA#"
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .arg(m_hostile.port());
    }

    /// Every label of the window, visible or not, shows plain text only.
    void verifyAllLabelsPlain() const {
        const QList<QLabel*> labels = m_harness.window->findChildren<QLabel*>();
        QVERIFY(labels.size() > 20);
        for (const QLabel* label : labels)
            QVERIFY2(label->textFormat() == Qt::PlainText,
                     qPrintable(QStringLiteral("%1 \"%2\" is not plain text")
                                    .arg(label->objectName(), label->text().left(80))));
    }

    /// The label is plain text, holds none of the hostile markup's effects, and lays out small.
    static void verifyInert(const QLabel* label) {
        QCOMPARE(label->textFormat(), Qt::PlainText);
        const QString text = label->text();
        QVERIFY2(text.size() < 2000, qPrintable(text.left(200)));
        QVERIFY2(!text.contains(QChar(0x1b)) && !text.contains(QChar(0x9b)) && !text.contains(QChar(0x202e)),
                 qPrintable(text));
        // As plain text, even a 99999-pixel image tag is a line of characters.
        QVERIFY2(label->sizeHint().height() < 400 && label->sizeHint().width() < 4000,
                 qPrintable(
                     QStringLiteral("%1×%2").arg(label->sizeHint().width()).arg(label->sizeHint().height())));
    }

    /// Sends as a malicious sender would (the real SendJob, in this process); the link.
    QString sendHostileShare(const QStringList& paths, const QString& note) {
        ots::client::SendOptions options;
        options.relay = m_harness.relayUrl();
        options.paths = paths;
        options.note = note;
        ots::client::SendJob job(options);
        QEventLoop loop;
        QString link;
        QObject::connect(&job, &ots::client::SendJob::finished, &loop,
                         [&](const ots::client::SendResult& result) {
                             link = result.link;
                             loop.quit();
                         });
        QObject::connect(&job, &ots::client::SendJob::failed, &loop,
                         [&](const ots::client::ClientError& error) {
                             qWarning("send failed: %s", qPrintable(error.message));
                             loop.quit();
                         });
        job.start();
        loop.exec();
        return link;
    }

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        QVERIFY(m_hostile.start());
    }

    void hostileRelayAnswersStayInert() {
        m_harness.window->showPage(MainWindow::Page::Receive);
        // Statuses the client does not retry (a 429 or 5xx would be retried with backoff: slow, no more).
        const QList<HostileRelay::Answer> answers = {
            {400, HostileBodies::markup()},   {403, HostileBodies::markup()},
            {410, HostileBodies::controls()}, {400, HostileBodies::huge()},
            {404, HostileBodies::controls()}, {423, HostileBodies::markup()},
        };
        // One round first, so that what the first answers allocate once (fonts, caches) is not counted.
        const auto round = [&] {
            for (const HostileRelay::Answer& answer : answers) {
                m_hostile.setResponder([answer](const QByteArray&) { return answer; });
                const int before = m_hostile.requests();
                receive()->openLink(hostileLink());
                QTRY_VERIFY_WITH_TIMEOUT(m_hostile.requests() > before, kJobTimeoutMs);
                QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Empty &&
                                             !receive()->errorLabel()->text().isEmpty(),
                                         kJobTimeoutMs);
                const QLabel* label = receive()->errorLabel();
                verifyInert(label);
                QVERIFY2(!label->text().contains(QLatin1String("<img")) &&
                             !label->text().contains(QLatin1String("integrity check passed")) &&
                             !label->text().contains(
                                 QLatin1String("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")),
                         qPrintable(label->text()));
                QVERIFY(!QTest::currentTestFailed());
            }
        };
        round();
        QVERIFY(!QTest::currentTestFailed());
        const qint64 before = residentBytes();
        QVERIFY(before > 0);
        for (int i = 0; i < 3 && !QTest::currentTestFailed(); ++i)
            round();
        const qint64 growth = residentBytes() - before;
        QVERIFY2(growth < kMaxGrowthBytes, qPrintable(QStringLiteral("grew by %1 bytes").arg(growth)));
        verifyAllLabelsPlain();
    }

    void maliciousSenderMetadataStaysInert() {
        const QString files = m_harness.freshDir(QStringLiteral("hostile"));
        const QString bigName = QStringLiteral("<font size=7 color=red>BIG.txt");
        const QString imageName = QStringLiteral("<img src=x width=99999 height=99999>.txt");
        QVERIFY(ots::guitest::writeFile(QDir(files).filePath(bigName), "big"));
        QVERIFY(ots::guitest::writeFile(QDir(files).filePath(imageName), "image"));
        const QString link =
            sendHostileShare({QDir(files).filePath(bigName), QDir(files).filePath(imageName)}, kHostileNote);
        QVERIFY(!link.isEmpty());

        m_harness.window->showPage(MainWindow::Page::Receive);
        receive()->openLink(link);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Details, kJobTimeoutMs);
        const QLabel* info = receive()->infoLabel();
        verifyInert(info);
        // The note as characters: markup literal, controls as visible escapes.
        QVERIFY2(info->text().contains(
                     QLatin1String("<img src=/dev/zero width=99999 height=99999>\\x1b]52;c;aGk=\\x07"
                                   "\\x1b[1A\\x9b31m<font size=7>BIG</font>\\u202eevil")),
                 qPrintable(info->text()));
        QStringList listed;
        for (int i = 0; i < receive()->fileList()->topLevelItemCount(); ++i)
            listed << receive()->fileList()->topLevelItem(i)->text(0);
        QVERIFY2(listed.contains(bigName) && listed.contains(imageName),
                 qPrintable(listed.join(QLatin1Char('|'))));

        const QString out = m_harness.freshDir(QStringLiteral("received"));
        receive()->folderEdit()->setText(out);
        QTest::mouseClick(receive()->downloadButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(receive()->stage() == ReceivePage::Stage::Done, kJobTimeoutMs);
        const QLabel* done = receive()->doneLabel();
        verifyInert(done);
        // "Saved … in …" keeps its size: the names are characters, not a font tag.
        QVERIFY2(done->text().contains(bigName) && done->text().contains(imageName),
                 qPrintable(done->text()));
        QCOMPARE(ots::guitest::readFile(QDir(out).filePath(bigName)), QByteArray("big"));
        verifyAllLabelsPlain();
    }
};

QTEST_MAIN(TestGuiInertText)
#include "tst_gui_inert_text.moc"
