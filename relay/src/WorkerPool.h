#pragma once

// Threads that run the relay's Redis work, each owning one synchronous hiredis connection. The I/O
// threads never block on Redis: they hand a job to this pool and go on serving other connections.
// The queue is bounded, so a slow or dead Redis turns into quick 503s (tryPost fails) instead of an
// ever-growing backlog of waiting requests.

#include "Config.h"

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace ots::relay {

class RedisConnection;

class WorkerPool {
public:
    using Job = std::function<void(RedisConnection&)>;
    static constexpr std::size_t kDefaultCapacity = 4096;

    /// Starts Config::redisConnections threads; their connections are opened lazily by the first job.
    explicit WorkerPool(const Config& config, std::size_t capacity = kDefaultCapacity);
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;
    ~WorkerPool();

    /// Queues a job unless the queue is full or the pool has stopped; false tells the caller to
    /// answer 503 at once.
    [[nodiscard]] bool tryPost(Job job);
    /// Queues a job even beyond the capacity. Only for work that must not be dropped because it
    /// releases state in Redis (the lease of an upload whose body has ended, a destroyed share's files
    /// and quota); each such job follows a job that tryPost admitted, so the overshoot is bounded by
    /// the number of connections.
    /// Returns false only once the pool has stopped.
    bool post(Job job);

    /// Runs every job already queued, then joins the threads. Idempotent.
    void stop();

    [[nodiscard]] std::size_t queued() const;

private:
    void run();

    const Config& m_config;
    const std::size_t m_capacity;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Job> m_jobs;
    bool m_stopping = false;
    std::vector<std::thread> m_threads;
};

} // namespace ots::relay
