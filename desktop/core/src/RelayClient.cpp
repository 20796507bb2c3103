#include "ots/client/RelayClient.h"

#include "BlobUpload.h"
#include "RelayReplies.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"
#include "ots/ShareLink.h"
#include "ots/client/DisplayText.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>

#include <algorithm>
#include <limits>
#include <type_traits>
#include <utility>

namespace ots::client {

// Named, not anonymous: RelayClient::Private (a named class) holds them as fields.
enum class Retry {
    Always,        ///< GET, HEAD, DELETE and idempotent POSTs: any transient failure is retried
    UnlessApplied, ///< other POSTs: only when the relay cannot have applied the request
    Never,         ///< appendBlob and download: the job resumes by offset instead
};

enum class Credential { None, Owner, Ticket, UploadToken };

namespace {

#ifdef OTS_VERSION
constexpr char kUserAgent[] = "OneTimeShare/" OTS_VERSION;
#else
constexpr char kUserAgent[] = "OneTimeShare/0.1.0";
#endif

constexpr int kCancelPollMs = 50;
/// Every JSON answer of the API is small (the largest carries a metadata envelope); anything
/// bigger is not the API, and reading it whole would let any server fill our memory.
constexpr qsizetype kMaxAnswerBytes = qsizetype{1024} * 1024;
/// Download memory stays bounded by this plus one piece, however slow the sink.
constexpr qint64 kDownloadReadBuffer = qint64{1024} * 1024;
constexpr qsizetype kDownloadPiece = qsizetype{64} * 1024;
// Reading the answers' bodies and headers is in RelayReplies (pure functions, fuzzed).
using replies::base64UrlDecode;
using replies::base64UrlEncode;
using replies::isShareId;
using replies::kMaxJsonInteger;
using replies::kMinEnvelopeBytes;
using replies::kNonceBytes;
using replies::kPublicKeyBytes;
using replies::kSaltBytes;
using replies::kSignatureBytes;
using replies::kTokenBytes;
using replies::parseDecimal;

const QString kZeroShareId = QStringLiteral("AAAAAAAAAAAAAAAAAAAAAA");

bool isTransportError(QNetworkReply::NetworkError error) {
    const int code = static_cast<int>(error);
    // 1–99 connection, 101–199 proxy, 301 unknown protocol, 399 protocol failure; the 2xx and 4xx
    // ranges are Qt's names for HTTP statuses, which are answers, not failures to get one.
    return (code >= 1 && code <= 199) || error == QNetworkReply::ProtocolUnknownError ||
           error == QNetworkReply::ProtocolFailure;
}

} // namespace

// --- one request -------------------------------------------------------------------------------

struct RelayClient::Private {
    /// One HTTP request, as sent on every attempt.
    struct Exchange {
        QByteArray verb;
        QString path;
        QByteArray body;
        bool sendsBody = false; ///< POST/PATCH: Content-Length is always set
        QByteArray bearer;
        QByteArray range;
        Retry retry = Retry::Always;
        Credential credential = Credential::None;
        /// Streaming reader (download): called on every readyRead and once after the end. Returning
        /// false stops the transfer; the handler says why.
        std::function<bool(QNetworkReply&)> onData;
    };

    /// What one attempt produced.
    struct Answer {
        int status = 0; ///< 0: no HTTP answer
        QNetworkReply::NetworkError error = QNetworkReply::NoError;
        QByteArray body;
        QByteArray retryAfter;
        QByteArray uploadOffset;
        bool cancelled = false;
        bool timedOut = false;
        bool tooBig = false;
        bool stoppedByHandler = false;
        bool afterTransportFailure = false; ///< an earlier attempt of the same call got no answer

        [[nodiscard]] bool transportFailed() const {
            return status == 0 || timedOut || tooBig || (isTransportError(error) && !stoppedByHandler);
        }
    };

    Private(const QUrl& base, RetryPolicy policy, std::shared_ptr<CancelToken> token)
        : baseUrl(base)
        , retry(policy)
        , cancel(token ? std::move(token) : std::make_shared<CancelToken>())
        , manager(std::make_unique<QNetworkAccessManager>()) {
        manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        manager->setAutoDeleteReplies(false);
        label = visibleText(baseUrl.toString(QUrl::RemoveUserInfo | QUrl::RemovePath | QUrl::RemoveQuery |
                                             QUrl::RemoveFragment | QUrl::StripTrailingSlash),
                            LineBreaks::Escape, 300);
        const QString host = baseUrl.host();
        onThisComputer = host.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0 ||
                         QHostAddress(host).isLoopback();
    }

    QUrl baseUrl;
    RetryPolicy retry;
    std::shared_ptr<CancelToken> cancel;
    std::unique_ptr<QNetworkAccessManager> manager;
    QString label;               ///< the relay's address for messages, escaped and bounded
    bool onThisComputer = false; ///< a loopback relay: the internet has nothing to do with it
    ClientError validation;

    [[nodiscard]] bool cancelled() const { return cancel->cancelled(); }

    // --- errors ----------------------------------------------------------------------------------

    static ClientError cancelledError() {
        return ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                                 QStringLiteral("Cancelled."));
    }

    [[nodiscard]] ClientError notARelay(int status) const {
        ClientError error = ClientError::make(
            ErrorKind::RelayUnavailable, QStringLiteral("not_a_relay"),
            QStringLiteral("The server at %1 answered, but it is not a OneTimeShare relay (or not one this "
                           "version of the app understands). Check the relay address.")
                .arg(label));
        error.httpStatus = status;
        return error;
    }

