// GCC 12 reports -Wnull-dereference inside Asio's io_context once S3Client.h's is inlined here, as in
// s3/S3Client.cpp: silenced for the lines of Boost's headers only (this file is compiled alone, outside
// the unity build, so that these are the headers' first inclusion).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "s3/S3Client.h"
#include "s3/S3RangeReader.h"
#pragma GCC diagnostic pop

#include "FileDescriptor.h"
#include "Log.h"
#include "S3BlobStore.h"
#include "ShareStore.h"
#include "ots/Crypto.h"

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <fcntl.h>
#include <map>
#include <openssl/evp.h>
#include <set>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace ots::relay {

/// One tail object as a listing shows it: t/ID/PARTSIZE-N.
struct S3BlobStore::Tail {
    std::string key;
    std::uint64_t partSize = 0;
    std::uint64_t index = 0;
    std::uint64_t size = 0;
    [[nodiscard]] std::uint64_t start() const noexcept { return partSize * index; }
};

namespace {

using namespace std::chrono_literals;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;
/// How long /readyz trusts the last look at the bucket.
constexpr auto kWritableCacheTime = 10s;
/// The tail's metadata: the multipart upload its parts belong to.
constexpr std::string_view kUploadIdMeta = "upload-id";
/// Tail bytes the share's appends have read back (and sent again), summed: x-amz-meta-tail-reread.
constexpr std::string_view kRereadMeta = "tail-reread";

using Tail = S3BlobStore::Tail;

/// A client may upload in appends this small (a proxy's body limit, tus-style chunking) without ever
/// meeting the read-back budget.
constexpr std::uint64_t kSmallestAppend = std::uint64_t{1} << 20;

/// The tail bytes a share's appends may read back in all (SPEC §10.12): what an upload in kSmallestAppend
/// appends reads back at most (each append up to a part), plus four parts for resumes. An upload in
/// appends of a MiB or more, resumed a few times, never meets it; one cut into tiny appends costs the
/// bucket at most that much, in proportion to the share's size, not a part per byte for ever.
constexpr std::uint64_t rereadBudget(std::uint64_t declaredSize, std::uint64_t partSize) noexcept {
    return (declaredSize / kSmallestAppend + 1) * partSize + 4 * partSize;
}

std::optional<std::uint64_t> parseNumber(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

BlobStatus statusOf(const s3::S3Error& error) {
    if (error.httpStatus == 404)
        return BlobStatus::Missing;
    if (error.is("QuotaExceeded") || error.is("InsufficientStorage") || error.httpStatus == 507)
        return BlobStatus::Full;
    return BlobStatus::IoError;
}

void logFailure(std::string_view what, std::string_view id, const s3::S3Error& error) {
    Log::error(what, {{"id", std::string(id)}, {"error", error.describe()}});
}

/// Hex MD5 of `length` bytes of fd from `offset`: a part's ETag as S3 computes it (no KMS), to tell
/// whether a part already in the bucket holds these very bytes.
std::optional<std::string> md5Hex(int fd, std::uint64_t offset, std::uint64_t length) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_md5(), nullptr) != 1)
        return std::nullopt;
    std::vector<char> buffer(std::size_t{256} << 10);
    while (length > 0) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), length));
        const ssize_t n = ::pread(fd, buffer.data(), want, static_cast<off_t>(offset));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || EVP_DigestUpdate(context.get(), buffer.data(), static_cast<std::size_t>(n)) != 1)
            return std::nullopt;
        offset += static_cast<std::uint64_t>(n);
        length -= static_cast<std::uint64_t>(n);
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned size = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1)
        return std::nullopt;
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        hex += kHex[digest[i] >> 4];
        hex += kHex[digest[i] & 15];
    }
    return hex;
}

/// An ETag without its quotes, lower case.
std::string unquoted(std::string_view etag) {
    if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"')
        etag = etag.substr(1, etag.size() - 2);
    std::string text(etag);
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return text;
}

/// Parts of a multipart upload by number.
using PartMap = std::map<int, s3::S3Part>;

/// Every part the upload holds (several pages).
s3::S3Result<PartMap> listAllParts(s3::S3Client& client, const std::string& key,
                                   const std::string& uploadId) {
    PartMap parts;
    int marker = 0;
    do {
        auto page = client.listParts(key, uploadId, marker);
        if (!page)
            return page.error();
        for (s3::S3Part& part : page->parts)
            parts[part.partNumber] = std::move(part);
        marker = page->nextPartNumberMarker;
    } while (marker != 0);
    return parts;
}

using Spool = FileDescriptor; ///< a spool file's

