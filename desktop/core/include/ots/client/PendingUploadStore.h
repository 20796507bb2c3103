#pragma once

// Where an unfinished upload waits for Resume across a restart of the app: its share id, relay,
// inputs, stream header and ledger in pending-upload.json (configDirectory(), 0600, written
// atomically), its owner token, link secret and password in the SecretStore — never in a plain file.
// One at a time (the window sends one share at a time). Text shares are not kept: their text lives
// only in memory. Calls block on the keychain: use them off the GUI thread.

#include "ots/client/ClientError.h"
#include "ots/client/PendingUpload.h"

#include <QString>

#include <memory>
#include <optional>

namespace ots::client {

class SecretStore;

class PendingUploadStore {
public:
    /// folder: where pending-upload.json lives (default configDirectory()); secrets: default
    /// SecretStore::open().
    explicit PendingUploadStore(const QString& folder = {}, std::unique_ptr<SecretStore> secrets = {});
    ~PendingUploadStore();
    PendingUploadStore(const PendingUploadStore&) = delete;
    PendingUploadStore& operator=(const PendingUploadStore&) = delete;

    /// Replaces what was kept. A text share: Usage (its text is never written anywhere).
    [[nodiscard]] ClientError save(const PendingUpload& upload);
    /// NotFound when nothing is kept; LocalIo when the file or a secret is unusable.
    [[nodiscard]] Outcome<PendingUpload> load() const;
    /// Forgets the kept upload (file and secrets); nothing kept is no error.
    [[nodiscard]] ClientError remove();

    [[nodiscard]] QString filePath() const;

private:
    QString m_folder;
    std::unique_ptr<SecretStore> m_secrets;
};

} // namespace ots::client
