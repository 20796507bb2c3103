#include "OwnerCommand.h"

#include "ExitCodes.h"
#include "HistoryCommand.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QCommandLineParser>

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;
using client::HistoryEntry;

namespace {

QString commandName(OwnerCommand::Action action) {
    switch (action) {
    case OwnerCommand::Action::Status:
        return QStringLiteral("status");
    case OwnerCommand::Action::Delete:
        return QStringLiteral("delete");
    case OwnerCommand::Action::Unlock:
        return QStringLiteral("unlock");
    }
    return QStringLiteral("status");
}

QString description(OwnerCommand::Action action) {
    switch (action) {
    case OwnerCommand::Action::Status:
        return QStringLiteral(
            "Asks the relay for the current state of a share you sent: waiting, downloaded,\n"
            "locked, expired or deleted, with the downloads used and password attempts left.");
    case OwnerCommand::Action::Delete:
        return QStringLiteral(
            "Deletes a share you sent from the relay, at once and for good. Anyone who opens\n"
            "the link afterwards is told the sender deleted it. The record stays in your\n"
            "history, marked deleted.");
    case OwnerCommand::Action::Unlock:
        return QStringLiteral(
            "Unlocks a password share that the relay locked after too many wrong passwords,\n"
            "giving the recipient a fresh set of attempts.");
    }
    return {};
}

} // namespace

int OwnerCommand::run(const QStringList& arguments) {
    const QString command = commandName(m_action);
    QCommandLineParser parser;
    parser.setApplicationDescription(
        description(m_action) + QStringLiteral("\nThe share is found in your history ('ots history') by its "
                                               "id, its link or relay/id."));
    parser.addOption(
        {QStringLiteral("json"), QStringLiteral("Print one JSON object with the share's state.")});
    parser.addPositionalArgument(QStringLiteral("share"), QStringLiteral("The share's id or link."),
                                 QStringLiteral("LINK-or-ID"));
    if (const auto done = m_output.parse(parser, arguments, command,
                                         QStringLiteral("ots %1 [options] LINK-or-ID").arg(command)))
        return *done;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return m_output.usage(QStringLiteral("'ots %1' needs exactly one LINK or ID").arg(command), command);

    client::ShareHistory history;
    const auto found = history.find(positional.first());
    if (!found.ok()) {
        if (found.error().kind != ErrorKind::NotFound)
            return m_output.fail(found.error());
        // The argument may be a link with its secret: it is not repeated in the message.
        return m_output.fail(ClientError::make(
            ErrorKind::Usage, QStringLiteral("not_in_history"),
            QStringLiteral("No share in your history matches that id or link. 'ots history' lists them.")));
    }
    const HistoryEntry& entry = found.value();

    ClientError error;
    switch (m_action) {
    case Action::Status:
        error = history.refresh(entry);
        break;
    case Action::Delete:
        error = history.revoke(entry);
        break;
    case Action::Unlock:
        error = history.unlock(entry);
        break;
    }
    if (error)
        return m_output.fail(error);

    const auto updated = history.find(entry.key());
    const HistoryEntry& now = updated.ok() ? updated.value() : entry;
    if (m_output.json()) {
        QJsonObject object = historyEntryToJson(now);
        object.insert(QStringLiteral("ok"), true);
        m_output.jsonResult(object);
        return ExitOk;
    }
    switch (m_action) {
    case Action::Delete:
        if (now.state == QLatin1String("deleted"))
            m_output.info(
                QStringLiteral("Deleted %1 (%2) from %3.").arg(now.localName, now.id, now.relayUrl));
        else
            m_output.info(QStringLiteral("%1 (%2) is already gone from %3 (%4); there was nothing to delete.")
                              .arg(now.localName, now.id, now.relayUrl, now.state));
        break;
    case Action::Unlock:
        m_output.info(QStringLiteral("Unlocked %1 (%2).").arg(now.localName, now.id));
        [[fallthrough]];
    case Action::Status:
        m_output.result(QStringLiteral("Share:      %1 (%2)").arg(now.localName, now.id));
        m_output.result(QStringLiteral("Relay:      %1").arg(now.relayUrl));
        m_output.result(QStringLiteral("State:      %1").arg(now.state));
        m_output.result(
            QStringLiteral("Downloads:  %1 used, %2 left").arg(now.downloadsFinished).arg(now.downloadsLeft));
        if (now.passwordProtected && now.attemptsLeft >= 0)
            m_output.result(QStringLiteral("Attempts:   %1 password attempts left").arg(now.attemptsLeft));
        m_output.result(QStringLiteral("Expires:    %1").arg(expiryText(now.expiresAt)));
        break;
    }
    return ExitOk;
}

} // namespace ots::cli
