#include "ots/client/SendJob.h"

#include "Backoff.h"
#include "BytePipe.h"
#include "CiphertextProducer.h"
#include "JobMailbox.h"
#include "JobSupport.h"
#include "MetadataCodec.h"
#include "PipeDevice.h"
#include "SentLedger.h"
#include "TransferMeter.h"
#include "ots/Base64Url.h"
#include "ots/ContainerPacker.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/PathRules.h"
#include "ots/SecretBuffer.h"
#include "ots/ShareLink.h"
#include "ots/StreamEncryptor.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QThread>

#include <algorithm>
#include <array>
#include <cstring>
#include <filesystem>
#include <functional>
#include <optional>
#include <utility>
#include <vector>

namespace ots::client {

namespace {

using jobs::usage;
using jobs::wipe;

// Enough to keep the socket busy while the encryptor catches up, small enough to be "flat".
constexpr std::size_t kPipeBytes = std::size_t{4} << 20;
// A PATCH smaller than this would spend more on the request and the relay's fsync than on the data.
constexpr std::uint64_t kMinSegmentBytes = std::uint64_t{64} << 10;
// The delete after a cancel or a failure: worth a couple of quick tries, never a long wait.
const RetryPolicy kCleanupRetry{2, std::chrono::milliseconds(200), std::chrono::milliseconds(1000),
                                std::chrono::milliseconds(5000)};

ClientError sendCancelled() {
    return ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                             QStringLiteral("The share was cancelled."));
}

/// An ordinary conflict of a resumed upload: the relay's offset moved on, or the append before ours is
/// still being closed. Asking for the offset again and continuing is the answer to both.
// A 410 expired while the share is still being uploaded: the relay deletes an upload that moves no
// byte for its upload-idle-timeout (SPEC §10.13 §10.12), so say that to the sender, not "expired".
ClientError explainDroppedUpload(ClientError error) {
    if (error.kind == ErrorKind::Expired)
        error.message =
            QStringLiteral("The relay dropped this unfinished upload because no data reached it for "
                           "too long, and released its space. Send the files again.");
    return error;
}

bool isUploadConflict(const ClientError& error) {
    return error.code == QLatin1String("offset_mismatch") ||
           error.code == QLatin1String("upload_in_progress");
}

std::filesystem::path toPath(const QString& input) {
    const QString absolute = QDir::cleanPath(QFileInfo(input).absoluteFilePath());
    return {absolute.toStdU16String()};
}

/// How often a share is started anew because its inputs changed before the job gives up on them.
constexpr int kMaxNewShares = 3;

/// Flow control between the upload and execute(): the inputs are not what the share was begun with.
ClientError inputChanged() {
    return ClientError::make(ErrorKind::LocalIo, QStringLiteral("input_changed"),
                             QStringLiteral("The files changed while they were being sent."));
}

bool isInputChanged(const ClientError& error) {
    return error.code == QLatin1String("input_changed");
}

/// BLAKE2b-256 over every entry as the container encodes it (type, mode, size, mtime, path).
QByteArray identityOf(const ContainerPacker& packer) {
    QCryptographicHash hash(QCryptographicHash::Blake2b_256);
    for (const ContainerEntry& entry : packer.entries()) {
        const Bytes encoded = container::encodeEntry(entry);
        hash.addData(QByteArrayView(reinterpret_cast<const char*>(encoded.data()),
                                    static_cast<qsizetype>(encoded.size())));
    }
    return hash.result();
}

/// One try per call: the upload loop does its own waiting, and says so while it waits.
RetryPolicy singleTry(const RetryPolicy& policy) {
    RetryPolicy once = policy;
    once.attempts = 1;
    return once;
}

} // namespace

