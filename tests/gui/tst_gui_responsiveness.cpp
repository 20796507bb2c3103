// The GUI thread never stalls: a 2 GiB file is encrypted and uploaded through SendPage (to a real
// ots-relay and redis-server) while a 5 ms timer on the GUI thread measures the longest gap between
// its ticks. Everything heavy runs in the job's thread; the gap must stay under 50 ms.

#include "DropZone.h"
#include "GuiTestRelay.h"
#include "SendPage.h"
#include "TransferProgress.h"

#include <QElapsedTimer>
#include <QLabel>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <cstring>

using ots::gui::MainWindow;
using ots::gui::SendPage;
using namespace ots::guitest;

namespace {

constexpr qint64 kFileBytes = qint64{2} << 30; // 2 GiB
constexpr int kSendTimeoutMs = 85'000;
constexpr qint64 kMaxGapMs = 50;

/// Writes size pseudo-random bytes quickly (xorshift64*, 8 MiB at a time); false on a write error.
bool writePseudoRandomFile(const QString& path, qint64 size) {
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    QByteArray block(qsizetype{8} * 1024 * 1024, Qt::Uninitialized);
    std::uint64_t state =
        0x9e3779b97f4a7c15ULL ^ static_cast<std::uint64_t>(QDateTime::currentMSecsSinceEpoch());
    for (qint64 written = 0; written < size;) {
        for (qsizetype i = 0; i + 8 <= block.size(); i += 8) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            const std::uint64_t value = state * 0x2545F4914F6CDD1DULL;
            std::memcpy(block.data() + i, &value, sizeof(value));
        }
        const qint64 chunk = std::min<qint64>(block.size(), size - written);
        if (file.write(block.constData(), chunk) != chunk)
            return false;
        written += chunk;
    }
    return file.flush();
}

} // namespace

class TestGuiResponsiveness : public QObject {
    Q_OBJECT

private:
    GuiHarness m_harness;
    QString m_bigFile;

private Q_SLOTS:
    void initTestCase() {
        QString error;
        QVERIFY2(m_harness.start(&error), qPrintable(error));
        m_bigFile =
            QDir(m_harness.freshDir(QStringLiteral("big"))).filePath(QStringLiteral("disk-image.bin"));
        QElapsedTimer writing;
        writing.start();
        QVERIFY2(writePseudoRandomFile(m_bigFile, kFileBytes), "could not write the 2 GiB test file");
        qInfo("wrote 2 GiB in %lld ms", writing.elapsed());
    }

    void cleanupTestCase() {
        if (!m_bigFile.isEmpty())
            QFile::remove(m_bigFile);
    }

    void sendingTwoGiBNeverStallsTheEventLoop() {
        SendPage* send = m_harness.window->sendPage();
        m_harness.window->showPage(MainWindow::Page::Send);

        // The probe: a 5 ms timer on the GUI thread; the longest time between two of its ticks.
        QElapsedTimer clock;
        qint64 last = -1;
        qint64 longestGap = 0;
        qint64 ticks = 0;
        int highestPercent = 0;
        QTimer probe;
        probe.setTimerType(Qt::PreciseTimer);
        probe.setInterval(5);
        connect(&probe, &QTimer::timeout, this, [&] {
            const qint64 now = clock.elapsed();
            if (last >= 0)
                longestGap = std::max(longestGap, now - last);
            last = now;
            ++ticks;
            highestPercent = std::max(highestPercent, send->progressView()->percent());
        });

        QSignalSpy finished(send, &SendPage::shareFinished);
        QSignalSpy failed(send, &SendPage::shareFailed);
        clock.start();
        probe.start();
        QVERIFY(dropUrls(send->dropZone(), {QUrl::fromLocalFile(m_bigFile)}));
        QVERIFY(QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kSendTimeoutMs));
        probe.stop();
        const qint64 elapsed = clock.elapsed();

        QVERIFY2(failed.isEmpty(), qPrintable(send->errorLabel()->text()));
        QCOMPARE(send->stage(), SendPage::Stage::Result);
        QVERIFY(send->lastResult().payloadBytes >= static_cast<std::uint64_t>(kFileBytes));
        QVERIFY(send->lastResult().ciphertextBytes > static_cast<std::uint64_t>(kFileBytes));
        qInfo("sent 2 GiB in %lld ms (%.0f MiB/s); %lld probe ticks; longest event-loop gap %lld ms", elapsed,
              2048.0 * 1000.0 / static_cast<double>(std::max<qint64>(elapsed, 1)), ticks, longestGap);
        QVERIFY(ticks > elapsed / 50); // the probe really ran all along
        QVERIFY2(longestGap < kMaxGapMs,
                 qPrintable(QStringLiteral("the GUI thread stalled for %1 ms").arg(longestGap)));
        QVERIFY2(highestPercent >= 50, "the progress view did not follow the upload");
    }
};

QTEST_MAIN(TestGuiResponsiveness)
#include "tst_gui_responsiveness.moc"