/// The tails of one share, from a listing of t/ID/.
s3::S3Result<std::vector<Tail>> listTails(s3::S3Client& client, const std::string& prefix) {
    std::vector<Tail> tails;
    std::string token;
    do {
        auto page = client.listObjectsV2(prefix, token);
        if (!page)
            return page.error();
        for (const s3::S3ObjectEntry& entry : page->objects) {
            const std::string_view name = std::string_view(entry.key).substr(prefix.size());
            const std::size_t dash = name.find('-');
            const auto partSize = parseNumber(name.substr(0, dash));
            const auto index =
                dash == std::string_view::npos ? std::nullopt : parseNumber(name.substr(dash + 1));
            if (!partSize || !index || *partSize == 0)
                continue; // not a name this store makes
            tails.push_back(Tail{entry.key, *partSize, *index, entry.size});
        }
        token = page->nextContinuationToken;
    } while (!token.empty());
    return tails;
}

/// The tail that holds the bytes from its part's start up to `offset`: the one whose part contains the
/// offset and that is at least that long (a longer one was written by an append Redis never confirmed).
const Tail* currentTail(const std::vector<Tail>& tails, std::uint64_t offset) {
    for (const Tail& tail : tails)
        if (tail.index == offset / tail.partSize && tail.size >= offset - tail.start())
            return &tail;
    return nullptr;
}

/// The upload id a tail carries, or empty when it has none (no whole part yet).
s3::S3Result<std::string> uploadIdOf(s3::S3Client& client, const Tail& tail) {
    auto info = client.headObject(tail.key);
    if (!info)
        return info.error();
    return info->meta(kUploadIdMeta).value_or(std::string());
}

/// An append: the body spooled to an unnamed local file after the tail's bytes. Each part the spool
/// completes is uploaded in the background while the body still arrives, up to kPartsInFlight parts of
/// one append at a time on the store's uploader threads (a gateway takes parts side by side faster than
/// one after the other: each has its own request and commit), so makeDurable finds little left to send:
/// the rest of the parts, which it sends alongside the background, and the new tail. A part's spool
/// bytes are dropped (a hole punched) once the bucket has it, so a large append neither fills the local
/// disk nor gets written back to it.
class S3Append final : public BlobAppend {
public:
    static constexpr unsigned kPartsInFlight = 3;

    /// partsAhead: parts the upload already holds past the offset (a relay died after sending them but
    /// before Redis took the offset); one that holds the very bytes this append brings is not sent again.
    /// reread: the tail bytes the share's appends have read back so far, this one's included.
    S3Append(S3BlobStore& store, std::string id, std::uint64_t offset, std::uint64_t partSize,
             std::string uploadId, Spool spool, std::uint64_t tailBytes, std::uint64_t reread,
             PartMap partsAhead)
        : m_store(store)
        , m_id(std::move(id))
        , m_offset(offset)
        , m_partSize(partSize)
        , m_base(offset - tailBytes)
        , m_tailBytes(tailBytes)
        , m_reread(reread)
        , m_shared(std::make_shared<Shared>(std::move(spool), std::move(uploadId), m_base / partSize,
                                            std::move(partsAhead))) {}

    ~S3Append() override {
        // Part uploads under way finish on their own (they hold the spool); no new one starts.
        std::lock_guard lock(m_shared->mutex);
        m_shared->stopped = true;
    }

    S3Append(const S3Append&) = delete;
    S3Append& operator=(const S3Append&) = delete;

    int write(const char* data, std::size_t size) noexcept override {
        if (const int error = writeAt(m_shared->spool.get(), data, size, m_tailBytes + m_written))
            return error;
        m_written += size;
        const std::uint64_t complete = (m_base + m_tailBytes + m_written) / m_partSize; // parts below
        std::lock_guard lock(m_shared->mutex);
        m_shared->complete = complete;
        while (m_shared->inFlight < kPartsInFlight && !m_shared->stopped &&
               m_shared->failed == BlobStatus::Ok && m_shared->nextPart < m_shared->complete) {
            const std::uint64_t index = m_shared->nextPart++;
            ++m_shared->inFlight;
            m_store.postUpload(
                [store = &m_store, shared = m_shared, id = m_id, index, base = m_base,
                 partSize = m_partSize] { uploadParts(*store, *shared, id, index, base, partSize); });
        }
        return 0;
    }

