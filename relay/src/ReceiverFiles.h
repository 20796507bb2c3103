#pragma once

// The browser receiver (SPEC §10.10): the page served at / and /s/{id}, and the scripts and style it
// loads from /web/. They are resources/web/receiver/ and the vendored libraries of
// resources/web/vendor/, embedded in the binary by the build (relay/CMakeLists.txt): a relay is one
// binary, the page it serves speaks that binary's protocol, and serving it needs no file on disk, no
// Redis and no side effect (a link-preview bot burns nothing).

#include <span>
#include <string_view>

namespace ots::relay::receiver {

struct WebFile {
    std::string_view name; ///< the path after /web/, e.g. "vendor/libsodium.js"
    std::string_view contentType;
    std::string_view bytes;
};

/// receiver_page.html, for / and /s/{id} (its name is not served under /web/).
[[nodiscard]] const WebFile& page() noexcept;
/// Every file served under /web/.
[[nodiscard]] std::span<const WebFile> webFiles() noexcept;
/// The file served at /web/NAME (compared byte for byte, no decoding), or null.
[[nodiscard]] const WebFile* webFile(std::string_view name) noexcept;
/// The Content-Security-Policy sent with the page and each of its files: exactly what the page needs.
[[nodiscard]] std::string_view contentSecurityPolicy() noexcept;

} // namespace ots::relay::receiver
