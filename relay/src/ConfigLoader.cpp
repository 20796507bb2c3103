#include "ConfigLoader.h"

#include "ClientAddress.h"
#include "Log.h"

#include <boost/asio/ip/address.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <fcntl.h>
#include <fstream>
#include <functional>
#include <limits>
#include <set>
#include <sstream>
#include <sys/stat.h>
#include <system_error>
#include <unistd.h>

namespace ots::relay {

namespace {

using namespace std::chrono_literals;

/// The loader's working state: Config plus what only the loader needs to know.
struct Settings {
    Config config;
    std::vector<std::string> listedTokens; ///< from upload-tokens
    std::filesystem::path uploadTokensFile;
    /// The folder of the config file being read (empty for the environment and flags): a relative
    /// file name in it means a file next to it, wherever that file was copied (a systemd credential).
    std::filesystem::path configDirectory;
};

struct Option {
    std::string_view name;
    std::string_view placeholder; ///< "SIZE", "DURATION", … for --help
    std::string_view help;
    std::function<Status(Settings&, std::string_view)> set;
    std::function<std::string(const Config&)> show;
    bool secret = false;
};

Error invalid(std::string message) {
    return Error{Errc::InvalidArgument, std::move(message)};
}

std::string_view trimSpace(std::string_view text) noexcept {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
        text.remove_prefix(1);
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
        text.remove_suffix(1);
    return text;
}

template <typename T>
Result<T> parseInteger(std::string_view text, T minimum = std::numeric_limits<T>::min(),
                       T maximum = std::numeric_limits<T>::max()) {
    text = trimSpace(text);
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return invalid("\"" + std::string(text) + "\" is not a whole number");
    if (value < static_cast<std::uint64_t>(minimum) || value > static_cast<std::uint64_t>(maximum))
        return invalid(std::string(text) + " is outside " + std::to_string(minimum) + "…" +
                       std::to_string(maximum));
    return static_cast<T>(value);
}

std::vector<std::string> splitList(std::string_view text) {
    std::vector<std::string> items;
    while (true) {
        const std::size_t comma = text.find(',');
        const std::string_view item = trimSpace(text.substr(0, comma));
        if (!item.empty())
            items.emplace_back(item);
        if (comma == std::string_view::npos)
            return items;
        text.remove_prefix(comma + 1);
    }
}

std::string joinList(const std::vector<std::string>& items) {
    std::string joined;
    for (const std::string& item : items) {
        if (!joined.empty())
            joined += ',';
        joined += item;
    }
    return joined;
}

constexpr std::size_t kPrivateFileLimit = std::size_t{1} << 20;

/// The file's whole content if it is a regular file no other user can read or write; `what` names it.
Result<std::string> readPrivateFile(const std::filesystem::path& path, const std::string& what) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return invalid("cannot read " + what + ": " + std::generic_category().message(errno));
    struct stat status {};
    const bool statted = ::fstat(fd, &status) == 0;
    std::string content;
    if (statted && S_ISREG(status.st_mode) && (status.st_mode & (S_IROTH | S_IWOTH)) == 0) {
        char buffer[4096];
        ssize_t count = 0;
        while ((count = ::read(fd, buffer, sizeof(buffer))) > 0) {
            content.append(buffer, static_cast<std::size_t>(count));
            if (content.size() > kPrivateFileLimit) {
                ::close(fd);
                return invalid(what + " is larger than 1 MiB");
            }
        }
        if (count < 0) {
            const int error = errno;
            ::close(fd);
            return invalid("cannot read " + what + ": " + std::generic_category().message(error));
        }
    }
    ::close(fd);
    if (!statted || !S_ISREG(status.st_mode))
        return invalid(what + " is not a regular file");
    if ((status.st_mode & (S_IROTH | S_IWOTH)) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof(mode), "%04o", static_cast<unsigned>(status.st_mode & 07777));
        return invalid(what + " is accessible to every user (mode " + mode +
                       "); chmod o-rwx it (0640 or 0600)");
    }
    return content;
}

Result<std::vector<std::string>> readTokensFile(const std::filesystem::path& path) {
    const std::string name = "upload-tokens-file " + path.string();
    // Tokens anyone on the machine can read are no secret: refused, as ssh does with its keys.
    auto content = readPrivateFile(path, name);
    if (!content)
        return content.error();
    std::vector<std::string> tokens;
    std::istringstream lines(*content);
    std::string line;
    while (std::getline(lines, line)) {
        const std::string_view token = trimSpace(line);
        if (!token.empty() && !token.starts_with('#'))
            tokens.emplace_back(token);
    }
    // A named but empty file would silently open the relay to everyone.
    if (tokens.empty())
        return invalid(name + " holds no token (an upload-tokens-file must name at least one; for a relay "
                              "open to everyone, drop the setting and set open-relay = true)");
    return tokens;
}

