#include "ots/client/ReceiveJob.h"

#include "Backoff.h"
#include "JobMailbox.h"
#include "JobSupport.h"
#include "MetadataCodec.h"
#include "TextCollector.h"
#include "TransferMeter.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/PathRules.h"
#include "ots/SecretBuffer.h"
#include "ots/ShareArchive.h"
#include "ots/ShareLink.h"
#include "ots/client/SecretStore.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QStorageInfo>
#include <QThread>

#include <algorithm>
#include <cstring>
#include <functional>
#include <optional>
#include <utility>

namespace ots::client {

namespace {

using jobs::usage;
using jobs::wipe;

// What unpacking needs besides the files' bytes: a file system block or so per entry, rounded up.
constexpr std::uint64_t kSpacePerEntry = 8192;

ClientError receiveCancelled() {
    return ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                             QStringLiteral("Receiving was cancelled."));
}

ClientError tampered(const QString& code, const QString& message) {
    return ClientError::make(ErrorKind::Tampered, code, message);
}

QByteArray bytesOf(const std::uint8_t* data, std::size_t size) {
    return {reinterpret_cast<const char*>(data), static_cast<qsizetype>(size)};
}

} // namespace

class ReceiveJob::Worker {
public:
    Worker(ReceiveJob* job, ReceiveOptions options, std::shared_ptr<CancelToken> cancel)
        : m_job(job)
        , m_mailbox(new JobMailbox(job))
        , m_options(std::move(options))
        , m_cancel(std::move(cancel)) {}
    ~Worker() { join(); }
    Worker(const Worker&) = delete;
    Worker& operator=(const Worker&) = delete;

    /// Runs one step in a fresh thread (steps never overlap: the job starts one only after the last
    /// reported back, and joins the finished thread first).
    void run(std::function<void(Worker&)> step) {
        join();
        m_thread.reset(QThread::create([this, step = std::move(step)] { step(*this); }));
        m_thread->setObjectName(QStringLiteral("ots-receive"));
        m_thread->start();
    }
    void join() {
        if (m_thread) {
            m_thread->wait();
            m_thread.reset();
        }
    }

    void inspectStep();
    void unlockStep(const QString& password);
    void downloadStep(const QString& outputDir);

private:
    /// Link → relay → public info, once; reported through inspected().
    [[nodiscard]] ClientError ensureInspected(std::unique_ptr<RelayClient>& client);
    [[nodiscard]] ClientError deriveKeys(const QString& password);
    [[nodiscard]] ClientError unlock(RelayClient& client, const QString& password);
    [[nodiscard]] ClientError download(RelayClient& client, const QString& outputDir, ReceiveResult& result);
    /// challenge → signature → call(nonce, signature); a nonce lost with a dropped reply is replaced once.
    template <typename T>
    [[nodiscard]] Outcome<T> withProof(RelayClient& client,
                                       const std::function<Outcome<T>(const Proof&)>& call);
    [[nodiscard]] ClientError proofRefused(const ClientError& error) const;
    /// Spends one of the share's downloads under m_ticket (a new one unless an unconfirmed ticket is
    /// held: proving again with it finds the same reservation, §10.6).
    [[nodiscard]] ClientError reserve(RelayClient& client);
    [[nodiscard]] ClientError checkFreeSpace(const QString& folder) const;

    // The held ticket (see ReceiveJob.h): in memory, and in the secret store when the caller gave one.
    [[nodiscard]] QString ticketKey() const {
        return QStringLiteral("ticket:") + m_relay.toString() + u'/' + m_id;
    }
    void loadHeldTicket();
    void saveHeldTicket();
    void forgetTicket();
    void postHeld() {
        post(Report::Info, [until = m_heldUntil](ReceiveJob& job) { job.m_ticketHeldUntil = until; });
    }

