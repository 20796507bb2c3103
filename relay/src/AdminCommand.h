#pragma once

// `ots-relay admin …`: what the operator needs to act on an abuse report without reading anything.
// It runs on the relay host with the server's own configuration (file, environment, flags) and talks
// to Redis and the data folder directly: no web login, nothing new on the network. It never prints a
// secret: no owner hash, no public key, no metadata, no KDF salt, and never a link's fragment.
//
//   stats                          shares by state, bytes reserved and stored, creates per client
//   show ID|LINK                   one share's public state and the client bucket that created it
//   takedown ID|LINK --reason TEXT blob and keys gone at once, tombstone `removed`, an audit log line
//   block CLIENT --for DURATION    refuse creates and proofs from a client bucket for a while
//   unblock CLIENT, blocks         lift a block, list the active ones

#include "ots/Result.h"

#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

class AdminCommand {
public:
    static constexpr int kExitOk = 0;
    static constexpr int kExitFailure = 1; ///< Redis or the data folder failed, or no such share/block
    static constexpr int kExitUsage = 2;   ///< a bad argument, subcommand or configuration

    /// args: everything after "admin". Results go to out, errors to err; the audit lines of takedown,
    /// block and unblock go to the relay's log (Log: one JSON object per line on standard error).
    /// Returns the process's exit code.
    [[nodiscard]] static int run(const std::vector<std::string>& args,
                                 const std::map<std::string, std::string>& environment, std::ostream& out,
                                 std::ostream& err);

    /// `ots-relay admin --help`; with a subcommand's name, that subcommand's help.
    [[nodiscard]] static std::string helpText(std::string_view subcommand = {});

    /// A share id, or a link (https://relay/s/ID#SECRET, onetimeshare://relay/s/ID#SECRET): the id.
    /// The fragment is cut off before anything else is looked at, so it can never be printed.
    [[nodiscard]] static std::optional<std::string> shareIdFrom(std::string_view idOrLink);

    /// An IPv4 or IPv6 address, or a CIDR of exactly the relay's bucket width (/32 for IPv4,
    /// /ipv6Prefix for IPv6), as the client bucket the relay counts and blocks it by
    /// (ClientAddress::bucketOf): "192.0.2.7", "2001:db8:1:2::/64".
    [[nodiscard]] static Result<std::string> clientBucketFrom(std::string_view text, unsigned ipv6Prefix);
};

} // namespace ots::relay
