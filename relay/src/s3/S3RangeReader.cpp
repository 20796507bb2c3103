// GCC 12 reports -Wnull-dereference inside Asio's executors once they are inlined here, as in
// HttpServer.cpp: silenced for the lines of Boost's headers only (this file is compiled alone, outside the
// unity build, so that these are the headers' first inclusion).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "s3/S3RangeReader.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#pragma GCC diagnostic pop

#include <cerrno>
#include <charconv>
#include <optional>

namespace ots::relay::s3 {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using boost::system::error_code;

class S3RangeReader::State : public std::enable_shared_from_this<S3RangeReader::State> {
public:
    State(std::shared_ptr<const S3Connector> connector, std::string key, std::uint64_t first,
          std::uint64_t count)
        : m_connector(std::move(connector))
        , m_key(std::move(key))
        , m_first(first)
        , m_count(count)
        , m_buffer(std::size_t{64} * 1024) {}

    void read(asio::any_io_executor executor, std::span<char> buffer,
              std::function<void(int, std::size_t)> done) {
        m_done = std::move(done);
        m_target = buffer;
        if (!m_failure.empty())
            return finishLater(executor, EIO, 0);
        if (m_delivered == m_count || buffer.empty())
            return finishLater(executor, 0, 0);
        if (!m_started) {
            m_started = true;
            return start(std::move(executor));
        }
        readBody();
    }

    void abandon() noexcept {
        m_abandoned = true;
        error_code ignored;
        if (m_tls)
            beast::get_lowest_layer(*m_tls).socket().close(ignored);
        if (m_plain)
            m_plain->socket().close(ignored);
        m_resolver.reset();
    }

    std::string m_failure;
    std::uint64_t m_delivered = 0;

private:
    template <typename Function>
    void withStream(Function&& function) {
        if (m_tls)
            function(*m_tls);
        else
            function(*m_plain);
    }

    beast::tcp_stream& tcp() { return m_tls ? beast::get_lowest_layer(*m_tls) : *m_plain; }

    void finishLater(const asio::any_io_executor& executor, int error, std::size_t bytes) {
        asio::post(executor, [self = shared_from_this(), error, bytes] { self->finish(error, bytes); });
    }

    void finish(int error, std::size_t bytes) {
        if (m_abandoned || !m_done)
            return;
        auto done = std::move(m_done);
        m_done = nullptr;
        done(error, bytes);
    }

    void fail(std::string why, const error_code& ec = {}) {
        if (m_failure.empty())
            m_failure = ec ? why + ": " + ec.message() : std::move(why);
        error_code ignored;
        if (m_tls || m_plain)
            tcp().socket().close(ignored);
        finish(EIO, 0);
    }

    void start(asio::any_io_executor executor) {
        m_resolver.emplace(executor);
        m_resolver->async_resolve(m_connector->host(), m_connector->port(),
                                  [self = shared_from_this(), executor = std::move(executor)](
                                      error_code ec, const asio::ip::tcp::resolver::results_type& endpoints) {
                                      if (ec)
                                          return self->fail("cannot resolve the S3 endpoint", ec);
                                      self->connect(executor, endpoints);
                                  });
    }

    void connect(const asio::any_io_executor& executor,
                 const asio::ip::tcp::resolver::results_type& endpoints) {
        if (m_abandoned)
            return;
        if (m_connector->tls()) {
            m_tls = m_connector->makeTlsStream(beast::tcp_stream(executor));
            if (!m_tls)
                return fail("cannot set the TLS server name");
        } else {
            m_plain = std::make_unique<beast::tcp_stream>(executor);
        }
        tcp().expires_after(m_connector->config().timeout);
        tcp().async_connect(endpoints, [self = shared_from_this()](error_code ec, const auto&) {
            if (ec)
                return self->fail("cannot connect to the S3 endpoint", ec);
            if (!self->m_tls)
                return self->sendRequest();
            self->tcp().expires_after(self->m_connector->config().timeout);
            self->m_tls->async_handshake(asio::ssl::stream_base::client, [self](error_code error) {
                if (error)
                    return self->fail("TLS with the S3 endpoint failed", error);
                self->sendRequest();
            });
        });
    }