    /// How a report from the worker meets a cancel that the worker may not have noticed yet.
    enum class Report {
        Info,          ///< dropped once cancel() was called
        StepEnd,       ///< becomes cancelled() once cancel() was called
        StepEndAlways, ///< delivered anyway (the download is already committed to disk)
    };
    void post(Report kind, std::function<void(ReceiveJob&)> fn) {
        m_mailbox->post([job = m_job, kind, fn = std::move(fn)] {
            if (job->m_state == State::Cancelled)
                return;
            if (job->m_cancel->cancelled() && kind != Report::StepEndAlways) {
                if (kind == Report::StepEnd) {
                    job->m_busy = false;
                    job->m_error = receiveCancelled();
                    job->setState(State::Cancelled);
                    Q_EMIT job->cancelled();
                }
                return;
            }
            fn(*job);
        });
    }
    void postFailure(const ClientError& error, State next) {
        post(Report::StepEnd, [error, next](ReceiveJob& job) {
            job.m_busy = false;
            job.m_error = error;
            job.setState(next);
            Q_EMIT job.failed(job.m_error);
        });
    }
    void postCancelled() {
        post(Report::StepEnd, [](ReceiveJob& job) {
            job.m_busy = false;
            job.m_error = receiveCancelled();
            job.setState(State::Cancelled);
            Q_EMIT job.cancelled();
        });
    }
    /// Failed, cancelled, or (for a password share's wrong or missing password) back to NeedPassword.
    void reportError(const ClientError& error) {
        if (error.kind == ErrorKind::Cancelled || m_cancel->cancelled()) {
            postCancelled();
            return;
        }
        const bool tryAgain = m_info.passwordRequired && (error.kind == ErrorKind::WrongPassword ||
                                                          error.kind == ErrorKind::PasswordRequired);
        postFailure(error, tryAgain ? State::NeedPassword : State::Failed);
    }
    void postProgress(TransferMeter& meter, std::uint64_t done) {
        if (!meter.update(done))
            return;
        const TransferMeter::Reading reading = meter.reading();
        post(Report::Info, [reading](ReceiveJob& job) {
            Q_EMIT job.progress(reading.done, reading.total, reading.bytesPerSecond, reading.etaSeconds);
        });
    }
    RelayClient& clientFor(std::unique_ptr<RelayClient>& client) {
        if (!client)
            client = std::make_unique<RelayClient>(m_relay, m_options.retry, m_cancel);
        return *client;
    }

    ReceiveJob* m_job;
    JobMailbox* m_mailbox; // a child of the job, in its thread
    ReceiveOptions m_options;
    std::shared_ptr<CancelToken> m_cancel;
    std::unique_ptr<QThread> m_thread;

    // Only touched by the step running now (steps are sequential, each in its thread).
    std::optional<ShareLink> m_link;
    QUrl m_relay;
    QString m_id;
    ShareInfo m_info;
    bool m_inspected = false;
    std::optional<ShareKeys> m_keys;
    ShareMetadata m_metadata;
    QString m_ticket;      ///< the download's ticket once chosen; a secret
    QDateTime m_heldUntil; ///< when m_ticket lapses; invalid while its reservation is unconfirmed
    bool m_ticketLoaded = false;
};

void ReceiveJob::Worker::loadHeldTicket() {
    if (m_ticketLoaded || !m_options.secrets)
        return;
    m_ticketLoaded = true;
    if (!m_ticket.isEmpty())
        return;
    const auto store = m_options.secrets();
    auto saved = store ? store->load(ticketKey()) : Outcome<QString>(ClientError{});
    if (!store || !saved.ok())
        return;
    const QJsonObject record = QJsonDocument::fromJson(saved.value().toUtf8()).object();
    const QString ticket = record.value(QStringLiteral("ticket")).toString();
    const qint64 lapsesAt = record.value(QStringLiteral("lapsesAt")).toInteger(-1);
    const bool lapsed = lapsesAt > 0 && lapsesAt <= QDateTime::currentMSecsSinceEpoch();
    if (ticket.size() != 43 || lapsesAt < 0 || lapsed) {
        (void)store->remove(ticketKey());
        return;
    }
    m_ticket = ticket;
    m_heldUntil = lapsesAt > 0 ? QDateTime::fromMSecsSinceEpoch(lapsesAt) : QDateTime();
}

