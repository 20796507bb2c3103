#pragma once

// Runs blocking work (the relay, the keychain) off the GUI thread and hands its result back on the
// GUI thread. History, Settings and the tray share one single-thread pool, so the calls that touch
// ShareHistory and the SecretStore run one after another, never at the same time.

#include "ots/client/RelayClient.h"

#include <QCoreApplication>
#include <QFutureWatcher>
#include <QObject>
#include <QPointer>
#include <QThreadPool>
#include <QtConcurrent/QtConcurrentRun>

#include <chrono>
#include <type_traits>
#include <utility>

namespace ots::gui {

/// The pool for history and secret-store calls: one thread, owned by the application (its
/// destructor waits for a call still running).
inline QThreadPool* backgroundPool() {
    static QPointer<QThreadPool> pool;
    if (pool.isNull()) {
        pool = new QThreadPool(QCoreApplication::instance());
        pool->setMaxThreadCount(1);
        pool->setObjectName(QStringLiteral("ots-gui-background"));
    }
    return pool.data();
}

/// For the relay checks made before a send and for the Send page's notice: one try, and a relay that
/// sends nothing for 1.5 s counts as not answering, so a send to a dead relay fails in under 2 s.
inline ots::client::RetryPolicy quickCheckRetry() {
    ots::client::RetryPolicy retry;
    retry.attempts = 1;
    retry.requestTimeout = std::chrono::milliseconds(1500);
    return retry;
}

/// RelayClient::checkConnection for url (after validate()); blocking, so call it in a worker thread.
inline ots::client::ClientError checkRelay(const QUrl& url, const ots::client::RetryPolicy& retry) {
    ots::client::RelayClient client(url, retry);
    if (ots::client::ClientError invalid = client.validate(); !invalid.ok())
        return invalid;
    return client.checkConnection();
}

/// Retries for calls a person waits on in the window: a dead relay is reported within seconds.
inline ots::client::RetryPolicy interactiveRetry() {
    ots::client::RetryPolicy retry;
    retry.attempts = 2;
    retry.firstDelay = std::chrono::milliseconds(250);
    retry.maxDelay = std::chrono::milliseconds(1000);
    retry.requestTimeout = std::chrono::milliseconds(10'000);
    return retry;
}

/// Runs work() in backgroundPool(); done(result) runs later in context's thread. Nothing runs when
/// context is gone by then.
template <typename Work, typename Done>
void runInBackground(QObject* context, Work work, Done done) {
    using Result = std::invoke_result_t<Work>;
    auto* watcher = new QFutureWatcher<Result>(context);
    QObject::connect(watcher, &QFutureWatcherBase::finished, context,
                     [watcher, finish = std::move(done)]() mutable {
                         watcher->deleteLater();
                         if constexpr (std::is_void_v<Result>)
                             finish();
                         else
                             finish(watcher->result());
                     });
    watcher->setFuture(QtConcurrent::run(backgroundPool(), std::move(work)));
}

} // namespace ots::gui
