// ConfigLoader (layers, value syntax, validation, help and the secret-free description) and
// ClientAddress (the trusted-proxy rule for X-Forwarded-For). No sockets, no Redis.

#include "ClientAddress.h"
#include "ConfigLoader.h"
#include "ConnectionTracker.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <boost/asio/ip/address.hpp>

#include <map>
#include <string>
#include <vector>

using namespace ots::relay;
using Environment = std::map<std::string, std::string>;
using Args = std::vector<std::string>;

Q_DECLARE_METATYPE(std::string)

namespace {

void writeFile(const QString& path, const QByteArray& content) {
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(content), content.size());
}

std::string str(const QString& text) {
    return text.toStdString();
}

/// A Config that validate() accepts, with its data folder in dir.
Config validConfig(const QTemporaryDir& dir) {
    Config config;
    config.dataDirectory = str(dir.filePath(QStringLiteral("data")));
    return config;
}

} // namespace

class TestConfig : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // Value syntax --------------------------------------------------------------------------
    void parseSize_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<quint64>("bytes");
        QTest::newRow("plain") << QStringLiteral("1200") << true << quint64{1200};
        QTest::newRow("zero") << QStringLiteral("0") << true << quint64{0};
        QTest::newRow("K") << QStringLiteral("8K") << true << quint64{8192};
        QTest::newRow("k lower") << QStringLiteral("8k") << true << quint64{8192};
        QTest::newRow("KiB") << QStringLiteral("64KiB") << true << quint64{65536};
        QTest::newRow("MB") << QStringLiteral("5MB") << true << (quint64{5} << 20);
        QTest::newRow("G") << QStringLiteral("10G") << true << (quint64{10} << 30);
        QTest::newRow("T") << QStringLiteral("1T") << true << (quint64{1} << 40);
        QTest::newRow("bytes B") << QStringLiteral("512B") << true << quint64{512};
        QTest::newRow("spaces") << QStringLiteral(" 2M ") << true << (quint64{2} << 20);
        QTest::newRow("fraction") << QStringLiteral("1.5G") << false << quint64{0};
        QTest::newRow("empty") << QString() << false << quint64{0};
        QTest::newRow("unit only") << QStringLiteral("G") << false << quint64{0};
        QTest::newRow("negative") << QStringLiteral("-1") << false << quint64{0};
        QTest::newRow("unknown unit") << QStringLiteral("3P") << false << quint64{0};
        QTest::newRow("iB without unit") << QStringLiteral("10iB") << false << quint64{0};
        QTest::newRow("overflow") << QStringLiteral("99999999999T") << false << quint64{0};
    }
    void parseSize() {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(quint64, bytes);
        const auto size = ConfigLoader::parseSize(str(text));
        QCOMPARE(size.ok(), ok);
        if (ok)
            QCOMPARE(quint64{*size}, bytes);
        else
            QVERIFY(!size.error().detail.empty());
    }

    void parseDuration_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<qint64>("ms");
        QTest::newRow("bare seconds") << QStringLiteral("90") << true << qint64{90'000};
        QTest::newRow("ms") << QStringLiteral("250ms") << true << qint64{250};
        QTest::newRow("s") << QStringLiteral("30s") << true << qint64{30'000};
        QTest::newRow("m") << QStringLiteral("15m") << true << qint64{900'000};
        QTest::newRow("h") << QStringLiteral("12h") << true << qint64{43'200'000};
        QTest::newRow("d") << QStringLiteral("7d") << true << qint64{604'800'000};
        QTest::newRow("week is not a unit") << QStringLiteral("1w") << false << qint64{0};
        QTest::newRow("empty") << QString() << false << qint64{0};
        QTest::newRow("unit only") << QStringLiteral("s") << false << qint64{0};
        QTest::newRow("negative") << QStringLiteral("-5s") << false << qint64{0};
        QTest::newRow("decimal") << QStringLiteral("1.5h") << false << qint64{0};
        QTest::newRow("beyond ten years") << QStringLiteral("4000d") << false << qint64{0};
    }
    void parseDuration() {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(qint64, ms);
        const auto duration = ConfigLoader::parseDuration(str(text));
        QCOMPARE(duration.ok(), ok);
        if (ok)
            QCOMPARE(qint64{duration->count()}, ms);
    }

    void formatRoundTrips() {
        QCOMPARE(ConfigLoader::formatSize(8192), std::string("8K"));
        QCOMPARE(ConfigLoader::formatSize(std::uint64_t{1200} << 10), std::string("1200K"));
        QCOMPARE(ConfigLoader::formatSize(std::uint64_t{10} << 30), std::string("10G"));
        QCOMPARE(ConfigLoader::formatSize(1000), std::string("1000"));
        QCOMPARE(ConfigLoader::formatDuration(std::chrono::hours(24 * 7)), std::string("7d"));
        QCOMPARE(ConfigLoader::formatDuration(std::chrono::milliseconds(2000)), std::string("2s"));
        QCOMPARE(ConfigLoader::formatDuration(std::chrono::milliseconds(1500)), std::string("1500ms"));
        for (const std::uint64_t bytes :
             {std::uint64_t{1}, std::uint64_t{4096}, std::uint64_t{3} << 40, std::uint64_t{123456789}})
            QCOMPARE(*ConfigLoader::parseSize(ConfigLoader::formatSize(bytes)), bytes);
        for (const std::int64_t ms : {1, 999, 60'000, 90'000, 86'400'000})
            QCOMPARE(ConfigLoader::parseDuration(ConfigLoader::formatDuration(std::chrono::milliseconds(ms)))
                         ->count(),
                     ms);
    }

    void parseListen_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<QString>("address");
        QTest::addColumn<int>("port");
        QTest::newRow("ipv4") << QStringLiteral("127.0.0.1:8080") << true << QStringLiteral("127.0.0.1")
                              << 8080;
        QTest::newRow("any ipv4") << QStringLiteral("0.0.0.0:443") << true << QStringLiteral("0.0.0.0")
                                  << 443;
        QTest::newRow("ipv6") << QStringLiteral("[::1]:8080") << true << QStringLiteral("::1") << 8080;
        QTest::newRow("ephemeral") << QStringLiteral("127.0.0.1:0") << true << QStringLiteral("127.0.0.1")
                                   << 0;
        QTest::newRow("host name") << QStringLiteral("localhost:80") << false << QString() << 0;
        QTest::newRow("ipv6 without brackets") << QStringLiteral("::1:80") << false << QString() << 0;
        QTest::newRow("no port") << QStringLiteral("1.2.3.4") << false << QString() << 0;
        QTest::newRow("port too big") << QStringLiteral("1.2.3.4:65536") << false << QString() << 0;
        QTest::newRow("ipv4 in brackets") << QStringLiteral("[1.2.3.4]:80") << false << QString() << 0;
        QTest::newRow("empty port") << QStringLiteral("1.2.3.4:") << false << QString() << 0;
    }
    void parseListen() {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(QString, address);
        QFETCH(int, port);
        std::string parsedAddress;
        std::uint16_t parsedPort = 1;
        QCOMPARE(ConfigLoader::parseListen(str(text), parsedAddress, parsedPort).ok(), ok);
        if (ok) {
            QCOMPARE(parsedAddress, str(address));
            QCOMPARE(int{parsedPort}, port);
        }
    }

    // Layers ------------------------------------------------------------------------------
    void defaultsWithoutInput() {
        const auto loaded = ConfigLoader::load({}, {{"PATH", "/usr/bin"}, {"HOME", "/root"}});
        QVERIFY(loaded.ok());
        const Config defaults;
        QCOMPARE(loaded->action, ConfigAction::Run);
        QCOMPARE(loaded->config.listenAddress, defaults.listenAddress);
        QCOMPARE(loaded->config.listenPort, defaults.listenPort);
        QCOMPARE(loaded->config.maxShareSize, defaults.maxShareSize);
        QCOMPARE(loaded->config.idleTimeout, defaults.idleTimeout);
        QVERIFY(loaded->config.uploadTokens.empty());
    }

    void precedenceFileEnvironmentFlags() {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("relay.conf"));
        writeFile(file, "# a comment\n"
                        "\n"
                        "max-size = 1G\n"
                        "max-downloads = 3\n"
                        "  idle-timeout=10s   \n"
                        "listen = [::1]:9000\n");
        const Environment environment{{"OTS_RELAY_MAX_SIZE", "2G"}, {"OTS_RELAY_MAX_DOWNLOADS", "4"}};
        const auto loaded = ConfigLoader::load({"--config", str(file), "--max-size", "3G"}, environment);
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        QCOMPARE(loaded->config.maxShareSize, std::uint64_t{3} << 30);  // flag beats environment and file
        QCOMPARE(loaded->config.maxDownloads, 4u);                      // environment beats file
        QCOMPARE(loaded->config.idleTimeout, std::chrono::seconds(10)); // file beats default
        QCOMPARE(loaded->config.listenAddress, std::string("::1"));
        QCOMPARE(loaded->config.listenPort, std::uint16_t{9000});
    }

    void configFileFromEnvironment() {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("relay.conf"));
        writeFile(file, "max-attempts = 9\n");
        const auto loaded = ConfigLoader::load({}, {{"OTS_RELAY_CONFIG", str(file)}});
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->config.maxAttempts, 9u);
    }

    void flagForms() {
        const auto loaded =
            ConfigLoader::load({"--max-attempts=7", "--redis-timeout", "250ms", "--trusted-proxies",
                                "10.0.0.0/8, fd00::/8,", "--log-level=warn", "--data-dir", "/srv/ots"},
                               {});
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        QCOMPARE(loaded->config.maxAttempts, 7u);
        QCOMPARE(loaded->config.redisTimeout, std::chrono::milliseconds(250));
        QCOMPARE(loaded->config.trustedProxies, (std::vector<std::string>{"10.0.0.0/8", "fd00::/8"}));
        QCOMPARE(loaded->config.logLevel, std::string("warn"));
        QCOMPARE(loaded->config.dataDirectory, std::filesystem::path("/srv/ots"));
    }

    void actions() {
        QCOMPARE(ConfigLoader::load({"--help"}, {})->action, ConfigAction::Help);
        QCOMPARE(ConfigLoader::load({"--version"}, {})->action, ConfigAction::Version);
        QCOMPARE(ConfigLoader::load({"--check-config", "--max-size", "1G"}, {})->action,
                 ConfigAction::CheckConfig);
        // --help wins even over options that would not load.
        QCOMPARE(ConfigLoader::load({"--help", "--config", "/nonexistent"}, {})->action, ConfigAction::Help);
    }

    void uploadTokensFromListAndFile() {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        writeFile(file, "# team tokens\nfile-token-aaaaaaaaaaaa\n\n  file-token-bbbbbbbbbbbb  \n");
        QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        const auto loaded =
            ConfigLoader::load({"--upload-tokens", "list-token-111111111111,list-token-222222222222",
                                "--upload-tokens-file", str(file)},
                               {});
        QVERIFY(loaded.ok());
        QCOMPARE(loaded->config.uploadTokens,
                 (std::vector<std::string>{"list-token-111111111111", "list-token-222222222222",
                                           "file-token-aaaaaaaaaaaa", "file-token-bbbbbbbbbbbb"}));
        QVERIFY(
            !ConfigLoader::load({"--upload-tokens-file", str(dir.filePath(QStringLiteral("missing")))}, {})
                 .ok());
    }

    void uploadTokensFileMustBePrivateAndHoldAToken() {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("tokens"));
        writeFile(file, "file-token-aaaaaaaaaaaa\n");
        const auto privateOnly = QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup;
        // Readable (or writable) by every user: refused, naming the file and the fix.
        for (const auto other : {QFile::ReadOther, QFile::WriteOther}) {
            QVERIFY(QFile::setPermissions(file, privateOnly | other));
            const auto loaded = ConfigLoader::load({"--upload-tokens-file", str(file)}, {});
            QVERIFY(!loaded.ok());
            QVERIFY2(loaded.error().detail.find(str(file)) != std::string::npos,
                     loaded.error().detail.c_str());
            QVERIFY2(loaded.error().detail.find("chmod o-rwx") != std::string::npos,
                     loaded.error().detail.c_str());
        }
        // A named file without a token would open the relay to everyone: refused.
        writeFile(file, "# nothing here yet\n\n");
        QVERIFY(QFile::setPermissions(file, privateOnly));
        const auto empty = ConfigLoader::load({"--upload-tokens-file", str(file)}, {});
        QVERIFY(!empty.ok());
        QVERIFY2(empty.error().detail.find("holds no token") != std::string::npos,
                 empty.error().detail.c_str());
        QVERIFY(!ConfigLoader::load({"--upload-tokens-file", str(dir.path())}, {}).ok()); // a folder
    }

    void s3CredentialsFromFileFlagsAndEnvironment() {
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("s3-credentials"));
        writeFile(file, "[default]\naws_access_key_id = DEFAULTKEY\naws_secret_access_key = default-secret\n"
                        "# comment\n[profile relay]\naws_access_key_id=RELAYKEY\n"
                        "aws_secret_access_key = relay-secret\naws_session_token = relay-token\n");
        QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner));
        const Args base{"--blob-store", "s3", "--s3-endpoint", "http://127.0.0.1:7480", "--s3-bucket", "b"};
        // The file's profile, chosen by s3-profile ("profile NAME" sections as AWS' config file spells them).
        Args withFile = base;
        withFile.insert(withFile.end(), {"--s3-credentials-file", str(file), "--s3-profile", "relay"});
        const auto fromFile = ConfigLoader::load(withFile, {{"AWS_ACCESS_KEY_ID", "ENVKEY"}});
        QVERIFY2(fromFile.ok(), fromFile.ok() ? "" : fromFile.error().detail.c_str());
        QCOMPARE(fromFile->config.s3AccessKeyId, std::string("RELAYKEY"));
        QCOMPARE(fromFile->config.s3SecretAccessKey, std::string("relay-secret"));
        QCOMPARE(fromFile->config.s3SessionToken, std::string("relay-token"));
        // Set explicitly: wins over the file.
        Args explicitKeys = withFile;
        explicitKeys.insert(explicitKeys.end(), {"--s3-access-key-id", "FLAGKEY"});
        const auto flagged =
            ConfigLoader::load(explicitKeys, {{"OTS_RELAY_S3_SECRET_ACCESS_KEY", "environment-secret"}});
        QVERIFY(flagged.ok());
        QCOMPARE(flagged->config.s3AccessKeyId, std::string("FLAGKEY"));
        QCOMPARE(flagged->config.s3SecretAccessKey, std::string("environment-secret"));
        // Neither: AWS' own environment variables.
        const auto fromEnvironment = ConfigLoader::load(
            base, {{"AWS_ACCESS_KEY_ID", "ENVKEY"}, {"AWS_SECRET_ACCESS_KEY", "env-secret"}});
        QVERIFY(fromEnvironment.ok());
        QCOMPARE(fromEnvironment->config.s3AccessKeyId, std::string("ENVKEY"));
        QCOMPARE(fromEnvironment->config.s3SecretAccessKey, std::string("env-secret"));
        // The secret is never described, whatever its source.
        const std::string described = ConfigLoader::describe(fromFile->config);
        QVERIFY(described.find("relay-secret") == std::string::npos);
        QVERIFY(described.find("s3-secret-access-key = (set)\n") != std::string::npos);
        // A missing profile, and a file other users can read, are refused with the file's name.
        Args missingProfile = base;
        missingProfile.insert(missingProfile.end(),
                              {"--s3-credentials-file", str(file), "--s3-profile", "nope"});
        const auto noProfile = ConfigLoader::load(missingProfile, {});
        QVERIFY(!noProfile.ok());
        QVERIFY2(noProfile.error().detail.find("no profile [nope]") != std::string::npos,
                 noProfile.error().detail.c_str());
        QVERIFY(QFile::setPermissions(file, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadOther));
        const auto readable = ConfigLoader::load(withFile, {});
        QVERIFY(!readable.ok());
        QVERIFY2(readable.error().detail.find("chmod o-rwx") != std::string::npos,
                 readable.error().detail.c_str());
        QVERIFY(readable.error().detail.find("relay-secret") == std::string::npos);
    }

    void s3StoreValidation() {
        QTemporaryDir dir;
        Config config = validConfig(dir);
        config.blobStore = Config::BlobStoreKind::S3;
        config.s3Endpoint = "http://127.0.0.1:7480";
        config.s3Bucket = "ots";
        config.s3AccessKeyId = "KEY";
        config.s3SecretAccessKey = "secret";
        QVERIFY(ConfigLoader::validate(config).ok());
        const auto refused = [&](auto change, const char* words) {
            Config changed = config;
            change(changed);
            const ots::Status valid = ConfigLoader::validate(changed);
            QVERIFY2(!valid.ok(), words);
            QVERIFY2(valid.error().detail.find(words) != std::string::npos, valid.error().detail.c_str());
        };
        refused([](Config& c) { c.s3Endpoint = "127.0.0.1:7480"; }, "s3-endpoint");
        refused([](Config& c) { c.s3Bucket.clear(); }, "s3-bucket");
        refused([](Config& c) { c.s3SecretAccessKey.clear(); }, "needs credentials");
        refused([](Config& c) { c.s3PartSize = std::uint64_t{4} << 20; }, "s3-part-size");
        refused([](Config& c) { c.s3Prefix = "/ots/"; }, "s3-prefix");
        refused([](Config& c) { c.s3Prefix = "ots\n"; }, "s3-prefix");
        QVERIFY(!ConfigLoader::load({"--blob-store", "nfs"}, {}).ok());
        // The local store needs none of it.
        Config local = validConfig(dir);
        local.s3Bucket.clear();
        QVERIFY(ConfigLoader::validate(local).ok());
    }

    void uploadTokensFileRelativeToConfigFile() {
        // The package's relay.conf says "upload-tokens-file = upload-token": the file next to it, in
        // /etc/onetimeshare as in the systemd credential folder the service reads both from.
        QTemporaryDir dir;
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("etc")));
        const QString config = dir.filePath(QStringLiteral("etc/relay.conf"));
        const QString token = dir.filePath(QStringLiteral("etc/upload-token"));
        writeFile(config, "upload-tokens-file = upload-token\n");
        writeFile(token, "next-to-the-config-file-token\n");
        QVERIFY(QFile::setPermissions(token, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup));
        const auto loaded = ConfigLoader::load({"--config", str(config)}, {});
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        QCOMPARE(loaded->config.uploadTokens, std::vector<std::string>{"next-to-the-config-file-token"});
        // From the environment or a flag a relative name is relative to the working directory.
        const auto fromFlag = ConfigLoader::load({"--upload-tokens-file", "upload-token-not-here"}, {});
        QVERIFY(!fromFlag.ok());
        QVERIFY2(fromFlag.error().detail.find("upload-tokens-file upload-token-not-here") !=
                     std::string::npos,
                 fromFlag.error().detail.c_str());
    }

    void openRelaySemantics() {
        QTemporaryDir dir;
        // The built-in default: open (tests and developers run it so), but with a warning.
        Config config = validConfig(dir);
        QVERIFY(!config.openRelay);
        QVERIFY(ConfigLoader::validate(config).ok());
        const auto undeclared = ConfigLoader::warnings(config);
        QCOMPARE(undeclared.size(), std::size_t{1});
        QVERIFY2(undeclared.front().starts_with("open relay:"), undeclared.front().c_str());
        QVERIFY(undeclared.front().find("open-relay = true") != std::string::npos);
        QVERIFY(undeclared.front().find('\n') == std::string::npos);
        // Declared open: no warning.
        auto loaded = ConfigLoader::load({"--open-relay", "true"}, {});
        QVERIFY(loaded.ok());
        QVERIFY(loaded->config.openRelay);
        QVERIFY(ConfigLoader::warnings(loaded->config).empty());
        loaded = ConfigLoader::load({}, {{"OTS_RELAY_OPEN_RELAY", "yes"}});
        QVERIFY(loaded.ok() && loaded->config.openRelay);
        loaded = ConfigLoader::load({"--open-relay=no"}, {});
        QVERIFY(loaded.ok() && !loaded->config.openRelay);
        QVERIFY(!ConfigLoader::load({"--open-relay", "maybe"}, {}).ok());
        // Tokens: closed, no warning.
        config.uploadTokens = {"a-token-of-24-characters"};
        QVERIFY(ConfigLoader::validate(config).ok());
        QVERIFY(ConfigLoader::warnings(config).empty());
        // Declared open and tokens set contradict each other.
        config.openRelay = true;
        const auto both = ConfigLoader::validate(config);
        QVERIFY(!both.ok());
        QVERIFY2(both.error().detail.find("open-relay") != std::string::npos, both.error().detail.c_str());
        QVERIFY(ConfigLoader::describe(config).find("open-relay = true\n") != std::string::npos);
    }

    void rejectsBadInput_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("environmentName");
        QTest::addColumn<QString>("fileContent");
        QTest::addColumn<QString>("mentions"); // the error names where the problem is
        const QString none;
        QTest::newRow("unknown flag") << QStringList{QStringLiteral("--max-sise"), QStringLiteral("1G")}
                                      << none << none << QStringLiteral("--max-sise");
        QTest::newRow("flag without value")
            << QStringList{QStringLiteral("--max-size")} << none << none << QStringLiteral("--max-size");
        QTest::newRow("positional argument")
            << QStringList{QStringLiteral("serve")} << none << none << QStringLiteral("serve");
        QTest::newRow("bad size") << QStringList{QStringLiteral("--max-size=huge")} << none << none
                                  << QStringLiteral("max-size");
        QTest::newRow("bad number") << QStringList{QStringLiteral("--max-downloads=-1")} << none << none
                                    << QStringLiteral("max-downloads");
        QTest::newRow("number too big") << QStringList{QStringLiteral("--redis-port=70000")} << none << none
                                        << QStringLiteral("redis-port");
        QTest::newRow("seconds field in ms") << QStringList{QStringLiteral("--idle-timeout=1500ms")} << none
                                             << none << QStringLiteral("idle-timeout");
        QTest::newRow("bad log level")
            << QStringList{QStringLiteral("--log-level=loud")} << none << none << QStringLiteral("log-level");
        QTest::newRow("bad listen") << QStringList{QStringLiteral("--listen=localhost:80")} << none << none
                                    << QStringLiteral("listen");
        QTest::newRow("unknown environment variable") << QStringList{} << QStringLiteral("OTS_RELAY_MAX_SIZ")
                                                      << none << QStringLiteral("OTS_RELAY_MAX_SIZ");
        QTest::newRow("unknown file option")
            << QStringList{} << none << QStringLiteral("max-size = 1G\nmax-siz = 2G\n")
            << QStringLiteral(":2");
        QTest::newRow("file line without =")
            << QStringList{} << none << QStringLiteral("max-size 1G\n") << QStringLiteral(":1");
        QTest::newRow("sentinel without port") << QStringList{QStringLiteral("--redis-sentinels=10.0.0.1")}
                                               << none << none << QStringLiteral("redis-sentinels");
        QTest::newRow("sentinel port 0") << QStringList{QStringLiteral("--redis-sentinels=10.0.0.1:0")}
                                         << none << none << QStringLiteral("not a port");
        QTest::newRow("sentinel host with a space")
            << QStringList{QStringLiteral("--redis-sentinels=bad host:26379")} << none << none
            << QStringLiteral("neither an IP address nor a host name");
        QTest::newRow("sentinel IPv6 without brackets")
            << QStringList{QStringLiteral("--redis-sentinels=::1:26379")} << none << none
            << QStringLiteral("brackets");
        QTest::newRow("sentinel listed twice") << QStringList{} << QStringLiteral("OTS_RELAY_REDIS_SENTINELS")
                                               << none << QStringLiteral("listed twice");
        QTest::newRow("wait replicas not a number")
            << QStringList{QStringLiteral("--redis-wait-replicas=some")} << none << none
            << QStringLiteral("redis-wait-replicas");
    }
    void rejectsBadInput() {
        QFETCH(QStringList, args);
        QFETCH(QString, environmentName);
        QFETCH(QString, fileContent);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        Args argv;
        for (const QString& arg : args)
            argv.push_back(str(arg));
        Environment environment;
        if (!environmentName.isEmpty())
            environment[str(environmentName)] = environmentName == QStringLiteral("OTS_RELAY_REDIS_SENTINELS")
                                                    ? "10.0.0.1:26379, 10.0.0.1:26379"
                                                    : "1";
        if (!fileContent.isEmpty()) {
            const QString file = dir.filePath(QStringLiteral("relay.conf"));
            writeFile(file, fileContent.toUtf8());
            argv.push_back("--config=" + str(file));
        }
        const auto loaded = ConfigLoader::load(argv, environment);
        QVERIFY(!loaded.ok());
        QVERIFY2(loaded.error().detail.find(str(mentions)) != std::string::npos,
                 loaded.error().detail.c_str());
    }

    void missingConfigFile() {
        const auto loaded = ConfigLoader::load({"--config", "/nonexistent/relay.conf"}, {});
        QVERIFY(!loaded.ok());
        QVERIFY(loaded.error().detail.find("/nonexistent/relay.conf") != std::string::npos);
    }

    void sentinelSettings() {
        const auto loaded =
            ConfigLoader::load({"--redis-sentinels", " 10.0.0.1:26379, sentinel-2.example:26380 ,[::1]:26381",
                                "--redis-master-name", "ots", "--redis-sentinel-password", "sentinel-secret",
                                "--redis-wait-timeout", "250ms"},
                               {{"OTS_RELAY_REDIS_WAIT_REPLICAS", "2"}});
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        const Config& config = loaded->config;
        const std::vector<RedisAddress> expected{
            {"10.0.0.1", 26379}, {"sentinel-2.example", 26380}, {"::1", 26381}};
        QVERIFY(config.redisSentinels == expected);
        QCOMPARE(config.redisMasterName, std::string("ots"));
        QCOMPARE(redisWaitReplicasCount(config), 2U);
        QCOMPARE(config.redisWaitTimeout, std::chrono::milliseconds(250));
        const std::string text = ConfigLoader::describe(config);
        QVERIFY(text.find("redis-sentinels = 10.0.0.1:26379,sentinel-2.example:26380,[::1]:26381\n") !=
                std::string::npos);
        QVERIFY(text.find("redis-sentinel-password = (set)\n") != std::string::npos);
        QVERIFY(text.find("sentinel-secret") == std::string::npos);
        QTemporaryDir dir;
        Config valid = config;
        valid.dataDirectory = validConfig(dir).dataDirectory;
        const auto status = ConfigLoader::validate(valid);
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().detail.c_str());

        // redis-wait-replicas "auto": one replica with sentinels, none without.
        Config plain;
        QCOMPARE(redisWaitReplicasCount(plain), 0U);
        plain.redisSentinels = expected;
        QCOMPARE(redisWaitReplicasCount(plain), 1U);
        QVERIFY(ConfigLoader::describe(Config{}).find("redis-wait-replicas = auto\n") != std::string::npos);
        const auto zero =
            ConfigLoader::load({"--redis-sentinels=10.0.0.1:26379", "--redis-wait-replicas=0"}, {});
        QVERIFY(zero.ok());
        QCOMPARE(redisWaitReplicasCount(zero->config), 0U);
    }

    // Validation ----------------------------------------------------------------------------
    void validateAcceptsDefaultsAndCreatesDataFolder() {
        QTemporaryDir dir;
        const Config config = validConfig(dir);
        QVERIFY(!std::filesystem::exists(config.dataDirectory));
        const auto status = ConfigLoader::validate(config);
        QVERIFY2(status.ok(), status.ok() ? "" : status.error().detail.c_str());
        QVERIFY(std::filesystem::is_directory(config.dataDirectory));
    }

    void validateRejects_data() {
        QTest::addColumn<int>("which");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("min-expiry above max-expiry") << 0 << QStringLiteral("min-expiry");
        QTest::newRow("certificate without key") << 1 << QStringLiteral("tls-private-key");
        QTest::newRow("key without certificate") << 2 << QStringLiteral("tls-certificate");
        QTest::newRow("quota below max-size") << 3 << QStringLiteral("storage-quota");
        QTest::newRow("bad trusted proxy") << 4 << QStringLiteral("trusted-proxies");
        QTest::newRow("short upload token") << 5 << QStringLiteral("upload tokens");
        QTest::newRow("zero redis port") << 6 << QStringLiteral("redis-port");
        QTest::newRow("no redis connections") << 7 << QStringLiteral("redis-connections");
        QTest::newRow("tiny header limit") << 8 << QStringLiteral("header-limit");
        QTest::newRow("zero downloads") << 9 << QStringLiteral("max-downloads");
        QTest::newRow("zero attempts") << 10 << QStringLiteral("max-attempts");
        QTest::newRow("data dir is a file") << 11 << QStringLiteral("data-dir");
        QTest::newRow("data dir below a file") << 12 << QStringLiteral("data-dir");
        QTest::newRow("zero sweep interval") << 13 << QStringLiteral("sweep-interval");
        QTest::newRow("sentinel password without sentinels")
            << 14 << QStringLiteral("redis-sentinels is not");
        QTest::newRow("wait timeout not below redis timeout") << 15 << QStringLiteral("redis-wait-timeout");
        QTest::newRow("master name with a space") << 16 << QStringLiteral("redis-master-name");
    }
    void validateRejects() {
        QFETCH(int, which);
        QFETCH(QString, mentions);
        QTemporaryDir dir;
        Config config = validConfig(dir);
        const QString file = dir.filePath(QStringLiteral("plain-file"));
        writeFile(file, "x");
        switch (which) {
        case 0:
            config.minExpiry = std::chrono::hours(48);
            config.maxExpiry = std::chrono::hours(24);
            break;
        case 1:
            config.tlsCertificate = "/etc/cert.pem";
            break;
        case 2:
            config.tlsPrivateKey = "/etc/key.pem";
            break;
        case 3:
            config.storageQuota = config.maxShareSize - 1;
            break;
        case 4:
            config.trustedProxies = {"10.0.0.1/8"};
            break;
        case 5:
            config.uploadTokens = {"short"};
            break;
        case 6:
            config.redisPort = 0;
            break;
        case 7:
            config.redisConnections = 0;
            break;
        case 8:
            config.headerLimit = 100;
            break;
        case 9:
            config.maxDownloads = 0;
            break;
        case 10:
            config.maxAttempts = 0;
            break;
        case 11:
            config.dataDirectory = str(file);
            break;
        case 12:
            config.dataDirectory = str(file + QStringLiteral("/data"));
            break;
        case 13:
            config.sweepInterval = std::chrono::seconds(0);
            break;
        case 14:
            config.redisSentinelPassword = "secret";
            break;
        case 15:
            config.redisWaitReplicas = 1;
            config.redisWaitTimeout = config.redisTimeout;
            break;
        case 16:
            config.redisSentinels = {{"10.0.0.1", 26379}};
            config.redisMasterName = "my master";
            break;
        default:
            QFAIL("unknown case");
        }
        const auto status = ConfigLoader::validate(config);
        QVERIFY(!status.ok());
        QVERIFY2(status.error().detail.find(str(mentions)) != std::string::npos,
                 status.error().detail.c_str());
    }

    // Help and description -------------------------------------------------------------------
    void helpListsEveryOption() {
        const std::string help = ConfigLoader::helpText();
        const std::string described = ConfigLoader::describe(Config{});
        // Every line of the description is an option; --help must show each with its env name.
        std::size_t start = 0;
        int options = 0;
        while (start < described.size()) {
            const std::size_t end = described.find('\n', start);
            const std::string line = described.substr(start, end - start);
            start = end + 1;
            const std::string name = line.substr(0, line.find(" = "));
            QVERIFY2(help.find("--" + name + ' ') != std::string::npos, name.c_str());
            QVERIFY2(help.find(ConfigLoader::environmentName(name)) != std::string::npos, name.c_str());
            ++options;
        }
        QVERIFY(options >= 28);
        QVERIFY(help.find("--upload-tokens-file") != std::string::npos);
        QVERIFY(help.find("--check-config") != std::string::npos);
        QVERIFY(help.find("default: 10G") != std::string::npos);
        QVERIFY(help.find("Exit codes") != std::string::npos);
        QCOMPARE(ConfigLoader::environmentName("max-size"), std::string("OTS_RELAY_MAX_SIZE"));
    }

    void describeHidesSecrets() {
        Config config;
        config.redisPassword = "hunter2-redis-password";
        config.uploadTokens = {"upload-token-secret-1", "upload-token-secret-2"};
        const std::string text = ConfigLoader::describe(config);
        QVERIFY(text.find("hunter2") == std::string::npos);
        QVERIFY(text.find("upload-token-secret") == std::string::npos);
        QVERIFY(text.find("redis-password = (set)\n") != std::string::npos);
        QVERIFY(text.find("upload-tokens = (set)\n") != std::string::npos);
        QVERIFY(text.find("max-size = 10G\n") != std::string::npos);
        QVERIFY(ConfigLoader::describe(Config{}).find("redis-password = \n") != std::string::npos);
    }

    void describeLoadsBack() {
        // The description is a valid config file that reproduces the configuration.
        QTemporaryDir dir;
        Config config;
        config.maxShareSize = std::uint64_t{3} << 30;
        config.listenAddress = "::1";
        config.listenPort = 9443;
        config.trustedProxies = {"127.0.0.1", "10.0.0.0/8"};
        config.redisTimeout = std::chrono::milliseconds(750);
        const QString file = dir.filePath(QStringLiteral("relay.conf"));
        writeFile(file, QByteArray::fromStdString(ConfigLoader::describe(config)));
        const auto loaded = ConfigLoader::load({"--config", str(file)}, {});
        QVERIFY2(loaded.ok(), loaded.ok() ? "" : loaded.error().detail.c_str());
        QCOMPARE(ConfigLoader::describe(loaded->config), ConfigLoader::describe(config));
    }

    // ClientAddress ---------------------------------------------------------------------------
    void clientAddress_data() {
        QTest::addColumn<QString>("trusted");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<QString>("forwardedFor");
        QTest::addColumn<QString>("client");
        const QString local = QStringLiteral("127.0.0.1");
        const QString proxies = QStringLiteral("127.0.0.1,10.0.0.0/8,::1,fd00::/8");
        QTest::newRow("no proxies: peer, header ignored")
            << QString() << QStringLiteral("203.0.113.5") << QStringLiteral("1.2.3.4")
            << QStringLiteral("203.0.113.5");
        QTest::newRow("untrusted peer: header ignored")
            << proxies << QStringLiteral("203.0.113.5") << QStringLiteral("1.2.3.4")
            << QStringLiteral("203.0.113.5");
        QTest::newRow("trusted peer, no header") << proxies << local << QString() << local;
        QTest::newRow("trusted peer, one hop")
            << proxies << local << QStringLiteral("198.51.100.7") << QStringLiteral("198.51.100.7");
        QTest::newRow("forged left part ignored")
            << proxies << local << QStringLiteral("6.6.6.6, 198.51.100.7, 10.1.2.3")
            << QStringLiteral("198.51.100.7");
        QTest::newRow("all hops trusted: left-most")
            << proxies << local << QStringLiteral("10.0.0.1, 10.0.0.2") << QStringLiteral("10.0.0.1");
        QTest::newRow("garbage right-most: last trusted hop")
            << proxies << local << QStringLiteral("198.51.100.7, not-an-ip") << local;
        QTest::newRow("garbage left of the client ignored")
            << proxies << local << QStringLiteral("not-an-ip, 198.51.100.7")
            << QStringLiteral("198.51.100.7");
        QTest::newRow("empty entries skipped")
            << proxies << local << QStringLiteral("198.51.100.7,, ") << QStringLiteral("198.51.100.7");
        QTest::newRow("ipv4 with port")
            << proxies << local << QStringLiteral("198.51.100.7:5555") << QStringLiteral("198.51.100.7");
        QTest::newRow("ipv6 chain") << proxies << QStringLiteral("::1")
                                    << QStringLiteral("2001:db8::1, fd12::3")
                                    << QStringLiteral("2001:db8::1");
        QTest::newRow("ipv6 bracketed with port")
            << proxies << QStringLiteral("::1") << QStringLiteral("[2001:db8::2]:4711")
            << QStringLiteral("2001:db8::2");
        QTest::newRow("v4-mapped peer is the v4 proxy")
            << proxies << QStringLiteral("::ffff:127.0.0.1") << QStringLiteral("198.51.100.9")
            << QStringLiteral("198.51.100.9");
        QTest::newRow("v4-mapped client reported as v4")
            << proxies << local << QStringLiteral("::ffff:198.51.100.9") << QStringLiteral("198.51.100.9");
        QTest::newRow("v4-mapped untrusted peer reported as v4")
            << QString() << QStringLiteral("::ffff:203.0.113.5") << QString()
            << QStringLiteral("203.0.113.5");
        QTest::newRow("prefix boundary inside")
            << QStringLiteral("192.168.0.0/23") << QStringLiteral("192.168.1.255")
            << QStringLiteral("198.51.100.7") << QStringLiteral("198.51.100.7");
        QTest::newRow("prefix boundary outside")
            << QStringLiteral("192.168.0.0/23") << QStringLiteral("192.168.2.0")
            << QStringLiteral("198.51.100.7") << QStringLiteral("192.168.2.0");
        QTest::newRow("ipv6 prefix not matching v4")
            << QStringLiteral("::/0") << local << QStringLiteral("198.51.100.7") << local;
        QTest::newRow("v4-mapped network is the v4 network")
            << QStringLiteral("::ffff:10.0.0.0/104") << QStringLiteral("10.9.8.7")
            << QStringLiteral("198.51.100.7") << QStringLiteral("198.51.100.7");
        QTest::newRow("v4 /0 trusts every v4 hop")
            << QStringLiteral("0.0.0.0/0") << local << QStringLiteral("198.51.100.7, 10.0.0.1")
            << QStringLiteral("198.51.100.7");
    }
    void clientAddress() {
        QFETCH(QString, trusted);
        QFETCH(QString, peer);
        QFETCH(QString, forwardedFor);
        QFETCH(QString, client);
        std::vector<std::string> cidrs;
        for (const QString& cidr : trusted.split(QLatin1Char(','), Qt::SkipEmptyParts))
            cidrs.push_back(str(cidr));
        const auto resolver = ClientAddress::fromTrustedProxies(cidrs);
        QVERIFY(resolver.ok());
        const auto peerAddress = boost::asio::ip::make_address(str(peer));
        QCOMPARE(resolver->resolve(peerAddress, str(forwardedFor)), str(client));
    }

    void clientAddressJoinsHeaderLines() {
        const auto resolver = ClientAddress::fromTrustedProxies({"127.0.0.1", "10.0.0.0/8"});
        QVERIFY(resolver.ok());
        boost::beast::http::fields header;
        header.insert("X-Forwarded-For", "198.51.100.1");
        header.insert("X-Forwarded-For", "10.0.0.5");
        const auto peer = boost::asio::ip::make_address("127.0.0.1");
        QCOMPARE(resolver->resolve(peer, header), std::string("198.51.100.1"));
        header.insert("X-Forwarded-For", "203.0.113.8");
        QCOMPARE(resolver->resolve(peer, header), std::string("203.0.113.8"));
        QCOMPARE(ClientAddress{}.resolve(peer, header), std::string("127.0.0.1"));
    }

    void trustedProxiesRejectTypos_data() {
        QTest::addColumn<QString>("cidr");
        QTest::newRow("host bits set") << QStringLiteral("10.0.0.1/8");
        QTest::newRow("v4 prefix too long") << QStringLiteral("10.0.0.0/33");
        QTest::newRow("v6 prefix too long") << QStringLiteral("fd00::/129");
        QTest::newRow("v6 host bits set") << QStringLiteral("fd00::1/8");
        QTest::newRow("not an address") << QStringLiteral("proxy.example");
        QTest::newRow("empty prefix") << QStringLiteral("10.0.0.0/");
        QTest::newRow("prefix not a number") << QStringLiteral("10.0.0.0/x");
    }
    void trustedProxiesRejectTypos() {
        QFETCH(QString, cidr);
        const auto resolver = ClientAddress::fromTrustedProxies({str(cidr)});
        QVERIFY(!resolver.ok());
        QVERIFY(resolver.error().detail.find(str(cidr)) != std::string::npos);
    }

    void clientBucket_data() {
        QTest::addColumn<QByteArray>("address");
        QTest::addColumn<int>("prefix");
        QTest::addColumn<QByteArray>("bucket");
        QTest::newRow("ipv4 is itself") << QByteArray("192.0.2.7") << 64 << QByteArray("192.0.2.7");
        QTest::newRow("ipv4 whatever the v6 prefix")
            << QByteArray("192.0.2.7") << 32 << QByteArray("192.0.2.7");
        QTest::newRow("v4-mapped counts as ipv4")
            << QByteArray("::ffff:192.0.2.7") << 64 << QByteArray("192.0.2.7");
        QTest::newRow("/64 drops the interface id")
            << QByteArray("2001:db8:1:2:aaaa:bbbb:cccc:dddd") << 64 << QByteArray("2001:db8:1:2::/64");
        QTest::newRow("/64 of a short form")
            << QByteArray("2001:db8:1:2::8") << 64 << QByteArray("2001:db8:1:2::/64");
        QTest::newRow("another /64") << QByteArray("2001:db8:1:3::8") << 64
                                     << QByteArray("2001:db8:1:3::/64");
        QTest::newRow("/48") << QByteArray("2001:db8:1:2::8") << 48 << QByteArray("2001:db8:1::/48");
        QTest::newRow("/56 cuts inside a group")
            << QByteArray("2001:db8:1:2ff::1") << 56 << QByteArray("2001:db8:1:200::/56");
        QTest::newRow("/60 cuts inside a nibble")
            << QByteArray("2001:db8:1:2ff::1") << 60 << QByteArray("2001:db8:1:2f0::/60");
        QTest::newRow("/32") << QByteArray("2001:db8:ffff::1") << 32 << QByteArray("2001:db8::/32");
        QTest::newRow("/128 is the address")
            << QByteArray("2001:db8:1:2::8") << 128 << QByteArray("2001:db8:1:2::8/128");
        QTest::newRow("loopback /64") << QByteArray("::1") << 64 << QByteArray("::/64");
        QTest::newRow("loopback /128") << QByteArray("::1") << 128 << QByteArray("::1/128");
        QTest::newRow("link-local scope dropped") << QByteArray("fe80::1%1") << 64 << QByteArray("fe80::/64");
    }
    void clientBucket() {
        QFETCH(QByteArray, address);
        QFETCH(int, prefix);
        QFETCH(QByteArray, bucket);
        const auto parsed = boost::asio::ip::make_address(address.toStdString());
        QCOMPARE(ClientAddress::bucketOf(parsed, static_cast<unsigned>(prefix)), bucket.toStdString());
        const auto resolver = ClientAddress::fromTrustedProxies({}, static_cast<unsigned>(prefix));
        QVERIFY(resolver.ok());
        QCOMPARE(resolver->peerBucket(parsed), bucket.toStdString());
    }

    void clientBucketAfterTrustedProxy() {
        // The bucket is of the address X-Forwarded-For names, when the peer is a trusted proxy.
        const auto resolver = ClientAddress::fromTrustedProxies({"127.0.0.1"});
        QVERIFY(resolver.ok());
        QCOMPARE(resolver->ipv6Prefix(), 64u);
        boost::beast::http::fields header;
        header.insert("X-Forwarded-For", "2001:db8:1:2::17");
        const auto proxy = boost::asio::ip::make_address("127.0.0.1");
        QCOMPARE(resolver->clientBucket(proxy, header), std::string("2001:db8:1:2::/64"));
        QCOMPARE(resolver->resolve(proxy, header), std::string("2001:db8:1:2::17"));
        // An untrusted peer's header is ignored: its own address is the client.
        const auto stranger = boost::asio::ip::make_address("2001:db8:9:9::1");
        QCOMPARE(resolver->clientBucket(stranger, header), std::string("2001:db8:9:9::/64"));
        // Out of range prefixes are refused.
        QVERIFY(!ClientAddress::fromTrustedProxies({}, 31).ok());
        QVERIFY(!ClientAddress::fromTrustedProxies({}, 129).ok());
        QVERIFY(ClientAddress::fromTrustedProxies({}, 32).ok());
        QVERIFY(ClientAddress::fromTrustedProxies({}, 128).ok());
    }

    void clientIpv6PrefixSetting() {
        QCOMPARE(Config{}.clientIpv6Prefix, 64u);
        const auto flag = ConfigLoader::load({"--client-ipv6-prefix", "56"}, {});
        QVERIFY2(flag.ok(), flag.ok() ? "" : flag.error().detail.c_str());
        QCOMPARE(flag->config.clientIpv6Prefix, 56u);
        const auto env = ConfigLoader::load({}, {{"OTS_RELAY_CLIENT_IPV6_PREFIX", "128"}});
        QVERIFY(env.ok());
        QCOMPARE(env->config.clientIpv6Prefix, 128u);
        QTemporaryDir dir;
        const QString file = dir.filePath(QStringLiteral("relay.conf"));
        writeFile(file, "client-ipv6-prefix = 48\n");
        const auto fromFile = ConfigLoader::load({"--config", str(file)}, {});
        QVERIFY(fromFile.ok());
        QCOMPARE(fromFile->config.clientIpv6Prefix, 48u);
        for (const unsigned bad : {0u, 31u, 129u}) {
            Config config = validConfig(dir);
            config.clientIpv6Prefix = bad;
            const auto status = ConfigLoader::validate(config);
            QVERIFY(!status.ok());
            QVERIFY(status.error().detail.find("client-ipv6-prefix") != std::string::npos);
        }
        QVERIFY(ConfigLoader::helpText().find("--client-ipv6-prefix") != std::string::npos);
    }

    void maxConnectionsPerClientSetting() {
        QCOMPARE(Config{}.maxConnectionsPerClient, 256u);
        const auto flag = ConfigLoader::load({"--max-connections-per-client=8"}, {});
        QVERIFY(flag.ok());
        QCOMPARE(flag->config.maxConnectionsPerClient, 8u);
        const auto env = ConfigLoader::load({}, {{"OTS_RELAY_MAX_CONNECTIONS_PER_CLIENT", "1000"}});
        QVERIFY(env.ok());
        QCOMPARE(env->config.maxConnectionsPerClient, 1000u);
        QTemporaryDir dir;
        Config config = validConfig(dir);
        config.maxConnectionsPerClient = 0;
        const auto status = ConfigLoader::validate(config);
        QVERIFY(!status.ok());
        QVERIFY(status.error().detail.find("max-connections-per-client") != std::string::npos);
        QVERIFY(ConfigLoader::helpText().find("--max-connections-per-client") != std::string::npos);
    }

    void connectionSlotsPerClient() {
        // Slots up to the limit, then none; a slot's end (or its move away) gives its place back.
        ConnectionTracker tracker;
        std::vector<ConnectionTracker::ClientSlot> slots;
        for (int i = 0; i < 3; ++i) {
            auto slot = tracker.admit("192.0.2.7", 3);
            QVERIFY(slot.has_value());
            slots.push_back(std::move(*slot));
        }
        QCOMPARE(tracker.connectionsOf("192.0.2.7"), std::size_t{3});
        QVERIFY(!tracker.admit("192.0.2.7", 3).has_value());
        QVERIFY(tracker.admit("2001:db8:1:2::/64", 3).has_value()); // another client; its slot ends here
        QCOMPARE(tracker.connectionsOf("2001:db8:1:2::/64"), std::size_t{0});
        slots.pop_back();
        QCOMPARE(tracker.connectionsOf("192.0.2.7"), std::size_t{2});
        auto again = tracker.admit("192.0.2.7", 3);
        QVERIFY(again.has_value());
        ConnectionTracker::ClientSlot moved = std::move(*again);
        again.reset(); // the moved-from slot counts nothing
        QCOMPARE(tracker.connectionsOf("192.0.2.7"), std::size_t{3});
        moved = ConnectionTracker::ClientSlot(); // assigning over a slot gives its place back
        slots.clear();
        QCOMPARE(tracker.connectionsOf("192.0.2.7"), std::size_t{0});
        QVERIFY(!tracker.admit("192.0.2.7", 0).has_value());
    }

    void parseAddressForms() {
        boost::asio::ip::address address;
        QVERIFY(ClientAddress::parseAddress(" 198.51.100.7 ", address));
        QCOMPARE(address.to_string(), std::string("198.51.100.7"));
        QVERIFY(ClientAddress::parseAddress("[::1]", address));
        QCOMPARE(address.to_string(), std::string("::1"));
        QVERIFY(!ClientAddress::parseAddress("[::1", address));
        QVERIFY(!ClientAddress::parseAddress("[::1]:port", address));
        QVERIFY(!ClientAddress::parseAddress("1.2.3.4:99999", address));
        QVERIFY(!ClientAddress::parseAddress("unknown", address));
        QVERIFY(!ClientAddress::parseAddress("", address));
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
