#pragma once

// Who is the client? The TCP peer, unless the peer is a reverse proxy we were told to trust: then
// X-Forwarded-For says, and only its right-most entry that is not itself a trusted proxy counts.
// Everything left of that entry was written by the client and may be forged; believing it would
// let anyone pick their own rate-limit bucket.
//
// A client, for rate limits and per-client quotas, is one IPv4 address or one IPv6 prefix (/64 by
// default: what one subscriber line or one cloud machine usually gets, so a client could otherwise
// walk through 2^64 addresses and a fresh bucket with each).

#include "ots/Result.h"

#include <boost/asio/ip/address.hpp>
#include <boost/beast/http/fields.hpp>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

class ClientAddress {
public:
    /// The default of Config::clientIpv6Prefix, and its range.
    static constexpr unsigned kDefaultIpv6Prefix = 64;
    static constexpr unsigned kMinIpv6Prefix = 32;
    static constexpr unsigned kMaxIpv6Prefix = 128;

    /// Trusts no proxy: the client is always the TCP peer; IPv6 clients by /64.
    ClientAddress() = default;

    /// cidrs: "10.0.0.0/8", "fd00::/8", or single addresses ("127.0.0.1", "::1"). Host bits below the
    /// prefix must be zero, so a typo like "10.0.0.1/8" is reported instead of silently widened.
    /// ipv6Prefix: how many leading bits of an IPv6 address name its client (kMinIpv6Prefix…128).
    [[nodiscard]] static Result<ClientAddress> fromTrustedProxies(const std::vector<std::string>& cidrs,
                                                                  unsigned ipv6Prefix = kDefaultIpv6Prefix);

    [[nodiscard]] bool isTrusted(const boost::asio::ip::address& address) const noexcept;

    /// The client's address as canonical text ("192.0.2.7", "2001:db8::1"). forwardedFor is the
    /// comma-separated X-Forwarded-For value (several header lines joined with ",", in order).
    [[nodiscard]] std::string resolve(const boost::asio::ip::address& peer,
                                      std::string_view forwardedFor) const;
    /// Same, reading every X-Forwarded-For line of the header.
    [[nodiscard]] std::string resolve(const boost::asio::ip::address& peer,
                                      const boost::beast::http::fields& header) const;

    /// The client a request comes from, as rate limits and per-client quotas key on it: the address
    /// resolve() finds, as bucketOf() names it ("192.0.2.7", "2001:db8:1:2::/64").
    [[nodiscard]] std::string clientBucket(const boost::asio::ip::address& peer,
                                           const boost::beast::http::fields& header) const;
    /// The bucket of the TCP peer itself, before any header is read (X-Forwarded-For not consulted).
    [[nodiscard]] std::string peerBucket(const boost::asio::ip::address& peer) const;

    /// An IPv4 address (IPv4-mapped IPv6 included) as itself, "192.0.2.7"; an IPv6 address as its
    /// first ipv6Prefix bits, the rest zero, "2001:db8:1:2::/64" ("…/128" for a single address).
    [[nodiscard]] static std::string bucketOf(const boost::asio::ip::address& address, unsigned ipv6Prefix);

    [[nodiscard]] unsigned ipv6Prefix() const noexcept { return m_ipv6Prefix; }

    /// "1.2.3.4", "1.2.3.4:5678", "::1", "[::1]:5678" → the address; IPv4-mapped IPv6 becomes IPv4.
    [[nodiscard]] static bool parseAddress(std::string_view text, boost::asio::ip::address& out) noexcept;

private:
    struct Network {
        std::array<std::uint8_t, 16> bytes{}; ///< IPv4 networks as IPv4-mapped IPv6
        unsigned prefixLength = 0;            ///< in the 128-bit space
        bool v4 = false;                      ///< matches only IPv4 addresses (and v6 only v6)
    };
    [[nodiscard]] static bool contains(const Network& network, const std::array<std::uint8_t, 16>& address,
                                       bool addressIsV4) noexcept;
    [[nodiscard]] boost::asio::ip::address resolveAddress(const boost::asio::ip::address& peer,
                                                          std::string_view forwardedFor) const;
    [[nodiscard]] boost::asio::ip::address resolveAddress(const boost::asio::ip::address& peer,
                                                          const boost::beast::http::fields& header) const;

    std::vector<Network> m_trusted;
    unsigned m_ipv6Prefix = kDefaultIpv6Prefix;
};

} // namespace ots::relay
