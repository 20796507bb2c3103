#pragma once

// The page a browser sees for /s/{id} and /: static HTML, the same bytes for every share, so serving
// it needs no Redis and has no side effects (link-preview bots burn nothing). Its one inline script
// reads the fragment in the browser, where it stays, and offers the onetimeshare:// link when that
// link means the page's own transport (SPEC.md §2.1). The Content-Security-Policy allows exactly that
// script and the one inline style, by SHA-256 hash. The page, its style and its script are files of
// their own in relay/landing/, embedded by the build.

#include <string>

namespace ots::relay {

class LandingPage {
public:
    /// Built once, on first use (thread-safe).
    [[nodiscard]] static const LandingPage& instance();

    [[nodiscard]] const std::string& html() const noexcept { return m_html; }
    [[nodiscard]] const std::string& contentSecurityPolicy() const noexcept { return m_csp; }

private:
    LandingPage();

    std::string m_html;
    std::string m_csp;
};

} // namespace ots::relay