    [[nodiscard]] ClientError networkError(const Answer& answer) const {
        const auto make = [&](const char* code, const QString& message) {
            ClientError error = ClientError::make(ErrorKind::Network, QLatin1String(code), message);
            error.httpStatus = answer.status;
            return error;
        };
        if (answer.tooBig)
            return notARelay(answer.status);
        // The one next step of a relay that does not answer: the internet is no suspect for a relay on
        // this computer.
        const QString retryStep =
            onThisComputer ? QStringLiteral("Check that the relay on this computer is running, then "
                                            "try again.")
                           : QStringLiteral("Check your internet connection and try again.");
        if (answer.timedOut)
            return make("timeout", QStringLiteral("The relay at %1 stopped answering: nothing moved for %2 "
                                                  "seconds. %3")
                                       .arg(label)
                                       .arg(retry.requestTimeout.count() / 1000)
                                       .arg(retryStep));
        switch (answer.error) {
        case QNetworkReply::ConnectionRefusedError:
            return make("connection_refused",
                        onThisComputer
                            ? QStringLiteral("Could not connect to the relay at %1: nothing answers "
                                             "there. Check that the relay on this computer is "
                                             "running and listens on that port.")
                                  .arg(label)
                            : QStringLiteral("Could not connect to the relay at %1: nothing answers "
                                             "there. Check the address, or try again later.")
                                  .arg(label));
        case QNetworkReply::HostNotFoundError:
            return make("host_not_found",
                        QStringLiteral("The relay's address %1 could not be found. Check the "
                                       "address and your internet connection.")
                            .arg(label));
        case QNetworkReply::TimeoutError:
            return make("timeout",
                        QStringLiteral("The relay at %1 did not answer in time. %2").arg(label, retryStep));
        case QNetworkReply::SslHandshakeFailedError:
            return make("tls", QStringLiteral("The secure connection to %1 could not be established: its "
                                              "certificate is not trusted, or something on the way "
                                              "interferes. Nothing was sent.")
                                   .arg(label));
        case QNetworkReply::ProxyConnectionRefusedError:
        case QNetworkReply::ProxyConnectionClosedError:
        case QNetworkReply::ProxyNotFoundError:
        case QNetworkReply::ProxyTimeoutError:
        case QNetworkReply::ProxyAuthenticationRequiredError:
        case QNetworkReply::UnknownProxyError:
            return make("proxy", QStringLiteral("The network proxy did not let the connection to %1 through. "
                                                "Check the proxy settings.")
                                     .arg(label));
        case QNetworkReply::ProtocolUnknownError:
        case QNetworkReply::ProtocolFailure:
            return notARelay(answer.status);
        default:
            return make(
                "connection_lost",
                QStringLiteral("The connection to the relay at %1 was cut. %2").arg(label, retryStep));
        }
    }

    [[nodiscard]] static QString unauthorizedMessage(Credential credential) {
        switch (credential) {
        case Credential::Owner:
            return QStringLiteral("The relay did not accept the owner token of this share. The share may "
                                  "have been created on another relay, or the saved token is damaged.");
        case Credential::Ticket:
            return QStringLiteral("The download permission is no longer valid: it lapsed or was already "
                                  "finished. Start the download again.");
        case Credential::UploadToken:
            return QStringLiteral("This relay accepts new shares only with an upload token, and it did not "
                                  "accept the one given. Check the upload token in the settings.");
        case Credential::None:
            break;
        }
        return QStringLiteral("The relay refused the request as unauthorized.");
    }

