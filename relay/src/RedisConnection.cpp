#include "RedisConnection.h"

#include "Config.h"

#include <charconv>
#include <limits>
#include <optional>

namespace ots::relay {

namespace {
timeval toTimeval(std::chrono::milliseconds timeout) noexcept {
    timeval tv{};
    tv.tv_sec = static_cast<decltype(tv.tv_sec)>(timeout.count() / 1000);
    tv.tv_usec = static_cast<decltype(tv.tv_usec)>((timeout.count() % 1000) * 1000);
    return tv;
}

std::string_view typeName(int type) noexcept {
    switch (type) {
    case REDIS_REPLY_STRING:
        return "string";
    case REDIS_REPLY_ARRAY:
        return "array";
    case REDIS_REPLY_INTEGER:
        return "integer";
    case REDIS_REPLY_NIL:
        return "nil";
    case REDIS_REPLY_STATUS:
        return "status";
    case REDIS_REPLY_ERROR:
        return "error";
    default:
        return "unknown";
    }
}

constexpr char kNoAuthMessage[] = "Redis requires a password (NOAUTH): set redis-password to its requirepass";

bool isNoAuth(const redisReply* reply) noexcept {
    return std::string_view(reply->str, reply->len).starts_with("NOAUTH");
}

/// Errors that say this Redis is no master (any more, or not yet): the connection is dropped, and the
/// next command finds the master again.
bool isNotMaster(const redisReply* reply) noexcept {
    const std::string_view text(reply->str, reply->len);
    return text.starts_with("READONLY") || text.starts_with("LOADING") || text.starts_with("MASTERDOWN") ||
           text.find("-READONLY ") != std::string_view::npos; // a script's write on a replica (Redis < 7)
}

/// A connection with the command timeout set; what is the Redis's name for messages.
RedisContextPtr connectTo(const RedisAddress& address, std::chrono::milliseconds timeout,
                          const std::string& what) {
    RedisContextPtr context(redisConnectWithTimeout(address.host.c_str(), address.port, toTimeval(timeout)));
    if (!context)
        throw RedisError("cannot allocate a Redis context");
    if (context->err != 0)
        throw RedisError("cannot connect to " + what + ": " + context->errstr);
    if (redisSetTimeout(context.get(), toTimeval(timeout)) != REDIS_OK)
        throw RedisError("cannot set the timeout for " + what);
    return context;
}

/// AUTH with password unless it is empty. option names the setting in messages; Redis' own reason
/// (WRONGPASS, or no password set there) never repeats the password.
void authenticate(redisContext* context, const std::string& password, const std::string& what,
                  std::string_view option) {
    if (password.empty())
        return;
    const char* argv[] = {"AUTH", password.data()};
    const std::size_t lengths[] = {4, password.size()};
    const ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(context, 2, argv, lengths)));
    if (!reply)
        throw RedisError(what + " did not answer AUTH: " + context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
        const std::string reason(reply->str, reply->len);
        if (option == "redis-password")
            throw RedisAuthError("Redis refused redis-password (" + reason + ")");
        throw RedisAuthError(what + " refused " + std::string(option) + " (" + reason + ")");
    }
}

[[noreturn]] void unexpected(const redisReply* reply, std::string_view wanted) {
    throw RedisError("unexpected Redis reply: " + std::string(typeName(reply->type)) + " where " +
                     std::string(wanted) + " was expected");
}

/// ROLE says "master": a replica, or a master the sentinels just demoted, is refused. what names the
/// Redis in messages.
void confirmMaster(redisContext* context, const std::string& what) {
    const ReplyPtr reply(static_cast<redisReply*>(redisCommand(context, "ROLE")));
    if (!reply)
        throw RedisError(what + " did not answer ROLE: " + context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
        if (isNoAuth(reply.get()))
            throw RedisAuthError(kNoAuthMessage);
        throw RedisError(what + " refused ROLE (" + std::string(reply->str, reply->len) + ")");
    }
    const std::string_view role = ReplyView(reply.get())[0].string();
    // A sentinel still names a master it has just demoted, or not yet the one it promotes.
    if (role != "master")
        throw RedisError(what + " is a " + std::string(role) +
                         " now, not a master: no master until the failover ends");
}
} // namespace

std::int64_t ReplyView::integer() const {
    if (m_reply->type != REDIS_REPLY_INTEGER)
        unexpected(m_reply, "integer");
    return m_reply->integer;
}

