#pragma once

// A small HTTP/1.1 client for the relay's integration tests, on blocking QTcpSocket calls (no event
// loop needed), plus helpers that build real shares with ots::shared: real keys, a real v1
// ciphertext from StreamEncryptor, a real metadata envelope, real Ed25519 proofs.
//
// It is deliberately raw rather than QNetworkAccessManager: the tests must send what a browser never
// would (wrong Content-Length, bodies cut mid-way, headers one byte at a time, hundreds of parallel
// connections), and QNetworkAccessManager would normalise or serialise those.

#include "../shared/TestUtil.h"
#include "ots/Base64Url.h"
#include "ots/Bytes.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <QByteArray>
#include <QDeadlineTimer>
#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <QTcpSocket>
#include <QTest>

#include <array>
#include <cstdlib>
#include <memory>
#include <optional>

// Status checks that print the whole response (status, error body, transport failure) when they fail.
// The response expression is evaluated once.
#define OTS_EXPECT_STATUS(response, code)                                                                    \
    do {                                                                                                     \
        const auto& ots_response_ = (response);                                                              \
        QVERIFY2(ots_response_.status == (code), ots_response_.describe().constData());                      \
    } while (false)
#define OTS_EXPECT_ERROR(response, code, name)                                                               \
    do {                                                                                                     \
        const auto& ots_response_ = (response);                                                              \
        QVERIFY2(ots_response_.status == (code), ots_response_.describe().constData());                      \
        QCOMPARE(ots_response_.errorCode(), QStringLiteral(name));                                           \
    } while (false)

namespace ots::relaytest {

inline constexpr int kRequestTimeoutMs = 15'000;

using test::toQ;
using test::view;

inline QByteArray b64u(ByteView bytes) {
    return QByteArray::fromStdString(base64url::encode(bytes));
}
inline QByteArray b64u(const QByteArray& bytes) {
    return b64u(view(bytes));
}

/// Byte i = (i * 7 + seed) mod 251: position-dependent, so a misplaced byte shows.
inline QByteArray pattern(qsizetype length, int seed = 0) {
    QByteArray out(length, Qt::Uninitialized);
    for (qsizetype i = 0; i < length; ++i)
        out[i] = static_cast<char>((i * 7 + seed) % 251);
    return out;
}

struct HttpRequest {
    QByteArray method;
    QByteArray target;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    /// Add "Content-Length: body.size()" unless a Content-Length header is given or this is false.
    bool autoContentLength = true;
    /// A POST gets "Content-Type: application/json" (the relay refuses any other, SPEC.md §10.13)
    /// unless a Content-Type header is given or this is false.
    bool autoContentType = true;

    HttpRequest& header(const QByteArray& name, const QByteArray& value) {
        headers.append({name, value});
        return *this;
    }
    HttpRequest& bearer(const QByteArray& token) { return header("Authorization", "Bearer " + token); }
    HttpRequest& json(const QJsonObject& object) {
        body = QJsonDocument(object).toJson(QJsonDocument::Compact);
        return header("Content-Type", "application/json");
    }

    [[nodiscard]] QByteArray serialize(quint16 port) const {
        QByteArray out =
            method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n";
        bool hasLength = false;
        bool hasType = false;
        for (const auto& [name, value] : headers) {
            out += name + ": " + value + "\r\n";
            hasLength = hasLength || name.compare("Content-Length", Qt::CaseInsensitive) == 0;
            hasType = hasType || name.compare("Content-Type", Qt::CaseInsensitive) == 0;
        }
        if (autoContentType && !hasType && method == "POST")
            out += "Content-Type: application/json\r\n";
        if (autoContentLength && !hasLength &&
            (!body.isEmpty() || method == "POST" || method == "PATCH" || method == "PUT"))
            out += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
        return out + "\r\n" + body;
    }
};

struct HttpResponse {
    int status = 0; ///< 0: no complete response (closed, timed out or unparsable; see failure)
    QByteArray reason;
    QList<QPair<QByteArray, QByteArray>> headers; ///< names lower-cased, in order
    QByteArray body;
    bool complete = false;     ///< the whole body arrived
    bool closedByPeer = false; ///< the relay closed the connection (before or after the response)
    QString failure;           ///< why status is 0 or the body is incomplete

