#include "LandingPage.h"

#include <sodium.h>

#include <array>
#include <string_view>

namespace ots::relay {

namespace {

constexpr std::string_view kStyle = R"css(
:root { color-scheme: light dark; font-family: system-ui, sans-serif; }
body { max-width: 36rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
h1 { font-size: 1.4rem; }
.open { display: inline-block; padding: .7rem 1.2rem; border-radius: .4rem; background: #2563eb;
        color: #fff; text-decoration: none; font-weight: 600; }
input { width: 100%; font-family: ui-monospace, monospace; padding: .4rem; box-sizing: border-box; }
.note { font-size: .9rem; opacity: .8; }
)css";

// The fragment (the link secret) is read here, in the browser, and never sent anywhere: the page
// loads nothing, and the CSP forbids connections anyway.
constexpr std::string_view kScript = R"js(
(function () {
  var path = /^\/s\/([A-Za-z0-9_-]{22})$/.exec(location.pathname);
  if (!path) return;
  var secret = /^#([A-Za-z0-9_-]{43})$/.exec(location.hash);
  document.getElementById('relay').hidden = true;
  if (!secret) { document.getElementById('broken').hidden = false; return; }
  // onetimeshare:// means http for a loopback host and https for any other (SPEC.md 2.1), so this
  // page's own address has an app form only when its protocol is the one its host implies.
  var host = location.hostname.toLowerCase();
  var loopback = host === 'localhost' || host === '[::1]' || /^127(\.[0-9]{1,3}){3}$/.test(host);
  if ((location.protocol === 'https:') !== loopback) {
    document.getElementById('open').href = 'onetimeshare://' + location.host + '/s/' + path[1] + '#' + secret[1];
  } else {
    document.getElementById('offer').hidden = true;
    document.getElementById('fallback').hidden = true;
    document.getElementById('paste').hidden = false;
  }
  document.getElementById('link').value = location.href;
  document.getElementById('share').hidden = false;
})();
)js";

std::string sha256Base64(std::string_view text) {
    std::array<unsigned char, crypto_hash_sha256_BYTES> digest{};
    crypto_hash_sha256(digest.data(), reinterpret_cast<const unsigned char*>(text.data()), text.size());
    std::string out(sodium_base64_ENCODED_LEN(digest.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), digest.data(), digest.size(), sodium_base64_VARIANT_ORIGINAL);
    out.resize(out.size() - 1); // the terminating NUL
    return out;
}

} // namespace

const LandingPage& LandingPage::instance() {
    static const LandingPage page;
    return page;
}

LandingPage::LandingPage() {
    m_html = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>OneTimeShare</title>
<style>)html";
    m_html += kStyle;
    m_html += R"html(</style>
</head>
<body>
<h1>OneTimeShare</h1>
<div id="share" hidden>
<p>Someone sent you an end-to-end encrypted share. It opens in the OneTimeShare app, which downloads
and decrypts it on your computer. This page cannot read it, and neither can the relay.</p>
<p id="offer"><a id="open" class="open" href="#">Open in OneTimeShare</a></p>
<p id="fallback">If nothing happens, copy the whole link and paste it into the app:</p>
<p id="paste" hidden>Copy the whole link and paste it into the app's Receive page:</p>
<p><input id="link" readonly aria-label="Share link"></p>
<p class="note">The share may allow only one download: opening it in the app uses it up.</p>
</div>
<div id="broken" hidden>
<p>This link is incomplete: the part after <code>#</code> is missing or damaged, and without it the share
cannot be decrypted. Ask the sender to copy the whole link again.</p>
</div>
<div id="relay">
<p>This is a OneTimeShare relay. It stores encrypted shares it cannot read and deletes them after
they are downloaded or expire.</p>
</div>
<h2>Getting the app</h2>
<p>OneTimeShare is a desktop app for Linux, Windows and macOS. Install it from the project's release
page or your distribution's package, then open the link again.</p>
<noscript><p class="note">Without JavaScript, copy the address of this page, including the part after
<code>#</code>, and paste it into the app.</p></noscript>
<script>)html";
    m_html += kScript;
    m_html += R"html(</script>
</body>
</html>
)html";

    m_csp = "default-src 'none'; script-src 'sha256-" + sha256Base64(kScript) + "'; style-src 'sha256-" +
            sha256Base64(kStyle) + "'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
}

} // namespace ots::relay
