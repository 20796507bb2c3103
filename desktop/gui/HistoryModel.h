#pragma once

// The rows of the History page: one per share in ShareHistory, newest first, with texts and colours
// for people (state, downloads, times). The model only shows what ShareHistory last knew.

#include "ots/client/ShareHistory.h"

#include <QAbstractTableModel>
#include <QList>

namespace ots::gui {

class HistoryModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        StateColumn,
        DownloadsColumn,
        CreatedColumn,
        ExpiresColumn,
        RelayColumn,
        ColumnCount
    };
    /// Qt::UserRole: the record's key ("relay/id").
    static constexpr int KeyRole = Qt::UserRole;

    explicit HistoryModel(QObject* parent = nullptr);

    void setEntries(const QList<ots::client::HistoryEntry>& entries);
    [[nodiscard]] const QList<ots::client::HistoryEntry>& entries() const noexcept { return m_entries; }
    [[nodiscard]] ots::client::HistoryEntry entry(int row) const;
    /// The row of the record with this key or id; -1 when absent.
    [[nodiscard]] int rowOf(const QString& keyOrId) const;

    /// "Waiting for the receiver", "Downloaded" … for a HistoryEntry::state.
    [[nodiscard]] static QString stateText(const QString& state);
    /// true for a share that can still be downloaded, deleted or unlocked on the relay.
    [[nodiscard]] static bool isLive(const QString& state);

    [[nodiscard]] int rowCount(const QModelIndex& parent = QModelIndex()) const override;
    [[nodiscard]] int columnCount(const QModelIndex& parent = QModelIndex()) const override;
    [[nodiscard]] QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    [[nodiscard]] QVariant headerData(int section, Qt::Orientation orientation,
                                      int role = Qt::DisplayRole) const override;

private:
    [[nodiscard]] QString displayText(const ots::client::HistoryEntry& entry, int column) const;
    [[nodiscard]] QString toolTip(const ots::client::HistoryEntry& entry) const;

    QList<ots::client::HistoryEntry> m_entries;
};

} // namespace ots::gui
