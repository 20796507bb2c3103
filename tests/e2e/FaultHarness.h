#pragma once

// The pieces the fault suite (tst_faults.cpp) shares: a Redis that keeps what it acknowledged across a
// kill -9, a driver that runs many transfers through the real client engine (SendJob → ReceiveJob)
// while the test breaks things around them, and the checks every scenario ends with:
//   1. every share reported finished downloads byte-identical (checked as each download finishes);
//   2. no share is served more often than its download limit (the client's own count, extra
//      downloads tried at the end that must be refused, the share hashes in Redis, and the relay's
//      count of granted reservations from its request log);
//   3. no blob or partial file outlives the sweep: after the sweep interval the data folder holds
//      files of live shares only (files on disk compared with the share keys in Redis);
//   4. the relay answers /readyz.
// Real processes only: redis-server and this build's ots-relay, stopped by their PIDs.

#include "RelayProcess.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/SecretStore.h"
#include "ots/client/SendJob.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <cstring>
#include <memory>
#include <random>
#include <vector>

namespace ots::e2e {

using client::ClientError;
using client::ErrorKind;
using client::ReceiveJob;
using client::SendJob;
using relaytest::redisCli;
using relaytest::RelayProcess;

inline bool writeFile(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

inline QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// Runs the event loop (the jobs' signals arrive queued) for about ms milliseconds.
inline void pump(int ms) {
    QTest::qWait(ms);
}

/// The scenario's seed: OTS_FAULT_SEED if set (to replay a run), else a fresh one. Printed either way.
inline quint64 scenarioSeed(const char* scenario) {
    bool ok = false;
    quint64 seed = qEnvironmentVariable("OTS_FAULT_SEED").toULongLong(&ok);
    if (!ok)
        seed = QRandomGenerator::system()->generate64() % 1'000'000'000ULL;
    qInfo("%s: seed %llu (replay the same schedule with OTS_FAULT_SEED=%llu)", scenario, seed, seed);
    return seed;
}

/// redis-server with its own folder kept across restarts, appendonly yes and appendfsync always.
/// Why: the relay treats a Redis reply as done (an upload offset it reported, a reservation it
/// granted, a share it created). After a kill -9 without persistence Redis would come back empty,
/// every share would vanish and the blobs would be orphans by construction — not a fault the relay
/// can be asked to survive. With appendfsync always, Redis writes and fsyncs each command to its
/// append-only file before it replies, so every write the relay saw acknowledged survives the kill:
/// the production setting the installer's Redis configuration also recommends for this reason.
class DurableRedis {
public:
    DurableRedis() = default;
    ~DurableRedis() { stop(); }
    DurableRedis(const DurableRedis&) = delete;
    DurableRedis& operator=(const DurableRedis&) = delete;

    /// Starts on port (a free one the first time), same folder every time; waits for PING.
    [[nodiscard]] bool start(quint16 port = 0) {
        if (!m_dir.isValid())
            return false;
        m_port = port != 0 ? port : (m_port != 0 ? m_port : relaytest::freeLoopbackPort());
        m_process.setProgram(QStringLiteral("redis-server"));
        m_process.setArguments(
            {QStringLiteral("--port"), QString::number(m_port), QStringLiteral("--bind"),
             QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(), QStringLiteral("--appendonly"),
             QStringLiteral("yes"), QStringLiteral("--appendfsync"), QStringLiteral("always"),
             QStringLiteral("--dir"), m_dir.path(), QStringLiteral("--daemonize"), QStringLiteral("no")});
        m_process.setStandardOutputFile(m_dir.filePath(QStringLiteral("redis.log")), QIODevice::Append);
        m_process.setStandardErrorFile(m_dir.filePath(QStringLiteral("redis.log")), QIODevice::Append);
        m_process.start();
        if (!m_process.waitForStarted(5000))
            return false;
        return relaytest::waitUntil(
            [this] {
                return m_process.state() == QProcess::Running &&
                       redisCli(m_port, {QStringLiteral("PING")}, 1000).trimmed() == "PONG";
            },
            10'000);
    }
    /// kill -9 by this server's PID.
    void kill() {
        if (m_process.state() == QProcess::NotRunning)
            return;
        ::kill(static_cast<pid_t>(m_process.processId()), SIGKILL);
        m_process.waitForFinished(5000);
    }
    [[nodiscard]] bool restart() {
        kill();
        return start(m_port);
    }
    void stop() { relaytest::stopChild(m_process, true, 5000); }
    [[nodiscard]] quint16 port() const { return m_port; }
    [[nodiscard]] QByteArray log() const { return readFile(m_dir.filePath(QStringLiteral("redis.log"))); }

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
};

/// A retry policy with short delays, so a scenario's outages (a second or two) are bridged quickly.
inline client::RetryPolicy faultRetry() {
    client::RetryPolicy retry;
    retry.attempts = 20; // about 17 s of retrying: outlasts a relay restart on a busy CI machine
    retry.firstDelay = std::chrono::milliseconds(100);
    retry.maxDelay = std::chrono::milliseconds(1000);
    retry.requestTimeout = std::chrono::milliseconds(10'000);
    return retry;
}

/// A failure the client reports in words a person can act on: a known kind other than the ones that
/// mean a bug or corrupted data, with a message.
inline bool isClearFailure(const ClientError& error) {
    return error.kind != ErrorKind::None && error.kind != ErrorKind::Internal &&
           error.kind != ErrorKind::Tampered && !error.message.isEmpty();
}

/// The connection broke or the relay stayed unavailable through every retry.
inline bool isCutShort(const ClientError& error) {
    return error.kind == ErrorKind::Network || error.kind == ErrorKind::RelayUnavailable;
}

struct TransferSpec {
    qsizetype bytes = 64 * 1024;
    int maxDownloads = 1;
    qint64 expiresIn = 3600;
    bool download = true;      ///< false: a share left to expire (the sweeper must remove it)
    bool holdDownload = false; ///< wait for TransferRun::releaseDownloads() before downloading
};

/// One share from its file to its downloads.
struct Transfer {
    enum class Phase { Pending, Sending, Sent, Receiving, Probing, Done };

    int index = 0;
    TransferSpec spec;
    QByteArray content;
    QString sourcePath;
    Phase phase = Phase::Pending;
    std::unique_ptr<SendJob> send;
    std::unique_ptr<ReceiveJob> receive;
    bool downloadStarted = false;
    QString id;
    QString link;
    bool sent = false;
    ClientError sendError;
    ClientError receiveError; ///< the last failed receive, if any
    int receiveAttempts = 0;
    int sendAttempts = 0;
    int successes = 0;  ///< downloads that finished (each compared byte for byte)
    int mismatches = 0; ///< downloads that finished with other bytes: must stay 0
    int retries = 0;    ///< retrying() signals of its jobs
    int probesLeft = 0;
    bool probeRefused = false; ///< an extra download beyond the limit was refused
    ClientError probeError;
    QElapsedTimer since;
};

/// Runs transfers with bounded concurrency through SendJob and ReceiveJob; the test calls poll() in
/// its loop (between the faults it causes) until done().
class TransferRun {
public:
    TransferRun(QString workDir, quint16 relayPort, int concurrency)
        : m_work(std::move(workDir))
        , m_relayPort(relayPort)
        , m_concurrency(concurrency) {}

    /// Content comes from rng, so a seed reproduces the files.
    void add(const TransferSpec& spec, std::mt19937_64& rng) {
        auto transfer = std::make_unique<Transfer>();
        transfer->index = static_cast<int>(m_transfers.size());
        transfer->spec = spec;
        transfer->content = QByteArray(spec.bytes, Qt::Uninitialized);
        for (qsizetype i = 0; i < spec.bytes; i += 8) {
            const std::uint64_t word = rng();
            std::memcpy(transfer->content.data() + i, &word,
                        static_cast<std::size_t>(std::min<qsizetype>(8, spec.bytes - i)));
        }
        m_transfers.push_back(std::move(transfer));
    }
    void setSegmentBytes(std::uint64_t bytes) { m_segmentBytes = bytes; }
    void releaseDownloads() { m_downloadsReleased = true; }

    /// Moves every transfer on by what its jobs did since the last call.
    void poll() {
        for (auto& transfer : m_transfers)
            advance(*transfer);
        for (auto& transfer : m_transfers)
            if (transfer->phase == Transfer::Phase::Pending && active() < m_concurrency)
                startSend(*transfer);
    }

    /// Every transfer has ended, except those held back for releaseDownloads() (holdDownload).
    /// A transfer that is Sent but waits for a free slot is not done: it still has to download.
    [[nodiscard]] bool done() const {
        for (const auto& transfer : m_transfers)
            if (transfer->phase != Transfer::Phase::Done && !waitingForRelease(*transfer))
                return false;
        return true;
    }
    [[nodiscard]] bool sendsDone() const {
        for (const auto& transfer : m_transfers)
            if (transfer->phase == Transfer::Phase::Pending || transfer->phase == Transfer::Phase::Sending)
                return false;
        return true;
    }
    [[nodiscard]] int active() const {
        int count = 0;
        for (const auto& transfer : m_transfers)
            count += transfer->phase == Transfer::Phase::Sending ||
                     transfer->phase == Transfer::Phase::Receiving ||
                     transfer->phase == Transfer::Phase::Probing;
        return count;
    }
    /// Jobs moving bytes right now (uploading, or unlocking/downloading).
    [[nodiscard]] int uploading() const {
        int count = 0;
        for (const auto& transfer : m_transfers)
            count += transfer->send && transfer->phase == Transfer::Phase::Sending &&
                     (transfer->send->state() == SendJob::State::Uploading ||
                      transfer->send->state() == SendJob::State::Finishing);
        return count;
    }
    [[nodiscard]] int downloading() const {
        int count = 0;
        for (const auto& transfer : m_transfers)
            count += transfer->receive && transfer->phase == Transfer::Phase::Receiving &&
                     transfer->receive->state() != ReceiveJob::State::Finished &&
                     transfer->receive->state() != ReceiveJob::State::Failed;
        return count;
    }
    /// Progress signals that reported bytes moved, uploads and downloads: the event a fault scenario
    /// strikes on, so that it always has something to interrupt (a timer races the transfers).
    [[nodiscard]] int uploadProgressSeen() const { return m_uploadProgress; }
    [[nodiscard]] int downloadProgressSeen() const { return m_downloadProgress; }
    [[nodiscard]] int totalRetries() const {
        int count = 0;
        for (const auto& transfer : m_transfers)
            count += transfer->retries;
        return count;
    }
    [[nodiscard]] const std::vector<std::unique_ptr<Transfer>>& transfers() const { return m_transfers; }

    /// Runs poll() until condition() or timeoutMs; between polls calls tick (the scenario's fault
    /// injector). False on timeout.
    template <typename Condition, typename Tick>
    [[nodiscard]] bool runUntil(Condition condition, int timeoutMs, Tick tick) {
        const QDeadlineTimer deadline(timeoutMs);
        while (!condition()) {
            if (deadline.hasExpired())
                return false;
            poll();
            tick();
            pump(10);
        }
        return true;
    }
    [[nodiscard]] bool runUntilDone(int timeoutMs) {
        return runUntil([this] { return done(); }, timeoutMs, [] {});
    }
    /// Keeps the transfers moving for ms milliseconds (while a server is down, say).
    void runFor(int ms) {
        const QDeadlineTimer deadline(ms);
        while (!deadline.hasExpired()) {
            poll();
            pump(10);
        }
    }

    /// After the scenario: for every share that should still be downloadable, downloads until the
    /// relay refuses — at most (limit − downloads so far + 1) times. More successes than the limit,
    /// or no refusal at the end, is a violation (see violations()).
    void startProbes() {
        for (auto& transfer : m_transfers) {
            if (transfer->phase != Transfer::Phase::Done || !transfer->sent || !transfer->spec.download)
                continue;
            transfer->probesLeft = std::max(transfer->spec.maxDownloads - transfer->successes, 0) + 1;
            transfer->phase = Transfer::Phase::Probing;
            transfer->receive.reset();
        }
    }

    /// Everything the transfers themselves show against the invariants: wrong bytes, unclear
    /// failures, more downloads than allowed, an extra download that was not refused.
    [[nodiscard]] QStringList violations(bool probed) const {
        QStringList out;
        for (const auto& t : m_transfers) {
            const QString name = QStringLiteral("transfer %1 (%2 bytes, id %3)")
                                     .arg(t->index)
                                     .arg(t->spec.bytes)
                                     .arg(t->id.isEmpty() ? QStringLiteral("-") : t->id);
            if (t->mismatches > 0)
                out << name + QStringLiteral(": %1 download(s) finished with other bytes").arg(t->mismatches);
            if (t->successes > t->spec.maxDownloads)
                out << name + QStringLiteral(": downloaded %1 times, limit %2")
                                  .arg(t->successes)
                                  .arg(t->spec.maxDownloads);
            if (!t->sent && !isClearFailure(t->sendError))
                out << name + QStringLiteral(": send failed without a clear error: kind %1 '%2'")
                                  .arg(int(t->sendError.kind))
                                  .arg(t->sendError.message);
            if (t->sent && t->spec.download && t->receiveAttempts == 0)
                out << name + QStringLiteral(": sent but never downloaded (the run ended without it)");
            // An upload the relay kept refusing because an earlier append's lease was still held: a
            // lease must not outlive its append (SPEC §10.13 §10.2), so the resume has to get through.
            if (!t->sent && t->sendError.code == QLatin1String("upload_in_progress"))
                out << name +
                           QStringLiteral(": upload stranded by a stale lease (409 upload_in_progress: '%1')")
                               .arg(t->sendError.message);
            if (t->receiveAttempts > 0 && t->successes == 0 && !isClearFailure(t->receiveError))
                out << name + QStringLiteral(": receive failed without a clear error: kind %1 '%2'")
                                  .arg(int(t->receiveError.kind))
                                  .arg(t->receiveError.message);
            if (probed && t->sent && t->spec.download && !t->probeRefused)
                out << name + QStringLiteral(": an extra download beyond the limit was not refused (%1: %2)")
                                  .arg(client::errorKindName(t->probeError.kind), t->probeError.message);
        }
        return out;
    }

    /// Per transfer, one line: outcome, retries, errors. For the log of every run.
    [[nodiscard]] QString summary() const {
        int sent = 0;
        int downloaded = 0;
        QStringList failures;
        for (const auto& t : m_transfers) {
            sent += t->sent;
            downloaded += t->successes > 0;
            if (!t->sent)
                failures << QStringLiteral("#%1 send: %2 (%3)")
                                .arg(t->index)
                                .arg(client::errorKindName(t->sendError.kind), t->sendError.message);
            else if (t->spec.download && t->successes == 0)
                failures << QStringLiteral("#%1 receive: %2 (%3)")
                                .arg(t->index)
                                .arg(client::errorKindName(t->receiveError.kind), t->receiveError.message);
        }
        return QStringLiteral("%1 transfers: %2 sent, %3 downloaded, %4 retries%5")
            .arg(m_transfers.size())
            .arg(sent)
            .arg(downloaded)
            .arg(totalRetries())
            .arg(failures.isEmpty() ? QString()
                                    : QStringLiteral("; failures: ") + failures.join(QStringLiteral("; ")));
    }

    /// Ids of the shares the run created (sends that finished).
    [[nodiscard]] QStringList shareIds() const {
        QStringList out;
        for (const auto& t : m_transfers)
            if (t->sent)
                out << t->id;
        return out;
    }

private:
    [[nodiscard]] bool waitingForRelease(const Transfer& t) const {
        return t.phase == Transfer::Phase::Sent && t.spec.holdDownload && !m_downloadsReleased;
    }

    [[nodiscard]] QUrl relayUrl() const {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_relayPort));
    }

    void startSend(Transfer& t) {
        t.sourcePath = QDir(m_work).filePath(QStringLiteral("src/t%1.bin").arg(t.index));
        if (!writeFile(t.sourcePath, t.content))
            qFatal("cannot write %s", qPrintable(t.sourcePath));
        client::SendOptions options;
        options.relay = relayUrl();
        options.retry = faultRetry();
        options.paths = {t.sourcePath};
        options.maxDownloads = t.spec.maxDownloads;
        options.expiresIn = t.spec.expiresIn;
        options.uploadSegmentBytes = m_segmentBytes;
        t.send = std::make_unique<SendJob>(options);
        QObject::connect(t.send.get(), &SendJob::retrying, t.send.get(), [&t] { ++t.retries; });
        QObject::connect(t.send.get(), &SendJob::progress, t.send.get(),
                         [this](quint64 done) { m_uploadProgress += done > 0; });
        t.phase = Transfer::Phase::Sending;
        t.since.start();
        t.send->start();
    }

    void startReceive(Transfer& t) {
        client::ReceiveOptions options;
        options.link = t.link;
        options.retry = faultRetry();
        // As the app and `ots get` do: a reservation's ticket outlives a failed try, so trying the link
        // again continues that download instead of spending another.
        options.secrets = [folder = QDir(m_work).filePath(QStringLiteral("secrets"))] {
            return client::SecretStore::openFile(folder);
        };
        t.receive = std::make_unique<ReceiveJob>(options);
        QObject::connect(t.receive.get(), &ReceiveJob::retrying, t.receive.get(), [&t] { ++t.retries; });
        QObject::connect(t.receive.get(), &ReceiveJob::progress, t.receive.get(),
                         [this](quint64 done) { m_downloadProgress += done > 0; });
        t.downloadStarted = false;
        ++t.receiveAttempts;
        t.receive->unlock();
    }

    [[nodiscard]] int runningReceives() const {
        int count = 0;
        for (const auto& transfer : m_transfers)
            count += transfer->receive != nullptr;
        return count;
    }

    [[nodiscard]] QString outDir(const Transfer& t) const {
        return QDir(m_work).filePath(QStringLiteral("out/t%1-%2").arg(t.index).arg(t.receiveAttempts));
    }

    /// A finished download: compare, then drop the copy (the suite moves hundreds of MiB).
    void recordDownload(Transfer& t) {
        const QString path = QDir(outDir(t)).filePath(QStringLiteral("t%1.bin").arg(t.index));
        if (readFile(path) == t.content)
            ++t.successes;
        else
            ++t.mismatches;
        QDir(outDir(t)).removeRecursively();
    }

    void advance(Transfer& t) {
        switch (t.phase) {
        case Transfer::Phase::Pending:
        case Transfer::Phase::Done:
            return;
        case Transfer::Phase::Sending:
            if (t.send->state() == SendJob::State::Finished) {
                t.sent = true;
                t.id = t.send->result().id;
                t.link = t.send->result().link;
                t.phase = t.spec.download ? Transfer::Phase::Sent : Transfer::Phase::Done;
            } else if (t.send->state() == SendJob::State::Failed ||
                       t.send->state() == SendJob::State::Cancelled) {
                t.sendError = t.send->error();
                // What a person does when a send is cut where the engine may not repeat a request
                // (a create that may have been applied): send again, once or twice. A share the
                // first try left behind expires on its own.
                if (isCutShort(t.sendError) && ++t.sendAttempts < 3) {
                    startSend(t);
                    return;
                }
                t.phase = Transfer::Phase::Done;
            }
            return;
        case Transfer::Phase::Sent:
            if (t.spec.holdDownload && !m_downloadsReleased)
                return;
            if (active() >= m_concurrency)
                return;
            t.phase = Transfer::Phase::Receiving;
            startReceive(t);
            return;
        case Transfer::Phase::Receiving:
        case Transfer::Phase::Probing:
            advanceReceive(t);
            return;
        }
    }

    void advanceReceive(Transfer& t) {
        const bool probing = t.phase == Transfer::Phase::Probing;
        if (!t.receive) {
            if (runningReceives() < m_concurrency)
                startReceive(t);
            return;
        }
        const ReceiveJob::State state = t.receive->state();
        if (state == ReceiveJob::State::Ready && !t.downloadStarted) {
            t.downloadStarted = true;
            QDir().mkpath(outDir(t));
            t.receive->download(outDir(t));
            return;
        }
        if (state == ReceiveJob::State::Finished) {
            recordDownload(t);
            t.receive.reset();
            if (!probing) {
                t.phase = Transfer::Phase::Done;
                return;
            }
            if (--t.probesLeft <= 0)
                t.phase = Transfer::Phase::Done; // every probe succeeded: probeRefused stays false
            return;
        }
        if (state != ReceiveJob::State::Failed && state != ReceiveJob::State::Cancelled &&
            state != ReceiveJob::State::NeedPassword)
            return;
        const ClientError error = t.receive->error();
        t.receive.reset();
        QDir(outDir(t)).removeRecursively();
        if (probing) {
            t.probeError = error;
            t.probeRefused = error.kind == ErrorKind::Downloaded;
            t.phase = Transfer::Phase::Done;
            return;
        }
        t.receiveError = error;
        // What a person would do after a network failure: try the link again (a few times).
        // challenge_invalid: a proof cut short after the relay had used its nonce; a new try gets a new one.
        if ((isCutShort(error) || error.code == QLatin1String("challenge_invalid")) &&
            t.receiveAttempts < 3) {
            startReceive(t);
            return;
        }
        t.phase = Transfer::Phase::Done;
    }

    QString m_work;
    quint16 m_relayPort;
    int m_concurrency;
    std::uint64_t m_segmentBytes = 256 * 1024;
    bool m_downloadsReleased = false;
    int m_uploadProgress = 0;
    int m_downloadProgress = 0;
    std::vector<std::unique_ptr<Transfer>> m_transfers;
};

/// Ids of the files in the relay's data folder: blobs/XY/ZW/ID and uploads/ID.part.
inline QStringList idsOnDisk(const QString& dataDir) {
    QStringList ids;
    QDirIterator blobs(QDir(dataDir).filePath(QStringLiteral("blobs")), QDir::Files,
                       QDirIterator::Subdirectories);
    while (blobs.hasNext())
        ids << QFileInfo(blobs.next()).fileName();
    QDirIterator parts(QDir(dataDir).filePath(QStringLiteral("uploads")), {QStringLiteral("*.part")},
                       QDir::Files);
    while (parts.hasNext())
        ids << QFileInfo(parts.next()).completeBaseName();
    return ids;
}

inline bool shareKeyExists(quint16 redisPort, const QString& id) {
    return redisCli(redisPort, {QStringLiteral("EXISTS"), QStringLiteral("ots:{%1}:share").arg(id)})
               .trimmed() == "1";
}

/// Files on disk whose share is gone from Redis (orphans).
inline QStringList orphans(const QString& dataDir, quint16 redisPort) {
    QStringList out;
    for (const QString& id : idsOnDisk(dataDir))
        if (!shareKeyExists(redisPort, id))
            out << id;
    return out;
}

/// For a message: what is on disk for id, and what Redis still knows of it.
inline QString describeOrphan(const QString& dataDir, quint16 redisPort, const QString& id) {
    const bool part = QFileInfo::exists(QDir(dataDir).filePath(QStringLiteral("uploads/%1.part").arg(id)));
    const QByteArray tombstone =
        redisCli(redisPort, {QStringLiteral("GET"), QStringLiteral("ots:{%1}:gone").arg(id)}).trimmed();
    const QByteArray expiry =
        redisCli(redisPort, {QStringLiteral("ZSCORE"), QStringLiteral("{ots}:expiry"), id}).trimmed();
    return QStringLiteral("%1 (%2; tombstone '%3'; expiry index entry %4)")
        .arg(id, part ? QStringLiteral("partial upload") : QStringLiteral("blob"),
             QString::fromLatin1(tombstone),
             expiry.isEmpty() ? QStringLiteral("none") : QString::fromLatin1(expiry));
}

/// The share hash fields as numbers (empty when the share key is gone).
inline QMap<QString, qint64> shareCounters(quint16 redisPort, const QString& id) {
    const QStringList fields{QStringLiteral("maxDownloads"), QStringLiteral("reserved"),
                             QStringLiteral("finished"), QStringLiteral("lapsed")};
    const QList<QByteArray> values =
        redisCli(redisPort,
                 QStringList{QStringLiteral("HMGET"), QStringLiteral("ots:{%1}:share").arg(id)} + fields)
            .split('\n');
    QMap<QString, qint64> out;
    for (qsizetype i = 0; i < fields.size() && i < values.size(); ++i)
        if (!values[i].trimmed().isEmpty())
            out.insert(fields[i], values[i].trimmed().toLongLong());
    return out;
}

/// Redis' view of the limits: no share has more reservations or finished downloads than it allows,
/// and the quota counter is the sum of the live reservations (nothing leaked or released twice).
inline QStringList redisViolations(quint16 redisPort, const QStringList& ids) {
    QStringList out;
    for (const QString& id : ids) {
        const auto counters = shareCounters(redisPort, id);
        if (counters.isEmpty())
            continue; // gone: downloaded, deleted or expired (the tombstone says which)
        const qint64 limit = counters.value(QStringLiteral("maxDownloads"));
        if (counters.value(QStringLiteral("reserved")) > limit ||
            counters.value(QStringLiteral("finished")) > limit)
            out << QStringLiteral("share %1: reserved %2, finished %3, limit %4")
                       .arg(id)
                       .arg(counters.value(QStringLiteral("reserved")))
                       .arg(counters.value(QStringLiteral("finished")))
                       .arg(limit);
    }
    // Both read in one script: a sweep between two separate reads (a share released after HVALS and
    // before GET) would look like a leak.
    const QList<QByteArray> both =
        redisCli(redisPort,
                 {QStringLiteral("EVAL"),
                  QStringLiteral("local sum = 0 "
                                 "for _, v in ipairs(redis.call('HVALS', KEYS[2])) do "
                                 "sum = sum + tonumber(v) end "
                                 "return {redis.call('GET', KEYS[1]) or '0', string.format('%d', sum)}"),
                  QStringLiteral("2"), QStringLiteral("{ots}:usage"), QStringLiteral("{ots}:sizes")})
            .split('\n');
    const qint64 usage = both.value(0).trimmed().toLongLong();
    const qint64 sum = both.value(1).trimmed().toLongLong();
    if (usage != sum)
        out << QStringLiteral("quota counter {ots}:usage = %1 but the live reservations add up to %2")
                   .arg(usage)
                   .arg(sum);
    return out;
}

/// Requests of route that the relay answered with status, counted in its request log over all its
/// runs (a kill -9 may cost the last lines, so this can only undercount).
inline int loggedRequests(const QByteArray& log, const QByteArray& route, int status) {
    int count = 0;
    const QByteArray routeField = "\"route\":\"" + route + '"';
    const QByteArray statusField = "\"status\":" + QByteArray::number(status);
    for (const QByteArray& line : log.split('\n'))
        if (line.contains(routeField) && line.contains(statusField))
            ++count;
    return count;
}

inline bool relayReady(const RelayProcess& relay) {
    return relay.client().get("/readyz").status == 200;
}

} // namespace ots::e2e