class SendJob::Worker {
public:
    Worker(SendJob* job, SendOptions options, std::shared_ptr<CancelToken> cancel)
        : m_job(job)
        , m_mailbox(new JobMailbox(job))
        , m_options(std::move(options))
        , m_cancel(std::move(cancel)) {}
    ~Worker() { join(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    void start() {
        m_thread.reset(QThread::create([this] { run(); }));
        m_thread->setObjectName(QStringLiteral("ots-send"));
        m_thread->start();
    }
    void join() {
        if (m_thread) {
            m_thread->wait();
            m_thread.reset();
        }
    }

private:
    void run();
    [[nodiscard]] ClientError execute();
    [[nodiscard]] ClientError validateOptions() const;
    [[nodiscard]] ClientError deriveKeys();
    /// m_keys from m_linkSecret and m_password with these Argon2id parameters.
    [[nodiscard]] ClientError deriveFromPassword(const Argon2Params& params);
    /// Lists the inputs (m_packer, m_inputIdentity).
    [[nodiscard]] ClientError listInputs();
    /// Lists the inputs again: true when they are no longer what m_inputIdentity describes.
    [[nodiscard]] bool inputsChanged() const;
    /// A new share on the relay for the listed inputs: keys, metadata, encryptor, create.
    [[nodiscard]] ClientError createShare(RelayClient& client);
    /// Takes over the unfinished upload of m_options.resume; input_changed when its inputs changed.
    [[nodiscard]] ClientError restoreShare();
    /// Sends from offset (or from what the relay reports, when nullopt) to the end.
    [[nodiscard]] ClientError upload(std::optional<std::uint64_t> offset);
    [[nodiscard]] ClientError complete(RelayClient& client);
    [[nodiscard]] ClientError buildResult();
    [[nodiscard]] PendingUpload pendingUpload() const;
    void deleteHalfMadeShare();
    void forgetShare();

    /// Runs fn on the job's thread (queued). The job joins this thread before it dies, and events posted
    /// to a deleted object are dropped, so fn never sees a dangling job.
    void post(std::function<void(SendJob&)> fn) {
        m_mailbox->post([job = m_job, fn = std::move(fn)] { fn(*job); });
    }
    void postState(State state) {
        post([state](SendJob& job) {
            if (job.m_state != State::Cancelling && job.m_state != State::Cancelled)
                job.setState(state);
        });
    }
    void postProgress(TransferMeter& meter, std::uint64_t done) {
        if (!meter.update(done))
            return;
        const TransferMeter::Reading reading = meter.reading();
        post([reading](SendJob& job) {
            Q_EMIT job.progress(reading.done, reading.total, reading.bytesPerSecond, reading.etaSeconds);
        });
    }

    SendJob* m_job;
    JobMailbox* m_mailbox; // a child of the job, in its thread
    SendOptions m_options;
    std::shared_ptr<CancelToken> m_cancel;
    std::unique_ptr<QThread> m_thread;

    // Only touched by the worker thread.
    std::optional<ContainerPacker> m_packer;
    QByteArray m_inputIdentity;
    std::optional<ShareKeys> m_keys;
    SecretBuffer m_linkSecret;
    QString m_password;
    std::optional<Argon2Params> m_argon;
    /// Kept unpushed: every (re)start of the upload encrypts with a clone of it, so the bytes repeat.
    std::optional<StreamEncryptor> m_pristine;
    SentLedger m_ledger;
    std::uint64_t m_payloadBytes = 0;
    std::uint64_t m_total = 0;
    QString m_shareId;
    QString m_ownerToken;
    std::int64_t m_expiresAt = 0;
    int m_maxDownloads = 1;
    bool m_retrying = false; ///< retrying() was posted and bytes have not moved since
    SendResult m_result;
};

void SendJob::Worker::run() {
    ClientError error = execute();
    if (error.kind == ErrorKind::None && !m_cancel->cancelled()) {
        post([result = m_result](SendJob& job) {
            job.m_result = result;
            job.setState(State::Finished);
            Q_EMIT job.finished(job.m_result);
        });
        return;
    }
    // The relay stayed out of reach for longer than the job waits: when asked to, the share stays there,
    // and what it takes to continue it goes to the job (Resume).
    if (m_options.keepUnfinishedUpload && !m_cancel->cancelled() && !m_shareId.isEmpty() && m_pristine &&
        Backoff::isTransient(error)) {
        post([error, pending = pendingUpload()](SendJob& job) {
            job.m_error = error;
            job.m_pending = pending;
            job.setState(State::Failed);
            Q_EMIT job.failed(job.m_error);
        });
        return;
    }
    // Whatever else stopped the upload, a share that can never complete only holds the relay's storage.
    deleteHalfMadeShare();
    if (m_cancel->cancelled() || error.kind == ErrorKind::Cancelled) {
        post([](SendJob& job) {
            job.m_error = sendCancelled();
            job.setState(State::Cancelled);
            Q_EMIT job.cancelled();
        });
        return;
    }
    post([error](SendJob& job) {
        job.m_error = error;
        job.setState(State::Failed);
        Q_EMIT job.failed(job.m_error);
    });
}

ClientError SendJob::Worker::validateOptions() const {
    if (m_options.resume)
        return m_options.resume->isText() == !m_options.resume->paths.isEmpty()
                   ? usage(QStringLiteral("The unfinished upload names no files and no text."))
                   : ClientError{};
    if (m_options.text.has_value() == !m_options.paths.isEmpty())
        return usage(
            QStringLiteral("Give either files and folders or a text to share, not both and not neither."));
    if (m_options.maxDownloads < 1)
        return usage(QStringLiteral("The number of downloads must be at least 1."));
    if (m_options.expiresIn <= 0)
        return usage(QStringLiteral("The expiry must be a positive number of seconds."));
    if (static_cast<std::size_t>(m_options.note.toUtf8().size()) > MetadataCodec::kMaxNoteBytes)
        return usage(
            QStringLiteral("The note is too long: at most %1 KiB.").arg(MetadataCodec::kMaxNoteBytes / 1024));
    if (m_options.text.has_value()) {
        // Windows rules are the strictest: a name every receiver can store.
        if (!validateEntryPath(m_options.textName.toStdString(), PathRules::Windows).ok())
            return usage(
                QStringLiteral("\"%1\" cannot be used as the name of a text share.").arg(m_options.textName));
    }
    return {};
}

ClientError SendJob::Worker::deriveKeys() {
    m_linkSecret = generateLinkSecret();
    m_password = m_options.password;
    if (m_options.password.isEmpty()) {
        auto keys = ShareKeys::fromLinkSecret(m_linkSecret);
        if (!keys.ok())
            return ClientError::fromOts(keys.error());
        m_keys.emplace(std::move(keys).value());
        return {};
    }
    Argon2Params params = Argon2Params::withRandomSalt();
    params.iterations = m_options.argonIterations;
    params.memoryKiB = m_options.argonMemoryKiB;
    params.parallelism = m_options.argonParallelism;
    return deriveFromPassword(params);
}

ClientError SendJob::Worker::deriveFromPassword(const Argon2Params& params) {
    if (auto valid = params.validate(); !valid.ok())
        return ClientError::fromOts(valid.error());
    // SPEC.md §3.2: the password is hashed as UTF-8 in Normalization Form C.
    QByteArray password = m_password.normalized(QString::NormalizationForm_C).toUtf8();
    const SecretBuffer secretPassword =
        SecretBuffer::fromBytes({reinterpret_cast<const std::uint8_t*>(password.constData()),
                                 static_cast<std::size_t>(password.size())});
    wipe(password);
    auto keys = ShareKeys::fromPassword(
        m_linkSecret,
        std::string_view(reinterpret_cast<const char*>(secretPassword.data()), secretPassword.size()),
        params);
    if (!keys.ok())
        return ClientError::fromOts(keys.error());
    m_keys.emplace(std::move(keys).value());
    m_argon = params;
    return {};
}

ClientError SendJob::Worker::listInputs() {
    const PendingUpload* resume = m_options.resume ? &*m_options.resume : nullptr;
    const std::optional<QByteArray>& text = resume ? resume->text : m_options.text;
    const QString& textName = resume ? resume->textName : m_options.textName;
    const QStringList& paths = resume ? resume->paths : m_options.paths;
    if (text.has_value()) {
        m_packer.emplace(ContainerPacker::fromText(textName.toStdString(), text->toStdString()));
    } else {
        std::vector<std::filesystem::path> inputs;
        inputs.reserve(static_cast<std::size_t>(paths.size()));
        for (const QString& input : paths)
            inputs.push_back(toPath(input));
        auto listed = ContainerPacker::fromPaths(inputs);
        if (!listed.ok())
            return ClientError::fromPacker(listed.error());
        m_packer.emplace(std::move(listed).value());
    }
    m_inputIdentity = identityOf(*m_packer);
    m_payloadBytes = m_packer->payloadSize();
    m_total = StreamEncryptor::ciphertextSize(m_payloadBytes);
    return {};
}

bool SendJob::Worker::inputsChanged() const {
    const QStringList& paths = m_options.resume ? m_options.resume->paths : m_options.paths;
    if (paths.isEmpty())
        return false; // a text share's text is in memory
    std::vector<std::filesystem::path> inputs;
    for (const QString& input : paths)
        inputs.push_back(toPath(input));
    auto listed = ContainerPacker::fromPaths(inputs);
    return !listed.ok() || identityOf(listed.value()) != m_inputIdentity;
}

ClientError SendJob::Worker::createShare(RelayClient& client) {
    if (ClientError failed = deriveKeys())
        return failed;
    if (m_cancel->cancelled())
        return sendCancelled();

    const bool isText = m_options.text.has_value() || (m_options.resume && m_options.resume->isText());
    const ShareMetadata description = MetadataCodec::describe(m_packer->entries(), isText, m_options.note);
    m_result.fileBytes = description.totalBytes;
    const QByteArray metadataJson = MetadataCodec::encode(description);
    auto envelope = metadata::seal(*m_keys, {reinterpret_cast<const std::uint8_t*>(metadataJson.constData()),
                                             static_cast<std::size_t>(metadataJson.size())});
    if (!envelope.ok())
        return ClientError::fromOts(envelope.error());

    auto pristine = StreamEncryptor::create(*m_keys, m_payloadBytes);
    if (!pristine.ok())
        return ClientError::fromOts(pristine.error());

    CreateRequest request;
    request.size = m_total;
    request.expiresIn = m_options.expiresIn;
    request.maxDownloads = m_maxDownloads;
    request.authPublicKey = QByteArray(reinterpret_cast<const char*>(m_keys->authPublicKey().data()),
                                       static_cast<qsizetype>(m_keys->authPublicKey().size()));
    request.linkPublicKey = QByteArray(reinterpret_cast<const char*>(m_keys->linkPublicKey().data()),
                                       static_cast<qsizetype>(m_keys->linkPublicKey().size()));
    request.metadataEnvelope =
        QByteArray(reinterpret_cast<const char*>(envelope->data()), static_cast<qsizetype>(envelope->size()));
    if (m_argon) {
        KdfInfo kdf;
        kdf.salt = QByteArray(reinterpret_cast<const char*>(m_argon->salt.data()),
                              static_cast<qsizetype>(m_argon->salt.size()));
        kdf.iterations = m_argon->iterations;
        kdf.memoryKiB = m_argon->memoryKiB;
        kdf.parallelism = m_argon->parallelism;
        request.password = kdf;
    }
    request.uploadToken = m_options.uploadToken;
    auto created = client.createShare(request);
    if (!created.ok())
        return created.error();
    m_pristine.emplace(std::move(pristine).value());
    m_ledger = SentLedger();
    m_shareId = created.value().id;
    m_ownerToken = created.value().ownerToken;
    m_expiresAt = created.value().expiresAt;
    return {};
}

ClientError SendJob::Worker::restoreShare() {
    const PendingUpload& pending = *m_options.resume;
    m_shareId = pending.shareId;
    m_ownerToken = pending.ownerToken;
    m_expiresAt = pending.expiresAt;
    // The share is the relay's either way: a resume that cannot use it still deletes it.
    if (m_inputIdentity != pending.inputIdentity || m_payloadBytes != pending.payloadBytes ||
        m_total != pending.ciphertextBytes)
        return inputChanged();
    auto secret = base64url::decodeSecret(pending.linkSecret.toStdString(), format::kLinkSecretBytes);
    if (!secret.ok())
        return ClientError::fromOts(secret.error());
    m_linkSecret = std::move(secret).value();
    m_password = pending.password;
    if (m_password.isEmpty()) {
        auto keys = ShareKeys::fromLinkSecret(m_linkSecret);
        if (!keys.ok())
            return ClientError::fromOts(keys.error());
        m_keys.emplace(std::move(keys).value());
    } else {
        if (!pending.kdf)
            return usage(QStringLiteral("The unfinished upload has a password but no key parameters."));
        Argon2Params params;
        const QByteArray& salt = pending.kdf->salt;
        if (static_cast<std::size_t>(salt.size()) != params.salt.size())
            return usage(QStringLiteral("The unfinished upload's key parameters are damaged."));
        std::copy(salt.begin(), salt.end(), params.salt.begin());
        params.iterations = pending.kdf->iterations;
        params.memoryKiB = pending.kdf->memoryKiB;
        params.parallelism = pending.kdf->parallelism;
        if (ClientError failed = deriveFromPassword(params))
            return failed;
    }
    const QByteArray& header = pending.streamHeader;
    auto pristine =
        StreamEncryptor::resume(*m_keys, m_payloadBytes,
                                ByteView(reinterpret_cast<const std::uint8_t*>(header.constData()),
                                         static_cast<std::size_t>(header.size())));
    if (!pristine.ok())
        return ClientError::fromOts(pristine.error());
    auto ledger = SentLedger::restore(pending.sentBytes, pending.sentDigests);
    if (!ledger)
        return usage(QStringLiteral("The record of what the unfinished upload sent is damaged."));
    m_pristine.emplace(std::move(pristine).value());
    m_ledger = std::move(*ledger);
    return {};
}

void SendJob::Worker::forgetShare() {
    m_shareId.clear();
    m_ownerToken.clear();
    m_pristine.reset();
    m_ledger = SentLedger();
}

ClientError SendJob::Worker::execute() {
    // Idempotent: the program normally did this at start-up, but a job must not depend on it.
    if (auto ready = ots::initialize(); !ready.ok())
        return ClientError::fromOts(ready.error());
    RelayClient client(m_options.relay, m_options.retry, m_cancel);
    if (ClientError invalid = client.validate())
        return invalid;
    if (ClientError invalid = validateOptions())
        return invalid;
    m_maxDownloads = m_options.resume ? m_options.resume->maxDownloads : m_options.maxDownloads;
    if (const PendingUpload* pending = m_options.resume ? &*m_options.resume : nullptr) {
        // Should the inputs have changed, the new share gets what the old one had: the password, its
        // Argon2id cost and what was left of its lifetime.
        m_options.password = pending->password;
        if (pending->kdf) {
            m_options.argonIterations = pending->kdf->iterations;
            m_options.argonMemoryKiB = pending->kdf->memoryKiB;
            m_options.argonParallelism = pending->kdf->parallelism;
        }
        constexpr std::int64_t kShortestLifetime = 600;
        m_options.expiresIn = std::max<std::int64_t>(kShortestLifetime,
                                                     pending->expiresAt - QDateTime::currentSecsSinceEpoch());
    }

    if (ClientError failed = listInputs())
        return failed;
    if (m_cancel->cancelled())
        return sendCancelled();

    std::optional<std::uint64_t> offset;
    ClientError restored = m_options.resume ? restoreShare() : ClientError{};
    for (int newShares = 0;; ++newShares) {
        if (isInputChanged(restored)) {
            // Sending on would put other bytes where the relay may have seen some under the same keys:
            // the old share goes, and the inputs as they are now go to a new one.
            if (newShares >= kMaxNewShares)
                return ClientError::make(
                    ErrorKind::LocalIo, QStringLiteral("input_changing"),
                    QStringLiteral("The files keep changing while they are being sent. "
                                   "Wait until they are finished, then send them again."));
            deleteHalfMadeShare();
            forgetShare();
            post([](SendJob& job) { Q_EMIT job.restartedAsNewShare(); });
            if (ClientError failed = listInputs())
                return failed;
        } else if (restored) {
            return restored;
        }
        if (m_shareId.isEmpty()) {
            postState(State::Preparing);
            if (ClientError failed = createShare(client))
                return failed;
            offset = 0;
        }
        postState(State::Uploading);
        restored = upload(offset);
        offset.reset();
        if (isInputChanged(restored))
            continue;
        if (restored)
            return explainDroppedUpload(restored);
        break;
    }
    if (m_cancel->cancelled())
        return sendCancelled();
    postState(State::Finishing);
    if (ClientError failed = explainDroppedUpload(complete(client)))
        return failed;
    return buildResult();
}

ClientError SendJob::Worker::upload(std::optional<std::uint64_t> start) {
    // Asked once per try: waiting between tries is this loop's, so that it can say what it waits for.
    RelayClient client(m_options.relay, singleTry(m_options.retry), m_cancel);
    const std::uint64_t total = m_total;
    TransferMeter meter(total);
    const std::uint64_t segment = std::max(m_options.uploadSegmentBytes, kMinSegmentBytes);
    std::uint64_t offset = start.value_or(0);
    bool knowOffset = start.has_value();
    bool checkInputs = !knowOffset; // a resumed upload: are the inputs still the ones it began with?
    QElapsedTimer stalled;          // since bytes last moved, while they do not
    int failures = 0;
    for (;;) {
        ClientError failure;
        if (!knowOffset) {
            auto stored = client.uploadOffset(m_shareId, m_ownerToken);
            if (stored.ok()) {
                knowOffset = true;
                // Bytes that reached the relay although the try reported a failure are progress: the
                // backoff counts tries that moved nothing, as the download's does.
                if (std::min(stored.value(), total) > offset) {
                    failures = 0;
                    stalled.invalidate();
                }
                offset = std::min(stored.value(), total);
                if (m_retrying) {
                    m_retrying = false;
                    post([](SendJob& job) { Q_EMIT job.resumed(); });
                }
            } else {
                failure = stored.error();
            }
        }
        if (knowOffset) {
            postProgress(meter, offset);
            if (checkInputs && inputsChanged())
                return inputChanged();
            if (offset >= total)
                return {}; // every byte is on the relay already

            auto encryptor = m_pristine->clone();
            if (!encryptor.ok())
                return ClientError::fromOts(encryptor.error());
            BytePipe pipe(kPipeBytes);
            CiphertextProducer producer(*m_packer, std::move(encryptor).value(), offset, m_ledger, pipe);
            // Segment after segment from one running producer, until the upload ends or a request fails.
            while (offset < total) {
                const std::uint64_t length = std::min(segment, total - offset);
                const std::uint64_t base = offset;
                Outcome<std::uint64_t> appended = [&] {
                    PipeDevice body(pipe, static_cast<qint64>(length));
                    return client.appendBlob(
                        m_shareId, m_ownerToken, base, length, &body,
                        [&](std::uint64_t sent) { postProgress(meter, base + std::min(sent, length)); });
                }();
                if (!appended.ok()) {
                    failure = appended.error();
                    break;
                }
                offset = appended.value();
                if (offset != base + length) {
                    // The relay kept fewer bytes than were sent (or reports another offset): restart there.
                    failure =
                        ClientError::make(ErrorKind::Network, QStringLiteral("offset_mismatch"),
                                          QStringLiteral("The relay stored only part of what was sent."));
                    break;
                }
                failures = 0;
                stalled.invalidate();
                postProgress(meter, offset);
            }
            if (offset >= total && failure.ok()) {
                producer.join();
                if (producer.status().code() == Errc::IoFileChanged)
                    return inputChanged();
                if (!producer.status().ok())
                    return ClientError::fromOts(producer.status().error());
                return {};
            }
            producer.stop();
            // A file that changed (in size, or in bytes already sent) means a new share; one that became
            // unreadable is no network matter either.
            if (producer.status().code() == Errc::IoFileChanged)
                return inputChanged();
            if (!producer.status().ok())
                return ClientError::fromOts(producer.status().error());
        }
        if (m_cancel->cancelled() || failure.kind == ErrorKind::Cancelled)
            return sendCancelled();
        if (!Backoff::isTransient(failure) && !isUploadConflict(failure))
            return failure;
        if (!stalled.isValid())
            stalled.start();
        RetryPolicy waits = m_options.retry;
        waits.maxDelay = m_options.longestUploadWait;
        const auto wait = Backoff::delay(waits, ++failures);
        if (std::chrono::milliseconds(stalled.elapsed()) + wait > m_options.giveUpAfter)
            return failure;
        m_retrying = true;
        post([attempt = failures, failure, ms = static_cast<int>(wait.count())](SendJob& job) {
            Q_EMIT job.retrying(attempt, failure, ms);
        });
        if (!Backoff::sleep(wait, *m_cancel))
            return sendCancelled();
        knowOffset = false;
        checkInputs = true;
    }
}

ClientError SendJob::Worker::complete(RelayClient& client) {
    // Transient failures are retried inside RelayClient; a lease still held by an append the relay is
    // closing (upload_in_progress) clears within moments.
    for (int failure = 1;; ++failure) {
        ClientError error = client.completeUpload(m_shareId, m_ownerToken);
        if (error.ok() || error.kind == ErrorKind::Cancelled)
            return error;
        if (!Backoff::isTransient(error) && error.code != QLatin1String("upload_in_progress"))
            return error;
        if (failure >= std::max(m_options.retry.attempts, 1))
            return error;
        const auto wait = Backoff::delay(m_options.retry, failure);
        post([failure, error, ms = static_cast<int>(wait.count())](SendJob& job) {
            Q_EMIT job.retrying(failure, error, ms);
        });
        if (!Backoff::sleep(wait, *m_cancel))
            return sendCancelled();
    }
}

ClientError SendJob::Worker::buildResult() {
    const bool isText = m_options.text.has_value() || (m_options.resume && m_options.resume->isText());
    const QUrl& relay = m_options.relay;
    const auto transport = relay.scheme().compare(QLatin1String("https"), Qt::CaseInsensitive) == 0
                               ? ShareLink::Transport::Https
                               : ShareLink::Transport::Http;
    std::array<std::uint8_t, format::kShareIdBytes> id{};
    if (!base64url::decodeInto(m_shareId.toStdString(), id))
        return ClientError::make(ErrorKind::RelayRejected, QStringLiteral("bad_share_id"),
                                 QStringLiteral("The relay answered with a share id that is not valid."));
    const int port = relay.port(0);
    auto link = ShareLink::make(transport, relay.host().toStdString(), static_cast<std::uint16_t>(port), id,
                                m_linkSecret.clone());
    if (!link.ok())
        return ClientError::fromOts(link.error());

    m_result.link = QString::fromStdString(link->toWebUrl());
    // An https relay on a loopback host has no app form (SPEC.md §2.5): toAppUrl() gives the web link.
    const std::string appLink = link->toAppUrl();
    m_result.appLink = appLink != link->toWebUrl() ? QString::fromStdString(appLink) : QString();
    m_result.relayUrl = QString::fromStdString(link->relayBaseUrl());
    m_result.id = m_shareId;
    m_result.ownerToken = m_ownerToken;
    m_result.displayName = MetadataCodec::displayName(m_packer->entries(), isText);
    m_result.createdAt = QDateTime::currentSecsSinceEpoch();
    m_result.expiresAt = m_expiresAt;
    m_result.maxDownloads = m_maxDownloads;
    m_result.passwordProtected = !m_password.isEmpty();
    m_result.payloadBytes = m_payloadBytes;
    m_result.ciphertextBytes = m_total;
    return {};
}

PendingUpload SendJob::Worker::pendingUpload() const {
    PendingUpload pending;
    pending.relay = m_options.relay;
    pending.shareId = m_shareId;
    pending.ownerToken = m_ownerToken;
    pending.linkSecret =
        QString::fromStdString(base64url::encode({m_linkSecret.data(), m_linkSecret.size()}));
    pending.password = m_password;
    if (m_argon) {
        pending.kdf = KdfInfo{QByteArray(reinterpret_cast<const char*>(m_argon->salt.data()),
                                         static_cast<qsizetype>(m_argon->salt.size())),
                              m_argon->iterations, m_argon->memoryKiB, m_argon->parallelism};
    }
    const ByteView header = m_pristine->header();
    pending.streamHeader =
        QByteArray(reinterpret_cast<const char*>(header.data()), static_cast<qsizetype>(header.size()));
    if (m_options.resume) {
        pending.paths = m_options.resume->paths;
        pending.text = m_options.resume->text;
        pending.textName = m_options.resume->textName;
    } else {
        pending.paths = m_options.paths;
        pending.text = m_options.text;
        pending.textName = m_options.textName;
    }
    pending.inputIdentity = m_inputIdentity;
    pending.payloadBytes = m_payloadBytes;
    pending.ciphertextBytes = m_total;
    pending.sentBytes = m_ledger.sentBytes();
    pending.sentDigests = m_ledger.digests();
    pending.expiresAt = m_expiresAt;
    pending.maxDownloads = m_maxDownloads;
    return pending;
}

void SendJob::Worker::deleteHalfMadeShare() {
    if (m_shareId.isEmpty())
        return;
    // A fresh client: the job's own one answers "cancelled" to everything now.
    RelayClient cleanup(m_options.relay, kCleanupRetry);
    (void)cleanup.deleteShare(m_shareId, m_ownerToken);
}

SendJob::SendJob(SendOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_cancel(std::make_shared<CancelToken>()) {
    qRegisterMetaType<ots::client::ClientError>();
    qRegisterMetaType<ots::client::SendResult>();
    qRegisterMetaType<ots::client::SendJob::State>();
}

SendJob::~SendJob() {
    m_cancel->cancel();
    m_worker.reset(); // joins: a half-made share is deleted before the thread ends
}

void SendJob::start() {
    if (m_state != State::Idle)
        return;
    setState(State::Preparing);
    m_worker = std::make_unique<Worker>(this, m_options, m_cancel);
    m_worker->start();
}

void SendJob::cancel() {
    switch (m_state) {
    case State::Idle:
        m_cancel->cancel();
        m_error = sendCancelled();
        setState(State::Cancelled);
        Q_EMIT cancelled();
        return;
    case State::Preparing:
    case State::Uploading:
    case State::Finishing:
        setState(State::Cancelling);
        m_cancel->cancel();
        return;
    case State::Finished:
    case State::Failed:
    case State::Cancelling:
    case State::Cancelled:
        return;
    }
}

void SendJob::setState(State state) {
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace ots::client
