// GCC 12 reports -Wnull-dereference inside Asio's scheduler once io_context::run() is inlined here, as
// in HttpServer.cpp: silenced for the lines of Boost's headers only (this file is compiled alone, outside
// the unity build, so that these are the headers' first inclusion).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "s3/S3Client.h"

#include "s3/S3Xml.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#pragma GCC diagnostic pop

#include <algorithm>
#include <array>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <openssl/evp.h>
#include <poll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ots::relay::s3 {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

struct S3Client::Request {
    std::string_view method;
    std::string_view key;
    S3Fields query;
    S3Fields headers;
    const S3Body* body = nullptr;
    bool idempotent = true;
    std::size_t answerLimit = std::size_t{64} * 1024;
};

namespace {

constexpr std::size_t bodyChunkSize = std::size_t{256} * 1024;
constexpr std::size_t errorAnswerLimit = std::size_t{64} * 1024;
constexpr std::size_t listAnswerLimit = std::size_t{8} * 1024 * 1024;
constexpr std::size_t maxServerText = 300;

/// Server text as data: printable ASCII only, bounded.
std::string safeText(std::string_view text) {
    std::string out;
    for (const char c : text.substr(0, maxServerText))
        out += (c >= 0x20 && c < 0x7F) ? c : '?';
    if (text.size() > maxServerText)
        out += "...";
    return out;
}

S3Error transportError(std::string code, std::string_view what, const error_code& ec) {
    return S3Error{0, std::move(code), std::string(what) + ": " + ec.message()};
}

S3Error classify(std::string_view what, const error_code& ec) {
    if (ec == beast::error::timeout)
        return transportError("Timeout", what, ec);
    if (ec.category() == asio::error::get_ssl_category() || ec == asio::ssl::error::stream_truncated)
        return transportError("TlsFailed", what, ec);
    return transportError("ConnectionLost", what, ec);
}

bool closedByPeer(const error_code& ec) {
    return ec == http::error::end_of_stream || ec == asio::error::eof ||
           ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
           ec == asio::ssl::error::stream_truncated || ec == http::error::partial_message;
}

/// S3's error answer: <Error><Code>..</Code><Message>..</Message></Error>; without one (HEAD, a proxy's
/// page), the status alone.
S3Error answerError(const S3Client::Response& response) {
    S3Error error{response.status, {}, {}};
    if (const auto root = XmlElement::parse(response.body); root && root->name == "Error") {
        error.code = safeText(root->childText("Code"));
        error.message = safeText(root->childText("Message"));
    }
    if (error.code.empty()) {
        switch (response.status) {
        case 301:
        case 307:
            error.code = "Redirect";
            break;
        case 400:
            error.code = "BadRequest";
            break;
        case 403:
            error.code = "AccessDenied";
            break;
        case 404:
            error.code = "NotFound";
            break;
        default:
            error.code = "Http" + std::to_string(response.status);
        }
    }
    return error;
}

bool validMetadata(const S3Metadata& metadata) {
    const auto fine = [](std::string_view text, bool name) {
        return std::all_of(text.begin(), text.end(), [name](char c) {
            return name ? ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')
                        : (c >= 0x20 && c < 0x7F);
        });
    };
    return std::all_of(metadata.begin(), metadata.end(), [&fine](const auto& entry) {
        return !entry.first.empty() && fine(entry.first, true) && fine(entry.second, false);
    });
}

void addMetadata(S3Fields& headers, const S3Metadata& metadata) {
    for (const auto& [name, value] : metadata)
        headers.emplace_back("x-amz-meta-" + name, value);
}

S3Error malformed(std::string_view what) {
    return S3Error{0, "BadResponse", "S3 answered an unreadable " + std::string(what)};
}

std::optional<std::uint64_t> parseNumber(std::string_view text) {
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size())
        return std::nullopt;
    return value;
}

std::string xmlEscape(std::string_view text) {
    std::string out;
    for (const char c : text) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

} // namespace

