#include "ots/client/ShareHistory.h"

#include "PrivateFiles.h"
#include "ots/ShareLink.h"
#include "ots/client/Settings.h"

#include <QDateTime>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLockFile>
#include <QMutexLocker>
#include <QUrl>

#include <algorithm>
#include <utility>

namespace ots::client {
namespace {

const QString kUploading = QStringLiteral("uploading");
const QString kWaiting = QStringLiteral("waiting");
const QString kDownloaded = QStringLiteral("downloaded");
const QString kLocked = QStringLiteral("locked");
const QString kExpired = QStringLiteral("expired");
const QString kDeleted = QStringLiteral("deleted");
const QString kUnknown = QStringLiteral("unknown");

std::int64_t now() {
    return QDateTime::currentSecsSinceEpoch();
}

bool isKnownState(const QString& state) {
    return state == kUploading || state == kWaiting || state == kDownloaded || state == kLocked ||
           state == kExpired || state == kDeleted || state == kUnknown;
}

bool isLive(const QString& state) {
    return state == kUploading || state == kWaiting || state == kLocked || state == kUnknown;
}

QJsonObject toJson(const HistoryEntry& entry) {
    return QJsonObject{
        {QStringLiteral("relay"), entry.relayUrl},
        {QStringLiteral("id"), entry.id},
        {QStringLiteral("name"), entry.localName},
        {QStringLiteral("createdAt"), static_cast<qint64>(entry.createdAt)},
        {QStringLiteral("expiresAt"), static_cast<qint64>(entry.expiresAt)},
        {QStringLiteral("maxDownloads"), entry.maxDownloads},
        {QStringLiteral("passwordProtected"), entry.passwordProtected},
        {QStringLiteral("payloadBytes"), static_cast<qint64>(entry.payloadBytes)},
        {QStringLiteral("state"), entry.state},
        {QStringLiteral("downloadsFinished"), entry.downloadsFinished},
        {QStringLiteral("downloadsLeft"), entry.downloadsLeft},
        {QStringLiteral("attemptsLeft"), entry.attemptsLeft},
        {QStringLiteral("refreshedAt"), static_cast<qint64>(entry.refreshedAt)},
        {QStringLiteral("lastError"), entry.lastError},
    };
}

// A record of the file; nullopt when it lacks its relay or id or a field has the wrong type.
std::optional<HistoryEntry> fromJson(const QJsonValue& value) {
    if (!value.isObject())
        return std::nullopt;
    const QJsonObject object = value.toObject();
    const auto text = [&object](const QString& name, bool& ok) {
        const QJsonValue field = object.value(name);
        ok = ok && (field.isUndefined() || field.isString());
        return field.toString();
    };
    const auto integer = [&object](const QString& name, qint64 fallback, bool& ok) {
        const QJsonValue field = object.value(name);
        ok = ok && (field.isUndefined() || field.isDouble());
        return field.toInteger(fallback);
    };
    bool ok = true;
    HistoryEntry entry;
    entry.relayUrl = text(QStringLiteral("relay"), ok);
    entry.id = text(QStringLiteral("id"), ok);
    entry.localName = text(QStringLiteral("name"), ok);
    entry.createdAt = integer(QStringLiteral("createdAt"), 0, ok);
    entry.expiresAt = integer(QStringLiteral("expiresAt"), 0, ok);
    entry.maxDownloads = static_cast<int>(integer(QStringLiteral("maxDownloads"), 1, ok));
    const QJsonValue password = object.value(QStringLiteral("passwordProtected"));
    ok = ok && (password.isUndefined() || password.isBool());
    entry.passwordProtected = password.toBool(false);
    const qint64 payload = integer(QStringLiteral("payloadBytes"), 0, ok);
    entry.payloadBytes = static_cast<std::uint64_t>(std::max<qint64>(payload, 0));
    entry.state = text(QStringLiteral("state"), ok);
    entry.downloadsFinished = static_cast<int>(integer(QStringLiteral("downloadsFinished"), 0, ok));
    entry.downloadsLeft = static_cast<int>(integer(QStringLiteral("downloadsLeft"), 0, ok));
    entry.attemptsLeft = static_cast<int>(integer(QStringLiteral("attemptsLeft"), -1, ok));
    entry.refreshedAt = integer(QStringLiteral("refreshedAt"), 0, ok);
    entry.lastError = text(QStringLiteral("lastError"), ok);
    if (!ok || entry.relayUrl.isEmpty() || entry.id.isEmpty())
        return std::nullopt;
    if (!isKnownState(entry.state))
        entry.state = kUnknown; // a state a newer version wrote: refresh() will tell
    return entry;
}

void sortNewestFirst(QList<HistoryEntry>& entries) {
    std::stable_sort(entries.begin(), entries.end(),
                     [](const HistoryEntry& a, const HistoryEntry& b) { return a.createdAt > b.createdAt; });
}

// The owner status of a live share.
void applyStatus(HistoryEntry& entry, const ShareInfo& info) {
    if (info.state == kUploading)
        entry.state = kUploading;
    else if (info.locked || info.state == kLocked)
        entry.state = kLocked;
    else
        entry.state = kWaiting;
    entry.downloadsLeft = info.downloadsLeft;
    entry.downloadsFinished = info.downloadsFinished;
    entry.attemptsLeft = info.attemptsLeft;
    if (info.expiresAt > 0)
        entry.expiresAt = info.expiresAt;
    entry.lastError.clear();
}

// A share the relay no longer has: the state its answer (or the record) implies. True when that
// settles it; false when the failure says nothing about the share (network, token …).
bool applyGone(HistoryEntry& entry, const ClientError& error) {
    switch (error.kind) {
    case ErrorKind::Expired:
        entry.state = kExpired;
        break;
    case ErrorKind::Deleted:
        entry.state = kDeleted;
        break;
    case ErrorKind::Downloaded:
        entry.state = kDownloaded;
        entry.downloadsFinished = entry.maxDownloads;
        break;
    case ErrorKind::NotFound:
        // Tombstones outlive a share only for a while; after that the relay forgets it entirely.
        if (entry.state == kDeleted || entry.state == kExpired || entry.state == kDownloaded)
            break;
        if (entry.expiresAt > 0 && now() >= entry.expiresAt) {
            entry.state = kExpired;
            break;
        }
        return false;
    default:
        return false;
    }
    entry.downloadsLeft = 0;
    entry.lastError.clear();
    return true;
}

} // namespace

QString HistoryEntry::normalizeRelayUrl(const QString& relayUrl) {
    QString text = relayUrl.trimmed();
    const QUrl url(text);
    if (!url.isValid() || url.host().isEmpty()) {
        while (text.endsWith(QLatin1Char('/')))
            text.chop(1);
        return text;
    }
    const QString scheme = url.scheme().toLower();
    int port = url.port();
    if ((scheme == QStringLiteral("https") && port == 443) ||
        (scheme == QStringLiteral("http") && port == 80))
        port = -1;
    QUrl base;
    base.setScheme(scheme);
    base.setHost(url.host().toLower());
    base.setPort(port);
    return base.toString(QUrl::FullyEncoded);
}

QString HistoryEntry::key() const {
    return normalizeRelayUrl(relayUrl) + QLatin1Char('/') + id;
}

ShareHistory::ShareHistory(const QString& folder, std::unique_ptr<SecretStore> secrets, QObject* parent)
    : QObject(parent)
    , m_folder(folder.isEmpty() ? configDirectory() : QDir::cleanPath(QDir(folder).absolutePath()))
    , m_secrets(secrets ? std::move(secrets) : SecretStore::open()) {
    if (ClientError error = load())
        qWarning("The share history is not used: %s", qUtf8Printable(error.message));
}

ShareHistory::~ShareHistory() = default;

QString ShareHistory::filePath() const {
    return m_folder + QStringLiteral("/history.json");
}

QString ShareHistory::secretBackend() const {
    return m_secrets->backendName();
}

ClientError ShareHistory::loadError() const {
    const QMutexLocker locker(&m_mutex);
    return m_loadError;
}

Outcome<QList<HistoryEntry>> ShareHistory::readFile() const {
    auto data = privatefiles::read(filePath(), false);
    if (!data.ok()) {
        if (data.error().kind == ErrorKind::NotFound)
            return QList<HistoryEntry>{};
        return data.error();
    }
    const auto corrupt = [this](const QString& why) {
        return ClientError::make(
            ErrorKind::LocalIo, QStringLiteral("history.corrupt"),
            QStringLiteral("The share history %1 is damaged (%2), so it is left untouched. "
                           "Repair or move it away to start a new history.")
                .arg(filePath(), why));
    };
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(data.value(), &parseError);
    if (parseError.error != QJsonParseError::NoError)
        return corrupt(parseError.errorString());
    if (!document.isArray())
        return corrupt(QStringLiteral("not a list of shares"));
    QList<HistoryEntry> entries;
    const QJsonArray array = document.array();
    for (qsizetype i = 0; i < array.size(); ++i) {
        auto entry = fromJson(array.at(i));
        if (!entry)
            return corrupt(QStringLiteral("record %1 is not a share").arg(i + 1));
        entries.append(std::move(*entry));
    }
    sortNewestFirst(entries);
    return entries;
}

ClientError ShareHistory::load() {
    ClientError error = checkPrivateFolder(m_folder);
    QList<HistoryEntry> entries;
    if (!error) {
        QLockFile lock(filePath() + QStringLiteral(".lock"));
        if (!lock.tryLock(privatefiles::kLockWaitMs)) {
            error = ClientError::make(ErrorKind::LocalIo, QStringLiteral("history.locked"),
                                      QStringLiteral("The share history %1 is in use by another OneTimeShare "
                                                     "program; try again in a moment.")
                                          .arg(filePath()));
        } else {
            auto read = readFile();
            if (read.ok())
                entries = std::move(read).value();
            else
                error = read.error();
        }
    }
    const QMutexLocker locker(&m_mutex);
    m_loadError = error;
    m_entries = error ? QList<HistoryEntry>{} : entries;
    return error;
}

ClientError ShareHistory::reload() {
    ClientError error = load();
    Q_EMIT changed();
    return error;
}

ClientError ShareHistory::save(const QList<HistoryEntry>& entries) const {
    QJsonArray array;
    for (const HistoryEntry& entry : entries)
        array.append(toJson(entry));
    return privatefiles::write(filePath(), QJsonDocument(array).toJson(QJsonDocument::Indented));
}

ClientError ShareHistory::modify(const Change& change) {
    const QMutexLocker locker(&m_mutex);
    if (m_loadError)
        return m_loadError;
    if (ClientError error = checkPrivateFolder(m_folder))
        return error;
    QLockFile lock(filePath() + QStringLiteral(".lock"));
    if (!lock.tryLock(privatefiles::kLockWaitMs))
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("history.locked"),
                                 QStringLiteral("The share history %1 is in use by another OneTimeShare "
                                                "program; try again in a moment.")
                                     .arg(filePath()));
    auto read = readFile();
    if (!read.ok())
        return read.error();
    QList<HistoryEntry> entries = std::move(read).value();
    if (ClientError error = change(entries))
        return error;
    sortNewestFirst(entries);
    if (ClientError error = save(entries))
        return error;
    m_entries = std::move(entries);
    return {};
}

