#include "WriteBehind.h"

#include "Platform.h"

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <new>

#ifdef __linux__
#include <pthread.h>
#endif

namespace ots {

namespace {

static_assert(WriteBehind::kBufferBytes % platform::kDirectIoAlignment == 0,
              "a full buffer must be a whole number of direct-I/O blocks");

/// Bytes written before the file's writeback is started, so the fsync at its end finds little left and
/// the disk works while the rest still arrives.
constexpr std::int64_t kWritebackStep = std::int64_t{16} << 20;

} // namespace

void WriteBehind::AlignedDelete::operator()(std::uint8_t* memory) const noexcept {
    ::operator delete[](memory, std::align_val_t{platform::kDirectIoAlignment});
}

WriteBehind::~WriteBehind() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
        m_queue.clear();
    }
    m_changed.notify_all();
    if (m_thread.joinable())
        m_thread.join();
    for (auto& buffer : m_buffers)
        sodium_memzero(buffer.get(), kBufferBytes);
}

void WriteBehind::begin(std::FILE* file) noexcept {
    std::lock_guard lock(m_mutex);
    m_file = file;
    m_filled = 0;
    m_sinceFlush = 0;
    m_error = 0;
    m_direct = false;
    m_directTried = false;
}

bool WriteBehind::write(ByteView data) {
    if (m_buffers.empty()) {
        m_buffers.resize(kBuffers);
        for (std::size_t i = 0; i < kBuffers; ++i) {
            m_buffers[i].reset(static_cast<std::uint8_t*>(
                ::operator new[](kBufferBytes, std::align_val_t{platform::kDirectIoAlignment})));
            if (i != 0)
                m_free.push_back(i);
        }
        m_filling = 0;
    }
    while (!data.empty()) {
        const std::size_t take = std::min(data.size(), kBufferBytes - m_filled);
        std::memcpy(m_buffers[m_filling].get() + m_filled, data.data(), take);
        m_filled += take;
        data = data.subspan(take);
        if (m_filled < kBufferBytes)
            break;
        // A full buffer: over to the writer, and on with a free one.
        if (!m_thread.joinable())
            startThread();
        std::unique_lock lock(m_mutex);
        if (m_error != 0)
            return false;
        if (!m_directTried) {
            // The file's first full buffer: a large file. The writer has not touched it yet.
            m_directTried = true;
            m_direct = platform::setDirectIo(m_file, true);
        }
        m_queue.push_back(Piece{m_filling, m_filled});
        m_changed.notify_all();
        m_filling = takeFree(lock);
        m_filled = 0;
    }
    std::lock_guard lock(m_mutex);
    return m_error == 0;
}

bool WriteBehind::finish() {
    {
        std::unique_lock lock(m_mutex);
        waitIdle(lock);
        if (m_error != 0)
            return false;
        leaveDirectIo(); // the rest is not a whole number of blocks
    }
    // The rest, from this thread: the writer is idle and nothing is queued.
    if (m_filled > 0) {
        const int failure = writeOut(m_filling, m_filled);
        m_filled = 0;
        std::lock_guard lock(m_mutex);
        if (failure != 0 && m_error == 0)
            m_error = failure;
    }
    std::lock_guard lock(m_mutex);
    m_file = nullptr;
    return m_error == 0;
}

void WriteBehind::discard() noexcept {
    std::unique_lock lock(m_mutex);
    for (const Piece& piece : m_queue)
        m_free.push_back(piece.buffer);
    m_queue.clear();
    waitIdle(lock);
    leaveDirectIo();
    m_file = nullptr;
    m_filled = 0;
}

int WriteBehind::error() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_error;
}

bool WriteBehind::directIo() const noexcept {
    std::lock_guard lock(m_mutex);
    return m_direct;
}

void WriteBehind::leaveDirectIo() noexcept {
    if (!m_direct)
        return;
    m_direct = false;
    if (m_file != nullptr && !platform::setDirectIo(m_file, false) && m_error == 0)
        m_error = errno != 0 ? errno : EIO;
}

void WriteBehind::startThread() {
    m_thread = std::thread([this] { run(); });
}

void WriteBehind::run() {
#ifdef __linux__
    pthread_setname_np(pthread_self(), "ots-write"); // as ps and profilers show it
#endif
    std::unique_lock lock(m_mutex);
    for (;;) {
        m_changed.wait(lock, [this] { return m_stop || !m_queue.empty(); });
        if (m_stop)
            return;
        const Piece piece = m_queue.front();
        m_queue.pop_front();
        const bool skip = m_error != 0; // after a failure nothing more goes into the file
        m_writing = true;
        lock.unlock();
        const int failure = skip ? 0 : writeOut(piece.buffer, piece.size);
        lock.lock();
        m_writing = false;
        if (failure != 0 && m_error == 0)
            m_error = failure;
        m_free.push_back(piece.buffer);
        m_changed.notify_all();
    }
}

int WriteBehind::writeOut(std::size_t index, std::size_t size) noexcept {
    // m_direct only changes while the writer is idle, or here on the writer's own thread.
    const std::uint8_t* data = m_buffers[index].get();
    if (m_direct) {
        const std::size_t done = platform::writeRaw(m_file, data, size);
        if (done == size)
            return 0;
        if (errno != EINVAL)
            return errno != 0 ? errno : EIO;
        // The file system took the flag but not this write: the rest goes through the page cache.
        std::lock_guard lock(m_mutex);
        m_direct = false;
        if (!platform::setDirectIo(m_file, false))
            return errno != 0 ? errno : EIO;
        data += done;
        size -= done;
    }
    if (platform::writeRaw(m_file, data, size) != size)
        return errno != 0 ? errno : EIO;
    m_sinceFlush += static_cast<std::int64_t>(size);
    if (m_sinceFlush >= kWritebackStep) {
        m_sinceFlush = 0;
        if (!platform::startWriteback(m_file))
            return errno != 0 ? errno : EIO;
    }
    return 0;
}

void WriteBehind::waitIdle(std::unique_lock<std::mutex>& lock) {
    m_changed.wait(lock, [this] { return m_queue.empty() && !m_writing; });
}

std::size_t WriteBehind::takeFree(std::unique_lock<std::mutex>& lock) {
    m_changed.wait(lock, [this] { return !m_free.empty(); });
    const std::size_t index = m_free.back();
    m_free.pop_back();
    return index;
}

} // namespace ots
