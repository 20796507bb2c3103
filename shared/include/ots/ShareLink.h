#pragma once

// The link grammar (SPEC.md §2):
//   https://HOST[:PORT]/s/<id>#<secret>          (http:// only for loopback hosts)
//   onetimeshare://HOST[:PORT]/s/<id>#<secret>   (the app scheme; the same share over https, or over
//                                                http when HOST is loopback)
// <id> is 22 and <secret> 43 characters of canonical unpadded base64url. The secret lives only in the
// fragment, which browsers and link-preview bots never send to a server.

#include "ots/Result.h"
#include "ots/SecretBuffer.h"

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace ots {

class ShareLink {
public:
    enum class Transport { Https, Http };

    /// Parses strictly; every rejection has its own Errc (Link*). Surrounding whitespace is trimmed,
    /// nothing else is repaired.
    [[nodiscard]] static Result<ShareLink> parse(std::string_view text);
    /// Builds a link; host must already be valid (a name, IPv4 or bracketless IPv6 literal). The host is
    /// checked and canonicalised exactly as parse() does (LinkBadHost), http to a non-loopback host is
    /// refused (LinkInsecureHttp), a secret that is not 32 bytes is InvalidArgument, and a port equal to
    /// the scheme default is stored as 0.
    [[nodiscard]] static Result<ShareLink> make(Transport transport, std::string host, std::uint16_t port,
                                                std::array<std::uint8_t, 16> shareId, SecretBuffer secret);

    /// https://… (or http://… for loopback relays).
    [[nodiscard]] std::string toWebUrl() const;
    /// onetimeshare://… (http for a loopback host, https otherwise); an https link to a loopback host has
    /// no app form and keeps its web URL.
    [[nodiscard]] std::string toAppUrl() const;
    /// Base URL of the relay without a trailing slash, e.g. "https://relay.example:8443".
    [[nodiscard]] std::string relayBaseUrl() const;

    [[nodiscard]] Transport transport() const noexcept { return m_transport; }
    /// Lower-case; IPv6 without brackets, in RFC 5952 canonical text.
    [[nodiscard]] const std::string& host() const noexcept { return m_host; }
    [[nodiscard]] std::uint16_t port() const noexcept { return m_port; } ///< 0 = scheme default
    [[nodiscard]] const std::array<std::uint8_t, 16>& shareId() const noexcept { return m_shareId; }
    [[nodiscard]] std::string shareIdText() const;
    [[nodiscard]] const SecretBuffer& secret() const noexcept { return m_secret; }

    /// True for localhost, 127.0.0.0/8 and ::1 — the only hosts http:// is allowed for. Any valid spelling,
    /// IPv6 with or without brackets; IPv4-mapped ::ffff:127.0.0.1 is not loopback here.
    [[nodiscard]] static bool isLoopbackHost(std::string_view host) noexcept;

private:
    ShareLink() = default;

    Transport m_transport = Transport::Https;
    std::string m_host;
    std::uint16_t m_port = 0;
    std::array<std::uint8_t, 16> m_shareId{};
    SecretBuffer m_secret;
};

} // namespace ots