Outcome<QString> ShareHistory::update(const HistoryEntry& entry) {
    const QString key = entry.key();
    QString before;
    const ClientError error = modify([&](QList<HistoryEntry>& entries) -> ClientError {
        for (HistoryEntry& record : entries) {
            if (record.key() == key) {
                before = record.state;
                record = entry;
                return {};
            }
        }
        return ClientError::make(ErrorKind::NotFound, QStringLiteral("history.not_found"),
                                 QStringLiteral("This share is no longer in your history."));
    });
    if (error)
        return error;
    return before;
}

Outcome<HistoryEntry> ShareHistory::current(const HistoryEntry& entry) const {
    const QString key = entry.key();
    const QMutexLocker locker(&m_mutex);
    for (const HistoryEntry& record : m_entries)
        if (record.key() == key)
            return record;
    return ClientError::make(ErrorKind::NotFound, QStringLiteral("history.not_found"),
                             QStringLiteral("This share is not in your history."));
}

QList<HistoryEntry> ShareHistory::entries() const {
    const QMutexLocker locker(&m_mutex);
    return m_entries;
}

Outcome<HistoryEntry> ShareHistory::find(const QString& linkOrId) const {
    const QString text = linkOrId.trimmed();
    QString relay;
    QString id = text;
    if (text.contains(QStringLiteral("://"))) {
        const auto link = ShareLink::parse(text.toStdString());
        if (link.ok()) {
            relay = QString::fromStdString(link.value().relayBaseUrl());
            id = QString::fromStdString(link.value().shareIdText());
        } else {
            // relay/id, or a link without its secret (…/s/id): the id is the last path segment.
            const QString withoutFragment = text.section(QLatin1Char('#'), 0, 0);
            const qsizetype slash = withoutFragment.lastIndexOf(QLatin1Char('/'));
            relay = withoutFragment.left(slash);
            id = withoutFragment.mid(slash + 1);
            if (relay.endsWith(QStringLiteral("/s")) && QUrl(relay).path() == QStringLiteral("/s"))
                relay.chop(2);
        }
    }
    if (!id.isEmpty()) {
        const QString key = HistoryEntry::normalizeRelayUrl(relay) + QLatin1Char('/') + id;
        const QMutexLocker locker(&m_mutex);
        for (const HistoryEntry& record : m_entries)
            if (relay.isEmpty() ? record.id == id : record.key() == key)
                return record;
    }
    // The text may be a link, so it is not repeated: its fragment is the share's key.
    return ClientError::make(ErrorKind::NotFound, QStringLiteral("history.not_found"),
                             QStringLiteral("No share in your history has this id or link."));
}

