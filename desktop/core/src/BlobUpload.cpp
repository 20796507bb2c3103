#include "BlobUpload.h"

#include "ots/client/RelayClient.h"

#include <QTcpSocket>
#include <QTimer>
#if QT_CONFIG(ssl)
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#endif

#include <algorithm>
#include <optional>
#include <tuple>
#include <utility>

namespace ots::client {

namespace {

/// Read from the body device at a time: large enough that the per-piece work vanishes next to the bytes.
constexpr qint64 kPieceBytes = qint64{1024} * 1024;
/// Handed to the socket but not yet written: enough to keep the connection busy, little enough that a
/// slow connection does not make the body pile up in memory.
constexpr qint64 kMaxQueuedBytes = qint64{4} * 1024 * 1024;
constexpr int kTickMs = 50; ///< how often cancellation and the idle timeout are looked at
/// Chunked framing adds a few bytes per chunk; the raw answer is bounded a little above its parts.
constexpr qsizetype kMaxUploadAnswerBytes = 3 * BlobUpload::kMaxAnswerPart;
constexpr qsizetype kMaxChunkSizeLine = 1024;

bool isTokenChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           QByteArrayView("!#$%&'*+-.^_`|~").contains(c);
}

std::optional<qsizetype> parseLength(QByteArrayView text) {
    if (text.isEmpty() || text.size() > 18)
        return std::nullopt;
    qsizetype value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + (c - '0');
    }
    return value;
}

std::optional<qsizetype> parseChunkSize(QByteArrayView line) {
    const qsizetype extension = line.indexOf(';');
    const QByteArrayView digits = (extension >= 0 ? line.first(extension) : line).trimmed();
    if (digits.isEmpty() || digits.size() > 8)
        return std::nullopt;
    qsizetype value = 0;
    for (const char c : digits) {
        int digit = 0;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return std::nullopt;
        value = value * 16 + digit;
    }
    return value;
}

/// The parts of an answer's head that matter here.
struct AnswerHead {
    int status = 0;
    std::optional<qsizetype> contentLength;
    bool chunked = false;
    QByteArray uploadOffset;
    QByteArray retryAfter;
};

/// A repeated header is joined with ", " as Qt's rawHeader() does, so that a repeated Upload-Offset no
/// longer parses as a number. A header seen once with an empty value is kept as "" (not null).
void appendHeaderValue(QByteArray& into, QByteArrayView value) {
    if (!into.isNull())
        into += ", ";
    into += value;
    if (into.isNull())
        into = QByteArray("");
}

/// The status line and header lines (without the final empty line); nullopt when it is not HTTP/1.x.
std::optional<AnswerHead> parseHead(QByteArrayView head) {
    AnswerHead parsed;
    qsizetype lineStart = 0;
    bool first = true;
    bool contentLengthSeen = false;
    while (lineStart <= head.size()) {
        qsizetype lineEnd = head.indexOf("\r\n", lineStart);
        if (lineEnd < 0)
            lineEnd = head.size();
        const QByteArrayView line = head.sliced(lineStart, lineEnd - lineStart);
        lineStart = lineEnd + 2;
        if (line.contains('\r') || line.contains('\n') || line.contains('\0'))
            return std::nullopt;
        if (first) {
            first = false;
            // HTTP-version SP 3DIGIT [SP reason-phrase]
            if (line.size() < 12 || !(line.startsWith("HTTP/1.1 ") || line.startsWith("HTTP/1.0 ")))
                return std::nullopt;
            const QByteArrayView code = line.sliced(9, 3);
            if (!std::all_of(code.begin(), code.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
                (line.size() > 12 && line[12] != ' '))
                return std::nullopt;
            parsed.status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
            if (parsed.status < 100)
                return std::nullopt;
            continue;
        }
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            return std::nullopt; // no name, or a folded line (obsolete, refused)
        const QByteArrayView name = line.first(colon);
        if (!std::all_of(name.begin(), name.end(), isTokenChar))
            return std::nullopt;
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            const auto length = parseLength(value);
            if (!length || (contentLengthSeen && parsed.contentLength != length))
                return std::nullopt;
            contentLengthSeen = true;
            parsed.contentLength = length;
        } else if (name.compare("Transfer-Encoding", Qt::CaseInsensitive) == 0) {
            if (value.compare("chunked", Qt::CaseInsensitive) != 0 || parsed.chunked)
                return std::nullopt;
            parsed.chunked = true;
        } else if (name.compare("Upload-Offset", Qt::CaseInsensitive) == 0) {
            appendHeaderValue(parsed.uploadOffset, value);
        } else if (name.compare("Retry-After", Qt::CaseInsensitive) == 0) {
            appendHeaderValue(parsed.retryAfter, value);
        }
    }
    // A message with both framings is how request smuggling starts: refuse it.
    if (parsed.chunked && parsed.contentLength)
        return std::nullopt;
    return parsed;
}

} // namespace

