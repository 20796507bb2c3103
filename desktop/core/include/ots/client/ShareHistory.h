#pragma once

// What this user sent: one record per share in history.json (configDirectory(), 0600), holding
// nothing secret (local name, relay, id, sizes, expiry, limit, last known state). The owner token and
// the link of each share are in the SecretStore under "owner:<relay>/<id>" and "link:<relay>/<id>".
// refresh() asks the relay for the owner status; revoke() deletes the share there. Blocking calls
// (they talk to the relay): the GUI runs them off its thread, e.g. with QtConcurrent.

#include "ots/client/ClientError.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SecretStore.h"
#include "ots/client/SendJob.h"

#include <QList>
#include <QMutex>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace ots::client {

struct HistoryEntry {
    QString relayUrl;
    QString id;
    QString localName;
    std::int64_t createdAt = 0;
    std::int64_t expiresAt = 0;
    int maxDownloads = 1;
    bool passwordProtected = false;
    std::uint64_t payloadBytes = 0;
    /// "uploading", "waiting" (ready, downloads left), "downloaded", "locked", "expired", "deleted",
    /// "unknown" (never refreshed or the relay could not be reached).
    QString state = QStringLiteral("waiting");
    int downloadsFinished = 0;
    int downloadsLeft = 0;
    int attemptsLeft = -1;
    std::int64_t refreshedAt = 0;
    QString lastError; ///< last refresh failure, for people; empty when fine

    /// "relay/id": the key of this record.
    [[nodiscard]] QString key() const;
    /// relay URL in the form records use: lower-case scheme and host, no default port, no trailing slash.
    [[nodiscard]] static QString normalizeRelayUrl(const QString& relayUrl);
};

class ShareHistory : public QObject {
    Q_OBJECT
public:
    /// folder: where history.json lives (default configDirectory()); secrets: default SecretStore::open().
    explicit ShareHistory(const QString& folder = {}, std::unique_ptr<SecretStore> secrets = {},
                          QObject* parent = nullptr);
    ~ShareHistory() override;

    [[nodiscard]] ClientError add(const SendResult& sent);
    [[nodiscard]] QList<HistoryEntry> entries() const; ///< newest first
    /// Finds by id, full link, or relay/id. NotFound when absent.
    [[nodiscard]] Outcome<HistoryEntry> find(const QString& linkOrId) const;
    [[nodiscard]] Outcome<QString> link(const HistoryEntry& entry) const;
    [[nodiscard]] Outcome<QString> ownerToken(const HistoryEntry& entry) const;

    /// Owner status from the relay → state, downloads, attempts. A 410 sets expired/deleted/downloaded.
    [[nodiscard]] ClientError refresh(const HistoryEntry& entry, const RetryPolicy& retry = {});
    /// refresh() for every entry still live; returns the first error but tries all.
    [[nodiscard]] ClientError refreshAll(const RetryPolicy& retry = {});
    /// DELETE on the relay; the record stays, state "deleted".
    [[nodiscard]] ClientError revoke(const HistoryEntry& entry, const RetryPolicy& retry = {});
    [[nodiscard]] ClientError unlock(const HistoryEntry& entry, const RetryPolicy& retry = {});
    /// Removes the record and its secrets locally (the share on the relay is untouched).
    [[nodiscard]] ClientError forget(const HistoryEntry& entry);

    [[nodiscard]] QString secretBackend() const;

    /// Why the history could not be read when this object was made or last reloaded (a damaged
    /// history.json, a folder others can write to); None when it loaded. While set, entries() is
    /// empty and every change is refused, so a damaged file is never overwritten.
    [[nodiscard]] ClientError loadError() const;
    /// Reads history.json again (e.g. after another process added a share); emits changed().
    [[nodiscard]] ClientError reload();

Q_SIGNALS:
    void changed();
    /// A refresh found that a share went from waiting to downloaded (for the tray notification).
    void shareDownloaded(const ots::client::HistoryEntry& entry);

private:
    using Change = std::function<ClientError(QList<HistoryEntry>& entries)>;

    [[nodiscard]] QString filePath() const;
    /// Reads history.json (a missing file is an empty history); a damaged one is an error.
    [[nodiscard]] Outcome<QList<HistoryEntry>> readFile() const;
    [[nodiscard]] ClientError load();
    [[nodiscard]] ClientError save(const QList<HistoryEntry>& entries) const;
    /// Under the lock file: reads the file again (another process may have added shares), applies
    /// change, saves and keeps the result. Nothing is written when change or the read fails.
    [[nodiscard]] ClientError modify(const Change& change);
    /// Replaces the record with entry's key (a record forgotten meanwhile stays forgotten); the
    /// state the record had just before, as read under the lock (so one change is reported once).
    [[nodiscard]] Outcome<QString> update(const HistoryEntry& entry);
    /// The current record with entry's key, NotFound when it is not in the history.
    [[nodiscard]] Outcome<HistoryEntry> current(const HistoryEntry& entry) const;
    [[nodiscard]] Outcome<QString> secret(const QString& kind, const HistoryEntry& entry) const;
    /// What an owner's call did to the record, and the error to report.
    using OwnerCall =
        std::function<ClientError(RelayClient& client, const QString& ownerToken, HistoryEntry& record)>;
    /// An owner's call about one share (refresh, revoke, unlock): the record as stored now, its owner
    /// token and a client for its relay go to `call`, which changes the record; the record is then
    /// stored with the time of the answer and changed() sent (shareDownloaded() too when it went from
    /// waiting to downloaded). An error of the steps around the call comes before the call's own.
    [[nodiscard]] ClientError callAsOwner(const HistoryEntry& entry, const RetryPolicy& retry,
                                          const OwnerCall& call);

    QString m_folder;
    std::unique_ptr<SecretStore> m_secrets;
    mutable QMutex m_mutex;
    QList<HistoryEntry> m_entries;
    ClientError m_loadError;
};

} // namespace ots::client

Q_DECLARE_METATYPE(ots::client::HistoryEntry)