Outcome<QString> ShareHistory::secret(const QString& kind, const HistoryEntry& entry) const {
    auto value = m_secrets->load(kind + QLatin1Char(':') + entry.key());
    if (value.ok() || value.error().kind != ErrorKind::NotFound)
        return value;
    const QString what =
        kind == QStringLiteral("link") ? QStringLiteral("link") : QStringLiteral("owner token");
    return ClientError::make(
        ErrorKind::NotFound, QStringLiteral("secret.not_found"),
        QStringLiteral("The %1 of this share is not in your secret store (%2); it may have "
                       "been sent from another account or computer.")
            .arg(what, m_secrets->backendName()));
}

Outcome<QString> ShareHistory::link(const HistoryEntry& entry) const {
    return secret(QStringLiteral("link"), entry);
}

Outcome<QString> ShareHistory::ownerToken(const HistoryEntry& entry) const {
    return secret(QStringLiteral("owner"), entry);
}

ClientError ShareHistory::add(const SendResult& sent) {
    if (sent.relayUrl.isEmpty() || sent.id.isEmpty() || sent.link.isEmpty() || sent.ownerToken.isEmpty())
        return ClientError::make(
            ErrorKind::Internal, QStringLiteral("history.incomplete"),
            QStringLiteral("The finished share lacks its relay, id, link or owner token, so it "
                           "cannot be added to the history."));
    if (ClientError error = loadError())
        return error;
    HistoryEntry entry;
    entry.relayUrl = HistoryEntry::normalizeRelayUrl(sent.relayUrl);
    entry.id = sent.id;
    entry.localName = sent.displayName;
    entry.createdAt = sent.createdAt > 0 ? sent.createdAt : now();
    entry.expiresAt = sent.expiresAt;
    entry.maxDownloads = sent.maxDownloads;
    entry.passwordProtected = sent.passwordProtected;
    entry.payloadBytes = sent.payloadBytes;
    entry.state = kWaiting;
    entry.downloadsLeft = sent.maxDownloads;
    entry.refreshedAt = now();
    const QString key = entry.key();
    const bool replacing = current(entry).ok();

    // Secrets first: a record never exists without its owner token.
    const QString ownerKey = QStringLiteral("owner:") + key;
    const QString linkKey = QStringLiteral("link:") + key;
    if (ClientError error = m_secrets->store(ownerKey, sent.ownerToken))
        return error;
    ClientError error = m_secrets->store(linkKey, sent.link);
    if (!error) {
        error = modify([&](QList<HistoryEntry>& entries) -> ClientError {
            entries.removeIf([&key](const HistoryEntry& record) { return record.key() == key; });
            entries.prepend(entry);
            return {};
        });
    }
    if (error) {
        if (!replacing) {
            (void)m_secrets->remove(linkKey);
            (void)m_secrets->remove(ownerKey);
        }
        return error;
    }
    Q_EMIT changed();
    return {};
}