void ReceiveJob::Worker::saveHeldTicket() {
    postHeld();
    if (!m_options.secrets)
        return;
    const QJsonObject record{
        {QStringLiteral("ticket"), m_ticket},
        {QStringLiteral("lapsesAt"), m_heldUntil.isValid() ? m_heldUntil.toMSecsSinceEpoch() : 0}};
    // Best effort: without the store the ticket still lives as long as the job.
    if (const auto store = m_options.secrets())
        (void)store->store(ticketKey(),
                           QString::fromUtf8(QJsonDocument(record).toJson(QJsonDocument::Compact)));
}

void ReceiveJob::Worker::forgetTicket() {
    m_ticket.clear();
    m_heldUntil = QDateTime();
    postHeld();
    if (!m_options.secrets)
        return;
    if (const auto store = m_options.secrets())
        (void)store->remove(ticketKey());
}

ClientError ReceiveJob::Worker::checkFreeSpace(const QString& folder) const {
    const std::uint64_t entries = static_cast<std::uint64_t>(m_metadata.fileCount) +
                                  static_cast<std::uint64_t>(m_metadata.folderCount) + 1;
    const std::uint64_t needed = m_metadata.totalBytes + entries * kSpacePerEntry;
    const QStorageInfo storage(folder);
    if (!storage.isValid() || storage.bytesAvailable() < 0)
        return {}; // unknown: the download itself will say if the disk fills
    const auto available = static_cast<std::uint64_t>(storage.bytesAvailable());
    if (available >= needed)
        return {};
    return ClientError::make(
        ErrorKind::LocalIo, QStringLiteral("insufficient_space"),
        QStringLiteral("The folder \"%1\" has %2 free, but this share needs %3. Free some "
                       "space or choose another folder: nothing was downloaded, and this "
                       "try used no download.")
            .arg(QDir::toNativeSeparators(folder),
                 QLocale().formattedDataSize(static_cast<qint64>(available)),
                 QLocale().formattedDataSize(static_cast<qint64>(needed))));
}

ClientError ReceiveJob::Worker::ensureInspected(std::unique_ptr<RelayClient>& client) {
    if (m_inspected)
        return {};
    if (!m_link) {
        auto link = ShareLink::parse(m_options.link.toStdString());
        if (!link.ok()) {
            ClientError error = ClientError::fromOts(link.error());
            error.kind = ErrorKind::BadLink;
            return error;
        }
        m_link.emplace(std::move(link).value());
        m_relay = QUrl(QString::fromStdString(m_link->relayBaseUrl()));
        m_id = QString::fromStdString(m_link->shareIdText());
    }
    RelayClient& relay = clientFor(client);
    if (ClientError invalid = relay.validate())
        return invalid;
    auto info = relay.info(m_id);
    if (!info.ok())
        return info.error();
    m_info = info.value();
    m_inspected = true;
    post(Report::Info, [info = m_info](ReceiveJob& job) {
        job.m_info = info;
        Q_EMIT job.inspected(job.m_info);
    });
    return {};
}

void ReceiveJob::Worker::inspectStep() {
    m_inspected = false; // an explicit inspect() always asks the relay again
    std::unique_ptr<RelayClient> client;
    if (ClientError error = ensureInspected(client)) {
        reportError(error);
        return;
    }
    if (m_cancel->cancelled()) {
        postCancelled();
        return;
    }
    const State next = m_info.passwordRequired ? State::NeedPassword : State::Idle;
    post(Report::StepEnd, [next](ReceiveJob& job) {
        job.m_busy = false;
        job.setState(next);
    });
}

void ReceiveJob::Worker::unlockStep(const QString& password) {
    std::unique_ptr<RelayClient> client;
    ClientError error = ensureInspected(client);
    if (error.ok())
        error = unlock(clientFor(client), password);
    if (error.ok() && m_cancel->cancelled())
        error = receiveCancelled();
    if (error) {
        reportError(error);
        return;
    }
    // A download of this share that an earlier run reserved and did not finish: download() continues it.
    loadHeldTicket();
    post(Report::StepEnd, [metadata = m_metadata, held = m_heldUntil](ReceiveJob& job) {
        job.m_busy = false;
        job.m_unlocked = true;
        job.m_metadata = metadata;
        job.m_ticketHeldUntil = held;
        job.setState(State::Ready);
        Q_EMIT job.metadataReady(job.m_metadata);
    });
}

