#pragma once

// The container: several files and folders in one plaintext payload (SPEC.md §6).
// Layout: header "OTSC" | version | 3 reserved bytes, then entries, then an end marker.

#include "ots/Bytes.h"
#include "ots/Format.h"

#include <cstdint>
#include <span>
#include <string>

namespace ots {

enum class EntryType : std::uint8_t {
    Directory = format::kEntryDirectory,
    File = format::kEntryFile,
};

struct ContainerEntry {
    EntryType type = EntryType::File;
    std::string path;       ///< relative, '/'-separated, UTF-8
    std::uint32_t mode = 0; ///< permission bits only (0..0777)
    std::uint64_t size = 0; ///< content bytes that follow; 0 for directories
    std::int64_t mtime = 0; ///< seconds since the Unix epoch
};

namespace container {

[[nodiscard]] Bytes encodeHeader();
/// Encodes the fixed part and the path of one entry (content bytes follow it in the payload).
[[nodiscard]] Bytes encodeEntry(const ContainerEntry& entry);
[[nodiscard]] Bytes encodeEnd();
/// Exact payload size of a container holding these entries, content included.
[[nodiscard]] std::uint64_t payloadSize(std::span<const ContainerEntry> entries) noexcept;

} // namespace container
} // namespace ots
