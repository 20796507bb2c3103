#include "ots/client/SecretStore.h"

#include "FileSecretStore.h"
#include "KeychainSecretStore.h"
#include "ots/client/Settings.h"

#include <QFileInfo>
#include <QMutex>
#include <QMutexLocker>

#include <optional>

namespace ots::client {
namespace {

// "A few seconds": a working keychain answers a read in milliseconds, one that is absent fails at once;
// only a hung bus makes the probe wait this long, and then only once per process.
constexpr std::chrono::milliseconds kProbeTimeout{3000};

// Whether the keychain answered the one probe of this process. Once it did not, this process keeps its
// secrets in the file store, so secrets never end up split between two stores within one run.
bool keychainAnswers() {
    static QMutex mutex;
    static std::optional<bool> answers;
    const QMutexLocker locker(&mutex);
    if (!answers)
        answers = KeychainSecretStore::probe(kProbeTimeout);
    return *answers;
}

} // namespace

std::unique_ptr<SecretStore> SecretStore::openFile(const QString& folder) {
    return std::make_unique<FileSecretStore>(folder);
}

std::unique_ptr<SecretStore> SecretStore::open() {
    const QString choice = qEnvironmentVariable("OTS_SECRET_STORE").trimmed().toLower();
    if (choice == QStringLiteral("file"))
        return openFile(configDirectory());
    if (choice == QStringLiteral("keychain"))
        return std::make_unique<KeychainSecretStore>();
    if (!choice.isEmpty() && choice != QStringLiteral("auto"))
        qWarning("OTS_SECRET_STORE=%s is not one of file, keychain or auto; using auto",
                 qUtf8Printable(choice));
    if (!keychainAnswers())
        return openFile(configDirectory());
    // Secrets saved in the file while the keychain did not answer (an earlier run) stay readable.
    auto file = std::make_unique<FileSecretStore>(configDirectory());
    if (!QFileInfo::exists(file->filePath()))
        return std::make_unique<KeychainSecretStore>();
    return std::make_unique<KeychainSecretStore>(std::move(file));
}

} // namespace ots::client
