#pragma once

// The sender's commands on one share from the history, found by id, link or relay/id:
//   ots status  ask the relay for the current state (downloads used, locked, expired …)
//   ots delete  revoke: the relay deletes the share; the link then reports "deleted by the sender"
//   ots unlock  lift the lock after too many wrong passwords
// The owner token comes from the secret store; it never appears on the command line or in output.

#include "CommandOutput.h"

#include <QStringList>

namespace ots::cli {

class OwnerCommand {
public:
    enum class Action { Status, Delete, Unlock };

    OwnerCommand(CommandOutput& output, Action action)
        : m_output(output)
        , m_action(action) {}
    /// arguments[0] is the command's name. Returns the exit code.
    [[nodiscard]] int run(const QStringList& arguments);

private:
    CommandOutput& m_output;
    Action m_action;
};

} // namespace ots::cli