void ReceiveJob::Worker::downloadStep(const QString& outputDir) {
    std::unique_ptr<RelayClient> client;
    ReceiveResult result;
    ClientError error = download(clientFor(client), outputDir, result);
    if (error) {
        reportError(error);
        return;
    }
    post(Report::StepEndAlways, [result = std::move(result)](ReceiveJob& job) {
        job.m_busy = false;
        job.m_result = result;
        job.setState(State::Finished);
        Q_EMIT job.finished(job.m_result);
    });
}

ClientError ReceiveJob::Worker::deriveKeys(const QString& password) {
    // Idempotent: the program normally did this at start-up, but a job must not depend on it.
    if (auto ready = ots::initialize(); !ready.ok())
        return ClientError::fromOts(ready.error());
    if (!m_info.passwordRequired) {
        auto keys = ShareKeys::fromLinkSecret(m_link->secret());
        if (!keys.ok())
            return ClientError::fromOts(keys.error());
        m_keys.emplace(std::move(keys).value());
        return {};
    }
    if (password.isEmpty())
        return ClientError::make(
            ErrorKind::PasswordRequired, QStringLiteral("password_required"),
            QStringLiteral("This share is protected by a password. Enter it to continue."));
    if (!m_info.kdf || m_info.kdf->salt.size() != static_cast<qsizetype>(format::kArgonSaltBytes))
        return ClientError::make(
            ErrorKind::RelayRejected, QStringLiteral("bad_kdf"),
            QStringLiteral("The relay did not describe how to derive the key from the password."));
    Argon2Params params;
    params.iterations = m_info.kdf->iterations;
    params.memoryKiB = m_info.kdf->memoryKiB;
    params.parallelism = m_info.kdf->parallelism;
    std::memcpy(params.salt.data(), m_info.kdf->salt.constData(), params.salt.size());
    // The relay chose nothing here, the sender did; a relay that weakens the parameters (cheaper guessing)
    // or inflates them (exhausting this machine) is refused before any work.
    if (auto valid = params.validate(); !valid.ok()) {
        ClientError error = ClientError::fromOts(valid.error());
        error.kind = ErrorKind::RelayRejected;
        return error;
    }
    QByteArray utf8 = password.normalized(QString::NormalizationForm_C).toUtf8();
    const SecretBuffer secretPassword = SecretBuffer::fromBytes(
        {reinterpret_cast<const std::uint8_t*>(utf8.constData()), static_cast<std::size_t>(utf8.size())});
    wipe(utf8);
    auto keys = ShareKeys::fromPassword(
        m_link->secret(),
        std::string_view(reinterpret_cast<const char*>(secretPassword.data()), secretPassword.size()),
        params);
    if (!keys.ok())
        return ClientError::fromOts(keys.error());
    m_keys.emplace(std::move(keys).value());
    return {};
}

ClientError ReceiveJob::Worker::proofRefused(const ClientError& error) const {
    // The relay checked the link signature first: the link itself is damaged, whatever the password.
    if (error.code == QLatin1String("link_invalid"))
        return error;
    if (error.code != QLatin1String("proof_invalid") && error.kind != ErrorKind::WrongPassword &&
        error.kind != ErrorKind::WrongKey)
        return error;
    ClientError refused = error;
    if (m_info.passwordRequired) {
        refused.kind = ErrorKind::WrongPassword;
        refused.message =
            refused.attemptsLeft >= 0
                ? QStringLiteral("The password is wrong. %1 attempt(s) left before the share locks.")
                      .arg(refused.attemptsLeft)
                : QStringLiteral("The password is wrong.");
    } else {
        refused.kind = ErrorKind::WrongKey;
        refused.message = QStringLiteral("The link is damaged or incomplete: its secret part does not open "
                                         "this share. Copy the whole link again, or ask the sender for it.");
    }
    return refused;
}

