#pragma once

// Writes a container's entries to disk as the parser delivers them (SPEC.md §6.4). Everything goes
// into a private staging folder inside the target; only commit(), called once the final chunk has
// authenticated, moves the top-level entries into the target, never over anything already there.
// Until then, and whenever anything fails, the target folder is left exactly as it was.

#include "ots/ContainerParser.h"

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace ots {

class WriteBehind;

class ContainerUnpacker final : public ContainerHandler {
public:
    /// Creates the staging folder ".ots-partial-<random>" (mode 0700) inside targetDir.
    [[nodiscard]] static Result<std::unique_ptr<ContainerUnpacker>>
    create(const std::filesystem::path& targetDir, PathRules rules = PathRules::Native);
    /// Removes the staging folder unless commit() succeeded.
    ~ContainerUnpacker() override;
    ContainerUnpacker(const ContainerUnpacker&) = delete;
    ContainerUnpacker& operator=(const ContainerUnpacker&) = delete;

    Status onEntry(const ContainerEntry& entry) override;
    Status onData(ByteView data) override;
    Status onEntryEnd() override;

    /// Moves every top-level entry into the target, renaming "x" to "x (2)", "x (3)" … on a clash,
    /// and returns their final paths. On failure whatever was moved is moved back.
    [[nodiscard]] Result<std::vector<std::filesystem::path>> commit();
    /// Deletes everything received so far.
    void abort() noexcept;

    /// The entry's modification time is applied only within [kEarliestMtime, kLatestMtime] (SPEC.md §6.5).
    static constexpr std::int64_t kEarliestMtime = -(std::int64_t{1} << 31);
    static constexpr std::int64_t kLatestMtime = (std::int64_t{1} << 32) - 1;
    /// The name commit() tries for the number-th time (SPEC.md §6.5): name itself for 1, otherwise
    /// " (number)" before a file's extension ("x.tar (2).gz", ".env (2)", "a. (2)") or after a folder's name.
    [[nodiscard]] static std::string numberedName(std::string_view name, bool isFolder, int number);

private:
    struct FileCloser {
        void operator()(std::FILE* file) const noexcept { std::fclose(file); }
    };
    struct StagedDirectory {
        std::filesystem::path path;
        std::int64_t mtime = 0;
    };

    ContainerUnpacker(std::filesystem::path targetDir, std::filesystem::path stagingDir, PathRules rules);

    [[nodiscard]] Status makeDirectory(const std::filesystem::path& directory, const std::string& entryPath);
    [[nodiscard]] Status writeFailed() const;
    /// Renames a staged top-level entry to its name or the first free "name (N)"; empty on failure.
    [[nodiscard]] std::filesystem::path moveToFreeName(const std::filesystem::path& staged,
                                                       std::string_view name) const;

    std::filesystem::path m_targetDir;
    std::filesystem::path m_stagingDir;
    PathRules m_rules;
    std::unique_ptr<std::FILE, FileCloser> m_file; // the file entry being received
    std::unique_ptr<WriteBehind> m_writer;         // writes m_file on a second thread
    std::filesystem::path m_filePath;
    std::string m_entryPath;
    std::int64_t m_fileMtime = 0;
    std::vector<StagedDirectory> m_directories;
    std::vector<std::string> m_topLevelNames; // in the order they arrived
    std::set<std::string> m_topLevelKeys;
    bool m_closed = false; // committed or aborted
};

} // namespace ots
