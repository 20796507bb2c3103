#pragma once

// The relay's log: one JSON object per line on stderr, so journald, Docker and log shippers can
// parse it without a grammar. Lines never carry a secret: callers pass route labels, never raw
// request targets, and never a header value (owner tokens and tickets travel in Authorization).

#include <boost/json/object.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace ots::relay {

enum class LogLevel { Debug, Info, Warn, Error };

class Log {
public:
    /// "debug", "info", "warn" or "error"; nullopt for anything else.
    [[nodiscard]] static std::optional<LogLevel> parseLevel(std::string_view name) noexcept;
    [[nodiscard]] static std::string_view levelName(LogLevel level) noexcept;

    static void setLevel(LogLevel level) noexcept;
    [[nodiscard]] static bool enabled(LogLevel level) noexcept;

    /// Writes {"ts":…,"level":…,"msg":…, fields…} as one line with one write(2), so lines from
    /// several threads never interleave.
    static void write(LogLevel level, std::string_view message, const boost::json::object& fields = {});
    static void debug(std::string_view message, const boost::json::object& fields = {}) {
        write(LogLevel::Debug, message, fields);
    }
    static void info(std::string_view message, const boost::json::object& fields = {}) {
        write(LogLevel::Info, message, fields);
    }
    static void warn(std::string_view message, const boost::json::object& fields = {}) {
        write(LogLevel::Warn, message, fields);
    }
    static void error(std::string_view message, const boost::json::object& fields = {}) {
        write(LogLevel::Error, message, fields);
    }

    /// RFC 3339 in UTC with milliseconds: 2024-05-01T12:34:56.789Z
    [[nodiscard]] static std::string timestamp(std::chrono::system_clock::time_point time);
};

} // namespace ots::relay