template <typename T>
Outcome<T> ReceiveJob::Worker::withProof(RelayClient& client,
                                         const std::function<Outcome<T>(const Proof&)>& call) {
    for (int round = 0;; ++round) {
        auto challenge = client.challenge(m_id);
        if (!challenge.ok())
            return challenge.error();
        ChallengeNonce nonce{};
        if (challenge.value().nonce.size() != static_cast<qsizetype>(nonce.size()))
            return ClientError::make(ErrorKind::RelayRejected, QStringLiteral("bad_challenge"),
                                     QStringLiteral("The relay sent a challenge of the wrong size."));
        std::memcpy(nonce.data(), challenge.value().nonce.constData(), nonce.size());
        const Signature signature = m_keys->signChallenge(m_link->shareId(), nonce);
        const Signature linkSignature = m_keys->signLinkChallenge(m_link->shareId(), nonce);
        Outcome<T> answer = call(Proof{challenge.value().nonce, bytesOf(signature.data(), signature.size()),
                                       bytesOf(linkSignature.data(), linkSignature.size())});
        // The nonce is single-use: if the reply to a first try was lost, the retry finds it consumed.
        if (!answer.ok() && answer.error().code == QLatin1String("challenge_invalid") && round == 0)
            continue;
        if (!answer.ok())
            return proofRefused(answer.error());
        return answer;
    }
}

ClientError ReceiveJob::Worker::unlock(RelayClient& client, const QString& password) {
    if (ClientError failed = deriveKeys(password))
        return failed;
    if (m_cancel->cancelled())
        return receiveCancelled();
    auto envelope =
        withProof<QByteArray>(client, [&](const Proof& proof) { return client.metadata(m_id, proof); });
    if (!envelope.ok())
        return envelope.error();
    auto plain = metadata::open(*m_keys, {reinterpret_cast<const std::uint8_t*>(envelope.value().constData()),
                                          static_cast<std::size_t>(envelope.value().size())});
    if (!plain.ok()) {
        // The relay has just accepted a proof by the key this envelope is sealed under, so the key is
        // right: an envelope that does not open was changed on the relay (or on the way).
        ClientError error = ClientError::fromOts(plain.error());
        if (plain.code() == Errc::MetadataAuthFailed) {
            error.kind = ErrorKind::Tampered;
            error.message =
                QStringLiteral("The share's description (file names and sizes) failed its integrity "
                               "check although the link and password are right: it was changed on "
                               "the relay or on the way. Nothing was downloaded.");
        }
        return error;
    }
    auto parsed = MetadataCodec::decode(bytesOf(plain->data(), plain->size()));
    if (!parsed.ok())
        return parsed.error();
    m_metadata = std::move(parsed).value();
    return {};
}

