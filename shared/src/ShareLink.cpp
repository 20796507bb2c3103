#include "ots/ShareLink.h"

#include "ots/Base64Url.h"
#include "ots/Format.h"

#include <charconv>
#include <cstddef>
#include <limits>
#include <span>
#include <utility>

// A hand-written parser rather than std::regex or a URL library: the grammar is tiny, each rejection
// must map to exactly one Errc, and a general URL parser "repairs" inputs (backslashes, tabs,
// percent-decoding, numeric hosts like 0x7f.1) in ways that would give one share several spellings
// or let a crafted link point somewhere other than it appears to.

namespace ots {

namespace {

using Ipv4Address = std::array<std::uint8_t, 4>;
using Ipv6Address = std::array<std::uint16_t, 8>;

constexpr std::string_view kHttpsScheme = "https";
constexpr std::string_view kHttpScheme = "http";
constexpr std::string_view kSchemeSeparator = "://";
constexpr std::string_view kSharePathPrefix = "/s/";
constexpr std::string_view kLocalhost = "localhost";
constexpr std::uint16_t kHttpsDefaultPort = 443;
constexpr std::uint16_t kHttpDefaultPort = 80;
constexpr std::size_t kMaxHostNameChars = 253; // RFC 1035 §2.3.4, without the trailing dot
constexpr std::size_t kMaxLabelChars = 63;
constexpr std::size_t kMaxPortDigits = 5;
constexpr std::size_t kNoCompression = std::numeric_limits<std::size_t>::max();
// "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" is the longest canonical IPv6 text.
constexpr std::size_t kMaxIpv6TextChars = 39;

[[nodiscard]] bool isAsciiWhitespace(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}
[[nodiscard]] bool isPrintable(char c) noexcept {
    return c >= '!' && c <= '~';
}
[[nodiscard]] bool isDigit(char c) noexcept {
    return c >= '0' && c <= '9';
}
[[nodiscard]] bool isAlpha(char c) noexcept {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
[[nodiscard]] int hexValue(char c) noexcept {
    if (isDigit(c))
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

[[nodiscard]] char toLowerAscii(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

[[nodiscard]] bool equalsIgnoreCase(std::string_view a, std::string_view b) noexcept {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
        if (toLowerAscii(a[i]) != toLowerAscii(b[i]))
            return false;
    }
    return true;
}

[[nodiscard]] std::string_view trimWhitespace(std::string_view text) noexcept {
    while (!text.empty() && isAsciiWhitespace(text.front()))
        text.remove_prefix(1);
    while (!text.empty() && isAsciiWhitespace(text.back()))
        text.remove_suffix(1);
    return text;
}

[[nodiscard]] std::uint16_t defaultPort(ShareLink::Transport transport) noexcept {
    return transport == ShareLink::Transport::Http ? kHttpDefaultPort : kHttpsDefaultPort;
}

// Strict dotted quad: exactly four decimal parts 0–255 without leading zeros. inet_aton's forms
// (0x7f.1, 0177.0.0.1, 127.1) are refused because they read as different addresses to different parsers.
[[nodiscard]] bool parseIpv4(std::string_view text, Ipv4Address& out) noexcept {
    std::size_t i = 0;
    for (std::size_t part = 0; part < out.size(); ++part) {
        if (part > 0) {
            if (i >= text.size() || text[i] != '.')
                return false;
            ++i;
        }
        const std::size_t start = i;
        unsigned value = 0;
        while (i < text.size() && isDigit(text[i]) && i - start < 3) {
            value = value * 10 + static_cast<unsigned>(text[i] - '0');
            ++i;
        }
        const std::size_t length = i - start;
        if (length == 0 || (length > 1 && text[start] == '0') || value > 255)
            return false;
        out[part] = static_cast<std::uint8_t>(value);
    }
    return i == text.size();
}

// RFC 4291 §2.2 text forms, following the WHATWG URL Standard's IPv6 parser: 1–4 hex digits per group,
// at most one "::" (standing for one or more zero groups), an optional dotted-quad tail in the last
// 32 bits. Zone ids ("%eth0") are not part of the grammar and fail on the '%'.
[[nodiscard]] bool parseIpv6(std::string_view text, Ipv6Address& out) noexcept {
    out.fill(0);
    const std::size_t n = text.size();
    std::size_t i = 0;
    std::size_t piece = 0;
    std::size_t compress = kNoCompression;
    if (n == 0)
        return false;
    if (text[0] == ':') {
        if (n < 2 || text[1] != ':')
            return false;
        i = 2;
        piece = 1;
        compress = piece;
    }
    while (i < n) {
        if (piece == out.size())
            return false;
        if (text[i] == ':') {
            if (compress != kNoCompression)
                return false;
            ++i;
            ++piece;
            compress = piece;
            continue;
        }
        unsigned value = 0;
        std::size_t length = 0;
        while (length < 4 && i < n && hexValue(text[i]) >= 0) {
            value = value * 16 + static_cast<unsigned>(hexValue(text[i]));
            ++i;
            ++length;
        }
        if (length == 0)
            return false;
        if (i < n && text[i] == '.') {
            Ipv4Address tail{};
            if (piece > out.size() - 2 || !parseIpv4(text.substr(i - length), tail))
                return false;
            out[piece++] = static_cast<std::uint16_t>((tail[0] << 8) | tail[1]);
            out[piece++] = static_cast<std::uint16_t>((tail[2] << 8) | tail[3]);
            break;
        }
        if (i < n) {
            if (text[i] != ':')
                return false;
            ++i;
            if (i == n)
                return false; // a single trailing ':'
        }
        out[piece++] = static_cast<std::uint16_t>(value);
    }
    if (compress == kNoCompression)
        return piece == out.size();
    // Move the groups written after "::" to the end; the gap stays zero.
    std::size_t swaps = piece - compress;
    std::size_t index = out.size() - 1;
    while (index != 0 && swaps > 0) {
        std::swap(out[index], out[compress + swaps - 1]);
        --index;
        --swaps;
    }
    return true;
}

void appendNumber(std::string& out, unsigned value, int base) {
    std::array<char, 8> digits{};
    const auto converted = std::to_chars(digits.data(), digits.data() + digits.size(), value, base);
    out.append(digits.data(), converted.ptr);
}

// RFC 5952 §4 canonical text: lower-case hex without leading zeros, the first longest run of two or
// more zero groups as "::", and dotted-quad notation for IPv4-mapped addresses (§5).
void appendIpv6(std::string& out, const Ipv6Address& address) {
    const bool ipv4Mapped = address[0] == 0 && address[1] == 0 && address[2] == 0 && address[3] == 0 &&
                            address[4] == 0 && address[5] == 0xffff;
    if (ipv4Mapped) {
        out += "::ffff:";
        appendNumber(out, static_cast<unsigned>(address[6]) >> 8U, 10);
        out += '.';
        appendNumber(out, static_cast<unsigned>(address[6]) & 0xffU, 10);
        out += '.';
        appendNumber(out, static_cast<unsigned>(address[7]) >> 8U, 10);
        out += '.';
        appendNumber(out, static_cast<unsigned>(address[7]) & 0xffU, 10);
        return;
    }

    std::size_t bestStart = address.size();
    std::size_t bestLength = 1; // a single zero group is never compressed
    for (std::size_t i = 0; i < address.size();) {
        if (address[i] != 0) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < address.size() && address[end] == 0)
            ++end;
        if (end - i > bestLength) {
            bestStart = i;
            bestLength = end - i;
        }
        i = end;
    }

    bool afterCompression = false;
    for (std::size_t i = 0; i < address.size();) {
        if (i == bestStart) {
            out += "::";
            i += bestLength;
            afterCompression = true;
            continue;
        }
        if (i != 0 && !afterCompression)
            out += ':';
        afterCompression = false;
        appendNumber(out, address[i], 16);
        ++i;
    }
}

// A DNS name: dot-separated labels of 1–63 letters, digits and hyphens, no label starting or ending
// with a hyphen, at most 253 characters. The trailing-dot form is refused so a host has one spelling.
[[nodiscard]] bool isHostName(std::string_view text) noexcept {
    if (text.empty() || text.size() > kMaxHostNameChars)
        return false;
    std::size_t labelStart = 0;
    for (std::size_t i = 0; i <= text.size(); ++i) {
        if (i == text.size() || text[i] == '.') {
            const std::string_view label = text.substr(labelStart, i - labelStart);
            if (label.empty() || label.size() > kMaxLabelChars || label.front() == '-' || label.back() == '-')
                return false;
            labelStart = i + 1;
        } else if (!isAlpha(text[i]) && !isDigit(text[i]) && text[i] != '-') {
            return false;
        }
    }
    return true;
}

// The WHATWG URL Standard reads a host whose last label is a number ("1.2.3", "foo.0x10") as an IPv4
// address. No real top-level domain is numeric, so such a name is only ever an address in disguise.
[[nodiscard]] bool endsInNumber(std::string_view name) noexcept {
    const std::size_t lastDot = name.rfind('.');
    std::string_view label = lastDot == std::string_view::npos ? name : name.substr(lastDot + 1);
    if (label.size() >= 2 && label[0] == '0' && (label[1] == 'x' || label[1] == 'X')) {
        label.remove_prefix(2);
        for (char c : label) {
            if (hexValue(c) < 0)
                return false;
        }
        return true;
    }
    if (label.empty())
        return false;
    for (char c : label) {
        if (!isDigit(c))
            return false;
    }
    return true;
}

// Validates a host (a name, a dotted quad, or - when ipv6 is set - an IPv6 literal without brackets)
// and rewrites it in place in its canonical spelling: lower case, IPv6 in RFC 5952 form.
[[nodiscard]] bool normaliseHost(std::string& host, bool ipv6) {
    if (ipv6) {
        Ipv6Address address{};
        if (!parseIpv6(host, address))
            return false;
        host.clear();
        host.reserve(kMaxIpv6TextChars); // one allocation at most, however the text grows
        appendIpv6(host, address);
        return true;
    }
    Ipv4Address address{};
    if (!parseIpv4(host, address) && (!isHostName(host) || endsInNumber(host)))
        return false;
    for (char& c : host)
        c = toLowerAscii(c);
    return true;
}

// 1–5 decimal digits, 1..65535, no leading zero: one spelling per port.
[[nodiscard]] bool parsePort(std::string_view digits, std::uint16_t& out) noexcept {
    if (digits.empty() || digits.size() > kMaxPortDigits || digits[0] == '0')
        return false;
    unsigned value = 0;
    for (char c : digits) {
        if (!isDigit(c))
            return false;
        value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value > std::numeric_limits<std::uint16_t>::max())
        return false;
    out = static_cast<std::uint16_t>(value);
    return true;
}

struct PortText {
    std::array<char, kMaxPortDigits> digits{};
    std::size_t size = 0;

    [[nodiscard]] std::string_view view() const noexcept { return {digits.data(), size}; }
};

[[nodiscard]] PortText portText(std::uint16_t port) noexcept {
    PortText text;
    if (port != 0) {
        const auto converted =
            std::to_chars(text.digits.data(), text.digits.data() + text.digits.size(), port);
        text.size = static_cast<std::size_t>(converted.ptr - text.digits.data());
    }
    return text;
}

[[nodiscard]] std::size_t originLength(std::string_view scheme, std::string_view host,
                                       std::string_view port) noexcept {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    return scheme.size() + kSchemeSeparator.size() + host.size() + (ipv6 ? std::size_t{2} : std::size_t{0}) +
           (port.empty() ? std::size_t{0} : 1 + port.size());
}

void appendOrigin(std::string& out, std::string_view scheme, std::string_view host, std::string_view port) {
    const bool ipv6 = host.find(':') != std::string_view::npos;
    out += scheme;
    out += kSchemeSeparator;
    if (ipv6)
        out += '[';
    out += host;
    if (ipv6)
        out += ']';
    if (!port.empty()) {
        out += ':';
        out += port;
    }
}

[[nodiscard]] std::string shareUrl(std::string_view scheme, std::string_view host, std::uint16_t port,
                                   std::span<const std::uint8_t> shareId,
                                   std::span<const std::uint8_t> secret) {
    const PortText portDigits = portText(port);
    const std::size_t length = originLength(scheme, host, portDigits.view()) + kSharePathPrefix.size() +
                               base64url::encodedLength(shareId.size()) + 1 +
                               base64url::encodedLength(secret.size());
    std::string url;
    url.reserve(length + 1); // +1: sodium_bin2base64 writes a NUL after the last encoding
    appendOrigin(url, scheme, host, portDigits.view());
    url += kSharePathPrefix;
    base64url::appendTo(url, shareId);
    url += '#';
    base64url::appendTo(url, secret);
    return url;
}

[[nodiscard]] std::string_view webScheme(ShareLink::Transport transport) noexcept {
    return transport == ShareLink::Transport::Http ? kHttpScheme : kHttpsScheme;
}

} // namespace

Result<ShareLink> ShareLink::parse(std::string_view text) {
    text = trimWhitespace(text);
    if (text.empty())
        return Errc::LinkEmpty;
    if (text.size() > format::kMaxLinkLength)
        return Errc::LinkTooLong;

    const std::size_t schemeEnd = text.find(kSchemeSeparator);
    if (schemeEnd == std::string_view::npos)
        return Errc::LinkBadScheme;
    const std::string_view scheme = text.substr(0, schemeEnd);
    ShareLink link;
    const bool appScheme = equalsIgnoreCase(scheme, format::kAppScheme);
    if (appScheme || equalsIgnoreCase(scheme, kHttpsScheme))
        link.m_transport = Transport::Https;
    else if (equalsIgnoreCase(scheme, kHttpScheme))
        link.m_transport = Transport::Http;
    else
        return Errc::LinkBadScheme;

    // Split as RFC 3986 does: the first '#' starts the fragment, then the first '/' or '?' ends the
    // authority, then the first '?' starts the query.
    const std::string_view rest = text.substr(schemeEnd + kSchemeSeparator.size());
    const std::size_t hash = rest.find('#');
    const std::string_view beforeFragment = rest.substr(0, hash);
    const std::size_t authorityEnd = beforeFragment.find_first_of("/?");
    const std::string_view authority = beforeFragment.substr(0, authorityEnd);
    const std::string_view pathAndQuery =
        authorityEnd == std::string_view::npos ? std::string_view{} : beforeFragment.substr(authorityEnd);
    const std::size_t question = pathAndQuery.find('?');
    const std::string_view path = pathAndQuery.substr(0, question);

    // Authority. "https://relay.example@evil.example/" shows one host and opens another.
    if (authority.find('@') != std::string_view::npos)
        return Errc::LinkHasUserInfo;
    std::string_view hostText;
    std::string_view afterHost;
    const bool bracketed = !authority.empty() && authority.front() == '[';
    if (bracketed) {
        const std::size_t close = authority.find(']');
        if (close == std::string_view::npos)
            return Errc::LinkBadHost;
        hostText = authority.substr(1, close - 1);
        afterHost = authority.substr(close + 1);
        if (!afterHost.empty() && afterHost.front() != ':')
            return Errc::LinkBadHost;
    } else {
        const std::size_t colon = authority.find(':');
        hostText = authority.substr(0, colon);
        afterHost = colon == std::string_view::npos ? std::string_view{} : authority.substr(colon);
        // A second ':' means an IPv6 literal without its brackets, which is ambiguous with a port.
        if (afterHost.find(':', 1) != std::string_view::npos)
            return Errc::LinkBadHost;
    }
    link.m_host.assign(hostText);
    if (!normaliseHost(link.m_host, bracketed))
        return Errc::LinkBadHost;
    // The app form names the transport through the host: http for a loopback host (a local relay),
    // https for every other one. Decided before the port, whose default depends on it.
    if (appScheme && isLoopbackHost(link.m_host))
        link.m_transport = Transport::Http;
    if (!afterHost.empty()) {
        if (!parsePort(afterHost.substr(1), link.m_port))
            return Errc::LinkBadPort;
        if (link.m_port == defaultPort(link.m_transport))
            link.m_port = 0;
    }
    // Plain http is only safe where the traffic never leaves the machine.
    if (link.m_transport == Transport::Http && !isLoopbackHost(link.m_host))
        return Errc::LinkInsecureHttp;

    // Path: exactly "/s/" and one segment. Percent-encoding would give one id several spellings.
    if (path.substr(0, kSharePathPrefix.size()) != kSharePathPrefix)
        return Errc::LinkBadPath;
    const std::string_view idText = path.substr(kSharePathPrefix.size());
    if (idText.empty())
        return Errc::LinkBadPath;
    // A dot segment is path syntax, not an id: URL libraries remove it (RFC 3986 §5.2.4).
    if (idText == "." || idText == "..")
        return Errc::LinkBadPath;
    for (char c : idText) {
        if (c == '/' || c == '%' || !isPrintable(c))
            return Errc::LinkBadPath;
    }
    if (!base64url::decodeInto(idText, link.m_shareId))
        return Errc::LinkBadShareId;

    // A query is never part of a share link; whatever it carries, someone else put it there.
    if (question != std::string_view::npos)
        return Errc::LinkHasQuery;

    if (hash == std::string_view::npos || hash + 1 == rest.size())
        return Errc::LinkMissingSecret;
    auto secret = base64url::decodeSecret(rest.substr(hash + 1), format::kLinkSecretBytes);
    if (!secret.ok())
        return Errc::LinkBadSecret;
    link.m_secret = std::move(secret).value();
    return link;
}

Result<ShareLink> ShareLink::make(Transport transport, std::string host, std::uint16_t port,
                                  std::array<std::uint8_t, 16> shareId, SecretBuffer secret) {
    ShareLink link;
    link.m_transport = transport;
    const bool ipv6 = host.find(':') != std::string::npos;
    link.m_host = std::move(host);
    if (!normaliseHost(link.m_host, ipv6))
        return Errc::LinkBadHost;
    if (transport == Transport::Http && !isLoopbackHost(link.m_host))
        return Errc::LinkInsecureHttp;
    if (secret.size() != format::kLinkSecretBytes)
        return Errc::InvalidArgument;
    link.m_port = port == defaultPort(transport) ? std::uint16_t{0} : port;
    link.m_shareId = shareId;
    link.m_secret = std::move(secret);
    return link;
}

std::string ShareLink::toWebUrl() const {
    return shareUrl(webScheme(m_transport), m_host, m_port, m_shareId, m_secret.span());
}

std::string ShareLink::toAppUrl() const {
    // The app form means http for a loopback host and https for any other, so an https relay on a
    // loopback host can only be named by its web URL.
    if (m_transport == Transport::Https && isLoopbackHost(m_host))
        return toWebUrl();
    return shareUrl(format::kAppScheme, m_host, m_port, m_shareId, m_secret.span());
}

std::string ShareLink::relayBaseUrl() const {
    const std::string_view scheme = webScheme(m_transport);
    const PortText portDigits = portText(m_port);
    std::string url;
    url.reserve(originLength(scheme, m_host, portDigits.view()));
    appendOrigin(url, scheme, m_host, portDigits.view());
    return url;
}

std::string ShareLink::shareIdText() const {
    return base64url::encode(m_shareId);
}

bool ShareLink::isLoopbackHost(std::string_view host) noexcept {
    if (equalsIgnoreCase(host, kLocalhost))
        return true;
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    if (host.find(':') != std::string_view::npos) {
        Ipv6Address address{};
        return parseIpv6(host, address) && address == Ipv6Address{0, 0, 0, 0, 0, 0, 0, 1};
    }
    Ipv4Address address{};
    return parseIpv4(host, address) && address[0] == 127;
}

} // namespace ots