    BlobStatus makeDurable(std::uint64_t count) override {
        Shared& shared = *m_shared;
        if (count > m_written) {
            stopAndWait();
            return BlobStatus::ShortFile;
        }
        const std::uint64_t end = m_offset + count;
        const std::uint64_t done = end / m_partSize; // parts wholly below `end`
        auto client = m_store.client();
        const std::string blobKey = m_store.blobKey(m_id);
        // Parts nobody has taken yet: sent from here while the background ones finish.
        {
            std::lock_guard lock(shared.mutex);
            shared.complete = std::min(shared.complete, done);
        }
        BlobStatus status = BlobStatus::Ok;
        while (status == BlobStatus::Ok) {
            std::uint64_t index = 0;
            {
                std::lock_guard lock(shared.mutex);
                if (shared.nextPart >= done || shared.failed != BlobStatus::Ok)
                    break;
                index = shared.nextPart++;
            }
            status = uploadPart(*client, shared, m_id, blobKey, index, m_base, m_partSize);
            std::lock_guard lock(shared.mutex);
            if (status == BlobStatus::Ok)
                shared.uploaded.insert(index);
        }
        stopAndWait();
        if (status != BlobStatus::Ok)
            return status;
        // A background upload that failed: its part (and any it left) once more, from here.
        for (std::uint64_t index = m_base / m_partSize; index < done; ++index) {
            if (shared.uploaded.contains(index))
                continue;
            if (const BlobStatus sent = uploadPart(*client, shared, m_id, blobKey, index, m_base, m_partSize);
                sent != BlobStatus::Ok)
                return sent;
            shared.uploaded.insert(index);
        }
        if (count == 0)
            return BlobStatus::Ok;
        // The bytes past the last whole part, under that part's number, with the upload they continue.
        const std::uint64_t tailStart = done * m_partSize;
        const s3::S3Body tail{{}, shared.spool.get(), tailStart - m_base, end - tailStart};
        s3::S3Metadata metadata;
        if (!shared.uploadId.empty())
            metadata.emplace_back(std::string(kUploadIdMeta), shared.uploadId);
        metadata.emplace_back(std::string(kRereadMeta), std::to_string(m_reread));
        auto put = client->putObject(m_store.tailKey(m_id, m_partSize, done), tail, metadata);
        if (!put) {
            logFailure("cannot store an upload's tail", m_id, put.error());
            return statusOf(put.error());
        }
        return BlobStatus::Ok;
    }

private:
    /// What the append shares with its background part uploads. The spool is only read by them.
    struct Shared {
        Shared(Spool file, std::string id, std::uint64_t firstPart, PartMap ahead)
            : spool(std::move(file))
            , uploadId(std::move(id))
            , partsAhead(std::move(ahead))
            , nextPart(firstPart) {}
        Spool spool;
        std::mutex uploadIdMutex; ///< held while the multipart upload is looked at or created
        std::string uploadId;     ///< guarded by uploadIdMutex
        PartMap partsAhead;       ///< read-only
        std::mutex mutex;
        std::condition_variable idle;
        std::uint64_t nextPart;             ///< the first part (0-based) nobody has taken (mutex)
        std::uint64_t complete = 0;         ///< parts wholly in the spool (mutex)
        std::set<std::uint64_t> uploaded;   ///< parts the bucket holds now (mutex)
        unsigned inFlight = 0;              ///< background jobs queued or running (mutex)
        bool stopped = false;               ///< makeDurable or the destructor took over (mutex)
        BlobStatus failed = BlobStatus::Ok; ///< a background upload failed (mutex)
    };

    /// No new background upload starts; returns once none runs.
    void stopAndWait() {
        std::unique_lock lock(m_shared->mutex);
        m_shared->stopped = true;
        m_shared->idle.wait(lock, [&] { return m_shared->inFlight == 0; });
    }

    /// Uploads part `index` from the spool (starting the multipart upload first if there is none).
    static BlobStatus uploadPart(s3::S3Client& client, Shared& shared, const std::string& id,
                                 const std::string& blobKey, std::uint64_t index, std::uint64_t base,
                                 std::uint64_t partSize) {
        std::string uploadId;
        {
            std::lock_guard lock(shared.uploadIdMutex);
            if (shared.uploadId.empty()) {
                auto created = client.createMultipartUpload(blobKey);
                if (!created) {
                    logFailure("cannot start a multipart upload", id, created.error());
                    return statusOf(created.error());
                }
                shared.uploadId = std::move(created.value());
            }
            uploadId = shared.uploadId;
        }
        const s3::S3Body body{{}, shared.spool.get(), index * partSize - base, partSize};
        // Sending a part number again would do on S3, but Ceph's gateway then keeps the replaced part's
        // bytes for good: a part already there with these bytes (its ETag is their MD5) stays.
        const auto ahead = shared.partsAhead.find(static_cast<int>(index + 1));
        const bool there = ahead != shared.partsAhead.end() && ahead->second.size == partSize &&
                           md5Hex(body.fd, body.fileOffset, body.fileLength) == unquoted(ahead->second.etag);
        if (!there) {
            auto part = client.uploadPart(blobKey, uploadId, static_cast<int>(index + 1), body);
            if (!part) {
                logFailure("cannot upload a part", id, part.error());
                return statusOf(part.error());
            }
        }
        // In the bucket now: the spool's copy is not needed any more (a file system without holes
        // just keeps it until the append ends).
        (void)::fallocate(body.fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          static_cast<off_t>(body.fileOffset), static_cast<off_t>(body.fileLength));
        return BlobStatus::Ok;
    }