ClientError ReceiveJob::Worker::download(RelayClient& client, const QString& outputDir,
                                         ReceiveResult& result) {
    const bool inMemory =
        m_metadata.isText && !m_options.saveText && m_metadata.totalBytes <= kMaxTextInMemory;
    std::unique_ptr<ShareExtractor> extractor;
    std::unique_ptr<TextCollector> collector;
    if (inMemory) {
        auto made = TextCollector::create(*m_keys, kMaxTextInMemory);
        if (!made.ok())
            return ClientError::fromOts(made.error());
        collector = std::move(made).value();
    } else {
        if (outputDir.isEmpty())
            return usage(QStringLiteral("Choose a folder to save the share in."));
        if (!QDir().mkpath(outputDir))
            return ClientError::make(ErrorKind::LocalIo, QStringLiteral("io.open_failed"),
                                     QStringLiteral("The folder \"%1\" cannot be created.").arg(outputDir));
        const QString absolute = QDir::cleanPath(QFileInfo(outputDir).absoluteFilePath());
        // Before anything is reserved: a share that cannot fit costs nothing.
        if (ClientError full = checkFreeSpace(absolute))
            return full;
        auto made = ShareExtractor::create(*m_keys, std::filesystem::path(absolute.toStdU16String()));
        if (!made.ok())
            return ClientError::fromOts(made.error());
        extractor = std::move(made).value();
    }
    // Nothing half-written stays behind, whatever ends the download.
    struct AbortUnlessDone {
        ShareExtractor* extractor;
        bool done = false;
        ~AbortUnlessDone() {
            if (!done && extractor != nullptr)
                extractor->abort();
        }
    } guard{extractor.get()};

    if (m_cancel->cancelled())
        return receiveCancelled();
    // A confirmed ticket from an earlier try (this job's, or a stored one) is used as it is; otherwise
    // a download is reserved now.
    loadHeldTicket();
    bool reservedNow = false;
    if (m_ticket.isEmpty() || !m_heldUntil.isValid()) {
        if (ClientError refused = reserve(client))
            return refused;
        reservedNow = true;
    }
    const std::uint64_t expected = m_info.size;

    TransferMeter meter(expected);
    std::uint64_t received = 0;
    ClientError sinkError;
    const RelayClient::DownloadSink sink = [&](const char* data, qint64 size) -> ClientError {
        const auto count = static_cast<std::uint64_t>(size);
        if (count > expected - received) {
            sinkError = tampered(QStringLiteral("stream.trailing_data"),
                                 QStringLiteral("The relay sent more data than the share holds."));
            return sinkError;
        }
        const ByteView bytes(reinterpret_cast<const std::uint8_t*>(data), count);
        const Status pushed = collector ? collector->push(bytes) : extractor->push(bytes);
        if (!pushed.ok()) {
            sinkError = ClientError::fromOts(pushed.error());
            return sinkError;
        }
        received += count;
        postProgress(meter, received);
        return {};
    };

    int failures = 0;
    while (received < expected) {
        const std::uint64_t before = received;
        auto delivered = client.download(m_id, m_ticket, received, sink);
        if (sinkError)
            return sinkError;
        if (m_cancel->cancelled())
            return receiveCancelled();
        // A held ticket the relay no longer knows lapsed (or was finished) since it was saved: it holds
        // nothing any more, so this is the moment to reserve, once.
        if (!delivered.ok() && !reservedNow && received == 0 &&
            delivered.error().kind == ErrorKind::Unauthorized) {
            forgetTicket();
            if (ClientError refused = reserve(client))
                return refused;
            reservedNow = true;
            continue;
        }
        // A complete answer that still leaves bytes missing, or a relay that has nothing from here on,
        // means its copy is shorter than the share: decryption below reports the truncation.
        if (delivered.ok() || delivered.error().code == QLatin1String("range_not_satisfiable"))
            break;
        ClientError failure = delivered.error();
        if (failure.kind == ErrorKind::Cancelled)
            return receiveCancelled();
        if (!Backoff::isTransient(failure))
            return failure;
        if (received > before)
            failures = 0;
        if (++failures >= std::max(m_options.retry.attempts, 1))
            return failure;
        const auto wait = Backoff::delay(m_options.retry, failures);
        post(Report::Info, [attempt = failures, failure, ms = static_cast<int>(wait.count())](
                               ReceiveJob& job) { Q_EMIT job.retrying(attempt, failure, ms); });
        if (!Backoff::sleep(wait, *m_cancel))
            return receiveCancelled();
    }

    if (collector) {
        auto text = collector->finish();
        if (!text.ok())
            return ClientError::fromOts(text.error());
        result.text = std::move(text).value();
    } else {
        auto saved = extractor->finish();
        if (!saved.ok())
            return ClientError::fromOts(saved.error());
        guard.done = true;
        for (const std::filesystem::path& path : saved.value())
            result.savedPaths << QString::fromStdString(toUtf8(path));
    }
    result.isText = m_metadata.isText;

    // The ciphertext is all here: tell the relay, so a one-time share is deleted now, not when the
    // ticket lapses. Best effort: the files are already safe.
    auto left = client.finish(m_id, m_ticket);
    result.downloadsLeft = left.ok() ? left.value() : m_info.downloadsLeft;
    forgetTicket();
    return {};
}

