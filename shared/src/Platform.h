#pragma once

// The few calls that differ between operating systems, kept in one file so that the rest of
// shared/ uses only the standard library.

#include <cstdio>
#include <filesystem>
#include <system_error>

namespace ots::platform {

/// fopen with a path that keeps its Unicode name everywhere (on Windows the narrow fopen would use
/// the ANSI code page). mode as for fopen, e.g. "rb" or "wbx".
[[nodiscard]] std::FILE* openFile(const std::filesystem::path& path, const char* mode) noexcept;

/// Flushes a stdio stream and asks the OS to put its data on stable storage (fsync / _commit).
[[nodiscard]] bool syncFile(std::FILE* file) noexcept;

/// Flushes a stdio stream and asks the OS to start writing its dirty pages back now, without waiting
/// (sync_file_range on Linux; elsewhere only the flush). A later syncFile() then has little left to
/// do, so a large download does not end with one long flush. Advisory: errors surface in syncFile().
[[nodiscard]] bool startWriteback(std::FILE* file) noexcept;

/// Writes `size` bytes to the file's descriptor with write(2) (retrying short writes and EINTR), past
/// stdio's buffer, which must be empty (nothing written through the stream since it was opened or
/// flushed). Returns the bytes written: all of them, or fewer with errno set. Elsewhere: fwrite.
[[nodiscard]] std::size_t writeRaw(std::FILE* file, const void* data, std::size_t size) noexcept;

/// Memory addresses, file offsets and lengths of direct writes are multiples of this (the largest
/// logical block size of common disks).
inline constexpr std::size_t kDirectIoAlignment = 4096;

/// Switches direct I/O on or off for the file's descriptor (O_DIRECT on Linux): writeRaw() then moves
/// the bytes from the caller's buffer to the disk without copying them into the page cache, which
/// costs about as much CPU as decrypting them. Every direct write must be aligned as above. False
/// where the file system or OS has no direct I/O (tmpfs, other systems): then nothing changed.
[[nodiscard]] bool setDirectIo(std::FILE* file, bool on) noexcept;

/// True if errno after a failed write means no more data fits: disk, quota or file-size limit.
[[nodiscard]] bool lastErrorIsDiskFull() noexcept;

/// Renames from → to only if `to` does not exist, atomically where the OS can (renameat2 with
/// RENAME_NOREPLACE on Linux, MoveFileExW without MOVEFILE_REPLACE_EXISTING on Windows).
/// Returns std::errc::file_exists if the name is taken.
[[nodiscard]] std::error_code renameNoReplace(const std::filesystem::path& from,
                                              const std::filesystem::path& to) noexcept;

} // namespace ots::platform
