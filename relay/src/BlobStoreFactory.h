#pragma once

// The blob store the configuration names (blob-store = local | s3), for the server, `ots-relay admin`
// and --check-config.

#include "BlobStore.h"
#include "Config.h"
#include "ots/Result.h"

#include <memory>
#include <string>

namespace ots::relay {

/// Makes the store: the data folder's, or the S3 bucket's (endpoint, credentials and CA file checked;
/// the bucket is not contacted). Errc::InvalidArgument names what is wrong.
[[nodiscard]] Result<std::unique_ptr<BlobStore>> makeBlobStore(const Config& config);

/// For --check-config: empty when the store takes writes (S3: the bucket answers, and a probe object
/// can be written, read back and deleted), else a sentence saying what failed.
[[nodiscard]] std::string checkBlobStore(const Config& config);

} // namespace ots::relay