/// Fills the S3 credentials not set yet from s3-credentials-file's profile, then from AWS' environment
/// variables. The secret never appears in an error.
Status resolveS3Credentials(Config& config, const std::map<std::string, std::string>& environment) {
    if (!config.s3CredentialsFile.empty() &&
        (config.s3AccessKeyId.empty() || config.s3SecretAccessKey.empty())) {
        const std::string what = "s3-credentials-file " + config.s3CredentialsFile.string();
        auto content = readPrivateFile(config.s3CredentialsFile, what);
        if (!content)
            return content.error();
        std::istringstream lines(*content);
        std::string line;
        std::string section;
        bool profileFound = false;
        std::map<std::string, std::string> values;
        while (std::getline(lines, line)) {
            const std::string_view text = trimSpace(line);
            if (text.empty() || text.starts_with('#') || text.starts_with(';'))
                continue;
            if (text.starts_with('[') && text.ends_with(']')) {
                section = std::string(trimSpace(text.substr(1, text.size() - 2)));
                if (section.starts_with("profile "))
                    section = std::string(trimSpace(std::string_view(section).substr(8)));
                profileFound = profileFound || section == config.s3Profile;
                continue;
            }
            const std::size_t equals = text.find('=');
            if (section != config.s3Profile || equals == std::string_view::npos)
                continue;
            values[std::string(trimSpace(text.substr(0, equals)))] =
                std::string(trimSpace(text.substr(equals + 1)));
        }
        if (!profileFound)
            return invalid(what + " has no profile [" + config.s3Profile + "]");
        if (config.s3AccessKeyId.empty())
            config.s3AccessKeyId = values["aws_access_key_id"];
        if (config.s3SecretAccessKey.empty())
            config.s3SecretAccessKey = values["aws_secret_access_key"];
        if (config.s3SessionToken.empty())
            config.s3SessionToken = values["aws_session_token"];
        if (config.s3AccessKeyId.empty() || config.s3SecretAccessKey.empty())
            return invalid(what + ": profile [" + config.s3Profile +
                           "] needs aws_access_key_id and aws_secret_access_key");
    }
    const auto fromEnvironment = [&environment](std::string& field, const char* name) {
        if (!field.empty())
            return;
        if (const auto found = environment.find(name); found != environment.end())
            field = found->second;
    };
    if (config.s3AccessKeyId.empty() && config.s3SecretAccessKey.empty()) {
        fromEnvironment(config.s3AccessKeyId, "AWS_ACCESS_KEY_ID");
        fromEnvironment(config.s3SecretAccessKey, "AWS_SECRET_ACCESS_KEY");
        fromEnvironment(config.s3SessionToken, "AWS_SESSION_TOKEN");
    }
    return {};
}

Result<bool> parseBoolean(std::string_view text) {
    text = trimSpace(text);
    if (text == "true" || text == "yes")
        return true;
    if (text == "false" || text == "no")
        return false;
    return invalid("\"" + std::string(text) + "\" is not true or false");
}

// Setters and printers for each kind of value.
template <typename Field>
auto sizeOption(Field Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         auto size = ConfigLoader::parseSize(v);
                         if (!size)
                             return size.error();
                         if (*size > std::numeric_limits<Field>::max())
                             return invalid(std::string(v) + " is too large");
                         s.config.*field = static_cast<Field>(*size);
                         return {};
                     },
                     [field](const Config& c) { return ConfigLoader::formatSize(c.*field); }};
}

auto secondsOption(std::chrono::seconds Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         auto duration = ConfigLoader::parseDuration(v);
                         if (!duration)
                             return duration.error();
                         if (duration->count() % 1000 != 0)
                             return invalid(std::string(v) + " is not a whole number of seconds");
                         s.config.*field = std::chrono::duration_cast<std::chrono::seconds>(*duration);
                         return {};
                     },
                     [field](const Config& c) { return ConfigLoader::formatDuration(c.*field); }};
}

auto millisecondsOption(std::chrono::milliseconds Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         auto duration = ConfigLoader::parseDuration(v);
                         if (!duration)
                             return duration.error();
                         s.config.*field = *duration;
                         return {};
                     },
                     [field](const Config& c) { return ConfigLoader::formatDuration(c.*field); }};
}

template <typename Field>
auto integerOption(Field Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         auto value = parseInteger<Field>(v);
                         if (!value)
                             return value.error();
                         s.config.*field = *value;
                         return {};
                     },
                     [field](const Config& c) { return std::to_string(c.*field); }};
}

auto booleanOption(bool Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         auto value = parseBoolean(v);
                         if (!value)
                             return value.error();
                         s.config.*field = *value;
                         return {};
                     },
                     [field](const Config& c) { return std::string(c.*field ? "true" : "false"); }};
}

auto stringOption(std::string Config::*field) {
    return std::pair{[field](Settings& s, std::string_view v) -> Status {
                         s.config.*field = std::string(trimSpace(v));
                         return {};
                     },
                     [field](const Config& c) { return c.*field; }};
}

template <typename Pair>
Option makeOption(std::string_view name, std::string_view placeholder, std::string_view help, Pair pair,
                  bool secret = false) {
    return Option{name, placeholder, help, std::move(pair.first), std::move(pair.second), secret};
}