    [[nodiscard]] QByteArray header(const QByteArray& name) const {
        const QByteArray lower = name.toLower();
        for (const auto& [key, value] : headers)
            if (key == lower)
                return value;
        return {};
    }
    [[nodiscard]] bool hasHeader(const QByteArray& name) const {
        const QByteArray lower = name.toLower();
        for (const auto& pair : headers)
            if (pair.first == lower)
                return true;
        return false;
    }
    [[nodiscard]] QJsonObject json() const { return QJsonDocument::fromJson(body).object(); }
    [[nodiscard]] QString errorCode() const { return json().value(QStringLiteral("error")).toString(); }
    /// For failure messages: status, error body (never big bodies) and transport failure.
    [[nodiscard]] QByteArray describe() const {
        QByteArray text = "HTTP " + QByteArray::number(status) + ' ' + reason;
        if (!body.isEmpty() && body.size() < 600)
            text += " body=" + body;
        else if (!body.isEmpty())
            text += " body=" + QByteArray::number(body.size()) + " bytes";
        if (!failure.isEmpty())
            text += " failure=" + failure.toUtf8();
        return text;
    }
};

/// One blocking HTTP/1.1 connection to 127.0.0.1:port. Keep-alive: several requests may follow
/// each other on it.
class HttpConnection {
public:
    explicit HttpConnection(quint16 port)
        : m_port(port) {}

    [[nodiscard]] bool connect(int timeoutMs = kRequestTimeoutMs) {
        m_buffer.clear();
        m_socket.connectToHost(QHostAddress::LocalHost, m_port);
        return m_socket.waitForConnected(timeoutMs);
    }
    [[nodiscard]] bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }
    [[nodiscard]] quint16 port() const { return m_port; }
    QTcpSocket& socket() { return m_socket; }

    /// Writes all of data (blocking up to the deadline), in pieces, watching for an early answer as a
    /// browser or curl would: a relay may refuse a request (413, 409 …) before its body has gone, and
    /// the answer must be read before the connection is reset. False if writing failed or the relay
    /// answered before all was written (the answer is then kept for readResponse()).
    [[nodiscard]] bool writeAll(const QByteArray& data, int timeoutMs = kRequestTimeoutMs) {
        constexpr qsizetype kPiece = qsizetype{64} * 1024;
        const QDeadlineTimer deadline(timeoutMs);
        for (qsizetype at = 0; at < data.size() || at == 0; at += kPiece) {
            if (!isConnected())
                return false;
            const QByteArray piece = data.mid(at, kPiece);
            if (m_socket.write(piece) != piece.size())
                return false;
            while (m_socket.bytesToWrite() > 0) {
                if (!m_socket.waitForBytesWritten(remaining(deadline)))
                    return false;
            }
            if (m_socket.bytesAvailable() > 0 || m_socket.waitForReadyRead(0))
                m_buffer += m_socket.readAll();
            if (at + kPiece < data.size() && m_buffer.contains("\r\n\r\n"))
                return false;
            if (data.isEmpty())
                break;
        }
        return true;
    }
    /// True if the relay has answered (or closed) already, without waiting for it.
    [[nodiscard]] bool answered() {
        if (m_socket.bytesAvailable() > 0 || m_socket.waitForReadyRead(0))
            m_buffer += m_socket.readAll();
        return !m_buffer.isEmpty() || !isConnected();
    }
    /// Queues data and pushes what the kernel takes now, without waiting (for tight loops).
    void writeNow(const QByteArray& data) {
        m_socket.write(data);
        m_socket.flush();
    }

