#pragma once

// `ots send`: encrypts files, folders or a text, uploads them to the relay and prints the link.

#include "CommandOutput.h"

#include <QStringList>

namespace ots::cli {

class SendCommand {
public:
    explicit SendCommand(CommandOutput& output)
        : m_output(output) {}
    /// arguments[0] is "send". Returns the exit code.
    [[nodiscard]] int run(const QStringList& arguments);

private:
    CommandOutput& m_output;
};

} // namespace ots::cli
