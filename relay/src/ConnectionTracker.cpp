#include "ConnectionTracker.h"

#include <utility>
#include <vector>

namespace ots::relay {

ConnectionTracker::ClientSlot::ClientSlot(ConnectionTracker* tracker, std::string client)
    : m_tracker(tracker)
    , m_client(std::move(client)) {}

ConnectionTracker::ClientSlot::ClientSlot(ClientSlot&& other) noexcept
    : m_tracker(std::exchange(other.m_tracker, nullptr))
    , m_client(std::move(other.m_client)) {}

ConnectionTracker::ClientSlot& ConnectionTracker::ClientSlot::operator=(ClientSlot&& other) noexcept {
    if (this != &other) {
        if (m_tracker)
            m_tracker->release(m_client);
        m_tracker = std::exchange(other.m_tracker, nullptr);
        m_client = std::move(other.m_client);
    }
    return *this;
}

ConnectionTracker::ClientSlot::~ClientSlot() {
    if (m_tracker)
        m_tracker->release(m_client);
}

std::optional<ConnectionTracker::ClientSlot> ConnectionTracker::admit(std::string client, std::size_t limit) {
    {
        const std::lock_guard lock(m_mutex);
        std::size_t& open = m_perClient[client];
        if (open >= limit) {
            if (open == 0)
                m_perClient.erase(client);
            return std::nullopt;
        }
        ++open;
    }
    return ClientSlot(this, std::move(client));
}

void ConnectionTracker::release(const std::string& client) noexcept {
    const std::lock_guard lock(m_mutex);
    const auto found = m_perClient.find(client);
    if (found != m_perClient.end() && --found->second == 0)
        m_perClient.erase(found);
}

std::size_t ConnectionTracker::connectionsOf(const std::string& client) const {
    const std::lock_guard lock(m_mutex);
    const auto found = m_perClient.find(client);
    return found == m_perClient.end() ? 0 : found->second;
}

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
