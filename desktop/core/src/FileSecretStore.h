#pragma once

// Secrets in secrets.json inside a private folder: a JSON object key → secret, 0600 in a 0700
// folder, replaced atomically on every change and guarded by a lock file against other processes
// (the CLI and the desktop app may run at once). A secrets file that others may read is refused.

#include "ots/client/SecretStore.h"

#include <QJsonObject>
#include <QMutex>

namespace ots::client {

class FileSecretStore final : public SecretStore {
public:
    explicit FileSecretStore(const QString& folder);

    [[nodiscard]] ClientError store(const QString& key, const QString& secret) override;
    [[nodiscard]] Outcome<QString> load(const QString& key) override;
    [[nodiscard]] ClientError remove(const QString& key) override;
    [[nodiscard]] QString backendName() const override;

    [[nodiscard]] QString filePath() const;

private:
    [[nodiscard]] Outcome<QJsonObject> readObject() const;
    [[nodiscard]] ClientError writeObject(const QJsonObject& object) const;

    QString m_folder;
    QMutex m_mutex;
};

} // namespace ots::client