ClientError ReceiveJob::Worker::reserve(RelayClient& client) {
    // A ticket drawn now was unknown when the share was looked up; one loaded from the store may have
    // reserved before that look-up, so only a new reservation (201) changes the count then.
    const bool drawnNow = m_ticket.isEmpty();
    if (m_ticket.isEmpty()) {
        m_ticket = RelayClient::newTicket();
        m_heldUntil = QDateTime();
        // Saved before the request: should this process die before the answer arrives, the next try
        // proves again with the same ticket and finds the reservation it may have made.
        saveHeldTicket();
    }
    // A failure on the way may have reserved under the ticket without the answer arriving: proving
    // again with the same ticket finds that reservation (§10.6), so transient failures are retried
    // here as the download's are, and the ticket stays for a later try when they persist.
    for (int failures = 0;;) {
        auto reservation = withProof<Reservation>(
            client, [&](const Proof& proof) { return client.reserve(m_id, proof, m_ticket); });
        if (reservation.ok()) {
            if (reservation.value().size != m_info.size)
                return tampered(QStringLiteral("size_mismatch"),
                                QStringLiteral("The relay reports two different sizes for this share; it "
                                               "cannot be trusted."));
            m_heldUntil = QDateTime::currentDateTime().addSecs(std::max(0, reservation.value().expiresIn));
            saveHeldTicket();
            // What the relay now tells anyone: one download fewer (shown beside a failed download).
            if (drawnNow || !reservation.value().held) {
                m_info.downloadsLeft = std::max(0, m_info.downloadsLeft - 1);
                post(Report::Info,
                     [left = m_info.downloadsLeft](ReceiveJob& job) { job.m_info.downloadsLeft = left; });
            }
            return {};
        }
        ClientError error = reservation.error();
        if (error.kind == ErrorKind::Cancelled)
            return receiveCancelled();
        // A refusal means nothing is reserved under this ticket.
        if (!Backoff::isTransient(error)) {
            forgetTicket();
            return error;
        }
        if (++failures >= std::max(m_options.retry.attempts, 1))
            return error;
        const auto wait = Backoff::delay(m_options.retry, failures);
        post(Report::Info, [attempt = failures, error, ms = static_cast<int>(wait.count())](ReceiveJob& job) {
            Q_EMIT job.retrying(attempt, error, ms);
        });
        if (!Backoff::sleep(wait, *m_cancel))
            return receiveCancelled();
    }
}

ReceiveJob::ReceiveJob(ReceiveOptions options, QObject* parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_cancel(std::make_shared<CancelToken>())
    , m_worker(std::make_unique<Worker>(this, m_options, m_cancel)) {
    qRegisterMetaType<ots::client::ClientError>();
    qRegisterMetaType<ots::client::ShareInfo>();
    qRegisterMetaType<ots::client::ShareMetadata>();
    qRegisterMetaType<ots::client::ReceiveResult>();
    qRegisterMetaType<ots::client::ReceiveJob::State>();
}

ReceiveJob::~ReceiveJob() {
    m_cancel->cancel();
    m_worker.reset();
}

bool ReceiveJob::refuseCall(const char* action) {
    if (!m_busy && m_state != State::Cancelled && m_state != State::Finished)
        return false;
    Q_EMIT failed(usage(QStringLiteral("Cannot %1 now: the share is %2.")
                            .arg(QLatin1String(action),
                                 m_busy ? QStringLiteral("busy") : QStringLiteral("no longer active"))));
    return true;
}

void ReceiveJob::inspect() {
    if (refuseCall("inspect"))
        return;
    m_busy = true;
    setState(State::Inspecting);
    m_worker->run([](Worker& worker) { worker.inspectStep(); });
}

void ReceiveJob::unlock(const QString& password) {
    if (refuseCall("unlock"))
        return;
    m_busy = true;
    setState(State::Unlocking);
    m_worker->run([password](Worker& worker) { worker.unlockStep(password); });
}

void ReceiveJob::download(const QString& outputDir) {
    if (refuseCall("download"))
        return;
    if (!m_unlocked) {
        Q_EMIT failed(usage(QStringLiteral("Unlock the share before downloading it.")));
        return;
    }
    m_busy = true;
    setState(State::Downloading);
    m_worker->run([outputDir](Worker& worker) { worker.downloadStep(outputDir); });
}

void ReceiveJob::cancel() {
    if (m_state == State::Cancelled || m_state == State::Finished)
        return;
    m_cancel->cancel();
    if (m_busy)
        return; // the running step reports cancelled()
    m_error = receiveCancelled();
    setState(State::Cancelled);
    Q_EMIT cancelled();
}

void ReceiveJob::setState(State state) {
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace ots::client
