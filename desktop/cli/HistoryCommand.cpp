#include "HistoryCommand.h"

#include "ExitCodes.h"
#include "ots/client/Settings.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QJsonArray>

#include <algorithm>
#include <array>

namespace ots::cli {

using client::ClientError;
using client::HistoryEntry;

namespace {

const QString kHistoryCommand = QStringLiteral("history");

QString shortened(const QString& text, qsizetype width) {
    if (text.size() <= width)
        return text;
    return text.left(width - 1) + QChar(0x2026);
}

} // namespace

QJsonObject historyEntryToJson(const HistoryEntry& entry) {
    QJsonObject object{{QStringLiteral("id"), entry.id},
                       {QStringLiteral("relay"), entry.relayUrl},
                       {QStringLiteral("name"), entry.localName},
                       {QStringLiteral("state"), entry.state},
                       {QStringLiteral("createdAt"), static_cast<qint64>(entry.createdAt)},
                       {QStringLiteral("expiresAt"), static_cast<qint64>(entry.expiresAt)},
                       {QStringLiteral("maxDownloads"), entry.maxDownloads},
                       {QStringLiteral("downloadsFinished"), entry.downloadsFinished},
                       {QStringLiteral("downloadsLeft"), entry.downloadsLeft},
                       {QStringLiteral("passwordProtected"), entry.passwordProtected},
                       {QStringLiteral("payloadBytes"), static_cast<qint64>(entry.payloadBytes)},
                       {QStringLiteral("refreshedAt"), static_cast<qint64>(entry.refreshedAt)}};
    if (entry.attemptsLeft >= 0)
        object.insert(QStringLiteral("attemptsLeft"), entry.attemptsLeft);
    if (!entry.lastError.isEmpty())
        object.insert(QStringLiteral("lastError"), entry.lastError);
    return object;
}

QString downloadsText(const HistoryEntry& entry) {
    return QStringLiteral("%1/%2").arg(entry.downloadsFinished).arg(entry.maxDownloads);
}

QString expiryText(std::int64_t expiresAt) {
    const qint64 left = expiresAt - QDateTime::currentSecsSinceEpoch();
    if (left <= 0)
        return QStringLiteral("expired");
    return QStringLiteral("in ") + client::formatDuration(left);
}

int HistoryCommand::run(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("Lists the shares you sent from this computer, newest first: name, relay, id, state,\n"
                       "downloads used of the limit and expiry. --refresh asks each relay for the current\n"
                       "state first. Use the id with 'ots status', 'ots delete' and 'ots unlock'."));
    parser.addOptions({
        {QStringLiteral("refresh"),
         QStringLiteral("Ask the relays for the current state of live shares first.")},
        {QStringLiteral("json"), QStringLiteral("Print one JSON object with every share.")},
    });
    if (const auto done =
            m_output.parse(parser, arguments, kHistoryCommand, QStringLiteral("ots history [options]")))
        return *done;
    if (!parser.positionalArguments().isEmpty())
        return m_output.usage(QStringLiteral("'ots history' takes no arguments"), kHistoryCommand);

    client::ShareHistory history;
    ClientError refreshError;
    if (parser.isSet(QStringLiteral("refresh")))
        refreshError = history.refreshAll();
    const QList<HistoryEntry> entries = history.entries();

    if (m_output.json()) {
        QJsonArray shares;
        for (const HistoryEntry& entry : entries)
            shares.append(historyEntryToJson(entry));
        QJsonObject object{{QStringLiteral("ok"), true},
                           {QStringLiteral("shares"), shares},
                           {QStringLiteral("secretStore"), history.secretBackend()}};
        if (refreshError)
            object.insert(QStringLiteral("refreshError"), refreshError.message);
        m_output.jsonResult(object);
    } else if (entries.isEmpty()) {
        m_output.info(QStringLiteral("No shares sent from this computer yet."));
    } else {
        const std::array<QString, 6> headers{QStringLiteral("NAME"),      QStringLiteral("RELAY"),
                                             QStringLiteral("ID"),        QStringLiteral("STATE"),
                                             QStringLiteral("DOWNLOADS"), QStringLiteral("EXPIRES")};
        QList<std::array<QString, 6>> rows;
        for (const HistoryEntry& entry : entries)
            rows.append(
                {shortened(entry.localName, 32), entry.relayUrl, entry.id, entry.state, downloadsText(entry),
                 entry.state == QLatin1String("waiting") || entry.state == QLatin1String("uploading") ||
                         entry.state == QLatin1String("locked")
                     ? expiryText(entry.expiresAt)
                     : QStringLiteral("-")});
        std::array<qsizetype, 6> widths{};
        for (std::size_t column = 0; column < headers.size(); ++column) {
            widths[column] = headers[column].size();
            for (const auto& row : rows)
                widths[column] = std::max(widths[column], row[column].size());
        }
        const auto printRow = [&](const std::array<QString, 6>& row) {
            QString line;
            for (std::size_t column = 0; column < row.size(); ++column) {
                if (column + 1 == row.size())
                    line += row[column];
                else
                    line += row[column].leftJustified(widths[column] + 2);
            }
            m_output.result(line);
        };
        printRow(headers);
        for (const auto& row : rows)
            printRow(row);
    }
    if (refreshError)
        m_output.info(
            QStringLiteral("ots: not every share could be refreshed: %1").arg(refreshError.message));
    return ExitOk;
}

} // namespace ots::cli
