// The single-instance socket against another local user, with the real `onetimeshare` program. The
// test runs as root and plays two users: the app runs as uid 65534 (nobody), the other user as uid
// 65533. Another user's socket — in a fallback folder they made first, or planted inside the app's own
// private folder — is never used: the link never reaches it, and the app starts as the first window.
// The window refuses connections from other users (root included). A link given as an argument is
// gone from /proc/<pid>/cmdline one second after start.

#include "RelayProcess.h"
#include "SingleInstance.h"

#include <QDataStream>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef OTS_GUI_BINARY
#error "OTS_GUI_BINARY must name the onetimeshare executable"
#endif

namespace {

constexpr uid_t kAppUid = 65534;   // nobody: the person whose window this is
constexpr uid_t kOtherUid = 65533; // another local user, unused on the CI image
constexpr int kLaunchTimeoutMs = 30'000;

// Async-signal-safe: what a forked child may call. False when the ids could not be dropped. The
// process stays dumpable (the kernel clears that on a change of uid), so that LeakSanitizer, which
// attaches to its own threads at exit, still works in the sanitized build.
bool dropTo(uid_t uid) {
    return ::setgroups(0, nullptr) == 0 && ::setgid(uid) == 0 && ::setuid(uid) == 0 && ::getuid() == uid &&
           ::prctl(PR_SET_DUMPABLE, 1) == 0;
}

/// A process of kOtherUid listening on a Unix socket at a path. It reports into a pipe: 'L' once
/// listening, 'C' for each connection accepted, 'D' followed by the bytes of everything it receives.
class ForeignListener {
public:
    ForeignListener() = default;
    ForeignListener(const ForeignListener&) = delete;
    ForeignListener& operator=(const ForeignListener&) = delete;
    ~ForeignListener() { stop(); }

    /// folderToMake: made by the other user (mode 0777) before binding. bindAsRoot: bind as root, give
    /// the socket file to the other user, then drop to them before listen() — a socket of theirs in a
    /// folder they could not enter (as if planted there); SO_PEERCRED names the other user.
    bool start(const QString& path, const QString& folderToMake, bool bindAsRoot) {
        const QByteArray socketPath = QFile::encodeName(path);
        const QByteArray folder = QFile::encodeName(folderToMake);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        if (static_cast<std::size_t>(socketPath.size()) >= sizeof address.sun_path)
            return false;
        std::memcpy(address.sun_path, socketPath.constData(), static_cast<std::size_t>(socketPath.size()));
        int report[2] = {-1, -1};
        if (::pipe2(report, O_CLOEXEC) != 0)
            return false;
        m_pid = ::fork();
        if (m_pid < 0)
            return false;
        if (m_pid == 0) {
            ::close(report[0]);
            if (!bindAsRoot && !dropTo(kOtherUid))
                ::_exit(1);
            if (!folder.isEmpty() &&
                (::mkdir(folder.constData(), 0777) != 0 || ::chmod(folder.constData(), 0777) != 0))
                ::_exit(2);
            const int listener = ::socket(AF_UNIX, SOCK_STREAM, 0);
            if (listener < 0 ||
                ::bind(listener, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0)
                ::_exit(3);
            // Anyone may connect (the app user must be able to reach it), so only the owner check stops them.
            if (::chmod(socketPath.constData(), 0777) != 0)
                ::_exit(4);
            if (bindAsRoot &&
                (::chown(socketPath.constData(), kOtherUid, kOtherUid) != 0 || !dropTo(kOtherUid)))
                ::_exit(4);
            if (::listen(listener, 8) != 0 || ::write(report[1], "L", 1) != 1)
                ::_exit(5);
            for (;;) {
                const int connection = ::accept(listener, nullptr, nullptr);
                if (connection < 0)
                    continue;
                [[maybe_unused]] ssize_t written = ::write(report[1], "C", 1);
                char buffer[4096];
                ssize_t got = 0;
                while ((got = ::read(connection, buffer, sizeof buffer)) > 0) {
                    written = ::write(report[1], "D", 1);
                    written = ::write(report[1], buffer, static_cast<std::size_t>(got));
                }
                ::close(connection);
            }
        }
        ::close(report[1]);
        m_report = report[0];
        pollfd ready{m_report, POLLIN, 0};
        char first = 0;
        return ::poll(&ready, 1, 10'000) == 1 && ::read(m_report, &first, 1) == 1 && first == 'L';
    }

    /// Everything reported since start (after 'L').
    QByteArray report() {
        QByteArray all;
        pollfd ready{m_report, POLLIN, 0};
        char buffer[4096];
        while (m_report >= 0 && ::poll(&ready, 1, 0) == 1) {
            const ssize_t got = ::read(m_report, buffer, sizeof buffer);
            if (got <= 0)
                break;
            all.append(buffer, got);
        }
        return all;
    }

    void stop() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
            m_pid = -1;
        }
        if (m_report >= 0)
            ::close(m_report);
        m_report = -1;
    }

private:
    pid_t m_pid = -1;
    int m_report = -1;
};

/// Stops a process the test started (by its PID), however the test function ends.
struct StopWhenDone {
    QProcess& process;
    explicit StopWhenDone(QProcess& started)
        : process(started) {}
    StopWhenDone(const StopWhenDone&) = delete;
    StopWhenDone& operator=(const StopWhenDone&) = delete;
    ~StopWhenDone() { ots::relaytest::stopChild(process, false); }
};

QByteArray readProcFile(qint64 pid, const char* name) {
    QFile file(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(name)));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool makeFolder(const QString& path, uid_t owner, mode_t mode) {
    const QByteArray name = QFile::encodeName(path);
    return QDir().mkpath(path) && ::chown(name.constData(), owner, owner) == 0 &&
           ::chmod(name.constData(), mode) == 0;
}

} // namespace

