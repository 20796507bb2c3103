// The secret store and the share history. The file store's permissions and refusals, the keychain
// fallback without a Secret Service, and ShareHistory against a real redis-server and this build's
// ots-relay: shares are made with the relay tests' raw client (real keys, ciphertext and metadata),
// then refreshed, revoked, downloaded, locked, unlocked and expired through ots::client.

#include "RelayProcess.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SecretStore.h"
#include "ots/client/ShareHistory.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>
#include <vector>

using ots::client::ErrorKind;
using ots::client::HistoryEntry;
using ots::client::SecretStore;
using ots::client::SendResult;
using ots::client::ShareHistory;
using ots::relaytest::RelayFixture;
using ots::relaytest::RelayProcess;
using ots::relaytest::TestShare;

namespace {

constexpr QFile::Permissions kAllUserBits = QFile::ReadUser | QFile::WriteUser | QFile::ExeUser;
constexpr QFile::Permissions kFolder0700 = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr QFile::Permissions kFile0600 = QFile::ReadOwner | QFile::WriteOwner;

QFile::Permissions modeBits(const QString& path) {
    return QFileInfo(path).permissions() & ~kAllUserBits;
}

QByteArray readAll(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

QString randomB64u(std::size_t bytes) {
    std::vector<std::uint8_t> raw(bytes);
    ots::randomBytes(raw);
    return QString::fromStdString(ots::base64url::encode(raw));
}

// What SendJob would report for a share on relayUrl (the link's secret is random: only stored).
SendResult sendResult(const QString& relayUrl, const QString& id, const QString& ownerToken,
                      int maxDownloads = 1, std::int64_t expiresAt = 0) {
    SendResult sent;
    sent.relayUrl = relayUrl;
    sent.id = id;
    sent.ownerToken = ownerToken;
    sent.link = relayUrl + QStringLiteral("/s/") + id + QLatin1Char('#') + randomB64u(32);
    sent.displayName = QStringLiteral("report.pdf");
    sent.createdAt = QDateTime::currentSecsSinceEpoch();
    sent.expiresAt = expiresAt > 0 ? expiresAt : sent.createdAt + 3600;
    sent.maxDownloads = maxDownloads;
    sent.payloadBytes = 1000;
    sent.ciphertextBytes = 5000;
    return sent;
}

// Retries kept short: the relay-down case must not wait through the default back-off.
ots::client::RetryPolicy quickRetry() {
    ots::client::RetryPolicy retry;
    retry.attempts = 2;
    retry.firstDelay = std::chrono::milliseconds(50);
    retry.maxDelay = std::chrono::milliseconds(100);
    retry.requestTimeout = std::chrono::milliseconds(5000);
    return retry;
}

class ScopedEnv {
public:
    ScopedEnv(const char* name, const QByteArray& value, bool set = true)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name)) {
        if (set)
            qputenv(name, value);
        else
            qunsetenv(name);
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

class TestHistory : public QObject {
    Q_OBJECT

    RelayFixture m_fixture;
    QString m_relayUrl;

    // A ready share on the fixture's relay (create, upload, complete), its id and owner token filled in.
    bool makeReadyShare(TestShare& share) {
        const auto response = m_fixture.client().createReady(share);
        if (response.status != 200) {
            qWarning("createReady: %s", response.describe().constData());
            return false;
        }
        return true;
    }

    static std::unique_ptr<ShareHistory> openHistory(const QString& folder) {
        return std::make_unique<ShareHistory>(folder, SecretStore::openFile(folder));
    }

private Q_SLOTS:
    void initTestCase() {
        qRegisterMetaType<HistoryEntry>();
        QVERIFY(ots::initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--max-attempts"), QStringLiteral("3"),
                                  QStringLiteral("--min-expiry"), QStringLiteral("1s")}),
                 m_fixture.error());
        m_relayUrl = QStringLiteral("http://127.0.0.1:%1").arg(m_fixture.relay.port());
    }

    // --- the file secret store ---------------------------------------------------------------

