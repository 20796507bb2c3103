#pragma once

// Group commit of fsync(2) on one descriptor (a folder whose entries many requests change at once):
// a caller's sync() returns once an fsync that began after the call has succeeded, and one fsync
// serves every caller that arrived while the previous one ran. With N requests creating or renaming
// files in the same folder at the same moment, the folder is written out about twice instead of N
// times, and no caller returns before its own change is durable.

#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>

namespace ots::relay {

class GroupSync {
public:
    /// fd stays owned by the caller and open while this object lives.
    explicit GroupSync(int fd) noexcept
        : m_fd(fd) {}
    GroupSync(const GroupSync&) = delete;
    GroupSync& operator=(const GroupSync&) = delete;

    /// Every change made to the descriptor's file before this call is durable when this returns true;
    /// false: the fsync that covered it failed (errno is not kept).
    [[nodiscard]] bool sync();

    /// How many fsyncs have run (each serves one batch of callers).
    [[nodiscard]] std::uint64_t fsyncs() const;

private:
    struct Batch {
        bool done = false;
        bool ok = false;
    };

    int m_fd;
    mutable std::mutex m_mutex;
    std::condition_variable m_finished;
    bool m_running = false;        ///< an fsync runs now (for a batch no longer open)
    std::shared_ptr<Batch> m_open; ///< callers waiting for the next fsync, or none
    std::uint64_t m_fsyncs = 0;
};

} // namespace ots::relay