    /// A background job: uploads part `index`, then the next ones nobody has taken, until none is left
    /// or it must stop.
    static void uploadParts(S3BlobStore& store, Shared& shared, const std::string& id, std::uint64_t index,
                            std::uint64_t base, std::uint64_t partSize) {
        const std::string blobKey = store.blobKey(id);
        auto client = store.client();
        while (true) {
            const BlobStatus sent = uploadPart(*client, shared, id, blobKey, index, base, partSize);
            std::lock_guard lock(shared.mutex);
            if (sent == BlobStatus::Ok)
                shared.uploaded.insert(index);
            else
                shared.failed = sent; // makeDurable sends the part once more itself
            if (sent != BlobStatus::Ok || shared.stopped || shared.nextPart >= shared.complete) {
                --shared.inFlight;
                shared.idle.notify_all();
                return;
            }
            index = shared.nextPart++;
        }
    }

    S3BlobStore& m_store;
    std::string m_id;
    std::uint64_t m_offset;
    std::uint64_t m_partSize;
    std::uint64_t m_base;      ///< the blob offset of spool offset 0: the start of the tail's part
    std::uint64_t m_tailBytes; ///< spool bytes before the body: the tail's, read at open
    std::uint64_t m_reread;    ///< carried on in the new tail's metadata
    std::uint64_t m_written = 0;
    std::shared_ptr<Shared> m_shared;
};

/// A range of a sealed blob: a streamed Range GET into a ring buffer that the session drains. The
/// bucket's connection is read whenever the ring has room, also while the session writes to its
/// client, so the two sockets are busy at the same time instead of in turns, and each read from the
/// bucket takes whatever has arrived (up to the free room) rather than one small piece. kRing of
/// memory per download.
class S3Read final : public BlobRead {
public:
    static constexpr std::size_t kRing = std::size_t{256} << 10;

    S3Read(std::shared_ptr<const s3::S3Connector> connector, std::string key, std::uint64_t first,
           std::uint64_t count)
        : m_reader(std::move(connector), std::move(key), first, count)
        , m_count(count)
        , m_ring(kRing) {}

    void asyncRead(boost::asio::any_io_executor executor, std::span<char> buffer, ReadDone done) override {
        m_executor = std::move(executor);
        m_wanted = buffer;
        m_waiting = std::move(done);
        serve();
    }

private:
    /// Answers the waiting read from the ring when it can, and keeps the bucket's bytes coming.
    void serve() {
        if (m_waiting && (m_used > 0 || m_error != 0 || m_ended)) {
            std::size_t bytes = 0;
            while (bytes < m_wanted.size() && m_used > 0) {
                const std::size_t run = std::min({m_wanted.size() - bytes, m_used, m_ring.size() - m_head});
                std::copy_n(m_ring.data() + m_head, run, m_wanted.data() + bytes);
                bytes += run;
                m_head = (m_head + run) % m_ring.size();
                m_used -= run;
            }
            const int error = bytes > 0 ? 0 : m_error; // 0 and 0: the range is all delivered
            ReadDone done = std::move(m_waiting);
            m_waiting = nullptr;
            boost::asio::post(m_executor, [done = std::move(done), error, bytes] { done(error, bytes); });
        }
        fill();
    }

    /// Reads from the bucket into the ring's free room (the run up to its end or to the unread bytes).
    void fill() {
        if (m_filling || m_ended || m_error != 0 || m_used == m_ring.size() || !m_executor)
            return;
        if (m_used == 0)
            m_head = 0; // one long run instead of two short ones
        const std::size_t tail = (m_head + m_used) % m_ring.size();
        const std::size_t room = tail >= m_head ? m_ring.size() - tail : m_head - tail;
        m_filling = true;
        m_reader.asyncRead(
            m_executor, std::span<char>(m_ring.data() + tail, room), [this](int error, std::size_t bytes) {
                m_filling = false;
                if (error != 0) {
                    m_error = error;
                    Log::error("cannot read a blob from the bucket", {{"error", m_reader.failure()}});
                } else {
                    m_used += bytes;
                    if (bytes == 0 || m_reader.delivered() == m_count)
                        m_ended = true; // nothing more to fetch
                }
                serve();
            });
    }

    s3::S3RangeReader m_reader;
    std::uint64_t m_count;
    std::vector<char> m_ring;
    std::size_t m_head = 0; ///< m_ring's unread bytes start here (and wrap around)
    std::size_t m_used = 0; ///< and there are this many
    int m_error = 0;
    bool m_ended = false;
    bool m_filling = false;
    boost::asio::any_io_executor m_executor;
    std::span<char> m_wanted;
    ReadDone m_waiting;
};

} // namespace