    /// Reads one response. head: it answers a HEAD (no body). stopAfterBodyBytes ≥ 0: return as
    /// soon as that many body bytes are in (complete stays false unless that was the whole body).
    [[nodiscard]] HttpResponse readResponse(bool head = false, int timeoutMs = kRequestTimeoutMs,
                                            qint64 stopAfterBodyBytes = -1) {
        HttpResponse response;
        const QDeadlineTimer deadline(timeoutMs);
        qsizetype headerEnd = -1;
        while ((headerEnd = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (m_buffer.size() > qsizetype{1024} * 1024) {
                response.failure = QStringLiteral("response header too large");
                return response;
            }
            if (!readMore(deadline, response))
                return response;
        }
        if (!parseHead(m_buffer.left(headerEnd), response))
            return response;
        m_buffer.remove(0, headerEnd + 4);

        const bool noBody = head || response.status == 204 || response.status == 304 ||
                            (response.status >= 100 && response.status < 200);
        if (noBody) {
            response.complete = true;
            return response;
        }
        if (response.header("transfer-encoding").toLower().contains("chunked"))
            return readChunked(response, deadline);
        if (response.hasHeader("content-length")) {
            bool ok = false;
            const qint64 length = response.header("content-length").toLongLong(&ok);
            if (!ok || length < 0) {
                response.failure = QStringLiteral("bad Content-Length in response");
                response.status = 0;
                return response;
            }
            response.body.reserve(stopAfterBodyBytes >= 0 ? stopAfterBodyBytes : length);
            readLengthBody(response, length, stopAfterBodyBytes, deadline);
            return response;
        }
        // Neither length nor chunked: the body runs until the peer closes.
        while (readMore(deadline, response)) {
            response.body += m_buffer;
            m_buffer.clear();
        }
        response.body += m_buffer;
        m_buffer.clear();
        response.complete = response.closedByPeer;
        if (response.complete)
            response.failure.clear();
        return response;
    }

    /// Reads more of a body that readResponse() returned early (stopAfterBodyBytes): up to
    /// stopAfterBodyBytes in total again, or to its end when -1.
    void continueBody(HttpResponse& response, qint64 stopAfterBodyBytes = -1,
                      int timeoutMs = kRequestTimeoutMs) {
        const QDeadlineTimer deadline(timeoutMs);
        response.failure.clear();
        readLengthBody(response, response.header("content-length").toLongLong(), stopAfterBodyBytes,
                       deadline);
    }

    [[nodiscard]] HttpResponse request(const HttpRequest& request, int timeoutMs = kRequestTimeoutMs) {
        if (!isConnected() && !connect(timeoutMs)) {
            HttpResponse response;
            response.failure = QStringLiteral("connect failed: ") + m_socket.errorString();
            return response;
        }
        if (!writeAll(request.serialize(m_port), timeoutMs)) {
            // The relay may have answered and closed before taking the whole body (413, 401 …).
            HttpResponse response = readResponse(request.method == "HEAD", 2000);
            if (response.status == 0)
                response.failure = QStringLiteral("write failed: ") + m_socket.errorString();
            return response;
        }
        return readResponse(request.method == "HEAD", timeoutMs);
    }

    /// True when the peer closes the connection (EOF or reset) before the deadline. Anything it
    /// sends meanwhile is kept (see pending()).
    [[nodiscard]] bool waitForClose(int timeoutMs) {
        const QDeadlineTimer deadline(timeoutMs);
        HttpResponse scratch;
        while (readMore(deadline, scratch)) {
        }
        return scratch.closedByPeer;
    }
    [[nodiscard]] const QByteArray& pending() const { return m_buffer; }

    /// Drops the connection at once (RST if unsent data remains): an interrupted client.
    void abort() { m_socket.abort(); }
    void close() {
        m_socket.disconnectFromHost();
        if (m_socket.state() != QAbstractSocket::UnconnectedState)
            m_socket.waitForDisconnected(2000);
    }

private:
    static int remaining(const QDeadlineTimer& deadline) {
        return static_cast<int>(std::max<qint64>(deadline.remainingTime(), 0));
    }

    // Appends what arrives to m_buffer; false on close, error or deadline (recorded in response).
    bool readMore(const QDeadlineTimer& deadline, HttpResponse& response) {
        if (m_socket.bytesAvailable() > 0) {
            m_buffer += m_socket.readAll();
            return true;
        }
        if (m_socket.state() != QAbstractSocket::ConnectedState) {
            response.closedByPeer = true;
            response.failure = QStringLiteral("connection closed");
            return false;
        }
        if (deadline.hasExpired()) {
            response.failure = QStringLiteral("timed out");
            return false;
        }
        if (m_socket.waitForReadyRead(remaining(deadline))) {
            m_buffer += m_socket.readAll();
            return true;
        }
        m_buffer += m_socket.readAll();
        if (m_socket.state() != QAbstractSocket::ConnectedState ||
            m_socket.error() == QAbstractSocket::RemoteHostClosedError) {
            response.closedByPeer = true;
            response.failure = QStringLiteral("connection closed");
        } else {
            response.failure = QStringLiteral("timed out");
        }
        return false;
    }

    static bool parseHead(const QByteArray& head, HttpResponse& response) {
        const QList<QByteArray> lines = head.split('\n');
        const QList<QByteArray> statusLine = lines.value(0).trimmed().split(' ');
        if (statusLine.size() < 2 || !statusLine[0].startsWith("HTTP/1.")) {
            response.failure = QStringLiteral("bad status line");
            return false;
        }
        bool ok = false;
        response.status = statusLine[1].toInt(&ok);
        if (!ok) {
            response.status = 0;
            response.failure = QStringLiteral("bad status code");
            return false;
        }
        response.reason = statusLine.mid(2).join(' ');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            if (colon <= 0)
                continue;
            response.headers.append({line.left(colon).trimmed().toLower(), line.mid(colon + 1).trimmed()});
        }
        return true;
    }