BlobUpload::BlobUpload(Request request)
    : m_request(std::move(request)) {}

BlobUpload::~BlobUpload() = default;

BlobUpload::Result BlobUpload::run() {
    QIODevice* const body = m_request.body;
    QObject::connect(body, &QIODevice::readyRead, &m_loop, [this] { pump(); });
    QObject::connect(body, &QIODevice::readChannelFinished, &m_loop, [this] {
        m_bodyEnded = true;
        pump();
    });
    QTimer tick;
    tick.setInterval(kTickMs);
    QObject::connect(&tick, &QTimer::timeout, &m_loop, [this] { onTick(); });
    tick.start();
    m_idle.start();
    startConnection();
    if (!m_done)
        m_loop.exec(QEventLoop::ExcludeUserInputEvents);
    tick.stop();
    // Signals from the device and the socket end with the loop they were bound to; the socket is closed
    // without waiting for what is still queued (Connection: close — nothing more is wanted from it).
    if (m_socket) {
        m_socket->disconnect(&m_loop);
        m_socket->abort();
    }
    return std::move(m_result);
}

void BlobUpload::startConnection() {
    const QUrl& url = m_request.baseUrl;
    const bool https = url.scheme() == QLatin1String("https");
    const QString host = url.host(QUrl::FullyEncoded);
    const auto port = static_cast<quint16>(url.port(https ? 443 : 80));
    if (https) {
#if QT_CONFIG(ssl)
        if (!QSslSocket::supportsSsl()) {
            finish(Failure::Tls, QStringLiteral("No TLS library is available on this computer."));
            return;
        }
        auto tls = std::make_unique<QSslSocket>();
        QSslConfiguration configuration = QSslConfiguration::defaultConfiguration(); // the system CAs
        configuration.setPeerVerifyMode(QSslSocket::VerifyPeer);
        configuration.setProtocol(QSsl::TlsV1_2OrLater);
        tls->setSslConfiguration(configuration);
        m_tls = tls.get();
        QObject::connect(m_tls, &QSslSocket::encrypted, &m_loop, [this] { onConnected(); });
        QObject::connect(m_tls, &QSslSocket::encryptedBytesWritten, &m_loop, [this](qint64) {
            m_idle.restart();
            pump();
        });
        QObject::connect(m_tls, &QSslSocket::sslErrors, &m_loop, [this](const QList<QSslError>& errors) {
            if (!errors.isEmpty() && m_tlsProblem.isEmpty())
                m_tlsProblem = errors.constFirst().errorString();
        });
        m_socket = std::move(tls);
#else
        finish(Failure::Tls, QStringLiteral("This build of the app has no TLS support."));
        return;
#endif
    } else {
        m_socket = std::make_unique<QTcpSocket>();
        QObject::connect(m_socket.get(), &QTcpSocket::connected, &m_loop, [this] { onConnected(); });
    }
    // Qt stops reading from the connection beyond this; an answer that fills it is too large anyway.
    m_socket->setReadBufferSize(kMaxUploadAnswerBytes + 1);
    QObject::connect(m_socket.get(), &QTcpSocket::bytesWritten, &m_loop,
                     [this](qint64 bytes) { onBytesWritten(bytes); });
    QObject::connect(m_socket.get(), &QTcpSocket::readyRead, &m_loop, [this] { onReadable(); });
    QObject::connect(
        m_socket.get(), &QTcpSocket::errorOccurred, &m_loop,
        [this](QAbstractSocket::SocketError error) { onSocketFailure(static_cast<int>(error)); });
    QObject::connect(m_socket.get(), &QTcpSocket::disconnected, &m_loop,
                     [this] { onSocketFailure(static_cast<int>(QAbstractSocket::RemoteHostClosedError)); });
#if QT_CONFIG(ssl)
    if (m_tls != nullptr) {
        m_tls->connectToHostEncrypted(host, port); // SNI and the certificate check use this name
        return;
    }
#endif
    m_socket->connectToHost(host, port);
}

