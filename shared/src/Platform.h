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

/// True if errno after a failed write means no more data fits: disk, quota or file-size limit.
[[nodiscard]] bool lastErrorIsDiskFull() noexcept;

/// Renames from → to only if `to` does not exist, atomically where the OS can (renameat2 with
/// RENAME_NOREPLACE on Linux, MoveFileExW without MOVEFILE_REPLACE_EXISTING on Windows).
/// Returns std::errc::file_exists if the name is taken.
[[nodiscard]] std::error_code renameNoReplace(const std::filesystem::path& from,
                                              const std::filesystem::path& to) noexcept;

} // namespace ots::platform
