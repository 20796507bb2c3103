#pragma once

// Everything the `ots` command needs from the terminal and the process: whether a stream is a
// terminal, a password prompt without echo, a line from a file descriptor, and Ctrl-C/SIGTERM turned
// into a callback on the event loop. The platform calls (termios, isatty, signals; the console API on
// Windows) live in Terminal.cpp only.

#include "ots/client/ClientError.h"

#include <QString>

#include <functional>

namespace ots::cli {

class Terminal {
public:
    enum class Stream { Input, Output, Error };

    [[nodiscard]] static bool isTerminal(Stream stream);
    /// True when the process has a terminal to prompt on (even with standard streams redirected).
    [[nodiscard]] static bool canPrompt();

    /// Shows prompt on the terminal and reads a line with echo off. Usage error when there is no
    /// terminal; Cancelled when Ctrl-C arrives while waiting.
    [[nodiscard]] static client::Outcome<QString> promptSecret(const QString& prompt);
    /// Reads one line (without its line ending) from an open file descriptor, e.g. a pipe.
    [[nodiscard]] static client::Outcome<QString> readLine(int fd);

    /// From now on SIGINT and SIGTERM (Ctrl-C / Ctrl-Break on Windows) call onInterrupt on the
    /// thread running the event loop. An empty function restores the default behaviour.
    static void setInterruptHandler(std::function<void()> onInterrupt);
    /// The default between jobs: an interrupt ends the process at once with exit code 130 (after a
    /// prompt has restored the terminal's echo).
    static void exitOnInterrupt();
    /// True once an interrupt arrived (also while no handler is set).
    [[nodiscard]] static bool interrupted();
};

} // namespace ots::cli