// Lease --------------------------------------------------------------------------------------------

S3BlobStore::Lease::Lease(S3BlobStore& store, std::unique_ptr<s3::S3Client> client) noexcept
    : m_store(&store)
    , m_client(std::move(client)) {}

S3BlobStore::Lease::Lease(Lease&& other) noexcept
    : m_store(other.m_store)
    , m_client(std::move(other.m_client)) {}

S3BlobStore::Lease::~Lease() {
    if (m_client)
        m_store->giveBack(std::move(m_client));
}

S3BlobStore::Lease S3BlobStore::client() {
    {
        std::lock_guard lock(m_mutex);
        if (!m_idle.empty()) {
            std::unique_ptr<s3::S3Client> idle = std::move(m_idle.back());
            m_idle.pop_back();
            return Lease(*this, std::move(idle));
        }
    }
    return Lease(*this, m_connector->makeClient());
}

void S3BlobStore::giveBack(std::unique_ptr<s3::S3Client> client) noexcept {
    std::lock_guard lock(m_mutex);
    m_idle.push_back(std::move(client));
}

// Store --------------------------------------------------------------------------------------------

S3BlobStore::S3BlobStore(std::shared_ptr<const s3::S3Connector> connector, std::string prefix,
                         std::uint64_t partSize, std::filesystem::path spoolDirectory)
    : m_connector(std::move(connector))
    , m_prefix(std::move(prefix))
    , m_partSize(std::max(partSize, kMinPartSize))
    , m_spool(std::move(spoolDirectory)) {
    std::filesystem::create_directories(m_spool);
    std::filesystem::permissions(m_spool, std::filesystem::perms::owner_all);
    for (unsigned i = 0; i < kUploaderThreads; ++i)
        m_uploaders.emplace_back([this] { runUploads(); });
}

S3BlobStore::~S3BlobStore() {
    {
        std::lock_guard lock(m_jobsMutex);
        m_stopping = true;
    }
    m_jobsReady.notify_all();
    for (std::thread& uploader : m_uploaders)
        uploader.join();
}

void S3BlobStore::postUpload(std::function<void()> job) {
    {
        std::lock_guard lock(m_jobsMutex);
        m_jobs.push_back(std::move(job));
    }
    m_jobsReady.notify_one();
}

void S3BlobStore::runUploads() {
    while (true) {
        std::function<void()> job;
        {
            std::unique_lock lock(m_jobsMutex);
            m_jobsReady.wait(lock, [this] { return m_stopping || !m_jobs.empty(); });
            if (m_stopping)
                return;
            job = std::move(m_jobs.front());
            m_jobs.pop_front();
        }
        try {
            job();
        } catch (const std::exception& e) {
            Log::error("a background part upload failed", {{"error", e.what()}});
        }
    }
}

std::string S3BlobStore::blobKey(std::string_view id) const {
    return m_prefix + "b/" + std::string(id);
}

std::string S3BlobStore::tailPrefix(std::string_view id) const {
    return m_prefix + "t/" + std::string(id) + "/";
}

std::string S3BlobStore::tailKey(std::string_view id, std::uint64_t partSize, std::uint64_t partIndex) const {
    return tailPrefix(id) + std::to_string(partSize) + "-" + std::to_string(partIndex);
}

std::uint64_t S3BlobStore::partSizeFor(std::uint64_t size) const noexcept {
    const std::uint64_t needed = (size + kMaxParts - 1) / kMaxParts;
    return std::max(m_partSize, (needed + kMiB - 1) / kMiB * kMiB);
}

