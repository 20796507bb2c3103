#pragma once

// Where owner tokens, links and the upload token are kept: the OS keychain through QtKeychain
// (Secret Service on Linux), or — when no keychain answers within a few seconds, or OTS_SECRET_STORE=file —
// a JSON file in configDirectory() that only the user can read (0600, folder 0700), written
// atomically. OTS_SECRET_STORE=keychain forces the keychain (errors instead of falling back).
// Calls block (a local event loop while QtKeychain works): use them off the GUI thread.

#include "ots/client/ClientError.h"

#include <QString>

#include <memory>

namespace ots::client {

class SecretStore {
public:
    virtual ~SecretStore() = default;
    [[nodiscard]] virtual ClientError store(const QString& key, const QString& secret) = 0;
    /// NotFound when there is no such key.
    [[nodiscard]] virtual Outcome<QString> load(const QString& key) = 0;
    [[nodiscard]] virtual ClientError remove(const QString& key) = 0;
    /// "keychain" or "file" — shown in `ots history` and the GUI's settings.
    [[nodiscard]] virtual QString backendName() const = 0;

    /// The store chosen by OTS_SECRET_STORE / availability, as described above.
    [[nodiscard]] static std::unique_ptr<SecretStore> open();
    /// The 0600 file store in folder (tests use it directly).
    [[nodiscard]] static std::unique_ptr<SecretStore> openFile(const QString& folder);
};

} // namespace ots::client
