// The browser receiver's page and files (SPEC §10.10): the same bytes for every request, from the
// binary itself (ReceiverFiles.h); no Redis, no disk, no side effect.

#include "ReceiverFiles.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"

namespace ots::relay::handlers {

namespace {

Response serve(const Exchange& exchange, const receiver::WebFile& file) {
    Response response = baseResponse(exchange.header, http::status::ok); // no-store, no-referrer, nosniff
    response.set(http::field::content_type, file.contentType);
    response.set("Content-Security-Policy", receiver::contentSecurityPolicy());
    response.set("Cross-Origin-Opener-Policy", "same-origin");
    response.set(http::field::x_frame_options, "DENY");
    if (exchange.header.method() == http::verb::head) {
        // The length a GET would carry, without the body (RFC 9110 §9.3.2).
        response.content_length(file.bytes.size());
        return response;
    }
    response.body().assign(file.bytes);
    response.prepare_payload();
    return response;
}

} // namespace

Response receiverPage(const Exchange& exchange) {
    return serve(exchange, receiver::page());
}

Response webFile(const Exchange& exchange) {
    if (exchange.route.webFile == nullptr) // a route made by hand, not by matchRoute
        return notFound(exchange.header);
    return serve(exchange, *exchange.route.webFile);
}

} // namespace ots::relay::handlers