S3Client::S3Client(std::shared_ptr<const S3Connector> connector)
    : m_connector(std::move(connector))
    , m_chunk(bodyChunkSize) {}

S3Client::~S3Client() {
    disconnect();
}

void S3Client::disconnect() noexcept {
    error_code ignored;
    if (m_tls)
        beast::get_lowest_layer(*m_tls).socket().close(ignored);
    if (m_plain)
        m_plain->socket().close(ignored);
    m_tls.reset();
    m_plain.reset();
    m_buffer.clear();
}

template <typename Initiate>
error_code S3Client::run(Initiate&& initiate) {
    error_code result = asio::error::would_block;
    std::forward<Initiate>(initiate)([&result](error_code ec, auto&&...) { result = ec; });
    m_io.restart();
    m_io.run();
    return result;
}

std::optional<S3Error> S3Client::connect() {
    disconnect();
    const S3Connector& connector = *m_connector;
    const auto timeout = connector.config().timeout;
    asio::ip::tcp::resolver resolver(m_io);
    asio::ip::tcp::resolver::results_type endpoints;
    error_code ec = run([&](auto handler) {
        resolver.async_resolve(
            connector.host(), connector.port(),
            [&endpoints, handler](error_code error, asio::ip::tcp::resolver::results_type found) {
                endpoints = std::move(found);
                handler(error);
            });
    });
    if (ec)
        return transportError("ConnectFailed", "cannot resolve the S3 endpoint " + connector.host(), ec);
    auto stream = std::make_unique<beast::tcp_stream>(m_io);
    stream->expires_after(timeout);
    ec = run([&](auto handler) { stream->async_connect(endpoints, handler); });
    if (ec)
        return ec == beast::error::timeout
                   ? transportError("Timeout", "connecting to the S3 endpoint timed out", ec)
                   : transportError("ConnectFailed", "cannot connect to the S3 endpoint", ec);
    stream->socket().set_option(asio::ip::tcp::no_delay(true), ec);
    ++m_connectionsOpened;
    if (!connector.tls()) {
        m_plain = std::move(stream);
        return std::nullopt;
    }
    auto tls = connector.makeTlsStream(std::move(*stream));
    if (!tls)
        return S3Error{0, "TlsFailed", "cannot set the TLS server name"};
    beast::get_lowest_layer(*tls).expires_after(timeout);
    ec = run([&](auto handler) { tls->async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec)
        return ec == beast::error::timeout
                   ? transportError("Timeout", "the TLS handshake with S3 timed out", ec)
                   : transportError("TlsFailed", "TLS with the S3 endpoint failed", ec);
    m_tls = std::move(tls);
    return std::nullopt;
}

S3Error S3Client::fileError(int error) const {
    return S3Error{0, "FileReadFailed",
                   error == 0 ? std::string("the file ended before the body's end")
                              : "cannot read the body's file: " + std::string(std::strerror(error))};
}

namespace {

/// sendfile(2) bytes per call of a body sent from a file.
constexpr std::uint64_t kSendfileCall = std::uint64_t{4} << 20;

/// pread until `size` bytes or the end of the file; errno or 0 (short: the file is shorter).
int preadFully(int fd, char* data, std::size_t size, std::uint64_t offset, std::size_t& got) {
    got = 0;
    while (got < size) {
        const ssize_t n = ::pread(fd, data + got, size - got, static_cast<off_t>(offset + got));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return errno;
        if (n == 0)
            return 0;
        got += static_cast<std::size_t>(n);
    }
    return 0;
}

} // namespace

S3Result<std::string> S3Client::payloadHash(const S3Body& body) {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), body.prefix.data(), body.prefix.size()) != 1)
        return S3Error{0, "InternalError", "SHA-256 failed"};
    for (std::uint64_t done = 0; done < body.fileLength;) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(m_chunk.size(), body.fileLength - done));
        std::size_t got = 0;
        if (const int error = preadFully(body.fd, m_chunk.data(), want, body.fileOffset + done, got);
            error != 0 || got != want)
            return fileError(error);
        if (EVP_DigestUpdate(context.get(), m_chunk.data(), got) != 1)
            return S3Error{0, "InternalError", "SHA-256 failed"};
        done += got;
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int size = 0;
    if (EVP_DigestFinal_ex(context.get(), digest.data(), &size) != 1)
        return S3Error{0, "InternalError", "SHA-256 failed"};
    return SigV4::hex(digest.data(), size);
}

