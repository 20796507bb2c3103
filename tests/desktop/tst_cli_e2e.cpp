// End-to-end tests of the `ots` command: the binary this build linked, run as a user runs it, against
// a real redis-server and this build's ots-relay on free loopback ports. Every transfer is checked
// byte for byte and tree for tree; the secrets of a password share are searched for in everything the
// relay logged and stored; a proxy cuts connections mid-upload and mid-download; blobs on the relay
// are tampered with; history and revoke go through the real relay.

#include "RelayProcess.h"
#include "TcpProxy.h"
#include "TmpfsMount.h"
#include "ots/ShareLink.h"

#include <QByteArray>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef OTS_CLI_BINARY
#error "OTS_CLI_BINARY must name the ots executable"
#endif

using ots::relaytest::RelayFixture;
using ots::test::TcpProxy;

namespace {

constexpr int kRunTimeoutMs = 150'000;
constexpr qint64 kMiB = 1024 * 1024;

struct Run {
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
    [[nodiscard]] QByteArray describe() const {
        return "exit " + QByteArray::number(exitCode) + "\n--- stdout:\n" + out.left(2000) +
               "\n--- stderr:\n" + err.left(4000);
    }
    [[nodiscard]] QJsonObject json() const { return QJsonDocument::fromJson(out).object(); }
};

// Fast deterministic pseudo-random bytes (xorshift64*): content that no compressor or dedup shortcut
// could fake, written in 1 MiB pieces.
bool writeRandomFile(const QString& path, qint64 size, quint64 seed) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return false;
    quint64 state = seed * 0x9E3779B97F4A7C15ULL + 1;
    QByteArray block(static_cast<qsizetype>(kMiB), Qt::Uninitialized);
    for (qint64 written = 0; written < size;) {
        auto* words = reinterpret_cast<quint64*>(block.data());
        for (qsizetype i = 0; i < block.size() / 8; ++i) {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            words[i] = state * 0x2545F4914F6CDD1DULL;
        }
        const qint64 piece = qMin<qint64>(size - written, block.size());
        if (file.write(block.constData(), piece) != piece)
            return false;
        written += piece;
    }
    return file.flush();
}

bool writeFile(const QString& path, const QByteArray& content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(content) == content.size() && file.flush();
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// Streams both files; empty when identical, else where they differ.
QString compareFiles(const QString& expected, const QString& actual) {
    QFile a(expected);
    QFile b(actual);
    if (!a.open(QIODevice::ReadOnly) || !b.open(QIODevice::ReadOnly))
        return QStringLiteral("%1: cannot open").arg(actual);
    if (a.size() != b.size())
        return QStringLiteral("%1: size %2, expected %3").arg(actual).arg(b.size()).arg(a.size());
    qint64 offset = 0;
    while (!a.atEnd()) {
        const QByteArray x = a.read(4 * kMiB);
        const QByteArray y = b.read(4 * kMiB);
        if (x != y)
            return QStringLiteral("%1: content differs in the 4 MiB from offset %2").arg(actual).arg(offset);
        offset += x.size();
    }
    return {};
}

// Names, kinds, sizes and contents of two trees; empty when identical.
QString compareTrees(const QString& expected, const QString& actual) {
    const QStringList left = ots::test::listTree(expected);
    const QStringList right = ots::test::listTree(actual);
    if (left != right)
        return QStringLiteral("entries differ:\n  expected %1\n  got      %2")
            .arg(left.join(QLatin1Char('|')), right.join(QLatin1Char('|')));
    for (const QString& path : left) {
        const QFileInfo a(QDir(expected).filePath(path));
        const QFileInfo b(QDir(actual).filePath(path));
        if (a.isDir() != b.isDir())
            return path + QStringLiteral(": file/folder mismatch");
        if (!a.isDir())
            if (const QString difference = compareFiles(a.filePath(), b.filePath()); !difference.isEmpty())
                return difference;
    }
    return {};
}

bool isEmptyFolder(const QString& path) {
    return QDir(path)
        .entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System)
        .isEmpty();
}

} // namespace

