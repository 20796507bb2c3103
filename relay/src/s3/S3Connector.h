#pragma once

// What every connection to one S3 endpoint shares, made once at start-up: the parsed endpoint, the TLS
// context (peer verified against the system store or s3-ca-file), credentials and request signing. It
// makes the per-thread S3Client and the per-download S3RangeReader. Immutable after create(): one
// instance serves all threads.

#include "s3/S3Error.h"
#include "s3/SigV4.h"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ots::relay::s3 {

class S3Client;

struct S3Config {
    std::string endpoint; ///< http://host[:port] or https://host[:port]; path-style addressing
    std::string region = "us-east-1";
    std::string bucket;
    Credentials credentials;
    std::string caFile;                       ///< PEM CA for https; empty: the system store
    std::chrono::milliseconds timeout{30000}; ///< for connect, and for each read and write
};

using S3Fields = std::vector<std::pair<std::string, std::string>>;
using S3TlsStream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

class S3Connector : public std::enable_shared_from_this<S3Connector> {
public:
    /// Checks the endpoint URL, bucket and credentials and loads the CA file; an error says which.
    [[nodiscard]] static S3Result<std::shared_ptr<const S3Connector>> create(S3Config config);

    /// A client for one thread (it is not thread-safe); connections are per client.
    [[nodiscard]] std::unique_ptr<S3Client> makeClient() const;

    [[nodiscard]] const S3Config& config() const noexcept { return m_config; }
    [[nodiscard]] bool tls() const noexcept { return m_tls; }
    [[nodiscard]] const std::string& host() const noexcept { return m_host; }
    [[nodiscard]] const std::string& port() const noexcept { return m_port; }
    /// Only for https endpoints.
    [[nodiscard]] boost::asio::ssl::context& tlsContext() const noexcept { return *m_tlsContext; }

    /// A TLS stream over `tcp` that names the endpoint's host to the server (SNI) and accepts only a
    /// certificate for that host; null when OpenSSL refuses the name. Only for https endpoints.
    [[nodiscard]] std::unique_ptr<S3TlsStream> makeTlsStream(boost::beast::tcp_stream tcp) const;

    /// The request line and signed header block (ending in the blank line) of one request on the bucket
    /// (`key` empty) or one of its objects. `headers` are sent and signed; Content-Length is added when
    /// contentLength is set.
    [[nodiscard]] std::string requestHead(std::string_view method, std::string_view key,
                                          const S3Fields& query, const S3Fields& headers,
                                          std::string_view payloadHash,
                                          std::optional<std::uint64_t> contentLength) const;

    S3Connector(S3Config config, bool tls, std::string host, std::string port,
                std::shared_ptr<boost::asio::ssl::context> tlsContext);

private:
    S3Config m_config;
    bool m_tls;
    std::string m_host;
    std::string m_port;
    std::string m_hostHeader;
    std::shared_ptr<boost::asio::ssl::context> m_tlsContext;
};

} // namespace ots::relay::s3
