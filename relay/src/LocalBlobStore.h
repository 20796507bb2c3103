#pragma once

// Blobs in a local folder: DATA/uploads/ID.part while uploading, DATA/blobs/XY/ZW/ID when complete
// (XY, ZW: the first four characters of the id, so no folder holds more than a few thousand files
// even with millions of shares). Several relays may share one folder: every operation is idempotent.

#include "BlobStore.h"

namespace ots::relay {

class LocalBlobStore final : public BlobStore {
public:
    /// Creates DATA/uploads and DATA/blobs; throws std::filesystem::filesystem_error if it cannot.
    explicit LocalBlobStore(std::filesystem::path dataDirectory);

    [[nodiscard]] std::filesystem::path partPath(std::string_view id) const override;
    [[nodiscard]] std::filesystem::path blobPath(std::string_view id) const override;
    [[nodiscard]] BlobStatus preparePart(std::string_view id, std::uint64_t offset) override;
    [[nodiscard]] std::optional<std::uint64_t> partSize(std::string_view id) const override;
    [[nodiscard]] BlobStatus syncPart(std::string_view id) override;
    [[nodiscard]] BlobStatus commit(std::string_view id, std::uint64_t expectedSize) override;
    void remove(std::string_view id) noexcept override;
    [[nodiscard]] std::optional<std::uint64_t> blobSize(std::string_view id) const override;
    [[nodiscard]] bool writable() const noexcept override;
    [[nodiscard]] std::vector<std::string> partialIds() const override;

private:
    std::filesystem::path m_root;
    std::filesystem::path m_uploads;
    std::filesystem::path m_blobs;
};

} // namespace ots::relay
