#include "GroupSync.h"

#include <cerrno>
#include <unistd.h>
#include <utility>

namespace ots::relay {

bool GroupSync::sync() {
    std::unique_lock lock(m_mutex);
    // Join the batch for the next fsync: it begins after this call, so it covers this caller's change.
    // The fsync running now may have begun before the change and covers only its own batch.
    if (!m_open)
        m_open = std::make_shared<Batch>();
    const std::shared_ptr<Batch> mine = m_open;
    while (!mine->done) {
        if (m_running) {
            m_finished.wait(lock);
            continue;
        }
        // Nobody syncs: this caller leads the open batch (its own) and closes it to newcomers.
        m_running = true;
        const std::shared_ptr<Batch> batch = std::exchange(m_open, nullptr);
        lock.unlock();
        int result = 0;
        do {
            result = ::fsync(m_fd);
        } while (result != 0 && errno == EINTR);
        lock.lock();
        batch->ok = result == 0;
        batch->done = true;
        ++m_fsyncs;
        m_running = false;
        m_finished.notify_all();
    }
    return mine->ok;
}

std::uint64_t GroupSync::fsyncs() const {
    const std::lock_guard lock(m_mutex);
    return m_fsyncs;
}

} // namespace ots::relay
