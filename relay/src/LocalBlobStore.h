#pragma once

// Blobs in a local folder: DATA/uploads/ID.part while uploading, DATA/blobs/XY/ZW/ID when complete
// (XY, ZW: the first four characters of the id, so no folder holds more than a few thousand files
// even with millions of shares). Several relays may share one folder: every operation is idempotent.
// Appends are positional writes into the partial file, made durable with fdatasync before the offset
// advances; downloads leave the blob file to sendfile(2). The fsyncs of uploads/ (a part created, a
// part renamed into blobs/) are group commits: concurrent requests share one (GroupSync).

#include "BlobStore.h"
#include "FileDescriptor.h"
#include "GroupSync.h"

#include <filesystem>

namespace ots::relay {

class LocalBlobStore final : public BlobStore {
public:
    /// Creates DATA/uploads and DATA/blobs; throws std::filesystem::filesystem_error if it cannot.
    explicit LocalBlobStore(std::filesystem::path dataDirectory);

    [[nodiscard]] std::variant<BlobStatus, std::unique_ptr<BlobAppend>>
    openAppend(std::string_view id, std::uint64_t offset, std::uint64_t declaredSize) override;
    [[nodiscard]] BlobStatus seal(std::string_view id, std::uint64_t size) override;
    [[nodiscard]] std::variant<BlobStatus, std::unique_ptr<BlobRead>>
    openRead(std::string_view id, std::uint64_t size, std::uint64_t first, std::uint64_t count) override;
    [[nodiscard]] BlobStatus remove(std::string_view id) noexcept override;
    [[nodiscard]] std::optional<std::uint64_t> sealedSize(std::string_view id) override;
    [[nodiscard]] std::optional<std::uint64_t> pendingSize(std::string_view id) override;
    [[nodiscard]] bool writable() noexcept override;
    [[nodiscard]] std::vector<std::string> pendingIds() override;

private:
    [[nodiscard]] std::filesystem::path partPath(std::string_view id) const;
    [[nodiscard]] std::filesystem::path blobPath(std::string_view id) const;

    std::filesystem::path m_root;
    std::filesystem::path m_uploads;
    std::filesystem::path m_blobs;
    FileDescriptor m_uploadsDirectory; ///< open for the fsyncs that make part files' entries durable
    GroupSync m_uploadsSync;
};

} // namespace ots::relay
