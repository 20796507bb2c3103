#include "BytePipe.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace ots::client {

BytePipe::BytePipe(std::size_t capacity)
    : m_ring(std::max<std::size_t>(capacity, 1)) {}

bool BytePipe::write(ByteView data) {
    while (!data.empty()) {
        bool wasEmpty = false;
        {
            std::unique_lock lock(m_mutex);
            m_spaceFreed.wait(lock, [this] { return m_aborted || m_size < m_ring.size(); });
            if (m_aborted)
                return false;
            wasEmpty = m_size == 0;
            const std::size_t tail = (m_head + m_size) % m_ring.size();
            const std::size_t contiguous = std::min(m_ring.size() - m_size, m_ring.size() - tail);
            const std::size_t take = std::min(contiguous, data.size());
            std::memcpy(m_ring.data() + tail, data.data(), take);
            m_size += take;
            data = data.subspan(take);
        }
        if (wasEmpty)
            wakeReader();
    }
    return true;
}

void BytePipe::close() {
    {
        const std::lock_guard lock(m_mutex);
        m_closed = true;
    }
    wakeReader();
}

std::int64_t BytePipe::read(char* out, std::int64_t maxBytes) {
    std::size_t copied = 0;
    {
        const std::lock_guard lock(m_mutex);
        if (m_size == 0)
            return m_closed ? -1 : 0;
        auto wanted = static_cast<std::size_t>(std::max<std::int64_t>(maxBytes, 0));
        while (wanted > 0 && m_size > 0) {
            const std::size_t contiguous = std::min(m_size, m_ring.size() - m_head);
            const std::size_t take = std::min(contiguous, wanted);
            std::memcpy(out + copied, m_ring.data() + m_head, take);
            m_head = (m_head + take) % m_ring.size();
            m_size -= take;
            copied += take;
            wanted -= take;
        }
    }
    m_spaceFreed.notify_all();
    return static_cast<std::int64_t>(copied);
}

void BytePipe::abort() {
    {
        const std::lock_guard lock(m_mutex);
        m_aborted = true;
    }
    m_spaceFreed.notify_all();
}

std::size_t BytePipe::available() const {
    const std::lock_guard lock(m_mutex);
    return m_size;
}

bool BytePipe::atEnd() const {
    const std::lock_guard lock(m_mutex);
    return m_closed && m_size == 0;
}

void BytePipe::setWakeReader(std::function<void()> wake) {
    const std::lock_guard lock(m_wakeMutex);
    m_wakeReader = std::move(wake);
}

void BytePipe::wakeReader() {
    const std::lock_guard lock(m_wakeMutex);
    if (m_wakeReader)
        m_wakeReader();
}

} // namespace ots::client
