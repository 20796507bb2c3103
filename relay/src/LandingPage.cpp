#include "LandingPage.h"

#include "LandingFiles.h"

#include <sodium.h>

#include <array>
#include <string_view>

namespace ots::relay {

namespace {

// relay/landing/*, embedded by the build (relay/cmake/EmbedFiles.cmake) without a terminating NUL.
constexpr std::string_view kPage(landing::kLandingPage, sizeof(landing::kLandingPage));
constexpr std::string_view kStyle(landing::kLandingStyle, sizeof(landing::kLandingStyle));
constexpr std::string_view kScript(landing::kLandingScript, sizeof(landing::kLandingScript));
// Where the page file takes the style and the script, each once.
constexpr std::string_view kStyleSlot = "{{style}}";
constexpr std::string_view kScriptSlot = "{{script}}";

std::string sha256Base64(std::string_view text) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
    std::string out(sodium_base64_ENCODED_LEN(digest.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), digest.data(), digest.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // the terminating NUL
    return out;
}

/// page with slot replaced by text (the slot must be there: the page file is part of the build).
std::string fill(std::string page, std::string_view slot, std::string_view text) {
    const std::size_t at = page.find(slot);
    if (at != std::string::npos)
        page.replace(at, slot.size(), text);
    return page;
}

} // namespace

const LandingPage& LandingPage::instance() {
    static const LandingPage page;
    return page;
}

LandingPage::LandingPage() {
    m_html = fill(fill(std::string(kPage), kStyleSlot, kStyle), kScriptSlot, kScript);
    m_csp = "default-src 'none'; script-src 'sha256-" + sha256Base64(kScript) + "'; style-src 'sha256-" +
            sha256Base64(kStyle) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

} // namespace ots::relay