class TestSingleInstanceUsers : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_base;
    QString m_home;    // the app user's HOME and config folder
    QString m_tmp;     // TMPDIR of the app: a shared /tmp (root, 1777)
    QString m_runtime; // the app user's XDG_RUNTIME_DIR (theirs, 0700)
    QString m_program; // the onetimeshare binary, where the app user may run it
    int m_links = 0;

    /// A link of the right shape to a closed port, with a secret unique to this test.
    QString makeLink() {
        return QStringLiteral(
                   "http://127.0.0.1:%1/s/Q2hhbmdlZDEyMzQ1Njc4OQ#c2VjcmV0LXNlY3JldC1zZWNyZXQtMDEyMzQ1Njc4O%2")
            .arg(ots::relaytest::freeLoopbackPort())
            .arg(++m_links);
    }
    static QByteArray secretOf(const QString& link) {
        return link.mid(link.indexOf(QLatin1Char('#')) + 1).toUtf8();
    }

    /// The socket path the app user gets in folder (the name hashes their HOME and config folder).
    [[nodiscard]] QString socketIn(const QString& folder) const {
        const QByteArray home = qgetenv("HOME");
        const QByteArray config = qgetenv("OTS_CONFIG_DIR");
        qputenv("HOME", QFile::encodeName(m_home));
        qputenv("OTS_CONFIG_DIR", QFile::encodeName(m_home + QStringLiteral("/config")));
        const QString name = ots::gui::SingleInstance::socketName();
        qputenv("HOME", home);
        if (config.isEmpty())
            qunsetenv("OTS_CONFIG_DIR");
        else
            qputenv("OTS_CONFIG_DIR", config);
        return QDir(folder).filePath(name);
    }

    /// `onetimeshare arguments` as the app user.
    void launch(QProcess& app, const QStringList& arguments, bool withRuntimeDir) const {
        QProcessEnvironment environment;
        environment.insert(QStringLiteral("PATH"), qEnvironmentVariable("PATH"));
        environment.insert(QStringLiteral("HOME"), m_home);
        environment.insert(QStringLiteral("OTS_CONFIG_DIR"), m_home + QStringLiteral("/config"));
        environment.insert(QStringLiteral("OTS_SECRET_STORE"), QStringLiteral("file"));
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("TMPDIR"), m_tmp);
        if (withRuntimeDir)
            environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_runtime);
        app.setProcessEnvironment(environment);
        app.setWorkingDirectory(m_home);
        app.setProgram(m_program);
        app.setArguments(arguments);
        app.setChildProcessModifier([] {
            if (!dropTo(kAppUid))
                ::_exit(126);
        });
        app.start();
    }

    /// The app started normally and runs as the app user; after one second its command line holds no
    /// part of the link.
    void checkRunningWithoutLink(QProcess& app, const QString& link) const {
        QVERIFY(app.waitForStarted(10'000));
        QTest::qWait(1000);
        QCOMPARE(app.state(), QProcess::Running);
        QVERIFY(readProcFile(app.processId(), "status").contains("\nUid:\t65534\t"));
        const QByteArray cmdline = readProcFile(app.processId(), "cmdline");
        const QByteArray shown = QByteArray(cmdline).replace('\0', ' ');
        QVERIFY2(cmdline.startsWith(QFile::encodeName(m_program)), shown.constData());
        QVERIFY2(!cmdline.contains(secretOf(link)) && !cmdline.contains("/s/"), shown.constData());
        QVERIFY2(cmdline.contains(QByteArray("\0[link]", 7)), shown.constData());
    }

    /// The app's standard error says what it refused (sentence) and holds no part of the link.
    static void checkLogWithoutLink(QProcess& app, const char* sentence, const QString& link,
                                    QByteArray& log) {
        QVERIFY2(QTest::qWaitFor(
                     [&] {
                         log += app.readAllStandardError();
                         return log.contains(sentence);
                     },
                     10'000),
                 log.constData());
        QVERIFY2(!log.contains(secretOf(link)) && !log.contains("/s/"), log.constData());
    }

private Q_SLOTS:
    void initTestCase() {
        // No skipping: this test exists to play two users, which only root can.
        QVERIFY2(::geteuid() == 0, "tst_gui_single_instance must run as root: it runs the app as uid 65534 "
                                   "and another user as uid 65533");
        QVERIFY(m_base.isValid());
        QVERIFY(makeFolder(m_base.path(), 0, 0755));
        m_home = m_base.filePath(QStringLiteral("home"));
        m_tmp = m_base.filePath(QStringLiteral("tmp"));
        m_runtime = m_base.filePath(QStringLiteral("run"));
        QVERIFY(makeFolder(m_home, kAppUid, 0700));
        QVERIFY(makeFolder(m_home + QStringLiteral("/config"), kAppUid, 0700));
        QVERIFY(makeFolder(m_tmp, 0, 01777));
        QVERIFY(makeFolder(m_runtime, kAppUid, 0700));
        // A copy the app user can run wherever the build folder is (it links only system libraries).
        m_program = m_base.filePath(QStringLiteral("bin/onetimeshare"));
        QVERIFY(makeFolder(QFileInfo(m_program).absolutePath(), 0, 0755));
        QVERIFY(QFile::copy(QStringLiteral(OTS_GUI_BINARY), m_program));
        QVERIFY(::chmod(QFile::encodeName(m_program).constData(), 0755) == 0);
    }

    // Without XDG_RUNTIME_DIR the fallback is TMPDIR/onetimeshare-<uid>; another user made it first and
    // listens in it. The app neither enters it nor connects, says so without the link, and runs.
    void fallbackFolderMadeByAnotherUserIsNotUsed() {
        const QString folder = QDir(m_tmp).filePath(QStringLiteral("onetimeshare-%1").arg(kAppUid));
        ForeignListener other;
        QVERIFY(other.start(socketIn(folder), folder, false));
        const QString link = makeLink();
        QProcess app;
        const StopWhenDone stopApp{app};
        launch(app, {link}, false);
        checkRunningWithoutLink(app, link);
        if (QTest::currentTestFailed())
            return;
        QByteArray log;
        checkLogWithoutLink(app, "belongs to another user (uid 65533)", link, log);
        QCOMPARE(log.count("belongs to another user"), 1); // said once
        QTest::qWait(500);
        QCOMPARE(app.state(), QProcess::Running);
        QCOMPARE(other.report(), QByteArray()); // not even a connection
        ots::relaytest::stopChild(app, false);
        QCOMPARE(other.report(), QByteArray());
    }

    // A socket served by another user inside the app user's own private XDG_RUNTIME_DIR: the app
    // connects, sees the other user with SO_PEERCRED, sends nothing, and becomes the first window
    // under that name; a later launch reaches the app, never the other user; root is refused by it.
    void socketOfAnotherUserInThePrivateFolderIsNotUsed() {
        const QString path = socketIn(m_runtime);
        ForeignListener other;
        QVERIFY(other.start(path, {}, true));
        const QString link = makeLink();
        QProcess app;
        const StopWhenDone stopApp{app};
        launch(app, {link}, true);
        checkRunningWithoutLink(app, link);
        if (QTest::currentTestFailed())
            return;
        const QByteArray seen = other.report();
        QVERIFY2(seen.contains('C') && !seen.contains('D'), seen.constData()); // checked, nothing sent
        QByteArray log;
        checkLogWithoutLink(app, "user id 65533, not by this user", link, log);
        // It took the name over: the socket is now the app user's own.
        QVERIFY(QTest::qWaitFor(
            [&] {
                struct stat info {};
                return ::lstat(QFile::encodeName(path).constData(), &info) == 0 && S_ISSOCK(info.st_mode) &&
                       info.st_uid == kAppUid;
            },
            10'000));

        // A second launch of the same user hands its link to the window and exits 0 at once: once
        // with the link as an argument, once with it on --link-fd 0.
        const QString second = makeLink();
        QProcess launchAgain;
        launch(launchAgain, {second}, true);
        QVERIFY(launchAgain.waitForFinished(kLaunchTimeoutMs));
        QVERIFY2(launchAgain.exitStatus() == QProcess::NormalExit && launchAgain.exitCode() == 0,
                 launchAgain.readAllStandardError().constData());
        const QString third = makeLink();
        QProcess launchFromFd;
        launch(launchFromFd, {QStringLiteral("--link-fd"), QStringLiteral("0")}, true);
        QVERIFY(launchFromFd.waitForStarted(10'000));
        launchFromFd.write(third.toUtf8() + '\n');
        launchFromFd.closeWriteChannel();
        QVERIFY(launchFromFd.waitForFinished(kLaunchTimeoutMs));
        QVERIFY2(launchFromFd.exitStatus() == QProcess::NormalExit && launchFromFd.exitCode() == 0,
                 launchFromFd.readAllStandardError().constData());
        QCOMPARE(app.state(), QProcess::Running);

        // Another uid (root here) that reaches the socket gets no answer: the window drops it unread.
        QLocalSocket intruder;
        intruder.connectToServer(path);
        QVERIFY(intruder.waitForConnected(5000));
        QByteArray message;
        {
            QDataStream out(&message, QIODevice::WriteOnly);
            out.setVersion(QDataStream::Qt_6_4);
            out << quint32{0x4f545331} << QStringList{QStringLiteral("--probe")};
        }
        intruder.write(message);
        intruder.waitForBytesWritten(5000);
        QVERIFY(QTest::qWaitFor([&] { return intruder.state() == QLocalSocket::UnconnectedState; }, 10'000));
        QCOMPARE(intruder.readAll(), QByteArray());
        QCOMPARE(app.state(), QProcess::Running);

        ots::relaytest::stopChild(app, false);
        const QByteArray after = other.report();
        QVERIFY2(!after.contains('D') && !after.contains(secretOf(link)) &&
                     !after.contains(secretOf(second)) && !after.contains(secretOf(third)),
                 after.constData());
    }
};

QTEST_GUILESS_MAIN(TestSingleInstanceUsers)
#include "tst_gui_single_instance.moc"
