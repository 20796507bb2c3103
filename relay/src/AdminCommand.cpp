#include "AdminCommand.h"

#include "BlobStoreFactory.h"
#include "ClientAddress.h"
#include "ConfigLoader.h"
#include "Log.h"
#include "RedisConnection.h"
#include "ShareStore.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <array>
#include <charconv>
#include <chrono>
#include <ctime>
#include <filesystem>
#include <functional>
#include <memory>
#include <sstream>
#include <system_error>
#include <utility>

namespace ots::relay {

namespace {

struct Subcommand {
    std::string_view name;
    std::string_view usage;
    std::string_view help;
    std::size_t operands; ///< how many ID/LINK or CLIENT arguments it takes
};

constexpr std::array<Subcommand, 6> kSubcommands{{
    {"stats", "stats",
     "Shares by state (uploading, ready, locked), bytes reserved against the quota and bytes stored in\n"
     "the data folder, and the client buckets that created the most shares in this hour and the one\n"
     "before (creates and bytes reserved, top ten).",
     0},
    {"show", "show ID|LINK",
     "One share's public state, sizes, creation and expiry (UTC and unix seconds), downloads reserved,\n"
     "finished and allowed, attempts, whether a password is set, and the client bucket that created it.\n"
     "A link is read only for its id: the part after # is dropped unread and never printed. Nothing\n"
     "secret is shown (no owner hash, public keys, metadata or KDF salt). Exit 1 for an unknown id.",
     1},
    {"takedown", "takedown ID|LINK --reason TEXT",
     "Removes the share now: its keys and blob go as for the owner's delete, the tombstone says\n"
     "`removed` (recipients get 410 `removed`: \"The relay's operator removed this share.\"), and an\n"
     "audit line (JSON: id, reason, time) goes to standard error. Exit 1 if there is no live share.",
     1},
    {"block", "block CLIENT --for DURATION [--reason TEXT]",
     "Refuses creates, challenges and proofs from CLIENT with 403 `blocked` for DURATION (30m, 12h,\n"
     "7d). CLIENT is an IPv4 address, or an IPv6 address or prefix of client-ipv6-prefix bits: the\n"
     "bucket the relay counts rate limits by (an IPv6 address stands for its whole prefix). Blocking\n"
     "again replaces the duration. An audit line goes to standard error.",
     1},
    {"unblock", "unblock CLIENT", "Lifts a block at once; an audit line goes to standard error.", 1},
    {"blocks", "blocks", "The active blocks: client bucket, time left, end (UTC) and reason.", 0},
}};

const Subcommand* findSubcommand(std::string_view name) {
    const auto found = std::find_if(kSubcommands.begin(), kSubcommands.end(),
                                    [name](const auto& s) { return s.name == name; });
    return found == kSubcommands.end() ? nullptr : &*found;
}

/// A command the operator must fix: printed with a pointer to --help, exit 2.
struct UsageError {
    std::string message;
};
/// A failure of the request itself (no such share, Redis down): printed, exit 1.
struct Failure {
    std::string message;
};

/// 2026-12-07T10:33:46Z
std::string utcDate(std::int64_t unixSeconds) {
    const auto time = static_cast<std::time_t>(unixSeconds);
    std::tm parts{};
    if (gmtime_r(&time, &parts) == nullptr)
        return "?";
    std::array<char, 32> text{};
    const std::size_t length = std::strftime(text.data(), text.size(), "%Y-%m-%dT%H:%M:%SZ", &parts);
    return std::string(text.data(), length);
}

/// "2026-12-07T10:33:46Z (1796639626)"
std::string dateAndSeconds(std::int64_t unixSeconds) {
    return utcDate(unixSeconds) + " (" + std::to_string(unixSeconds) + ")";
}

/// 93784 → "1d 2h 3m 4s"
std::string spanText(std::int64_t seconds) {
    if (seconds <= 0)
        return "0s";
    std::string out;
    const std::array<std::pair<std::int64_t, char>, 4> units{
        {{86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}}};
    for (const auto& [size, unit] : units) {
        if (seconds >= size) {
            out += (out.empty() ? "" : " ") + std::to_string(seconds / size) + unit;
            seconds %= size;
        }
    }
    return out;
}

/// Redis' own time (unix seconds), for what Redis' key TTLs measure: a block's duration. What the
/// scripts keep (expiry, the hourly counts) is on their clock, ShareStore::nowMs().
std::int64_t redisNow(RedisConnection& redis) {
    const ReplyPtr reply = redis.command({"TIME"});
    return ReplyView(reply.get())[0].number();
}

/// Every key matching pattern, walked with SCAN (never KEYS: the relay keeps serving meanwhile).
void scanKeys(RedisConnection& redis, const std::string& pattern,
              const std::function<void(const std::vector<std::string>&)>& batch) {
    std::string cursor = "0";
    do {
        const ReplyPtr reply = redis.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        const ReplyView view(reply.get());
        cursor = std::string(view[0].string());
        std::vector<std::string> found;
        for (std::size_t i = 0; i < view[1].size(); ++i)
            found.emplace_back(view[1][i].string());
        if (!found.empty())
            batch(found);
    } while (cursor != "0");
}

struct FolderUsage {
    std::uint64_t bytes = 0;
    std::uint64_t files = 0;
};

FolderUsage folderUsage(const std::filesystem::path& folder) {
    FolderUsage usage;
    std::error_code error;
    for (auto it = std::filesystem::recursive_directory_iterator(folder, error);
         !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
        std::error_code sizeError;
        if (!it->is_regular_file(sizeError))
            continue;
        const std::uintmax_t size = it->file_size(sizeError);
        if (!sizeError) {
            usage.bytes += size;
            ++usage.files;
        }
    }
    if (error && error != std::errc::no_such_file_or_directory)
        throw Failure{"cannot read " + folder.string() + ": " + error.message()};
    return usage;
}

/// Everything one subcommand needs, built from the relay's configuration.
class Session {
public:
    Session(const Config& config, std::ostream& out)
        : m_config(config)
        , m_out(out)
        , m_redis(config)
        , m_store(m_redis, config) {}

