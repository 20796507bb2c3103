#pragma once

// How a job's worker thread reports to the job: a function posted as an event to a small object that
// lives in the job's thread (a child of the job). Events for an object die with it, so nothing posted
// can run after the job is gone.

#include <QObject>

#include <functional>

namespace ots::client {

class JobMailbox : public QObject {
public:
    explicit JobMailbox(QObject* parent);

    /// Thread-safe: fn runs later in the mailbox's thread, in the order of posting.
    void post(std::function<void()> fn);

protected:
    bool event(QEvent* event) override;
};

} // namespace ots::client
