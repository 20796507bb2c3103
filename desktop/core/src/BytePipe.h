#pragma once

// A bounded byte queue between two threads: the thread that encrypts writes, the thread that uploads
// reads. The writer blocks while the queue is full, which is the back-pressure that keeps a 20 GiB
// upload at a few MiB of memory: the encryptor runs only as fast as the network drains.

#include "ots/Bytes.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace ots::client {

class BytePipe {
public:
    explicit BytePipe(std::size_t capacity);

    /// Writer: copies all of data in, waiting while the pipe is full. False once the reader has
    /// aborted (the writer should stop).
    [[nodiscard]] bool write(ByteView data);
    /// Writer: no more data will come; the reader sees the end after draining.
    void close();

    /// Reader: up to maxBytes bytes without waiting. Returns the count, 0 when nothing is there yet, or
    /// -1 once the writer closed and everything was read.
    [[nodiscard]] std::int64_t read(char* out, std::int64_t maxBytes);
    /// Reader: stop; a blocked or later write returns false.
    void abort();

    [[nodiscard]] std::size_t available() const;
    /// Closed by the writer and drained.
    [[nodiscard]] bool atEnd() const;

    /// Called on the writer's thread whenever data arrives in an empty pipe or the writer closes it: the
    /// reader may be waiting for exactly that. Safe to replace (or clear) while the writer runs.
    void setWakeReader(std::function<void()> wake);

private:
    void wakeReader();

    mutable std::mutex m_mutex;
    std::condition_variable m_spaceFreed;
    std::vector<std::uint8_t> m_ring;
    std::size_t m_head = 0; // next byte to read
    std::size_t m_size = 0; // bytes stored
    bool m_closed = false;
    bool m_aborted = false;
    std::mutex m_wakeMutex; // the reader may replace the callback while the writer calls it
    std::function<void()> m_wakeReader;
};

} // namespace ots::client
