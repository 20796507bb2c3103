#pragma once

// Secrets in the OS keychain through QtKeychain (service "OneTimeShare"; Secret Service on Linux).
//
// Every QtKeychain job of the process runs in one dedicated thread: QtKeychain queues its jobs in a
// process-wide executor that lives in the thread that first used it, so jobs started from short-lived
// worker threads (QtConcurrent, SendJob) would wait forever once that thread is gone. Callers block
// until the job answers or the timeout passes; a job that answers late cleans up after itself.

#include "ots/client/SecretStore.h"

#include <chrono>
#include <memory>

namespace ots::client {

class KeychainSecretStore final : public SecretStore {
public:
    /// earlier: the file store, read (and cleaned) for secrets saved there while no keychain answered;
    /// may be null.
    explicit KeychainSecretStore(std::unique_ptr<SecretStore> earlier = {});

    [[nodiscard]] ClientError store(const QString& key, const QString& secret) override;
    [[nodiscard]] Outcome<QString> load(const QString& key) override;
    [[nodiscard]] ClientError remove(const QString& key) override;
    [[nodiscard]] QString backendName() const override;

    /// Whether a keychain answers within timeout: one read of an entry that need not exist (an
    /// answer "no such entry" counts). No D-Bus session, no backend, an error or silence: false.
    [[nodiscard]] static bool probe(std::chrono::milliseconds timeout);

private:
    std::unique_ptr<SecretStore> m_earlier;
};

} // namespace ots::client
