#pragma once

// The set of open connections, so that a drain (SIGTERM) can reach them: idle keep-alive
// connections close at once, busy ones finish their request and then close. The server waits
// until the set is empty (or the drain deadline passes) before it exits.
//
// It also counts open connections per client (ClientAddress::peerBucket of the TCP peer), so that
// one client cannot hold every descriptor of the relay: admit() refuses a client at its cap.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
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

    /// One open connection counted against its client's cap, until this is destroyed. The tracker
    /// must outlive it.
    class ClientSlot {
    public:
        ClientSlot() = default;
        ClientSlot(ClientSlot&& other) noexcept;
        ClientSlot& operator=(ClientSlot&& other) noexcept;
        ClientSlot(const ClientSlot&) = delete;
        ClientSlot& operator=(const ClientSlot&) = delete;
        ~ClientSlot();

    private:
        friend class ConnectionTracker;
        ClientSlot(ConnectionTracker* tracker, std::string client);
        ConnectionTracker* m_tracker = nullptr;
        std::string m_client;
    };

    /// A slot for one more connection of `client`, or nothing when it has `limit` open already.
    [[nodiscard]] std::optional<ClientSlot> admit(std::string client, std::size_t limit);
    /// Open connections of `client` (those holding a slot).
    [[nodiscard]] std::size_t connectionsOf(const std::string& client) const;

    [[nodiscard]] std::uint64_t add(std::weak_ptr<Connection> connection);
    void remove(std::uint64_t id) noexcept;

    /// From now on draining() is true; every connection open now is told to drain.
    void drainAll();
    [[nodiscard]] bool draining() const noexcept { return m_draining.load(std::memory_order_acquire); }
    [[nodiscard]] std::size_t size() const;

private:
    void release(const std::string& client) noexcept;

    mutable std::mutex m_mutex;
    std::unordered_map<std::uint64_t, std::weak_ptr<Connection>> m_connections;
    std::unordered_map<std::string, std::size_t> m_perClient; ///< only clients with a connection open
    std::uint64_t m_nextId = 1;
    std::atomic<bool> m_draining{false};
};

} // namespace ots::relay