std::variant<BlobStatus, std::unique_ptr<BlobAppend>>
S3BlobStore::openAppend(std::string_view id, std::uint64_t offset, std::uint64_t declaredSize) {
    // A file with no name (O_TMPFILE): it vanishes with its descriptor, also when the relay is killed,
    // so spooled bodies never need sweeping.
    Spool spool = openFile(m_spool.c_str(), O_TMPFILE | O_RDWR);
    if (!spool.valid()) {
        const int error = errno;
        Log::error("cannot make a spool file", {{"dir", m_spool.string()}, {"error", std::strerror(error)}});
        return error == ENOSPC || error == EDQUOT ? BlobStatus::Full : BlobStatus::IoError;
    }
    const int fd = spool.get();
    std::uint64_t partSize = partSizeFor(declaredSize);
    std::string uploadId;
    std::uint64_t tailBytes = 0;
    std::uint64_t reread = 0;
    PartMap partsAhead;
    if (offset > 0) {
        // Where the bytes before `offset` are: whole parts of the multipart upload, and the tail.
        auto client = this->client();
        auto tails = listTails(*client, tailPrefix(id));
        if (!tails) {
            logFailure("cannot list an upload's tails", id, tails.error());
            return statusOf(tails.error());
        }
        const Tail* tail = currentTail(tails.value(), offset);
        if (tail == nullptr) {
            Log::error("the bucket holds fewer bytes than the share's offset",
                       {{"id", std::string(id)}, {"offset", offset}});
            return BlobStatus::ShortFile;
        }
        partSize = tail->partSize; // the upload keeps the part size it started with
        tailBytes = offset - tail->start();
        auto info = client->headObject(tail->key);
        if (!info) {
            logFailure("cannot look at an upload's tail", id, info.error());
            return statusOf(info.error());
        }
        // Every append reads the tail back and writes it out again with its own bytes, so appends of a
        // few bytes each would cost the bucket up to a part each: the share's re-read bytes are bounded.
        reread = parseNumber(info->meta(kRereadMeta).value_or("0")).value_or(0) + tailBytes;
        if (reread > rereadBudget(declaredSize, partSize)) {
            Log::warn("an upload was resumed in too many small appends",
                      {{"id", std::string(id)}, {"offset", offset}, {"reread", reread}});
            return BlobStatus::AppendLimit;
        }
        if (tail->index > 0) {
            uploadId = info->meta(kUploadIdMeta).value_or(std::string());
            if (uploadId.empty()) {
                Log::error("an upload's tail names no multipart upload", {{"id", std::string(id)}});
                return BlobStatus::IoError;
            }
            auto parts = listAllParts(*client, blobKey(id), uploadId);
            if (!parts) {
                logFailure("cannot list an upload's parts", id, parts.error());
                return statusOf(parts.error());
            }
            for (auto& [number, part] : parts.value())
                if (static_cast<std::uint64_t>(number) > tail->index)
                    partsAhead.emplace(number, std::move(part));
        }
        if (tailBytes > 0) {
            auto bytes = client->getObject(tail->key, static_cast<std::size_t>(tailBytes),
                                           std::pair{std::uint64_t{0}, tailBytes});
            if (!bytes || bytes->size() != tailBytes) {
                if (!bytes)
                    logFailure("cannot read an upload's tail", id, bytes.error());
                return bytes ? BlobStatus::ShortFile : statusOf(bytes.error());
            }
            if (const int error = writeAt(fd, bytes->data(), bytes->size(), 0))
                return error == ENOSPC || error == EDQUOT ? BlobStatus::Full : BlobStatus::IoError;
        }
        // Tails of earlier parts: Redis has moved past them, so nothing needs them any more.
        for (const Tail& old : tails.value())
            if (old.start() + old.partSize <= tail->start() || old.partSize != partSize)
                (void)client->deleteObject(old.key);
    }
    return std::make_unique<S3Append>(*this, std::string(id), offset, partSize, std::move(uploadId),
                                      std::move(spool), tailBytes, reread, std::move(partsAhead));
}

BlobStatus S3BlobStore::seal(std::string_view id, std::uint64_t size) {
    auto client = this->client();
    const std::string key = blobKey(id);
    auto tails = listTails(*client, tailPrefix(id));
    if (!tails) {
        logFailure("cannot list an upload's tails", id, tails.error());
        return statusOf(tails.error());
    }
    if (auto sealed = client->headObject(key); sealed) {
        // A retried complete: sealed already (and the tails may still be there).
        if (sealed->size != size)
            return BlobStatus::IoError;
    } else if (sealed.error().httpStatus != 404) {
        logFailure("cannot look for a sealed blob", id, sealed.error());
        return statusOf(sealed.error());
    } else {
        const Tail* tail = currentTail(tails.value(), size);
        if (tail == nullptr)
            return tails->empty() ? BlobStatus::Missing : BlobStatus::ShortFile;
        const std::uint64_t tailBytes = size - tail->start();
        std::string bytes;
        if (tailBytes > 0) {
            auto got = client->getObject(tail->key, static_cast<std::size_t>(tailBytes),
                                         std::pair{std::uint64_t{0}, tailBytes});
            if (!got || got->size() != tailBytes) {
                if (!got)
                    logFailure("cannot read an upload's tail", id, got.error());
                return got ? BlobStatus::ShortFile : statusOf(got.error());
            }
            bytes = std::move(got.value());
        }
        if (tail->index == 0) {
            // Smaller than a part: one PUT of the tail's bytes is the whole blob.
            auto put = client->putObject(key, s3::S3Body{bytes, -1, 0, 0});
            if (!put) {
                logFailure("cannot store a blob", id, put.error());
                return statusOf(put.error());
            }
        } else if (const BlobStatus completed = completeUpload(*client, id, *tail, bytes);
                   completed != BlobStatus::Ok) {
            return completed;
        }
        auto sealed2 = client->headObject(key);
        if (!sealed2 || sealed2->size != size) {
            Log::error("the sealed blob is not the share's size", {{"id", std::string(id)}});
            return BlobStatus::IoError;
        }
    }
    // Sealed: the tails and any upload a crashed append left are no longer needed.
    for (const Tail& tail : tails.value())
        (void)client->deleteObject(tail.key);
    (void)abortUploads(*client, id);
    return BlobStatus::Ok;
}

