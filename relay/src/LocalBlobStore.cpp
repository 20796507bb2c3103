#include "LocalBlobStore.h"

#include "FileDescriptor.h"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>
#include <utility>

namespace ots::relay {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kPartSuffix = ".part";

/// Upload bytes after which their write-back to disk is started (see LocalAppend::write).
constexpr std::uint64_t kWritebackStep = std::uint64_t{8} << 20;

FileDescriptor openFile(const fs::path& path, int flags, mode_t mode = 0600) {
    return relay::openFile(path.c_str(), flags, mode);
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

/// Creates DATA/uploads if missing and opens it for fsync; throws fs::filesystem_error if it cannot.
FileDescriptor openUploads(const fs::path& uploads) {
    fs::create_directories(uploads);
    FileDescriptor fd = openFile(uploads, O_RDONLY | O_DIRECTORY);
    if (!fd.valid())
        throw fs::filesystem_error("cannot open the uploads folder", uploads,
                                   std::error_code(errno, std::generic_category()));
    return fd;
}

BlobStatus statusOf(int error) noexcept {
    return error == ENOSPC || error == EDQUOT ? BlobStatus::Full : BlobStatus::IoError;
}

/// An append: positional writes into the partial file from the share's offset.
class LocalAppend final : public BlobAppend {
public:
    LocalAppend(FileDescriptor file, std::uint64_t offset) noexcept
        : m_file(std::move(file))
        , m_offset(offset) {}

    int write(const char* data, std::size_t size) noexcept override {
        if (const int error = writeAt(m_file.get(), data, size, m_offset + m_written))
            return error;
        m_written += size;
        if (m_written - m_writebackStart >= kWritebackStep) {
            // Start writing back what has arrived while the rest is still on the wire, so the fdatasync
            // before the offset advances finds little left to do. Advisory: an error surfaces there.
            (void)::sync_file_range(m_file.get(), static_cast<off_t>(m_offset + m_writebackStart),
                                    static_cast<off_t>(m_written - m_writebackStart), SYNC_FILE_RANGE_WRITE);
            m_writebackStart = m_written;
        }
        return 0;
    }

    BlobStatus makeDurable(std::uint64_t count) override {
        if (count > m_written)
            return BlobStatus::ShortFile;
        if (count == 0)
            return BlobStatus::Ok;
        return ::fdatasync(m_file.get()) == 0 ? BlobStatus::Ok : statusOf(errno);
    }

private:
    FileDescriptor m_file;
    std::uint64_t m_offset;
    std::uint64_t m_written = 0;
    std::uint64_t m_writebackStart = 0; ///< written bytes before this are already being written back
};

/// A range of a blob file: pread for whoever cannot use the descriptor with sendfile(2).
class LocalRead final : public BlobRead {
public:
    LocalRead(FileDescriptor file, std::uint64_t first, std::uint64_t count) noexcept
        : m_file(std::move(file))
        , m_next(first)
        , m_remaining(count) {}

    int fileDescriptor() const noexcept override { return m_file.get(); }

    void asyncRead(boost::asio::any_io_executor executor, std::span<char> buffer, ReadDone done) override {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), m_remaining));
        std::size_t got = 0;
        int error = 0;
        while (got < want) {
            const ssize_t n =
                ::pread(m_file.get(), buffer.data() + got, want - got, static_cast<off_t>(m_next + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                error = n < 0 ? errno : EIO; // shorter than promised: never send made-up bytes
                break;
            }
            got += static_cast<std::size_t>(n);
        }
        m_next += got;
        m_remaining -= got;
        boost::asio::post(executor, [done = std::move(done), error, got] { done(error, got); });
    }

private:
    FileDescriptor m_file;
    std::uint64_t m_next;
    std::uint64_t m_remaining;
};

/// Removes a file; true when it is gone afterwards (or was never there).
bool unlinkGone(const fs::path& path) noexcept {
    if (::unlink(path.c_str()) == 0 || errno == ENOENT)
        return true;
    struct stat info {};
    return ::lstat(path.c_str(), &info) != 0 && errno == ENOENT;
}

} // namespace

LocalBlobStore::LocalBlobStore(fs::path dataDirectory)
    : m_root(std::move(dataDirectory))
    , m_uploads(m_root / "uploads")
    , m_blobs(m_root / "blobs")
    , m_uploadsDirectory(openUploads(m_uploads))
    , m_uploadsSync(m_uploadsDirectory.get()) {
    fs::create_directories(m_blobs);
}