    void sendRequest() {
        const std::string range =
            "bytes=" + std::to_string(m_first) + '-' + std::to_string(m_first + m_count - 1);
        m_head = m_connector->requestHead("GET", m_key, {}, {{"range", range}}, SigV4::emptyPayloadHash,
                                          std::nullopt);
        tcp().expires_after(m_connector->config().timeout);
        withStream([this](auto& stream) {
            asio::async_write(stream, asio::buffer(m_head),
                              [self = shared_from_this()](error_code ec, std::size_t) {
                                  if (ec)
                                      return self->fail("sending the ranged GET to S3 failed", ec);
                                  self->readHeader();
                              });
        });
    }

    void readHeader() {
        m_parser.header_limit(16 * 1024);
        m_parser.body_limit(boost::none);
        tcp().expires_after(m_connector->config().timeout);
        withStream([this](auto& stream) {
            http::async_read_header(
                stream, m_buffer, m_parser, [self = shared_from_this()](error_code ec, std::size_t) {
                    if (ec)
                        return self->fail("reading S3's answer to the ranged GET failed", ec);
                    self->checkHeader();
                });
        });
    }

    void checkHeader() {
        const auto& response = m_parser.get();
        if (response.result_int() != 206)
            return fail("S3 answered " + std::to_string(response.result_int()) +
                        " to the ranged GET of bytes " + std::to_string(m_first) + '+' +
                        std::to_string(m_count));
        const auto length = m_parser.content_length();
        if (!length || *length != m_count)
            return fail("S3's ranged answer has " + (length ? std::to_string(*length) : std::string("no")) +
                        " bytes, not the " + std::to_string(m_count) + " promised");
        const std::string expected =
            "bytes " + std::to_string(m_first) + '-' + std::to_string(m_first + m_count - 1) + '/';
        if (!std::string_view(response[http::field::content_range]).starts_with(expected))
            return fail("S3's answer is not the range asked for");
        readBody();
    }

    /// The body goes straight from the socket into the caller's buffer (bytes read with the header
    /// first): no copy through the parser, and each read takes whatever has arrived.
    void readBody() {
        const std::size_t want =
            static_cast<std::size_t>(std::min<std::uint64_t>(m_target.size(), m_count - m_delivered));
        if (m_buffer.size() > 0) {
            const std::size_t bytes = asio::buffer_copy(asio::buffer(m_target.data(), want), m_buffer.data());
            m_buffer.consume(bytes);
            m_delivered += bytes;
            return asio::post(tcp().get_executor(),
                              [self = shared_from_this(), bytes] { self->finish(0, bytes); });
        }
        tcp().expires_after(m_connector->config().timeout);
        withStream([this, want](auto& stream) {
            stream.async_read_some(
                asio::buffer(m_target.data(), want),
                [self = shared_from_this()](error_code ec, std::size_t bytes) {
                    if (ec == asio::error::eof || (!ec && bytes == 0))
                        return self->fail("S3's answer ended after " + std::to_string(self->m_delivered) +
                                          " of " + std::to_string(self->m_count) + " bytes");
                    if (ec)
                        return self->fail("reading the ranged GET's body from S3 failed", ec);
                    self->m_delivered += bytes;
                    self->finish(0, bytes);
                });
        });
    }

    std::shared_ptr<const S3Connector> m_connector;
    std::string m_key;
    std::uint64_t m_first;
    std::uint64_t m_count;
    std::optional<asio::ip::tcp::resolver> m_resolver;
    std::unique_ptr<beast::tcp_stream> m_plain;
    std::unique_ptr<S3TlsStream> m_tls;
    beast::flat_buffer m_buffer;
    http::response_parser<http::empty_body> m_parser;
    std::string m_head;
    std::span<char> m_target;
    std::function<void(int, std::size_t)> m_done;
    bool m_started = false;
    bool m_abandoned = false;
};

S3RangeReader::S3RangeReader(std::shared_ptr<const S3Connector> connector, std::string key,
                             std::uint64_t first, std::uint64_t count)
    : m_state(std::make_shared<State>(std::move(connector), std::move(key), first, count)) {}

S3RangeReader::~S3RangeReader() {
    m_state->abandon();
}

void S3RangeReader::asyncRead(boost::asio::any_io_executor executor, std::span<char> buffer,
                              std::function<void(int error, std::size_t bytes)> done) {
    m_state->read(std::move(executor), buffer, std::move(done));
}

std::string S3RangeReader::failure() const {
    return m_state->m_failure;
}

std::uint64_t S3RangeReader::delivered() const noexcept {
    return m_state->m_delivered;
}

} // namespace ots::relay::s3
