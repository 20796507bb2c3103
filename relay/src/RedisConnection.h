#pragma once

// One synchronous hiredis connection, owned by one worker thread. It connects lazily and reconnects
// after any failure, so a Redis restart costs the requests that were in flight, not the process.
// Every failure (connect, timeout, protocol, an error reply) is a RedisError; the Api answers it with
// 503 `unavailable` in one place instead of checking every call.

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay {

struct Config;

/// Redis is down, slow, or answered something this relay does not expect.
class RedisError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// Redis wants a password the relay was not given (NOAUTH), or refused the one it was given: a
/// configuration problem, which waiting will not fix. The message never contains the password.
class RedisAuthError : public RedisError {
public:
    using RedisError::RedisError;
};

struct ReplyDeleter {
    void operator()(redisReply* reply) const noexcept { freeReplyObject(reply); }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

/// A read-only view of a reply (or of an element of one) with checked accessors: asking for the wrong
/// type throws RedisError, so a reply of an unexpected shape never turns into a wrong decision.
class ReplyView {
public:
    explicit ReplyView(const redisReply* reply) noexcept
        : m_reply(reply) {}

    [[nodiscard]] bool isNil() const noexcept { return m_reply->type == REDIS_REPLY_NIL; }
    [[nodiscard]] bool isArray() const noexcept { return m_reply->type == REDIS_REPLY_ARRAY; }
    [[nodiscard]] bool isInteger() const noexcept { return m_reply->type == REDIS_REPLY_INTEGER; }
    [[nodiscard]] bool isString() const noexcept {
        return m_reply->type == REDIS_REPLY_STRING || m_reply->type == REDIS_REPLY_STATUS;
    }

    [[nodiscard]] std::int64_t integer() const;
    /// A bulk or status string (binary-safe).
    [[nodiscard]] std::string_view string() const;
    /// An integer reply, or a string holding a decimal integer (HGET, Lua strings).
    [[nodiscard]] std::int64_t number() const;
    [[nodiscard]] std::uint64_t unsignedNumber() const;
    [[nodiscard]] std::size_t size() const;
    [[nodiscard]] ReplyView operator[](std::size_t index) const;

private:
    const redisReply* m_reply;
};

class RedisConnection {
public:
    RedisConnection(std::string host, std::uint16_t port, std::string password,
                    std::chrono::milliseconds timeout);
    explicit RedisConnection(const Config& config);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Runs one command with binary-safe arguments. An error reply throws RedisError unless
    /// allowErrorReply is set (EVALSHA's NOSCRIPT is the one error a caller handles).
    [[nodiscard]] ReplyPtr command(const std::vector<std::string_view>& args, bool allowErrorReply = false);
    /// Sends all commands at once and reads the replies in order (one round trip).
    [[nodiscard]] std::vector<ReplyPtr> pipeline(const std::vector<std::vector<std::string>>& commands);
    /// PING answered with PONG within the timeout; never throws.
    [[nodiscard]] bool ping() noexcept;
    /// Drops the connection; the next command connects again.
    void reset() noexcept;

private:
    void ensureConnected();
    [[noreturn]] void fail(std::string_view what);

    struct ContextDeleter {
        void operator()(redisContext* context) const noexcept { redisFree(context); }
    };

    std::string m_host;
    std::uint16_t m_port;
    std::string m_password;
    std::chrono::milliseconds m_timeout;
    std::unique_ptr<redisContext, ContextDeleter> m_context;
};

} // namespace ots::relay
