#include "RedisConnection.h"

#include "Config.h"

#include <charconv>
#include <limits>

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

[[noreturn]] void unexpected(const redisReply* reply, std::string_view wanted) {
    throw RedisError("unexpected Redis reply: " + std::string(typeName(reply->type)) + " where " +
                     std::string(wanted) + " was expected");
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

RedisConnection::RedisConnection(std::string host, std::uint16_t port, std::string password,
                                 std::chrono::milliseconds timeout)
    : m_host(std::move(host))
    , m_port(port)
    , m_password(std::move(password))
    , m_timeout(timeout) {}

RedisConnection::RedisConnection(const Config& config)
    : RedisConnection(config.redisHost, config.redisPort, config.redisPassword, config.redisTimeout) {}

RedisConnection::~RedisConnection() = default;

void RedisConnection::reset() noexcept {
    m_context.reset();
}

void RedisConnection::fail(std::string_view what) {
    std::string message(what);
    if (m_context && m_context->err != 0)
        message += std::string(": ") + m_context->errstr;
    // After an I/O error or a timeout the stream position is unknown: never reuse the connection.
    reset();
    throw RedisError(message);
}

void RedisConnection::ensureConnected() {
    if (m_context)
        return;
    m_context.reset(redisConnectWithTimeout(m_host.c_str(), m_port, toTimeval(m_timeout)));
    if (!m_context)
        throw RedisError("cannot allocate a Redis context");
    if (m_context->err != 0)
        fail("cannot connect to Redis");
    if (redisSetTimeout(m_context.get(), toTimeval(m_timeout)) != REDIS_OK)
        fail("cannot set the Redis timeout");
    if (!m_password.empty()) {
        const char* argv[] = {"AUTH", m_password.data()};
        const std::size_t lengths[] = {4, m_password.size()};
        ReplyPtr reply(static_cast<redisReply*>(redisCommandArgv(m_context.get(), 2, argv, lengths)));
        if (!reply)
            fail("Redis AUTH failed");
        if (reply->type == REDIS_REPLY_ERROR) {
            // Redis's own reason (WRONGPASS, or no password set there) never repeats the password.
            const std::string reason(reply->str, reply->len);
            reset();
            throw RedisAuthError("Redis refused redis-password (" + reason + ")");
        }
    }
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

bool RedisConnection::ping() noexcept {
    try {
        const ReplyPtr reply = command({"PING"});
        return reply->type == REDIS_REPLY_STATUS && std::string_view(reply->str, reply->len) == "PONG";
    } catch (const std::exception&) {
        return false;
    }
}

} // namespace ots::relay
