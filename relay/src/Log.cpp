#include "Log.h"

#include <boost/json/serialize.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <unistd.h>

namespace ots::relay {

namespace {

std::atomic<LogLevel> g_level{LogLevel::Info};
// A line longer than PIPE_BUF may take several write(2) calls; the mutex keeps them together.
std::mutex g_writeMutex;

void writeAll(int fd, std::string_view text) noexcept {
    while (!text.empty()) {
        const ssize_t n = ::write(fd, text.data(), text.size());
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return; // nowhere left to report a failing stderr
        }
        text.remove_prefix(static_cast<std::size_t>(n));
    }
}

} // namespace

std::optional<LogLevel> Log::parseLevel(std::string_view name) noexcept {
    if (name == "debug")
        return LogLevel::Debug;
    if (name == "info")
        return LogLevel::Info;
    if (name == "warn")
        return LogLevel::Warn;
    if (name == "error")
        return LogLevel::Error;
    return std::nullopt;
}

std::string_view Log::levelName(LogLevel level) noexcept {
    switch (level) {
    case LogLevel::Debug:
        return "debug";
    case LogLevel::Info:
        return "info";
    case LogLevel::Warn:
        return "warn";
    case LogLevel::Error:
        return "error";
    }
    return "info";
}

void Log::setLevel(LogLevel level) noexcept {
    g_level.store(level, std::memory_order_relaxed);
}

bool Log::enabled(LogLevel level) noexcept {
    return level >= g_level.load(std::memory_order_relaxed);
}

void Log::write(LogLevel level, std::string_view message, const boost::json::object& fields) {
    if (!enabled(level))
        return;
    // Serialised by hand so that numbers read as people write them: Boost.JSON would print the
    // double 1.25 as 1.25E0.
    std::string text;
    text.reserve(160 + 32 * fields.size());
    text += "{\"ts\":\"";
    text += timestamp(std::chrono::system_clock::now());
    text += "\",\"level\":\"";
    text += levelName(level);
    text += "\",\"msg\":";
    text += boost::json::serialize(boost::json::string_view(message.data(), message.size()));
    for (const auto& field : fields) {
        text += ',';
        text += boost::json::serialize(field.key());
        text += ':';
        if (field.value().is_double()) {
            char number[32];
            const int length = std::snprintf(number, sizeof number, "%.3f", field.value().get_double());
            std::string_view digits(number, static_cast<std::size_t>(std::max(length, 0)));
            while (digits.ends_with('0'))
                digits.remove_suffix(1);
            if (digits.ends_with('.'))
                digits.remove_suffix(1);
            text += digits;
        } else {
            text += boost::json::serialize(field.value());
        }
    }
    text += "}\n";
    const std::lock_guard lock(g_writeMutex);
    writeAll(STDERR_FILENO, text);
}

std::string Log::timestamp(std::chrono::system_clock::time_point time) {
    const auto sinceEpoch = time.time_since_epoch();
    const auto seconds = std::chrono::floor<std::chrono::seconds>(sinceEpoch);
    const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(sinceEpoch - seconds).count();
    const std::time_t whole = static_cast<std::time_t>(seconds.count());
    std::tm utc{};
    gmtime_r(&whole, &utc);
    char text[32];
    const std::size_t length = std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03dZ", static_cast<int>(millis));
    return std::string(text, length) + fraction;
}

} // namespace ots::relay