const std::vector<Option>& options() {
    static const std::vector<Option> table = [] {
        std::vector<Option> o;
        // Network
        o.push_back(Option{
            "listen", "ADDRESS:PORT",
            "address and port to listen on: 127.0.0.1:8080, [::1]:8080, 0.0.0.0:443 (port 0: any free "
            "port, logged at start-up)",
            [](Settings& s, std::string_view v) {
                return ConfigLoader::parseListen(trimSpace(v), s.config.listenAddress, s.config.listenPort);
            },
            [](const Config& c) {
                const bool v6 = c.listenAddress.find(':') != std::string::npos;
                return (v6 ? "[" + c.listenAddress + "]" : c.listenAddress) + ":" +
                       std::to_string(c.listenPort);
            }});
        o.push_back(makeOption("io-threads", "N", "I/O threads, one event loop each (0: one per core)",
                               integerOption(&Config::ioThreads)));
        o.push_back(makeOption("tls-certificate", "FILE",
                               "PEM certificate chain; with tls-private-key turns on native TLS (usually a "
                               "reverse proxy terminates TLS instead)",
                               stringOption(&Config::tlsCertificate)));
        o.push_back(makeOption("tls-private-key", "FILE", "PEM private key of tls-certificate",
                               stringOption(&Config::tlsPrivateKey)));
        o.push_back(
            Option{"trusted-proxies", "CIDR,…",
                   "proxies whose X-Forwarded-For is believed, e.g. 127.0.0.1,10.0.0.0/8,fd00::/8 (empty: "
                   "none)",
                   [](Settings& s, std::string_view v) -> Status {
                       s.config.trustedProxies = splitList(v);
                       return {};
                   },
                   [](const Config& c) { return joinList(c.trustedProxies); }});
        o.push_back(makeOption("client-ipv6-prefix", "BITS",
                               "an IPv6 client is its address's first BITS bits (32…128): rate limits "
                               "count a /64 as one client, IPv4 addresses one by one",
                               integerOption(&Config::clientIpv6Prefix)));
        o.push_back(makeOption(
            "max-connections-per-client", "N",
            "open connections one client (TCP peer address, IPv6 by client-ipv6-prefix) "
            "may hold; more are closed at once. Trusted proxies are not capped (they cap each client)",
            integerOption(&Config::maxConnectionsPerClient)));
        o.push_back(
            makeOption("idle-timeout", "DURATION",
                       "closes a connection that sends or reads nothing for this long (keep-alive idle, "
                       "slow clients)",
                       secondsOption(&Config::idleTimeout)));
        o.push_back(
            makeOption("min-upload-rate", "SIZE",
                       "an upload body that brings fewer bytes than this in a min-upload-rate-window is "
                       "cut (what arrived is kept; the client resumes)",
                       sizeOption(&Config::minUploadBytes)));
        o.push_back(makeOption("min-upload-rate-window", "DURATION", "the window of min-upload-rate",
                               secondsOption(&Config::minUploadWindow)));
        o.push_back(makeOption("header-limit", "SIZE", "largest request header (413 beyond)",
                               sizeOption(&Config::headerLimit)));
        o.push_back(makeOption("json-body-limit", "SIZE", "largest JSON request body (413 beyond)",
                               sizeOption(&Config::jsonBodyLimit)));
        // Storage
        o.push_back(Option{"data-dir", "DIR", "folder for blobs and partial uploads (created if missing)",
                           [](Settings& s, std::string_view v) -> Status {
                               s.config.dataDirectory = std::filesystem::path(std::string(trimSpace(v)));
                               return {};
                           },
                           [](const Config& c) { return c.dataDirectory.string(); }});
        o.push_back(Option{"blob-store", "local|s3",
                           "where ciphertext lives: local (data-dir) or s3 (an S3 bucket; data-dir then "
                           "holds only the spool of bodies on their way to it)",
                           [](Settings& s, std::string_view v) -> Status {
                               v = trimSpace(v);
                               if (v == "local")
                                   s.config.blobStore = Config::BlobStoreKind::Local;
                               else if (v == "s3")
                                   s.config.blobStore = Config::BlobStoreKind::S3;
                               else
                                   return invalid("\"" + std::string(v) + "\" is not local or s3");
                               return {};
                           },
                           [](const Config& c) {
                               return std::string(c.blobStore == Config::BlobStoreKind::S3 ? "s3" : "local");
                           }});
        o.push_back(makeOption("s3-endpoint", "URL",
                               "the S3 service, http(s)://host[:port] (path-style addressing): Ceph RGW, "
                               "Garage, SeaweedFS, MinIO, https://s3.REGION.amazonaws.com",
                               stringOption(&Config::s3Endpoint)));
        o.push_back(
            makeOption("s3-bucket", "NAME", "the bucket (it must exist)", stringOption(&Config::s3Bucket)));
        o.push_back(makeOption("s3-region", "REGION", "the region requests are signed for",
                               stringOption(&Config::s3Region)));
        o.push_back(makeOption("s3-prefix", "PREFIX",
                               "what every key the relay makes starts with (the relay owns everything under "
                               "it: its sweeper removes what no share owns)",
                               stringOption(&Config::s3Prefix)));
        o.push_back(makeOption("s3-part-size", "SIZE",
                               "multipart upload part size (5M…5G; larger for shares that need more than "
                               "10,000 parts)",
                               sizeOption(&Config::s3PartSize)));
        o.push_back(makeOption("s3-access-key-id", "ID",
                               "S3 access key id (else s3-credentials-file, else AWS_ACCESS_KEY_ID)",
                               stringOption(&Config::s3AccessKeyId)));
        o.push_back(makeOption("s3-secret-access-key", "SECRET",
                               "S3 secret access key (else s3-credentials-file, else AWS_SECRET_ACCESS_KEY); "
                               "prefer a file readable only by the relay",
                               stringOption(&Config::s3SecretAccessKey), true));
        o.push_back(Option{"s3-credentials-file", "FILE",
                           "credentials in AWS' format ([profile] aws_access_key_id, "
                           "aws_secret_access_key, aws_session_token); must not be accessible to other users",
                           [](Settings& s, std::string_view v) -> Status {
                               const std::filesystem::path path(std::string(trimSpace(v)));
                               s.config.s3CredentialsFile = path.empty() ? path
                                                            : path.is_relative() && !s.configDirectory.empty()
                                                                ? s.configDirectory / path
                                                                : path;
                               return {};
                           },
                           [](const Config& c) { return c.s3CredentialsFile.string(); }});
        o.push_back(makeOption("s3-profile", "NAME", "the profile of s3-credentials-file",
                               stringOption(&Config::s3Profile)));
        o.push_back(makeOption("s3-ca-file", "FILE",
                               "PEM certificate authorities for an https s3-endpoint (empty: the system's)",
                               stringOption(&Config::s3CaFile)));
        o.push_back(Option{"s3-timeout", "DURATION", "connect, read and write timeout of each S3 request",
                           [](Settings& s, std::string_view v) -> Status {
                               auto duration = ConfigLoader::parseDuration(v);
                               if (!duration)
                                   return duration.error();
                               s.config.s3Timeout = *duration;
                               return {};
                           },
                           [](const Config& c) { return ConfigLoader::formatDuration(c.s3Timeout); }});
        o.push_back(
            makeOption("redis-host", "HOST", "Redis server address", stringOption(&Config::redisHost)));
        o.push_back(makeOption("redis-port", "PORT", "Redis server port", integerOption(&Config::redisPort)));
        o.push_back(makeOption("redis-password", "SECRET", "Redis AUTH password (empty: none)",
                               stringOption(&Config::redisPassword), true));
        o.push_back(
            makeOption("redis-connections", "N",
                       "Redis connections, each with its own worker thread; bounds concurrent Redis work",
                       integerOption(&Config::redisConnections)));
        o.push_back(makeOption("redis-timeout", "DURATION",
                               "connect and command timeout for Redis; a slower Redis is answered with 503",
                               millisecondsOption(&Config::redisTimeout)));
        o.push_back(Option{"redis-sentinels", "HOST:PORT,…",
                           "Redis Sentinels to ask for the master of redis-master-name, e.g. "
                           "10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379 (IPv6 in brackets); the relay "
                           "follows a failover without a restart. When set, redis-host and redis-port are "
                           "not used (empty: a single Redis at redis-host)",
                           [](Settings& s, std::string_view v) -> Status {
                               auto sentinels = ConfigLoader::parseSentinels(v);
                               if (!sentinels)
                                   return sentinels.error();
                               s.config.redisSentinels = std::move(*sentinels);
                               return {};
                           },
                           [](const Config& c) { return ConfigLoader::formatSentinels(c.redisSentinels); }});
        o.push_back(makeOption("redis-master-name", "NAME",
                               "the master's name in the sentinels' configuration (sentinel monitor NAME …)",
                               stringOption(&Config::redisMasterName)));
        o.push_back(makeOption("redis-sentinel-password", "SECRET",
                               "AUTH password of the sentinels (their requirepass; empty: none)",
                               stringOption(&Config::redisSentinelPassword), true));
        o.push_back(Option{"redis-wait-replicas", "N",
                           "after every write a client is told has happened (create, append, complete, "
                           "reservation, finish, delete, a counted attempt), wait until N replicas have it "
                           "(Redis WAIT), or answer 503; auto: 1 with redis-sentinels, 0 without",
                           [](Settings& s, std::string_view v) -> Status {
                               if (trimSpace(v) == "auto") {
                                   s.config.redisWaitReplicas.reset();
                                   return {};
                               }
                               auto value = parseInteger<unsigned>(v, 0, 64);
                               if (!value)
                                   return value.error();
                               s.config.redisWaitReplicas = *value;
                               return {};
                           },
                           [](const Config& c) {
                               return c.redisWaitReplicas ? std::to_string(*c.redisWaitReplicas)
                                                          : std::string("auto");
                           }});
        o.push_back(makeOption("redis-wait-timeout", "DURATION",
                               "how long redis-wait-replicas waits for the replicas before the answer is 503 "
                               "(less than redis-timeout when redis-wait-replicas is not 0)",
                               millisecondsOption(&Config::redisWaitTimeout)));
        // Limits
        o.push_back(makeOption("max-size", "SIZE", "largest share (ciphertext bytes)",
                               sizeOption(&Config::maxShareSize)));
        o.push_back(makeOption("storage-quota", "SIZE",
                               "total bytes all live shares may reserve (507 beyond)",
                               sizeOption(&Config::storageQuota)));
        o.push_back(makeOption("max-expiry", "DURATION", "longest lifetime a share may ask for",
                               secondsOption(&Config::maxExpiry)));
        o.push_back(makeOption("min-expiry", "DURATION", "shortest lifetime a share may ask for",
                               secondsOption(&Config::minExpiry)));
        o.push_back(makeOption("max-downloads", "N", "most downloads a share may allow",
                               integerOption(&Config::maxDownloads)));
        o.push_back(makeOption("max-attempts", "N",
                               "wrong proofs before a share locks until its owner unlocks it",
                               integerOption(&Config::maxAttempts)));
        o.push_back(makeOption("challenge-lifetime", "DURATION", "how long a challenge nonce stays usable",
                               secondsOption(&Config::challengeLifetime)));
        o.push_back(makeOption("ticket-lifetime", "DURATION",
                               "how long a download ticket allows (resumed) downloads",
                               secondsOption(&Config::ticketLifetime)));
        o.push_back(makeOption("tombstone-lifetime", "DURATION",
                               "how long a gone share still answers 410 with the reason",
                               secondsOption(&Config::tombstoneLifetime)));
        o.push_back(makeOption("sweep-interval", "DURATION", "how often expired shares' blobs are deleted",
                               secondsOption(&Config::sweepInterval)));
        o.push_back(
            makeOption("upload-idle-timeout", "DURATION",
                       "an upload that moves no byte for this long is deleted and its storage released",
                       secondsOption(&Config::uploadIdleTimeout)));
        o.push_back(
            makeOption("client-bytes-per-hour", "SIZE",
                       "bytes one client may reserve per hour (0: a quarter of storage-quota, at least "
                       "max-size); 429 beyond",
                       sizeOption(&Config::clientBytesPerHour)));
        o.push_back(makeOption("client-shares-per-hour", "N",
                               "shares one client may create per hour; 429 beyond",
                               integerOption(&Config::clientSharesPerHour)));
        o.push_back(makeOption("redis-memory-budget", "SIZE",
                               "what the shares' metadata and keys may add up to in Redis (0: 3/4 of Redis' "
                               "maxmemory when set); 507 beyond",
                               sizeOption(&Config::redisMemoryBudget)));
        o.push_back(makeOption("creates-per-minute-per-ip", "N",
                               "share creations per client address per minute",
                               integerOption(&Config::createsPerMinutePerIp)));
        o.push_back(makeOption("proofs-per-minute-per-ip", "N",
                               "challenges and proofs per client address per minute",
                               integerOption(&Config::proofsPerMinutePerIp)));
        o.push_back(Option{"upload-tokens", "TOKEN,…",
                           "only requests bearing one of these tokens may create shares (empty: anyone may)",
                           [](Settings& s, std::string_view v) -> Status {
                               s.listedTokens = splitList(v);
                               return {};
                           },
                           [](const Config& c) { return joinList(c.uploadTokens); }, true});
        o.push_back(Option{"upload-tokens-file", "FILE",
                           "file with one upload token per line (# comments), added to upload-tokens; "
                           "must hold a token and must not be accessible to other users (o-rwx). A "
                           "relative name in a config file is next to that file",
                           [](Settings& s, std::string_view v) -> Status {
                               const std::filesystem::path path(std::string(trimSpace(v)));
                               s.uploadTokensFile =
                                   path.is_relative() && !path.empty() ? s.configDirectory / path : path;
                               return {};
                           },
                           [](const Config&) { return std::string(); }});
        o.push_back(makeOption("open-relay", "BOOL",
                               "true: anyone may create shares, as intended (no upload tokens allowed). "
                               "false and no tokens: the relay is open all the same, but warns at start-up",
                               booleanOption(&Config::openRelay)));
        // Operations
        o.push_back(Option{"log-level", "LEVEL", "debug, info, warn or error",
                           [](Settings& s, std::string_view v) -> Status {
                               const std::string_view level = trimSpace(v);
                               if (!Log::parseLevel(level))
                                   return invalid("\"" + std::string(level) +
                                                  "\" is not a log level (debug, info, warn, error)");
                               s.config.logLevel = std::string(level);
                               return {};
                           },
                           [](const Config& c) { return c.logLevel; }});
        o.push_back(makeOption(
            "test-clock", "BOOL",
            "tests only, never in production: true makes the relay's notion of now Redis' time plus the "
            "milliseconds in the Redis key {ots}:test:clock-offset, which expiry tests advance instead of "
            "sleeping (a single Redis, not Cluster); warned about at start-up and by --check-config",
            booleanOption(&Config::testClock)));
        return o;
    }();
    return table;
}