ClientError ShareHistory::callAsOwner(const HistoryEntry& entry, const RetryPolicy& retry,
                                      const OwnerCall& call) {
    auto base = current(entry);
    if (!base.ok())
        return base.error();
    HistoryEntry record = std::move(base).value();
    const auto token = ownerToken(record);
    if (!token.ok())
        return token.error();
    RelayClient client(QUrl(record.relayUrl), retry);
    if (ClientError error = client.validate())
        return error;

    ClientError result = call(client, token.value(), record);
    record.refreshedAt = now();
    const auto before = update(record);
    if (!before.ok())
        return before.error();
    Q_EMIT changed();
    if (before.value() == kWaiting && record.state == kDownloaded)
        Q_EMIT shareDownloaded(record);
    return result;
}

ClientError ShareHistory::refresh(const HistoryEntry& entry, const RetryPolicy& retry) {
    return callAsOwner(entry, retry, [](RelayClient& client, const QString& token, HistoryEntry& record) {
        ClientError result;
        const auto status = client.ownerStatus(record.id, token);
        if (status.ok()) {
            applyStatus(record, status.value());
        } else if (!applyGone(record, status.error())) {
            result = status.error();
            record.lastError = result.message;
            if (result.kind == ErrorKind::NotFound)
                record.state = kUnknown;
        }
        return result;
    });
}