error_code S3Client::sendFile(asio::ip::tcp::socket& socket, const S3Body& body, S3Error& readError) {
    // Plain TCP: the file's bytes go from the page cache to the socket (sendfile(2)), not through
    // m_chunk. The socket is non-blocking under Asio: a full socket is waited for with poll(2), each
    // wait bounded by the timeout as every other read and write.
    const int timeoutMs = static_cast<int>(m_connector->config().timeout.count());
    error_code ec;
    socket.native_non_blocking(true, ec);
    if (ec)
        return ec;
    off_t offset = static_cast<off_t>(body.fileOffset);
    for (std::uint64_t left = body.fileLength; left > 0;) {
        const ssize_t sent =
            ::sendfile(socket.native_handle(), body.fd, &offset,
                       static_cast<std::size_t>(std::min<std::uint64_t>(left, kSendfileCall)));
        if (sent > 0) {
            left -= static_cast<std::uint64_t>(sent);
            continue;
        }
        if (sent == 0) { // the file ended before the body did
            readError = fileError(0);
            return asio::error::interrupted;
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            const int error = errno;
            if (error == EPIPE || error == ECONNRESET || error == ENOTCONN)
                return error_code(error, boost::system::system_category());
            readError = fileError(error);
            return asio::error::interrupted;
        }
        pollfd wait{socket.native_handle(), POLLOUT, 0};
        const int ready = ::poll(&wait, 1, timeoutMs);
        if (ready == 0)
            return beast::error::timeout;
        if (ready < 0 && errno != EINTR)
            return error_code(errno, boost::system::system_category());
    }
    return {};
}

template <typename Stream>
error_code S3Client::writeBody(Stream& stream, const S3Body& body, S3Error& readError) {
    const auto timeout = m_connector->config().timeout;
    if (!body.prefix.empty()) {
        beast::get_lowest_layer(stream).expires_after(timeout);
        if (const error_code ec =
                run([&](auto handler) { asio::async_write(stream, asio::buffer(body.prefix), handler); }))
            return ec;
    }
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>)
        return sendFile(stream.socket(), body, readError);
    for (std::uint64_t done = 0; done < body.fileLength;) {
        const auto want =
            static_cast<std::size_t>(std::min<std::uint64_t>(m_chunk.size(), body.fileLength - done));
        std::size_t got = 0;
        if (const int error = preadFully(body.fd, m_chunk.data(), want, body.fileOffset + done, got);
            error != 0 || got != want) {
            readError = fileError(error);
            return asio::error::interrupted;
        }
        beast::get_lowest_layer(stream).expires_after(timeout);
        if (const error_code ec = run(
                [&](auto handler) { asio::async_write(stream, asio::buffer(m_chunk.data(), got), handler); }))
            return ec;
        done += got;
    }
    return {};
}

