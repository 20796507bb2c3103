#pragma once

// One synchronous hiredis connection, owned by one worker thread. It connects lazily and reconnects
// after any failure, so a Redis restart costs the requests that were in flight, not the process.
// With redis-sentinels, every (re)connect asks the sentinels in turn for the master and confirms with
// ROLE that it is one; any failure drops the connection, so the next command finds the master a
// failover promoted, without a restart.
// Every failure (connect, timeout, protocol, an error reply) is a RedisError; the Api answers it with
// 503 `unavailable` in one place instead of checking every call.

#include "Config.h"

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

struct RedisContextDeleter {
    void operator()(redisContext* context) const noexcept { redisFree(context); }
};
using RedisContextPtr = std::unique_ptr<redisContext, RedisContextDeleter>;

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
    /// Talks to redis-host:redis-port, or, with redis-sentinels, to the master the sentinels name.
    explicit RedisConnection(const Config& config);
    ~RedisConnection();
    RedisConnection(const RedisConnection&) = delete;
    RedisConnection& operator=(const RedisConnection&) = delete;

    /// Runs one command with binary-safe arguments. An error reply throws RedisError unless
    /// allowErrorReply is set (EVALSHA's NOSCRIPT is the one error a caller handles). READONLY,
    /// LOADING and MASTERDOWN always throw and drop the connection: that Redis is no master now, and
    /// the next command looks for the master again.
    [[nodiscard]] ReplyPtr command(const std::vector<std::string_view>& args, bool allowErrorReply = false);
    /// Sends all commands at once and reads the replies in order (one round trip).
    [[nodiscard]] std::vector<ReplyPtr> pipeline(const std::vector<std::vector<std::string>>& commands);
    /// After a write a client will be told about: returns once redis-wait-replicas replicas hold every
    /// write this connection made (Redis WAIT); fewer within redis-wait-timeout throws RedisError (the
    /// write may be lost in a failover, so it must not be acknowledged). Nothing to do when 0.
    void waitForReplicas();
    /// PING answered with PONG within the timeout; never throws.
    [[nodiscard]] bool ping() noexcept;
    /// Drops the connection; the next command connects again (and asks the sentinels again).
    void reset() noexcept;
    /// What this connection talks to, for messages: "Redis at HOST:PORT", or "Redis master NAME at
    /// HOST:PORT" once the sentinels named it ("Redis master NAME" before).
    [[nodiscard]] std::string describe() const;

    /// Asks one sentinel for the master's address (SENTINEL get-master-addr-by-name). Throws
    /// RedisAuthError when the sentinel wants another password, RedisError when it cannot be reached or
    /// knows no such master.
    [[nodiscard]] static RedisAddress askSentinel(const RedisAddress& sentinel, std::string_view masterName,
                                                  const std::string& password,
                                                  std::chrono::milliseconds timeout);

private:
    void ensureConnected();
    /// The master's address from the first sentinel that names it, starting with the one that
    /// answered last time.
    [[nodiscard]] RedisAddress discoverMaster();
    [[noreturn]] void fail(std::string_view what);

    RedisAddress m_address; ///< redis-host:redis-port, or the master the sentinels named
    std::string m_password;
    std::chrono::milliseconds m_timeout;
    std::vector<RedisAddress> m_sentinels;
    std::string m_masterName;
    std::string m_sentinelPassword;
    std::size_t m_sentinel = 0; ///< the sentinel to ask first
    unsigned m_waitReplicas = 0;
    std::chrono::milliseconds m_waitTimeout;
    RedisContextPtr m_context;
};

} // namespace ots::relay
