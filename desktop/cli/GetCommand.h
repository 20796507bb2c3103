#pragma once

// `ots get LINK`: opens a share (asking for its password if it has one), lists what it holds,
// downloads, verifies and unpacks it into a folder; a text share is printed instead.

#include "CommandOutput.h"

#include <QStringList>

namespace ots::cli {

class GetCommand {
public:
    explicit GetCommand(CommandOutput& output)
        : m_output(output) {}
    /// arguments[0] is "get". Returns the exit code.
    [[nodiscard]] int run(const QStringList& arguments);

private:
    CommandOutput& m_output;
};

} // namespace ots::cli
