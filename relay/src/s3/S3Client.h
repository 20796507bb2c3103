#pragma once

// A blocking S3 client for one worker thread (not thread-safe; S3Connector::makeClient gives each thread
// its own). HTTP/1.1 with keep-alive over TCP or TLS to one endpoint, path-style addressing, SigV4 with
// the payload's real SHA-256. Every connect, read and write has the configured timeout. An idempotent
// request that fails on a reused connection before any answer arrived (the server closed an idle
// keep-alive connection) is sent once more on a new connection. Bodies are streamed from memory and a
// file region (S3Body); answers are capped in size. A connection the server closed while idle is noticed
// before a request is sent on it.

#include "s3/S3Connector.h"
#include "s3/S3Error.h"
#include "s3/S3Types.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/fields.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay::s3 {

class S3Client {
public:
    explicit S3Client(std::shared_ptr<const S3Connector> connector);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    /// The bucket exists and the credentials may use it.
    [[nodiscard]] S3Status headBucket();
    [[nodiscard]] S3Status putObject(std::string_view key, const S3Body& body,
                                     const S3Metadata& metadata = {});
    /// The whole object, or bytes [first, first+count) of it; ResponseTooLarge beyond maxBytes.
    [[nodiscard]] S3Result<std::string>
    getObject(std::string_view key, std::size_t maxBytes,
              std::optional<std::pair<std::uint64_t, std::uint64_t>> range = {});
    [[nodiscard]] S3Result<S3ObjectInfo> headObject(std::string_view key);
    /// Ok also when there was no such object (S3's rule).
    [[nodiscard]] S3Status deleteObject(std::string_view key);
    [[nodiscard]] S3Result<S3ObjectList>
    listObjectsV2(std::string_view prefix, std::string_view continuationToken = {}, int maxKeys = 1000);

    /// The upload id.
    [[nodiscard]] S3Result<std::string> createMultipartUpload(std::string_view key,
                                                              const S3Metadata& metadata = {});
    /// The part's ETag (quotes included), for completeMultipartUpload.
    [[nodiscard]] S3Result<std::string> uploadPart(std::string_view key, std::string_view uploadId,
                                                   int partNumber, const S3Body& body);
    /// The object's ETag as the server answered it (Ceph 16 answers an empty one; HEAD has the real one).
    /// Parts need only partNumber and etag, in ascending order.
    [[nodiscard]] S3Result<std::string> completeMultipartUpload(std::string_view key,
                                                                std::string_view uploadId,
                                                                const std::vector<S3Part>& parts);
    [[nodiscard]] S3Status abortMultipartUpload(std::string_view key, std::string_view uploadId);
    [[nodiscard]] S3Result<S3PartList> listParts(std::string_view key, std::string_view uploadId,
                                                 int partNumberMarker = 0);
    [[nodiscard]] S3Result<S3UploadList> listMultipartUploads(std::string_view prefix,
                                                              std::string_view keyMarker = {},
                                                              std::string_view uploadIdMarker = {});

    /// TCP connections this client opened so far (keep-alive reuse shows as requests > connections).
    [[nodiscard]] std::uint64_t connectionsOpened() const noexcept { return m_connectionsOpened; }
    /// Drops the connection (the next request opens a new one).
    void disconnect() noexcept;

    struct Request;
    struct Response {
        unsigned status = 0;
        boost::beast::http::fields headers;
        std::string body;
    };

private:
    [[nodiscard]] S3Result<Response> execute(const Request& request);
    [[nodiscard]] static S3Result<Response> checkAnswer(const Request& request, S3Result<Response> result);
    [[nodiscard]] S3Result<Response> attempt(const Request& request, bool& stale);
    template <typename Stream>
    [[nodiscard]] S3Result<Response> roundTrip(Stream& stream, const Request& request, bool& stale);
    template <typename Stream>
    [[nodiscard]] boost::system::error_code writeBody(Stream& stream, const S3Body& body, S3Error& fileError);
    /// writeBody's plain-TCP way: sendfile(2) of the body's file range.
    [[nodiscard]] boost::system::error_code sendFile(boost::asio::ip::tcp::socket& socket, const S3Body& body,
                                                     S3Error& fileError);
    [[nodiscard]] std::optional<S3Error> connect();
    [[nodiscard]] bool closedWhileIdle() const noexcept;
    template <typename Initiate>
    boost::system::error_code run(Initiate&& initiate);
    [[nodiscard]] S3Result<std::string> payloadHash(const S3Body& body);
    [[nodiscard]] S3Error fileError(int error) const;

    std::shared_ptr<const S3Connector> m_connector;
    boost::asio::io_context m_io;
    std::unique_ptr<boost::beast::tcp_stream> m_plain;
    std::unique_ptr<S3TlsStream> m_tls;
    boost::beast::flat_buffer m_buffer;
    std::vector<char> m_chunk;
    std::uint64_t m_connectionsOpened = 0;
};

} // namespace ots::relay::s3
