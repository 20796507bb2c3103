#pragma once

// Turns files and folders (or a piece of text) into a container payload (SPEC.md §6). The entry
// list is built up front so the exact payload size is known before anything is encrypted; file
// contents are read only while writing, in blocks, so memory stays flat whatever the file sizes.

#include "ots/Bytes.h"
#include "ots/Container.h"

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace ots {

class ContainerPacker {
public:
    /// Each input (a regular file or a folder, walked recursively) becomes a top-level entry named
    /// after it. Links, sockets and devices are refused, not followed.
    [[nodiscard]] static Result<ContainerPacker> fromPaths(const std::vector<std::filesystem::path>& inputs);
    /// A single file entry holding text. name must be a valid entry path (e.g. "message.txt").
    [[nodiscard]] static ContainerPacker fromText(std::string name, std::string text);

    [[nodiscard]] const std::vector<ContainerEntry>& entries() const noexcept { return m_entries; }
    [[nodiscard]] std::uint64_t payloadSize() const noexcept;

    /// Streams the whole payload into sink; progress receives the payload bytes written so far.
    /// Fails with IoFileChanged if a file no longer has the size recorded when it was listed.
    [[nodiscard]] Status write(const ByteSink& sink,
                               const std::function<void(std::uint64_t done)>& progress = {}) const;

private:
    ContainerPacker() = default;

    [[nodiscard]] Status addPath(const std::filesystem::path& source, const std::string& entryPath);
    [[nodiscard]] Status addFolderContents(const std::filesystem::path& folder, const std::string& entryPath);

    std::vector<ContainerEntry> m_entries;
    std::vector<std::filesystem::path> m_sources; // parallel to m_entries: where each one was found
    std::optional<std::string> m_text;            // the content of a text share's only entry
    std::size_t m_totalPathBytes = 0;
};

} // namespace ots