std::string_view ReplyView::string() const {
    if (!isString())
        unexpected(m_reply, "string");
    return {m_reply->str, m_reply->len};
}

std::int64_t ReplyView::number() const {
    if (m_reply->type == REDIS_REPLY_INTEGER)
        return m_reply->integer;
    const std::string_view text = string();
    std::int64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size())
        throw RedisError("unexpected Redis reply: a string that is not an integer");
    return value;
}

std::uint64_t ReplyView::unsignedNumber() const {
    const std::int64_t value = number();
    if (value < 0)
        throw RedisError("unexpected Redis reply: a negative count");
    return static_cast<std::uint64_t>(value);
}

std::size_t ReplyView::size() const {
    if (m_reply->type != REDIS_REPLY_ARRAY)
        unexpected(m_reply, "array");
    return m_reply->elements;
}

ReplyView ReplyView::operator[](std::size_t index) const {
    if (index >= size())
        throw RedisError("unexpected Redis reply: array too short");
    return ReplyView(m_reply->element[index]);
}

RedisConnection::RedisConnection(const Config& config)
    : m_address{config.redisHost, config.redisPort}
    , m_password(config.redisPassword)
    , m_timeout(config.redisTimeout)
    , m_sentinels(config.redisSentinels)
    , m_masterName(config.redisMasterName)
    , m_sentinelPassword(config.redisSentinelPassword)
    , m_waitReplicas(redisWaitReplicasCount(config))
    , m_waitTimeout(config.redisWaitTimeout) {
    if (!m_sentinels.empty())
        m_address = {};
}

RedisConnection::~RedisConnection() = default;

void RedisConnection::reset() noexcept {
    m_context.reset();
}

std::string RedisConnection::describe() const {
    if (m_sentinels.empty())
        return "Redis at " + addressText(m_address);
    std::string text = "Redis master " + m_masterName;
    if (!m_address.host.empty())
        text += " at " + addressText(m_address);
    return text;
}

void RedisConnection::fail(std::string_view what) {
    std::string message(what);
    if (m_context && m_context->err != 0)
        message += std::string(": ") + m_context->errstr;
    // After an I/O error or a timeout the stream position is unknown: never reuse the connection.
    reset();
    throw RedisError(message);
}

RedisAddress RedisConnection::askSentinel(const RedisAddress& sentinel, std::string_view masterName,
                                          const std::string& password, std::chrono::milliseconds timeout) {
    const std::string name = "Redis Sentinel at " + addressText(sentinel);
    const RedisContextPtr context = connectTo(sentinel, timeout, name);
    authenticate(context.get(), password, name, "redis-sentinel-password");
    const char* argv[] = {"SENTINEL", "get-master-addr-by-name", masterName.data()};
    const std::size_t lengths[] = {8, 23, masterName.size()};
    const ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(context.get(), 3, argv, lengths)));
    if (!reply)
        throw RedisError(name + " did not answer: " + context->errstr);
    if (reply->type == REDIS_REPLY_ERROR) {
        if (isNoAuth(reply.get()))
            throw RedisAuthError(name + " requires a password (NOAUTH): set redis-sentinel-password");
        throw RedisError(name + " refused SENTINEL get-master-addr-by-name (" +
                         std::string(reply->str, reply->len) + ")");
    }
    const ReplyView view(reply.get());
    if (view.isNil())
        throw RedisError(name + " knows no master named " + std::string(masterName) +
                         " (redis-master-name must be the NAME of its \"sentinel monitor NAME …\")");
    if (view.size() != 2)
        throw RedisError(name + " answered get-master-addr-by-name with " + std::to_string(view.size()) +
                         " elements instead of 2");
    const std::string_view portText = view[1].string();
    std::uint16_t port = 0;
    const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
    if (ec != std::errc{} || end != portText.data() + portText.size() || port == 0 ||
        view[0].string().empty())
        throw RedisError(name + " named a master address that is not HOST PORT");
    return {std::string(view[0].string()), port};
}

