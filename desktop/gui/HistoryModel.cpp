#include "HistoryModel.h"

#include "Theme.h"
#include "ots/client/Settings.h"

#include <QDateTime>
#include <QGuiApplication>
#include <QIcon>
#include <QLocale>
#include <QUrl>

namespace ots::gui {

namespace {

QString formatTime(std::int64_t secondsSinceEpoch) {
    if (secondsSinceEpoch <= 0)
        return {};
    return QLocale().toString(QDateTime::fromSecsSinceEpoch(secondsSinceEpoch), QLocale::ShortFormat);
}

QString relayHost(const QString& relayUrl) {
    const QUrl url(relayUrl);
    if (url.host().isEmpty())
        return relayUrl;
    return url.port() > 0 ? url.host() + QLatin1Char(':') + QString::number(url.port()) : url.host();
}

} // namespace

HistoryModel::HistoryModel(QObject* parent)
    : QAbstractTableModel(parent) {}

void HistoryModel::setEntries(const QList<ots::client::HistoryEntry>& entries) {
    beginResetModel();
    m_entries = entries;
    endResetModel();
}

ots::client::HistoryEntry HistoryModel::entry(int row) const {
    if (row < 0 || row >= m_entries.size())
        return {};
    return m_entries.at(row);
}

int HistoryModel::rowOf(const QString& keyOrId) const {
    for (int row = 0; row < m_entries.size(); ++row)
        if (m_entries.at(row).key() == keyOrId || m_entries.at(row).id == keyOrId)
            return row;
    return -1;
}

QString HistoryModel::stateText(const QString& state) {
    if (state == QLatin1String("waiting"))
        return tr("Waiting for the receiver");
    if (state == QLatin1String("downloaded"))
        return tr("Downloaded");
    if (state == QLatin1String("locked"))
        return tr("Locked: too many wrong passwords");
    if (state == QLatin1String("expired"))
        return tr("Expired");
    if (state == QLatin1String("deleted"))
        return tr("Deleted");
    if (state == QLatin1String("uploading"))
        return tr("Upload not finished");
    return tr("Unknown: not checked yet");
}

bool HistoryModel::isLive(const QString& state) {
    return state == QLatin1String("waiting") || state == QLatin1String("locked") ||
           state == QLatin1String("uploading") || state == QLatin1String("unknown");
}

int HistoryModel::rowCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : static_cast<int>(m_entries.size());
}

int HistoryModel::columnCount(const QModelIndex& parent) const {
    return parent.isValid() ? 0 : ColumnCount;
}

QString HistoryModel::displayText(const ots::client::HistoryEntry& entry, int column) const {
    switch (column) {
    case NameColumn:
        return entry.localName;
    case StateColumn:
        return stateText(entry.state);
    case DownloadsColumn:
        return tr("%1 used, %2 left").arg(entry.downloadsFinished).arg(entry.downloadsLeft);
    case CreatedColumn:
        return formatTime(entry.createdAt);
    case ExpiresColumn: {
        if (entry.state == QLatin1String("downloaded") || entry.state == QLatin1String("deleted"))
            return QStringLiteral("—"); // over before it expired
        const std::int64_t left = entry.expiresAt - QDateTime::currentSecsSinceEpoch();
        if (!isLive(entry.state) || left <= 0)
            return formatTime(entry.expiresAt);
        return tr("in %1").arg(ots::client::formatDuration(left));
    }
    case RelayColumn:
        return relayHost(entry.relayUrl);
    default:
        return {};
    }
}

QString HistoryModel::toolTip(const ots::client::HistoryEntry& entry) const {
    // The first line is ours and holds no '<': Qt decides from the first line whether a tooltip is rich
    // text, so a file name such as "<img src=…>" on a later line stays plain text.
    QString tip = tr("%1, %2").arg(ots::client::formatBytes(entry.payloadBytes), stateText(entry.state)) +
                  QLatin1Char('\n') + entry.localName;
    if (entry.passwordProtected)
        tip += QLatin1Char('\n') + tr("Protected by a password.");
    if (entry.state == QLatin1String("locked") && entry.attemptsLeft == 0)
        tip += QLatin1Char('\n') + tr("Unlock it to let the receiver try again.");
    if (entry.refreshedAt > 0)
        tip += QLatin1Char('\n') + tr("Checked with the relay at %1.").arg(formatTime(entry.refreshedAt));
    if (!entry.lastError.isEmpty())
        tip += QLatin1Char('\n') + entry.lastError;
    return tip;
}

QVariant HistoryModel::data(const QModelIndex& index, int role) const {
    if (!index.isValid() || index.row() >= m_entries.size())
        return {};
    const ots::client::HistoryEntry& entry = m_entries.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return displayText(entry, index.column());
    case Qt::ToolTipRole:
        return toolTip(entry);
    case KeyRole:
        return entry.key();
    case Qt::DecorationRole:
        if (index.column() == NameColumn)
            return QIcon(entry.localName == QLatin1String("Text") ? QStringLiteral(":/icons/text.svg")
                                                                  : QStringLiteral(":/icons/file.svg"));
        if (index.column() == StateColumn) {
            if (entry.state == QLatin1String("downloaded"))
                return QIcon(QStringLiteral(":/icons/check.svg"));
            if (entry.state == QLatin1String("locked"))
                return QIcon(QStringLiteral(":/icons/lock.svg"));
            if (!entry.lastError.isEmpty())
                return QIcon(QStringLiteral(":/icons/warning.svg"));
        }
        return {};
    case Qt::ForegroundRole:
        if (index.column() == StateColumn) {
            if (entry.state == QLatin1String("downloaded"))
                return Theme::successColor();
            if (entry.state == QLatin1String("locked"))
                return Theme::errorColor();
        }
        if (entry.state == QLatin1String("expired") || entry.state == QLatin1String("deleted"))
            return QGuiApplication::palette().color(QPalette::PlaceholderText); // over: shown dimmed
        return {};
    default:
        return {};
    }
}

QVariant HistoryModel::headerData(int section, Qt::Orientation orientation, int role) const {
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case NameColumn:
        return tr("Name");
    case StateColumn:
        return tr("State");
    case DownloadsColumn:
        return tr("Downloads");
    case CreatedColumn:
        return tr("Sent");
    case ExpiresColumn:
        return tr("Expires");
    case RelayColumn:
        return tr("Relay");
    default:
        return {};
    }
}

} // namespace ots::gui