fs::path LocalBlobStore::partPath(std::string_view id) const {
    return m_uploads / (std::string(id) + std::string(kPartSuffix));
}

fs::path LocalBlobStore::blobPath(std::string_view id) const {
    return m_blobs / std::string(id.substr(0, 2)) / std::string(id.substr(2, 2)) / std::string(id);
}

std::variant<BlobStatus, std::unique_ptr<BlobAppend>>
LocalBlobStore::openAppend(std::string_view id, std::uint64_t offset, std::uint64_t /*declaredSize*/) {
    FileDescriptor fd = openFile(partPath(id), O_RDWR | O_CREAT);
    if (!fd.valid())
        return statusOf(errno);
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
    // The new file's entry must be durable before its first bytes are reported; concurrent creations
    // share one fsync of the folder.
    if (offset == 0 && !m_uploadsSync.sync())
        return BlobStatus::IoError;
    return std::make_unique<LocalAppend>(std::move(fd), offset);
}

BlobStatus LocalBlobStore::seal(std::string_view id, std::uint64_t size) {
    const fs::path part = partPath(id);
    const fs::path blob = blobPath(id);
    // The part's bytes are durable already: the relay seals only once the share's offset reached
    // size, and the offset advances only after makeDurable's fdatasync (which writes the file's size
    // too). What is left to make durable is the file's new name.
    struct stat info {};
    if (::stat(part.c_str(), &info) != 0) {
        if (errno != ENOENT)
            return BlobStatus::IoError;
        // A retried complete after the rename: the blob is already in place.
        const auto existing = regularFileSize(blob);
        if (!existing)
            return BlobStatus::Missing;
        return *existing == size ? BlobStatus::Ok : BlobStatus::IoError;
    }
    if (!S_ISREG(info.st_mode))
        return BlobStatus::IoError;
    if (static_cast<std::uint64_t>(info.st_size) != size)
        return BlobStatus::ShortFile;
    if (!ensureDirectory(blob.parent_path()))
        return BlobStatus::IoError;
    if (::rename(part.c_str(), blob.c_str()) != 0)
        return errno == ENOENT && regularFileSize(blob) == size ? BlobStatus::Ok : BlobStatus::IoError;
    // Both entries: the blob's new one, and the part's removal (a part that came back after a crash
    // would be a second name of the blob's inode). Concurrent seals share one fsync of uploads/.
    if (!syncDirectory(blob.parent_path()) || !m_uploadsSync.sync())
        return BlobStatus::IoError;
    return BlobStatus::Ok;
}

std::variant<BlobStatus, std::unique_ptr<BlobRead>>
LocalBlobStore::openRead(std::string_view id, std::uint64_t size, std::uint64_t first, std::uint64_t count) {
    FileDescriptor fd = openFile(blobPath(id), O_RDONLY);
    if (!fd.valid())
        return errno == ENOENT ? BlobStatus::Missing : BlobStatus::IoError;
    struct stat info {};
    if (::fstat(fd.get(), &info) != 0 || !S_ISREG(info.st_mode))
        return BlobStatus::IoError;
    if (static_cast<std::uint64_t>(info.st_size) != size || first > size || count > size - first)
        return BlobStatus::ShortFile;
    return std::make_unique<LocalRead>(std::move(fd), first, count);
}

BlobStatus LocalBlobStore::remove(std::string_view id) noexcept {
    const bool blobGone = unlinkGone(blobPath(id));
    const bool partGone = unlinkGone(partPath(id));
    return blobGone && partGone ? BlobStatus::Ok : BlobStatus::IoError;
}

std::optional<std::uint64_t> LocalBlobStore::sealedSize(std::string_view id) {
    return regularFileSize(blobPath(id));
}

std::optional<std::uint64_t> LocalBlobStore::pendingSize(std::string_view id) {
    return regularFileSize(partPath(id));
}

bool LocalBlobStore::writable() noexcept {
    return ::access(m_uploads.c_str(), W_OK | X_OK) == 0 && ::access(m_blobs.c_str(), W_OK | X_OK) == 0;
}

std::vector<std::string> LocalBlobStore::pendingIds() {
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
