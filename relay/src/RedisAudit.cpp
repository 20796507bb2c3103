#include "RedisAudit.h"

#include "Config.h"
#include "RedisConnection.h"

namespace ots::relay {

Result<std::vector<std::string>> RedisAudit::audit(const Config& config) {
    const std::string redis = "Redis at " + config.redisHost + ":" + std::to_string(config.redisPort);
    std::vector<std::string> warnings;
    RedisConnection connection(config);
    try {
        (void)connection.command({"PING"});
    } catch (const RedisAuthError& e) {
        return Error{Errc::InvalidArgument, std::string(e.what()) + " (" + redis + ")"};
    } catch (const RedisError& e) {
        warnings.push_back("cannot reach " + redis + " (" + e.what() +
                           "); its authentication and maxmemory were not checked");
        return warnings;
    }
    // PING answered without AUTH: every process that can connect may read and change share state.
    if (config.redisPassword.empty())
        warnings.push_back(redis +
                           " accepts commands without a password: set requirepass there and redis-password "
                           "here (or keep it on a host where nothing else can connect)");
    try {
        const ReplyPtr reply = connection.command({"CONFIG", "GET", "maxmemory"}, true);
        if (reply->type == REDIS_REPLY_ERROR) {
            warnings.push_back("cannot check the maxmemory of " + redis + ": CONFIG GET was refused (" +
                               std::string(reply->str, reply->len) + ")");
        } else {
            const ReplyView pair(reply.get());
            if (pair.size() == 2 && pair[1].number() == 0)
                warnings.push_back(redis +
                                   " has no maxmemory: it may grow until the system runs out of memory; set "
                                   "maxmemory there and keep maxmemory-policy noeviction");
        }
    } catch (const RedisError& e) {
        warnings.push_back("cannot check the maxmemory of " + redis + " (" + e.what() + ")");
    }
    return warnings;
}

} // namespace ots::relay
