#pragma once

// What the relay learns about its Redis by asking it, for `--check-config` and the start-up log:
// whether the relay can log in, whether anyone could (no password), whether Redis's memory is
// bounded, and with Redis Sentinel, which sentinels answer and which master they name. The relay cannot
// tell from its own configuration: a Redis may require a password the relay lacks, or accept anyone
// although the relay sends one.

#include "ots/Result.h"

#include <string>
#include <vector>

namespace ots::relay {

struct Config;

class RedisAudit {
public:
    struct Findings {
        std::vector<std::string> reached;  ///< what answered: each sentinel and the master it names, Redis
        std::vector<std::string> warnings; ///< one sentence each
    };

    /// Connects with config's Redis settings (through the sentinels when redis-sentinels is set, each
    /// of which is asked on its own). An error (Errc::InvalidArgument) when Redis (or a sentinel) wants
    /// a password the relay does not have or refuses the one it has: the configuration is wrong.
    /// Otherwise what answered, and the warnings: a sentinel unreachable or not knowing the master,
    /// sentinels naming different masters, Redis unreachable (nothing else checked), Redis without
    /// authentication, no maxmemory, or maxmemory that could not be read (CONFIG refused), fewer
    /// connected replicas than redis-wait-replicas. Never names a password.
    [[nodiscard]] static Result<Findings> audit(const Config& config);
};

} // namespace ots::relay