BlobStatus S3BlobStore::completeUpload(s3::S3Client& client, std::string_view id, const Tail& tail,
                                       const std::string& tailBytes) {
    const std::string key = blobKey(id);
    auto uploadId = uploadIdOf(client, tail);
    if (!uploadId || uploadId->empty()) {
        Log::error("an upload's tail names no multipart upload", {{"id", std::string(id)}});
        return uploadId ? BlobStatus::IoError : statusOf(uploadId.error());
    }
    const std::uint64_t wholeParts = tail.index;
    const std::uint64_t partCount = wholeParts + (tailBytes.empty() ? 0 : 1);
    if (!tailBytes.empty()) {
        auto last = client.uploadPart(key, uploadId.value(), static_cast<int>(partCount),
                                      s3::S3Body{tailBytes, -1, 0, 0});
        if (!last) {
            logFailure("cannot upload the last part", id, last.error());
            return statusOf(last.error());
        }
    }
    // The parts as the bucket has them: each whole part must be there with its full size.
    auto listed = listAllParts(client, key, uploadId.value());
    if (!listed) {
        logFailure("cannot list an upload's parts", id, listed.error());
        return statusOf(listed.error());
    }
    const PartMap& parts = listed.value();
    std::vector<s3::S3Part> ordered;
    ordered.reserve(static_cast<std::size_t>(partCount));
    for (std::uint64_t number = 1; number <= partCount; ++number) {
        const auto found = parts.find(static_cast<int>(number));
        const std::uint64_t expected = number <= wholeParts ? tail.partSize : tailBytes.size();
        if (found == parts.end() || found->second.size != expected) {
            Log::error("a part of the upload is missing or has the wrong size",
                       {{"id", std::string(id)}, {"part", number}});
            return BlobStatus::ShortFile;
        }
        ordered.push_back(s3::S3Part{found->second.partNumber, found->second.etag, 0});
    }
    auto completed = client.completeMultipartUpload(key, uploadId.value(), ordered);
    if (!completed) {
        // A complete sent twice (a lost answer, retried) finds no upload: the object tells.
        if (completed.error().httpStatus == 404 && client.headObject(key))
            return BlobStatus::Ok;
        logFailure("cannot complete the multipart upload", id, completed.error());
        return statusOf(completed.error());
    }
    return BlobStatus::Ok;
}

BlobStatus S3BlobStore::abortUploads(s3::S3Client& client, std::string_view id) {
    const std::string key = blobKey(id);
    BlobStatus status = BlobStatus::Ok;
    std::string keyMarker;
    std::string uploadMarker;
    while (true) {
        auto page = client.listMultipartUploads(key, keyMarker, uploadMarker);
        if (!page) {
            logFailure("cannot list multipart uploads", id, page.error());
            return statusOf(page.error());
        }
        for (const s3::S3Upload& upload : page->uploads) {
            if (upload.key != key)
                continue;
            auto aborted = client.abortMultipartUpload(key, upload.uploadId);
            // Gone already (another relay aborted or completed it) is fine.
            if (!aborted && aborted.error().httpStatus != 404) {
                logFailure("cannot abort a multipart upload", id, aborted.error());
                status = BlobStatus::IoError;
            }
        }
        if (!page->truncated)
            return status;
        keyMarker = page->nextKeyMarker;
        uploadMarker = page->nextUploadIdMarker;
    }
}

std::variant<BlobStatus, std::unique_ptr<BlobRead>>
S3BlobStore::openRead(std::string_view id, std::uint64_t size, std::uint64_t first, std::uint64_t count) {
    const std::string key = blobKey(id);
    {
        auto client = this->client();
        auto sealed = client->headObject(key);
        if (!sealed) {
            if (sealed.error().httpStatus != 404)
                logFailure("cannot look for a sealed blob", id, sealed.error());
            return statusOf(sealed.error());
        }
        if (sealed->size != size || first > size || count > size - first)
            return BlobStatus::ShortFile;
    }
    return std::make_unique<S3Read>(m_connector, key, first, count);
}