    /// An HTTP answer other than the expected success, as a typed error (SPEC.md §10 table). The
    /// relay's own text is never shown: a client maps the code.
    [[nodiscard]] ClientError answerError(const Answer& answer, Credential credential) const {
        const int status = answer.status;
        if (status >= 300 && status < 400) {
            ClientError error = ClientError::make(
                ErrorKind::RelayRejected, QStringLiteral("redirect"),
                QStringLiteral("The server at %1 redirects to another address (HTTP %2); the app does not "
                               "follow redirects. Check the relay address (https, host and port).")
                    .arg(label)
                    .arg(status));
            error.httpStatus = status;
            return error;
        }
        const auto body = replies::parseErrorBody(answer.body);
        if (status < 400 || !body) {
            if (status == 502 || status == 503 || status == 504) {
                ClientError error = ClientError::make(
                    ErrorKind::RelayUnavailable, QStringLiteral("unavailable"),
                    QStringLiteral("The relay at %1 is not available right now (HTTP %2). Try again later.")
                        .arg(label)
                        .arg(status));
                error.httpStatus = status;
                return error;
            }
            return notARelay(status);
        }
        const QString code = body->code;
        const auto make = [&](ErrorKind kind, const QString& message) {
            ClientError error = ClientError::make(kind, code, message);
            error.httpStatus = status;
            return error;
        };
        if (code == QLatin1String("not_found"))
            return make(ErrorKind::NotFound, QStringLiteral("There is no such share on the relay: it never "
                                                            "existed there, or it is long gone. Check the "
                                                            "link."));
        if (code == QLatin1String("expired"))
            return make(ErrorKind::Expired,
                        QStringLiteral("This share has expired. Ask the sender to share the files again."));
        if (code == QLatin1String("deleted"))
            return make(ErrorKind::Deleted, QStringLiteral("The sender deleted this share."));
        // Taken down by the relay's operator (ots-relay admin takedown): gone like a deleted share, but
        // the recipient is told who removed it.
        if (code == QLatin1String("removed"))
            return make(ErrorKind::Deleted, QStringLiteral("The relay's operator removed this share."));
        if (code == QLatin1String("downloaded"))
            return make(ErrorKind::Downloaded, QStringLiteral("This share was already downloaded as often as "
                                                              "the sender allowed, so it is gone."));
        if (code == QLatin1String("no_downloads_left"))
            return make(ErrorKind::Downloaded,
                        QStringLiteral("Every allowed download of this share is already "
                                       "taken. Ask the sender for a new link."));
        if (code == QLatin1String("not_ready"))
            return make(ErrorKind::NotReady,
                        QStringLiteral("The sender has not finished uploading this share "
                                       "yet. Try again later."));
        if (code == QLatin1String("link_invalid"))
            return make(ErrorKind::WrongKey,
                        QStringLiteral("The link is damaged or incomplete: its secret part "
                                       "does not match this share. Copy the whole link "
                                       "again, or ask the sender for it."));
        if (code == QLatin1String("proof_invalid")) {
            ClientError error = make(ErrorKind::WrongPassword, QString());
            error.attemptsLeft = body->attemptsLeft;
            if (error.attemptsLeft == 0)
                error.message =
                    QStringLiteral("The password is wrong, and no attempts are left: the share is "
                                   "now locked until the sender unlocks it.");
            else if (error.attemptsLeft > 0)
                error.message = QStringLiteral("The password is wrong. %1 more attempt(s) before the share "
                                               "locks.")
                                    .arg(error.attemptsLeft);
            else
                error.message = QStringLiteral("The password is wrong.");
            return error;
        }
        if (code == QLatin1String("locked")) {
            ClientError error =
                make(ErrorKind::Locked, QStringLiteral("Too many wrong passwords were tried, so "
                                                       "the share is locked. Only the sender "
                                                       "can unlock it."));
            error.attemptsLeft = 0;
            return error;
        }
        if (code == QLatin1String("rate_limited")) {
            ClientError error = make(ErrorKind::RateLimited, QString());
            error.retryAfterSeconds = retryAfterSeconds(answer);
            error.message = error.retryAfterSeconds > 0
                                ? QStringLiteral("The relay asks to slow down: too many requests came from "
                                                 "this address. Try again in %1 seconds.")
                                      .arg(error.retryAfterSeconds)
                                : QStringLiteral("The relay asks to slow down: too many requests came from "
                                                 "this address. Try again in a minute.");
            return error;
        }
        if (code == QLatin1String("storage_full"))
            return make(ErrorKind::StorageFull,
                        QStringLiteral("The relay has no room for this share right now. "
                                       "Try again later or use another relay."));
        if (code == QLatin1String("too_large"))
            return make(ErrorKind::TooLarge,
                        body->max > 0
                            ? QStringLiteral("The share is larger than this relay accepts (at most %1 "
                                             "encrypted). Send fewer or smaller files, or use another relay.")
                                  .arg(formatBytes(static_cast<std::uint64_t>(body->max)))
                            : QStringLiteral("The share is larger than this relay accepts. Send fewer or "
                                             "smaller files, or use another relay."));
        if (code == QLatin1String("bad_request"))
            return make(ErrorKind::RelayRejected, badRequestMessage(*body));
        if (code == QLatin1String("blocked"))
            return make(ErrorKind::RelayRejected, QStringLiteral("The relay's operator has blocked requests "
                                                                 "from this address for a while. Try again "
                                                                 "later."));
        if (code == QLatin1String("unauthorized"))
            return make(ErrorKind::Unauthorized, unauthorizedMessage(credential));
        if (code == QLatin1String("unavailable") || code == QLatin1String("internal")) {
            ClientError error = make(ErrorKind::RelayUnavailable,
                                     QStringLiteral("The relay at %1 is temporarily unavailable. Try again "
                                                    "in a moment.")
                                         .arg(label));
            error.retryAfterSeconds = retryAfterSeconds(answer);
            return error;
        }
        if (code == QLatin1String("offset_mismatch"))
            return make(ErrorKind::RelayRejected, QStringLiteral("The relay holds a different part of this "
                                                                 "upload than expected; the upload has to "
                                                                 "continue from the relay's position."));
        if (code == QLatin1String("upload_in_progress"))
            return make(ErrorKind::RelayRejected,
                        QStringLiteral("Another upload to this share is still running "
                                       "on the relay. Wait a moment and try again."));
        if (code == QLatin1String("append_limit"))
            return make(ErrorKind::RelayRejected,
                        QStringLiteral("The relay takes no more of this upload: it was resumed in too many "
                                       "small pieces. Send the file again as a new share."));
        if (code == QLatin1String("incomplete"))
            return make(ErrorKind::RelayRejected,
                        QStringLiteral("The relay does not have the whole upload yet, "
                                       "so the share cannot be completed."));
        if (code == QLatin1String("challenge_invalid"))
            return make(ErrorKind::RelayRejected,
                        QStringLiteral("The relay's one-time challenge expired or was "
                                       "already used. Try again."));
        if (code == QLatin1String("range_not_satisfiable"))
            return make(ErrorKind::RelayRejected, QStringLiteral("The relay has no data at the requested "
                                                                 "position of this share."));
        // A code this client does not know: its text is the relay's, so it is neither shown nor kept.
        ClientError error = ClientError::make(
            ErrorKind::RelayRejected, QStringLiteral("relay_error"),
            QStringLiteral(
                "The relay at %1 refused the request (HTTP %2) for a reason this version of the app "
                "does not know. Updating the app may help.")
                .arg(label)
                .arg(status));
        error.httpStatus = status;
        return error;
    }

    /// 400 bad_request: the field and the relay's range when the answer names them (SPEC.md §10.13).
    [[nodiscard]] QString badRequestMessage(const replies::ErrorBody& body) const {
        const bool range = body.min >= 0 && body.max >= 0;
        if (body.field == QLatin1String("maxDownloads") && range)
            return QStringLiteral("The relay at %1 allows %2 to %3 downloads per share. Choose a number of "
                                  "downloads in that range.")
                .arg(label)
                .arg(body.min)
                .arg(body.max);
        if (body.field == QLatin1String("expiresIn") && range)
            return QStringLiteral(
                       "The relay at %1 keeps shares for %2 to %3. Choose an expiry in that range.")
                .arg(label, formatDuration(body.min), formatDuration(body.max));
        return QStringLiteral(
                   "The relay at %1 refused a value of the request as invalid. Check the expiry and "
                   "the number of downloads, or use another relay.")
            .arg(label);
    }

    [[nodiscard]] static int retryAfterSeconds(const Answer& answer) {
        const auto seconds = parseDecimal(answer.retryAfter.trimmed());
        if (!seconds)
            return -1;
        return static_cast<int>(std::min<std::uint64_t>(*seconds, std::uint64_t{24} * 3600));
    }

    // --- transport -------------------------------------------------------------------------------

    [[nodiscard]] QNetworkRequest makeRequest(const Exchange& exchange) const {
        QUrl url = baseUrl;
        url.setPath(exchange.path);
        QNetworkRequest request(url);
        request.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        request.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
        request.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
        request.setAttribute(QNetworkRequest::CookieLoadControlAttribute, QNetworkRequest::Manual);
        request.setAttribute(QNetworkRequest::CookieSaveControlAttribute, QNetworkRequest::Manual);
        request.setTransferTimeout(static_cast<int>(std::clamp<std::chrono::milliseconds::rep>(
            retry.requestTimeout.count(), 1, std::numeric_limits<int>::max())));
        request.setHeader(QNetworkRequest::UserAgentHeader, QByteArray(kUserAgent));
        // Identity only: the body is delivered as the relay sent it (byte offsets stay true).
        request.setRawHeader("Accept-Encoding", "identity");
        request.setRawHeader("Accept", "application/json");
        if (!exchange.bearer.isEmpty())
            request.setRawHeader("Authorization", "Bearer " + exchange.bearer);
        if (!exchange.range.isEmpty())
            request.setRawHeader("Range", exchange.range);
        if (exchange.sendsBody) {
            // The relay refuses a POST that is not application/json, even one without a body
            // (challenge, complete, finish, unlock): SPEC.md §10.13.
            if (!exchange.body.isEmpty() || exchange.verb == "POST")
                request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
            request.setHeader(QNetworkRequest::ContentLengthHeader,
                              QVariant::fromValue(exchange.body.size()));
        }
        return request;
    }

