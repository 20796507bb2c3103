#include "s3/S3Connector.h"

#include "s3/S3Client.h"

#include <boost/asio/ssl/host_name_verification.hpp>

#include <algorithm>
#include <charconv>
#include <openssl/ssl.h>

namespace ots::relay::s3 {

namespace {

S3Error configError(std::string message) {
    return S3Error{0, "InvalidConfig", std::move(message)};
}

bool printable(std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7F; });
}

} // namespace

S3Connector::S3Connector(S3Config config, bool tls, std::string host, std::string port,
                         std::shared_ptr<boost::asio::ssl::context> tlsContext)
    : m_config(std::move(config))
    , m_tls(tls)
    , m_host(std::move(host))
    , m_port(std::move(port))
    , m_tlsContext(std::move(tlsContext)) {
    const bool defaultPort = m_port == (m_tls ? "443" : "80");
    const bool ipv6 = m_host.find(':') != std::string::npos;
    m_hostHeader = ipv6 ? '[' + m_host + ']' : m_host;
    if (!defaultPort)
        m_hostHeader += ':' + m_port;
}

S3Result<std::shared_ptr<const S3Connector>> S3Connector::create(S3Config config) {
    std::string_view rest = config.endpoint;
    bool tls = false;
    if (rest.starts_with("https://")) {
        tls = true;
        rest.remove_prefix(8);
    } else if (rest.starts_with("http://")) {
        rest.remove_prefix(7);
    } else {
        return configError("s3-endpoint must start with http:// or https://");
    }
    if (!rest.empty() && rest.back() == '/')
        rest.remove_suffix(1);
    if (rest.empty() || rest.find_first_of("/?#@") != std::string_view::npos || !printable(rest))
        return configError("s3-endpoint must be scheme://host[:port] with no path (path-style addressing)");
    std::string host;
    std::string port = tls ? "443" : "80";
    if (rest.front() == '[') {
        const std::size_t close = rest.find(']');
        if (close == std::string_view::npos)
            return configError("s3-endpoint has an unclosed [IPv6 address]");
        host = rest.substr(1, close - 1);
        rest.remove_prefix(close + 1);
        if (!rest.empty() && rest.front() != ':')
            return configError("s3-endpoint: expected :port after the IPv6 address");
        if (!rest.empty())
            port = rest.substr(1);
    } else {
        const std::size_t colon = rest.find(':');
        host = rest.substr(0, colon);
        if (colon != std::string_view::npos)
            port = rest.substr(colon + 1);
    }
    unsigned portNumber = 0;
    const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), portNumber);
    if (host.empty() || error != std::errc() || end != port.data() + port.size() || portNumber == 0 ||
        portNumber > 65535)
        return configError("s3-endpoint has no host or a bad port");
    if (config.bucket.size() < 3 || config.bucket.size() > 63 ||
        !std::all_of(config.bucket.begin(), config.bucket.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
        }))
        return configError("s3-bucket must be 3 to 63 characters of a-z, 0-9, '-' and '.'");
    if (config.region.empty() || !printable(config.region))
        return configError("s3-region must be set");
    if (config.credentials.accessKeyId.empty() || config.credentials.secretAccessKey.empty() ||
        !printable(config.credentials.accessKeyId) || !printable(config.credentials.sessionToken))
        return configError("S3 credentials are missing: set s3-access-key-id and s3-secret-access-key");
    if (config.timeout.count() <= 0)
        return configError("the S3 timeout must be positive");

    std::shared_ptr<boost::asio::ssl::context> context;
    if (tls) {
        namespace ssl = boost::asio::ssl;
        context = std::make_shared<ssl::context>(ssl::context::tls_client);
        boost::system::error_code ec;
        context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1,
                             ec);
        if (!ec)
            context->set_verify_mode(ssl::verify_peer, ec);
        if (!ec) {
            if (config.caFile.empty())
                context->set_default_verify_paths(ec);
            else
                context->load_verify_file(config.caFile, ec);
        }
        if (ec)
            return configError("cannot set up TLS for S3" +
                               (config.caFile.empty() ? std::string() : " with s3-ca-file " + config.caFile) +
                               ": " + ec.message());
    }
    return std::shared_ptr<const S3Connector>(std::make_shared<S3Connector>(
        std::move(config), tls, std::move(host), std::move(port), std::move(context)));
}

std::unique_ptr<S3Client> S3Connector::makeClient() const {
    return std::make_unique<S3Client>(shared_from_this());
}

std::unique_ptr<S3TlsStream> S3Connector::makeTlsStream(boost::beast::tcp_stream tcp) const {
    auto stream = std::make_unique<S3TlsStream>(std::move(tcp), *m_tlsContext);
    if (SSL_ctrl(stream->native_handle(), SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                 const_cast<char*>(m_host.c_str())) != 1)
        return nullptr;
    stream->set_verify_callback(boost::asio::ssl::host_name_verification(m_host));
    return stream;
}

std::string S3Connector::requestHead(std::string_view method, std::string_view key, const S3Fields& query,
                                     const S3Fields& headers, std::string_view payloadHash,
                                     std::optional<std::uint64_t> contentLength) const {
    SignableRequest request;
    request.method = method;
    request.path = '/' + m_config.bucket;
    if (!key.empty()) {
        request.path += '/';
        request.path += key;
    }
    request.query = query;
    request.payloadHash = payloadHash;
    request.headers.emplace_back("host", m_hostHeader);
    request.headers.emplace_back("x-amz-content-sha256", request.payloadHash);
    request.headers.emplace_back("x-amz-date", SigV4::amzDate(std::chrono::system_clock::now()));
    request.headers.insert(request.headers.end(), headers.begin(), headers.end());
    const std::string authorization = SigV4::sign(
        request, m_config.credentials, SigningScope{request.headers[2].second, m_config.region, "s3"});

    std::string head = request.method + ' ' + SigV4::requestTarget(request) + " HTTP/1.1\r\n";
    for (const auto& [name, value] : request.headers)
        head.append(name).append(": ").append(value).append("\r\n");
    head.append("authorization: ").append(authorization).append("\r\n");
    if (contentLength)
        head.append("content-length: ").append(std::to_string(*contentLength)).append("\r\n");
    head.append("\r\n");
    return head;
}

} // namespace ots::relay::s3
