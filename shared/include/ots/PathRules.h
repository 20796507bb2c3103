#pragma once

// Which entry paths a container may carry and which names a target system can hold (SPEC.md §6.3).
// Portable rules apply everywhere; Windows rules add what NTFS/Win32 cannot store. Native picks the
// rules of the system this code runs on.

#include "ots/Result.h"

#include <filesystem>
#include <string>
#include <string_view>

namespace ots {

enum class PathRules { Posix, Windows, Native };

/// Validates one entry path: relative, '/'-separated, valid UTF-8, every component storable.
[[nodiscard]] Status validateEntryPath(std::string_view path, PathRules rules = PathRules::Native);

/// The key under which a path counts as a duplicate on the target: case-folded (ASCII) on Windows
/// and macOS, whose file systems are case-insensitive by default; the path itself elsewhere.
[[nodiscard]] std::string duplicateKey(std::string_view path, PathRules rules = PathRules::Native);

/// The file-system path named by an entry path (or one of its components). Entry paths are UTF-8
/// whatever the platform's native encoding, so the conversion must not go through a narrow string.
[[nodiscard]] std::filesystem::path toFileSystemPath(std::string_view entryPath);
/// A file-system path as UTF-8: for entry names and error details.
[[nodiscard]] std::string toUtf8(const std::filesystem::path& path);

} // namespace ots
