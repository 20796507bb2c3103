#pragma once

// Sending one share: list the inputs, derive keys (Argon2id when there is a password), create the
// share, stream packer → encryptor → PATCH with back-pressure, complete. Everything runs in the
// job's own worker thread; the object itself lives in the caller's thread and only emits signals
// (queued), so a GUI stays responsive and memory stays flat (a few MiB whatever the size).
//
// Resume: when the connection breaks, the job asks the relay for its offset and continues from
// there — bytes already stored are never sent again (the encryptor restarts from its saved initial
// state and skips them locally). It keeps trying with backoff (retrying(), then resumed() once the
// relay answers again) until nothing has moved for giveUpAfter; then it fails but keeps the share on
// the relay, and pendingUpload() holds what a later job (SendOptions::resume) needs to continue it,
// also after a restart of the program. A resumed upload regenerates the ciphertext from the inputs;
// if they changed (listing, size, modification time, or the bytes already handed out — see
// SentLedger) it deletes the share and sends the inputs as they are now to a new one
// (restartedAsNewShare()), so the relay never sees two ciphertexts under one keystream.
// Cancel deletes the half-made share on the relay.

#include "ots/client/ClientError.h"
#include "ots/client/PendingUpload.h"
#include "ots/client/RelayClient.h"

#include <QObject>
#include <QStringList>
#include <QUrl>

#include <chrono>
#include <memory>
#include <optional>

namespace ots::client {

struct SendOptions {
    QUrl relay;
    QString uploadToken;
    QStringList paths;              ///< files and folders; or
    std::optional<QByteArray> text; ///< a text share (one entry named textName)
    QString textName = QStringLiteral("message.txt");
    std::int64_t expiresIn = 86400; ///< seconds
    int maxDownloads = 1;
    QString password;                  ///< empty: no password (the link alone opens the share)
    std::uint32_t argonIterations = 3; ///< Argon2id cost when there is a password
    std::uint32_t argonMemoryKiB = 65536;
    std::uint32_t argonParallelism = 4;
    QString note; ///< optional, encrypted in the metadata
    RetryPolicy retry;
    /// Ciphertext bytes per PATCH (at least 64 KiB). The relay makes each request durable when it ends,
    /// so a relay that crashes mid-upload loses at most one segment of what was sent.
    std::uint64_t uploadSegmentBytes = std::uint64_t{256} << 20;
    /// How long an interrupted upload keeps trying (waits within `retry`) while no byte moves, before
    /// it gives up and leaves the share on the relay for a later resume.
    std::chrono::milliseconds giveUpAfter{std::chrono::minutes(5)};
    /// The longest wait between two tries of an interrupted upload (from retry.firstDelay, doubling).
    /// The calls around the upload (create, complete) keep retry's own maxDelay.
    std::chrono::milliseconds longestUploadWait{std::chrono::seconds(20)};
    /// On giving up, keep the share on the relay for a later resume (pendingUpload()) instead of
    /// deleting it: for a program that offers Resume.
    bool keepUnfinishedUpload = false;
    /// Continue this unfinished upload instead of making a share: the inputs, relay share, keys, lifetime
    /// and downloads come from it (relay must still be set; the other fields above are not used).
    std::optional<PendingUpload> resume;
};

struct SendResult {
    QString link;    ///< the web link (https://…/s/id#secret, or http:// for a loopback relay) — a secret
    QString appLink; ///< onetimeshare://… (empty for an https relay on a loopback host: it has no app form)
    QString relayUrl;
    QString id;
    QString ownerToken;  ///< a secret
    QString displayName; ///< "report.pdf", "photos (3 items)", "Text"
    std::int64_t createdAt = 0;
    std::int64_t expiresAt = 0;
    int maxDownloads = 1;
    bool passwordProtected = false;
    std::uint64_t payloadBytes = 0; ///< the container (files, names, framing) before encryption
    std::uint64_t ciphertextBytes = 0;
    std::uint64_t fileBytes = 0; ///< the files' own bytes: the size the receiver is shown
};

class SendJob : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Preparing, Uploading, Finishing, Finished, Failed, Cancelling, Cancelled };
    Q_ENUM(State)

    explicit SendJob(SendOptions options, QObject* parent = nullptr);
    ~SendJob() override; ///< cancels and joins the worker

    /// Returns at once; the work happens in the job's thread.
    void start();
    /// Stops the transfer and deletes the share on the relay if it was created. Emits cancelled().
    void cancel();

    [[nodiscard]] State state() const noexcept { return m_state; }
    [[nodiscard]] const SendResult& result() const noexcept { return m_result; }
    [[nodiscard]] const ClientError& error() const noexcept { return m_error; }
    /// After failed(): the unfinished upload the relay still holds, for SendOptions::resume; empty when
    /// the failure deleted the share (or there was none).
    [[nodiscard]] const std::optional<PendingUpload>& pendingUpload() const noexcept { return m_pending; }

Q_SIGNALS:
    void stateChanged(ots::client::SendJob::State state);
    /// Ciphertext bytes durably accepted by the relay (done) of total; speed over the last seconds;
    /// eta in seconds or -1 while unknown. At most ~10 per second.
    void progress(quint64 done, quint64 total, double bytesPerSecond, qint64 etaSeconds);
    /// A transient failure; the job retries in delayMs.
    void retrying(int attempt, const ots::client::ClientError& reason, int delayMs);
    /// The relay answers again after retrying(): the upload continues from its offset.
    void resumed();
    /// The inputs changed since the upload began: that share was deleted and a new one is being sent.
    void restartedAsNewShare();
    void finished(const ots::client::SendResult& result);
    void failed(const ots::client::ClientError& error);
    void cancelled();

private:
    class Worker;
    void setState(State state);

    SendOptions m_options;
    State m_state = State::Idle;
    SendResult m_result;
    ClientError m_error;
    std::optional<PendingUpload> m_pending;
    std::shared_ptr<CancelToken> m_cancel;
    std::unique_ptr<Worker> m_worker;
};

} // namespace ots::client

Q_DECLARE_METATYPE(ots::client::SendResult)
