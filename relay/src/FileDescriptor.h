#pragma once

// What the blob stores share for files: a descriptor that closes itself, opened with EINTR retried, and
// positional writes until all is written.

#include <cerrno>
#include <cstddef>
#include <cstdint>
#include <fcntl.h>
#include <sys/types.h>
#include <unistd.h>
#include <utility>

namespace ots::relay {

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept
        : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(FileDescriptor&& other) noexcept
        : m_fd(std::exchange(other.m_fd, -1)) {}
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    FileDescriptor& operator=(FileDescriptor&&) = delete;
    [[nodiscard]] int get() const noexcept { return m_fd; }
    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }

private:
    int m_fd;
};

/// open(2) with O_CLOEXEC, retried on EINTR; errno tells why when the result is not valid().
inline FileDescriptor openFile(const char* path, int flags, mode_t mode = 0600) {
    int fd = -1;
    do {
        fd = ::open(path, flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return FileDescriptor(fd);
}

/// pwrite until all is written. Returns 0 or the errno.
inline int writeAt(int fd, const char* data, std::size_t size, std::uint64_t offset) noexcept {
    while (size > 0) {
        const ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return errno;
        }
        data += n;
        size -= static_cast<std::size_t>(n);
        offset += static_cast<std::uint64_t>(n);
    }
    return 0;
}

} // namespace ots::relay
