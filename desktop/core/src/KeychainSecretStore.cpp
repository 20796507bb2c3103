#include "KeychainSecretStore.h"

#include <QCoreApplication>
#include <QDeadlineTimer>
#include <QFileInfo>
#include <QMutex>
#include <QMutexLocker>
#include <QObject>
#include <QThread>
#include <QWaitCondition>
#include <qt6keychain/keychain.h>

#include <utility>

namespace ots::client {
namespace {

const QString kService = QStringLiteral("OneTimeShare");
// Long enough for a person to type the password that unlocks a locked keyring; a keychain that is
// absent answers (or is found absent by the probe) far sooner.
constexpr std::chrono::milliseconds kJobTimeout{30'000};

enum class JobKind { Read, Write, Delete };

struct JobResult {
    QKeychain::Error error = QKeychain::OtherError;
    QString errorString;
    QString text;
};

// What a caller waits on; shared with the job so a late answer finds it alive.
struct PendingJob {
    QMutex mutex;
    QWaitCondition done;
    bool finished = false;
    JobResult result;
};

class KeychainThread {
public:
    KeychainThread() {
        m_thread.setObjectName(QStringLiteral("ots-keychain"));
        m_context.moveToThread(&m_thread);
        m_thread.start();
    }
    ~KeychainThread() {
        m_thread.quit();
        m_thread.wait();
    }
    KeychainThread(const KeychainThread&) = delete;
    KeychainThread& operator=(const KeychainThread&) = delete;

    // Starts the job in the keychain thread; the caller waits on the returned object.
    std::shared_ptr<PendingJob> start(JobKind kind, const QString& key, const QString& secret) {
        auto pending = std::make_shared<PendingJob>();
        QMetaObject::invokeMethod(
            &m_context,
            [pending, kind, key, secret] {
                QKeychain::Job* job = nullptr;
                if (kind == JobKind::Read) {
                    job = new QKeychain::ReadPasswordJob(kService);
                } else if (kind == JobKind::Write) {
                    auto* write = new QKeychain::WritePasswordJob(kService);
                    write->setTextData(secret);
                    job = write;
                } else {
                    job = new QKeychain::DeletePasswordJob(kService);
                }
                job->setAutoDelete(false);
                job->setKey(key);
                QObject::connect(job, &QKeychain::Job::finished, job,
                                 [pending, kind](QKeychain::Job* finished) {
                                     const QMutexLocker locker(&pending->mutex);
                                     pending->result.error = finished->error();
                                     pending->result.errorString = finished->errorString();
                                     if (kind == JobKind::Read && finished->error() == QKeychain::NoError)
                                         pending->result.text =
                                             static_cast<QKeychain::ReadPasswordJob*>(finished)->textData();
                                     pending->finished = true;
                                     pending->done.wakeAll();
                                     finished->deleteLater();
                                 });
                job->start();
            },
            Qt::QueuedConnection);
        return pending;
    }

private:
    QThread m_thread;
    QObject m_context;
};

QMutex g_threadMutex;
KeychainThread* g_thread = nullptr;

// Runs at QCoreApplication's destruction: the thread must end while Qt is still there.
void stopKeychainThread() {
    const QMutexLocker locker(&g_threadMutex);
    delete g_thread;
    g_thread = nullptr;
}

// The result, or nothing on timeout or without a QCoreApplication (no event loop can run then).
std::optional<JobResult> runJob(JobKind kind, const QString& key, const QString& secret,
                                std::chrono::milliseconds timeout) {
    std::shared_ptr<PendingJob> pending;
    {
        const QMutexLocker locker(&g_threadMutex);
        if (QCoreApplication::instance() == nullptr)
            return std::nullopt;
        if (g_thread == nullptr) {
            g_thread = new KeychainThread;
            qAddPostRoutine(stopKeychainThread);
        }
        pending = g_thread->start(kind, key, secret);
    }
    const QDeadlineTimer deadline(timeout);
    QMutexLocker locker(&pending->mutex);
    while (!pending->finished)
        if (!pending->done.wait(&pending->mutex, deadline))
            break;
    if (!pending->finished)
        return std::nullopt;
    return pending->result;
}

ClientError keychainError(const QString& action, const std::optional<JobResult>& result) {
    if (!result)
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("keychain.timeout"),
                                 QStringLiteral("The keychain did not answer while %1. Unlock it, or set "
                                                "OTS_SECRET_STORE=file to keep secrets in a private file.")
                                     .arg(action));
    if (result->error == QKeychain::AccessDeniedByUser || result->error == QKeychain::AccessDenied)
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("keychain.denied"),
                                 QStringLiteral("The keychain refused access while %1.").arg(action));
    return ClientError::make(
        ErrorKind::LocalIo, QStringLiteral("keychain.failed"),
        QStringLiteral("The keychain failed while %1: %2").arg(action, result->errorString));
}

} // namespace

KeychainSecretStore::KeychainSecretStore(std::unique_ptr<SecretStore> earlier)
    : m_earlier(std::move(earlier)) {}

QString KeychainSecretStore::backendName() const {
    return QStringLiteral("keychain");
}

ClientError KeychainSecretStore::store(const QString& key, const QString& secret) {
    const auto result = runJob(JobKind::Write, key, secret, kJobTimeout);
    if (!result || result->error != QKeychain::NoError)
        return keychainError(QStringLiteral("saving a secret"), result);
    return {};
}

Outcome<QString> KeychainSecretStore::load(const QString& key) {
    const auto result = runJob(JobKind::Read, key, {}, kJobTimeout);
    if (result && result->error == QKeychain::NoError)
        return result->text;
    if (!result || result->error != QKeychain::EntryNotFound)
        return keychainError(QStringLiteral("reading a secret"), result);
    if (m_earlier) {
        auto earlier = m_earlier->load(key);
        if (earlier.ok())
            return earlier;
    }
    return ClientError::make(ErrorKind::NotFound, QStringLiteral("secret.not_found"),
                             QStringLiteral("The keychain holds nothing under \"%1\".").arg(key));
}

ClientError KeychainSecretStore::remove(const QString& key) {
    const auto result = runJob(JobKind::Delete, key, {}, kJobTimeout);
    if (!result || (result->error != QKeychain::NoError && result->error != QKeychain::EntryNotFound))
        return keychainError(QStringLiteral("removing a secret"), result);
    if (m_earlier)
        return m_earlier->remove(key);
    return {};
}

bool KeychainSecretStore::probe(std::chrono::milliseconds timeout) {
#ifdef Q_OS_LINUX
    // The Secret Service is reached over the D-Bus session bus. Without one there is nothing to ask,
    // and asking could make libdbus try to autolaunch a bus: decide at once.
    if (qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS") &&
        !QFileInfo::exists(qEnvironmentVariable("XDG_RUNTIME_DIR") + QStringLiteral("/bus")))
        return false;
#endif
    const auto result = runJob(JobKind::Read, QStringLiteral("probe"), {}, timeout);
    return result && (result->error == QKeychain::NoError || result->error == QKeychain::EntryNotFound);
}

} // namespace ots::client