    void readLengthBody(HttpResponse& response, qint64 length, qint64 stopAfterBodyBytes,
                        const QDeadlineTimer& deadline) {
        while (true) {
            qint64 take = std::min<qint64>(length - response.body.size(), m_buffer.size());
            if (stopAfterBodyBytes >= 0)
                take = std::min<qint64>(take, std::max<qint64>(stopAfterBodyBytes - response.body.size(), 0));
            response.body += m_buffer.left(take);
            m_buffer.remove(0, take);
            if (response.body.size() == length) {
                response.complete = true;
                return;
            }
            if (stopAfterBodyBytes >= 0 && response.body.size() >= stopAfterBodyBytes)
                return;
            if (!readMore(deadline, response))
                return;
        }
    }

    HttpResponse& readChunked(HttpResponse& response, const QDeadlineTimer& deadline) {
        while (true) {
            qsizetype lineEnd = -1;
            while ((lineEnd = m_buffer.indexOf("\r\n")) < 0)
                if (!readMore(deadline, response))
                    return response;
            bool ok = false;
            const qint64 size = m_buffer.left(lineEnd).split(';').value(0).trimmed().toLongLong(&ok, 16);
            if (!ok || size < 0) {
                response.failure = QStringLiteral("bad chunk size");
                return response;
            }
            m_buffer.remove(0, lineEnd + 2);
            if (size == 0) {
                // Trailers end with an empty line.
                while ((lineEnd = m_buffer.indexOf("\r\n")) != 0) {
                    if (lineEnd > 0) {
                        m_buffer.remove(0, lineEnd + 2);
                        continue;
                    }
                    if (!readMore(deadline, response))
                        return response;
                }
                m_buffer.remove(0, 2);
                response.complete = true;
                return response;
            }
            while (m_buffer.size() < size + 2)
                if (!readMore(deadline, response))
                    return response;
            response.body += m_buffer.left(size);
            m_buffer.remove(0, size + 2);
        }
    }

    quint16 m_port;
    QTcpSocket m_socket;
    QByteArray m_buffer;
};

