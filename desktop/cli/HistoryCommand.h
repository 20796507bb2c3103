#pragma once

// `ots history`: the shares this user sent, newest first, with their last known state (or a fresh
// one from the relays with --refresh).

#include "CommandOutput.h"
#include "ots/client/ShareHistory.h"

#include <QJsonObject>
#include <QStringList>

namespace ots::cli {

class HistoryCommand {
public:
    explicit HistoryCommand(CommandOutput& output)
        : m_output(output) {}
    /// arguments[0] is "history". Returns the exit code.
    [[nodiscard]] int run(const QStringList& arguments);

private:
    CommandOutput& m_output;
};

/// One history record for --json (nothing secret in it).
[[nodiscard]] QJsonObject historyEntryToJson(const client::HistoryEntry& entry);
/// "2/3" downloads used of the limit.
[[nodiscard]] QString downloadsText(const client::HistoryEntry& entry);
/// "in 5 h", "expired" …
[[nodiscard]] QString expiryText(std::int64_t expiresAt);

} // namespace ots::cli