    /// One attempt: sends the request and runs a local event loop until the reply ends.
    Answer attempt(const Exchange& exchange) {
        Answer answer;
        const QNetworkRequest request = makeRequest(exchange);
        std::unique_ptr<QNetworkReply> reply;
        if (exchange.verb == "GET")
            reply.reset(manager->get(request));
        else if (exchange.verb == "HEAD")
            reply.reset(manager->head(request));
        else
            reply.reset(manager->sendCustomRequest(request, exchange.verb, exchange.body));
        if (exchange.onData)
            reply->setReadBufferSize(kDownloadReadBuffer);

        QEventLoop loop;
        QNetworkReply* const raw = reply.get();
        QObject::connect(raw, &QNetworkReply::finished, &loop, &QEventLoop::quit);
        QObject::connect(raw, &QNetworkReply::readyRead, &loop, [&] {
            if (answer.stoppedByHandler || answer.tooBig)
                return;
            if (exchange.onData) {
                if (!exchange.onData(*raw)) {
                    answer.stoppedByHandler = true;
                    raw->abort();
                }
                return;
            }
            answer.body += raw->readAll();
            if (answer.body.size() > kMaxAnswerBytes) {
                answer.tooBig = true;
                raw->abort();
            }
        });
        QTimer poll;
        poll.setInterval(kCancelPollMs);
        QObject::connect(&poll, &QTimer::timeout, &loop, [&] {
            if (cancelled() && !raw->isFinished()) {
                answer.cancelled = true;
                raw->abort();
            }
        });
        poll.start();
        if (!raw->isFinished())
            loop.exec(QEventLoop::ExcludeUserInputEvents);
        poll.stop();

        answer.status = raw->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        answer.error = raw->error();
        // An aborted reply (timeout) is closed: there is nothing left to read.
        if (!answer.stoppedByHandler && !answer.tooBig && !answer.cancelled && raw->isOpen()) {
            if (exchange.onData) {
                if (!exchange.onData(*raw))
                    answer.stoppedByHandler = true;
            } else {
                answer.body += raw->readAll();
                answer.tooBig = answer.body.size() > kMaxAnswerBytes;
            }
        }
        answer.retryAfter = raw->rawHeader("Retry-After");
        answer.uploadOffset = raw->rawHeader("Upload-Offset");
        // Qt names a transfer timeout as an abort we did not ask for.
        answer.timedOut = answer.error == QNetworkReply::OperationCanceledError && !answer.cancelled &&
                          !answer.stoppedByHandler && !answer.tooBig;
        answer.cancelled =
            answer.cancelled || (cancelled() && answer.error == QNetworkReply::OperationCanceledError);
        return answer;
    }

    /// Whether another attempt may follow this answer (SPEC.md §10: only where a repeat is safe).
    [[nodiscard]] static bool transient(const Answer& answer, Retry retryKind, int attemptNumber) {
        if (retryKind == Retry::Never || answer.cancelled || answer.stoppedByHandler || answer.tooBig)
            return false;
        if (answer.transportFailed()) {
            switch (answer.error) {
            case QNetworkReply::HostNotFoundError:
                return attemptNumber < 2; // a name that does not resolve rarely does a second later
            case QNetworkReply::ConnectionRefusedError:
                return true; // nothing was sent
            case QNetworkReply::RemoteHostClosedError:
            case QNetworkReply::TimeoutError:
            case QNetworkReply::OperationCanceledError:
            case QNetworkReply::TemporaryNetworkFailureError:
            case QNetworkReply::NetworkSessionFailedError:
            case QNetworkReply::UnknownNetworkError:
                // The request may have been applied before the connection broke.
                return retryKind == Retry::Always;
            default:
                return false;
            }
        }
        // 429, 500 and 503: the relay refused before applying anything.
        if (answer.status == 429 || answer.status == 500 || answer.status == 503)
            return true;
        // A proxy's 502/504 cannot tell whether the relay applied the request.
        if (answer.status == 502 || answer.status == 504)
            return retryKind == Retry::Always;
        return false;
    }

    [[nodiscard]] std::chrono::milliseconds delayBefore(int nextAttempt, const Answer& answer) const {
        auto delay = std::max(retry.firstDelay, std::chrono::milliseconds(1));
        for (int i = 2; i < nextAttempt && delay < retry.maxDelay; ++i)
            delay *= 2;
        const int retryAfter = retryAfterSeconds(answer);
        if (retryAfter > 0)
            delay = std::max(delay, std::chrono::milliseconds(std::int64_t{retryAfter} * 1000));
        return std::min(delay, retry.maxDelay);
    }

    /// Waits, looking at the cancel token every 50 ms; false when cancelled.
    [[nodiscard]] bool waitUnlessCancelled(std::chrono::milliseconds delay) const {
        const QDeadlineTimer deadline(delay);
        while (!deadline.hasExpired()) {
            if (cancelled())
                return false;
            QThread::msleep(
                static_cast<unsigned long>(std::clamp<qint64>(deadline.remainingTime(), 1, kCancelPollMs)));
        }
        return !cancelled();
    }

    /// The attempts of one call: an HTTP answer (any status) or a transport error after retries.
    Outcome<Answer> execute(const Exchange& exchange) {
        if (validation)
            return validation;
        const int attempts = std::max(retry.attempts, 1);
        bool afterTransportFailure = false;
        for (int attemptNumber = 1;; ++attemptNumber) {
            if (cancelled())
                return cancelledError();
            Answer answer = attempt(exchange);
            answer.afterTransportFailure = afterTransportFailure;
            if (answer.cancelled)
                return cancelledError();
            if (attemptNumber >= attempts || !transient(answer, exchange.retry, attemptNumber)) {
                if (answer.transportFailed() && !answer.stoppedByHandler)
                    return networkError(answer);
                return answer;
            }
            afterTransportFailure = afterTransportFailure || answer.transportFailed();
            if (!waitUnlessCancelled(delayBefore(attemptNumber + 1, answer)))
                return cancelledError();
        }
    }