template <typename Stream>
S3Result<S3Client::Response> S3Client::roundTrip(Stream& stream, const Request& request, bool& stale) {
    const auto timeout = m_connector->config().timeout;
    std::string hash(SigV4::emptyPayloadHash);
    std::optional<std::uint64_t> contentLength;
    if (request.body != nullptr) {
        auto computed = payloadHash(*request.body);
        if (!computed)
            return computed.error();
        hash = std::move(computed.value());
        contentLength = request.body->size();
    } else if (request.method == "PUT" || request.method == "POST") {
        contentLength = 0;
    }
    const std::string head = m_connector->requestHead(request.method, request.key, request.query,
                                                      request.headers, hash, contentLength);

    beast::get_lowest_layer(stream).expires_after(timeout);
    error_code ec = run([&](auto handler) { asio::async_write(stream, asio::buffer(head), handler); });
    S3Error readError;
    if (!ec && request.body != nullptr)
        ec = writeBody(stream, *request.body, readError);
    if (ec == asio::error::interrupted && !readError.code.empty())
        return readError;
    if (ec) {
        stale = closedByPeer(ec);
        return classify("sending the request to S3 failed", ec);
    }

    http::response_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(std::max(request.answerLimit, errorAnswerLimit));
    if (request.method == "HEAD")
        parser.skip(true);
    beast::get_lowest_layer(stream).expires_after(timeout);
    ec = run([&](auto handler) { http::async_read(stream, m_buffer, parser, handler); });
    if (ec == http::error::body_limit)
        return S3Error{0, "ResponseTooLarge",
                       "S3's answer exceeded " + std::to_string(request.answerLimit) + " bytes"};
    if (ec) {
        stale = !parser.got_some() && closedByPeer(ec);
        return classify("reading S3's answer failed", ec);
    }
    Response response;
    response.status = parser.get().result_int();
    response.headers = parser.get().base();
    response.body = std::move(parser.get().body());
    // Bytes after the answer would be read as the next answer's: such a connection is not reused.
    if (!parser.get().keep_alive() || m_buffer.size() != 0)
        disconnect();
    return response;
}

bool S3Client::closedWhileIdle() const noexcept {
    const int fd =
        m_tls ? beast::get_lowest_layer(*m_tls).socket().native_handle() : m_plain->socket().native_handle();
    char byte = 0;
    const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    if (n == 0)
        return true; // the server closed it (an idle keep-alive timeout)
    if (n > 0)
        return !m_tls; // bytes nobody asked for; over TLS, a session ticket or close_notify the next read
                       // handles
    return errno != EAGAIN && errno != EINTR; // EWOULDBLOCK is EAGAIN on Linux
}

S3Result<S3Client::Response> S3Client::attempt(const Request& request, bool& stale) {
    // A connection the server closed while it was idle is seen here for free, before anything is sent:
    // then even a request that must not be sent twice goes out once, on a new connection.
    if ((m_plain || m_tls) && closedWhileIdle())
        disconnect();
    if (!m_plain && !m_tls) {
        if (auto error = connect())
            return *error;
    }
    auto result = m_tls ? roundTrip(*m_tls, request, stale) : roundTrip(*m_plain, request, stale);
    if (!result)
        disconnect();
    return result;
}

S3Result<S3Client::Response> S3Client::execute(const Request& request) {
    const bool reused = m_plain || m_tls;
    bool stale = false;
    auto result = attempt(request, stale);
    if (!result.ok() && reused && stale && request.idempotent) {
        stale = false;
        return checkAnswer(request, attempt(request, stale));
    }
    return checkAnswer(request, std::move(result));
}

S3Result<S3Client::Response> S3Client::checkAnswer(const Request& request, S3Result<Response> result) {
    if (!result)
        return result;
    const Response& response = result.value();
    if (response.status < 200 || response.status >= 300)
        return answerError(response);
    if (response.body.size() > request.answerLimit)
        return S3Error{0, "ResponseTooLarge",
                       "S3's answer exceeded " + std::to_string(request.answerLimit) + " bytes"};
    return result;
}

S3Status S3Client::headBucket() {
    Request request{"HEAD", {}, {}, {}};
    auto response = execute(request);
    if (!response)
        return response.error();
    return S3Done{};
}

S3Status S3Client::putObject(std::string_view key, const S3Body& body, const S3Metadata& metadata) {
    if (!validMetadata(metadata))
        return S3Error{0, "InvalidArgument", "S3 metadata names must be a-z0-9- and values printable ASCII"};
    Request request{"PUT", key, {}, {}};
    addMetadata(request.headers, metadata);
    request.body = &body;
    auto response = execute(request);
    if (!response)
        return response.error();
    return S3Done{};
}

