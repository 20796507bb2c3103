#include "LocalBlobStore.h"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace ots::relay {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPartSuffix = ".part";

class FileDescriptor {
public:
    explicit FileDescriptor(int fd) noexcept
        : m_fd(fd) {}
    ~FileDescriptor() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    FileDescriptor(const FileDescriptor&) = delete;
    FileDescriptor& operator=(const FileDescriptor&) = delete;
    [[nodiscard]] int get() const noexcept { return m_fd; }
    [[nodiscard]] bool valid() const noexcept { return m_fd >= 0; }

private:
    int m_fd;
};

FileDescriptor openFile(const fs::path& path, int flags, mode_t mode = 0600) {
    int fd = -1;
    do {
        fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    return FileDescriptor(fd);
}

/// Makes a directory entry (a created or renamed file) durable.
bool syncDirectory(const fs::path& directory) {
    const FileDescriptor fd = openFile(directory, O_RDONLY | O_DIRECTORY);
    return fd.valid() && ::fsync(fd.get()) == 0;
}

std::optional<std::uint64_t> regularFileSize(const fs::path& path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0 || !S_ISREG(info.st_mode))
        return std::nullopt;
    return static_cast<std::uint64_t>(info.st_size);
}

/// Creates directory (and its parent) if missing, syncing each parent whose entries changed.
bool ensureDirectory(const fs::path& directory) {
    std::error_code error;
    if (fs::is_directory(directory, error))
        return true;
    if (!ensureDirectory(directory.parent_path()))
        return false;
    if (::mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST)
        return false;
    return syncDirectory(directory.parent_path());
}

} // namespace

LocalBlobStore::LocalBlobStore(fs::path dataDirectory)
    : m_root(std::move(dataDirectory))
    , m_uploads(m_root / "uploads")
    , m_blobs(m_root / "blobs") {
    fs::create_directories(m_uploads);
    fs::create_directories(m_blobs);
}

fs::path LocalBlobStore::partPath(std::string_view id) const {
    return m_uploads / (std::string(id) + std::string(kPartSuffix));
}

fs::path LocalBlobStore::blobPath(std::string_view id) const {
    return m_blobs / std::string(id.substr(0, 2)) / std::string(id.substr(2, 2)) / std::string(id);
}

BlobStatus LocalBlobStore::preparePart(std::string_view id, std::uint64_t offset) {
    const fs::path path = partPath(id);
    const FileDescriptor fd = openFile(path, O_RDWR | O_CREAT);
    if (!fd.valid())
        return BlobStatus::IoError;
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0)
        return BlobStatus::IoError;
    const auto size = static_cast<std::uint64_t>(info.st_size);
    if (size < offset)
        return BlobStatus::ShortFile;
    if (size > offset) {
        // Bytes past the stored offset were written by an append that never confirmed them.
        if (::ftruncate(fd.get(), static_cast<off_t>(offset)) != 0 || ::fsync(fd.get()) != 0)
            return BlobStatus::IoError;
    }
    if (offset == 0 && !syncDirectory(m_uploads))
        return BlobStatus::IoError;
    return BlobStatus::Ok;
}

std::optional<std::uint64_t> LocalBlobStore::partSize(std::string_view id) const {
    return regularFileSize(partPath(id));
}

BlobStatus LocalBlobStore::syncPart(std::string_view id) {
    const FileDescriptor fd = openFile(partPath(id), O_RDWR);
    if (!fd.valid())
        return errno == ENOENT ? BlobStatus::Missing : BlobStatus::IoError;
    return ::fdatasync(fd.get()) == 0 ? BlobStatus::Ok : BlobStatus::IoError;
}

BlobStatus LocalBlobStore::commit(std::string_view id, std::uint64_t expectedSize) {
    const fs::path part = partPath(id);
    const fs::path blob = blobPath(id);
    {
        const FileDescriptor fd = openFile(part, O_RDWR);
        if (!fd.valid()) {
            if (errno != ENOENT)
                return BlobStatus::IoError;
            // A retried complete after the rename: the blob is already in place.
            const auto existing = regularFileSize(blob);
            if (!existing)
                return BlobStatus::Missing;
            return *existing == expectedSize ? BlobStatus::Ok : BlobStatus::IoError;
        }
        struct stat info {};
        if (::fstat(fd.get(), &info) != 0 || ::fsync(fd.get()) != 0)
            return BlobStatus::IoError;
        if (static_cast<std::uint64_t>(info.st_size) != expectedSize)
            return BlobStatus::ShortFile;
    }
    if (!ensureDirectory(blob.parent_path()))
        return BlobStatus::IoError;
    if (::rename(part.c_str(), blob.c_str()) != 0)
        return errno == ENOENT && regularFileSize(blob) == expectedSize ? BlobStatus::Ok
                                                                        : BlobStatus::IoError;
    if (!syncDirectory(blob.parent_path()) || !syncDirectory(m_uploads))
        return BlobStatus::IoError;
    return BlobStatus::Ok;
}

void LocalBlobStore::remove(std::string_view id) noexcept {
    ::unlink(blobPath(id).c_str());
    ::unlink(partPath(id).c_str());
}

std::optional<std::uint64_t> LocalBlobStore::blobSize(std::string_view id) const {
    return regularFileSize(blobPath(id));
}

bool LocalBlobStore::writable() const noexcept {
    return ::access(m_uploads.c_str(), W_OK | X_OK) == 0 && ::access(m_blobs.c_str(), W_OK | X_OK) == 0;
}

std::vector<std::string> LocalBlobStore::partialIds() const {
    std::vector<std::string> ids;
    std::error_code error;
    for (fs::directory_iterator it(m_uploads, error), end; !error && it != end; it.increment(error)) {
        const std::string name = it->path().filename().string();
        if (name.size() > kPartSuffix.size() && name.ends_with(kPartSuffix))
            ids.push_back(name.substr(0, name.size() - kPartSuffix.size()));
    }
    return ids;
}

} // namespace ots::relay