/// Sends every request on its own connection at (nearly) the same moment: all connections are
/// opened and all requests written but their last byte first, then the last bytes go out in one
/// tight loop, so the relay sees them together. Responses come back in request order.
inline QList<HttpResponse> sendConcurrently(quint16 port, const QList<HttpRequest>& requests,
                                            int timeoutMs = 60'000) {
    std::vector<std::unique_ptr<HttpConnection>> connections;
    QList<HttpResponse> responses(requests.size());
    QList<QByteArray> lastBytes; // empty: connecting or writing failed (the relay may have answered early)
    for (const HttpRequest& request : requests) {
        auto connection = std::make_unique<HttpConnection>(port);
        const QByteArray bytes = request.serialize(port);
        if (connection->connect() && connection->writeAll(bytes.left(bytes.size() - 1)))
            lastBytes.append(bytes.right(1));
        else
            lastBytes.append(QByteArray());
        connections.push_back(std::move(connection));
    }
    for (std::size_t i = 0; i < connections.size(); ++i)
        if (!lastBytes[static_cast<qsizetype>(i)].isEmpty())
            connections[i]->writeNow(lastBytes[static_cast<qsizetype>(i)]);
    const QDeadlineTimer deadline(timeoutMs);
    const auto remainingMs = [&deadline] {
        return static_cast<int>(std::max<qint64>(deadline.remainingTime(), 1));
    };
    for (std::size_t i = 0; i < connections.size(); ++i) {
        const auto index = static_cast<qsizetype>(i);
        // Push out what the kernel did not take yet; if that fails, the relay may still have answered.
        if (!lastBytes[index].isEmpty() && connections[i]->isConnected())
            (void)connections[i]->writeAll({}, remainingMs());
        responses[index] = connections[i]->readResponse(requests[index].method == "HEAD",
                                                        lastBytes[index].isEmpty() ? 2000 : remainingMs());
    }
    return responses;
}

/// What a sender has for one share: keys, ciphertext, metadata envelope, and what create returned.
struct TestShare {
    std::shared_ptr<ShareKeys> keys;
    std::optional<Argon2Params> kdf;
    QByteArray payload;
    QByteArray ciphertext;
    QByteArray metadataEnvelope; ///< raw bytes; the API carries standard base64 of it
    qint64 expiresIn = 3600;
    int maxDownloads = 1;
    // Filled by RelayClient::create on 201:
    QByteArray id;
    ShareId idBytes{};
    QByteArray ownerToken;
    qint64 expiresAt = 0;

    struct Options {
        qint64 payloadBytes = 1000;
        qint64 expiresIn = 3600;
        int maxDownloads = 1;
        bool password = false;
        int seed = 0;
    };

    /// Real keys (Argon2id at the default cost when options.password), a real v1 stream over a
    /// pattern payload and a real metadata envelope.
    [[nodiscard]] static TestShare make(const Options& options) {
        TestShare share;
        share.expiresIn = options.expiresIn;
        share.maxDownloads = options.maxDownloads;
        if (options.password) {
            share.kdf = Argon2Params::withRandomSalt();
            auto keys =
                ShareKeys::fromPassword(generateLinkSecret(), "correct horse battery staple", *share.kdf);
            if (!keys.ok())
                std::abort();
            share.keys = std::make_shared<ShareKeys>(std::move(keys).value());
        } else {
            share.keys = std::make_shared<ShareKeys>(test::keysFromFreshSecret());
        }
        share.payload = pattern(options.payloadBytes, options.seed);
        share.ciphertext = test::encrypt(*share.keys, share.payload);
        auto envelope = metadata::seal(*share.keys, view(QByteArray(R"({"files":[{"name":"a.bin"}]})")));
        if (!envelope.ok())
            std::abort();
        share.metadataEnvelope = toQ(*envelope);
        return share;
    }

    /// A fresh key pair unrelated to any share: its signatures are well-formed but wrong.
    [[nodiscard]] static std::shared_ptr<ShareKeys> strangerKeys() {
        return std::make_shared<ShareKeys>(test::keysFromFreshSecret());
    }

    [[nodiscard]] QJsonObject createBody() const {
        QJsonObject body{
            {QStringLiteral("size"), ciphertext.size()},
            {QStringLiteral("expiresIn"), expiresIn},
            {QStringLiteral("maxDownloads"), maxDownloads},
            {QStringLiteral("authPublicKey"), QString::fromLatin1(b64u(keys->authPublicKey()))},
            {QStringLiteral("linkPublicKey"), QString::fromLatin1(b64u(keys->linkPublicKey()))},
            {QStringLiteral("metadata"), QString::fromLatin1(metadataEnvelope.toBase64())},
            {QStringLiteral("password"), QJsonValue::Null},
        };
        if (kdf) {
            body[QStringLiteral("password")] = QJsonObject{
                {QStringLiteral("salt"), QString::fromLatin1(b64u(kdf->salt))},
                {QStringLiteral("iterations"), static_cast<qint64>(kdf->iterations)},
                {QStringLiteral("memoryKiB"), static_cast<qint64>(kdf->memoryKiB)},
                {QStringLiteral("parallelism"), static_cast<qint64>(kdf->parallelism)},
            };
        }
        return body;
    }