void BlobUpload::onConnected() {
    if (m_done)
        return;
    m_connected = true;
    m_idle.restart();
    if (m_socket->write(m_request.head) != m_request.head.size()) {
        finish(Failure::ConnectionLost);
        return;
    }
    pump();
}

qint64 BlobUpload::queuedBytes() const {
    qint64 queued = m_socket->bytesToWrite();
#if QT_CONFIG(ssl)
    if (m_tls != nullptr)
        queued += m_tls->encryptedBytesToWrite();
#endif
    return queued;
}

void BlobUpload::pump() {
    if (m_done || !m_connected)
        return;
    static_assert(std::tuple_size_v<decltype(m_pieces)> == kMaxQueuedBytes / kPieceBytes + 2);
    QIODevice* const body = m_request.body;
    while (m_queued < m_request.length && queuedBytes() < kMaxQueuedBytes) {
        const auto want =
            static_cast<qint64>(std::min<std::uint64_t>(kPieceBytes, m_request.length - m_queued));
        QByteArray& piece = m_pieces[m_nextPiece];
        if (piece.isDetached() && piece.capacity() >= want)
            piece.resize(want); // the socket is done with it: the same memory again
        else
            piece = QByteArray(want, Qt::Uninitialized);
        const qint64 got = body->read(piece.data(), want);
        if (got < 0 ||
            (got == 0 && (m_bodyEnded || !body->isOpen() || (!body->isSequential() && body->atEnd())))) {
            finish(Failure::BodyUnreadable, QStringLiteral("The data to upload ended after %1 of %2 bytes.")
                                                .arg(m_queued)
                                                .arg(m_request.length));
            return;
        }
        if (got == 0)
            return; // a sequential source with nothing yet: its readyRead calls again
        piece.truncate(got);
        // A whole QByteArray is queued without a copy.
        if (m_socket->write(piece) != got) {
            finish(Failure::ConnectionLost);
            return;
        }
        m_nextPiece = (m_nextPiece + 1) % m_pieces.size();
        m_queued += static_cast<std::uint64_t>(got);
    }
}

void BlobUpload::onBytesWritten(qint64 bytes) {
    if (m_done)
        return;
    m_idle.restart();
    m_written += bytes;
    const qint64 bodyWritten = m_written - m_request.head.size();
    if (bodyWritten > 0 && static_cast<std::uint64_t>(bodyWritten) > m_reported) {
        m_reported = std::min(static_cast<std::uint64_t>(bodyWritten), m_request.length);
        if (m_request.progress != nullptr && *m_request.progress)
            (*m_request.progress)(m_reported);
    }
    pump();
}

void BlobUpload::onReadable() {
    if (m_done)
        return;
    m_idle.restart();
    m_answer += m_socket->readAll();
    settle(parseAnswer(m_answer, false, m_result), false);
}

void BlobUpload::onSocketFailure(int socketError) {
    if (m_done)
        return;
    // An answer may already be complete in what is buffered: a relay that refuses a PATCH answers before
    // the body is through and closes, which can reset the connection under our remaining writes.
    m_answer += m_socket->readAll();
    const Parse parsed = parseAnswer(m_answer, true, m_result);
    if (parsed != Parse::NeedMore || !m_answer.isEmpty()) {
        settle(parsed, true);
        return;
    }
    switch (static_cast<QAbstractSocket::SocketError>(socketError)) {
    case QAbstractSocket::ConnectionRefusedError:
        finish(m_connected ? Failure::ConnectionLost : Failure::ConnectionRefused);
        return;
    case QAbstractSocket::HostNotFoundError:
        finish(Failure::HostNotFound);
        return;
    case QAbstractSocket::SocketTimeoutError:
        finish(Failure::TimedOut);
        return;
    case QAbstractSocket::SslHandshakeFailedError:
    case QAbstractSocket::SslInternalError:
    case QAbstractSocket::SslInvalidUserDataError:
        if (!m_connected) {
            finish(Failure::Tls, m_tlsProblem.isEmpty() ? m_socket->errorString() : m_tlsProblem);
            return;
        }
        break;
    case QAbstractSocket::ProxyAuthenticationRequiredError:
    case QAbstractSocket::ProxyConnectionRefusedError:
    case QAbstractSocket::ProxyConnectionClosedError:
    case QAbstractSocket::ProxyConnectionTimeoutError:
    case QAbstractSocket::ProxyNotFoundError:
    case QAbstractSocket::ProxyProtocolError:
        finish(Failure::Proxy);
        return;
    default:
        break;
    }
    finish(Failure::ConnectionLost);
}

