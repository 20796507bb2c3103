#include "RequestFramer.h"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>

#include <algorithm>
#include <utility>

namespace ots::relay {

namespace beast = boost::beast;

RequestFramer::RequestFramer(std::size_t headerLimit, std::size_t jsonBodyLimit)
    : m_headerLimit(headerLimit)
    , m_jsonBodyLimit(jsonBodyLimit) {
    reset();
}

void RequestFramer::reset() {
    m_phase = Phase::Header;
    m_jsonParser.reset();
    m_headerParser.emplace();
    m_headerParser->header_limit(static_cast<std::uint32_t>(m_headerLimit));
    // Body limits depend on the route and are checked once the header is known.
    m_headerParser->body_limit(boost::none);
    m_header = RequestHeader{};
    m_failure.reset();
    m_jsonBody.clear();
    m_bodyPending = false;
    m_uploadRemaining = 0;
    m_uploadReceived = 0;
}

void RequestFramer::fail(http::status status, std::string_view code, std::string_view message) {
    m_phase = Phase::Failed;
    m_failure.emplace(Answer{Api::error(m_header, status, code, message), true});
}

template <class Parser>
std::size_t RequestFramer::parse(Parser& parser, std::string_view input, bool headerOnly,
                                 beast::error_code& error) {
    std::size_t total = 0;
    while (!input.empty() && !(headerOnly ? parser.is_header_done() : parser.is_done())) {
        const std::size_t used = parser.put(boost::asio::buffer(input.data(), input.size()), error);
        total += used;
        input.remove_prefix(used);
        if (error == http::error::need_more) {
            error = {};
            if (used == 0)
                break; // the parser wants more than `input` holds before it takes any of it
            continue;
        }
        if (error)
            break;
    }
    return total;
}

std::size_t RequestFramer::feed(std::string_view input) {
    beast::error_code error;
    if (m_phase == Phase::Header) {
        const std::size_t used = parse(*m_headerParser, input, true, error);
        if (error) {
            // Where this request ends is not known: answer and close, draining what follows.
            m_bodyPending = true;
            if (error == http::error::header_limit)
                fail(http::status::payload_too_large, "too_large",
                     "The request header is larger than this relay accepts.");
            else
                fail(http::status::bad_request, "bad_request", "The HTTP request is malformed.");
            return used;
        }
        if (m_headerParser->is_header_done())
            onHeader();
        return used;
    }
    if (m_phase == Phase::JsonBody) {
        const std::size_t used = parse(*m_jsonParser, input, false, error);
        if (error) {
            m_jsonParser.reset();
            if (error == http::error::body_limit)
                fail(http::status::payload_too_large, "too_large", "The request body is too large.");
            else
                fail(http::status::bad_request, "bad_request", "The request body is malformed.");
            return used;
        }
        if (m_jsonParser->is_done()) {
            m_bodyPending = false;
            m_jsonBody = std::move(m_jsonParser->get().body());
            m_jsonParser.reset();
            m_phase = Phase::Done;
        }
        return used;
    }
    return 0;
}

void RequestFramer::onHeader() {
    m_header = m_headerParser->get().base();
    m_bodyPending = !m_headerParser->is_done();
    if (auto refused = Api::refuseFraming(m_header)) {
        // Whatever follows the header is unframed: never read it as a request.
        m_bodyPending = true;
        m_phase = Phase::Failed;
        m_failure.emplace(Answer{std::move(*refused), true});
        return;
    }
    m_phase = Phase::Routing;
}

RequestFramer::Dispatch RequestFramer::dispatch(const Api& api, bool draining) {
    Dispatch result{api.route(m_header), std::nullopt};
    const auto answer = [&](http::status status, std::string_view code, std::string_view message,
                            bool close) {
        result.answer.emplace(Answer{Api::error(m_header, status, code, message), close});
        return result;
    };
    if (draining)
        return answer(http::status::service_unavailable, "unavailable", "The relay is shutting down.", true);
    switch (result.route.kind) {
    case RouteKind::NotFound:
        return answer(http::status::not_found, "not_found", "There is nothing at this path.", false);
    case RouteKind::MethodNotAllowed:
        return answer(http::status::method_not_allowed, "method_not_allowed",
                      "This path does not accept this method.", false);
    case RouteKind::Json:
        if (const auto length = m_headerParser->content_length(); length && *length > m_jsonBodyLimit) {
            fail(http::status::payload_too_large, "too_large", "The request body is too large.");
            result.answer.emplace(*m_failure);
            return result;
        }
        m_jsonParser.emplace(std::move(*m_headerParser));
        m_headerParser.reset();
        m_jsonParser->body_limit(m_jsonBodyLimit);
        m_phase = Phase::JsonBody;
        if (m_jsonParser->is_done())
            feed({});
        return result;
    case RouteKind::Static:
    case RouteKind::Upload:
    case RouteKind::Download:
        return result;
    }
    return answer(http::status::not_found, "not_found", "There is nothing at this path.", false);
}

std::string RequestFramer::takeJsonBody() {
    return std::move(m_jsonBody);
}

bool RequestFramer::expectsContinue() const {
    const auto expect = m_header.find(http::field::expect);
    return expect != m_header.end() && beast::iequals(expect->value(), "100-continue");
}

std::optional<RequestFramer::Answer> RequestFramer::beginUpload(std::uint64_t length) {
    const bool framed =
        m_headerParser && !m_headerParser->chunked() && m_headerParser->content_length() == length;
    m_headerParser.reset();
    if (!framed) {
        m_bodyPending = true;
        fail(http::status::bad_request, "bad_request",
             "An upload body needs a Content-Length and no Transfer-Encoding.");
        return m_failure;
    }
    // From here the caller moves the body's bytes: exactly Content-Length of them follow the header.
    m_uploadRemaining = length;
    m_uploadReceived = 0;
    m_phase = Phase::UploadBody;
    uploadStored(0);
    return std::nullopt;
}

std::size_t RequestFramer::uploadWant(std::size_t room) const noexcept {
    return static_cast<std::size_t>(std::min<std::uint64_t>(room, m_uploadRemaining));
}

void RequestFramer::uploadStored(std::size_t bytes) noexcept {
    const std::uint64_t stored = std::min<std::uint64_t>(bytes, m_uploadRemaining);
    m_uploadRemaining -= stored;
    m_uploadReceived += stored;
    m_bodyPending = m_uploadRemaining > 0;
    if (m_uploadRemaining == 0 && m_phase == Phase::UploadBody)
        m_phase = Phase::Done;
}

bool RequestFramer::bodyPending() const noexcept {
    return m_bodyPending;
}

bool RequestFramer::keepAlive(bool responseAllows) const {
    return responseAllows && !m_bodyPending && clientKeepsAlive(m_header);
}

bool RequestFramer::clientKeepsAlive(const RequestHeader& header) {
    const auto connection = header.find(http::field::connection);
    if (connection == header.end())
        return header.version() >= 11;
    http::token_list tokens{connection->value()}; // exists() is not const in Beast 1.81
    return header.version() >= 11 ? !tokens.exists("close") : tokens.exists("keep-alive");
}

} // namespace ots::relay