    /// {"nonce", "signature", "linkSignature"}: the download proof signed by signer, the link proof by
    /// linkSigner (each the share's own keys when null). A stranger as signer alone is a link holder with
    /// a wrong password; a stranger as linkSigner is someone without the link (or with a damaged one).
    [[nodiscard]] QJsonObject proof(const QByteArray& nonceText, const ShareKeys* signer = nullptr,
                                    const ShareKeys* linkSigner = nullptr) const {
        ChallengeNonce nonce{};
        if (!base64url::decodeInto(nonceText.toStdString(), nonce))
            std::abort();
        const Signature signature = (signer != nullptr ? *signer : *keys).signChallenge(idBytes, nonce);
        const Signature linkSignature =
            (linkSigner != nullptr ? *linkSigner : *keys).signLinkChallenge(idBytes, nonce);
        return {{QStringLiteral("nonce"), QString::fromLatin1(nonceText)},
                {QStringLiteral("signature"), QString::fromLatin1(b64u(signature))},
                {QStringLiteral("linkSignature"), QString::fromLatin1(b64u(linkSignature))}};
    }
};

/// The relay's API over HttpConnection: one fresh connection per call.
class RelayClient {
public:
    explicit RelayClient(quint16 port)
        : m_port(port) {}
    [[nodiscard]] quint16 port() const { return m_port; }

    [[nodiscard]] HttpResponse send(const HttpRequest& request, int timeoutMs = kRequestTimeoutMs) const {
        HttpConnection connection(m_port);
        HttpResponse response = connection.request(request, timeoutMs);
        if (m_secrets != nullptr)
            recordSecrets(request, response);
        return response;
    }
    /// From now on, every secret this client sends or receives (tokens, tickets, nonces,
    /// signatures, public keys, metadata) is appended to sink, for the no-secrets-in-logs check.
    void recordSecretsInto(QList<QByteArray>* sink) { m_secrets = sink; }
    [[nodiscard]] HttpResponse get(const QByteArray& target) const { return send({"GET", target, {}, {}}); }

    static QByteArray sharePath(const QByteArray& id, const QByteArray& suffix = {}) {
        return "/api/v1/shares/" + id + suffix;
    }

    // Create ---------------------------------------------------------------------------------
    [[nodiscard]] HttpResponse createRaw(const QJsonObject& body, const QByteArray& uploadToken = {}) const {
        HttpRequest request{"POST", "/api/v1/shares", {}, {}};
        request.json(body);
        if (!uploadToken.isEmpty())
            request.bearer(uploadToken);
        return send(request);
    }
    /// Creates the share and, on 201, records id, owner token and expiry in it.
    [[nodiscard]] HttpResponse create(TestShare& share, const QByteArray& uploadToken = {}) const {
        HttpResponse response = createRaw(share.createBody(), uploadToken);
        if (response.status == 201) {
            const QJsonObject json = response.json();
            share.id = json.value(QStringLiteral("id")).toString().toLatin1();
            share.ownerToken = json.value(QStringLiteral("ownerToken")).toString().toLatin1();
            share.expiresAt = json.value(QStringLiteral("expiresAt")).toInteger();
            if (!base64url::decodeInto(share.id.toStdString(), share.idBytes))
                response.failure = QStringLiteral("create returned a malformed id");
        }
        return response;
    }