void BlobUpload::onTick() {
    if (m_done)
        return;
    if (m_request.cancel != nullptr && m_request.cancel->cancelled()) {
        finish(Failure::Cancelled);
        return;
    }
    if (m_idle.elapsed() >= m_request.idleTimeout.count())
        finish(Failure::TimedOut);
}

void BlobUpload::settle(Parse parsed, bool closed) {
    switch (parsed) {
    case Parse::Complete:
        finish(Failure::None);
        return;
    case Parse::NotHttp:
        finish(Failure::NotHttp);
        return;
    case Parse::TooLarge:
        finish(Failure::AnswerTooLarge);
        return;
    case Parse::NeedMore:
        if (closed)
            finish(Failure::ConnectionLost);
        return;
    }
}

BlobUpload::Parse BlobUpload::parseAnswer(QByteArrayView answer, bool closed, Result& result) {
    if (answer.size() > kMaxUploadAnswerBytes)
        return Parse::TooLarge;
    const QByteArrayView all(answer);
    qsizetype position = 0;
    for (;;) {
        // Anything but "HTTP/" from the first byte on is not an HTTP answer: no need to wait for more.
        const QByteArrayView start =
            all.sliced(position).first(std::min<qsizetype>(all.size() - position, 5));
        if (!QByteArrayView("HTTP/").startsWith(start))
            return Parse::NotHttp;
        const qsizetype headEnd = all.indexOf("\r\n\r\n", position);
        if (headEnd < 0)
            return all.size() - position > kMaxAnswerPart ? Parse::TooLarge : Parse::NeedMore;
        if (headEnd - position > kMaxAnswerPart)
            return Parse::TooLarge;
        const auto head = parseHead(all.sliced(position, headEnd - position));
        if (!head)
            return Parse::NotHttp;
        position = headEnd + 4;
        if (head->status < 200) {
            if (head->status == 101)
                return Parse::NotHttp; // nothing here asked to switch protocols
            continue;                  // an interim answer (100 Continue, 103): the real one follows
        }
        result.status = head->status;
        result.uploadOffset = head->uploadOffset;
        result.retryAfter = head->retryAfter;
        const QByteArrayView rest = all.sliced(position);
        if (head->status == 204 || head->status == 304) {
            result.body.clear();
            return Parse::Complete;
        }
        if (head->contentLength) {
            if (*head->contentLength > kMaxAnswerPart)
                return Parse::TooLarge;
            if (rest.size() < *head->contentLength)
                return Parse::NeedMore;
            result.body = rest.first(*head->contentLength).toByteArray();
            return Parse::Complete;
        }
        if (!head->chunked) {
            // Delimited by the close (Connection: close was asked for).
            if (rest.size() > kMaxAnswerPart)
                return Parse::TooLarge;
            if (!closed)
                return Parse::NeedMore;
            result.body = rest.toByteArray();
            return Parse::Complete;
        }
        QByteArray decoded;
        qsizetype at = 0;
        for (;;) {
            const qsizetype lineEnd = rest.indexOf("\r\n", at);
            if (lineEnd < 0)
                return rest.size() - at > kMaxChunkSizeLine ? Parse::NotHttp : Parse::NeedMore;
            const auto size = parseChunkSize(rest.sliced(at, lineEnd - at));
            if (!size)
                return Parse::NotHttp;
            at = lineEnd + 2;
            if (*size == 0) {
                // Trailer fields (ignored) up to the empty line.
                const QByteArrayView trailers = rest.sliced(at);
                if (!trailers.startsWith("\r\n") && !trailers.contains("\r\n\r\n"))
                    return trailers.size() > kMaxAnswerPart ? Parse::TooLarge : Parse::NeedMore;
                result.body = std::move(decoded);
                return Parse::Complete;
            }
            if (decoded.size() + *size > kMaxAnswerPart)
                return Parse::TooLarge;
            if (rest.size() - at < *size + 2)
                return Parse::NeedMore;
            if (rest.sliced(at + *size, 2) != QByteArrayView("\r\n"))
                return Parse::NotHttp;
            decoded.append(rest.sliced(at, *size));
            at += *size + 2;
        }
    }
}

void BlobUpload::finish(Failure failure, QString detail) {
    if (m_done)
        return;
    m_done = true;
    m_result.failure = failure;
    m_result.detail = std::move(detail);
    if (failure != Failure::None) {
        m_result.status = 0;
        m_result.body.clear();
    }
    m_loop.quit();
}

} // namespace ots::client
