#pragma once

// Receiving one share, in the steps a person sees:
//   inspect()  parse the link, GET public info (consumes nothing: safe for previews) → inspected();
//              then the job waits in NeedPassword (a password share) or Idle: call unlock()
//   unlock()   derive the key (Argon2id with the password if needed), challenge + proof → metadata:
//              names and sizes → metadataReady(). A wrong password fails with WrongPassword and
//              attemptsLeft, and the job stays in NeedPassword so unlock() can be called again.
//              (unlock() without inspect() inspects first.)
//   download() check the folder's free space (nothing is spent if it is short), reserve under a ticket
//              this client chose (this uses one of the allowed downloads), download with Range resume,
//              verify and decrypt while unpacking into staging, commit into the folder → finished().
// A text share is decrypted into memory and returned in the result (not written) unless
// ReceiveOptions::saveText is set. Any failure (tampering, truncation, disk full, cancel) leaves the
// output folder exactly as it was. Work runs in the job's own thread; signals are queued.
//
// Nothing is spent by a failure: the ticket stays with the job — and, with ReceiveOptions::secrets, in
// the secret store under "ticket:<relay>/<id>" — until the download finishes or the ticket lapses. A
// failed or cancelled download() can be called again (a Resume), and another job for the same link,
// after a restart, continues with the stored ticket; neither spends a second download (SPEC.md §10.6,
// §10.7). ticketHeldUntil() says until when that holds.

#include "ots/client/ClientError.h"
#include "ots/client/RelayClient.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QString>

#include <functional>
#include <memory>

namespace ots::client {

class SecretStore;

/// A text share larger than this is never returned in memory: download() saves it as a file in the
/// folder it is given (ReceiveResult::savedPaths), like a file share.
inline constexpr std::uint64_t kMaxTextInMemory = std::uint64_t{16} << 20;

struct ReceiveOptions {
    QString link;
    RetryPolicy retry;
    bool saveText = false; ///< write a text share as a file instead of returning it
    /// Where a reserved download's ticket is kept across restarts (called in the job's thread); none:
    /// the ticket lives only as long as the job.
    std::function<std::unique_ptr<SecretStore>()> secrets;
};

/// The decrypted metadata (SPEC.md §5.1).
struct ShareMetadata {
    struct Entry {
        QString path; ///< relative, '/'-separated
        std::uint64_t size = 0;
        bool isFolder = false;
    };
    bool isText = false;
    QList<Entry> entries; ///< possibly shortened for huge trees (listTruncated)
    bool listTruncated = false;
    int fileCount = 0;
    int folderCount = 0;
    std::uint64_t totalBytes = 0; ///< plaintext bytes of all files
    QString note;
};

struct ReceiveResult {
    QStringList savedPaths; ///< top-level paths created in the output folder
    QByteArray text;        ///< a text share's content when it was not saved
    bool isText = false;
    int downloadsLeft = 0;
};

class ReceiveJob : public QObject {
    Q_OBJECT
public:
    enum class State {
        Idle,
        Inspecting,
        NeedPassword,
        Unlocking,
        Ready,
        Downloading,
        Finished,
        Failed,
        Cancelled
    };
    Q_ENUM(State)

    explicit ReceiveJob(ReceiveOptions options, QObject* parent = nullptr);
    ~ReceiveJob() override;

    void inspect();
    /// password is ignored (may be empty) for shares without one.
    void unlock(const QString& password = {});
    /// outputDir must exist (or is created). Only after Ready.
    void download(const QString& outputDir);
    void cancel();

    [[nodiscard]] State state() const noexcept { return m_state; }
    /// The share's public facts as last looked up; downloadsLeft follows a reservation this job makes.
    [[nodiscard]] const ShareInfo& info() const noexcept { return m_info; }
    /// The metadata arrived (unlock() succeeded): download() is allowed, also again after a failure.
    [[nodiscard]] bool isUnlocked() const noexcept { return m_unlocked; }
    [[nodiscard]] const ShareMetadata& metadata() const noexcept { return m_metadata; }
    [[nodiscard]] const ReceiveResult& result() const noexcept { return m_result; }
    [[nodiscard]] const ClientError& error() const noexcept { return m_error; }
    /// When this share's reserved download lapses, if the job (or the secret store, found during
    /// unlock()) holds one: download() again until then continues it without spending another
    /// download. Invalid when nothing is held.
    [[nodiscard]] const QDateTime& ticketHeldUntil() const noexcept { return m_ticketHeldUntil; }

Q_SIGNALS:
    void stateChanged(ots::client::ReceiveJob::State state);
    void inspected(const ots::client::ShareInfo& info);
    void metadataReady(const ots::client::ShareMetadata& metadata);
    void progress(quint64 done, quint64 total, double bytesPerSecond, qint64 etaSeconds);
    void retrying(int attempt, const ots::client::ClientError& reason, int delayMs);
    void finished(const ots::client::ReceiveResult& result);
    /// After a failed step. WrongPassword leaves the job in NeedPassword (try unlock() again).
    void failed(const ots::client::ClientError& error);
    void cancelled();

private:
    class Worker;
    void setState(State state);
    /// True (and failed() emitted) when a step is running or the job has ended.
    bool refuseCall(const char* action);

    ReceiveOptions m_options;
    State m_state = State::Idle;
    bool m_busy = false;     ///< a step runs in the worker
    bool m_unlocked = false; ///< metadata arrived: download() is allowed
    ShareInfo m_info;
    ShareMetadata m_metadata;
    ReceiveResult m_result;
    ClientError m_error;
    QDateTime m_ticketHeldUntil;
    std::shared_ptr<CancelToken> m_cancel;
    std::unique_ptr<Worker> m_worker;
};

} // namespace ots::client

Q_DECLARE_METATYPE(ots::client::ShareInfo)
Q_DECLARE_METATYPE(ots::client::ShareMetadata)
Q_DECLARE_METATYPE(ots::client::ReceiveResult)
