#include "ConnectionTracker.h"

#include <vector>

namespace ots::relay {

std::uint64_t ConnectionTracker::add(std::weak_ptr<Connection> connection) {
    const std::lock_guard lock(m_mutex);
    const std::uint64_t id = m_nextId++;
    m_connections.emplace(id, std::move(connection));
    return id;
}

void ConnectionTracker::remove(std::uint64_t id) noexcept {
    const std::lock_guard lock(m_mutex);
    m_connections.erase(id);
}

void ConnectionTracker::drainAll() {
    m_draining.store(true, std::memory_order_release);
    std::vector<std::shared_ptr<Connection>> live;
    {
        const std::lock_guard lock(m_mutex);
        live.reserve(m_connections.size());
        for (const auto& [id, weak] : m_connections)
            if (auto connection = weak.lock())
                live.push_back(std::move(connection));
    }
    // Outside the lock: dropping the last reference runs a connection's destructor, which calls
    // remove() and takes the lock itself.
    for (const auto& connection : live)
        connection->drain();
}

std::size_t ConnectionTracker::size() const {
    const std::lock_guard lock(m_mutex);
    return m_connections.size();
}

} // namespace ots::relay
