#include "BlobStoreFactory.h"

#include "LocalBlobStore.h"
#include "S3BlobStore.h"
#include "s3/S3Connector.h"

#include <exception>

namespace ots::relay {

namespace {

Result<std::unique_ptr<S3BlobStore>> makeS3Store(const Config& config) {
    s3::S3Config s3;
    s3.endpoint = config.s3Endpoint;
    s3.region = config.s3Region;
    s3.bucket = config.s3Bucket;
    s3.credentials = s3::Credentials{config.s3AccessKeyId, config.s3SecretAccessKey, config.s3SessionToken};
    s3.caFile = config.s3CaFile;
    s3.timeout = config.s3Timeout;
    auto connector = s3::S3Connector::create(std::move(s3));
    if (!connector)
        return Error{Errc::InvalidArgument, "S3: " + connector.error().describe()};
    try {
        return std::make_unique<S3BlobStore>(std::move(connector.value()), config.s3Prefix, config.s3PartSize,
                                             config.dataDirectory / "spool");
    } catch (const std::exception& e) {
        return Error{Errc::InvalidArgument,
                     "cannot prepare the spool folder in data-dir: " + std::string(e.what())};
    }
}

} // namespace

Result<std::unique_ptr<BlobStore>> makeBlobStore(const Config& config) {
    if (config.blobStore == Config::BlobStoreKind::S3) {
        auto store = makeS3Store(config);
        if (!store)
            return store.error();
        return std::unique_ptr<BlobStore>(std::move(*store));
    }
    try {
        return std::unique_ptr<BlobStore>(std::make_unique<LocalBlobStore>(config.dataDirectory));
    } catch (const std::exception& e) {
        return Error{Errc::InvalidArgument,
                     "cannot prepare the data folder " + config.dataDirectory.string() + ": " + e.what()};
    }
}

std::string checkBlobStore(const Config& config) {
    if (config.blobStore != Config::BlobStoreKind::S3)
        return {}; // validate() checked the data folder
    auto store = makeS3Store(config);
    if (!store)
        return store.error().detail;
    return (*store)->check();
}

} // namespace ots::relay
