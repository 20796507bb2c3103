#include "ClientAddress.h"

#include <algorithm>
#include <charconv>

namespace ots::relay {

namespace asio = boost::asio;

namespace {

std::string_view trimOws(std::string_view text) noexcept {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
        text.remove_prefix(1);
    while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
        text.remove_suffix(1);
    return text;
}

bool isPort(std::string_view text) noexcept {
    unsigned value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    return error == std::errc{} && end == text.data() + text.size() && value <= 65535;
}

asio::ip::address normalized(const asio::ip::address& address) noexcept {
    if (address.is_v6() && address.to_v6().is_v4_mapped())
        return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6());
    return address;
}

std::array<std::uint8_t, 16> mappedBytes(const asio::ip::address& address) noexcept {
    if (address.is_v4())
        return asio::ip::make_address_v6(asio::ip::v4_mapped, address.to_v4()).to_bytes();
    return address.to_v6().to_bytes();
}

} // namespace

bool ClientAddress::parseAddress(std::string_view text, asio::ip::address& out) noexcept {
    text = trimOws(text);
    std::string_view host = text;
    if (text.starts_with('[')) {
        const std::size_t close = text.find(']');
        if (close == std::string_view::npos)
            return false;
        host = text.substr(1, close - 1);
        const std::string_view rest = text.substr(close + 1);
        if (!rest.empty() && (rest.front() != ':' || !isPort(rest.substr(1))))
            return false;
    } else if (std::count(text.begin(), text.end(), ':') == 1) {
        const std::size_t colon = text.find(':');
        if (!isPort(text.substr(colon + 1)))
            return false;
        host = text.substr(0, colon);
    }
    if (host.empty())
        return false;
    boost::system::error_code error;
    const asio::ip::address address = asio::ip::make_address(std::string(host), error);
    if (error)
        return false;
    out = normalized(address);
    return true;
}

Result<ClientAddress> ClientAddress::fromTrustedProxies(const std::vector<std::string>& cidrs,
                                                        unsigned ipv6Prefix) {
    if (ipv6Prefix < kMinIpv6Prefix || ipv6Prefix > kMaxIpv6Prefix)
        return Error{Errc::InvalidArgument, "the IPv6 client prefix must be " +
                                                std::to_string(kMinIpv6Prefix) + "…" +
                                                std::to_string(kMaxIpv6Prefix) + " bits"};
    ClientAddress result;
    result.m_ipv6Prefix = ipv6Prefix;
    for (const std::string& entry : cidrs) {
        const std::string_view text = trimOws(entry);
        const std::size_t slash = text.find('/');
        asio::ip::address base;
        boost::system::error_code error;
        base = asio::ip::make_address(std::string(text.substr(0, slash)), error);
        if (error)
            return Error{Errc::InvalidArgument,
                         "trusted proxy \"" + entry + "\" is not an IP address or CIDR"};
        unsigned prefix = base.is_v4() ? 32 : 128;
        if (slash != std::string_view::npos) {
            const std::string_view digits = text.substr(slash + 1);
            const auto [end, parseError] =
                std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
            if (digits.empty() || parseError != std::errc{} || end != digits.data() + digits.size() ||
                prefix > (base.is_v4() ? 32u : 128u))
                return Error{Errc::InvalidArgument,
                             "trusted proxy \"" + entry + "\" has a bad prefix length"};
        }
        // "::ffff:10.0.0.0/104" is the IPv4 network 10.0.0.0/8; peers arrive normalised to IPv4.
        if (base.is_v6() && base.to_v6().is_v4_mapped() && prefix >= 96) {
            base = normalized(base);
            prefix -= 96;
        }
        Network network{mappedBytes(base), base.is_v4() ? prefix + 96 : prefix, base.is_v4()};
        Network masked = network;
        for (unsigned bit = network.prefixLength; bit < 128; ++bit)
            masked.bytes[bit / 8] = static_cast<std::uint8_t>(masked.bytes[bit / 8] & ~(0x80u >> (bit % 8)));
        if (masked.bytes != network.bytes)
            return Error{Errc::InvalidArgument,
                         "trusted proxy \"" + entry + "\" has bits set below its prefix length"};
        result.m_trusted.push_back(network);
    }
    return result;
}