S3Result<std::string> S3Client::getObject(std::string_view key, std::size_t maxBytes,
                                          std::optional<std::pair<std::uint64_t, std::uint64_t>> range) {
    Request request{"GET", key, {}, {}};
    request.answerLimit = maxBytes;
    if (range) {
        if (range->second == 0)
            return std::string();
        request.headers.emplace_back("range", "bytes=" + std::to_string(range->first) + '-' +
                                                  std::to_string(range->first + range->second - 1));
    }
    auto response = execute(request);
    if (!response)
        return response.error();
    if (range && response->status != 206)
        return S3Error{response->status, "BadResponse", "S3 ignored the Range of a ranged GET"};
    return std::move(response->body);
}

S3Result<S3ObjectInfo> S3Client::headObject(std::string_view key) {
    Request request{"HEAD", key, {}, {}};
    auto response = execute(request);
    if (!response)
        return response.error();
    S3ObjectInfo info;
    const auto length = parseNumber(response->headers[http::field::content_length]);
    if (!length)
        return malformed("object size");
    info.size = *length;
    info.etag = safeText(response->headers[http::field::etag]);
    for (const auto& field : response->headers) {
        std::string name(field.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        if (name.starts_with("x-amz-meta-"))
            info.metadata.emplace_back(name.substr(11), safeText(field.value()));
    }
    return info;
}

S3Status S3Client::deleteObject(std::string_view key) {
    Request request{"DELETE", key, {}, {}};
    auto response = execute(request);
    if (!response)
        return response.error();
    return S3Done{};
}

S3Result<S3ObjectList> S3Client::listObjectsV2(std::string_view prefix, std::string_view continuationToken,
                                               int maxKeys) {
    Request request{"GET", {}, {{"list-type", "2"}, {"prefix", std::string(prefix)}}, {}};
    request.query.emplace_back("max-keys", std::to_string(maxKeys));
    if (!continuationToken.empty())
        request.query.emplace_back("continuation-token", std::string(continuationToken));
    request.answerLimit = listAnswerLimit;
    auto response = execute(request);
    if (!response)
        return response.error();
    const auto root = XmlElement::parse(response->body);
    if (!root || root->name != "ListBucketResult")
        return malformed("object list");
    S3ObjectList list;
    for (const XmlElement& element : root->children) {
        if (element.name != "Contents")
            continue;
        const auto size = parseNumber(element.childText("Size"));
        if (!size || element.childText("Key").empty())
            return malformed("object list entry");
        list.objects.push_back(S3ObjectEntry{element.childText("Key"), *size, element.childText("ETag")});
    }
    if (root->childText("IsTruncated") == "true") {
        list.nextContinuationToken = root->childText("NextContinuationToken");
        if (list.nextContinuationToken.empty())
            return malformed("object list continuation");
    }
    return list;
}

S3Result<std::string> S3Client::createMultipartUpload(std::string_view key, const S3Metadata& metadata) {
    if (!validMetadata(metadata))
        return S3Error{0, "InvalidArgument", "S3 metadata names must be a-z0-9- and values printable ASCII"};
    Request request{"POST", key, {{"uploads", ""}}, {}};
    addMetadata(request.headers, metadata);
    request.idempotent = false;
    auto response = execute(request);
    if (!response)
        return response.error();
    const auto root = XmlElement::parse(response->body);
    if (!root || root->name != "InitiateMultipartUploadResult" || root->childText("UploadId").empty())
        return malformed("multipart upload id");
    return root->childText("UploadId");
}

S3Result<std::string> S3Client::uploadPart(std::string_view key, std::string_view uploadId, int partNumber,
                                           const S3Body& body) {
    Request request{
        "PUT", key, {{"partNumber", std::to_string(partNumber)}, {"uploadId", std::string(uploadId)}}, {}};
    request.body = &body;
    auto response = execute(request);
    if (!response)
        return response.error();
    std::string etag(response->headers[http::field::etag]);
    if (etag.empty())
        return malformed("part ETag");
    return safeText(etag);
}

S3Result<std::string> S3Client::completeMultipartUpload(std::string_view key, std::string_view uploadId,
                                                        const std::vector<S3Part>& parts) {
    std::string document = "<CompleteMultipartUpload>";
    for (const S3Part& part : parts)
        document += "<Part><PartNumber>" + std::to_string(part.partNumber) + "</PartNumber><ETag>" +
                    xmlEscape(part.etag) + "</ETag></Part>";
    document += "</CompleteMultipartUpload>";
    const S3Body body{document, -1, 0, 0};
    Request request{
        "POST", key, {{"uploadId", std::string(uploadId)}}, {{"content-type", "application/xml"}}};
    request.body = &body;
    // Completing the same parts twice gives the same object: safe to send again.
    auto response = execute(request);
    if (!response)
        return response.error();
    // S3 may answer 200 and still fail: the error is then in the body.
    const auto root = XmlElement::parse(response->body);
    if (root && root->name == "Error")
        return answerError(Response{500, {}, std::move(response->body)});
    if (!root || root->name != "CompleteMultipartUploadResult")
        return malformed("multipart completion");
    return safeText(root->childText("ETag"));
}

S3Status S3Client::abortMultipartUpload(std::string_view key, std::string_view uploadId) {
    Request request{"DELETE", key, {{"uploadId", std::string(uploadId)}}, {}};
    auto response = execute(request);
    if (!response)
        return response.error();
    return S3Done{};
}

S3Result<S3PartList> S3Client::listParts(std::string_view key, std::string_view uploadId,
                                         int partNumberMarker) {
    Request request{"GET", key, {{"uploadId", std::string(uploadId)}}, {}};
    if (partNumberMarker > 0)
        request.query.emplace_back("part-number-marker", std::to_string(partNumberMarker));
    request.answerLimit = listAnswerLimit;
    auto response = execute(request);
    if (!response)
        return response.error();
    const auto root = XmlElement::parse(response->body);
    if (!root || root->name != "ListPartsResult")
        return malformed("part list");
    S3PartList list;
    for (const XmlElement& element : root->children) {
        if (element.name != "Part")
            continue;
        const auto number = parseNumber(element.childText("PartNumber"));
        const auto size = parseNumber(element.childText("Size"));
        if (!number || *number == 0 || *number > 10000 || !size)
            return malformed("part list entry");
        list.parts.push_back(S3Part{static_cast<int>(*number), safeText(element.childText("ETag")), *size});
    }
    if (root->childText("IsTruncated") == "true") {
        const auto next = parseNumber(root->childText("NextPartNumberMarker"));
        if (!next || *next == 0 || *next > 10000)
            return malformed("part list continuation");
        list.nextPartNumberMarker = static_cast<int>(*next);
    }
    return list;
}

S3Result<S3UploadList> S3Client::listMultipartUploads(std::string_view prefix, std::string_view keyMarker,
                                                      std::string_view uploadIdMarker) {
    Request request{"GET", {}, {{"uploads", ""}, {"prefix", std::string(prefix)}}, {}};
    if (!keyMarker.empty())
        request.query.emplace_back("key-marker", std::string(keyMarker));
    if (!uploadIdMarker.empty())
        request.query.emplace_back("upload-id-marker", std::string(uploadIdMarker));
    request.answerLimit = listAnswerLimit;
    auto response = execute(request);
    if (!response)
        return response.error();
    const auto root = XmlElement::parse(response->body);
    if (!root || root->name != "ListMultipartUploadsResult")
        return malformed("multipart upload list");
    S3UploadList list;
    for (const XmlElement& element : root->children) {
        if (element.name != "Upload")
            continue;
        if (element.childText("Key").empty() || element.childText("UploadId").empty())
            return malformed("multipart upload list entry");
        list.uploads.push_back(S3Upload{element.childText("Key"), element.childText("UploadId")});
    }
    list.truncated = root->childText("IsTruncated") == "true";
    if (list.truncated) {
        list.nextKeyMarker = root->childText("NextKeyMarker");
        list.nextUploadIdMarker = root->childText("NextUploadIdMarker");
        if (list.nextKeyMarker.empty())
            return malformed("multipart upload list continuation");
    }
    return list;
}

} // namespace ots::relay::s3
