#pragma once

// Where ciphertext lives: a partial file per share while it uploads, a complete blob afterwards.
// The HTTP layer streams bodies straight into partPath() and out of blobPath(), so a store must
// expose local files; LocalBlobStore is the embedded default (SPEC §10.12).

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

enum class BlobStatus {
    Ok,
    Missing,   ///< neither the partial file nor the blob is there
    ShortFile, ///< the partial file holds fewer bytes than Redis says were stored
    IoError,
};

class BlobStore {
public:
    virtual ~BlobStore() = default;

    /// Ids are validated (22 characters of base64url) before they reach a store.
    [[nodiscard]] virtual std::filesystem::path partPath(std::string_view id) const = 0;
    [[nodiscard]] virtual std::filesystem::path blobPath(std::string_view id) const = 0;

    /// Makes the partial file exactly `offset` bytes long before an append writes at `offset`: creates
    /// it when missing (offset 0), and cuts off bytes that a crashed append wrote but never confirmed.
    [[nodiscard]] virtual BlobStatus preparePart(std::string_view id, std::uint64_t offset) = 0;
    /// Size of the partial file, if there is one.
    [[nodiscard]] virtual std::optional<std::uint64_t> partSize(std::string_view id) const = 0;
    /// Flushes the partial file to disk; an offset is advanced only after this succeeds.
    [[nodiscard]] virtual BlobStatus syncPart(std::string_view id) = 0;
    /// fsync(part), rename into the blob tree, fsync(folder). Idempotent: a blob already in place with
    /// the expected size (a retried complete) is Ok.
    [[nodiscard]] virtual BlobStatus commit(std::string_view id, std::uint64_t expectedSize) = 0;
    /// Deletes the blob and the partial file; a missing file is not an error.
    virtual void remove(std::string_view id) noexcept = 0;
    [[nodiscard]] virtual std::optional<std::uint64_t> blobSize(std::string_view id) const = 0;
    /// For /readyz.
    [[nodiscard]] virtual bool writable() const noexcept = 0;
    /// Ids of all partial files (the start-up scan removes those without a share).
    [[nodiscard]] virtual std::vector<std::string> partialIds() const = 0;
};

} // namespace ots::relay