    /// The Host header's value: the port only when it is not the scheme's own (as browsers send it).
    [[nodiscard]] QByteArray hostHeader() const {
        const bool https = baseUrl.scheme() == QLatin1String("https");
        QByteArray host = baseUrl.host(QUrl::FullyEncoded).toLatin1();
        if (host.contains(':'))
            host = '[' + host + ']'; // an IPv6 literal
        const int port = baseUrl.port(-1);
        if (port != -1 && port != (https ? 443 : 80))
            host += ':' + QByteArray::number(port);
        return host;
    }

    /// appendBlob's one attempt, straight over a socket of this thread (BlobUpload says why), with its
    /// outcome in the same Answer and error vocabulary as execute(). Never retried: the job resumes from
    /// the relay's offset instead.
    Outcome<Answer> sendBlob(const Exchange& exchange, std::uint64_t offset, std::uint64_t length,
                             QIODevice* body, const std::function<void(std::uint64_t)>& progress) {
        if (validation)
            return validation;
        if (cancelled())
            return cancelledError();
        QByteArray head = exchange.verb + ' ' + QUrl::toPercentEncoding(exchange.path, "/") + " HTTP/1.1\r\n";
        head += "Host: " + hostHeader() + "\r\n";
        head += QByteArray("User-Agent: ") + kUserAgent + "\r\n";
        head += "Authorization: Bearer " + exchange.bearer + "\r\n";
        head += "Upload-Offset: " + QByteArray::number(static_cast<qulonglong>(offset)) + "\r\n";
        head += "Content-Type: application/offset+octet-stream\r\n";
        head += "Content-Length: " + QByteArray::number(static_cast<qulonglong>(length)) + "\r\n";
        head += "Accept: application/json\r\nAccept-Encoding: identity\r\nConnection: close\r\n\r\n";

        BlobUpload::Request request;
        request.baseUrl = baseUrl;
        request.head = std::move(head);
        request.body = body;
        request.length = length;
        request.idleTimeout = std::max(retry.requestTimeout, std::chrono::milliseconds(1));
        request.cancel = cancel.get();
        request.progress = &progress;
        BlobUpload::Result result = BlobUpload(std::move(request)).run();

        Answer answer;
        switch (result.failure) {
        case BlobUpload::Failure::None:
            answer.status = result.status;
            answer.body = std::move(result.body);
            answer.uploadOffset = std::move(result.uploadOffset);
            answer.retryAfter = std::move(result.retryAfter);
            return answer;
        case BlobUpload::Failure::Cancelled:
            return cancelledError();
        case BlobUpload::Failure::BodyUnreadable:
            return ClientError::make(ErrorKind::LocalIo, QStringLiteral("upload_source"), result.detail);
        case BlobUpload::Failure::TimedOut:
            answer.timedOut = true;
            break;
        case BlobUpload::Failure::AnswerTooLarge:
            answer.tooBig = true;
            break;
        case BlobUpload::Failure::ConnectionRefused:
            answer.error = QNetworkReply::ConnectionRefusedError;
            break;
        case BlobUpload::Failure::HostNotFound:
            answer.error = QNetworkReply::HostNotFoundError;
            break;
        case BlobUpload::Failure::ConnectionLost:
            answer.error = QNetworkReply::RemoteHostClosedError;
            break;
        case BlobUpload::Failure::Tls:
            answer.error = QNetworkReply::SslHandshakeFailedError;
            break;
        case BlobUpload::Failure::Proxy:
            answer.error = QNetworkReply::ProxyConnectionRefusedError;
            break;
        case BlobUpload::Failure::NotHttp:
            answer.error = QNetworkReply::ProtocolFailure;
            break;
        }
        ClientError error = networkError(answer);
        if (result.failure == BlobUpload::Failure::Tls && !result.detail.isEmpty())
            error.message += QStringLiteral(" (%1)").arg(visibleText(result.detail, LineBreaks::Escape, 300));
        return error;
    }

    /// execute() for calls that expect one success status: the answer's body, for RelayReplies.
    Outcome<QByteArray> expect(const Exchange& exchange, int expectedStatus) {
        auto outcome = execute(exchange);
        if (!outcome.ok())
            return outcome.error();
        Answer& answer = outcome.value();
        if (answer.status != expectedStatus)
            return unexpected(answer, exchange.credential);
        return std::move(answer.body);
    }

    /// expect(), then a RelayReplies parser over the body: its value, or "not a relay" when the body
    /// does not parse.
    template <typename Parse>
    auto parsed(const Exchange& exchange, int expectedStatus, Parse parse)
        -> Outcome<typename std::invoke_result_t<Parse, const QByteArray&>::value_type> {
        auto body = expect(exchange, expectedStatus);
        if (!body.ok())
            return body.error();
        auto value = parse(body.value());
        if (!value)
            return notARelay(expectedStatus);
        return std::move(*value);
    }

    /// A status that is not the call's success: the relay's error, or "not a relay" for a success
    /// status the API does not use here.
    [[nodiscard]] ClientError unexpected(const Answer& answer, Credential credential) const {
        if (answer.status >= 200 && answer.status < 300)
            return notARelay(answer.status);
        return answerError(answer, credential);
    }

    [[nodiscard]] static Exchange shareCall(const QByteArray& verb, const QString& id,
                                            const QString& suffix) {
        Exchange exchange;
        exchange.verb = verb;
        exchange.path = QStringLiteral("/api/v1/shares/") + id + suffix;
        exchange.sendsBody = verb == "POST" || verb == "PATCH";
        return exchange;
    }

    [[nodiscard]] static Exchange ownerCall(const QByteArray& verb, const QString& id, const QString& suffix,
                                            const QString& ownerToken) {
        Exchange exchange = shareCall(verb, id, suffix);
        exchange.bearer = ownerToken.toLatin1();
        exchange.credential = Credential::Owner;
        return exchange;
    }

    [[nodiscard]] static ClientError badShareId() {
        return ClientError::make(ErrorKind::Usage, QStringLiteral("bad_share_id"),
                                 QStringLiteral("The share id is not 22 characters of base64url."));
    }
    [[nodiscard]] static ClientError badArgument(const QString& what) {
        return ClientError::make(ErrorKind::Internal, QStringLiteral("invalid_argument"), what);
    }

