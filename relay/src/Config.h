#pragma once

// Relay configuration: defaults < config file < environment (OTS_RELAY_*) < command-line flags.
// Every option has one name used in all three places: flag --max-size, env OTS_RELAY_MAX_SIZE,
// file line "max-size = 10G".

#include "ots/Result.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace ots::relay {

/// Where a Redis or a Redis Sentinel listens: a host name or IP address and a port.
struct RedisAddress {
    std::string host;
    std::uint16_t port = 0;
    friend bool operator==(const RedisAddress&, const RedisAddress&) = default;
};

/// "HOST:PORT", IPv6 in brackets: as redis-sentinels spells it.
[[nodiscard]] inline std::string addressText(const RedisAddress& address) {
    const bool v6 = address.host.find(':') != std::string::npos;
    return (v6 ? "[" + address.host + "]" : address.host) + ":" + std::to_string(address.port);
}

struct Config {
    // Network
    std::string listenAddress = "127.0.0.1";
    std::uint16_t listenPort = 8080;
    unsigned ioThreads = 0;     ///< 0 = one per core
    std::string tlsCertificate; ///< PEM; TLS is on when both are set
    std::string tlsPrivateKey;
    std::vector<std::string> trustedProxies; ///< CIDRs whose X-Forwarded-For is believed
    unsigned clientIpv6Prefix = 64;          ///< an IPv6 client is its first this many bits (32…128)
    std::chrono::seconds idleTimeout{30};    ///< keep-alive idle and per-read timeout
    /// An upload body must bring at least minUploadBytes in every minUploadWindow, or it is cut (what
    /// arrived is kept and the upload resumes): a trickle cannot hold a connection and its buffers.
    std::uint64_t minUploadBytes = std::uint64_t{16} * 1024;
    std::chrono::seconds minUploadWindow{30};
    std::uint32_t maxConnectionsPerClient = 256; ///< open connections per TCP peer's client bucket
    std::size_t headerLimit = std::size_t{8} * 1024;
    std::size_t jsonBodyLimit =
        std::size_t{1536} * 1024; ///< create carries a metadata envelope of up to 1 MiB as base64

    // Storage
    /// Where ciphertext lives: the data folder, or an S3 bucket (the data folder then holds only the
    /// spool of append bodies on their way to the bucket).
    enum class BlobStoreKind { Local, S3 };
    std::filesystem::path dataDirectory = "./ots-data";
    std::string s3Endpoint; ///< http(s)://host[:port]; path-style addressing
    std::string s3Bucket;
    std::string s3Region = "us-east-1";
    std::string s3Prefix = "ots/"; ///< every key the relay makes starts with it
    std::uint64_t s3PartSize = std::uint64_t{8} << 20;
    std::string s3AccessKeyId;
    std::string s3SecretAccessKey;
    std::string s3SessionToken;
    std::filesystem::path s3CredentialsFile; ///< AWS' ini format, read at load: profile s3Profile
    std::string s3Profile = "default";
    std::string s3CaFile; ///< PEM CA for an https endpoint; empty: the system's
    std::chrono::milliseconds s3Timeout{30000};
    std::string redisHost = "127.0.0.1";
    std::uint16_t redisPort = 6379;
    /// blob-store (with the storage options above; declared here, where it packs with redisPort).
    BlobStoreKind blobStore = BlobStoreKind::Local;
    std::string redisPassword;
    unsigned redisConnections = 4; ///< worker threads, one hiredis connection each
    std::chrono::milliseconds redisTimeout{2000};
    /// Redis Sentinel: when not empty, the relay asks these for the master of redisMasterName (and
    /// follows a failover); redisHost and redisPort are not used.
    std::vector<RedisAddress> redisSentinels;
    std::string redisMasterName = "mymaster";
    std::string redisSentinelPassword; ///< AUTH for the sentinels (their requirepass); empty: none
    /// After a write that an answer acknowledges (create, append, complete, reserve, finish, delete, a
    /// counted attempt), WAIT for this many replicas; fewer within redisWaitTimeout is a 503. Unset
    /// ("auto"): 1 with sentinels, 0 without (redisWaitReplicasCount()).
    std::optional<unsigned> redisWaitReplicas;
    std::chrono::milliseconds redisWaitTimeout{500};

    // Limits
    std::uint64_t maxShareSize = std::uint64_t{10} << 30;
    std::uint64_t storageQuota = std::uint64_t{100} << 30;
    std::chrono::seconds maxExpiry{7 * 24 * 3600};
    std::chrono::seconds minExpiry{60};
    std::uint32_t maxDownloads = 100;
    std::uint32_t maxAttempts = 5;
    std::chrono::seconds challengeLifetime{120};
    std::chrono::seconds ticketLifetime{3600};
    std::chrono::seconds tombstoneLifetime{7 * 24 * 3600};
    std::chrono::seconds sweepInterval{30};
    /// An upload that moves no byte for this long is deleted and its quota released.
    std::chrono::seconds uploadIdleTimeout{3600};
    /// Bytes (ciphertext plus the share's Redis footprint) one client may reserve per hour; 0: a quarter
    /// of storageQuota, at least maxShareSize (clientBytesPerHourLimit()).
    std::uint64_t clientBytesPerHour = 0;
    std::uint32_t clientSharesPerHour = 1000; ///< shares one client may create per hour
    /// What the shares' Redis footprint may add up to; 0: three quarters of Redis' maxmemory when it is
    /// set (read from Redis at start and by every sweep), else no budget of its own.
    std::uint64_t redisMemoryBudget = 0;
    std::uint32_t createsPerMinutePerIp = 60;
    std::uint32_t proofsPerMinutePerIp = 120;
    std::vector<std::string> uploadTokens; ///< empty: anyone may create shares
    /// The operator's statement that anyone may create shares: no upload tokens, and no warning about
    /// it. Without tokens and without this, the relay still serves everyone but warns at start-up.
    bool openRelay = false;

    // Operations
    /// Tests only: the scripts' notion of now is Redis time plus keys::kTestClockOffset (ms), which a
    /// test advances instead of sleeping. Warned about at start-up and by --check-config.
    bool testClock = false;
    std::string logLevel = "info"; ///< debug, info, warn, error
};

/// redisWaitReplicas as it applies.
[[nodiscard]] inline unsigned redisWaitReplicasCount(const Config& config) noexcept {
    if (config.redisWaitReplicas)
        return *config.redisWaitReplicas;
    return config.redisSentinels.empty() ? 0U : 1U;
}

/// clientBytesPerHour as it applies.
[[nodiscard]] inline std::uint64_t clientBytesPerHourLimit(const Config& config) noexcept {
    if (config.clientBytesPerHour != 0)
        return config.clientBytesPerHour;
    return std::max(config.maxShareSize, config.storageQuota / 4);
}

} // namespace ots::relay
