#include "Platform.h"

#include <cerrno>
#include <string>

#ifdef _WIN32
#include <io.h>
#include <windows.h>
#else
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#endif

namespace ots::platform {

std::FILE* openFile(const std::filesystem::path& path, const char* mode) noexcept {
#ifdef _WIN32
    wchar_t wideMode[8] = {};
    for (std::size_t i = 0; i + 1 < std::size(wideMode) && mode[i] != '\0'; ++i)
        wideMode[i] = static_cast<wchar_t>(mode[i]);
    return _wfopen(path.c_str(), wideMode);
#else
    return std::fopen(path.c_str(), mode);
#endif
}

bool syncFile(std::FILE* file) noexcept {
    if (std::fflush(file) != 0)
        return false;
#ifdef _WIN32
    return _commit(_fileno(file)) == 0;
#else
    return ::fsync(::fileno(file)) == 0;
#endif
}

bool startWriteback(std::FILE* file) noexcept {
    if (std::fflush(file) != 0)
        return false;
#ifdef __linux__
    (void)::sync_file_range(::fileno(file), 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
    return true;
}

std::size_t writeRaw(std::FILE* file, const void* data, std::size_t size) noexcept {
#ifdef _WIN32
    return std::fwrite(data, 1, size, file);
#else
    const int fd = ::fileno(file);
    const auto* bytes = static_cast<const unsigned char*>(data);
    std::size_t done = 0;
    while (done < size) {
        const ssize_t written = ::write(fd, bytes + done, size - done);
        if (written < 0) {
            if (errno == EINTR)
                continue;
            return done;
        }
        if (written == 0) {
            errno = EIO;
            return done;
        }
        done += static_cast<std::size_t>(written);
    }
    return done;
#endif
}

bool setDirectIo(std::FILE* file, bool on) noexcept {
#ifdef __linux__
    const int fd = ::fileno(file);
    const int flags = ::fcntl(fd, F_GETFL);
    if (flags < 0)
        return false;
    const int wanted = on ? (flags | O_DIRECT) : (flags & ~O_DIRECT);
    return wanted == flags || ::fcntl(fd, F_SETFL, wanted) == 0;
#else
    (void)file;
    return !on;
#endif
}

bool lastErrorIsDiskFull() noexcept {
#ifdef EDQUOT
    if (errno == EDQUOT) // the user's quota: full, for this user
        return true;
#endif
    // EFBIG: the file-size limit (RLIMIT_FSIZE) or the file system's largest file was reached.
    return errno == ENOSPC || errno == EFBIG;
}

std::error_code renameNoReplace(const std::filesystem::path& from, const std::filesystem::path& to) noexcept {
#ifdef _WIN32
    if (MoveFileExW(from.c_str(), to.c_str(), 0) != 0)
        return {};
    const DWORD error = GetLastError();
    if (error == ERROR_ALREADY_EXISTS || error == ERROR_FILE_EXISTS)
        return std::make_error_code(std::errc::file_exists);
    return {static_cast<int>(error), std::system_category()};
#elif defined(__linux__) && defined(RENAME_NOREPLACE)
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0)
        return {};
    if (errno != EINVAL && errno != ENOSYS) // EINVAL: this file system cannot do it atomically
        return {errno, std::generic_category()};
#endif
#ifndef _WIN32
    // Check, then rename: the window is small and only another process of the same user can use it.
    std::error_code error;
    if (std::filesystem::symlink_status(to, error).type() != std::filesystem::file_type::not_found)
        return std::make_error_code(std::errc::file_exists);
    std::filesystem::rename(from, to, error);
    return error;
#endif
}

} // namespace ots::platform
