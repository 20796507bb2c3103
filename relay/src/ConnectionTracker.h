#pragma once

// The set of open connections, so that a drain (SIGTERM) can reach them: idle keep-alive
// connections close at once, busy ones finish their request and then close. The server waits
// until the set is empty (or the drain deadline passes) before it exits.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace ots::relay {

class ConnectionTracker {
public:
    /// What a connection offers the tracker. drain() may be called from any thread; the connection
    /// hops to its own executor before touching its state.
    class Connection {
    public:
        virtual ~Connection() = default;
        virtual void drain() = 0;
    };

    [[nodiscard]] std::uint64_t add(std::weak_ptr<Connection> connection);
    void remove(std::uint64_t id) noexcept;

    /// From now on draining() is true; every connection open now is told to drain.
    void drainAll();
    [[nodiscard]] bool draining() const noexcept { return m_draining.load(std::memory_order_acquire); }
    [[nodiscard]] std::size_t size() const;

private:
    mutable std::mutex m_mutex;
    std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> m_connections;
    std::uint64_t m_nextId = 1;
    std::atomic<bool> m_draining{false};
};

} // namespace ots::relay
