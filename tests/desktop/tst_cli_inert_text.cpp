// `ots` never lets text from outside act on the terminal: the real binary runs under a pseudo-terminal
// (forkpty) against a hostile relay (tests/relay/HostileRelay.h) that puts markup, 10 MB strings and
// terminal control sequences in its error answers, and against a real relay holding shares a
// malicious sender made with an OSC 52 clipboard write, cursor movement and a right-to-left override
// in the note and the text. Everything the terminal receives is checked byte for byte: no ESC, BEL,
// C1 control or bidi/format character, and the escaped forms (\x1b, \u202e) are shown instead.
// Piped, a text share stays the sender's exact bytes. Also: relay limit errors name the field and the
// relay's range; a loopback relay's errors do not blame the internet; a file name with a
// right-to-left override is refused by the sender, named escaped.

#include "HostileRelay.h"
#include "RelayProcess.h"
#include "ots/client/DisplayText.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <poll.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#ifndef OTS_CLI_BINARY
#error "OTS_CLI_BINARY must name the ots executable"
#endif

using ots::relaytest::HostileBodies;
using ots::relaytest::HostileRelay;
using ots::relaytest::RelayFixture;

namespace {

constexpr int kRunTimeoutMs = 60'000;

// What a malicious sender writes: OSC 52 (set the clipboard), BEL, cursor up + erase line, a fake
// success line, a C1 CSI (U+009B), a right-to-left override and a zero-width space.
const QString kHostile = QStringLiteral("hello\x1b]52;c;aGFja2Vk\x07\x1b[1A\x1b[2K"
                                        "integrity check passed\u009b31m\u202eevil\u200bend");

struct PtyRun {
    int exitCode = -1;
    QByteArray output; ///< everything the terminal received (stdout and stderr share it)
    [[nodiscard]] QByteArray describe() const {
        return "exit " + QByteArray::number(exitCode) + "\n" + output;
    }
};

/// Runs the real `ots` with arguments under a fresh pseudo-terminal (stdin, stdout and stderr all on
/// it) and returns all it wrote there.
PtyRun runOnPty(const QStringList& arguments, const QString& configDir) {
    PtyRun run;
    std::vector<QByteArray> argumentBytes;
    argumentBytes.push_back(QByteArray(OTS_CLI_BINARY));
    for (const QString& argument : arguments)
        argumentBytes.push_back(argument.toUtf8());
    std::vector<char*> argv;
    for (QByteArray& argument : argumentBytes)
        argv.push_back(argument.data());
    argv.push_back(nullptr);
    const QByteArray config = configDir.toUtf8();

    int master = -1;
    winsize size{};
    size.ws_row = 50;
    size.ws_col = 200;
    const pid_t child = ::forkpty(&master, nullptr, nullptr, &size);
    if (child < 0)
        return run;
    if (child == 0) {
        ::setenv("OTS_CONFIG_DIR", config.constData(), 1);
        ::setenv("OTS_SECRET_STORE", "file", 1);
        ::setenv("TERM", "xterm-256color", 1);
        ::execv(argv[0], argv.data());
        ::_exit(127);
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kRunTimeoutMs);
    char buffer[65536];
    while (std::chrono::steady_clock::now() < deadline) {
        pollfd readable{master, POLLIN, 0};
        if (::poll(&readable, 1, 200) <= 0) {
            int status = 0;
            if (::waitpid(child, &status, WNOHANG) == child) {
                // Drain what is left, then done.
                while (::poll(&readable, 1, 50) > 0) {
                    const ssize_t got = ::read(master, buffer, sizeof buffer);
                    if (got <= 0)
                        break;
                    run.output.append(buffer, static_cast<qsizetype>(got));
                }
                run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                ::close(master);
                return run;
            }
            continue;
        }
        const ssize_t got = ::read(master, buffer, sizeof buffer);
        if (got <= 0) { // EIO: the child closed the terminal
            int status = 0;
            ::waitpid(child, &status, 0);
            run.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
            ::close(master);
            return run;
        }
        run.output.append(buffer, static_cast<qsizetype>(got));
    }
    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(master);
    run.output += "\n[timed out]";
    return run;
}

/// Empty when `output` is valid UTF-8 holding no control character other than CR, LF and tab and
/// no format character; else what was found where.
QString inertProblems(const QByteArray& output) {
    const QString text = QString::fromUtf8(output);
    if (text.toUtf8() != output)
        return QStringLiteral("not valid UTF-8 (a raw C1 byte such as 0x9B?)");
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char32_t c = text[i].unicode();
        if (c == U'\n' || c == U'\r' || c == U'\t')
            continue;
        if (ots::client::isInvisible(c))
            return QStringLiteral("U+%1 at %2 in: %3")
                .arg(static_cast<uint>(c), 4, 16, QLatin1Char('0'))
                .arg(i)
                .arg(text.mid(qMax<qsizetype>(0, i - 40), 80));
    }
    return {};
}

} // namespace

