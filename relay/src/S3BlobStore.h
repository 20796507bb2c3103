#pragma once

// Blobs in an S3 bucket (Ceph RGW, Garage, SeaweedFS, MinIO, AWS): SPEC §10.12 and the operator
// guide's "Object storage". Keys under the configured prefix P:
//   P b/ID          the sealed blob; while the share uploads, a multipart upload on that same key
//   P t/ID/N        the tail: bytes [N·part, offset) that fill no whole part yet (N = offset / part),
//                   with the upload id and the part size in its metadata
// An offset the relay reports is durable in the bucket, whatever relay took the append: an append's
// body is spooled to a local unnamed file as it arrives (never the network on the I/O thread), and
// makeDurable uploads every part it completes and then the new tail, before Redis moves the offset.
// S3 wants parts of at least 5 MiB, so bytes short of a part wait in the tail object, not in memory
// or on a local disk another relay cannot see. Should a relay die between the bucket and Redis, the
// bucket is ahead of Redis: the next append re-uploads the parts past the offset (same numbers) and
// reads the tail only up to the offset. Tails are written under their part number, so a tail is never
// overwritten by one that no longer holds its bytes; old ones go once Redis has moved past them.
// Downloads are streamed Range GETs through the relay (S3RangeReader), never presigned URLs: a URL
// could be replayed past the share's download limit.

#include "BlobStore.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace ots::relay {

namespace s3 {
class S3Client;
class S3Connector;
} // namespace s3

class S3BlobStore final : public BlobStore {
public:
    /// S3 refuses parts below 5 MiB (except a last one) and allows 10,000 parts per upload.
    static constexpr std::uint64_t kMinPartSize = std::uint64_t{5} << 20;
    static constexpr std::uint64_t kMaxParts = 10'000;

    /// spoolDirectory: where append bodies wait (unnamed files) until makeDurable sends them.
    S3BlobStore(std::shared_ptr<const s3::S3Connector> connector, std::string prefix, std::uint64_t partSize,
                std::filesystem::path spoolDirectory);
    ~S3BlobStore() override;

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

    /// For --check-config: the bucket answers, and an object can be written, read back and removed.
    /// Empty when all held, else a sentence saying what failed (never a secret).
    [[nodiscard]] std::string check();

    /// The part size for a share of `size` bytes: the configured one, or more so that the share fits in
    /// kMaxParts parts (whole MiB).
    [[nodiscard]] std::uint64_t partSizeFor(std::uint64_t size) const noexcept;

    // Keys (public for the tests, which look into the bucket themselves).
    [[nodiscard]] std::string blobKey(std::string_view id) const;
    [[nodiscard]] std::string tailPrefix(std::string_view id) const;
    [[nodiscard]] std::string tailKey(std::string_view id, std::uint64_t partSize,
                                      std::uint64_t partIndex) const;

    /// A client of the pool for the calling thread's work; returned to the pool when destroyed.
    class Lease;
    [[nodiscard]] Lease client();

    /// Runs job on one of the store's uploader threads (appends send the parts their bodies complete
    /// while the rest still arrives).
    void postUpload(std::function<void()> job);
    /// Uploader threads: with the workers' own uploads in makeDurable, what goes to the bucket at once.
    static constexpr unsigned kUploaderThreads = 4;

    struct Tail; ///< a tail object as a listing shows it

private:
    friend class Lease;
    void giveBack(std::unique_ptr<s3::S3Client> client) noexcept;
    /// The tail's bytes as the last part, then CompleteMultipartUpload of every part, checked first.
    [[nodiscard]] BlobStatus completeUpload(s3::S3Client& client, std::string_view id, const Tail& tail,
                                            const std::string& tailBytes);
    /// Aborts every multipart upload on the id's blob key.
    [[nodiscard]] BlobStatus abortUploads(s3::S3Client& client, std::string_view id);
    void runUploads();

    std::shared_ptr<const s3::S3Connector> m_connector;
    std::string m_prefix;
    std::uint64_t m_partSize;
    std::filesystem::path m_spool;
    std::mutex m_mutex;
    std::vector<std::unique_ptr<s3::S3Client>> m_idle;         ///< guarded by m_mutex
    std::chrono::steady_clock::time_point m_writableCheckedAt; ///< guarded by m_mutex
    bool m_writable = false;                                   ///< guarded by m_mutex
    std::mutex m_jobsMutex;
    std::condition_variable m_jobsReady;
    std::deque<std::function<void()>> m_jobs; ///< guarded by m_jobsMutex
    bool m_stopping = false;                  ///< guarded by m_jobsMutex
    std::vector<std::thread> m_uploaders;     ///< last: the threads start once the rest exists
};

class S3BlobStore::Lease {
public:
    Lease(S3BlobStore& store, std::unique_ptr<s3::S3Client> client) noexcept;
    ~Lease();
    Lease(Lease&& other) noexcept;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    s3::S3Client* operator->() const noexcept { return m_client.get(); }
    s3::S3Client& operator*() const noexcept { return *m_client; }

private:
    S3BlobStore* m_store;
    std::unique_ptr<s3::S3Client> m_client;
};

} // namespace ots::relay
