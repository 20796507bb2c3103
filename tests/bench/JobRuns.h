#pragma once

// One SendJob or ReceiveJob driven to its end on the calling thread's event loop, the way a program
// using ots::client does it: start (or inspect → unlock → download), wait for finished or failed,
// time it. A run that takes longer than its timeout is cancelled and reported as a failure, so a
// benchmark never hangs on a stuck transfer.

#include "ots/client/ReceiveJob.h"
#include "ots/client/SendJob.h"

#include <QEventLoop>
#include <QObject>
#include <QString>
#include <QTimer>

#include <chrono>
#include <string>

namespace ots::bench {

struct SendRun {
    ots::client::SendResult result;
    std::string error; ///< empty when the job finished
    double seconds = 0;
};

struct ReceiveRun {
    ots::client::ReceiveResult result;
    ots::client::ShareMetadata metadata;
    std::string error;          ///< empty when the job finished
    double seconds = 0;         ///< inspect() to finished(): what a person waits for
    double downloadSeconds = 0; ///< download() to finished(): reserve, transfer, verify, unpack
};

inline std::string describe(const ots::client::ClientError& error) {
    return error.message.toStdString() + " [" + error.code.toStdString() + "]";
}

inline SendRun runSendJob(ots::client::SendOptions options, std::chrono::milliseconds timeout) {
    using ots::client::SendJob;
    using Clock = std::chrono::steady_clock;
    SendRun run;
    SendJob job(std::move(options));
    QEventLoop loop;
    QObject::connect(&job, &SendJob::finished, &loop, [&](const ots::client::SendResult& result) {
        run.result = result;
        loop.quit();
    });
    QObject::connect(&job, &SendJob::failed, &loop, [&](const ots::client::ClientError& error) {
        run.error = "send failed: " + describe(error);
        loop.quit();
    });
    QObject::connect(&job, &SendJob::cancelled, &loop, [&] {
        if (run.error.empty())
            run.error = "send was cancelled";
        loop.quit();
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        run.error = "send did not end within " + std::to_string(timeout.count() / 1000) + " s";
        job.cancel();
        loop.quit();
    });
    const auto start = Clock::now();
    deadline.start(timeout);
    job.start();
    loop.exec();
    run.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    return run;
}

/// Receives the share behind link into outputDir (a share without a password).
inline ReceiveRun runReceiveJob(const QString& link, const QString& outputDir,
                                std::chrono::milliseconds timeout) {
    using ots::client::ReceiveJob;
    using Clock = std::chrono::steady_clock;
    ReceiveRun run;
    ots::client::ReceiveOptions options;
    options.link = link;
    ReceiveJob job(options);
    QEventLoop loop;
    bool inspected = false;
    bool unlockAsked = false;
    bool downloadAsked = false;
    Clock::time_point downloadStart;
    // Each step once the previous one has ended: the job is back at rest (Idle after inspect, Ready
    // after unlock); the signals of a step may arrive in any order.
    const auto advance = [&] {
        if (!run.error.empty())
            return;
        if (job.state() == ReceiveJob::State::NeedPassword) {
            run.error = "the share asks for a password; the benchmark sends none";
            job.cancel();
            loop.quit();
        } else if (job.state() == ReceiveJob::State::Idle && inspected && !unlockAsked) {
            unlockAsked = true;
            job.unlock();
        } else if (job.state() == ReceiveJob::State::Ready && !downloadAsked) {
            downloadAsked = true;
            downloadStart = Clock::now();
            job.download(outputDir);
        }
    };
    QObject::connect(&job, &ReceiveJob::inspected, &loop, [&] {
        inspected = true;
        advance();
    });
    QObject::connect(&job, &ReceiveJob::metadataReady, &loop,
                     [&](const ots::client::ShareMetadata& metadata) {
                         run.metadata = metadata;
                         advance();
                     });
    QObject::connect(&job, &ReceiveJob::stateChanged, &loop, [&] { advance(); });
    QObject::connect(&job, &ReceiveJob::finished, &loop, [&](const ots::client::ReceiveResult& result) {
        run.result = result;
        loop.quit();
    });
    QObject::connect(&job, &ReceiveJob::failed, &loop, [&](const ots::client::ClientError& error) {
        run.error = "receive failed: " + describe(error);
        loop.quit();
    });
    QObject::connect(&job, &ReceiveJob::cancelled, &loop, [&] {
        if (run.error.empty())
            run.error = "receive was cancelled";
        loop.quit();
    });
    QTimer deadline;
    deadline.setSingleShot(true);
    QObject::connect(&deadline, &QTimer::timeout, &loop, [&] {
        run.error = "receive did not end within " + std::to_string(timeout.count() / 1000) + " s";
        job.cancel();
        loop.quit();
    });
    const auto start = Clock::now();
    deadline.start(timeout);
    job.inspect();
    loop.exec();
    const auto end = Clock::now();
    run.seconds = std::chrono::duration<double>(end - start).count();
    if (downloadAsked)
        run.downloadSeconds = std::chrono::duration<double>(end - downloadStart).count();
    return run;
}

} // namespace ots::bench
