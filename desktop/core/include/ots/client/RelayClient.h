#pragma once

// The relay's HTTP API v1 (shared/SPEC.md §10) over QNetworkAccessManager, except appendBlob's PATCH,
// which is written straight to a TCP/TLS socket of the calling thread for speed (src/BlobUpload.h).
//
// Calls are blocking: each one runs a local event loop until its reply finishes, so it must be used
// from a worker thread (SendJob/ReceiveJob/ShareHistory run it in their own threads) or from a
// command-line program — never from the GUI thread. One RelayClient belongs to one thread.
// HTTPS uses the system CAs; http:// is accepted only for loopback relays (ShareLink's rule).
// Transient failures (connection errors, 500, 503, 429 with Retry-After) are retried with backoff
// within RetryPolicy; everything else is returned at once as a typed ClientError.
// Tokens travel only in Authorization headers; nothing secret is ever put in a URL or logged.

#include "ots/client/ClientError.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>
#include <QUrl>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;

namespace ots::client {

/// Shared between a job and its worker; cancel() makes the blocking call in flight return Cancelled.
class CancelToken {
public:
    void cancel() noexcept { m_cancelled.store(true); }
    [[nodiscard]] bool cancelled() const noexcept { return m_cancelled.load(); }

private:
    std::atomic<bool> m_cancelled{false};
};

struct RetryPolicy {
    int attempts = 6;                                ///< tries per call for transient failures
    std::chrono::milliseconds firstDelay{250};       ///< doubled each time …
    std::chrono::milliseconds maxDelay{8000};        ///< … up to this
    std::chrono::milliseconds requestTimeout{30000}; ///< no bytes moving for this long = failure
};

struct KdfInfo {
    QByteArray salt; ///< 16 bytes
    std::uint32_t iterations = 0;
    std::uint32_t memoryKiB = 0;
    std::uint32_t parallelism = 0;
};

struct CreateRequest {
    std::uint64_t size = 0; ///< ciphertext bytes
    std::int64_t expiresIn = 0;
    int maxDownloads = 1;
    QByteArray authPublicKey;        ///< 32 bytes
    QByteArray linkPublicKey;        ///< 32 bytes (SPEC.md §3.5)
    QByteArray metadataEnvelope;     ///< raw envelope bytes (sent as standard base64)
    std::optional<KdfInfo> password; ///< the Argon2 parameters when the share has a password
    QString uploadToken;             ///< empty = none
};

/// What a proof request carries (SPEC.md §3.4, §3.5): the challenge's nonce, the download-proof
/// signature by the auth key, and the link-proof signature by the link key.
struct Proof {
    QByteArray nonce;         ///< 32 bytes
    QByteArray signature;     ///< 64 bytes
    QByteArray linkSignature; ///< 64 bytes
};

struct CreatedShare {
    QString id;         ///< 22 characters base64url
    QString ownerToken; ///< 43 characters base64url — a secret
    std::int64_t expiresAt = 0;
    std::uint64_t uploadOffset = 0;
};

/// GET /api/v1/shares/{id} (public, no side effects) and, with the owner fields, GET …/owner.
struct ShareInfo {
    QString id;
    QString state; ///< "uploading", "ready", "locked"
    std::uint64_t size = 0;
    std::int64_t expiresAt = 0;
    int downloadsLeft = 0;
    bool passwordRequired = false;
    int attemptsLeft = 0;
    std::optional<KdfInfo> kdf;
    // Owner status only (ownerStatus()):
    std::uint64_t uploadOffset = 0;
    int downloadsReserved = 0;
    int downloadsFinished = 0;
    bool locked = false;
};

struct Challenge {
    QByteArray nonce; ///< 32 bytes
    int expiresIn = 0;
};

struct Reservation {
    QString ticket; ///< a secret
    std::uint64_t size = 0;
    int expiresIn = 0; ///< seconds the ticket has left
    bool held = false; ///< the ticket already held this reservation (a retry): nothing more was spent
};

class RelayClient {
public:
    /// baseUrl: "https://host[:port]" or "http://127.0.0.1:port" (loopback only). Call valid() before use.
    explicit RelayClient(QUrl baseUrl, RetryPolicy retry = {}, std::shared_ptr<CancelToken> cancel = {});
    ~RelayClient();
    RelayClient(const RelayClient&) = delete;
    RelayClient& operator=(const RelayClient&) = delete;