    void stats();
    void show(const std::string& id);
    void takedown(const std::string& id, const std::string& reason);
    void block(const std::string& bucket, std::int64_t seconds, const std::string& reason);
    void unblock(const std::string& bucket);
    void blocks();

private:
    BlobStore& blobs() {
        if (!m_blobs) {
            auto made = makeBlobStore(m_config);
            if (!made)
                throw Failure{made.error().detail};
            m_blobs = std::move(*made);
        }
        return *m_blobs;
    }

    const Config& m_config;
    std::ostream& m_out;
    RedisConnection m_redis;
    ShareStore m_store;
    std::unique_ptr<BlobStore> m_blobs;
};

void Session::stats() {
    ShareCounts shares;
    scanKeys(m_redis, "ots:{*}:share",
             [&](const std::vector<std::string>& found) { countShareStates(m_redis, found, shares); });
    const ReplyPtr usage = m_redis.command({"GET", keys::kUsage});
    const ReplyView usageView(usage.get());
    const std::uint64_t reserved = usageView.isNil() ? 0 : usageView.unsignedNumber();
    const FolderUsage stored = folderUsage(m_config.dataDirectory / "blobs");
    const FolderUsage partial = folderUsage(m_config.dataDirectory / "uploads");

    m_out << "shares: " << shares.uploading + shares.ready + shares.locked << " (uploading "
          << shares.uploading << ", ready " << shares.ready << ", locked " << shares.locked << ")\n"
          << "bytes reserved: " << reserved << " of " << m_config.storageQuota << " (quota)\n"
          << "bytes stored: " << stored.bytes + partial.bytes << " (" << stored.files << " blobs, "
          << stored.bytes << " bytes; " << partial.files << " partial files, " << partial.bytes
          << " bytes)\n";

    // This hour's counts and the previous hour's: together they always cover the last full hour.
    const std::int64_t hour = m_store.nowMs() / 1000 / 3600;
    struct ClientCounts {
        std::uint64_t creates = 0;
        std::uint64_t bytes = 0;
    };
    std::map<std::string, ClientCounts> clients;
    // The clients' hourly allowances ({ots}:cq:CLIENT:HOUR, hash shares and bytes) are the counts.
    for (const std::int64_t h : {hour - 1, hour}) {
        const std::string suffix = ":" + std::to_string(h);
        scanKeys(
            m_redis, std::string(keys::kClientQuotaPrefix) + "*" + suffix,
            [&](const std::vector<std::string>& found) {
                for (const std::string& key : found) {
                    const ReplyPtr reply = m_redis.command({"HMGET", key, "shares", "bytes"});
                    const ReplyView view(reply.get());
                    ClientCounts& counts =
                        clients[key.substr(keys::kClientQuotaPrefix.size(),
                                           key.size() - keys::kClientQuotaPrefix.size() - suffix.size())];
                    counts.creates += view[0].isNil() ? 0 : view[0].unsignedNumber();
                    counts.bytes += view[1].isNil() ? 0 : view[1].unsignedNumber();
                }
            });
    }
    std::vector<std::pair<std::string, ClientCounts>> ranked(clients.begin(), clients.end());
    std::sort(ranked.begin(), ranked.end(), [](const auto& a, const auto& b) {
        return a.second.creates != b.second.creates ? a.second.creates > b.second.creates
                                                    : a.second.bytes > b.second.bytes;
    });
    std::uint64_t creates = 0;
    for (const auto& [bucket, counts] : ranked)
        creates += counts.creates;
    m_out << "creates since " << utcDate((hour - 1) * 3600) << ": " << creates << " from " << ranked.size()
          << " clients\n";
    if (!ranked.empty())
        m_out << "top clients (creates, bytes reserved):\n";
    for (std::size_t i = 0; i < std::min<std::size_t>(ranked.size(), 10); ++i)
        m_out << "  " << ranked[i].first << "  " << ranked[i].second.creates << "  " << ranked[i].second.bytes
              << '\n';
}

void Session::show(const std::string& id) {
    const ReplyPtr reply = m_redis.command({"HMGET", keys::share(id), "state", "size", "offset", "expiresAt",
                                            "maxDownloads", "reserved", "finished", "lapsed", "attempts",
                                            "maxAttempts", "kdf", "client", "createdAt"});
    const ReplyView share(reply.get());
    m_out << "id: " << id << '\n';
    if (share[0].isNil()) {
        const ReplyPtr gone = m_redis.command({"GET", keys::gone(id)});
        if (ReplyView(gone.get()).isNil())
            throw Failure{"no share " + id + " on this relay (it never existed, or went long ago)"};
        const ReplyPtr ttl = m_redis.command({"TTL", keys::gone(id)});
        m_out << "state: gone (" << ReplyView(gone.get()).string() << ")\n"
              << "tombstone kept for: " << spanText(ReplyView(ttl.get()).integer()) << '\n';
        return;
    }
    const auto optionalNumber = [&share](std::size_t index) -> std::optional<std::int64_t> {
        if (share[index].isNil())
            return std::nullopt;
        return share[index].number();
    };
    const std::int64_t now = m_store.nowMs() / 1000;
    const std::int64_t expiresAt = share[3].number();
    const std::string state(share[0].string());
    const bool isLocked = state == "ready" && share[8].number() >= share[9].number();
    m_out << "state: "
          << (now >= expiresAt ? "expired (the sweeper removes it)"
              : isLocked       ? "locked"
                               : state)
          << '\n'
          << "size: " << share[1].unsignedNumber() << " bytes (uploaded: " << share[2].unsignedNumber()
          << ")\n";
    if (const auto blob = blobs().sealedSize(id))
        m_out << "stored: blob, " << *blob << " bytes\n";
    else if (const auto part = blobs().pendingSize(id))
        m_out << "stored: partial file, " << *part << " bytes\n";
    else
        m_out << "stored: no file\n";
    const auto createdAt = optionalNumber(12);
    m_out << "created: " << (createdAt ? dateAndSeconds(*createdAt) : "unknown (before this relay version)")
          << '\n'
          << "expires: " << dateAndSeconds(expiresAt) << '\n'
          << "downloads: " << share[5].unsignedNumber() << " reserved, " << share[6].unsignedNumber()
          << " finished, " << optionalNumber(7).value_or(0) << " lapsed, of " << share[4].unsignedNumber()
          << '\n'
          << "wrong password attempts: " << share[8].unsignedNumber() << " of " << share[9].unsignedNumber()
          << '\n'
          << "password: " << (!share[10].isNil() && !share[10].string().empty() ? "yes" : "no") << '\n';
    const std::string client = share[11].isNil() ? std::string() : std::string(share[11].string());
    m_out << "client: " << (client.empty() ? "unknown (not recorded)" : client) << '\n';
}

void Session::takedown(const std::string& id, const std::string& reason) {
    // As the owner's DELETE: the expiry entry is brought forward first, so should this process die
    // between the script and the unlink, the sweeper removes the blob within the grace.
    m_store.scheduleCleanup(id);
    const Outcome removed = m_store.takedown(id);
    if (removed.verdict == Verdict::NotFound)
        throw Failure{"no share " + id + " on this relay (it never existed, or went long ago)"};
    if (removed.verdict == Verdict::Gone)
        throw Failure{"share " + id + " is gone already (" + removed.goneReason + ")"};
    if (!removed.ok())
        throw Failure{"share " + id + " changed while it was taken down; run the command again"};
    const bool filesRemoved = removeFilesAndReleaseQuota(blobs(), m_store, id);
    Log::warn("share taken down by the operator",
              {{"action", "takedown"}, {"id", id}, {"reason", reason}, {"files_removed", filesRemoved}});
    m_out << "taken down: " << id << " (tombstone \"removed\")\n";
    if (!filesRemoved)
        throw Failure{"the keys are gone but a file of " + id +
                      " could not be deleted; the sweeper retries within a minute"};
}

void Session::block(const std::string& bucket, std::int64_t seconds, const std::string& reason) {
    const ReplyPtr set =
        m_redis.command({"SET", keys::block(bucket), reason.empty() ? std::string("-") : reason, "EX",
                         std::to_string(seconds)});
    (void)ReplyView(set.get()).string();
    const std::int64_t until = redisNow(m_redis) + seconds;
    Log::warn("client blocked by the operator", {{"action", "block"},
                                                 {"client", bucket},
                                                 {"seconds", seconds},
                                                 {"until", utcDate(until)},
                                                 {"reason", reason}});
    m_out << "blocked: " << bucket << " for " << spanText(seconds) << " (until " << dateAndSeconds(until)
          << ")\n";
}

void Session::unblock(const std::string& bucket) {
    const ReplyPtr deleted = m_redis.command({"DEL", keys::block(bucket)});
    if (ReplyView(deleted.get()).integer() == 0) {
        m_out << bucket << " was not blocked\n";
        return;
    }
    Log::warn("client unblocked by the operator", {{"action", "unblock"}, {"client", bucket}});
    m_out << "unblocked: " << bucket << '\n';
}

void Session::blocks() {
    const std::int64_t now = redisNow(m_redis);
    std::vector<std::string> lines;
    scanKeys(m_redis, std::string(keys::kBlockPrefix) + "*", [&](const std::vector<std::string>& found) {
        std::vector<std::vector<std::string>> commands;
        for (const std::string& key : found) {
            commands.push_back({"TTL", key});
            commands.push_back({"GET", key});
        }
        const std::vector<ReplyPtr> replies = m_redis.pipeline(commands);
        for (std::size_t i = 0; i < found.size(); ++i) {
            const std::int64_t left = ReplyView(replies[2 * i].get()).integer();
            const ReplyView reason(replies[2 * i + 1].get());
            if (left < 0 || reason.isNil())
                continue; // lapsed between SCAN and TTL
            const std::string bucket = found[i].substr(keys::kBlockPrefix.size());
            std::string line = bucket + "  " + spanText(left) + " left (until " + utcDate(now + left) + ")";
            if (reason.string() != "-")
                line += "  " + std::string(reason.string());
            lines.push_back(std::move(line));
        }
    });
    std::sort(lines.begin(), lines.end());
    if (lines.empty())
        m_out << "no active blocks\n";
    for (const std::string& line : lines)
        m_out << line << '\n';
}

/// The subcommand's arguments: its operands and own flags; every other flag is the relay's
/// configuration, handed to ConfigLoader as the server would read it.
struct Parsed {
    const Subcommand* subcommand = nullptr;
    std::vector<std::string> operands;
    std::vector<std::string> configArgs;
    std::optional<std::string> reason;
    std::optional<std::string> duration;
    bool help = false;
};

Parsed parse(const std::vector<std::string>& args) {
    Parsed parsed;
    parsed.subcommand = findSubcommand(args.front());
    if (parsed.subcommand == nullptr && args.front().starts_with("--"))
        throw UsageError{"the command comes first: ots-relay admin COMMAND [ARGUMENTS] [--OPTION VALUE]..."};
    if (parsed.subcommand == nullptr)
        throw UsageError{"unknown admin command \"" + args.front() + "\""};
    for (std::size_t i = 1; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            parsed.help = true;
            continue;
        }
        if (!arg.starts_with("--")) {
            parsed.operands.push_back(arg);
            continue;
        }
        std::string name = arg.substr(2);
        std::optional<std::string> value;
        if (const std::size_t equals = name.find('='); equals != std::string::npos) {
            value = name.substr(equals + 1);
            name.resize(equals);
        }
        const bool own = name == "reason" || name == "for";
        if (!value) {
            if (i + 1 >= args.size())
                throw UsageError{"--" + name + " needs a value"};
            value = args[++i];
        }
        if (!own) {
            parsed.configArgs.push_back("--" + name);
            parsed.configArgs.push_back(*value);
        } else {
            (name == "reason" ? parsed.reason : parsed.duration) = *value;
        }
    }
    return parsed;
}

int execute(const Parsed& parsed, const Config& config, std::ostream& out) {
    const std::string_view name = parsed.subcommand->name;
    std::string operand;
    if (!parsed.operands.empty()) {
        if (name == "show" || name == "takedown") {
            const auto id = AdminCommand::shareIdFrom(parsed.operands.front());
            if (!id)
                throw UsageError{"not a share id or link (a link's part after # is not read)"};
            operand = *id;
        } else {
            auto bucket = AdminCommand::clientBucketFrom(parsed.operands.front(), config.clientIpv6Prefix);
            if (!bucket)
                throw UsageError{bucket.error().detail};
            operand = *bucket;
        }
    }
    Session session(config, out);
    if (name == "stats") {
        session.stats();
    } else if (name == "show") {
        session.show(operand);
    } else if (name == "takedown") {
        session.takedown(operand, *parsed.reason);
    } else if (name == "block") {
        const auto duration = ConfigLoader::parseDuration(*parsed.duration);
        if (!duration || *duration < std::chrono::seconds(1))
            throw UsageError{"--for needs a duration of at least one second, like 30m, 12h or 7d"};
        const auto seconds = std::chrono::ceil<std::chrono::seconds>(*duration).count();
        session.block(operand, seconds, parsed.reason.value_or(std::string()));
    } else if (name == "unblock") {
        session.unblock(operand);
    } else {
        session.blocks();
    }
    return AdminCommand::kExitOk;
}

} // namespace