class CliEndToEnd : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    QTemporaryDir m_config; // OTS_CONFIG_DIR of every run: settings, history, the file secret store
    QTemporaryDir m_work;   // inputs and outputs
    int m_folders = 0;

    [[nodiscard]] QString relayUrl(quint16 port = 0) const {
        return QStringLiteral("http://127.0.0.1:%1").arg(port != 0 ? port : m_fixture.relay.port());
    }
    // A new empty folder under the work folder.
    QString freshFolder(const QString& label) {
        const QString path = m_work.filePath(QStringLiteral("%1-%2").arg(label).arg(++m_folders));
        QDir().mkpath(path);
        return path;
    }

    // Prepares a QProcess running `ots arguments` in its own session (so it never prompts on the
    // terminal the tests run in), with fd 3 reading fd3File when given.
    void prepare(QProcess& process, const QStringList& arguments, const QString& fd3File,
                 QByteArray& fd3Path) const {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("OTS_CONFIG_DIR"), m_config.path());
        environment.insert(QStringLiteral("OTS_SECRET_STORE"), QStringLiteral("file"));
        process.setProcessEnvironment(environment);
        process.setProgram(QStringLiteral(OTS_CLI_BINARY));
        process.setArguments(arguments);
        process.setWorkingDirectory(m_work.path());
        fd3Path = QFile::encodeName(fd3File);
        const char* path = fd3File.isEmpty() ? nullptr : fd3Path.constData();
        process.setChildProcessModifier([path] {
            ::setsid();
            if (path != nullptr) {
                const int fd = ::open(path, O_RDONLY);
                if (fd >= 0 && fd != 3) {
                    ::dup2(fd, 3);
                    ::close(fd);
                }
            }
        });
    }

    Run ots(const QStringList& arguments, const QByteArray& input = {}, const QString& fd3File = {}) const {
        QProcess process;
        QByteArray fd3Path;
        prepare(process, arguments, fd3File, fd3Path);
        process.start();
        Run run;
        if (!process.waitForStarted(10'000)) {
            run.err = process.errorString().toUtf8();
            return run;
        }
        process.write(input);
        process.closeWriteChannel();
        if (!process.waitForFinished(kRunTimeoutMs)) {
            ots::relaytest::stopChild(process, false);
            run.err = "timed out\n" + process.readAllStandardError();
            return run;
        }
        run.out = process.readAllStandardOutput();
        run.err = process.readAllStandardError();
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
        return run;
    }

    // `ots send --json …` that must succeed; the JSON result.
    QJsonObject send(const QStringList& arguments, const QByteArray& input = {},
                     const QString& fd3File = {}) {
        const Run run = ots(QStringList{QStringLiteral("send"), QStringLiteral("--json"),
                                        QStringLiteral("--relay"), relayUrl()} +
                                arguments,
                            input, fd3File);
        [&] { QVERIFY2(run.exitCode == 0, run.describe().constData()); }();
        const QJsonObject result = run.json();
        [&] {
            QVERIFY2(result.value(QStringLiteral("link"))
                         .toString()
                         .startsWith(relayUrl() + QStringLiteral("/s/")),
                     run.describe().constData());
        }();
        return result;
    }

    // Sends path, receives it into a fresh folder, compares.
    void roundTrip(const QString& path) {
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        const QString out = freshFolder(QStringLiteral("out"));
        const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        const QString name = QFileInfo(path).fileName();
        QVERIFY2(got.err.contains("Saved"), got.describe().constData());
        QCOMPARE(ots::test::listTree(out),
                 ots::test::listTree(QFileInfo(path).absolutePath())
                     .filter(QRegularExpression(QStringLiteral("^") + QRegularExpression::escape(name) +
                                                QStringLiteral("($|/)"))));
        const QString difference = QFileInfo(path).isDir() ? compareTrees(path, QDir(out).filePath(name))
                                                           : compareFiles(path, QDir(out).filePath(name));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }

    [[nodiscard]] QString blobPath(const QString& id) const {
        return QDir(m_fixture.dataDir.path())
            .filePath(QStringLiteral("blobs/%1/%2/%3").arg(id.left(2), id.mid(2, 2), id));
    }

    // Every key, and every value of every key, in Redis — what the relay stored.
    [[nodiscard]] QByteArray redisDump() const {
        const quint16 port = m_fixture.redis.port();
        QByteArray dump;
        for (const QByteArray& key : ots::relaytest::redisKeys(port, QStringLiteral("*"))) {
            const QString name = QString::fromLatin1(key);
            dump += key + '\n';
            const QByteArray type = ots::relaytest::redisCli(port, {QStringLiteral("TYPE"), name}).trimmed();
            QStringList command;
            if (type == "string")
                command = {QStringLiteral("GET"), name};
            else if (type == "hash")
                command = {QStringLiteral("HGETALL"), name};
            else if (type == "zset")
                command = {QStringLiteral("ZRANGE"), name, QStringLiteral("0"), QStringLiteral("-1"),
                           QStringLiteral("WITHSCORES")};
            else if (type == "set")
                command = {QStringLiteral("SMEMBERS"), name};
            else if (type == "list")
                command = {QStringLiteral("LRANGE"), name, QStringLiteral("0"), QStringLiteral("-1")};
            if (!command.isEmpty())
                dump += ots::relaytest::redisCli(port, command) + '\n';
        }
        return dump;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_config.isValid());
        QVERIFY(m_work.isValid());
        QVERIFY2(m_fixture.start(), m_fixture.error());
    }

    void cleanupTestCase() { m_fixture.relay.stop(); }

    // Must show 1: a file, a tree with nested and non-ASCII names, an empty file.
    void sendAndGetFile() {
        const QString path = m_work.filePath(QStringLiteral("report 2024.bin"));
        QVERIFY(writeRandomFile(path, 3 * kMiB + 12345, 1));
        roundTrip(path);
    }

    void sendAndGetTree() {
        const QString root = QDir(freshFolder(QStringLiteral("tree"))).filePath(QStringLiteral("Ordner äöü"));
        QVERIFY(writeFile(root + QStringLiteral("/a.txt"), "first file\n"));
        QVERIFY(writeRandomFile(root + QStringLiteral("/sub/nested/deeper/data file.bin"), 200'000, 2));
        QVERIFY(
            writeFile(root + QStringLiteral("/日本語/ファイル.txt"), QStringLiteral("こんにちは").toUtf8()));
        QVERIFY(writeFile(root + QStringLiteral("/Ünïcödé/Ärger ß.md"), "# Ärger\n"));
        QVERIFY(writeFile(root + QStringLiteral("/emoji 🎉/файл.txt"), "party\n"));
        QVERIFY(writeFile(root + QStringLiteral("/empty.dat"), {}));
        QVERIFY(QDir().mkpath(root + QStringLiteral("/empty folder")));
        QVERIFY(QDir().mkpath(root + QStringLiteral("/sub/also empty")));
        roundTrip(root);
    }

    void sendAndGetEmptyFile() {
        const QString path =
            QDir(freshFolder(QStringLiteral("empty"))).filePath(QStringLiteral("nothing.txt"));
        QVERIFY(writeFile(path, {}));
        roundTrip(path);
    }

    // A 0-byte text, given and from standard input; a text printed exactly; --save-text.
    void texts() {
        for (const QStringList& arguments :
             {QStringList{QStringLiteral("--text"), QString()}, QStringList{QStringLiteral("-")}}) {
            const QJsonObject sent = send(arguments);
            QVERIFY(!QTest::currentTestFailed());
            const QString out = freshFolder(QStringLiteral("text"));
            const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                                 QStringLiteral("-o"), out});
            QVERIFY2(got.exitCode == 0, got.describe().constData());
            QCOMPARE(got.out, QByteArray());
            QVERIFY(isEmptyFolder(out));
        }
        const QByteArray text = QStringLiteral("Grüße\n\tline two  \nno newline at the end ✓").toUtf8();
        const QJsonObject sent = send({QStringLiteral("--text"), QStringLiteral("-")}, text);
        QVERIFY(!QTest::currentTestFailed());
        const Run printed = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString()});
        QVERIFY2(printed.exitCode == 0, printed.describe().constData());
        QCOMPARE(printed.out, text);

        const QJsonObject saved = send({QStringLiteral("--text"), QString::fromUtf8(text)});
        QVERIFY(!QTest::currentTestFailed());
        const QString out = freshFolder(QStringLiteral("savetext"));
        const Run got = ots({QStringLiteral("get"), saved.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out, QStringLiteral("--save-text")});
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QCOMPARE(got.out, QByteArray());
        const QStringList files = QDir(out).entryList(QDir::Files);
        QCOMPARE(files.size(), 1);
        QCOMPARE(readFile(QDir(out).filePath(files.first())), text);
    }

    // Must show 1: 300 MiB, compared by streaming both files.
    void sendAndGetLargeFile() {
        const QString path = QDir(freshFolder(QStringLiteral("large"))).filePath(QStringLiteral("large.bin"));
        QVERIFY(writeRandomFile(path, 300 * kMiB, 3));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(sent.value(QStringLiteral("payloadBytes")).toInteger() >= 300 * kMiB);
        const QString out = freshFolder(QStringLiteral("large-out"));
        const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        const QString difference = compareFiles(path, QDir(out).filePath(QStringLiteral("large.bin")));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QFile::remove(path);
        QFile::remove(QDir(out).filePath(QStringLiteral("large.bin")));
    }

    // Must show 2: a wrong password reports the attempts left; the right one decrypts; neither the
    // password nor the link secret reaches anything the relay logged or stored.
    void passwordShare() {
        const QString password = QStringLiteral("correct horse ✓ battery staple");
        const QString passwordFile = m_work.filePath(QStringLiteral("password.txt"));
        QVERIFY(writeFile(passwordFile, password.toUtf8() + '\n'));
        const QString path = m_work.filePath(QStringLiteral("secret plans.pdf"));
        QVERIFY(writeRandomFile(path, 150'000, 4));

        const QJsonObject sent =
            send({QStringLiteral("--password-fd"), QStringLiteral("3"), path}, {}, passwordFile);
        QVERIFY(!QTest::currentTestFailed());
        QVERIFY(sent.value(QStringLiteral("passwordProtected")).toBool());
        const QString link = sent.value(QStringLiteral("link")).toString();

        const Run info = ots({QStringLiteral("info"), QStringLiteral("--json"), link});
        QVERIFY2(info.exitCode == 0, info.describe().constData());
        QVERIFY(info.json().value(QStringLiteral("passwordRequired")).toBool());
        const int attempts = info.json().value(QStringLiteral("attemptsLeft")).toInt();
        QVERIFY(attempts > 1);

        const QString out = freshFolder(QStringLiteral("password"));
        const Run wrong = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out,
                               QStringLiteral("--password-fd"), QStringLiteral("0")},
                              "Tr0ub4dor&3\n");
        QCOMPARE(wrong.exitCode, 5);
        QVERIFY2(wrong.err.contains("attempt"), wrong.describe().constData());
        QVERIFY2(wrong.err.contains(QByteArray::number(attempts - 1)), wrong.describe().constData());
        QVERIFY(isEmptyFolder(out));

        const Run noPassword = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out});
        QCOMPARE(noPassword.exitCode, 5);
        QVERIFY2(noPassword.err.contains("password"), noPassword.describe().constData());

        const Run right = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out,
                               QStringLiteral("--password-fd"), QStringLiteral("3")},
                              {}, passwordFile);
        QVERIFY2(right.exitCode == 0, right.describe().constData());
        const QString difference = compareFiles(path, QDir(out).filePath(QStringLiteral("secret plans.pdf")));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));

        // What the relay received: its log (debug level) and everything in Redis.
        const QByteArray fragment = link.mid(link.indexOf(QLatin1Char('#')) + 1).toLatin1();
        QCOMPARE(fragment.size(), 43);
        const QByteArray secret = QByteArray::fromBase64(fragment, QByteArray::Base64UrlEncoding);
        QCOMPARE(secret.size(), 32);
        const QList<QPair<const char*, QByteArray>> needles = {
            {"password", password.toUtf8()},
            {"password (Latin-1 part)", QByteArrayLiteral("correct horse")},
            {"link secret (base64url)", fragment},
            {"link secret (base64)", secret.toBase64()},
            {"link secret (base64, unpadded)", secret.toBase64(QByteArray::OmitTrailingEquals)},
            {"link secret (hex)", secret.toHex()},
            {"link secret (raw)", secret},
        };
        const QByteArray log = m_fixture.relay.log();
        // The relay logs every request (route, status, sizes, client; never ids or tokens): the log
        // must hold this test's requests, else the search below would prove nothing.
        QVERIFY2(log.count("\"request\"") >= 10, log.right(2000).constData());
        const QByteArray redis = redisDump();
        QVERIFY2(redis.contains(sent.value(QStringLiteral("id")).toString().toLatin1()),
                 "the Redis dump is empty");
        for (const auto& [what, needle] : needles) {
            QVERIFY2(!log.contains(needle), what);
            QVERIFY2(!redis.contains(needle), what);
        }
    }

    // Issue 13, must show 2: one character of the secret changed, on a password share. The relay refuses
    // the link proof before any attempt is counted: the message says the link is damaged (not that the
    // password is wrong), the exit code is the wrong-link one (5), and the attempts stay as they were.
    void damagedLinkCountsNoAttempt() {
        const QString passwordFile = m_work.filePath(QStringLiteral("damaged-password.txt"));
        QVERIFY(writeFile(passwordFile, QByteArrayLiteral("correct horse battery staple\n")));
        const QString path = m_work.filePath(QStringLiteral("damaged.txt"));
        QVERIFY(writeRandomFile(path, 5000, 11));
        const QJsonObject sent =
            send({QStringLiteral("--password-fd"), QStringLiteral("3"), path}, {}, passwordFile);
        QVERIFY(!QTest::currentTestFailed());
        const QString link = sent.value(QStringLiteral("link")).toString();
        QString damaged = link;
        const qsizetype at = link.indexOf(QLatin1Char('#')) + 10;
        damaged[at] = link[at] == QLatin1Char('A') ? QLatin1Char('B') : QLatin1Char('A');

        const auto attemptsLeft = [this, &link] {
            const Run info = ots({QStringLiteral("info"), QStringLiteral("--json"), link});
            return info.exitCode == 0 ? info.json().value(QStringLiteral("attemptsLeft")).toInt(-1) : -2;
        };
        const int before = attemptsLeft();
        QVERIFY(before > 1);
        const QString out = freshFolder(QStringLiteral("damaged"));
        for (int i = 0; i < 10; ++i) {
            const Run got = ots({QStringLiteral("get"), damaged, QStringLiteral("-o"), out,
                                 QStringLiteral("--password-fd"), QStringLiteral("3")},
                                {}, passwordFile);
            QVERIFY2(got.exitCode == 5, got.describe().constData());
            QVERIFY2(got.err.contains("damaged or incomplete"), got.describe().constData());
            QVERIFY2(!got.err.contains("password"), got.describe().constData());
        }
        const Run json = ots({QStringLiteral("get"), damaged, QStringLiteral("-o"), out,
                              QStringLiteral("--json"), QStringLiteral("--password-fd"), QStringLiteral("3")},
                             {}, passwordFile);
        QCOMPARE(json.exitCode, 5);
        QCOMPARE(
            json.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString(),
            QStringLiteral("link_invalid"));
        QCOMPARE(attemptsLeft(), before);
        QVERIFY(isEmptyFolder(out));

        const Run right = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out,
                               QStringLiteral("--password-fd"), QStringLiteral("3")},
                              {}, passwordFile);
        QVERIFY2(right.exitCode == 0, right.describe().constData());
    }

    // The metadata envelope changed in Redis after the share was made: the proof shows the key is right,
    // so the envelope that does not open was tampered with (exit 6), not a wrong key (exit 5).
    void tamperedMetadataIsIntegrityFailure() {
        const QString path = m_work.filePath(QStringLiteral("described.txt"));
        QVERIFY(writeRandomFile(path, 3000, 12));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        const QString key = QStringLiteral("ots:{%1}:share").arg(sent.value(QStringLiteral("id")).toString());
        // One bit of the envelope's ciphertext flipped in place (binary-safe, inside Redis).
        const QByteArray flipped = ots::relaytest::redisCli(
            m_fixture.redis.port(),
            {QStringLiteral("EVAL"),
             QStringLiteral("local m = redis.call('HGET', KEYS[1], 'metadata') "
                            "local b = string.byte(m, 61) "
                            "redis.call('HSET', KEYS[1], 'metadata', "
                            "string.sub(m, 1, 60) .. string.char(bit.bxor(b, 1)) .. string.sub(m, 62)) "
                            "return #m"),
             QStringLiteral("1"), key});
        QVERIFY2(flipped.trimmed().toInt() > 100, flipped.constData());
        const QString out = freshFolder(QStringLiteral("described"));
        const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 6, got.describe().constData());
        QVERIFY2(got.err.contains("integrity"), got.describe().constData());
        QVERIFY(isEmptyFolder(out));
    }

    void generatedPassphrase() {
        const QString path = m_work.filePath(QStringLiteral("passphrase.txt"));
        QVERIFY(writeFile(path, "guarded by a generated passphrase\n"));
        const Run sent = ots({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(),
                              QStringLiteral("--passphrase"), path});
        QVERIFY2(sent.exitCode == 0, sent.describe().constData());
        const QStringList lines = QString::fromUtf8(sent.out).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 1); // only the link on standard output
        const QRegularExpressionMatch match =
            QRegularExpression(QStringLiteral("Passphrase: ((?:[a-z2-9]{5}-){5}[a-z2-9]{5})"))
                .match(QString::fromUtf8(sent.err));
        QVERIFY2(match.hasMatch(), sent.describe().constData());
        const QString out = freshFolder(QStringLiteral("passphrase"));
        const Run got = ots({QStringLiteral("get"), lines.first(), QStringLiteral("-o"), out,
                             QStringLiteral("--password-fd"), QStringLiteral("0")},
                            match.captured(1).toUtf8() + '\n');
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("passphrase.txt"))), readFile(path));
    }

    // Must show 3: a cut mid-upload is resumed from the relay's offset, not started over.
    void resumeUpload() {
        TcpProxy proxy;
        QVERIFY(proxy.start(m_fixture.relay.port()));
        const QString path = m_work.filePath(QStringLiteral("resume-up.bin"));
        const qint64 size = 24 * kMiB;
        QVERIFY(writeRandomFile(path, size, 5));
        proxy.breakOnce(TcpProxy::Direction::ToRelay, 9 * kMiB, TcpProxy::Break::Cut);
        const Run sent = ots({QStringLiteral("send"), QStringLiteral("--json"), QStringLiteral("--relay"),
                              relayUrl(proxy.port()), path});
        QVERIFY2(sent.exitCode == 0, sent.describe().constData());
        QCOMPARE(proxy.breaks(), 1);
        const quint64 upstream = proxy.bytes(TcpProxy::Direction::ToRelay);
        QVERIFY2(upstream < static_cast<quint64>(size) * 3 / 2,
                 qPrintable(QStringLiteral("%1 bytes went up for a %2-byte share").arg(upstream).arg(size)));
        QVERIFY(upstream >= static_cast<quint64>(size));

        const QString out = freshFolder(QStringLiteral("resume-up"));
        const Run got = ots({QStringLiteral("get"), sent.json().value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        const QString difference = compareFiles(path, QDir(out).filePath(QStringLiteral("resume-up.bin")));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }

    // Must show 3: a cut mid-download resumes with a Range request.
    void resumeDownload() {
        const QString path = m_work.filePath(QStringLiteral("resume-down.bin"));
        const qint64 size = 24 * kMiB;
        QVERIFY(writeRandomFile(path, size, 6));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        TcpProxy proxy;
        QVERIFY(proxy.start(m_fixture.relay.port()));
        // The same share through the proxy: only the port in the link changes.
        QString link = sent.value(QStringLiteral("link")).toString();
        link.replace(QStringLiteral(":%1/").arg(m_fixture.relay.port()),
                     QStringLiteral(":%1/").arg(proxy.port()));
        proxy.breakOnce(TcpProxy::Direction::ToClient, 9 * kMiB, TcpProxy::Break::Cut);
        const QString out = freshFolder(QStringLiteral("resume-down"));
        const Run got = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QCOMPARE(proxy.breaks(), 1);
        const quint64 downstream = proxy.bytes(TcpProxy::Direction::ToClient);
        QVERIFY2(
            downstream < static_cast<quint64>(size) * 3 / 2,
            qPrintable(QStringLiteral("%1 bytes came down for a %2-byte share").arg(downstream).arg(size)));
        const QString difference = compareFiles(path, QDir(out).filePath(QStringLiteral("resume-down.bin")));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
    }

    // The share's downloads left, as `ots info` reports them (consumes nothing); -exit code on failure.
    int downloadsLeft(const QString& link) const {
        const Run info = ots({QStringLiteral("info"), QStringLiteral("--json"), link});
        return info.exitCode == 0 ? info.json().value(QStringLiteral("downloadsLeft")).toInt()
                                  : -info.exitCode;
    }

    // Issue 14, must show 1 (`ots get`): a folder too small for the share is refused before anything
    // is reserved; a disk that fills during the download keeps the reservation, and once there is
    // room the same command resumes it with no second download used.
    void fullDiskCostsNoDownload() {
        const QString path = m_work.filePath(QStringLiteral("full-disk.bin"));
        const qint64 size = 3 * kMiB;
        QVERIFY(writeRandomFile(path, size, 14));
        const QJsonObject sent = send({QStringLiteral("--downloads"), QStringLiteral("2"), path});
        QVERIFY(!QTest::currentTestFailed());
        const QString direct = sent.value(QStringLiteral("link")).toString();

        // Too small from the start: refused before reserving, nothing written, nothing spent.
        ots::test::TmpfsMount small(kMiB);
        QVERIFY2(small.ok(), small.error().constData());
        const Run refused = ots({QStringLiteral("get"), direct, QStringLiteral("-o"), small.path()});
        QCOMPARE(refused.exitCode, 7);
        QVERIFY2(refused.err.contains("this try used no download"), refused.describe().constData());
        QVERIFY2(!refused.err.contains("still yours"), refused.describe().constData());
        QVERIFY(isEmptyFolder(small.path()));
        QCOMPARE(downloadsLeft(direct), 2);

        // Room at the start, none half-way: the download is throttled so that the disk can be filled
        // while it certainly runs (on the first bytes seen arriving in the folder).
        ots::test::TmpfsMount disk(5 * kMiB);
        QVERIFY2(disk.ok(), disk.error().constData());
        TcpProxy proxy;
        QVERIFY(proxy.start(m_fixture.relay.port()));
        QString link = direct;
        link.replace(QStringLiteral(":%1/").arg(m_fixture.relay.port()),
                     QStringLiteral(":%1/").arg(proxy.port()));
        proxy.throttleToClient(2 * kMiB);
        const qint64 usedBefore = disk.usedBytes();
        QProcess process;
        QByteArray unused;
        prepare(process, {QStringLiteral("get"), link, QStringLiteral("-o"), disk.path()}, {}, unused);
        process.start();
        QVERIFY(process.waitForStarted(10'000));
        QDeadlineTimer deadline(60'000);
        while (disk.usedBytes() - usedBefore < 128 * 1024 && process.state() == QProcess::Running &&
               !deadline.hasExpired())
            QThread::msleep(5);
        QVERIFY2(process.state() == QProcess::Running, "the download ended before the disk could be filled");
        QVERIFY(disk.fill());
        QVERIFY(process.waitForFinished(kRunTimeoutMs));
        const Run failed{process.exitCode(), process.readAllStandardOutput(), process.readAllStandardError()};
        QCOMPARE(failed.exitCode, 7);
        QVERIFY2(failed.err.contains("the download is still yours until"), failed.describe().constData());
        QCOMPARE(downloadsLeft(direct), 1);
        disk.free();
        QVERIFY2(
            QDir(disk.path()).entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden).isEmpty(),
            "the failed download left files behind");

        // The same command again: it continues the reserved download and uses no other.
        proxy.throttleToClient(0);
        const Run resumed = ots({QStringLiteral("get"), link, QStringLiteral("-o"), disk.path()});
        QVERIFY2(resumed.exitCode == 0, resumed.describe().constData());
        QVERIFY2(resumed.err.contains("Continuing the download reserved for this computer"),
                 resumed.describe().constData());
        const QString difference =
            compareFiles(path, QDir(disk.path()).filePath(QStringLiteral("full-disk.bin")));
        QVERIFY2(difference.isEmpty(), qPrintable(difference));
        QCOMPARE(downloadsLeft(direct), 1);
        // Finished: the ticket is no longer kept, so the next get reserves the share's other download.
        const Run second =
            ots({QStringLiteral("get"), link, QStringLiteral("-o"), freshFolder(QStringLiteral("second"))});
        QVERIFY2(second.exitCode == 0 && !second.err.contains("Continuing"), second.describe().constData());
        QCOMPARE(downloadsLeft(direct), -4);
    }

    // Must show 4: a flipped bit or a truncated blob on the relay is refused, nothing is written.
    void tamperedBlob_data() {
        QTest::addColumn<bool>("truncate");
        QTest::newRow("bit flip") << false;
        QTest::newRow("truncated") << true;
    }
    void tamperedBlob() {
        QFETCH(bool, truncate);
        const QString path = m_work.filePath(QStringLiteral("tamper.bin"));
        QVERIFY(writeRandomFile(path, 2 * kMiB + 777, 7));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        const QString id = sent.value(QStringLiteral("id")).toString();
        QFile blob(blobPath(id));
        QVERIFY2(blob.open(QIODevice::ReadWrite), qPrintable(blob.fileName()));
        const qint64 size = blob.size();
        if (truncate) {
            // A relay that serves a shortened blob consistently: the file and its recorded size.
            const qint64 shorter = size - 5000;
            QVERIFY(blob.resize(shorter));
            blob.close();
            ots::relaytest::redisCli(m_fixture.redis.port(),
                                     {QStringLiteral("HSET"), QStringLiteral("ots:{%1}:share").arg(id),
                                      QStringLiteral("size"), QString::number(shorter)});
        } else {
            QVERIFY(blob.seek(size / 2));
            char byte = 0;
            QVERIFY(blob.getChar(&byte));
            QVERIFY(blob.seek(size / 2));
            QVERIFY(blob.putChar(static_cast<char>(byte ^ 0x10)));
            blob.close();
        }
        const QString out = freshFolder(QStringLiteral("tampered"));
        const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QVERIFY2(got.exitCode == 6, got.describe().constData());
        QVERIFY2(got.err.startsWith("ots: ") || got.err.contains("\nots: "), got.describe().constData());
        QVERIFY2(got.err.size() > 20, got.describe().constData());
        QVERIFY2(isEmptyFolder(out), qPrintable(ots::test::listTree(out).join(QLatin1Char(' '))));
    }

    // Must show 7: history, status and revoke against the real relay.
    void historyAndRevoke() {
        const QString path = m_work.filePath(QStringLiteral("revoke me.txt"));
        QVERIFY(writeFile(path, "soon gone\n"));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        const QString id = sent.value(QStringLiteral("id")).toString();
        const QString link = sent.value(QStringLiteral("link")).toString();

        const auto historyState = [&]() -> QString {
            const Run history = ots({QStringLiteral("history"), QStringLiteral("--json")});
            if (history.exitCode != 0)
                return QStringLiteral("exit %1").arg(history.exitCode);
            for (const QJsonValue& share : history.json().value(QStringLiteral("shares")).toArray())
                if (share.toObject().value(QStringLiteral("id")).toString() == id)
                    return share.toObject().value(QStringLiteral("state")).toString();
            return QStringLiteral("missing");
        };
        QCOMPARE(historyState(), QStringLiteral("waiting"));
        const Run table = ots({QStringLiteral("history")});
        QVERIFY2(table.exitCode == 0 && table.out.contains(id.toLatin1()) &&
                     table.out.contains("revoke me.txt"),
                 table.describe().constData());
        QVERIFY2(!table.out.contains(link.mid(link.indexOf(QLatin1Char('#')) + 1).toLatin1()),
                 "history shows the secret");

        const Run status = ots({QStringLiteral("status"), QStringLiteral("--json"), id});
        QVERIFY2(status.exitCode == 0, status.describe().constData());
        QCOMPARE(status.json().value(QStringLiteral("state")).toString(), QStringLiteral("waiting"));
        QCOMPARE(status.json().value(QStringLiteral("downloadsLeft")).toInt(), 1);

        const Run revoked = ots({QStringLiteral("delete"), id});
        QVERIFY2(revoked.exitCode == 0, revoked.describe().constData());

        const QString out = freshFolder(QStringLiteral("revoked"));
        const Run got = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out});
        QCOMPARE(got.exitCode, 4);
        QVERIFY2(QString::fromUtf8(got.err).contains(
                     QRegularExpression(QStringLiteral("sender deleted|deleted by (the )?sender"),
                                        QRegularExpression::CaseInsensitiveOption)),
                 got.describe().constData());
        QVERIFY(isEmptyFolder(out));
        const Run info = ots({QStringLiteral("info"), QStringLiteral("--json"), link});
        QCOMPARE(info.exitCode, 4);
        QCOMPARE(
            info.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("kind")).toString(),
            QStringLiteral("deleted"));
        QCOMPARE(historyState(), QStringLiteral("deleted"));

        const Run unknown = ots({QStringLiteral("status"), QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA")});
        QCOMPARE(unknown.exitCode, 2);
    }

    // --app-link prints the app form of the link (onetimeshare://; for a loopback relay it means http,
    // SPEC.md §2.1): one line, the same share id and secret as the web link, and `ots get` opens it.
    // The history keeps the share as usual; --json carries both forms whatever the option says.
    void appLinkPrintsTheAppForm() {
        const QByteArray text = "opened in the app, never in a browser";
        const Run sent = ots({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(),
                              QStringLiteral("--app-link"), QStringLiteral("--text"), QStringLiteral("-")},
                             text);
        QVERIFY2(sent.exitCode == 0, sent.describe().constData());
        QCOMPARE(sent.out.count('\n'), 1);
        const QString printed = QString::fromUtf8(sent.out).trimmed();
        const QString appPrefix =
            QStringLiteral("onetimeshare://127.0.0.1:%1/s/").arg(m_fixture.relay.port());
        QVERIFY2(printed.startsWith(appPrefix), sent.describe().constData());
        QVERIFY2(!sent.err.contains("web link"), sent.describe().constData());
        const auto app = ots::ShareLink::parse(printed.toStdString());
        QVERIFY(app.ok());
        QCOMPARE(app->transport(), ots::ShareLink::Transport::Http);
        QCOMPARE(QString::fromStdString(app->relayBaseUrl()), relayUrl());

        const Run got = ots({QStringLiteral("get"), QStringLiteral("-")}, printed.toUtf8() + '\n');
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QCOMPARE(got.out, text);

        const Run history = ots({QStringLiteral("history"), QStringLiteral("--json")});
        QVERIFY2(history.exitCode == 0, history.describe().constData());
        bool listed = false;
        for (const auto& share : history.json().value(QStringLiteral("shares")).toArray())
            listed = listed || share.toObject().value(QStringLiteral("id")).toString() ==
                                   QString::fromStdString(app->shareIdText());
        QVERIFY(listed);

        const QJsonObject json =
            send({QStringLiteral("--app-link"), QStringLiteral("--text"), QStringLiteral("both forms")});
        QVERIFY(!QTest::currentTestFailed());
        const auto web = ots::ShareLink::parse(json.value(QStringLiteral("link")).toString().toStdString());
        const auto appForm =
            ots::ShareLink::parse(json.value(QStringLiteral("appLink")).toString().toStdString());
        QVERIFY(web.ok() && appForm.ok());
        QVERIFY(json.value(QStringLiteral("appLink")).toString().startsWith(appPrefix));
        QCOMPARE(appForm->shareIdText(), web->shareIdText());
        QCOMPARE(appForm->shareIdText(), json.value(QStringLiteral("id")).toString().toStdString());
        QVERIFY(appForm->secret().equals(web->secret().span()));
    }

    // A share the relay's operator took down (ots-relay admin takedown): `ots get` says who removed it.
    void operatorTakedown() {
        const QString path = m_work.filePath(QStringLiteral("reported.txt"));
        QVERIFY(writeFile(path, "reported\n"));
        const QJsonObject sent = send({path});
        QVERIFY(!QTest::currentTestFailed());
        QProcess admin;
        admin.start(QStringLiteral(OTS_RELAY_BINARY),
                    {QStringLiteral("admin"), QStringLiteral("takedown"),
                     sent.value(QStringLiteral("id")).toString(), QStringLiteral("--reason"),
                     QStringLiteral("abuse report"), QStringLiteral("--redis-port"),
                     QString::number(m_fixture.redis.port()), QStringLiteral("--data-dir"),
                     m_fixture.dataDir.path()});
        QVERIFY(admin.waitForFinished(30'000));
        QVERIFY2(admin.exitCode() == 0, admin.readAllStandardError().constData());

        const QString out = freshFolder(QStringLiteral("removed"));
        const Run got = ots({QStringLiteral("get"), sent.value(QStringLiteral("link")).toString(),
                             QStringLiteral("-o"), out});
        QCOMPARE(got.exitCode, 4);
        QVERIFY2(got.err.contains("The relay's operator removed this share."), got.describe().constData());
        QVERIFY(isEmptyFolder(out));
    }

    // info never consumes a download or an attempt; a finished share is gone (exit 4).
    void infoDoesNotConsume() {
        const QString path = m_work.filePath(QStringLiteral("twice.txt"));
        QVERIFY(writeFile(path, "two downloads\n"));
        const QJsonObject sent = send({QStringLiteral("--downloads"), QStringLiteral("2"),
                                       QStringLiteral("--expires"), QStringLiteral("1h"), path});
        QVERIFY(!QTest::currentTestFailed());
        const QString link = sent.value(QStringLiteral("link")).toString();
        const qint64 expiresAt = sent.value(QStringLiteral("expiresAt")).toInteger();
        QVERIFY(qAbs(expiresAt - QDateTime::currentSecsSinceEpoch() - 3600) < 120);
        const auto downloadsLeft = [&] {
            const Run info = ots({QStringLiteral("info"), QStringLiteral("--json"), link});
            return info.exitCode == 0 ? info.json().value(QStringLiteral("downloadsLeft")).toInt()
                                      : -info.exitCode;
        };
        QCOMPARE(downloadsLeft(), 2);
        QCOMPARE(downloadsLeft(), 2);
        const Run human = ots({QStringLiteral("info"), link});
        QVERIFY2(human.exitCode == 0 && human.out.contains("Downloads left: 2"),
                 human.describe().constData());
        for (int i = 0; i < 2; ++i) {
            const QString out = freshFolder(QStringLiteral("twice"));
            const Run got = ots({QStringLiteral("get"), link, QStringLiteral("-o"), out});
            QVERIFY2(got.exitCode == 0, got.describe().constData());
            QCOMPARE(readFile(QDir(out).filePath(QStringLiteral("twice.txt"))), readFile(path));
            if (i == 0)
                QCOMPARE(downloadsLeft(), 1);
        }
        const Run again =
            ots({QStringLiteral("get"), link, QStringLiteral("-o"), freshFolder(QStringLiteral("thrice"))});
        QCOMPARE(again.exitCode, 4);
    }

    // Ctrl-C during an upload cancels it and deletes the half-made share on the relay: exit 130.
    void interruptDeletesHalfMadeShare() {
        TcpProxy proxy;
        QVERIFY(proxy.start(m_fixture.relay.port()));
        const QString path = m_work.filePath(QStringLiteral("interrupted.bin"));
        QVERIFY(writeRandomFile(path, 16 * kMiB, 8));
        const auto shareIds = [&] {
            QList<QByteArray> ids;
            for (const QByteArray& key :
                 ots::relaytest::redisKeys(m_fixture.redis.port(), QStringLiteral("ots:{*}:share")))
                ids.append(key.mid(5, 22));
            return ids;
        };
        const QList<QByteArray> before = shareIds();
        proxy.breakOnce(TcpProxy::Direction::ToRelay, 4 * kMiB, TcpProxy::Break::Stall);
        QProcess process;
        QByteArray fd3Path;
        prepare(process, {QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(proxy.port()), path},
                {}, fd3Path);
        process.start();
        QVERIFY(process.waitForStarted(10'000));
        process.closeWriteChannel();
        QVERIFY(ots::relaytest::waitUntil([&] { return proxy.breaks() == 1; }, 60'000));
        QList<QByteArray> created = shareIds();
        created.removeIf([&](const QByteArray& id) { return before.contains(id); });
        QCOMPARE(created.size(), 1);
        const QByteArray id = created.first();
        QVERIFY(::kill(static_cast<pid_t>(process.processId()), SIGINT) == 0);
        QVERIFY(process.waitForFinished(60'000));
        const QByteArray err = process.readAllStandardError();
        QVERIFY2(
            process.exitStatus() == QProcess::NormalExit && process.exitCode() == 130,
            qPrintable(QStringLiteral("exit %1: %2").arg(process.exitCode()).arg(QString::fromUtf8(err))));
        QVERIFY(process.readAllStandardOutput().isEmpty());
        const QString key = QStringLiteral("ots:{%1}:").arg(QString::fromLatin1(id));
        QVERIFY(ots::relaytest::waitUntil(
            [&] {
                return ots::relaytest::redisCli(m_fixture.redis.port(),
                                                {QStringLiteral("EXISTS"), key + QStringLiteral("share")})
                           .trimmed() == "0";
            },
            10'000));
        QCOMPARE(ots::relaytest::redisCli(m_fixture.redis.port(),
                                          {QStringLiteral("GET"), key + QStringLiteral("gone")})
                     .trimmed(),
                 QByteArray("deleted"));
    }

    // Links stay out of the process list: `ots get -` reads the link from standard input and
    // `--link-fd N` from a descriptor; a LINK argument is wiped from /proc/<pid>/cmdline while the
    // download runs; `ots get --help` says so.
    void linkKeptOutOfTheProcessList() {
        const QString path = m_work.filePath(QStringLiteral("stdin-link.bin"));
        QVERIFY(writeRandomFile(path, 3 * kMiB, 11));
        const QString link = send({path}).value(QStringLiteral("link")).toString();
        QVERIFY(!QTest::currentTestFailed());
        const QString out = freshFolder(QStringLiteral("stdin-link"));
        const Run got = ots({QStringLiteral("get"), QStringLiteral("-"), QStringLiteral("-o"), out},
                            link.toUtf8() + '\n');
        QVERIFY2(got.exitCode == 0, got.describe().constData());
        QVERIFY2(compareFiles(path, QDir(out).filePath(QStringLiteral("stdin-link.bin"))).isEmpty(),
                 got.describe().constData());

        const QString fdLinkFile = m_work.filePath(QStringLiteral("link-for-fd3.txt"));
        const QString fdPath = m_work.filePath(QStringLiteral("fd-link.bin"));
        QVERIFY(writeRandomFile(fdPath, kMiB, 12));
        QVERIFY(writeFile(fdLinkFile, send({fdPath}).value(QStringLiteral("link")).toString().toUtf8()));
        const QString fdOut = freshFolder(QStringLiteral("fd-link"));
        const Run viaFd = ots({QStringLiteral("get"), QStringLiteral("--link-fd"), QStringLiteral("3"),
                               QStringLiteral("-o"), fdOut},
                              {}, fdLinkFile);
        QVERIFY2(viaFd.exitCode == 0, viaFd.describe().constData());
        QVERIFY(compareFiles(fdPath, QDir(fdOut).filePath(QStringLiteral("fd-link.bin"))).isEmpty());
        QFile::remove(fdLinkFile);

        const Run help = ots({QStringLiteral("get"), QStringLiteral("--help")});
        QVERIFY2(help.out.contains("--link-fd") && help.out.contains("'-'") &&
                     help.out.contains("shell history and the process list"),
                 help.describe().constData());

        // A LINK argument, with the download held still by a proxy after 1 MiB: the secret and the id
        // are gone from the command line while ots downloads.
        const QString bigPath = m_work.filePath(QStringLiteral("argv-link.bin"));
        QVERIFY(writeRandomFile(bigPath, 6 * kMiB, 13));
        QString argvLink = send({bigPath}).value(QStringLiteral("link")).toString();
        QVERIFY(!QTest::currentTestFailed());
        TcpProxy proxy;
        QVERIFY(proxy.start(m_fixture.relay.port()));
        argvLink.replace(QStringLiteral(":%1/").arg(m_fixture.relay.port()),
                         QStringLiteral(":%1/").arg(proxy.port()));
        proxy.breakOnce(TcpProxy::Direction::ToClient, kMiB, TcpProxy::Break::Stall);
        QProcess process;
        QByteArray unused;
        prepare(process,
                {QStringLiteral("get"), argvLink, QStringLiteral("-o"), freshFolder(QStringLiteral("argv"))},
                {}, unused);
        process.start();
        QVERIFY(process.waitForStarted(10'000));
        QVERIFY(QTest::qWaitFor([&proxy] { return proxy.breaks() == 1; }, 60'000));
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(process.processId()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray seen = cmdline.readAll();
        QCOMPARE(process.state(), QProcess::Running);
        const QByteArray secret = argvLink.mid(argvLink.indexOf(QLatin1Char('#')) + 1).toUtf8();
        const QByteArray id = argvLink.section(QLatin1Char('/'), -1).section(QLatin1Char('#'), 0, 0).toUtf8();
        QVERIFY2(secret.size() > 10 && id.size() > 10, argvLink.toUtf8().constData());
        const QByteArray shown = QByteArray(seen).replace('\0', ' ');
        QVERIFY2(seen.contains(QByteArray("get\0[link]", 10)), shown.constData());
        QVERIFY2(!seen.contains(secret) && !seen.contains(id), shown.constData());
        ots::relaytest::stopChild(process, false);
        proxy.stop();
    }

    // Usage errors: exit 2 and a pointer to --help.
    void usageErrors() {
        const Run badLink = ots({QStringLiteral("get"), QStringLiteral("https://example.com/s/nope#nope")});
        QCOMPARE(badLink.exitCode, 2);
        QVERIFY2(badLink.err.startsWith("ots: "), badLink.describe().constData());
        const Run badInfo =
            ots({QStringLiteral("info"), QStringLiteral("--json"), QStringLiteral("not a link")});
        QCOMPARE(badInfo.exitCode, 2);
        QCOMPARE(
            badInfo.json().value(QStringLiteral("error")).toObject().value(QStringLiteral("kind")).toString(),
            QStringLiteral("bad_link"));
        const Run unknownOption =
            ots({QStringLiteral("get"), QStringLiteral("--frobnicate"), QStringLiteral("x")});
        QCOMPARE(unknownOption.exitCode, 2);
        QVERIFY2(unknownOption.err.contains("ots get --help"), unknownOption.describe().constData());
        const Run unknownCommand = ots({QStringLiteral("frobnicate")});
        QCOMPARE(unknownCommand.exitCode, 2);
        const Run noInput = ots({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl()});
        QCOMPARE(noInput.exitCode, 2);
        const Run textAndPath =
            ots({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(), QStringLiteral("--text"),
                 QStringLiteral("-"), m_work.filePath(QStringLiteral("password.txt"))});
        QCOMPARE(textAndPath.exitCode, 2);
        const Run badExpiry = ots({QStringLiteral("send"), QStringLiteral("--expires"),
                                   QStringLiteral("soon"), QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(badExpiry.exitCode, 2);
        const Run noTerminal =
            ots({QStringLiteral("send"), QStringLiteral("--password"), QStringLiteral("--relay"), relayUrl(),
                 QStringLiteral("--text"), QStringLiteral("x")});
        QCOMPARE(noTerminal.exitCode, 2);
        QVERIFY2(noTerminal.err.contains("--password-fd"), noTerminal.describe().constData());
        const Run missing = ots({QStringLiteral("send"), QStringLiteral("--relay"), relayUrl(),
                                 m_work.filePath(QStringLiteral("does-not-exist"))});
        QCOMPARE(missing.exitCode, 7);

        for (const QString& command :
             {QStringLiteral("send"), QStringLiteral("get"), QStringLiteral("info"), QStringLiteral("status"),
              QStringLiteral("delete"), QStringLiteral("unlock"), QStringLiteral("history")}) {
            const Run help = ots({command, QStringLiteral("--help")});
            QVERIFY2(help.exitCode == 0 && help.out.startsWith("Usage: ots " + command.toLatin1()),
                     help.describe().constData());
        }
        const Run help = ots({QStringLiteral("--help")});
        QVERIFY2(help.exitCode == 0 && help.out.contains("Exit codes") && help.out.contains("history"),
                 help.describe().constData());
        const Run version = ots({QStringLiteral("--version")});
        QVERIFY2(version.exitCode == 0 && version.out.startsWith("ots "), version.describe().constData());
    }
};

QTEST_GUILESS_MAIN(CliEndToEnd)
#include "tst_cli_e2e.moc"