    /// Usage error when the URL is not http(s), has a path/query/userinfo, or is http to a non-loopback host.
    [[nodiscard]] ClientError validate() const;
    [[nodiscard]] const QUrl& baseUrl() const noexcept { return m_baseUrl; }

    /// GET /readyz (and a GET /api/v1/shares/<zero id> that must answer in the API's JSON error shape):
    /// tells "this is a working relay" from "something else answers here".
    [[nodiscard]] ClientError checkConnection();

    [[nodiscard]] Outcome<CreatedShare> createShare(const CreateRequest& request);
    /// HEAD …/blob: the offset the relay has durably stored.
    [[nodiscard]] Outcome<std::uint64_t> uploadOffset(const QString& id, const QString& ownerToken);
    /// PATCH …/blob from offset with `length` bytes read from body (sequential is fine; it is read as
    /// the socket drains, so memory stays flat). Returns the relay's new offset; when the connection
    /// breaks mid-body the caller asks uploadOffset() and continues from there (not retried here).
    /// progress(bytesSentInThisRequest) is called as bytes leave. A sequential body that has nothing yet
    /// must emit readyRead when it has (readChannelFinished when it ends); one that ends early fails the
    /// call with LocalIo "upload_source". No bytes moving for RetryPolicy::requestTimeout = Network
    /// "timeout".
    [[nodiscard]] Outcome<std::uint64_t> appendBlob(const QString& id, const QString& ownerToken,
                                                    std::uint64_t offset, std::uint64_t length,
                                                    QIODevice* body,
                                                    const std::function<void(std::uint64_t)>& progress = {});
    [[nodiscard]] ClientError completeUpload(const QString& id, const QString& ownerToken);

    [[nodiscard]] Outcome<ShareInfo> info(const QString& id);
    [[nodiscard]] Outcome<Challenge> challenge(const QString& id);
    /// POST …/metadata with a proof: the envelope bytes. WrongPassword carries attemptsLeft; a link
    /// signature the relay refuses is WrongKey (the link is damaged), and counts no attempt.
    [[nodiscard]] Outcome<QByteArray> metadata(const QString& id, const Proof& proof);
    /// POST …/reservations with a proof and the ticket this download will use (newTicket(), kept by the
    /// caller): proving again with the same ticket after a lost answer finds the same reservation
    /// (held) instead of spending another download (SPEC.md §10.6).
    [[nodiscard]] Outcome<Reservation> reserve(const QString& id, const Proof& proof, const QString& ticket);
    /// 32 random bytes as unpadded base64url: a download ticket (a secret).
    [[nodiscard]] static QString newTicket();
    /// GET …/content with the ticket from `offset` (Range: bytes=offset-). Each received piece is
    /// handed to sink in order; sink returning an error stops the download with that error.
    /// Returns the number of bytes delivered in this call; a cut connection returns a Network error
    /// after what arrived was delivered, and the caller resumes from offset + delivered.
    using DownloadSink = std::function<ClientError(const char* data, qint64 size)>;
    [[nodiscard]] Outcome<std::uint64_t> download(const QString& id, const QString& ticket,
                                                  std::uint64_t offset, const DownloadSink& sink);
    /// POST …/finish: the remaining downloads.
    [[nodiscard]] Outcome<int> finish(const QString& id, const QString& ticket);

    [[nodiscard]] Outcome<ShareInfo> ownerStatus(const QString& id, const QString& ownerToken);
    [[nodiscard]] ClientError deleteShare(const QString& id, const QString& ownerToken);
    [[nodiscard]] Outcome<ShareInfo> unlock(const QString& id, const QString& ownerToken);

private:
    struct Private;
    QUrl m_baseUrl;
    std::unique_ptr<Private> d;
};

} // namespace ots::client
