// Settings: the duration and size texts people read and type, the defaults, persistence, values that
// read as their defaults when they are invalid, the private configuration folder, and the link form
// the app-only setting hands out (GivenLink).

#include "ots/client/GivenLink.h"
#include "ots/client/Settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <limits>

using ots::client::GivenLink;
using ots::client::Settings;

namespace {

constexpr QFile::Permissions kOwnerOnlyFolder = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr QFile::Permissions kAllUserBits = QFile::ReadUser | QFile::WriteUser | QFile::ExeUser;

QFile::Permissions modeBits(const QString& path) {
    return QFileInfo(path).permissions() & ~kAllUserBits; // ReadUser … describe the caller, not the mode
}

void writeIni(const QString& path, const QByteArray& text) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(text), text.size());
}

// Sets an environment variable for one test and puts the old value back afterwards.
class ScopedEnv {
public:
    ScopedEnv(const char* name, const QByteArray& value)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name)) {
        qputenv(name, value);
    }
    ~ScopedEnv() {
        if (m_had)
            qputenv(m_name, m_old);
        else
            qunsetenv(m_name);
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

private:
    const char* m_name;
    bool m_had;
    QByteArray m_old;
};

} // namespace

class TestSettings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void parseDuration_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<qint64>("seconds");
        QTest::newRow("seconds suffix") << "90s" << qint64(90);
        QTest::newRow("minutes") << "15m" << qint64(900);
        QTest::newRow("hour") << "1h" << qint64(3600);
        QTest::newRow("days") << "7d" << qint64(604800);
        QTest::newRow("weeks") << "2w" << qint64(1209600);
        QTest::newRow("plain seconds") << "3600" << qint64(3600);
        QTest::newRow("upper-case unit") << "2H" << qint64(7200);
        QTest::newRow("surrounding space") << "  30m\n" << qint64(1800);
        QTest::newRow("leading zeros") << "007m" << qint64(420);
        QTest::newRow("largest plain") << "9223372036854775807" << std::numeric_limits<qint64>::max();
        QTest::newRow("largest weeks") << "15250284452471w" << qint64(15250284452471) * 604800;
        QTest::newRow("zero") << "0" << qint64(-1);
        QTest::newRow("zero with unit") << "0h" << qint64(-1);
        QTest::newRow("negative") << "-5" << qint64(-1);
        QTest::newRow("negative with unit") << "-1h" << qint64(-1);
        QTest::newRow("plus sign") << "+5m" << qint64(-1);
        QTest::newRow("empty") << "" << qint64(-1);
        QTest::newRow("blank") << "   " << qint64(-1);
        QTest::newRow("unit alone") << "h" << qint64(-1);
        QTest::newRow("fraction") << "1.5h" << qint64(-1);
        QTest::newRow("unknown unit") << "3y" << qint64(-1);
        QTest::newRow("space inside") << "1 h" << qint64(-1);
        QTest::newRow("two units") << "1h30m" << qint64(-1);
        QTest::newRow("words") << "soon" << qint64(-1);
        QTest::newRow("hex") << "0x10" << qint64(-1);
        QTest::newRow("non-ASCII digits") << QString::fromUtf8("\xd9\xa3h") << qint64(-1);
        QTest::newRow("overflow plain") << "9223372036854775808" << qint64(-1);
        QTest::newRow("overflow by unit") << "15250284452472w" << qint64(-1);
        QTest::newRow("very long") << QString(40, QLatin1Char('9')) << qint64(-1);
    }
    void parseDuration() {
        QFETCH(QString, text);
        QFETCH(qint64, seconds);
        QCOMPARE(static_cast<qint64>(ots::client::parseDuration(text)), seconds);
    }

    void formatDuration_data() {
        QTest::addColumn<qint64>("seconds");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << qint64(0) << "0 s";
        QTest::newRow("negative") << qint64(-30) << "0 s";
        QTest::newRow("seconds") << qint64(45) << "45 s";
        QTest::newRow("minute") << qint64(60) << "1 min";
        QTest::newRow("minute and seconds") << qint64(90) << "1 min 30 s";
        QTest::newRow("hour") << qint64(3600) << "1 h";
        QTest::newRow("hour and a half") << qint64(5400) << "1 h 30 min";
        QTest::newRow("seconds dropped below hours") << qint64(3659) << "1 h";
        QTest::newRow("day") << qint64(86400) << "1 day";
        QTest::newRow("week in days") << qint64(604800) << "7 days";
        QTest::newRow("day and hours") << qint64(86400 + 3 * 3600) << "1 day 3 h";
        QTest::newRow("minutes dropped below days") << qint64(2 * 86400 + 59 * 60) << "2 days";
    }
    void formatDuration() {
        QFETCH(qint64, seconds);
        QFETCH(QString, text);
        QCOMPARE(ots::client::formatDuration(seconds), text);
    }

    void formatBytes_data() {
        QTest::addColumn<quint64>("bytes");
        QTest::addColumn<QString>("text");
        QTest::newRow("zero") << quint64(0) << "0 B";
        QTest::newRow("bytes") << quint64(1023) << "1023 B";
        QTest::newRow("one KiB") << quint64(1024) << "1.0 KiB";
        QTest::newRow("one and a half KiB") << quint64(1536) << "1.5 KiB";
        QTest::newRow("rounds up into MiB") << quint64(1048575) << "1.0 MiB";
        QTest::newRow("one and a half MiB") << quint64(1572864) << "1.5 MiB";
        QTest::newRow("GiB") << quint64(1) * 1024 * 1024 * 1024 << "1.0 GiB";
        QTest::newRow("300 MiB") << quint64(300) * 1024 * 1024 << "300.0 MiB";
        QTest::newRow("TiB") << quint64(5) * 1024 * 1024 * 1024 * 1024 / 2 << "2.5 TiB";
        QTest::newRow("largest") << std::numeric_limits<quint64>::max() << "16.0 EiB";
    }
    void formatBytes() {
        QFETCH(quint64, bytes);
        QFETCH(QString, text);
        QCOMPARE(ots::client::formatBytes(bytes), text);
    }

    void defaults() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const Settings settings(dir.filePath(QStringLiteral("settings.ini")));
        QVERIFY(settings.error().ok());
        QCOMPARE(settings.relayUrl(), QUrl(QStringLiteral("http://127.0.0.1:8080")));
        QCOMPARE(settings.defaultExpiresIn(), std::int64_t{86400});
        QCOMPARE(settings.defaultMaxDownloads(), 1);
        QCOMPARE(settings.argonIterations(), 3u);
        QCOMPARE(settings.argonMemoryKiB(), 65536u);
        QCOMPARE(settings.argonParallelism(), 4u);
        QVERIFY(settings.copyLinkOnFinish());
        QVERIFY(!settings.appOnlyLinks());
        QCOMPARE(settings.theme(), Settings::Theme::System);
    }

    void persistence() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("settings.ini"));
        {
            Settings settings(file);
            settings.setRelayUrl(QUrl(QStringLiteral("https://relay.example:8443/")));
            settings.setDefaultExpiresIn(3600);
            settings.setDefaultMaxDownloads(5);
            settings.setArgon(4, 131072, 2);
            settings.setCopyLinkOnFinish(false);
            settings.setAppOnlyLinks(true);
            settings.setTheme(Settings::Theme::Dark);
            settings.sync();
        }
        QVERIFY(QFileInfo::exists(file));
        const Settings again(file);
        QCOMPARE(again.relayUrl(), QUrl(QStringLiteral("https://relay.example:8443")));
        QCOMPARE(again.defaultExpiresIn(), std::int64_t{3600});
        QCOMPARE(again.defaultMaxDownloads(), 5);
        QCOMPARE(again.argonIterations(), 4u);
        QCOMPARE(again.argonMemoryKiB(), 131072u);
        QCOMPARE(again.argonParallelism(), 2u);
        QVERIFY(!again.copyLinkOnFinish());
        QVERIFY(again.appOnlyLinks());
        QCOMPARE(again.theme(), Settings::Theme::Dark);

        Settings light(file);
        light.setTheme(Settings::Theme::Light);
        light.setCopyLinkOnFinish(true);
        light.setAppOnlyLinks(false);
        light.sync();
        QCOMPARE(Settings(file).theme(), Settings::Theme::Light);
        QVERIFY(Settings(file).copyLinkOnFinish());
        QVERIFY(!Settings(file).appOnlyLinks());
    }

    // Hand-edited or foreign values: each reads as its default, the others are unaffected.
    void badValuesReadAsDefaults_data() {
        QTest::addColumn<QByteArray>("ini");
        QTest::newRow("relay: other scheme") << QByteArray("[relay]\nurl=ftp://relay.example\n");
        QTest::newRow("relay: http to a remote host") << QByteArray("[relay]\nurl=http://relay.example\n");
        QTest::newRow("relay: with a path") << QByteArray("[relay]\nurl=https://relay.example/api\n");
        QTest::newRow("relay: with user info") << QByteArray("[relay]\nurl=https://me@relay.example\n");
        QTest::newRow("relay: with a query") << QByteArray("[relay]\nurl=https://relay.example?x=1\n");
        QTest::newRow("relay: words") << QByteArray("[relay]\nurl=not a url\n");
        QTest::newRow("expiry: words") << QByteArray("[send]\nexpiresIn=tomorrow\n");
        QTest::newRow("expiry: zero") << QByteArray("[send]\nexpiresIn=0\n");
        QTest::newRow("expiry: negative") << QByteArray("[send]\nexpiresIn=-60\n");
        QTest::newRow("expiry: fraction") << QByteArray("[send]\nexpiresIn=1.5\n");
        QTest::newRow("expiry: absurd") << QByteArray("[send]\nexpiresIn=9223372036854775807\n");
        QTest::newRow("downloads: zero") << QByteArray("[send]\nmaxDownloads=0\n");
        QTest::newRow("downloads: too many") << QByteArray("[send]\nmaxDownloads=99999999999\n");
        QTest::newRow("downloads: words") << QByteArray("[send]\nmaxDownloads=many\n");
        QTest::newRow("argon: iterations below the floor")
            << QByteArray("[argon2]\niterations=1\nmemoryKiB=65536\nparallelism=4\n");
        QTest::newRow("argon: memory below the floor")
            << QByteArray("[argon2]\niterations=3\nmemoryKiB=1024\nparallelism=4\n");
        QTest::newRow("argon: memory above the ceiling")
            << QByteArray("[argon2]\niterations=3\nmemoryKiB=99999999\nparallelism=4\n");
        QTest::newRow("argon: no parallelism")
            << QByteArray("[argon2]\niterations=3\nmemoryKiB=65536\nparallelism=0\n");
        QTest::newRow("argon: one missing") << QByteArray("[argon2]\niterations=4\nmemoryKiB=65536\n");
        QTest::newRow("argon: negative")
            << QByteArray("[argon2]\niterations=-3\nmemoryKiB=65536\nparallelism=4\n");
        QTest::newRow("copy link: words") << QByteArray("[ui]\ncopyLinkOnFinish=maybe\n");
        QTest::newRow("app-only links: words") << QByteArray("[ui]\nappOnlyLinks=yes please\n");
        QTest::newRow("theme: unknown") << QByteArray("[ui]\ntheme=purple\n");
        QTest::newRow("not INI at all") << QByteArray("\x00\x01\x02garbage\xff\xfe", 12);
    }
    void badValuesReadAsDefaults() {
        QFETCH(QByteArray, ini);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("settings.ini"));
        writeIni(file, ini);
        const Settings settings(file);
        QCOMPARE(settings.relayUrl(), QUrl(QStringLiteral("http://127.0.0.1:8080")));
        QCOMPARE(settings.defaultExpiresIn(), std::int64_t{86400});
        QCOMPARE(settings.defaultMaxDownloads(), 1);
        QCOMPARE(settings.argonIterations(), 3u);
        QCOMPARE(settings.argonMemoryKiB(), 65536u);
        QCOMPARE(settings.argonParallelism(), 4u);
        QVERIFY(settings.copyLinkOnFinish());
        QVERIFY(!settings.appOnlyLinks());
        QCOMPARE(settings.theme(), Settings::Theme::System);
    }

    void goodHandEditedValues() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("settings.ini"));
        writeIni(file, "[relay]\nurl=http://[::1]:9000/\n[send]\nexpiresIn= 600 \nmaxDownloads=3\n"
                       "[ui]\ncopyLinkOnFinish=0\nappOnlyLinks= TRUE \ntheme=DARK\n");
        const Settings settings(file);
        QCOMPARE(settings.relayUrl(), QUrl(QStringLiteral("http://[::1]:9000")));
        QCOMPARE(settings.defaultExpiresIn(), std::int64_t{600});
        QCOMPARE(settings.defaultMaxDownloads(), 3);
        QVERIFY(!settings.copyLinkOnFinish());
        QVERIFY(settings.appOnlyLinks());
        QCOMPARE(settings.theme(), Settings::Theme::Dark);
    }

    // The link handed out with the app-only setting off and on (SPEC.md §2.1: the app form means http
    // for a loopback host and https for any other, so an https relay on a loopback host has none).
    void givenLinkForms_data() {
        QTest::addColumn<QString>("web");
        QTest::addColumn<QString>("app");
        QTest::addColumn<bool>("hasAppForm");
        const QString tail = QStringLiteral("/s/AAECAwQFBgcICQoLDA0ODw#"
                                            "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8");
        QTest::newRow("https relay") << QStringLiteral("https://relay.example") + tail
                                     << QStringLiteral("onetimeshare://relay.example") + tail << true;
        QTest::newRow("https relay with a port")
            << QStringLiteral("https://relay.example:8443") + tail
            << QStringLiteral("onetimeshare://relay.example:8443") + tail << true;
        QTest::newRow("http loopback relay")
            << QStringLiteral("http://127.0.0.1:8080") + tail
            << QStringLiteral("onetimeshare://127.0.0.1:8080") + tail << true;
        QTest::newRow("https loopback relay") << QStringLiteral("https://localhost:8443") + tail
                                              << QStringLiteral("https://localhost:8443") + tail << false;
        QTest::newRow("not a link") << QStringLiteral("not a link") << QStringLiteral("not a link") << false;
    }
    void givenLinkForms() {
        QFETCH(QString, web);
        QFETCH(QString, app);
        QFETCH(bool, hasAppForm);
        const GivenLink off = GivenLink::forLink(web, false);
        QCOMPARE(off.text, web);
        QVERIFY(!off.appForm);
        QVERIFY(!off.appFormUnavailable);
        const GivenLink on = GivenLink::forLink(web, true);
        QCOMPARE(on.text, app);
        QCOMPARE(on.appForm, hasAppForm);
        QCOMPARE(on.appFormUnavailable, !hasAppForm);
    }

    void configDirectoryFromEnvironment() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString folder = dir.filePath(QStringLiteral("nested/OneTimeShare"));
        const ScopedEnv env("OTS_CONFIG_DIR", folder.toUtf8());
        QCOMPARE(ots::client::configDirectory(), folder);
        QVERIFY(QFileInfo(folder).isDir());
        QCOMPARE(modeBits(folder), kOwnerOnlyFolder);
        QVERIFY(ots::client::checkPrivateFolder(folder).ok());

        Settings settings;
        QVERIFY2(settings.error().ok(), qPrintable(settings.error().message));
        QCOMPARE(settings.fileName(), folder + QStringLiteral("/settings.ini"));
        settings.setDefaultMaxDownloads(7);
        settings.sync();
        QCOMPARE(Settings().defaultMaxDownloads(), 7);
    }

    void configDirectoryPerUser() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ScopedEnv xdg("XDG_CONFIG_HOME", dir.path().toUtf8());
        qunsetenv("OTS_CONFIG_DIR");
        const QString expected = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
                                 QStringLiteral("/OneTimeShare");
        QVERIFY(expected.startsWith(dir.path()));
        QCOMPARE(ots::client::configDirectory(), expected);
        QCOMPARE(modeBits(expected), kOwnerOnlyFolder);
    }

    // A folder that others can write to is refused: they could swap the settings or the secrets.
    void refusesFolderOthersCanWrite() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString folder = dir.filePath(QStringLiteral("shared"));
        QVERIFY(QDir().mkdir(folder));
        QVERIFY(QFile::setPermissions(folder, kOwnerOnlyFolder | QFile::ReadOther | QFile::WriteOther |
                                                  QFile::ExeOther));
        const auto refused = ots::client::checkPrivateFolder(folder);
        QCOMPARE(refused.kind, ots::client::ErrorKind::LocalIo);
        QCOMPARE(refused.code, QStringLiteral("config.insecure_folder"));
        QVERIFY(refused.message.contains(folder));

        const ScopedEnv env("OTS_CONFIG_DIR", folder.toUtf8());
        Settings settings;
        QVERIFY(!settings.error().ok());
        QVERIFY(settings.fileName().isEmpty());
        settings.setDefaultMaxDownloads(9);
        settings.sync();
        QCOMPARE(settings.defaultMaxDownloads(), 1);
        QVERIFY(!QFileInfo::exists(folder + QStringLiteral("/settings.ini")));

        // Group-writable is refused too; a private folder is accepted again.
        QVERIFY(QFile::setPermissions(folder, kOwnerOnlyFolder | QFile::ReadGroup | QFile::WriteGroup |
                                                  QFile::ExeGroup));
        QVERIFY(!ots::client::checkPrivateFolder(folder).ok());
        QVERIFY(QFile::setPermissions(folder, kOwnerOnlyFolder | QFile::ReadGroup | QFile::ExeGroup));
        QVERIFY(ots::client::checkPrivateFolder(folder).ok());
    }

    void refusesAFileInsteadOfAFolder() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("plain"));
        writeIni(file, "x");
        QCOMPARE(ots::client::checkPrivateFolder(file).code, QStringLiteral("config.not_a_folder"));
    }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