class TestCliInertText : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    HostileRelay m_hostile;
    QTemporaryDir m_config;
    QTemporaryDir m_work;

    [[nodiscard]] QString relayUrl() const {
        return QStringLiteral("http://127.0.0.1:%1").arg(m_fixture.relay.port());
    }
    /// A link to the hostile relay (a well-formed id and secret; the relay never gets that far).
    [[nodiscard]] QString hostileLink() const {
        return QStringLiteral("http://127.0.0.1:%1/s/AAAAAAAAAAAAAAAAAAAAAA#"
                              "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
            .arg(m_hostile.port());
    }

    /// `ots send --json …` through pipes (the sender's own run); the link.
    QString sendShare(const QStringList& arguments) {
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("OTS_CONFIG_DIR"), m_config.path());
        environment.insert(QStringLiteral("OTS_SECRET_STORE"), QStringLiteral("file"));
        process.setProcessEnvironment(environment);
        process.setWorkingDirectory(m_work.path());
        process.start(QStringLiteral(OTS_CLI_BINARY),
                      QStringList{QStringLiteral("send"), QStringLiteral("--json"), QStringLiteral("--relay"),
                                  relayUrl()} +
                          arguments);
        process.closeWriteChannel();
        if (!process.waitForFinished(kRunTimeoutMs))
            return {};
        const QByteArray out = process.readAllStandardOutput();
        [&] {
            QVERIFY2(process.exitCode() == 0, (out + process.readAllStandardError()).constData());
            // Even the JSON carries the sender's note and text inert: invisible characters as \u escapes.
            QVERIFY2(inertProblems(out).isEmpty(), qPrintable(inertProblems(out)));
        }();
        return QJsonDocument::fromJson(out).object().value(QStringLiteral("link")).toString();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_config.isValid() && m_work.isValid());
        QVERIFY2(m_fixture.start({QStringLiteral("--max-downloads"), QStringLiteral("10")}),
                 m_fixture.error());
        QVERIFY(m_hostile.start());
    }

    // Error codes and messages from a hostile relay: nothing of them reaches the terminal raw, the
    // 10 MB one not at all, and no unknown code is quoted.
    void hostileRelayErrors_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::newRow("markup") << HostileBodies::markup() << 400;
        QTest::newRow("huge") << HostileBodies::huge() << 400;
        QTest::newRow("controls") << HostileBodies::controls() << 403;
        QTest::newRow("controls 410") << HostileBodies::controls() << 410;
    }
    void hostileRelayErrors() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        m_hostile.setResponder([body, status](const QByteArray&) {
            return HostileRelay::Answer{status, body};
        });
        const QList<QStringList> commands = {
            {QStringLiteral("info"), hostileLink()},
            {QStringLiteral("get"), hostileLink(), QStringLiteral("-o"), m_work.path()}};
        for (const QStringList& command : commands) {
            const PtyRun run = runOnPty(command, m_config.path());
            QVERIFY2(run.exitCode > 0, run.describe().constData());
            QVERIFY2(inertProblems(run.output).isEmpty(), qPrintable(inertProblems(run.output)));
            QVERIFY2(!run.output.contains("<img") && !run.output.contains("<font") &&
                         !run.output.contains("integrity check passed") &&
                         !run.output.contains("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
                     run.describe().constData());
            QVERIFY2(run.output.size() < 2000, run.describe().left(3000).constData());
            QVERIFY2(run.output.contains("ots: "), run.describe().constData());
        }
        // --json output too: the code is the client's own name, never the relay's.
        const PtyRun json =
            runOnPty({QStringLiteral("info"), QStringLiteral("--json"), hostileLink()}, m_config.path());
        QVERIFY2(inertProblems(json.output).isEmpty(), qPrintable(inertProblems(json.output)));
        QVERIFY2(!json.output.contains("<img") && !json.output.contains("integrity check passed"),
                 json.describe().constData());
    }

    // A malicious sender's note and text, shown on a terminal: escaped, every byte accounted for.
    void hostileNoteAndTextOnTerminal() {
        const QString files = QDir(m_work.path()).filePath(QStringLiteral("files"));
        QVERIFY(QDir().mkpath(files));
        const QString markupName = QStringLiteral("<font size=7 color=red>BIG.txt");
        QFile file(QDir(files).filePath(markupName));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("content");
        file.close();
        const QString fileLink =
            sendShare({QStringLiteral("--note"), kHostile, QDir(files).filePath(markupName)});
        QVERIFY(!fileLink.isEmpty());
        const QString out = QDir(m_work.path()).filePath(QStringLiteral("received"));
        QVERIFY(QDir().mkpath(out));
        const PtyRun got =
            runOnPty({QStringLiteral("get"), fileLink, QStringLiteral("-o"), out}, m_config.path());
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QVERIFY2(inertProblems(got.output).isEmpty(), qPrintable(inertProblems(got.output)));
        // The escaped forms are what the person sees, indented under the note's heading.
        QVERIFY2(got.output.contains("  | hello\\x1b]52;c;aGFja2Vk\\x07\\x1b[1A\\x1b[2Kintegrity check "
                                     "passed\\x9b31m\\u202eevil\\u200bend"),
                 got.describe().constData());
        QVERIFY2(got.output.contains("<font size=7 color=red>BIG.txt"), got.describe().constData());
        QCOMPARE(QFile(QDir(out).filePath(markupName)).size(), qint64{7});

        // A text share printed on the terminal: escaped as well.
        const QByteArray text = kHostile.toUtf8() + "\nsecond line\n";
        const QString textLink = sendShare({QStringLiteral("--text"), QString::fromUtf8(text)});
        const PtyRun printed = runOnPty({QStringLiteral("get"), textLink}, m_config.path());
        QVERIFY2(printed.exitCode == 0, printed.describe().constData());
        QVERIFY2(inertProblems(printed.output).isEmpty(), qPrintable(inertProblems(printed.output)));
        QVERIFY2(printed.output.contains("\\x1b]52;c;aGFja2Vk\\x07") &&
                     printed.output.contains("\\u202eevil"),
                 printed.describe().constData());
        QVERIFY2(printed.output.contains("second line"), printed.describe().constData());
    }

    // Into a pipe, a text share is the sender's exact bytes: scripts get what was sent.
    void textShareToPipeIsExact() {
        const QByteArray text = kHostile.toUtf8() + "\n";
        const QString link = sendShare({QStringLiteral("--text"), QString::fromUtf8(text)});
        QProcess process;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("OTS_CONFIG_DIR"), m_config.path());
        environment.insert(QStringLiteral("OTS_SECRET_STORE"), QStringLiteral("file"));
        process.setProcessEnvironment(environment);
        process.start(QStringLiteral(OTS_CLI_BINARY), {QStringLiteral("get"), link});
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(kRunTimeoutMs));
        QCOMPARE(process.exitCode(), 0);
        QCOMPARE(process.readAllStandardOutput(), text);
    }

    // The relay allows 10 downloads: asking for 50 says so, with the relay's numbers.
    void relayLimitNamesFieldAndRange() {
        const PtyRun run = runOnPty({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(),
                                     QStringLiteral("--downloads"), QStringLiteral("50"),
                                     QStringLiteral("--text"), QStringLiteral("hi")},
                                    m_config.path());
        QVERIFY2(run.exitCode == 1, run.describe().constData());
        QVERIFY2(run.output.contains("allows 1 to 10 downloads per share"), run.describe().constData());
        QVERIFY2(!run.output.contains("updating the app"), run.describe().constData());
        QCOMPARE(run.output.count("ots: "), 1);

        // A hostile relay's range that is no number is not shown; neither is its field name.
        m_hostile.setResponder([](const QByteArray&) {
            return HostileRelay::Answer{400, "{\"error\":\"bad_request\",\"message\":\"x\",\"field\":\"<b>"
                                             "maxDownloads\",\"min\":\"\\u001b[2J\",\"max\":-5}"};
        });
        const PtyRun hostile = runOnPty({QStringLiteral("send"), QStringLiteral("--relay"),
                                         QStringLiteral("http://127.0.0.1:%1").arg(m_hostile.port()),
                                         QStringLiteral("--text"), QStringLiteral("hi")},
                                        m_config.path());
        QVERIFY2(hostile.exitCode == 1, hostile.describe().constData());
        QVERIFY2(inertProblems(hostile.output).isEmpty(), qPrintable(inertProblems(hostile.output)));
        QVERIFY2(hostile.output.contains("refused a value of the request"), hostile.describe().constData());
        QVERIFY2(!hostile.output.contains("<b>"), hostile.describe().constData());
    }

    // Nothing listens on a loopback port: the message points at the relay on this computer, once, and
    // never at the internet connection.
    void loopbackRelayDownIsNotTheInternet() {
        const PtyRun run =
            runOnPty({QStringLiteral("info"), QStringLiteral("http://127.0.0.1:1/s/AAAAAAAAAAAAAAAAAAAAAA#"
                                                             "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")},
                     m_config.path());
        QVERIFY2(run.exitCode == 3, run.describe().constData());
        QVERIFY2(!run.output.contains("internet"), run.describe().constData());
        QCOMPARE(run.output.count("relay on this computer"), 1);
    }

    // The sender refuses a name with a right-to-left override, naming the file escaped.
    void senderRefusesFormatCharacters() {
        const QString name = QStringLiteral("invoice\u202efdp.exe");
        QFile file(QDir(m_work.path()).filePath(name));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("MZ");
        file.close();
        const PtyRun run = runOnPty({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(),
                                     QDir(m_work.path()).filePath(name)},
                                    m_config.path());
        QVERIFY2(run.exitCode == 2, run.describe().constData());
        QVERIFY2(inertProblems(run.output).isEmpty(), qPrintable(inertProblems(run.output)));
        QVERIFY2(run.output.contains("invoice\\u202efdp.exe") && run.output.contains("cannot be sent") &&
                     run.output.contains("Rename it"),
                 run.describe().constData());
    }
};

QTEST_GUILESS_MAIN(TestCliInertText)
#include "tst_cli_inert_text.moc"