RedisAddress RedisConnection::discoverMaster() {
    std::string reasons;
    std::optional<RedisAuthError> refused;
    for (std::size_t tried = 0; tried < m_sentinels.size(); ++tried) {
        const std::size_t index = (m_sentinel + tried) % m_sentinels.size();
        try {
            RedisAddress master =
                askSentinel(m_sentinels[index], m_masterName, m_sentinelPassword, m_timeout);
            m_sentinel = index; // ask the one that answered first next time
            return master;
        } catch (const RedisAuthError& e) {
            refused.emplace(e.what());
            reasons += std::string(reasons.empty() ? "" : "; ") + e.what();
        } catch (const RedisError& e) {
            reasons += std::string(reasons.empty() ? "" : "; ") + e.what();
        }
    }
    // A password problem, not a failover: waiting will not fix it.
    if (refused)
        throw *refused;
    throw RedisError("no Redis Sentinel named the master " + m_masterName + " (" + reasons + ")");
}

void RedisConnection::ensureConnected() {
    if (m_context)
        return;
    if (!m_sentinels.empty()) {
        m_address = {};
        m_address = discoverMaster();
    }
    // Only a connection that is logged in (and, with sentinels, to a master) is kept.
    RedisContextPtr context = connectTo(m_address, m_timeout, describe());
    authenticate(context.get(), m_password, describe(), "redis-password");
    if (!m_sentinels.empty())
        confirmMaster(context.get(), describe());
    m_context = std::move(context);
}

ReplyPtr RedisConnection::command(const std::vector<std::string_view>& args, bool allowErrorReply) {
    ensureConnected();
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    argv.reserve(args.size());
    lengths.reserve(args.size());
    for (const std::string_view arg : args) {
        argv.push_back(arg.data());
        lengths.push_back(arg.size());
    }
    if (args.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
        throw RedisError("too many Redis arguments");
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(m_context.get(), static_cast<int>(argv.size()), argv.data(), lengths.data())));
    if (!reply)
        fail("Redis command failed");
    if (reply->type == REDIS_REPLY_ERROR && isNoAuth(reply.get()))
        throw RedisAuthError(kNoAuthMessage);
    if (reply->type == REDIS_REPLY_ERROR && isNotMaster(reply.get())) {
        const std::string what = describe();
        reset();
        throw RedisError(what + " is not a writable master now: " + std::string(reply->str, reply->len));
    }
    if (reply->type == REDIS_REPLY_ERROR && !allowErrorReply)
        throw RedisError("Redis error reply: " + std::string(reply->str, reply->len));
    return reply;
}

std::vector<ReplyPtr> RedisConnection::pipeline(const std::vector<std::vector<std::string>>& commands) {
    ensureConnected();
    for (const auto& args : commands) {
        std::vector<const char*> argv;
        std::vector<std::size_t> lengths;
        for (const std::string& arg : args) {
            argv.push_back(arg.data());
            lengths.push_back(arg.size());
        }
        if (redisAppendCommandArgv(m_context.get(), static_cast<int>(argv.size()), argv.data(),
                                   lengths.data()) != REDIS_OK)
            fail("cannot queue a Redis command");
    }
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
        void* raw = nullptr;
        if (redisGetReply(m_context.get(), &raw) != REDIS_OK || raw == nullptr)
            fail("Redis pipeline failed");
        ReplyPtr reply(static_cast<redisReply*>(raw));
        if (reply->type == REDIS_REPLY_ERROR) {
            // The remaining replies are still queued on the stream: drop the connection with them.
            reset();
            if (isNoAuth(reply.get()))
                throw RedisAuthError(kNoAuthMessage);
            throw RedisError("Redis error reply: " + std::string(reply->str, reply->len));
        }
        replies.push_back(std::move(reply));
    }
    return replies;
}

void RedisConnection::waitForReplicas() {
    if (m_waitReplicas == 0)
        return;
    const std::string replicas = std::to_string(m_waitReplicas);
    const std::string timeout = std::to_string(m_waitTimeout.count());
    const ReplyPtr reply = command({"WAIT", replicas, timeout});
    const std::int64_t acknowledged = ReplyView(reply.get()).integer();
    if (acknowledged < static_cast<std::int64_t>(m_waitReplicas)) {
        const std::string what = describe();
        // A master cut off from its replicas may be the one a failover is replacing: look again.
        reset();
        throw RedisError(what + ": " + std::to_string(acknowledged) + " of " + replicas +
                         " replicas acknowledged a write within " + timeout +
                         " ms (redis-wait-replicas); it may not survive a failover");
    }
}

bool RedisConnection::ping() noexcept {
    try {
        const ReplyPtr reply = command({"PING"});
        return reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "PONG";
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace ots::relay
