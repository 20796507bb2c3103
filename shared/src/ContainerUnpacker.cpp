#include "ots/ContainerUnpacker.h"

#include "Platform.h"
#include "WriteBehind.h"

#include <sodium.h>

#include <cerrno>
#include <chrono>
#include <system_error>
#include <utility>

namespace ots {

namespace fs = std::filesystem;

namespace {

// Received content is secret: nobody but the recipient may read it, whatever the sender's modes.
constexpr fs::perms kFolderPerms = fs::perms::owner_all;
constexpr fs::perms kFilePerms = fs::perms::owner_read | fs::perms::owner_write;
constexpr fs::perms kExecutableFilePerms = fs::perms::owner_all;
constexpr std::uint32_t kOwnerExecute = 0100;

constexpr int kMaxNameAttempts = 10000;

// "x": fail if the name exists instead of truncating it, and never follow a link at that name.
std::FILE* createNewFile(const fs::path& path) {
    return platform::openFile(path, "wbx");
}

void applyMtime(const fs::path& path, std::int64_t mtime) {
    // 1901..2106: what a 32-bit time_t or an unsigned 32-bit field can hold, and safely inside every
    // file_clock (libstdc++ counts signed nanoseconds around 2174, which overflows near 1882 and 2466).
    if (mtime < ContainerUnpacker::kEarliestMtime || mtime > ContainerUnpacker::kLatestMtime)
        return;
    const std::chrono::sys_seconds time{std::chrono::seconds{mtime}};
    std::error_code ignored; // the modification time is a courtesy; the content is what matters
    fs::last_write_time(path, std::chrono::file_clock::from_sys(time), ignored);
}

} // namespace

Result<std::unique_ptr<ContainerUnpacker>> ContainerUnpacker::create(const fs::path& targetDir,
                                                                     PathRules rules) {
    std::error_code error;
    const fs::file_status status = fs::status(targetDir, error);
    if (status.type() == fs::file_type::not_found)
        return Error{Errc::IoNotFound, toUtf8(targetDir)};
    if (error)
        return Error{Errc::IoOpenFailed, toUtf8(targetDir)};
    if (!fs::is_directory(status))
        return Error{Errc::IoTargetNotDirectory, toUtf8(targetDir)};

    // A random name: it cannot clash with the recipient's files or with another download in progress.
    std::uint8_t random[8];
    randombytes_buf(random, sizeof random);
    char hex[2 * sizeof random + 1];
    sodium_bin2hex(hex, sizeof hex, random, sizeof random);
    fs::path staging = targetDir / (std::string(".ots-partial-") + hex);

    if (!fs::create_directory(staging, error) || error) {
        const Errc code = error == std::errc::no_space_on_device ? Errc::IoDiskFull : Errc::IoWriteFailed;
        return Error{code, toUtf8(staging)};
    }
    // Before anything is written into it: once it is 0700 nobody else can open what it will hold.
    fs::permissions(staging, kFolderPerms, fs::perm_options::replace, error);
    if (error) {
        fs::remove(staging, error);
        return Error{Errc::IoWriteFailed, toUtf8(staging)};
    }
    return std::unique_ptr<ContainerUnpacker>(new ContainerUnpacker(targetDir, std::move(staging), rules));
}

ContainerUnpacker::ContainerUnpacker(fs::path targetDir, fs::path stagingDir, PathRules rules)
    : m_targetDir(std::move(targetDir))
    , m_stagingDir(std::move(stagingDir))
    , m_rules(rules)
    , m_writer(std::make_unique<WriteBehind>()) {}

ContainerUnpacker::~ContainerUnpacker() {
    abort();
}

Status ContainerUnpacker::onEntry(const ContainerEntry& entry) {
    if (m_closed || m_file)
        return Error{Errc::InvalidArgument, "entry out of order"};
    // The parser has checked the path already; checking again keeps this class safe on its own,
    // because it is the one that turns paths into files.
    OTS_TRY(validateEntryPath(entry.path, m_rules));

    const std::string topLevelName = entry.path.substr(0, entry.path.find('/'));
    if (m_topLevelKeys.insert(duplicateKey(topLevelName, m_rules)).second)
        m_topLevelNames.push_back(topLevelName);

    m_entryPath = entry.path;
    const fs::path path = m_stagingDir / toFileSystemPath(entry.path);
    OTS_TRY(makeDirectory(path.parent_path(), entry.path));
    if (entry.type == EntryType::Directory) {
        OTS_TRY(makeDirectory(path, entry.path));
        m_directories.push_back(StagedDirectory{path, entry.mtime});
        return {};
    }

    m_file.reset(createNewFile(path));
    if (!m_file) {
        // The name exists although the parser saw no duplicate: a collision its key cannot see, such
        // as Unicode case or normalisation on a case-insensitive file system. Never overwrite.
        if (errno == EEXIST)
            return Error{Errc::PathDuplicate, entry.path};
        return writeFailed();
    }
    std::error_code error;
    fs::permissions(path, (entry.mode & kOwnerExecute) != 0 ? kExecutableFilePerms : kFilePerms,
                    fs::perm_options::replace, error);
    if (error)
        return Error{Errc::IoWriteFailed, entry.path};
    m_filePath = path;
    m_fileMtime = entry.mtime;
    m_writer->begin(m_file.get());
    return {};
}

Status ContainerUnpacker::onData(ByteView data) {
    if (!m_file)
        return Error{Errc::InvalidArgument, "data outside a file entry"};
    // Written on a second thread, which also starts the writeback of a large file while the rest
    // still arrives: decryption and the page cache then work in parallel (WriteBehind.h).
    if (!m_writer->write(data)) {
        errno = m_writer->error();
        return writeFailed();
    }
    return {};
}

Status ContainerUnpacker::onEntryEnd() {
    if (!m_file)
        return {};
    if (!m_writer->finish()) {
        errno = m_writer->error();
        return writeFailed();
    }
    // Synced as each file is closed, so that commit() only renames data that is on stable storage
    // and never has to hold or reopen thousands of files.
    if (!platform::syncFile(m_file.get()))
        return writeFailed();
    if (std::fclose(m_file.release()) != 0)
        return writeFailed();
    applyMtime(m_filePath, m_fileMtime);
    return {};
}

Result<std::vector<fs::path>> ContainerUnpacker::commit() {
    if (m_closed || m_file)
        return Error{Errc::InvalidArgument, "commit before the last entry ended, or twice"};
    // Deepest first and only now: creating anything in a folder changes the folder's mtime.
    for (auto it = m_directories.rbegin(); it != m_directories.rend(); ++it)
        applyMtime(it->path, it->mtime);

    std::vector<std::pair<fs::path, fs::path>> moved; // staged path, final path
    for (const std::string& name : m_topLevelNames) {
        const fs::path staged = m_stagingDir / toFileSystemPath(name);
        const fs::path destination = moveToFreeName(staged, name);
        if (destination.empty()) {
            // All or nothing: put back what already moved, and abort() then removes it all.
            std::error_code error;
            for (auto it = moved.rbegin(); it != moved.rend(); ++it)
                fs::rename(it->second, it->first, error);
            return Error{Errc::IoCommitFailed, name};
        }
        moved.emplace_back(staged, destination);
    }

    m_closed = true;
    std::error_code ignored; // staging is empty now; failing to remove it loses nothing
    fs::remove(m_stagingDir, ignored);
    std::vector<fs::path> finalPaths;
    finalPaths.reserve(moved.size());
    for (auto& [staged, destination] : moved)
        finalPaths.push_back(std::move(destination));
    return finalPaths;
}

void ContainerUnpacker::abort() noexcept {
    if (m_closed)
        return;
    m_closed = true;
    m_writer->discard();
    m_file.reset();
    try {
        std::error_code ignored;
        fs::remove_all(m_stagingDir, ignored); // removes links themselves, never what they point to
    } catch (...) {
        // Only allocation can throw here; a leftover hidden staging folder is all that remains.
    }
}

Status ContainerUnpacker::makeDirectory(const fs::path& directory, const std::string& entryPath) {
    std::error_code error;
    const fs::file_status status = fs::symlink_status(directory, error);
    if (fs::is_directory(status))
        return {};
    if (fs::exists(status)) // one of our own files, under a name the duplicate key folds differently
        return Error{Errc::PathConflict, entryPath};
    if (directory == m_stagingDir) // removed under us: never recreate it outside our control
        return Error{Errc::IoWriteFailed, entryPath};
    OTS_TRY(makeDirectory(directory.parent_path(), entryPath));
    fs::create_directory(directory, error);
    if (error)
        return Error{error == std::errc::no_space_on_device ? Errc::IoDiskFull : Errc::IoWriteFailed,
                     entryPath};
    fs::permissions(directory, kFolderPerms, fs::perm_options::replace, error);
    if (error)
        return Error{Errc::IoWriteFailed, entryPath};
    return {};
}

Status ContainerUnpacker::writeFailed() const {
    return Error{platform::lastErrorIsDiskFull() ? Errc::IoDiskFull : Errc::IoWriteFailed, m_entryPath};
}

std::string ContainerUnpacker::numberedName(std::string_view name, bool isFolder, int number) {
    if (number <= 1)
        return std::string(name);
    // The extension starts at the last '.', unless that '.' begins the name (".env" is all name) or
    // ends it ("a." has nothing after it): "report (2).pdf" still opens with the same application.
    std::size_t split = name.size();
    if (!isFolder) {
        const std::size_t dot = name.rfind('.');
        if (dot != std::string_view::npos && dot != 0 && dot + 1 != name.size())
            split = dot;
    }
    std::string numbered(name.substr(0, split));
    numbered += " (" + std::to_string(number) + ")";
    numbered += name.substr(split);
    return numbered;
}

fs::path ContainerUnpacker::moveToFreeName(const fs::path& staged, std::string_view name) const {
    std::error_code error;
    const bool isFolder = fs::is_directory(fs::symlink_status(staged, error));
    for (int attempt = 1; attempt <= kMaxNameAttempts; ++attempt) {
        const fs::path candidate = toFileSystemPath(numberedName(name, isFolder, attempt));
        // No-replace rename: whatever appears under that name meanwhile, even a dangling link, is
        // never overwritten; the next number is tried instead.
        const std::error_code renamed = platform::renameNoReplace(staged, m_targetDir / candidate);
        if (!renamed)
            return m_targetDir / candidate;
        if (renamed != std::errc::file_exists)
            return {};
    }
    return {};
}

} // namespace ots
