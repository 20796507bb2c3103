#pragma once

// Where ciphertext lives (SPEC §10.12). The relay asks a store for what it needs: append at the
// share's offset, make what arrived durable, seal the complete blob, read a range, remove everything;
// nothing outside a store knows how or where it keeps the bytes. LocalBlobStore keeps them in a
// folder, S3BlobStore in an S3 bucket.
//
// Threads: openAppend, makeDurable, seal, openRead, remove and the queries run on worker threads and
// may block (disk, network); BlobAppend::write and BlobRead::asyncRead run on a session's I/O thread
// and never wait for the network.

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace ots::relay {

enum class BlobStatus {
    Ok,
    Missing,   ///< nothing stored where something should be
    ShortFile, ///< fewer bytes stored than the relay's records say
    IoError,
    Full, ///< no space left (ENOSPC, EDQUOT, or the object store's equivalent)
    /// The store refuses another append to this share: its appends have already cost the store what
    /// one share may (S3: tails read back, SPEC §10.12). Final for the share.
    AppendLimit,
};

/// One append to a share's upload: the bytes of one request body, in order, from the share's offset.
class BlobAppend {
public:
    virtual ~BlobAppend() = default;
    BlobAppend() = default;
    BlobAppend(const BlobAppend&) = delete;
    BlobAppend& operator=(const BlobAppend&) = delete;

    /// The next bytes of the body, on the session's I/O thread. Returns 0 or an errno.
    [[nodiscard]] virtual int write(const char* data, std::size_t size) noexcept = 0;
    /// After the last write, on a worker: the first `count` bytes written are durable when this returns
    /// Ok; only then does the relay advance the share's offset by count. Bytes past count are forgotten.
    [[nodiscard]] virtual BlobStatus makeDurable(std::uint64_t count) = 0;
};

/// A byte range of a sealed blob, read in order on the session's I/O thread.
class BlobRead {
public:
    virtual ~BlobRead() = default;
    BlobRead() = default;
    BlobRead(const BlobRead&) = delete;
    BlobRead& operator=(const BlobRead&) = delete;

    using ReadDone = std::function<void(int error, std::size_t bytes)>;

    /// A file that holds the blob at the blob's own offsets, for sendfile(2); -1 when there is none.
    /// A caller that sends from it does not call asyncRead.
    [[nodiscard]] virtual int fileDescriptor() const noexcept { return -1; }
    /// Reads the next bytes of the range, at most buffer.size(), and calls done(error, bytes) on
    /// executor, never inline. error is 0 or an errno (EIO when the store holds fewer bytes than it
    /// promised); bytes is 0 only with an error, or once the range is done.
    virtual void asyncRead(boost::asio::any_io_executor executor, std::span<char> buffer, ReadDone done) = 0;
};

class BlobStore {
public:
    virtual ~BlobStore() = default;
    BlobStore() = default;
    BlobStore(const BlobStore&) = delete;
    BlobStore& operator=(const BlobStore&) = delete;

    // Ids are validated (22 characters of base64url) before they reach a store.

    /// Starts an append at `offset`, the share's durable offset as Redis records it, of a share of
    /// `declaredSize` bytes. Whatever a crashed append stored past offset is cut off.
    [[nodiscard]] virtual std::variant<BlobStatus, std::unique_ptr<BlobAppend>>
    openAppend(std::string_view id, std::uint64_t offset, std::uint64_t declaredSize) = 0;
    /// All `size` bytes are durable: make them the share's sealed blob. Idempotent: a blob already
    /// sealed with that size (a retried complete) is Ok.
    [[nodiscard]] virtual BlobStatus seal(std::string_view id, std::uint64_t size) = 0;
    /// bytes [first, first + count) of the sealed blob, which must hold exactly `size` bytes.
    [[nodiscard]] virtual std::variant<BlobStatus, std::unique_ptr<BlobRead>>
    openRead(std::string_view id, std::uint64_t size, std::uint64_t first, std::uint64_t count) = 0;
    /// Everything stored for the id: sealed blob, pending upload. Ok when nothing remains (also when
    /// nothing was there); anything else means a later sweep must try again.
    [[nodiscard]] virtual BlobStatus remove(std::string_view id) noexcept = 0;

    /// Size of the sealed blob, if there is one.
    [[nodiscard]] virtual std::optional<std::uint64_t> sealedSize(std::string_view id) = 0;
    /// Bytes of an upload not sealed yet, if there is one.
    [[nodiscard]] virtual std::optional<std::uint64_t> pendingSize(std::string_view id) = 0;
    /// For /readyz: the store takes writes.
    [[nodiscard]] virtual bool writable() noexcept = 0;
    /// Ids with a pending upload stored (the start-up scan removes those without a share).
    [[nodiscard]] virtual std::vector<std::string> pendingIds() = 0;
};

} // namespace ots::relay