const Option* findOption(std::string_view name) {
    const auto& table = options();
    const auto found =
        std::find_if(table.begin(), table.end(), [&](const Option& o) { return o.name == name; });
    return found == table.end() ? nullptr : &*found;
}

Status apply(Settings& settings, std::string_view name, std::string_view value, const std::string& origin) {
    const Option* option = findOption(name);
    if (option == nullptr)
        return invalid(origin + ": unknown option \"" + std::string(name) + "\"");
    Status status = option->set(settings, value);
    if (!status)
        return invalid(origin + ": " + std::string(name) + ": " + status.error().detail);
    return {};
}

Status applyFile(Settings& settings, const std::string& path) {
    std::ifstream file(path);
    if (!file)
        return invalid("cannot read the config file " + path);
    settings.configDirectory = std::filesystem::absolute(std::filesystem::path(path)).parent_path();
    std::string line;
    unsigned number = 0;
    while (std::getline(file, line)) {
        ++number;
        const std::string origin = path + ":" + std::to_string(number);
        std::string_view text = trimSpace(line);
        if (text.empty() || text.starts_with('#'))
            continue;
        const std::size_t equals = text.find('=');
        if (equals == std::string_view::npos)
            return invalid(origin + ": expected \"name = value\"");
        OTS_TRY(
            apply(settings, trimSpace(text.substr(0, equals)), trimSpace(text.substr(equals + 1)), origin));
    }
    settings.configDirectory.clear();
    return {};
}