    // Upload ---------------------------------------------------------------------------------
    [[nodiscard]] HttpResponse uploadOffset(const TestShare& share) const {
        return send(HttpRequest{"HEAD", sharePath(share.id, "/blob"), {}, {}}.bearer(share.ownerToken));
    }
    [[nodiscard]] HttpResponse append(const TestShare& share, qint64 offset, const QByteArray& bytes) const {
        return send(appendRequest(share, offset, bytes));
    }
    [[nodiscard]] static HttpRequest appendRequest(const TestShare& share, qint64 offset,
                                                   const QByteArray& bytes) {
        HttpRequest request{"PATCH", sharePath(share.id, "/blob"), {}, bytes};
        request.bearer(share.ownerToken)
            .header("Upload-Offset", QByteArray::number(offset))
            .header("Content-Type", "application/offset+octet-stream");
        return request;
    }
    /// PATCHes the ciphertext from offset on in pieces; returns the first failure or the last 204.
    [[nodiscard]] HttpResponse uploadFrom(const TestShare& share, qint64 offset,
                                          qint64 pieceBytes = 1 << 20) const {
        HttpResponse last;
        for (qint64 at = offset; at < share.ciphertext.size(); at += pieceBytes) {
            last = append(share, at, share.ciphertext.mid(at, pieceBytes));
            if (last.status != 204)
                return last;
        }
        return last;
    }
    [[nodiscard]] HttpResponse complete(const TestShare& share) const {
        return ownerPost(share, "/complete");
    }

    /// create + upload + complete; the first response that is not the expected one, or complete's.
    [[nodiscard]] HttpResponse createReady(TestShare& share) const {
        HttpResponse response = create(share);
        if (response.status != 201)
            return response;
        response = uploadFrom(share, 0);
        if (response.status != 204)
            return response;
        return complete(share);
    }

    // Public and proofs ----------------------------------------------------------------------
    [[nodiscard]] HttpResponse info(const QByteArray& id) const { return get(sharePath(id)); }
    [[nodiscard]] HttpResponse challenge(const QByteArray& id) const {
        return send(HttpRequest{"POST", sharePath(id, "/challenge"), {}, {}});
    }
    [[nodiscard]] static QByteArray nonceOf(const HttpResponse& challenge) {
        return challenge.json().value(QStringLiteral("nonce")).toString().toLatin1();
    }
    /// A fresh download ticket as a client draws it (SPEC §10.6), unpadded base64url.
    [[nodiscard]] static QByteArray newTicket() {
        std::array<std::uint8_t, 32> ticket{};
        randomBytes(ticket);
        return QByteArray::fromStdString(base64url::encode(ticket));
    }
    /// A proof to "metadata" or "reservations"; a reservation without a "ticket" gets a fresh one.
    [[nodiscard]] static HttpRequest proofRequest(const TestShare& share, const QByteArray& what,
                                                  QJsonObject proof) {
        if (what == "reservations" && !proof.contains(QStringLiteral("ticket")))
            proof.insert(QStringLiteral("ticket"), QString::fromLatin1(newTicket()));
        HttpRequest request{"POST", sharePath(share.id, "/" + what), {}, {}};
        request.json(proof);
        return request;
    }
    /// Challenge, then a proof by signer (the share's keys when null) to "metadata" or "reservations".
    /// A reservation carries ticket (a fresh one when empty). On a failed challenge, returns the
    /// challenge's response.
    [[nodiscard]] HttpResponse prove(const TestShare& share, const QByteArray& what,
                                     const ShareKeys* signer = nullptr, const ShareKeys* linkSigner = nullptr,
                                     const QByteArray& ticket = {}) const {
        HttpResponse nonce = challenge(share.id);
        if (nonce.status != 200)
            return nonce;
        QJsonObject proof = share.proof(nonceOf(nonce), signer, linkSigner);
        if (!ticket.isEmpty())
            proof.insert(QStringLiteral("ticket"), QString::fromLatin1(ticket));
        return send(proofRequest(share, what, proof));
    }
    [[nodiscard]] static QByteArray ticketOf(const HttpResponse& reservation) {
        return reservation.json().value(QStringLiteral("ticket")).toString().toLatin1();
    }