    void fileStoreIsPrivate() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString folder = dir.filePath(QStringLiteral("config"));
        // Even with a umask that would leave new files open to everyone, the secrets never are.
        const mode_t oldMask = ::umask(0);
        auto store = SecretStore::openFile(folder);
        const auto stored = store->store(QStringLiteral("owner:x"), QStringLiteral("s3cret-token"));
        ::umask(oldMask);
        QVERIFY2(stored.ok(), qPrintable(stored.message));
        QCOMPARE(store->backendName(), QStringLiteral("file"));
        QCOMPARE(modeBits(folder), kFolder0700);
        const QString file = folder + QStringLiteral("/secrets.json");
        QCOMPARE(modeBits(file), kFile0600);

        QCOMPARE(store->load(QStringLiteral("owner:x")).value(), QStringLiteral("s3cret-token"));
        QCOMPARE(store->load(QStringLiteral("owner:y")).error().kind, ErrorKind::NotFound);
        QVERIFY(store->store(QStringLiteral("owner:x"), QStringLiteral("replaced")).ok());
        QVERIFY(store->store(QStringLiteral("link:x"), QStringLiteral("https://r/s/i#k")).ok());
        QCOMPARE(modeBits(file), kFile0600); // replaced atomically, still 0600

        // A second store on the same folder (another process) sees the same secrets.
        auto other = SecretStore::openFile(folder);
        QCOMPARE(other->load(QStringLiteral("owner:x")).value(), QStringLiteral("replaced"));
        QCOMPARE(other->load(QStringLiteral("link:x")).value(), QStringLiteral("https://r/s/i#k"));
        QVERIFY(other->remove(QStringLiteral("owner:x")).ok());
        QVERIFY(other->remove(QStringLiteral("owner:x")).ok()); // nothing there: fine
        QCOMPARE(store->load(QStringLiteral("owner:x")).error().kind, ErrorKind::NotFound);
        QCOMPARE(store->load(QStringLiteral("link:x")).value(), QStringLiteral("https://r/s/i#k"));
    }

    void fileStoreRefusesReadableFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto store = SecretStore::openFile(dir.path());
        QVERIFY(store->store(QStringLiteral("k"), QStringLiteral("v")).ok());
        const QString file = dir.filePath(QStringLiteral("secrets.json"));
        const QByteArray before = readAll(file);
        for (const auto extra : {QFile::ReadOther, QFile::ReadGroup, QFile::WriteGroup}) {
            QVERIFY(QFile::setPermissions(file, kFile0600 | extra));
            const auto loaded = store->load(QStringLiteral("k"));
            QCOMPARE(loaded.error().kind, ErrorKind::LocalIo);
            QCOMPARE(loaded.error().code, QStringLiteral("secrets.insecure_file"));
            QVERIFY(!loaded.error().message.contains(QStringLiteral("\"v\"")));
            QVERIFY(!store->store(QStringLiteral("k2"), QStringLiteral("v2")).ok());
            QCOMPARE(readAll(file), before); // refused, not rewritten
        }
        QVERIFY(QFile::setPermissions(file, kFile0600));
        QCOMPARE(store->load(QStringLiteral("k")).value(), QStringLiteral("v"));
    }

    void fileStoreRefusesOpenFolderAndDamagedFile() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QVERIFY(QFile::setPermissions(dir.path(),
                                      kFolder0700 | QFile::WriteOther | QFile::ReadOther | QFile::ExeOther));
        auto store = SecretStore::openFile(dir.path());
        QCOMPARE(store->store(QStringLiteral("k"), QStringLiteral("v")).code,
                 QStringLiteral("config.insecure_folder"));
        QVERIFY(!QFileInfo::exists(dir.filePath(QStringLiteral("secrets.json"))));
        QVERIFY(QFile::setPermissions(dir.path(), kFolder0700));

        const QString file = dir.filePath(QStringLiteral("secrets.json"));
        {
            QFile damaged(file);
            QVERIFY(damaged.open(QIODevice::WriteOnly));
            damaged.write("{\"k\": \"v\""); // cut short
            QVERIFY(damaged.setPermissions(kFile0600));
        }
        QCOMPARE(store->load(QStringLiteral("k")).error().code, QStringLiteral("secrets.corrupt"));
        QVERIFY(!store->store(QStringLiteral("k2"), QStringLiteral("v2")).ok());
        QCOMPARE(readAll(file), QByteArray("{\"k\": \"v\""));
    }

    // No Secret Service on this machine: auto must settle on the file store at once, and a forced
    // keychain must fail with an error rather than hang or fall back.
    void autoFallsBackQuicklyWithoutKeychain() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const ScopedEnv config("OTS_CONFIG_DIR", dir.path().toUtf8());
        const ScopedEnv bus("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/ots-test-bus");
        {
            const ScopedEnv choice("OTS_SECRET_STORE", {}, false);
            QElapsedTimer timer;
            timer.start();
            auto store = SecretStore::open();
            QVERIFY2(timer.elapsed() < 2000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
            QCOMPARE(store->backendName(), QStringLiteral("file"));
            QVERIFY(store->store(QStringLiteral("k"), QStringLiteral("v")).ok());
            QCOMPARE(modeBits(dir.filePath(QStringLiteral("secrets.json"))), kFile0600);
            QCOMPARE(SecretStore::open()->load(QStringLiteral("k")).value(), QStringLiteral("v"));
        }
        {
            const ScopedEnv choice("OTS_SECRET_STORE", "keychain");
            auto store = SecretStore::open();
            QCOMPARE(store->backendName(), QStringLiteral("keychain"));
            QElapsedTimer timer;
            timer.start();
            const auto stored = store->store(QStringLiteral("k"), QStringLiteral("v"));
            QVERIFY(!stored.ok());
            QCOMPARE(stored.kind, ErrorKind::LocalIo);
            QVERIFY(!stored.message.isEmpty());
            QVERIFY2(timer.elapsed() < 5000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
        }
        {
            const ScopedEnv choice("OTS_SECRET_STORE", "file");
            QCOMPARE(SecretStore::open()->backendName(), QStringLiteral("file"));
        }
    }

    // --- the history on its own --------------------------------------------------------------

    void addFindPersist() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString relay = QStringLiteral("http://127.0.0.1:9");
        const QString id = randomB64u(16);
        const QString token = randomB64u(32);
        const SendResult sent = sendResult(relay + QLatin1Char('/'), id, token, 3);
        {
            auto history = openHistory(dir.path());
            QVERIFY(history->loadError().ok());
            QVERIFY(history->entries().isEmpty());
            QSignalSpy changed(history.get(), &ShareHistory::changed);
            QVERIFY(history->add(sent).ok());
            QCOMPARE(changed.count(), 1);
            QCOMPARE(history->entries().size(), 1);
            QCOMPARE(history->secretBackend(), QStringLiteral("file"));
        }
        auto history = openHistory(dir.path()); // a new instance: read back from the files
        QCOMPARE(history->entries().size(), 1);
        const HistoryEntry entry = history->entries().constFirst();
        QCOMPARE(entry.relayUrl, relay);
        QCOMPARE(entry.id, id);
        QCOMPARE(entry.key(), relay + QLatin1Char('/') + id);
        QCOMPARE(entry.localName, QStringLiteral("report.pdf"));
        QCOMPARE(entry.createdAt, sent.createdAt);
        QCOMPARE(entry.expiresAt, sent.expiresAt);
        QCOMPARE(entry.maxDownloads, 3);
        QCOMPARE(entry.payloadBytes, std::uint64_t{1000});
        QCOMPARE(entry.state, QStringLiteral("waiting"));
        QCOMPARE(entry.downloadsLeft, 3);
        QCOMPARE(history->ownerToken(entry).value(), token);
        QCOMPARE(history->link(entry).value(), sent.link);

        QCOMPARE(history->find(id).value().id, id);
        QCOMPARE(history->find(QStringLiteral("  ") + id + QStringLiteral("\n")).value().id, id);
        QCOMPARE(history->find(sent.link).value().id, id);
        QCOMPARE(history->find(relay + QStringLiteral("/s/") + id).value().id, id); // link without secret
        QCOMPARE(history->find(relay + QLatin1Char('/') + id).value().id, id);
        QCOMPARE(history->find(QStringLiteral("HTTP://127.0.0.1:9/") + id).value().id, id);
        QCOMPARE(history->find(randomB64u(16)).error().kind, ErrorKind::NotFound);
        QCOMPARE(history->find(QStringLiteral("http://127.0.0.1:10/") + id).error().kind,
                 ErrorKind::NotFound);
        const auto missing = history->find(QStringLiteral("http://127.0.0.1:10/s/") + id +
                                           QStringLiteral("#") + randomB64u(32));
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
        QVERIFY(!missing.error().message.contains(id)); // a link given is never repeated
        QCOMPARE(history->find(QString()).error().kind, ErrorKind::NotFound);

        // Nothing secret in history.json, which is private and replaced atomically.
        const QString file = dir.filePath(QStringLiteral("history.json"));
        QCOMPARE(modeBits(file), kFile0600);
        const QByteArray json = readAll(file);
        QVERIFY(json.contains(id.toUtf8()));
        QVERIFY(!json.contains(token.toUtf8()));
        QVERIFY(!json.contains(sent.link.section(QLatin1Char('#'), 1).toUtf8()));
        QVERIFY(!json.contains("/s/"));
    }

    void newestFirstAndForget() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        SendResult older = sendResult(QStringLiteral("http://127.0.0.1:9"), randomB64u(16), randomB64u(32));
        older.createdAt -= 100;
        const SendResult newer =
            sendResult(QStringLiteral("http://127.0.0.1:9"), randomB64u(16), randomB64u(32));
        QVERIFY(history->add(older).ok());
        QVERIFY(history->add(newer).ok());
        QCOMPARE(history->entries().size(), 2);
        QCOMPARE(history->entries().at(0).id, newer.id);
        QCOMPARE(history->entries().at(1).id, older.id);

        const HistoryEntry gone = history->find(newer.id).value();
        QVERIFY(history->forget(gone).ok());
        QCOMPARE(history->entries().size(), 1);
        QCOMPARE(history->find(newer.id).error().kind, ErrorKind::NotFound);
        QCOMPARE(history->ownerToken(gone).error().kind, ErrorKind::NotFound);
        QCOMPARE(history->link(gone).error().kind, ErrorKind::NotFound);
        QVERIFY(!readAll(dir.filePath(QStringLiteral("secrets.json"))).contains(newer.ownerToken.toUtf8()));
        QCOMPARE(openHistory(dir.path())->entries().size(), 1);
    }

    // Two programs (the app and the CLI) adding at once: neither loses the other's share.
    void twoInstancesKeepEachOthersShares() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto first = openHistory(dir.path());
        auto second = openHistory(dir.path());
        QVERIFY(first->add(sendResult(QStringLiteral("http://127.0.0.1:9"), randomB64u(16), randomB64u(32)))
                    .ok());
        QVERIFY(second->add(sendResult(QStringLiteral("http://127.0.0.1:9"), randomB64u(16), randomB64u(32)))
                    .ok());
        QCOMPARE(second->entries().size(), 2);
        QCOMPARE(first->entries().size(), 1);
        QVERIFY(first->reload().ok());
        QCOMPARE(first->entries().size(), 2);
    }

    void damagedHistoryIsRefusedNotDropped() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString file = dir.filePath(QStringLiteral("history.json"));
        const QList<QByteArray> damaged = {"not json", "{\"relay\": \"x\"}", "[{\"relay\": \"http://a\"}]",
                                           "[{\"relay\": \"http://a\", \"id\": 5}]", "[1, 2]"};
        for (const QByteArray& content : damaged) {
            {
                QFile out(file);
                QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
                out.write(content);
            }
            auto history = openHistory(dir.path());
            const auto error = history->loadError();
            QCOMPARE(error.kind, ErrorKind::LocalIo);
            QCOMPARE(error.code, QStringLiteral("history.corrupt"));
            QVERIFY(error.message.contains(file));
            QVERIFY(history->entries().isEmpty());
            const SendResult sent =
                sendResult(QStringLiteral("http://127.0.0.1:9"), randomB64u(16), randomB64u(32));
            QCOMPARE(history->add(sent).code, QStringLiteral("history.corrupt"));
            QCOMPARE(readAll(file), content); // never overwritten
            QVERIFY(
                !readAll(dir.filePath(QStringLiteral("secrets.json"))).contains(sent.ownerToken.toUtf8()));
        }
        // Unknown fields and states from another version are tolerated.
        {
            QFile out(file);
            QVERIFY(out.open(QIODevice::WriteOnly | QIODevice::Truncate));
            out.write("[{\"relay\": \"http://127.0.0.1:9\", \"id\": \"abc\", \"state\": \"teleported\", "
                      "\"future\": true}]");
        }
        auto history = openHistory(dir.path());
        QVERIFY(history->loadError().ok());
        QCOMPARE(history->entries().size(), 1);
        QCOMPARE(history->entries().constFirst().state, QStringLiteral("unknown"));
    }

    // --- against the relay -------------------------------------------------------------------

    void refreshAndRevoke() {
        TestShare share = TestShare::make({.payloadBytes = 1000, .expiresIn = 3600, .maxDownloads = 2});
        QVERIFY(makeReadyShare(share));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        const QString id = QString::fromLatin1(share.id);
        QVERIFY(history->add(sendResult(m_relayUrl, id, QString::fromLatin1(share.ownerToken), 2)).ok());

        const auto refreshed = history->refresh(history->find(id).value());
        QVERIFY2(refreshed.ok(), qPrintable(refreshed.message));
        HistoryEntry entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("waiting"));
        QCOMPARE(entry.downloadsLeft, 2);
        QCOMPARE(entry.downloadsFinished, 0);
        QCOMPARE(entry.attemptsLeft, 3);
        QCOMPARE(entry.expiresAt, static_cast<std::int64_t>(share.expiresAt));
        QVERIFY(entry.lastError.isEmpty());
        QVERIFY(entry.refreshedAt > 0);

        QSignalSpy changed(history.get(), &ShareHistory::changed);
        const auto revoked = history->revoke(entry);
        QVERIFY2(revoked.ok(), qPrintable(revoked.message));
        QCOMPARE(changed.count(), 1);
        QCOMPARE(history->find(id).value().state, QStringLiteral("deleted"));
        OTS_EXPECT_ERROR(m_fixture.client().info(share.id), 410, "deleted");
        ots::client::RelayClient client{QUrl(m_relayUrl)};
        QCOMPARE(client.info(id).error().kind, ErrorKind::Deleted);

        // Revoking again, and refreshing, keep it deleted without an error.
        QVERIFY(history->revoke(history->find(id).value()).ok());
        QVERIFY(history->refresh(history->find(id).value()).ok());
        entry = openHistory(dir.path())->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("deleted"));
        QCOMPARE(entry.downloadsLeft, 0);
        QVERIFY(!readAll(dir.filePath(QStringLiteral("history.json"))).contains(share.ownerToken));
    }

    void downloadedIsNoticedOnce() {
        TestShare share = TestShare::make({.payloadBytes = 1000, .expiresIn = 3600, .maxDownloads = 1});
        QVERIFY(makeReadyShare(share));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        const QString id = QString::fromLatin1(share.id);
        QVERIFY(history->add(sendResult(m_relayUrl, id, QString::fromLatin1(share.ownerToken))).ok());
        QVERIFY(history->refresh(history->find(id).value()).ok());
        QCOMPARE(history->find(id).value().state, QStringLiteral("waiting"));

        const auto reservation = m_fixture.client().prove(share, "reservations");
        OTS_EXPECT_STATUS(reservation, 201);
        const QByteArray ticket = ots::relaytest::RelayClient::ticketOf(reservation);
        const auto download = m_fixture.client().download(share.id, ticket);
        OTS_EXPECT_STATUS(download, 200);
        QCOMPARE(download.body, share.ciphertext);
        OTS_EXPECT_STATUS(m_fixture.client().finish(share.id, ticket), 200);

        QSignalSpy downloaded(history.get(), &ShareHistory::shareDownloaded);
        QVERIFY(history->refresh(history->find(id).value()).ok());
        const HistoryEntry entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("downloaded"));
        QCOMPARE(entry.downloadsFinished, 1);
        QCOMPARE(entry.downloadsLeft, 0);
        QCOMPARE(downloaded.count(), 1);
        QCOMPARE(downloaded.at(0).at(0).value<HistoryEntry>().id, id);
        QVERIFY(history->refreshAll().ok()); // not live any more: not asked again
        QVERIFY(history->refresh(entry).ok());
        QCOMPARE(downloaded.count(), 1);
    }

    void lockedThenUnlocked() {
        // Only a share with a password can lock (SPEC §3.5).
        TestShare share =
            TestShare::make({.payloadBytes = 1000, .expiresIn = 3600, .maxDownloads = 1, .password = true});
        QVERIFY(makeReadyShare(share));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        const QString id = QString::fromLatin1(share.id);
        QVERIFY(history->add(sendResult(m_relayUrl, id, QString::fromLatin1(share.ownerToken))).ok());

        const auto stranger = TestShare::strangerKeys();
        for (int attempt = 0; attempt < 3; ++attempt)
            OTS_EXPECT_ERROR(m_fixture.client().prove(share, "metadata", stranger.get()), 403,
                             "proof_invalid");
        QCOMPARE(m_fixture.client().prove(share, "metadata").status, 423);

        QVERIFY(history->refresh(history->find(id).value()).ok());
        HistoryEntry entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("locked"));
        QCOMPARE(entry.attemptsLeft, 0);

        const auto unlocked = history->unlock(entry);
        QVERIFY2(unlocked.ok(), qPrintable(unlocked.message));
        entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("waiting"));
        QCOMPARE(entry.attemptsLeft, 3);
        OTS_EXPECT_STATUS(m_fixture.client().prove(share, "metadata"), 200);
        QVERIFY(history->refresh(entry).ok());
        QCOMPARE(history->find(id).value().state, QStringLiteral("waiting"));
    }

    void expired() {
        TestShare share = TestShare::make({.payloadBytes = 1000, .expiresIn = 1, .maxDownloads = 1});
        QVERIFY(makeReadyShare(share));
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        const QString id = QString::fromLatin1(share.id);
        QVERIFY(
            history
                ->add(sendResult(m_relayUrl, id, QString::fromLatin1(share.ownerToken), 1, share.expiresAt))
                .ok());
        QVERIFY(ots::relaytest::waitUntil([&] { return m_fixture.client().info(share.id).status == 410; },
                                          10'000));
        QVERIFY(history->refresh(history->find(id).value()).ok());
        const HistoryEntry entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("expired"));
        QCOMPARE(entry.downloadsLeft, 0);
        QVERIFY(entry.lastError.isEmpty());
        // Revoking an expired share succeeds: it is gone either way (the relay may still delete an
        // expired share it has not swept yet, and then says deleted).
        QVERIFY(history->revoke(entry).ok());
        const QString revoked = history->find(id).value().state;
        QVERIFY2(revoked == QStringLiteral("expired") || revoked == QStringLiteral("deleted"),
                 qPrintable(revoked));
    }

    void relayDownKeepsState() {
        RelayProcess relay;
        QTemporaryDir data;
        QVERIFY(data.isValid());
        QVERIFY2(relay.start(m_fixture.redis.port(), data.path()), qPrintable(relay.error()));
        const QString relayUrl = QStringLiteral("http://127.0.0.1:%1").arg(relay.port());
        TestShare share = TestShare::make({.payloadBytes = 1000, .expiresIn = 3600, .maxDownloads = 1});
        OTS_EXPECT_STATUS(relay.client().createReady(share), 200);

        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        auto history = openHistory(dir.path());
        const QString id = QString::fromLatin1(share.id);
        QVERIFY(history->add(sendResult(relayUrl, id, QString::fromLatin1(share.ownerToken))).ok());
        QVERIFY(history->refresh(history->find(id).value(), quickRetry()).ok());
        QCOMPARE(history->find(id).value().attemptsLeft, 5);

        relay.stop();
        const std::int64_t before = history->find(id).value().refreshedAt;
        const auto failed = history->refresh(history->find(id).value(), quickRetry());
        QCOMPARE(failed.kind, ErrorKind::Network);
        const HistoryEntry entry = history->find(id).value();
        QCOMPARE(entry.state, QStringLiteral("waiting"));
        QCOMPARE(entry.attemptsLeft, 5);
        QVERIFY(!entry.lastError.isEmpty());
        QVERIFY(entry.refreshedAt >= before);
        QCOMPARE(history->refreshAll(quickRetry()).kind, ErrorKind::Network);
        QCOMPARE(history->revoke(entry, quickRetry()).kind, ErrorKind::Network);
        QCOMPARE(history->find(id).value().state, QStringLiteral("waiting"));
        QVERIFY(!openHistory(dir.path())->find(id).value().lastError.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestHistory)
#include "tst_history.moc"
