// libFuzzer target for the link grammar: parse arbitrary bytes and, whenever a link is accepted,
// parse-and-rewrite it. Both printed forms must parse back to the same fields, and printing the
// reparsed link must give the same bytes again: one share, one spelling.

#include "ots/Crypto.h"
#include "ots/ShareLink.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void require(bool condition) {
    if (!condition)
        std::abort();
}

void requireSameLink(const ots::ShareLink& a, const ots::ShareLink& b) {
    require(a.transport() == b.transport());
    require(a.host() == b.host());
    require(a.port() == b.port());
    require(a.shareId() == b.shareId());
    require(a.secret().equals(b.secret().span()));
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int* /*argc*/, char*** /*argv*/) {
    require(ots::initialize().ok());
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto link = ots::ShareLink::parse(text);
    if (!link.ok()) {
        require(link.code() != ots::Errc::None);
        return 0;
    }

    const std::string web = link->toWebUrl();
    const auto fromWeb = ots::ShareLink::parse(web);
    require(fromWeb.ok());
    requireSameLink(*fromWeb, *link);
    require(fromWeb->toWebUrl() == web);

    const std::string app = link->toAppUrl();
    const auto fromApp = ots::ShareLink::parse(app);
    require(fromApp.ok());
    requireSameLink(*fromApp, *link);
    require(fromApp->toWebUrl() == web);
    require(fromApp->toAppUrl() == app);

    const std::string base = link->relayBaseUrl();
    require(web.compare(0, base.size(), base) == 0 && web.compare(base.size(), 3, "/s/") == 0);
    require(ots::ShareLink::isLoopbackHost(link->host()) ||
            link->transport() == ots::ShareLink::Transport::Https);
    return 0;
}
