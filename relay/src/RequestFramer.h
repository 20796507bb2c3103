#pragma once

// The HTTP/1.1 framing of one request on a connection, and what the relay decides from it, without a
// socket: HttpSession feeds it the bytes it reads, and so do tests/relay/tst_request_framer.cpp and
// tests/fuzz/fuzz_relay_http.cpp, so that what they check is what the relay does.
//
// One request at a time, in phases:
//   Header     – feed() bytes until the header is in (within Config::headerLimit); then the framing
//                is checked (Api::refuseFraming: a Transfer-Encoding other than exactly "chunked" is
//                400 and closes) and the phase is Routing. A malformed header is 400, one over the
//                limit 413; both close.
//   Routing    – dispatch() asks Api::route what the request is: an answer the framer gives itself
//                (404, 405, 503 while draining, 400 when routing fails), or a route for the caller.
//                A JSON route goes on to JsonBody (413 and close when Content-Length is over
//                Config::jsonBodyLimit).
//   JsonBody   – feed() body bytes (Content-Length or chunked) until Done; then takeJsonBody().
//   UploadBody – after beginUpload(plan length) accepted the framing (exactly Content-Length bytes,
//                no Transfer-Encoding): the caller moves the body's bytes itself, at most
//                uploadRemaining() of them, straight into its own buffer (uploadPiece() picks them out
//                of bytes it already holds) and reports each stored piece with uploadStored().
//   Done / Failed – the request's framing is over; failure() is the answer (it always closes).
// feed() never takes bytes past the end of the request: what it leaves belongs to the next one. Ending
// the request (after the response) and starting the next is reset(). Whether the connection can carry
// another request after the response is keepAlive().

#include "Api.h"

#include <boost/beast/http.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ots::relay {

class RequestFramer {
public:
    enum class Phase { Header, Routing, JsonBody, UploadBody, Done, Failed };

    /// An answer the framer decides on its own, and whether the connection closes after it.
    struct Answer {
        Response response;
        bool close = false;
    };

    RequestFramer(std::size_t headerLimit, std::size_t jsonBodyLimit);

    /// Forgets the request and waits for the next header.
    void reset();

    [[nodiscard]] Phase phase() const noexcept { return m_phase; }

    /// In the Header and JsonBody phases: parses the start of `input` and returns how many bytes it
    /// used (less than all when the request ends inside `input`, or when the parser needs more to
    /// decide). Other phases use nothing. May move to Routing, Done or Failed.
    std::size_t feed(std::string_view input);

    /// The header, once the phase is past Header (empty when the header itself failed).
    [[nodiscard]] const RequestHeader& header() const noexcept { return m_header; }

    /// In the Failed phase: the answer (400 or 413, or refuseFraming's), which always closes.
    [[nodiscard]] const Answer& failure() const noexcept { return *m_failure; }

    /// What dispatch() decided: the route (for the caller's metrics and handlers), and the framer's own
    /// answer when it has one; without one the caller answers the route.
    struct Dispatch {
        Route route;
        std::optional<Answer> answer;
    };
    /// In the Routing phase: asks api.route() (which may throw: the phase then stays Routing). A JSON
    /// route moves to JsonBody, or Done at once when the body is empty, or Failed with a 413 answer when
    /// its Content-Length is over the limit.
    [[nodiscard]] Dispatch dispatch(const Api& api, bool draining);

    /// In the Done phase after a JSON body: the body, moved out.
    [[nodiscard]] std::string takeJsonBody();

    /// Whether the client asked for "100 Continue" before it sends the body.
    [[nodiscard]] bool expectsContinue() const;

    /// An upload route after Api::beginUpload gave a plan of `length` bytes: the body must be framed by
    /// a Content-Length of exactly that and no Transfer-Encoding. Accepted: the phase is UploadBody (or
    /// Done when length is 0). Refused: the answer to give once the plan is finished (400, closes).
    [[nodiscard]] std::optional<Answer> beginUpload(std::uint64_t length);
    /// The upload body's bytes not received yet.
    [[nodiscard]] std::uint64_t uploadRemaining() const noexcept { return m_uploadRemaining; }
    /// The upload body's bytes stored so far.
    [[nodiscard]] std::uint64_t uploadReceived() const noexcept { return m_uploadReceived; }
    /// How much of `room` bytes a read straight into the caller's buffer may take.
    [[nodiscard]] std::size_t uploadWant(std::size_t room) const noexcept;
    /// The start of `input` that belongs to the upload body (the rest is the next request's).
    [[nodiscard]] std::string_view uploadPiece(std::string_view input) const noexcept {
        return input.substr(0, uploadWant(input.size()));
    }
    /// `bytes` more of the body are stored (at most uploadRemaining()); Done when none remain.
    void uploadStored(std::size_t bytes) noexcept;

    /// Body bytes of this request that were not read: the connection cannot carry another request.
    [[nodiscard]] bool bodyPending() const noexcept;

    /// Whether the connection stays open after a response that allows it (Response::keep_alive()) and
    /// is not meant to close: never with body bytes pending, otherwise as the client asked.
    [[nodiscard]] bool keepAlive(bool responseAllows) const;

    /// What message::keep_alive() says, for a bare request header: HTTP/1.1 unless "Connection: close",
    /// HTTP/1.0 only with "Connection: keep-alive".
    [[nodiscard]] static bool clientKeepsAlive(const RequestHeader& header);

private:
    using HeaderParser = http::request_parser<http::empty_body>;
    using JsonParser = http::request_parser<http::string_body>;

    void fail(http::status status, std::string_view code, std::string_view message);
    template <class Parser>
    std::size_t parse(Parser& parser, std::string_view input, bool headerOnly,
                      boost::beast::error_code& error);
    void onHeader();

    std::size_t m_headerLimit;
    std::size_t m_jsonBodyLimit;
    Phase m_phase = Phase::Header;
    std::optional<HeaderParser> m_headerParser;
    std::optional<JsonParser> m_jsonParser;
    RequestHeader m_header;
    std::optional<Answer> m_failure;
    std::string m_jsonBody;
    bool m_bodyPending = false;
    std::uint64_t m_uploadRemaining = 0;
    std::uint64_t m_uploadReceived = 0;
};

} // namespace ots::relay
