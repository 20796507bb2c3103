#pragma once

// What the relay learns about its Redis by asking it, for `--check-config` and the start-up log:
// whether the relay can log in, whether anyone could (no password), and whether Redis's memory is
// bounded. The relay cannot tell from its own configuration: a Redis may require a password the
// relay lacks, or accept anyone although the relay sends one.

#include "ots/Result.h"

#include <string>
#include <vector>

namespace ots::relay {

struct Config;

class RedisAudit {
public:
    /// Connects with config's Redis settings. An error (Errc::InvalidArgument) when Redis wants a
    /// password the relay does not have or refuses the one it has: the configuration is wrong.
    /// Otherwise the warnings, one sentence each: Redis unreachable (nothing else checked), Redis
    /// without authentication, no maxmemory, or maxmemory that could not be read (CONFIG refused).
    /// Never names the password.
    [[nodiscard]] static Result<std::vector<std::string>> audit(const Config& config);
};

} // namespace ots::relay