    /// Checks that apply to every call about one share.
    [[nodiscard]] static ClientError checkShare(const QString& id) {
        return isShareId(id) ? ClientError{} : badShareId();
    }
    [[nodiscard]] static ClientError checkToken(const QString& token, const char* what) {
        if (base64UrlDecode(token, kTokenBytes))
            return {};
        return badArgument(
            QStringLiteral("The %1 is not 43 characters of base64url.").arg(QLatin1String(what)));
    }

    /// A POST that proves the link and the key (SPEC.md §3.4, §3.5): the challenge's nonce and both
    /// signatures as the body.
    [[nodiscard]] static Outcome<Exchange> proofCall(const QString& id, const QString& suffix,
                                                     const Proof& proof, const QString& ticket = {}) {
        if (auto error = checkShare(id))
            return error;
        if (proof.nonce.size() != kNonceBytes || proof.signature.size() != kSignatureBytes ||
            proof.linkSignature.size() != kSignatureBytes)
            return badArgument(QStringLiteral("A proof needs a 32-byte nonce and two 64-byte signatures."));
        Exchange exchange = shareCall("POST", id, suffix);
        QJsonObject body{
            {QStringLiteral("nonce"), QString::fromLatin1(base64UrlEncode(proof.nonce))},
            {QStringLiteral("signature"), QString::fromLatin1(base64UrlEncode(proof.signature))},
            {QStringLiteral("linkSignature"), QString::fromLatin1(base64UrlEncode(proof.linkSignature))}};
        if (!ticket.isEmpty())
            body.insert(QStringLiteral("ticket"), ticket);
        exchange.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
        exchange.retry = Retry::UnlessApplied;
        return exchange;
    }
};

// --- RelayClient -------------------------------------------------------------------------------

RelayClient::RelayClient(QUrl baseUrl, RetryPolicy retry, std::shared_ptr<CancelToken> cancel)
    : m_baseUrl(std::move(baseUrl))
    , d(std::make_unique<Private>(m_baseUrl, retry, std::move(cancel))) {
    d->validation = validate();
}

RelayClient::~RelayClient() = default;

ClientError RelayClient::validate() const {
    const auto invalid = [](const QString& message) {
        return ClientError::make(ErrorKind::Usage, QStringLiteral("bad_relay_url"), message);
    };
    if (!m_baseUrl.isValid() || m_baseUrl.isEmpty())
        return invalid(QStringLiteral("The relay address is not a valid URL."));
    const QString scheme = m_baseUrl.scheme();
    if (scheme != QLatin1String("https") && scheme != QLatin1String("http"))
        return invalid(QStringLiteral("The relay address must start with https:// (or http:// for a relay on "
                                      "this computer)."));
    if (m_baseUrl.host().isEmpty())
        return invalid(QStringLiteral("The relay address has no host name."));
    if (!m_baseUrl.userInfo().isEmpty())
        return invalid(QStringLiteral("The relay address must not contain a user name or password."));
    const QString path = m_baseUrl.path();
    if (!path.isEmpty() && path != QLatin1String("/"))
        return invalid(QStringLiteral("The relay address must be only https://host[:port], without a path."));
    if (m_baseUrl.hasQuery() || m_baseUrl.hasFragment())
        return invalid(QStringLiteral("The relay address must not contain a ? query or a # fragment."));
    if (scheme == QLatin1String("http") && !ots::ShareLink::isLoopbackHost(m_baseUrl.host().toStdString()))
        return invalid(QStringLiteral("Plain http:// is allowed only for a relay on this computer; use "
                                      "https:// for %1.")
                           .arg(m_baseUrl.host()));
    return {};
}

ClientError RelayClient::checkConnection() {
    Private::Exchange ready;
    ready.verb = "GET";
    ready.path = QStringLiteral("/readyz");
    auto readiness = d->execute(ready);
    if (!readiness.ok())
        return readiness.error();
    const int readyStatus = readiness.value().status;
    if (readyStatus == 503) {
        ClientError error = ClientError::make(
            ErrorKind::RelayUnavailable, QStringLiteral("unavailable"),
            QStringLiteral("The relay at %1 runs but is not ready: it cannot reach its database or its "
                           "storage. Try again later, or tell the relay's operator.")
                .arg(d->label));
        error.httpStatus = readyStatus;
        return error;
    }
    if (readyStatus >= 300 && readyStatus < 400)
        return d->answerError(readiness.value(), Credential::None); // the redirect explains itself
    if (readyStatus != 200)
        return d->notARelay(readyStatus);

    // A web server answers /readyz with 200 too; only the relay answers an unknown share this way.
    auto probe = d->execute(Private::shareCall("GET", kZeroShareId, QString()));
    if (!probe.ok())
        return probe.error();
    const auto& answer = probe.value();
    const auto body = replies::parseErrorBody(answer.body);
    if (answer.status != 404 || !body || body->code != QLatin1String("not_found"))
        return answer.status >= 300 && answer.status < 400 ? d->answerError(answer, Credential::None)
                                                           : d->notARelay(answer.status);
    return {};
}

