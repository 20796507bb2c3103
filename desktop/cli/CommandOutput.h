#pragma once

// How a command talks to its caller: results on standard output (only the result, so scripts can
// capture it), everything for people on standard error ("ots: <sentence>" for errors), and with
// --json exactly one JSON object on standard output, success or failure.

#include "ots/client/ClientError.h"

#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

class QCommandLineParser;

namespace ots::cli {

class CommandOutput {
public:
    explicit CommandOutput(bool json = false)
        : m_json(json) {}

    [[nodiscard]] bool json() const noexcept { return m_json; }
    void setJson(bool json) noexcept { m_json = json; }

    /// A line for people on standard error.
    void info(const QString& line) const;
    /// A line of the result on standard output (not used with --json).
    void result(const QString& line) const;
    /// Raw bytes on standard output (a text share's content).
    void resultBytes(const QByteArray& bytes) const;
    /// The one JSON object of a --json run.
    void jsonResult(const QJsonObject& object) const;

    /// Reports error ("ots: …" on standard error, and the JSON error object with --json); returns the
    /// exit code for its kind.
    [[nodiscard]] int fail(const client::ClientError& error) const;
    /// A usage error for command (empty = the top level): the sentence and a pointer to --help. Exit 2.
    [[nodiscard]] int usage(const QString& sentence, const QString& command) const;

    /// Parses arguments (arguments[0] is the command's name) and handles --help and parse errors.
    /// Returns an exit code when the command should end right away, nothing when it should run.
    /// Sets json() from a --json option when the parser has one.
    [[nodiscard]] std::optional<int> parse(QCommandLineParser& parser, const QStringList& arguments,
                                           const QString& command, const QString& usageLine);

private:
    bool m_json = false;
};

/// {"kind", "code", "message", and "attemptsLeft"/"httpStatus" when known}.
[[nodiscard]] QJsonObject errorToJson(const client::ClientError& error);

} // namespace ots::cli