std::string AdminCommand::helpText(std::string_view subcommand) {
    std::ostringstream text;
    const std::string_view options =
        "The relay's configuration is read as the server reads it: --config FILE, OTS_RELAY_* in the\n"
        "environment and --OPTION VALUE flags (see ots-relay --help); admin uses redis-*, data-dir,\n"
        "client-ipv6-prefix, storage-quota and tombstone-lifetime.\n"
        "\n"
        "Exit codes: 0 done; 1 no such share, or Redis or the data folder failed; 2 bad arguments or\n"
        "configuration.\n";
    if (const Subcommand* found = findSubcommand(subcommand)) {
        text << "Usage: ots-relay admin " << found->usage << " [--config FILE] [--OPTION VALUE]...\n\n"
             << found->help << "\n\n"
             << options;
        return text.str();
    }
    text << "Usage: ots-relay admin COMMAND [ARGUMENTS] [--config FILE] [--OPTION VALUE]...\n"
            "       ots-relay admin COMMAND --help\n"
            "\n"
            "The operator's tools for abuse reports, run on the relay host. They talk to Redis and the\n"
            "data folder directly and print nothing secret: no link secret, owner token, key or metadata.\n"
            "\n"
            "Commands:\n";
    for (const Subcommand& entry : kSubcommands)
        text << "  " << entry.usage << '\n';
    text << "\nCLIENT is an IPv4 address or an IPv6 address or prefix (192.0.2.7, 2001:db8:1:2::/64).\n"
         << "DURATION takes s, m, h or d (30m, 12h, 7d).\n\n"
         << options;
    return text.str();
}

