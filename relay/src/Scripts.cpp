#include "Scripts.h"

#include "LuaScripts.h"

#include <array>
#include <cstddef>
#include <openssl/evp.h>

namespace ots::relay {

namespace {

std::string sha1Hex(std::string_view text) {
    std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
    unsigned int length = 0;
    if (EVP_Digest(text.data(), text.size(), digest.data(), &length, EVP_sha1(), nullptr) != 1)
        throw std::runtime_error("SHA-1 of a Lua script failed");
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < length; ++i) {
        out.push_back(hex[digest[i] >> 4]);
        out.push_back(hex[digest[i] & 0xf]);
    }
    return out;
}

// The sources are relay/lua/*.lua, embedded by the build (relay/cmake/EmbedFiles.cmake) as byte arrays
// without a terminating NUL.
template <std::size_t N>
constexpr std::string_view embedded(const char (&bytes)[N]) {
    return {bytes, N};
}

// Every script starts with the prelude (prelude.lua) and a clock that defines nowMs(): clock.lua, or
// test_clock.lua for a relay whose test-clock setting is on. A share script then has the share prelude
// (share_prelude.lua), a script that admits a client the client limit (client_limit.lua). The SHA-1 that
// EVALSHA names a variant by is that of its whole source.
Script compose(std::string_view name, std::string_view middle, std::string_view body) {
    const std::string prelude(embedded(lua::kPrelude));
    const std::string rest = std::string(middle) + std::string(body);
    std::string source = prelude + std::string(embedded(lua::kClock)) + rest;
    std::string testClockSource = prelude + std::string(embedded(lua::kTestClock)) + rest;
    std::string sha = sha1Hex(source);
    std::string testClockSha = sha1Hex(testClockSource);
    return {name, std::move(source), std::move(sha), std::move(testClockSource), std::move(testClockSha)};
}

Script shareScript(std::string_view name, std::string_view body) {
    return compose(name, embedded(lua::kSharePrelude), body);
}

Script relayScript(std::string_view name, std::string_view body) {
    return compose(name, {}, body);
}

Script clientScript(std::string_view name, std::string_view body) {
    return compose(name, embedded(lua::kClientLimit), body);
}

} // namespace

namespace scripts {

const Script create = shareScript("create", embedded(lua::kCreate));
const Script appendBegin = shareScript("appendBegin", embedded(lua::kAppendBegin));
const Script appendEnd = shareScript("appendEnd", embedded(lua::kAppendEnd));
const Script completeBegin = shareScript("completeBegin", embedded(lua::kCompleteBegin));
const Script completeEnd = shareScript("completeEnd", embedded(lua::kCompleteEnd));
const Script challenge = shareScript("challenge", embedded(lua::kChallenge));
const Script proofBegin = shareScript("proofBegin", embedded(lua::kProofBegin));
const Script attemptBegin = shareScript("attemptBegin", embedded(lua::kAttemptBegin));
const Script attemptFail = shareScript("attemptFail", embedded(lua::kAttemptFail));
const Script attemptRefund = shareScript("attemptRefund", embedded(lua::kAttemptRefund));
const Script reserve = shareScript("reserve", embedded(lua::kReserve));
const Script ticketCheck = shareScript("ticketCheck", embedded(lua::kTicketCheck));
const Script finish = shareScript("finish", embedded(lua::kFinish));
const Script ticketLapse = shareScript("ticketLapse", embedded(lua::kTicketLapse));
const Script expireCheck = shareScript("expireCheck", embedded(lua::kExpireCheck));
const Script remove = shareScript("remove", embedded(lua::kRemove));
const Script takedown = shareScript("takedown", embedded(lua::kTakedown));
const Script unlock = shareScript("unlock", embedded(lua::kUnlock));
const Script status = shareScript("status", embedded(lua::kStatus));
const Script leaseReclaim = relayScript("leaseReclaim", embedded(lua::kLeaseReclaim));
const Script quotaReserve = clientScript("quotaReserve", embedded(lua::kQuotaReserve));
const Script quotaRelease = relayScript("quotaRelease", embedded(lua::kQuotaRelease));
const Script schedule = relayScript("schedule", embedded(lua::kSchedule));
const Script rateLimit = clientScript("rateLimit", embedded(lua::kRateLimit));
const Script now = relayScript("now", embedded(lua::kNow));

const std::vector<const Script*>& all() {
    static const std::vector<const Script*> list{
        &create,       &appendBegin,  &appendEnd,    &completeBegin, &completeEnd,
        &challenge,    &proofBegin,   &attemptBegin, &attemptFail,   &attemptRefund,
        &reserve,      &ticketCheck,  &finish,       &ticketLapse,   &expireCheck,
        &remove,       &takedown,     &unlock,       &status,        &leaseReclaim,
        &quotaReserve, &quotaRelease, &schedule,     &rateLimit,     &now,
    };
    return list;
}

} // namespace scripts

ReplyPtr runScript(RedisConnection& redis, const Script& script, const std::vector<std::string>& keys,
                   const std::vector<std::string>& args, bool testClock) {
    const std::string& source = testClock ? script.testClockSource : script.source;
    const std::string& sha1 = testClock ? script.testClockSha1 : script.sha1;
    const std::string keyCount = std::to_string(keys.size());
    std::vector<std::string_view> argv;
    argv.reserve(3 + keys.size() + args.size());
    argv.emplace_back("EVALSHA");
    argv.emplace_back(sha1);
    argv.emplace_back(keyCount);
    for (const std::string& key : keys)
        argv.emplace_back(key);
    for (const std::string& arg : args)
        argv.emplace_back(arg);
    ReplyPtr reply = redis.command(argv, true);
    if (reply->type == REDIS_REPLY_ERROR) {
        const std::string_view message(reply->str, reply->len);
        if (!message.starts_with("NOSCRIPT"))
            throw RedisError("Redis script " + std::string(script.name) + " failed: " + std::string(message));
        argv[0] = "EVAL";
        argv[1] = source;
        reply = redis.command(argv);
    }
    return reply;
}

} // namespace ots::relay