BlobStatus S3BlobStore::remove(std::string_view id) noexcept {
    try {
        auto client = this->client();
        BlobStatus status = BlobStatus::Ok;
        if (auto deleted = client->deleteObject(blobKey(id)); !deleted) {
            logFailure("cannot delete a blob", id, deleted.error());
            status = BlobStatus::IoError;
        }
        if (abortUploads(*client, id) != BlobStatus::Ok)
            status = BlobStatus::IoError;
        auto tails = listTails(*client, tailPrefix(id));
        if (!tails)
            return BlobStatus::IoError;
        for (const Tail& tail : tails.value()) {
            if (auto deleted = client->deleteObject(tail.key); !deleted) {
                logFailure("cannot delete an upload's tail", id, deleted.error());
                status = BlobStatus::IoError;
            }
        }
        return status;
    } catch (const std::exception& e) {
        Log::error("cannot remove a share's objects", {{"id", std::string(id)}, {"error", e.what()}});
        return BlobStatus::IoError;
    }
}

std::optional<std::uint64_t> S3BlobStore::sealedSize(std::string_view id) {
    auto client = this->client();
    auto sealed = client->headObject(blobKey(id));
    if (!sealed)
        return std::nullopt;
    return sealed->size;
}

std::optional<std::uint64_t> S3BlobStore::pendingSize(std::string_view id) {
    auto client = this->client();
    auto tails = listTails(*client, tailPrefix(id));
    if (!tails || tails->empty())
        return std::nullopt;
    std::uint64_t size = 0;
    for (const Tail& tail : tails.value())
        size = std::max(size, tail.start() + tail.size);
    return size;
}

bool S3BlobStore::writable() noexcept {
    {
        std::lock_guard lock(m_mutex);
        if (std::chrono::steady_clock::now() - m_writableCheckedAt < kWritableCacheTime)
            return m_writable;
    }
    bool answer = false;
    try {
        auto client = this->client();
        answer = client->headBucket().ok();
    } catch (const std::exception&) {
        answer = false;
    }
    std::lock_guard lock(m_mutex);
    m_writable = answer;
    m_writableCheckedAt = std::chrono::steady_clock::now();
    return answer;
}

std::vector<std::string> S3BlobStore::pendingIds() {
    std::set<std::string> ids;
    auto client = this->client();
    // Tails: PREFIX t/ID/…; uploads: on PREFIX b/ID; sealed blobs: PREFIX b/ID.
    const auto idAfter = [](std::string_view key, std::string_view prefix) {
        std::string_view rest = key.substr(prefix.size());
        return std::string(rest.substr(0, rest.find('/')));
    };
    for (const std::string& prefix : {m_prefix + "t/", m_prefix + "b/"}) {
        std::string token;
        do {
            auto page = client->listObjectsV2(prefix, token);
            if (!page) {
                logFailure("cannot list the bucket", prefix, page.error());
                break;
            }
            for (const s3::S3ObjectEntry& entry : page->objects)
                ids.insert(idAfter(entry.key, prefix));
            token = page->nextContinuationToken;
        } while (!token.empty());
    }
    const std::string uploads = m_prefix + "b/";
    std::string keyMarker;
    std::string uploadMarker;
    while (true) {
        auto page = client->listMultipartUploads(uploads, keyMarker, uploadMarker);
        if (!page) {
            logFailure("cannot list multipart uploads", uploads, page.error());
            break;
        }
        for (const s3::S3Upload& upload : page->uploads)
            ids.insert(idAfter(upload.key, uploads));
        if (!page->truncated)
            break;
        keyMarker = page->nextKeyMarker;
        uploadMarker = page->nextUploadIdMarker;
    }
    std::vector<std::string> result;
    for (const std::string& id : ids)
        if (isShareIdText(id))
            result.push_back(id);
    return result;
}

std::string S3BlobStore::check() {
    auto client = this->client();
    if (auto bucket = client->headBucket(); !bucket)
        return "the bucket " + m_connector->config().bucket +
               " cannot be reached: " + bucket.error().describe();
    std::array<std::uint8_t, 8> random{};
    ots::randomBytes(random);
    std::string key = m_prefix + "check-config-";
    static constexpr char kHex[] = "0123456789abcdef";
    for (const std::uint8_t byte : random) {
        key += kHex[byte >> 4];
        key += kHex[byte & 15];
    }
    const std::string probe = "ots-relay --check-config";
    if (auto put = client->putObject(key, s3::S3Body{probe, -1, 0, 0}); !put)
        return "the bucket " + m_connector->config().bucket + " is not writable: " + put.error().describe();
    auto got = client->getObject(key, probe.size() + 1);
    const bool same = got && got.value() == probe;
    auto deleted = client->deleteObject(key);
    if (!got)
        return "an object written to the bucket cannot be read back: " + got.error().describe();
    if (!same)
        return "an object written to the bucket reads back different bytes";
    if (!deleted)
        return "an object written to the bucket cannot be deleted: " + deleted.error().describe();
    return {};
}

} // namespace ots::relay