Outcome<CreatedShare> RelayClient::createShare(const CreateRequest& request) {
    if (request.authPublicKey.size() != kPublicKeyBytes || request.linkPublicKey.size() != kPublicKeyBytes)
        return Private::badArgument(QStringLiteral("The share's public keys must be 32 bytes each."));
    if (request.metadataEnvelope.size() < kMinEnvelopeBytes ||
        static_cast<std::size_t>(request.metadataEnvelope.size()) > ots::metadata::maxEnvelopeBytes())
        return Private::badArgument(QStringLiteral("The share's metadata envelope has an impossible size."));
    if (request.size == 0 || request.size > static_cast<std::uint64_t>(kMaxJsonInteger))
        return Private::badArgument(QStringLiteral("The share's size is out of range."));
    if (request.password && request.password->salt.size() != kSaltBytes)
        return Private::badArgument(QStringLiteral("The password salt must be 16 bytes."));

    QJsonObject body{
        {QStringLiteral("size"), static_cast<qint64>(request.size)},
        {QStringLiteral("expiresIn"), static_cast<qint64>(request.expiresIn)},
        {QStringLiteral("maxDownloads"), request.maxDownloads},
        {QStringLiteral("authPublicKey"), QString::fromLatin1(base64UrlEncode(request.authPublicKey))},
        {QStringLiteral("linkPublicKey"), QString::fromLatin1(base64UrlEncode(request.linkPublicKey))},
        {QStringLiteral("metadata"), QString::fromLatin1(request.metadataEnvelope.toBase64())},
        {QStringLiteral("password"), QJsonValue::Null},
    };
    if (request.password) {
        body[QStringLiteral("password")] = QJsonObject{
            {QStringLiteral("salt"), QString::fromLatin1(base64UrlEncode(request.password->salt))},
            {QStringLiteral("iterations"), static_cast<qint64>(request.password->iterations)},
            {QStringLiteral("memoryKiB"), static_cast<qint64>(request.password->memoryKiB)},
            {QStringLiteral("parallelism"), static_cast<qint64>(request.password->parallelism)},
        };
    }
    Private::Exchange exchange;
    exchange.verb = "POST";
    exchange.path = QStringLiteral("/api/v1/shares");
    exchange.sendsBody = true;
    exchange.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
    exchange.retry = Retry::UnlessApplied;
    if (!request.uploadToken.isEmpty()) {
        exchange.bearer = request.uploadToken.toUtf8();
        exchange.credential = Credential::UploadToken;
    }
    return d->parsed(exchange, 201,
                     [&](const QByteArray& answer) { return replies::parseCreated(answer, request.size); });
}

Outcome<std::uint64_t> RelayClient::uploadOffset(const QString& id, const QString& ownerToken) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    const auto exchange = Private::ownerCall("HEAD", id, QStringLiteral("/blob"), ownerToken);
    auto outcome = d->execute(exchange);
    if (!outcome.ok())
        return outcome.error();
    const auto& answer = outcome.value();
    if (answer.status != 204 && answer.status != 200) {
        // A HEAD answer has no body: the status alone says what happened.
        Private::Answer described = answer;
        const auto code = [&]() -> QByteArray {
            switch (answer.status) {
            case 401:
                return "unauthorized";
            case 404:
                return "not_found";
            case 423:
                return "locked";
            case 429:
                return "rate_limited";
            case 500:
                return "internal";
            case 503:
                return "unavailable";
            default:
                return {};
            }
        }();
        if (!code.isEmpty() && answer.body.isEmpty())
            described.body = R"({"error":")" + code + R"(","message":""})";
        if (answer.status == 410 && answer.body.isEmpty()) {
            // Which way the share went is not in a HEAD answer: ask the owner endpoint.
            auto status = ownerStatus(id, ownerToken);
            return status.ok() ? d->notARelay(410) : status.error();
        }
        return d->unexpected(described, Credential::Owner);
    }
    const auto offset = parseDecimal(answer.uploadOffset);
    if (!offset)
        return d->notARelay(answer.status);
    return *offset;
}

Outcome<std::uint64_t> RelayClient::appendBlob(const QString& id, const QString& ownerToken,
                                               std::uint64_t offset, std::uint64_t length, QIODevice* body,
                                               const std::function<void(std::uint64_t)>& progress) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    if (body == nullptr || !body->isReadable())
        return Private::badArgument(QStringLiteral("The upload body is not open for reading."));
    if (length > static_cast<std::uint64_t>(kMaxJsonInteger))
        return Private::badArgument(QStringLiteral("The upload piece is too large."));
    auto exchange = Private::ownerCall("PATCH", id, QStringLiteral("/blob"), ownerToken);
    exchange.retry = Retry::Never;
    auto outcome = d->sendBlob(exchange, offset, length, body, progress);
    if (!outcome.ok())
        return outcome.error();
    const auto& answer = outcome.value();
    if (answer.status != 204)
        return d->unexpected(answer, Credential::Owner);
    const auto newOffset = parseDecimal(answer.uploadOffset);
    if (!newOffset || *newOffset < offset || *newOffset > offset + length)
        return d->notARelay(answer.status);
    // The relay's offset is certain: the last bytesWritten may not have been seen before the answer.
    if (progress)
        progress(*newOffset - offset);
    return *newOffset;
}

ClientError RelayClient::completeUpload(const QString& id, const QString& ownerToken) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    auto exchange = Private::ownerCall("POST", id, QStringLiteral("/complete"), ownerToken);
    exchange.retry = Retry::Always; // complete is idempotent (SPEC.md §10.13)
    auto body = d->expect(exchange, 200);
    if (!body.ok())
        return body.error();
    if (!replies::parseCompleted(body.value()))
        return d->notARelay(200);
    return {};
}

Outcome<ShareInfo> RelayClient::info(const QString& id) {
    if (auto error = Private::checkShare(id))
        return error;
    return d->parsed(Private::shareCall("GET", id, QString()), 200,
                     [&](const QByteArray& body) { return replies::parseShareInfo(body, id, false); });
}

Outcome<Challenge> RelayClient::challenge(const QString& id) {
    if (auto error = Private::checkShare(id))
        return error;
    auto exchange = Private::shareCall("POST", id, QStringLiteral("/challenge"));
    exchange.retry = Retry::UnlessApplied;
    return d->parsed(exchange, 200, replies::parseChallenge);
}

Outcome<QByteArray> RelayClient::metadata(const QString& id, const Proof& proof) {
    auto exchange = Private::proofCall(id, QStringLiteral("/metadata"), proof);
    if (!exchange.ok())
        return exchange.error();
    return d->parsed(exchange.value(), 200, replies::parseMetadata);
}

Outcome<Reservation> RelayClient::reserve(const QString& id, const Proof& proof, const QString& ticket) {
    if (auto error = Private::checkToken(ticket, "download ticket"))
        return error;
    auto exchange = Private::proofCall(id, QStringLiteral("/reservations"), proof, ticket);
    if (!exchange.ok())
        return exchange.error();
    auto outcome = d->execute(exchange.value());
    if (!outcome.ok())
        return outcome.error();
    const Private::Answer& answer = outcome.value();
    // 201: reserved now; 200: this ticket already held the reservation (an earlier answer was lost).
    if (answer.status != 201 && answer.status != 200)
        return d->unexpected(answer, exchange.value().credential);
    auto reservation = replies::parseReservation(answer.body);
    // The ticket is ours: a relay that answers with another one is not keeping the reservation we asked for.
    if (!reservation || reservation->ticket != ticket)
        return d->notARelay(answer.status);
    reservation->held = answer.status == 200;
    return std::move(*reservation);
}

