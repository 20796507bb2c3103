#include "WorkerPool.h"

#include "Log.h"
#include "RedisConnection.h"

#include <exception>

namespace ots::relay {

WorkerPool::WorkerPool(const Config& config, std::size_t capacity)
    : m_config(config)
    , m_capacity(capacity) {
    const unsigned count = config.redisConnections == 0 ? 1 : config.redisConnections;
    m_threads.reserve(count);
    for (unsigned i = 0; i < count; ++i)
        m_threads.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() {
    stop();
}

bool WorkerPool::tryPost(Job job) {
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopping || m_jobs.size() >= m_capacity)
            return false;
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
    return true;
}

bool WorkerPool::post(Job job) {
    {
        const std::lock_guard lock(m_mutex);
        if (m_stopping)
            return false;
        m_jobs.push_back(std::move(job));
    }
    m_wake.notify_one();
    return true;
}

void WorkerPool::stop() {
    {
        const std::lock_guard lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (std::thread& thread : m_threads)
        if (thread.joinable())
            thread.join();
    m_threads.clear();
}

std::size_t WorkerPool::queued() const {
    const std::lock_guard lock(m_mutex);
    return m_jobs.size();
}

void WorkerPool::run() {
    RedisConnection redis(m_config);
    while (true) {
        Job job;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
            if (m_jobs.empty())
                return; // stopping, and nothing left to run
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        try {
            job(redis);
        } catch (const std::exception& e) {
            // A job reports its own failures as responses; reaching here is a bug, but it must not
            // take the worker (and with it a Redis connection) down.
            Log::error("worker job failed", {{"error", e.what()}});
        }
    }
}

} // namespace ots::relay