std::optional<std::string> AdminCommand::shareIdFrom(std::string_view idOrLink) {
    idOrLink = idOrLink.substr(0, idOrLink.find('#'));
    idOrLink = idOrLink.substr(0, idOrLink.find('?'));
    while (idOrLink.ends_with('/'))
        idOrLink.remove_suffix(1);
    if (const std::size_t slash = idOrLink.rfind('/'); slash != std::string_view::npos)
        idOrLink.remove_prefix(slash + 1);
    if (!isShareIdText(idOrLink))
        return std::nullopt;
    return std::string(idOrLink);
}

Result<std::string> AdminCommand::clientBucketFrom(std::string_view text, unsigned ipv6Prefix) {
    const std::size_t slash = text.find('/');
    boost::asio::ip::address address;
    if (!ClientAddress::parseAddress(text.substr(0, slash), address) ||
        text.substr(0, slash).find(']') != std::string_view::npos)
        return Error{Errc::InvalidArgument,
                     "\"" + std::string(text) + "\" is not an IPv4 or IPv6 address or prefix"};
    if (slash != std::string_view::npos) {
        const std::string_view lengthText = text.substr(slash + 1);
        unsigned length = 0;
        const auto [end, error] =
            std::from_chars(lengthText.data(), lengthText.data() + lengthText.size(), length);
        const unsigned width = address.is_v4() ? 32 : ipv6Prefix;
        if (error != std::errc{} || end != lengthText.data() + lengthText.size() || length != width)
            return Error{Errc::InvalidArgument,
                         address.is_v4()
                             ? std::string("the relay counts each IPv4 address on its own: give one "
                                           "address (or /32)")
                             : "the relay counts IPv6 clients by /" + std::to_string(ipv6Prefix) +
                                   " (client-ipv6-prefix): give an address or a /" +
                                   std::to_string(ipv6Prefix)};
    }
    return ClientAddress::bucketOf(address, ipv6Prefix);
}

