#pragma once

// `ots info LINK`: what the relay says about a share in public — state, size, expiry, downloads and
// attempts left, whether it needs a password. Uses no download and no password attempt.

#include "CommandOutput.h"

#include <QStringList>

namespace ots::cli {

class InfoCommand {
public:
    explicit InfoCommand(CommandOutput& output)
        : m_output(output) {}
    /// arguments[0] is "info". Returns the exit code.
    [[nodiscard]] int run(const QStringList& arguments);

private:
    CommandOutput& m_output;
};

} // namespace ots::cli
