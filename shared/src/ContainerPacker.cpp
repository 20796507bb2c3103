#include "ots/ContainerPacker.h"

#include "Platform.h"
#include "ots/PathRules.h"

#include <algorithm>
#include <cassert>
#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <utility>

namespace ots {

namespace fs = std::filesystem;

namespace {

// 1 MiB per read: large enough that the stream encryptor seals most chunks straight from this
// buffer without copying them, small enough to keep memory flat.
constexpr std::size_t kReadBlockBytes = std::size_t{1024} * 1024;

struct FileCloser {
    void operator()(std::FILE* file) const noexcept { std::fclose(file); }
};
using FileHandle = std::unique_ptr<std::FILE, FileCloser>;

FileHandle openForReading(const fs::path& path) {
    return FileHandle(platform::openFile(path, "rb"));
}

std::int64_t unixSeconds(fs::file_time_type time) {
    const auto system = std::chrono::file_clock::to_sys(time);
    return std::chrono::floor<std::chrono::seconds>(system).time_since_epoch().count();
}

Status copyFile(const fs::path& source, std::uint64_t expectedSize, std::vector<std::uint8_t>& block,
                const ByteSink& emit) {
    const FileHandle file = openForReading(source);
    if (!file)
        return Error{Errc::IoOpenFailed, toUtf8(source)};
    std::uint64_t copied = 0;
    for (;;) {
        const std::size_t got = std::fread(block.data(), 1, block.size(), file.get());
        // Never emit more than the entry header announced: the payload stays well-formed up to the error.
        if (got > expectedSize - copied)
            return Error{Errc::IoFileChanged, toUtf8(source)};
        if (got > 0) {
            OTS_TRY(emit(ByteView(block.data(), got)));
            copied += got;
        }
        if (got < block.size()) {
            if (std::ferror(file.get()) != 0)
                return Error{Errc::IoReadFailed, toUtf8(source)};
            break;
        }
    }
    if (copied != expectedSize)
        return Error{Errc::IoFileChanged, toUtf8(source)};
    return {};
}

} // namespace

Result<ContainerPacker> ContainerPacker::fromPaths(const std::vector<fs::path>& inputs) {
    if (inputs.empty())
        return Error{Errc::InvalidArgument, "nothing to share"};
    ContainerPacker packer;
    std::map<std::string, fs::path> topLevel;
    for (const fs::path& input : inputs) {
        std::error_code error;
        // Absolute and normal, so that "folder/" and "." are named after the folder they mean.
        fs::path source = fs::absolute(input, error).lexically_normal();
        if (error)
            return Error{Errc::IoNotFound, toUtf8(input)};
        if (!source.has_filename())
            source = source.parent_path();
        const std::string name = toUtf8(source.filename());
        const auto [previous, inserted] = topLevel.emplace(duplicateKey(name, PathRules::Posix), source);
        if (!inserted)
            return Error{Errc::PathDuplicate,
                         name + ": " + toUtf8(previous->second) + " and " + toUtf8(source)};
        OTS_TRY(packer.addPath(source, name));
    }
    return packer;
}

ContainerPacker ContainerPacker::fromText(std::string name, std::string text) {
    assert(validateEntryPath(name, PathRules::Posix).ok());
    ContainerPacker packer;
    const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    packer.m_entries.push_back(
        ContainerEntry{EntryType::File, std::move(name), 0600, text.size(), now.time_since_epoch().count()});
    packer.m_sources.emplace_back();
    packer.m_text = std::move(text);
    return packer;
}

std::uint64_t ContainerPacker::payloadSize() const noexcept {
    return container::payloadSize(m_entries);
}

Status ContainerPacker::addPath(const fs::path& source, const std::string& entryPath) {
    // The sender checks only the portable rules: a name Windows cannot hold is still sent, and a
    // Windows recipient refuses it with a precise error rather than the sender guessing.
    OTS_TRY(validateEntryPath(entryPath, PathRules::Posix));

    std::error_code error;
    const fs::file_status status = fs::symlink_status(source, error);
    if (status.type() == fs::file_type::not_found)
        return Error{Errc::IoNotFound, toUtf8(source)};
    if (error)
        return Error{Errc::IoOpenFailed, toUtf8(source)};
    const bool isFile = fs::is_regular_file(status);
    // Links are refused rather than followed: following one could share files outside what the
    // person picked, and a link in the container would be a way out of the recipient's folder.
    if (!isFile && !fs::is_directory(status))
        return Error{Errc::IoUnsupportedFileType, toUtf8(source)};

    ContainerEntry entry;
    entry.type = isFile ? EntryType::File : EntryType::Directory;
    entry.path = entryPath;
    entry.mode = static_cast<std::uint32_t>(status.permissions()) & format::kModeMask;
    const fs::file_time_type modified = fs::last_write_time(source, error);
    if (error)
        return Error{Errc::IoReadFailed, toUtf8(source)};
    entry.mtime = unixSeconds(modified);
    if (isFile) {
        entry.size = fs::file_size(source, error);
        if (error)
            return Error{Errc::IoReadFailed, toUtf8(source)};
    }

    m_totalPathBytes += entryPath.size();
    if (m_entries.size() >= format::kMaxEntries || m_totalPathBytes > format::kMaxTotalPathBytes)
        return Errc::ContainerTooManyEntries;
    m_entries.push_back(std::move(entry));
    m_sources.push_back(source);
    return isFile ? Status{} : addFolderContents(source, entryPath);
}

Status ContainerPacker::addFolderContents(const fs::path& folder, const std::string& entryPath) {
    std::vector<std::pair<std::string, fs::path>> children;
    std::error_code error;
    for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error))
        children.emplace_back(toUtf8(it->path().filename()), it->path());
    if (error)
        return Error{Errc::IoOpenFailed, toUtf8(folder)};
    // Directory order is whatever the file system returns; sorting makes the payload reproducible.
    std::sort(children.begin(), children.end());
    for (const auto& [name, source] : children) {
        std::string childPath = entryPath;
        childPath += '/';
        childPath += name;
        OTS_TRY(addPath(source, childPath));
    }
    return {};
}

Status ContainerPacker::write(const ByteSink& sink,
                              const std::function<void(std::uint64_t done)>& progress) const {
    std::uint64_t done = 0;
    const ByteSink emit = [&](ByteView bytes) -> Status {
        OTS_TRY(sink(bytes));
        done += bytes.size();
        if (progress)
            progress(done);
        return {};
    };

    OTS_TRY(emit(container::encodeHeader()));
    std::vector<std::uint8_t> block;
    for (std::size_t i = 0; i < m_entries.size(); ++i) {
        const ContainerEntry& entry = m_entries[i];
        OTS_TRY(emit(container::encodeEntry(entry)));
        if (entry.type != EntryType::File)
            continue;
        if (m_text) {
            const ByteView text(reinterpret_cast<const std::uint8_t*>(m_text->data()), m_text->size());
            for (std::size_t offset = 0; offset < text.size(); offset += kReadBlockBytes)
                OTS_TRY(emit(text.subspan(offset, std::min(kReadBlockBytes, text.size() - offset))));
            continue;
        }
        block.resize(kReadBlockBytes);
        OTS_TRY(copyFile(m_sources[i], entry.size, block, emit));
    }
    return emit(container::encodeEnd());
}

} // namespace ots
