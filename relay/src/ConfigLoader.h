#pragma once

// Builds a Config from four layers, later ones winning: built-in defaults < config file (--config
// FILE or OTS_RELAY_CONFIG; lines "name = value", # comments) < environment (OTS_RELAY_NAME, the
// option name upper-cased with dashes as underscores) < command-line flags (--name value or
// --name=value). Every Config field has exactly one option name used in all three places.
// An unknown option, file line or OTS_RELAY_* variable is an error, so a typo never silently falls
// back to a default.

#include "Config.h"
#include "ots/Result.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

enum class ConfigAction {
    Run,         ///< serve
    Help,        ///< --help: print helpText() and exit 0
    Version,     ///< --version: print the version and exit 0
    CheckConfig, ///< --check-config: validate, print describe() and exit 0 (or the problem, exit 2)
};

struct LoadedConfig {
    Config config;
    ConfigAction action = ConfigAction::Run;
};

class ConfigLoader {
public:
    /// Exit codes of ots-relay, listed in helpText().
    static constexpr int kExitOk = 0;
    static constexpr int kExitFailure = 1;   ///< start-up failed: self-test, bind, Redis-independent I/O
    static constexpr int kExitBadConfig = 2; ///< invalid option, value, file or combination

    /// args excludes the program name. environment holds the process environment (name → value);
    /// only OTS_RELAY_* names are looked at. Fails with Errc::InvalidArgument and a sentence that
    /// names the option and where it came from.
    [[nodiscard]] static Result<LoadedConfig> load(const std::vector<std::string>& args,
                                                   const std::map<std::string, std::string>& environment);

    /// Checks what single values cannot: ranges, min ≤ max, the TLS pair, the trusted-proxy CIDRs,
    /// and that the data folder exists or can be created and is writable (it is created here).
    /// Whether the TLS files load is checked by HttpServer, which owns the TLS context.
    [[nodiscard]] static Status validate(const Config& config);

    /// What is valid but unsafe, one sentence each: today an open relay nobody declared open
    /// (no upload tokens, open-relay false). Logged at start-up, printed by --check-config.
    [[nodiscard]] static std::vector<std::string> warnings(const Config& config);

    /// Every option with its value placeholder, default, environment name and purpose.
    [[nodiscard]] static std::string helpText();
    /// The effective configuration as config-file lines, secrets shown only as "(set)".
    [[nodiscard]] static std::string describe(const Config& config);

    /// "1200", "64K", "10G", "1T" (binary multiples; an optional trailing "B" or "iB" is accepted).
    [[nodiscard]] static Result<std::uint64_t> parseSize(std::string_view text);
    /// "90" (seconds), "250ms", "30s", "15m", "12h", "7d".
    [[nodiscard]] static Result<std::chrono::milliseconds> parseDuration(std::string_view text);
    /// The shortest exact spelling: 8192 → "8K", 1228800 → "1200K".
    [[nodiscard]] static std::string formatSize(std::uint64_t bytes);
    /// The shortest exact spelling: 86400 s → "1d", 2000 ms → "2s", 1500 ms → "1500ms".
    [[nodiscard]] static std::string formatDuration(std::chrono::milliseconds duration);
    /// "127.0.0.1:8080", "[::1]:8080", "0.0.0.0:443": an IP literal and a port.
    [[nodiscard]] static Status parseListen(std::string_view text, std::string& address, std::uint16_t& port);

    /// redis-sentinels: "HOST:PORT,…" with IP addresses or host names, IPv6 in brackets; no port 0, no
    /// sentinel twice. Empty text: no sentinels.
    [[nodiscard]] static Result<std::vector<RedisAddress>> parseSentinels(std::string_view text);
    /// The list as parseSentinels reads it back.
    [[nodiscard]] static std::string formatSentinels(const std::vector<RedisAddress>& sentinels);

    /// OTS_RELAY_ + upper-cased name with dashes as underscores.
    [[nodiscard]] static std::string environmentName(std::string_view optionName);
};

} // namespace ots::relay