    // Download -------------------------------------------------------------------------------
    [[nodiscard]] static HttpRequest downloadRequest(const QByteArray& id, const QByteArray& ticket,
                                                     const QByteArray& range = {}) {
        HttpRequest request{"GET", sharePath(id, "/content"), {}, {}};
        request.bearer(ticket);
        if (!range.isEmpty())
            request.header("Range", range);
        return request;
    }
    [[nodiscard]] HttpResponse download(const QByteArray& id, const QByteArray& ticket,
                                        const QByteArray& range = {}) const {
        return send(downloadRequest(id, ticket, range), 60'000);
    }
    /// Challenge, proof, reservation, then the whole download with the new ticket: the download's
    /// response, or the first response on the way that was not the expected one.
    [[nodiscard]] HttpResponse reserveAndDownload(const TestShare& share) const {
        HttpResponse reservation = prove(share, "reservations");
        if (reservation.status != 201)
            return reservation;
        return download(share.id, ticketOf(reservation));
    }
    [[nodiscard]] HttpResponse finish(const QByteArray& id, const QByteArray& ticket) const {
        return send(HttpRequest{"POST", sharePath(id, "/finish"), {}, {}}.bearer(ticket));
    }

    // Owner ----------------------------------------------------------------------------------
    [[nodiscard]] HttpResponse ownerStatus(const TestShare& share) const {
        return send(HttpRequest{"GET", sharePath(share.id, "/owner"), {}, {}}.bearer(share.ownerToken));
    }
    [[nodiscard]] HttpResponse remove(const TestShare& share) const {
        return send(HttpRequest{"DELETE", sharePath(share.id), {}, {}}.bearer(share.ownerToken));
    }
    [[nodiscard]] HttpResponse unlock(const TestShare& share) const { return ownerPost(share, "/unlock"); }

    // Operations -----------------------------------------------------------------------------
    /// The value of one Prometheus sample, e.g. metric("ots_proof_verifications_total",
    /// "result=\"invalid\""); with an empty label filter, the sum over every sample of that name. -1 if
    /// /metrics fails.
    [[nodiscard]] double metric(const QByteArray& name, const QByteArray& labelFilter = {}) const {
        const HttpResponse response = get("/metrics");
        if (response.status != 200)
            return -1;
        return metricIn(response.body, name, labelFilter);
    }
    [[nodiscard]] static double metricIn(const QByteArray& text, const QByteArray& name,
                                         const QByteArray& labelFilter = {}) {
        double sum = 0;
        for (const QByteArray& rawLine : text.split('\n')) {
            const QByteArray line = rawLine.trimmed();
            if (line.startsWith('#') || !line.startsWith(name))
                continue;
            const QByteArray rest = line.mid(name.size());
            if (!rest.startsWith('{') && !rest.startsWith(' '))
                continue; // another metric whose name starts with this one
            if (!labelFilter.isEmpty() && !rest.contains(labelFilter))
                continue;
            const qsizetype space = line.lastIndexOf(' ');
            sum += line.mid(space + 1).toDouble();
        }
        return sum;
    }

private:
    [[nodiscard]] HttpResponse ownerPost(const TestShare& share, const QByteArray& suffix) const {
        return send(HttpRequest{"POST", sharePath(share.id, suffix), {}, {}}.bearer(share.ownerToken));
    }

    void recordSecrets(const HttpRequest& request, const HttpResponse& response) const {
        const auto keep = [this](const QByteArray& value) {
            if (value.size() >= 16 && !m_secrets->contains(value))
                m_secrets->append(value);
        };
        for (const auto& [name, value] : request.headers)
            if (name.compare("Authorization", Qt::CaseInsensitive) == 0)
                keep(value.mid(value.indexOf(' ') + 1));
        const QJsonObject sent = QJsonDocument::fromJson(request.body).object();
        const QJsonObject received = response.json();
        for (const char* field : {"nonce", "signature", "linkSignature", "metadata", "authPublicKey",
                                  "linkPublicKey", "ownerToken", "ticket"}) {
            keep(sent.value(QLatin1String(field)).toString().toLatin1());
            keep(received.value(QLatin1String(field)).toString().toLatin1());
        }
    }

    quint16 m_port;
    QList<QByteArray>* m_secrets = nullptr;
};

} // namespace ots::relaytest
