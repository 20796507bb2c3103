#include "ReceiverFiles.h"

#include "EmbeddedReceiver.h"
#include "EmbeddedVendor.h"

#include <array>

namespace ots::relay::receiver {

namespace {

constexpr std::string_view kHtml = "text/html; charset=utf-8";
constexpr std::string_view kJavaScript = "text/javascript; charset=utf-8";
constexpr std::string_view kCss = "text/css; charset=utf-8";

/// An embedded file (relay/cmake/EmbedFiles.cmake: no terminating NUL, the array is the file).
template <std::size_t N>
constexpr std::string_view bytesOf(const char (&file)[N]) noexcept {
    return {file, N};
}

// Its own scripts and style, then the libraries (the download worker's scope is /web/, where it lives).
constexpr std::array kWebFiles{
    WebFile{"receiver_style.css", kCss, bytesOf(embedded::kReceiverStyle)},
    WebFile{"receiver_main.js", kJavaScript, bytesOf(embedded::kReceiverMain)},
    WebFile{"ots_format.js", kJavaScript, bytesOf(embedded::kOtsFormat)},
    WebFile{"ots_zip.js", kJavaScript, bytesOf(embedded::kOtsZip)},
    WebFile{"download_worker.js", kJavaScript, bytesOf(embedded::kDownloadWorker)},
    WebFile{"vendor/libsodium.js", kJavaScript, bytesOf(vendor::kLibsodium)},
    WebFile{"vendor/libsodium-wrappers.js", kJavaScript, bytesOf(vendor::kLibsodiumWrappers)},
    WebFile{"vendor/argon2.umd.min.js", kJavaScript, bytesOf(vendor::kArgon2UmdMin)},
};

constexpr WebFile kPage{"receiver_page.html", kHtml, bytesOf(embedded::kReceiverPage)};

// Scripts and styles from this origin only, none inline; WebAssembly compiled by libsodium.js and
// hash-wasm ('wasm-unsafe-eval' allows WebAssembly and nothing of eval()); requests to this relay only;
// the download worker and the frame a streamed download goes through, same origin; nothing may frame
// the page, and no form or <base> can send anything elsewhere.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; frame-src 'self'; manifest-src 'none'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

} // namespace

const WebFile& page() noexcept {
    return kPage;
}

std::span<const WebFile> webFiles() noexcept {
    return kWebFiles;
}

const WebFile* webFile(std::string_view name) noexcept {
    for (const WebFile& file : kWebFiles)
        if (file.name == name)
            return &file;
    return nullptr;
}

std::string_view contentSecurityPolicy() noexcept {
    return kContentSecurityPolicy;
}

} // namespace ots::relay::receiver
