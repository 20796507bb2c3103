#pragma once

// The values S3Client's operations take and answer.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ots::relay::s3 {

/// User metadata: names without the x-amz-meta- prefix, lower case; values printable ASCII.
using S3Metadata = std::vector<std::pair<std::string, std::string>>;

/// A request body: `prefix` from memory, then `fileLength` bytes of `fd` from `fileOffset` (read with
/// pread, so the descriptor's own offset is untouched and a retry can send the bytes again). The body is
/// read twice (SHA-256 first, for x-amz-content-sha256, then sent): the file region must not change
/// meanwhile. Never held in memory whole.
struct S3Body {
    std::string_view prefix;
    int fd = -1;
    std::uint64_t fileOffset = 0;
    std::uint64_t fileLength = 0;

    [[nodiscard]] std::uint64_t size() const noexcept { return prefix.size() + fileLength; }
};

struct S3ObjectInfo {
    std::uint64_t size = 0;
    std::string etag; ///< as S3 sends it, quotes included
    S3Metadata metadata;

    [[nodiscard]] std::optional<std::string> meta(std::string_view name) const {
        for (const auto& [key, value] : metadata)
            if (key == name)
                return value;
        return std::nullopt;
    }
};

struct S3ObjectEntry {
    std::string key;
    std::uint64_t size = 0;
    std::string etag;
};

struct S3ObjectList {
    std::vector<S3ObjectEntry> objects;
    std::string nextContinuationToken; ///< empty when this was the last page
};

struct S3Part {
    int partNumber = 0;
    std::string etag;
    std::uint64_t size = 0; ///< in listParts answers; not sent by completeMultipartUpload
};

struct S3PartList {
    std::vector<S3Part> parts;
    int nextPartNumberMarker = 0; ///< 0 when this was the last page
};

struct S3Upload {
    std::string key;
    std::string uploadId;
};

struct S3UploadList {
    std::vector<S3Upload> uploads;
    bool truncated = false;
    std::string nextKeyMarker;
    std::string nextUploadIdMarker;
};

} // namespace ots::relay::s3