constexpr std::string_view kEnvironmentPrefix = "OTS_RELAY_";

} // namespace

std::string ConfigLoader::environmentName(std::string_view optionName) {
    std::string name(kEnvironmentPrefix);
    for (const char c : optionName)
        name += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return name;
}

Result<LoadedConfig> ConfigLoader::load(const std::vector<std::string>& args,
                                        const std::map<std::string, std::string>& environment) {
    LoadedConfig loaded;
    // First pass: split flags into (name, value) pairs and find --config and the actions, because
    // the file must be applied before the environment and the flags.
    std::vector<std::pair<std::string, std::string>> flags;
    std::string configFile;
    if (const auto found = environment.find(environmentName("config")); found != environment.end())
        configFile = found->second;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--help" || arg == "-h") {
            loaded.action = ConfigAction::Help;
            continue;
        }
        if (arg == "--version") {
            loaded.action = ConfigAction::Version;
            continue;
        }
        if (arg == "--check-config") {
            loaded.action = ConfigAction::CheckConfig;
            continue;
        }
        if (!arg.starts_with("--") || arg.size() == 2)
            return invalid("unexpected argument \"" + arg + "\" (options look like --name value)");
        std::string name = arg.substr(2);
        std::string value;
        if (const std::size_t equals = name.find('='); equals != std::string::npos) {
            value = name.substr(equals + 1);
            name.resize(equals);
        } else {
            if (i + 1 >= args.size())
                return invalid("--" + name + " needs a value");
            value = args[++i];
        }
        if (name == "config") {
            configFile = value;
            continue;
        }
        if (findOption(name) == nullptr)
            return invalid("unknown option --" + name + "");
        flags.emplace_back(std::move(name), std::move(value));
    }
    if (loaded.action == ConfigAction::Help || loaded.action == ConfigAction::Version)
        return loaded;

    Settings settings;
    if (!configFile.empty())
        OTS_TRY(applyFile(settings, configFile));

    std::set<std::string> known{environmentName("config")};
    for (const Option& option : options()) {
        const std::string name = environmentName(option.name);
        known.insert(name);
        if (const auto found = environment.find(name); found != environment.end())
            OTS_TRY(apply(settings, option.name, found->second, "environment " + name));
    }
    for (const auto& [name, value] : environment)
        if (name.starts_with(kEnvironmentPrefix) && !known.contains(name))
            return invalid("unknown environment variable " + name + "");

    for (const auto& [name, value] : flags)
        OTS_TRY(apply(settings, name, value, "--" + name));

    settings.config.uploadTokens = settings.listedTokens;
    if (!settings.uploadTokensFile.empty()) {
        auto tokens = readTokensFile(settings.uploadTokensFile);
        if (!tokens)
            return tokens.error();
        settings.config.uploadTokens.insert(settings.config.uploadTokens.end(), tokens->begin(),
                                            tokens->end());
    }
    if (settings.config.blobStore == Config::BlobStoreKind::S3)
        OTS_TRY(resolveS3Credentials(settings.config, environment));
    loaded.config = std::move(settings.config);
    return loaded;
}