bool ClientAddress::contains(const Network& network, const std::array<std::uint8_t, 16>& address,
                             bool addressIsV4) noexcept {
    // Families never mix: "::/0" means every IPv6 client, not every client.
    if (network.v4 != addressIsV4)
        return false;
    const unsigned fullBytes = network.prefixLength / 8;
    if (!std::equal(network.bytes.begin(), network.bytes.begin() + fullBytes, address.begin()))
        return false;
    const unsigned restBits = network.prefixLength % 8;
    if (restBits == 0)
        return true;
    const auto mask = static_cast<std::uint8_t>(0xFFu << (8 - restBits));
    return (network.bytes[fullBytes] & mask) == (address[fullBytes] & mask);
}

bool ClientAddress::isTrusted(const asio::ip::address& address) const noexcept {
    const asio::ip::address candidate = normalized(address);
    const std::array<std::uint8_t, 16> bytes = mappedBytes(candidate);
    return std::any_of(m_trusted.begin(), m_trusted.end(),
                       [&](const Network& network) { return contains(network, bytes, candidate.is_v4()); });
}

std::string ClientAddress::resolve(const asio::ip::address& peer, std::string_view forwardedFor) const {
    return resolveAddress(peer, forwardedFor).to_string();
}

std::string ClientAddress::resolve(const asio::ip::address& peer,
                                   const boost::beast::http::fields& header) const {
    return resolveAddress(peer, header).to_string();
}

std::string ClientAddress::clientBucket(const asio::ip::address& peer,
                                        const boost::beast::http::fields& header) const {
    return bucketOf(resolveAddress(peer, header), m_ipv6Prefix);
}

std::string ClientAddress::peerBucket(const asio::ip::address& peer) const {
    return bucketOf(peer, m_ipv6Prefix);
}

std::string ClientAddress::bucketOf(const asio::ip::address& address, unsigned ipv6Prefix) {
    const asio::ip::address client = normalized(address);
    if (client.is_v4())
        return client.to_string();
    const unsigned prefix = std::clamp(ipv6Prefix, 0u, 128u);
    asio::ip::address_v6::bytes_type bytes = client.to_v6().to_bytes();
    for (unsigned bit = prefix; bit < 128; ++bit)
        bytes[bit / 8] = static_cast<std::uint8_t>(bytes[bit / 8] & ~(0x80u >> (bit % 8)));
    // The scope id (fe80::1%eth0) names an interface, not a client: dropped with the host bits.
    return asio::ip::make_address_v6(bytes).to_string() + "/" + std::to_string(prefix);
}

asio::ip::address ClientAddress::resolveAddress(const asio::ip::address& peer,
                                                std::string_view forwardedFor) const {
    asio::ip::address current = normalized(peer);
    if (forwardedFor.empty() || !isTrusted(current))
        return current;
    // Walk from the hop nearest to us towards the client; stop at the first address that is not a
    // proxy of ours. An entry that does not parse ends the walk: nothing left of it can be trusted,
    // so the last trusted hop stands in for the client.
    while (!forwardedFor.empty()) {
        const std::size_t comma = forwardedFor.rfind(',');
        const std::string_view entry =
            trimOws(comma == std::string_view::npos ? forwardedFor : forwardedFor.substr(comma + 1));
        forwardedFor = comma == std::string_view::npos ? std::string_view{} : forwardedFor.substr(0, comma);
        if (entry.empty())
            continue;
        asio::ip::address hop;
        if (!parseAddress(entry, hop))
            break;
        current = hop;
        if (!isTrusted(current))
            break;
    }
    return current;
}

asio::ip::address ClientAddress::resolveAddress(const asio::ip::address& peer,
                                                const boost::beast::http::fields& header) const {
    if (m_trusted.empty())
        return normalized(peer);
    std::string joined;
    const auto range = header.equal_range("X-Forwarded-For");
    for (auto field = range.first; field != range.second; ++field) {
        if (!joined.empty())
            joined.push_back(',');
        joined.append(field->value());
    }
    return resolveAddress(peer, joined);
}

} // namespace ots::relay
