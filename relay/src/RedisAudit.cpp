#include "RedisAudit.h"

#include "Config.h"
#include "RedisConnection.h"

#include <set>

namespace ots::relay {

namespace {

/// Asks every sentinel for the master: what each named goes to reached, what failed to warnings.
/// A sentinel that refuses redis-sentinel-password makes the configuration invalid.
Status auditSentinels(const Config& config, RedisAudit::Findings& findings) {
    std::set<std::string> masters;
    for (const RedisAddress& sentinel : config.redisSentinels) {
        const std::string name = "Redis Sentinel at " + addressText(sentinel);
        try {
            const RedisAddress master = RedisConnection::askSentinel(
                sentinel, config.redisMasterName, config.redisSentinelPassword, config.redisTimeout);
            std::string named = name;
            named.append(" names ")
                .append(addressText(master))
                .append(" as master ")
                .append(config.redisMasterName);
            masters.insert(addressText(master));
            findings.reached.push_back(std::move(named));
        } catch (const RedisAuthError& e) {
            return Error{Errc::InvalidArgument, e.what()};
        } catch (const RedisError& e) {
            findings.warnings.push_back(std::string(e.what()) +
                                        "; the relay asks the other sentinels, but a failover needs a "
                                        "majority of them");
        }
    }
    if (masters.size() > 1) {
        std::string list;
        for (const std::string& master : masters)
            list += (list.empty() ? "" : ", ") + master;
        findings.warnings.push_back("the sentinels name different masters for " + config.redisMasterName +
                                    " (" + list +
                                    "): a failover is under way, or they do not watch the same Redis");
    }
    return {};
}

} // namespace

Result<RedisAudit::Findings> RedisAudit::audit(const Config& config) {
    Findings findings;
    if (!config.redisSentinels.empty())
        OTS_TRY(auditSentinels(config, findings));
    RedisConnection connection(config);
    try {
        (void)connection.command({"PING"});
    } catch (const RedisAuthError& e) {
        return Error{Errc::InvalidArgument, std::string(e.what()) + " (" + connection.describe() + ")"};
    } catch (const RedisError& e) {
        findings.warnings.push_back("cannot reach " + connection.describe() + " (" + e.what() +
                                    "); its authentication and maxmemory were not checked");
        return findings;
    }
    const std::string redis = connection.describe();
    findings.reached.push_back(redis + (config.redisSentinels.empty() ? " answers" : " answers as master"));
    // PING answered without AUTH: every process that can connect may read and change share state.
    if (config.redisPassword.empty())
        findings.warnings.push_back(
            redis + " accepts commands without a password: set requirepass there and redis-password "
                    "here (or keep it on a host where nothing else can connect)");
    try {
        const ReplyPtr reply = connection.command({"CONFIG", "GET", "maxmemory"}, true);
        if (reply->type == REDIS_REPLY_ERROR) {
            findings.warnings.push_back("cannot check the maxmemory of " + redis +
                                        ": CONFIG GET was refused (" + std::string(reply->str, reply->len) +
                                        ")");
        } else {
            const ReplyView pair(reply.get());
            if (pair.size() == 2 && pair[1].number() == 0)
                findings.warnings.push_back(
                    redis + " has no maxmemory: it may grow until the system runs out of memory; set "
                            "maxmemory there and keep maxmemory-policy noeviction");
        }
    } catch (const RedisError& e) {
        findings.warnings.push_back("cannot check the maxmemory of " + redis + " (" + e.what() + ")");
    }
    const unsigned wanted = redisWaitReplicasCount(config);
    if (wanted > 0) {
        try {
            // ROLE on a master: "master", its offset, then one entry per connected replica.
            const ReplyPtr reply = connection.command({"ROLE"});
            const std::size_t replicas = ReplyView(reply.get())[2].size();
            if (replicas < wanted)
                findings.warnings.push_back(redis + " has " + std::to_string(replicas) +
                                            " connected replicas but redis-wait-replicas is " +
                                            std::to_string(wanted) +
                                            ": every create, upload and download is answered 503 until "
                                            "enough replicas are back");
        } catch (const RedisError& e) {
            findings.warnings.push_back("cannot count the replicas of " + redis + " (" + e.what() + ")");
        }
    }
    return findings;
}

} // namespace ots::relay