QString RelayClient::newTicket() {
    QByteArray bytes(static_cast<qsizetype>(kTokenBytes), Qt::Uninitialized);
    randomBytes({reinterpret_cast<std::uint8_t*>(bytes.data()), static_cast<std::size_t>(bytes.size())});
    QString text = QString::fromLatin1(base64UrlEncode(bytes));
    bytes.fill('\0');
    return text;
}

Outcome<std::uint64_t> RelayClient::download(const QString& id, const QString& ticket, std::uint64_t offset,
                                             const DownloadSink& sink) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ticket, "download ticket"))
        return error;
    if (!sink)
        return Private::badArgument(QStringLiteral("A download needs somewhere to put the data."));

    auto exchange = Private::shareCall("GET", id, QStringLiteral("/content"));
    exchange.bearer = ticket.toLatin1();
    exchange.credential = Credential::Ticket;
    exchange.retry = Retry::Never;
    if (offset > 0)
        exchange.range = "bytes=" + QByteArray::number(static_cast<qulonglong>(offset)) + '-';

    struct State {
        bool checked = false;
        bool streaming = false;
        std::optional<std::uint64_t> expected; ///< body bytes announced by the relay
        std::uint64_t delivered = 0;
        ClientError failure;
        QByteArray errorBody;
        QByteArray piece;
    } state;
    state.piece.resize(kDownloadPiece);

    exchange.onData = [&](QNetworkReply& reply) -> bool {
        if (!state.checked) {
            const QVariant statusAttribute = reply.attribute(QNetworkRequest::HttpStatusCodeAttribute);
            if (!statusAttribute.isValid())
                return true; // no headers yet (called once at the end of a failed connection)
            state.checked = true;
            const int status = statusAttribute.toInt();
            if (status == 206) {
                const auto range = replies::parseContentRange(reply.rawHeader("Content-Range"));
                if (!range || range->start != offset || range->end + 1 != range->total) {
                    state.failure = d->notARelay(status);
                    return false;
                }
                state.expected = range->end - range->start + 1;
                state.streaming = true;
            } else if (status == 200) {
                if (offset != 0) {
                    state.failure = d->notARelay(status);
                    return false;
                }
                if (reply.hasRawHeader("Content-Length")) {
                    state.expected = parseDecimal(reply.rawHeader("Content-Length"));
                    if (!state.expected) {
                        state.failure = d->notARelay(status);
                        return false;
                    }
                }
                state.streaming = true;
            }
        }
        if (!state.streaming) {
            state.errorBody += reply.readAll();
            if (state.errorBody.size() > kMaxAnswerBytes) {
                state.failure =
                    d->notARelay(reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt());
                return false;
            }
            return true;
        }
        while (reply.bytesAvailable() > 0) {
            const qint64 got = reply.read(state.piece.data(), state.piece.size());
            if (got <= 0)
                break;
            const auto size = static_cast<std::uint64_t>(got);
            if (state.expected && state.delivered + size > *state.expected) {
                state.failure =
                    d->notARelay(reply.attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt());
                return false;
            }
            if (ClientError error = sink(state.piece.constData(), got)) {
                state.failure = std::move(error);
                return false;
            }
            state.delivered += size;
            // A slow sink keeps the cancel timer from running: look here too.
            if (d->cancelled()) {
                state.failure = Private::cancelledError();
                return false;
            }
        }
        return true;
    };

    auto outcome = d->execute(exchange);
    if (state.failure)
        return state.failure;
    if (!outcome.ok()) {
        ClientError error = outcome.error();
        if (error.kind == ErrorKind::Network && state.delivered > 0)
            error.message = QStringLiteral("The download from %1 was cut after %2 bytes. It can continue "
                                           "from there.")
                                .arg(d->label)
                                .arg(state.delivered);
        return error;
    }
    const auto& answer = outcome.value();
    if (!state.streaming) {
        Private::Answer described = answer;
        described.body = state.errorBody;
        return d->unexpected(described, Credential::Ticket);
    }
    if (state.expected && state.delivered != *state.expected) {
        ClientError error = ClientError::make(
            ErrorKind::Network, QStringLiteral("connection_lost"),
            QStringLiteral("The download from %1 was cut after %2 bytes. It can continue from there.")
                .arg(d->label)
                .arg(state.delivered));
        error.httpStatus = answer.status;
        return error;
    }
    return state.delivered;
}

Outcome<int> RelayClient::finish(const QString& id, const QString& ticket) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ticket, "download ticket"))
        return error;
    auto exchange = Private::shareCall("POST", id, QStringLiteral("/finish"));
    exchange.bearer = ticket.toLatin1();
    exchange.credential = Credential::Ticket;
    exchange.retry = Retry::UnlessApplied;
    return d->parsed(exchange, 200, replies::parseFinish);
}

Outcome<ShareInfo> RelayClient::ownerStatus(const QString& id, const QString& ownerToken) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    return d->parsed(Private::ownerCall("GET", id, QStringLiteral("/owner"), ownerToken), 200,
                     [&](const QByteArray& body) { return replies::parseShareInfo(body, id, true); });
}

ClientError RelayClient::deleteShare(const QString& id, const QString& ownerToken) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    auto outcome = d->execute(Private::ownerCall("DELETE", id, QString(), ownerToken));
    if (!outcome.ok())
        return outcome.error();
    const auto& answer = outcome.value();
    if (answer.status == 204)
        return {};
    ClientError error = d->unexpected(answer, Credential::Owner);
    // The first attempt reached the relay before its connection broke: the share is gone as asked.
    if (answer.afterTransportFailure && error.kind == ErrorKind::Deleted)
        return {};
    return error;
}

Outcome<ShareInfo> RelayClient::unlock(const QString& id, const QString& ownerToken) {
    if (auto error = Private::checkShare(id))
        return error;
    if (auto error = Private::checkToken(ownerToken, "owner token"))
        return error;
    auto exchange = Private::ownerCall("POST", id, QStringLiteral("/unlock"), ownerToken);
    exchange.retry = Retry::Always; // unlock sets the attempts to zero: repeating it changes nothing
    return d->parsed(exchange, 200,
                     [&](const QByteArray& body) { return replies::parseShareInfo(body, id, true); });
}

} // namespace ots::client