Status ConfigLoader::validate(const Config& c) {
    const auto check = [](bool ok, std::string message) -> Status {
        if (ok)
            return {};
        return invalid(std::move(message));
    };
    OTS_TRY(check(c.ioThreads <= 256, "io-threads must be at most 256"));
    OTS_TRY(check(c.redisPort != 0, "redis-port must not be 0"));
    OTS_TRY(check(!c.redisHost.empty(), "redis-host must not be empty"));
    OTS_TRY(check(c.redisConnections >= 1 && c.redisConnections <= 256, "redis-connections must be 1…256"));
    OTS_TRY(check(c.redisTimeout >= 10ms && c.redisTimeout <= 600'000ms, "redis-timeout must be 10ms…10m"));
    OTS_TRY(
        check(!c.redisMasterName.empty() && std::none_of(c.redisMasterName.begin(), c.redisMasterName.end(),
                                                         [](char ch) {
                                                             const auto byte = static_cast<unsigned char>(ch);
                                                             return std::isspace(byte) || std::iscntrl(byte);
                                                         }),
              "redis-master-name must be a name without spaces (as in \"sentinel monitor NAME …\")"));
    OTS_TRY(check(!c.redisSentinels.empty() || c.redisSentinelPassword.empty(),
                  "redis-sentinel-password is set but redis-sentinels is not: list the sentinels, or drop "
                  "the password"));
    // WAIT blocks the connection for up to redis-wait-timeout: within redis-timeout, or hiredis gives up
    // first.
    OTS_TRY(check(
        redisWaitReplicasCount(c) == 0 || (c.redisWaitTimeout >= 1ms && c.redisWaitTimeout < c.redisTimeout),
        "redis-wait-timeout (" + formatDuration(c.redisWaitTimeout) +
            ") must be at least 1ms and less than redis-timeout (" + formatDuration(c.redisTimeout) + ")"));
    OTS_TRY(check(c.idleTimeout >= 1s, "idle-timeout must be at least 1s"));
    OTS_TRY(check(c.minUploadWindow >= 1s, "min-upload-rate-window must be at least 1s"));
    OTS_TRY(
        check(c.headerLimit >= 1024 && c.headerLimit <= std::size_t{1} << 20, "header-limit must be 1K…1M"));
    OTS_TRY(check(c.jsonBodyLimit >= 4096 && c.jsonBodyLimit <= std::size_t{64} << 20,
                  "json-body-limit must be 4K…64M"));
    OTS_TRY(check(c.maxShareSize >= 1, "max-size must be at least 1 byte"));
    OTS_TRY(check(c.storageQuota >= c.maxShareSize, "storage-quota (" + formatSize(c.storageQuota) +
                                                        ") must be at least max-size (" +
                                                        formatSize(c.maxShareSize) + ")"));
    OTS_TRY(check(c.minExpiry >= 1s, "min-expiry must be at least 1s"));
    OTS_TRY(check(c.minExpiry <= c.maxExpiry, "min-expiry (" + formatDuration(c.minExpiry) +
                                                  ") must not exceed max-expiry (" +
                                                  formatDuration(c.maxExpiry) + ")"));
    OTS_TRY(check(c.maxDownloads >= 1, "max-downloads must be at least 1"));
    OTS_TRY(check(c.maxAttempts >= 1, "max-attempts must be at least 1"));
    OTS_TRY(check(c.challengeLifetime >= 1s, "challenge-lifetime must be at least 1s"));
    OTS_TRY(check(c.ticketLifetime >= 1s, "ticket-lifetime must be at least 1s"));
    OTS_TRY(check(c.tombstoneLifetime >= 1s, "tombstone-lifetime must be at least 1s"));
    OTS_TRY(check(c.sweepInterval >= 1s, "sweep-interval must be at least 1s"));
    OTS_TRY(check(c.uploadIdleTimeout >= 1s, "upload-idle-timeout must be at least 1s"));
    OTS_TRY(check(c.clientSharesPerHour >= 1, "client-shares-per-hour must be at least 1"));
    OTS_TRY(check(clientBytesPerHourLimit(c) >= c.maxShareSize,
                  "client-bytes-per-hour must be at least max-size (" + formatSize(c.maxShareSize) + ")"));
    OTS_TRY(check(c.createsPerMinutePerIp >= 1, "creates-per-minute-per-ip must be at least 1"));
    OTS_TRY(check(c.proofsPerMinutePerIp >= 1, "proofs-per-minute-per-ip must be at least 1"));
    OTS_TRY(check(c.tlsCertificate.empty() == c.tlsPrivateKey.empty(),
                  "tls-certificate and tls-private-key must be set together"));
    OTS_TRY(check(Log::parseLevel(c.logLevel).has_value(), "log-level must be debug, info, warn or error"));
    for (const std::string& token : c.uploadTokens) {
        // A short token can be guessed, and then the relay is open to everyone after all.
        OTS_TRY(check(token.size() >= 16, "upload tokens must be at least 16 characters"));
        OTS_TRY(check(
            std::none_of(token.begin(), token.end(),
                         [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) || ch == ','; }),
            "upload tokens must not contain spaces or commas"));
    }
    OTS_TRY(check(!c.openRelay || c.uploadTokens.empty(),
                  "open-relay = true says anyone may create shares, but upload tokens are set: drop one "
                  "or the other"));
    OTS_TRY(check(c.maxConnectionsPerClient >= 1, "max-connections-per-client must be at least 1"));
    OTS_TRY(check(c.clientIpv6Prefix >= ClientAddress::kMinIpv6Prefix &&
                      c.clientIpv6Prefix <= ClientAddress::kMaxIpv6Prefix,
                  "client-ipv6-prefix must be 32…128"));
    if (auto proxies = ClientAddress::fromTrustedProxies(c.trustedProxies); !proxies)
        return invalid("trusted-proxies: " + proxies.error().detail);

    if (c.blobStore == Config::BlobStoreKind::S3) {
        OTS_TRY(check(c.s3Endpoint.starts_with("http://") || c.s3Endpoint.starts_with("https://"),
                      "s3-endpoint must be an http:// or https:// URL (blob-store = s3)"));
        OTS_TRY(check(!c.s3Bucket.empty(), "s3-bucket must be set (blob-store = s3)"));
        OTS_TRY(check(!c.s3Region.empty(), "s3-region must not be empty"));
        OTS_TRY(check(!c.s3AccessKeyId.empty() && !c.s3SecretAccessKey.empty(),
                      "blob-store = s3 needs credentials: s3-access-key-id and s3-secret-access-key, "
                      "s3-credentials-file, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"));
        OTS_TRY(check(c.s3PartSize >= (std::uint64_t{5} << 20) && c.s3PartSize <= (std::uint64_t{5} << 30),
                      "s3-part-size must be 5M…5G"));
        OTS_TRY(
            check(c.s3Prefix.size() <= 256 && !c.s3Prefix.starts_with('/') &&
                      std::all_of(c.s3Prefix.begin(), c.s3Prefix.end(),
                                  [](char ch) {
                                      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '/' ||
                                             ch == '-' || ch == '_' || ch == '.';
                                  }),
                  "s3-prefix must be at most 256 characters of A-Z, a-z, 0-9, / - _ . and not start with /"));
        OTS_TRY(check(c.s3Timeout >= 100ms && c.s3Timeout <= 600'000ms, "s3-timeout must be 100ms…10m"));
    }
    OTS_TRY(check(!c.dataDirectory.empty(), "data-dir must not be empty"));
    std::error_code error;
    std::filesystem::create_directories(c.dataDirectory, error);
    if (error)
        return invalid("data-dir " + c.dataDirectory.string() + " cannot be created: " + error.message());
    if (!std::filesystem::is_directory(c.dataDirectory, error))
        return invalid("data-dir " + c.dataDirectory.string() + " is not a folder");
    if (::access(c.dataDirectory.c_str(), W_OK | X_OK) != 0)
        return invalid("data-dir " + c.dataDirectory.string() + " is not writable by this user");
    return {};
}

std::string ConfigLoader::helpText() {
    const Config defaults;
    std::ostringstream out;
    out << "Usage: ots-relay [--config FILE] [--OPTION VALUE | --OPTION=VALUE]...\n"
           "       ots-relay --check-config [...]   validate, print the effective configuration, exit\n"
           "       ots-relay admin COMMAND [...]    operator tools for abuse reports (admin --help)\n"
           "       ots-relay --help | --version\n"
           "\n"
           "The OneTimeShare relay: stores end-to-end encrypted shares (ciphertext only) until they are\n"
           "downloaded or expire. Metadata lives in Redis, ciphertext in --data-dir.\n"
           "\n"
           "Each option can also be set as OTS_RELAY_NAME in the environment or as \"name = value\" in the\n"
           "config file (# starts a comment). Precedence: flags > environment > config file > defaults.\n"
           "SIZE takes K, M, G or T (powers of 1024); DURATION takes ms, s, m, h or d (no suffix: seconds);\n"
           "lists are comma-separated.\n"
           "\n"
           "  --config FILE    [OTS_RELAY_CONFIG]\n"
           "      config file to read\n";
    for (const Option& option : options()) {
        const std::string value = option.show(defaults);
        out << "  --" << option.name << ' ' << option.placeholder << "    [" << environmentName(option.name)
            << "; default: " << (value.empty() ? "none" : value) << "]\n      " << option.help << '\n';
    }
    out << "  --check-config\n"
           "      validate the configuration (data-dir writable, TLS files load), log in to Redis (a\n"
           "      missing or refused redis-password is invalid), print the configuration without secrets,\n"
           "      and warn on standard error, one line \"ots-relay: warning: ...\" each, about: an open\n"
           "      relay nobody declared open (open-relay), the test clock on (test-clock), Redis\n"
           "      unreachable, Redis without a password, Redis without maxmemory (or CONFIG refused),\n"
           "      fewer replicas than redis-wait-replicas, and with redis-sentinels a sentinel that cannot\n"
           "      be reached or does not know redis-master-name (a refused redis-sentinel-password is\n"
           "      invalid); warnings still exit 0. Lines \"# ...\" after the configuration say what\n"
           "      answered: Redis, or each sentinel with the master it named, and that master\n"
           "  --help, --version\n"
           "\n"
           "Signals: SIGTERM or SIGINT drains: no new connections, requests in flight may finish (10 s at "
           "most),\n"
           "then the relay exits 0. A second signal exits at once.\n"
           "\n"
           "Exit codes: 0 stopped cleanly (or --help, --version, --check-config passed); 1 start-up failed\n"
           "(cryptographic self-test, listening socket, data folder); 2 invalid configuration.\n";
    return out.str();
}

std::vector<std::string> ConfigLoader::warnings(const Config& config) {
    std::vector<std::string> found;
    if (config.uploadTokens.empty() && !config.openRelay)
        found.emplace_back(
            "open relay: no upload tokens are set, so anyone who reaches this relay may "
            "create shares (set upload-tokens-file, or open-relay = true if that is intended)");
    if (config.testClock)
        found.emplace_back("test clock on (test-clock = true): the relay's time is Redis' time plus the "
                           "offset in {ots}:test:clock-offset, which anyone who can write to Redis moves; "
                           "for tests only, never in production");
    return found;
}

std::string ConfigLoader::describe(const Config& config) {
    std::ostringstream out;
    for (const Option& option : options()) {
        if (option.name == "upload-tokens-file")
            continue; // its tokens are part of upload-tokens
        std::string value = option.show(config);
        if (option.secret)
            value = value.empty() ? "" : "(set)";
        out << option.name << " = " << value << '\n';
    }
    return out.str();
}

Result<std::uint64_t> ConfigLoader::parseSize(std::string_view text) {
    text = trimSpace(text);
    const std::string original(text);
    bool binarySuffix = false; // "KiB": then a unit letter must precede
    if (text.ends_with("iB") || text.ends_with("ib")) {
        text.remove_suffix(2);
        binarySuffix = true;
    } else if (text.ends_with('B') || text.ends_with('b')) {
        text.remove_suffix(1);
    }
    unsigned shift = 0;
    if (!text.empty()) {
        switch (std::toupper(static_cast<unsigned char>(text.back()))) {
        case 'K':
            shift = 10;
            break;
        case 'M':
            shift = 20;
            break;
        case 'G':
            shift = 30;
            break;
        case 'T':
            shift = 40;
            break;
        default:
            break;
        }
        if (shift != 0)
            text.remove_suffix(1);
    }
    if (binarySuffix && shift == 0)
        return invalid("\"" + original + "\" is not a size (like 8K, 10G)");
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return invalid("\"" + original + "\" is not a size (like 8K, 10G)");
    if (value > (std::numeric_limits<std::uint64_t>::max() >> shift))
        return invalid("\"" + original + "\" is too large");
    return value << shift;
}

Result<std::chrono::milliseconds> ConfigLoader::parseDuration(std::string_view text) {
    text = trimSpace(text);
    const std::string original(text);
    std::uint64_t unitMs = 1000;
    if (text.ends_with("ms")) {
        unitMs = 1;
        text.remove_suffix(2);
    } else if (!text.empty() && std::isalpha(static_cast<unsigned char>(text.back()))) {
        switch (text.back()) {
        case 's':
            unitMs = 1000;
            break;
        case 'm':
            unitMs = 60'000;
            break;
        case 'h':
            unitMs = 3'600'000;
            break;
        case 'd':
            unitMs = 86'400'000;
            break;
        default:
            return invalid("\"" + original + "\" is not a duration (like 30s, 15m, 7d)");
        }
        text.remove_suffix(1);
    }
    std::uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc{} || end != text.data() + text.size())
        return invalid("\"" + original + "\" is not a duration (like 30s, 15m, 7d)");
    // Ten years is far beyond any sensible setting and keeps every later sum far from overflow.
    constexpr std::uint64_t kMaxMs = std::uint64_t{3650} * 86'400'000;
    if (value > kMaxMs / unitMs)
        return invalid("\"" + original + "\" is too long");
    return std::chrono::milliseconds(static_cast<std::int64_t>(value * unitMs));
}

std::string ConfigLoader::formatSize(std::uint64_t bytes) {
    if (bytes == 0)
        return "0";
    constexpr std::pair<unsigned, char> kUnits[] = {{40, 'T'}, {30, 'G'}, {20, 'M'}, {10, 'K'}};
    for (const auto& [shift, suffix] : kUnits)
        if (bytes % (std::uint64_t{1} << shift) == 0)
            return std::to_string(bytes >> shift) + suffix;
    return std::to_string(bytes);
}

std::string ConfigLoader::formatDuration(std::chrono::milliseconds duration) {
    const auto ms = static_cast<std::uint64_t>(duration.count());
    if (ms == 0)
        return "0s";
    constexpr std::pair<std::uint64_t, std::string_view> kUnits[] = {
        {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    for (const auto& [unit, suffix] : kUnits)
        if (ms % unit == 0)
            return std::to_string(ms / unit) + std::string(suffix);
    return std::to_string(ms) + "ms";
}

Result<std::vector<RedisAddress>> ConfigLoader::parseSentinels(std::string_view text) {
    std::vector<RedisAddress> sentinels;
    for (const std::string& item : splitList(text)) {
        const std::string_view entry = item;
        std::string_view host;
        std::string_view portText;
        const bool bracketed = entry.starts_with('[');
        if (bracketed) {
            const std::size_t close = entry.find("]:");
            if (close == std::string_view::npos)
                return invalid("\"" + item + "\" is not [IPV6]:PORT");
            host = entry.substr(1, close - 1);
            portText = entry.substr(close + 2);
        } else {
            const std::size_t colon = entry.rfind(':');
            if (colon == std::string_view::npos || entry.find(':') != colon)
                return invalid("\"" + item +
                               "\" is not HOST:PORT (a sentinel's port is usually 26379; IPv6 goes in "
                               "brackets: [::1]:26379)");
            host = entry.substr(0, colon);
            portText = entry.substr(colon + 1);
        }
        boost::system::error_code error;
        const auto address = boost::asio::ip::make_address(std::string(host), error);
        const bool hostName =
            !bracketed && !host.empty() && host.size() <= 253 &&
            std::all_of(host.begin(), host.end(), [](char ch) {
                return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_';
            });
        if ((bracketed && (error || !address.is_v6())) || (!bracketed && error && !hostName))
            return invalid("\"" + std::string(host) + "\" in \"" + item +
                           "\" is neither an IP address nor a host name");
        auto port = parseInteger<std::uint16_t>(portText, 1);
        if (!port)
            return invalid("\"" + std::string(portText) + "\" in \"" + item + "\" is not a port (1…65535)");
        RedisAddress sentinel{error ? std::string(host) : address.to_string(), *port};
        if (std::find(sentinels.begin(), sentinels.end(), sentinel) != sentinels.end())
            return invalid("\"" + item + "\" is listed twice");
        sentinels.push_back(std::move(sentinel));
    }
    return sentinels;
}

std::string ConfigLoader::formatSentinels(const std::vector<RedisAddress>& sentinels) {
    std::vector<std::string> items;
    items.reserve(sentinels.size());
    for (const RedisAddress& sentinel : sentinels)
        items.push_back(addressText(sentinel));
    return joinList(items);
}

Status ConfigLoader::parseListen(std::string_view text, std::string& address, std::uint16_t& port) {
    std::string_view host;
    std::string_view portText;
    if (text.starts_with('[')) {
        const std::size_t close = text.find("]:");
        if (close == std::string_view::npos)
            return invalid("\"" + std::string(text) + "\" is not [IPV6]:PORT");
        host = text.substr(1, close - 1);
        portText = text.substr(close + 2);
    } else {
        const std::size_t colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return invalid("\"" + std::string(text) +
                           "\" is not ADDRESS:PORT (IPv6 goes in brackets: [::1]:8080)");
        host = text.substr(0, colon);
        portText = text.substr(colon + 1);
    }
    boost::system::error_code error;
    const auto parsed = boost::asio::ip::make_address(std::string(host), error);
    if (error || (text.starts_with('[') && !parsed.is_v6()))
        return invalid("\"" + std::string(host) + "\" is not an IP address (host names are not resolved)");
    auto number = parseInteger<std::uint16_t>(portText);
    if (!number)
        return invalid("\"" + std::string(portText) + "\" is not a port (0…65535)");
    address = parsed.to_string();
    port = *number;
    return {};
}

} // namespace ots::relay