ClientError ShareHistory::refreshAll(const RetryPolicy& retry) {
    ClientError first;
    const QList<HistoryEntry> snapshot = entries();
    for (const HistoryEntry& entry : snapshot) {
        if (!isLive(entry.state))
            continue;
        const ClientError error = refresh(entry, retry);
        if (error && first.ok())
            first = error;
    }
    return first;
}

ClientError ShareHistory::revoke(const HistoryEntry& entry, const RetryPolicy& retry) {
    return callAsOwner(entry, retry, [](RelayClient& client, const QString& token, HistoryEntry& record) {
        ClientError result = client.deleteShare(record.id, token);
        if (!result) {
            record.state = kDeleted;
            record.downloadsLeft = 0;
            record.lastError.clear();
        } else if (result.kind == ErrorKind::Deleted ||
                   (result.kind == ErrorKind::NotFound && record.state != kExpired &&
                    record.state != kDownloaded)) {
            // Already gone: what the sender wanted. (A share the relay has forgotten keeps the reason
            // it was known to have gone for.)
            record.state = kDeleted;
            record.downloadsLeft = 0;
            record.lastError.clear();
            result = {};
        } else if (applyGone(record, result)) {
            result = {}; // expired or downloaded before the revoke arrived: gone all the same
        } else {
            record.lastError = result.message;
        }
        return result;
    });
}

ClientError ShareHistory::unlock(const HistoryEntry& entry, const RetryPolicy& retry) {
    return callAsOwner(entry, retry, [](RelayClient& client, const QString& token, HistoryEntry& record) {
        ClientError result;
        const auto status = client.unlock(record.id, token);
        if (status.ok()) {
            applyStatus(record, status.value());
        } else {
            result = status.error(); // a share that is gone cannot be unlocked: that stays an error
            if (!applyGone(record, result))
                record.lastError = result.message;
        }
        return result;
    });
}

ClientError ShareHistory::forget(const HistoryEntry& entry) {
    const QString key = entry.key();
    if (ClientError error = modify([&key](QList<HistoryEntry>& entries) -> ClientError {
            entries.removeIf([&key](const HistoryEntry& record) { return record.key() == key; });
            return {};
        }))
        return error;
    // The record goes first, so there is never a record whose token is missing.
    ClientError first;
    for (const QString& kind : {QStringLiteral("link:"), QStringLiteral("owner:")}) {
        const ClientError error = m_secrets->remove(kind + key);
        if (error && error.kind != ErrorKind::NotFound && first.ok())
            first = error;
    }
    Q_EMIT changed();
    return first;
}

} // namespace ots::client