int AdminCommand::run(const std::vector<std::string>& args,
                      const std::map<std::string, std::string>& environment, std::ostream& out,
                      std::ostream& err) {
    if (args.empty() || args.front() == "--help" || args.front() == "-h") {
        (args.empty() ? err : out) << helpText();
        return args.empty() ? kExitUsage : kExitOk;
    }
    try {
        const Parsed parsed = parse(args);
        if (parsed.help) {
            out << helpText(parsed.subcommand->name);
            return kExitOk;
        }
        const std::string_view name = parsed.subcommand->name;
        if (parsed.operands.size() != parsed.subcommand->operands)
            throw UsageError{parsed.subcommand->operands == 0
                                 ? "\"" + std::string(name) + "\" takes no argument"
                                 : "usage: ots-relay admin " + std::string(parsed.subcommand->usage)};
        if (name == "takedown" && parsed.reason.value_or(std::string()).empty())
            throw UsageError{"takedown needs --reason TEXT (it goes into the audit log)"};
        if (name == "block" && !parsed.duration)
            throw UsageError{"block needs --for DURATION, like 30m, 12h or 7d"};
        if (parsed.duration && name != "block")
            throw UsageError{"--for belongs to \"block\""};
        if (parsed.reason && name != "takedown" && name != "block")
            throw UsageError{"--reason belongs to \"takedown\" and \"block\""};

        auto loaded = ConfigLoader::load(parsed.configArgs, environment);
        if (!loaded)
            throw UsageError{"configuration: " + loaded.error().detail};
        if (const Status valid = ConfigLoader::validate(loaded->config); !valid)
            throw UsageError{"configuration: " + valid.error().detail};
        const Config& config = loaded->config;
        try {
            return execute(parsed, config, out);
        } catch (const RedisError& e) {
            throw Failure{"Redis at " + config.redisHost + ":" + std::to_string(config.redisPort) +
                          " failed: " + e.what()};
        } catch (const std::filesystem::filesystem_error& e) {
            throw Failure{"the data folder " + config.dataDirectory.string() + " failed: " + e.what()};
        }
    } catch (const UsageError& usage) {
        err << "ots-relay admin: " << usage.message << "\n(see ots-relay admin --help)\n";
        return kExitUsage;
    } catch (const Failure& failure) {
        err << "ots-relay admin: " << failure.message << '\n';
        return kExitFailure;
    }
}

} // namespace ots::relay
