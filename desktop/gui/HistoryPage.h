#pragma once

// History: every share this user sent, with its state refreshed from the relay (waiting,
// downloaded, locked, expired, deleted). Copy the link again (the web link the history keeps, or its
// app form when Settings::appOnlyLinks is on), unlock, delete (revoke) or forget a share. Every call
// that talks to the relay or the keychain runs in QtConcurrent; the results come back through
// QFutureWatcher, so the window never waits on the network.

#include "ots/client/ClientError.h"
#include "ots/client/ShareHistory.h"

#include <QWidget>

#include <functional>

class QAction;
class QLabel;
class QPushButton;
class QShowEvent;
class QHideEvent;
class QSortFilterProxyModel;
class QTimer;
class QTreeView;

namespace ots::client {
class Settings;
}

namespace ots::gui {

class HistoryModel;

class HistoryPage : public QWidget {
    Q_OBJECT
public:
    HistoryPage(ots::client::ShareHistory* history, ots::client::Settings* settings,
                QWidget* parent = nullptr);
    ~HistoryPage() override;

    /// true while a refresh, unlock, delete or forget is running.
    [[nodiscard]] bool busy() const noexcept { return m_running > 0; }
    /// The entry selected in the list; an entry with an empty id when nothing is selected.
    [[nodiscard]] ots::client::HistoryEntry selectedEntry() const;
    /// Selects the row of the share with this id; false when it is not in the list.
    bool selectShare(const QString& id);

public Q_SLOTS:
    /// Asks the relay for the state of every live share (F5).
    void refresh();
    void copyLink();
    void unlockSelected();
    /// Revokes the selected share after a confirmation: a window-modal QMessageBox (objectName
    /// "historyDeleteConfirm") opened without blocking; Yes deletes on the relay (Delete key).
    void deleteSelected();
    /// Removes the selected record from this computer (the share on the relay is untouched).
    void forgetSelected();

Q_SIGNALS:
    /// A background action finished (refresh, copy, unlock, delete, forget); message is for people.
    void actionFinished(const QString& message);
    /// The refresh started by refresh() (or the timer) is done.
    void refreshFinished();

protected:
    void showEvent(QShowEvent* event) override;
    void hideEvent(QHideEvent* event) override;

private:
    void reloadModel();
    void updateActions();
    void showStatus(const QString& text, bool isError);
    void runEntryAction(const QString& busyText, const std::function<ots::client::ClientError()>& work,
                        const std::function<void(const ots::client::ClientError&)>& done);

    ots::client::ShareHistory* m_history;
    ots::client::Settings* m_settings;
    HistoryModel* m_model = nullptr;
    QTreeView* m_view = nullptr;
    QLabel* m_status = nullptr;
    QLabel* m_empty = nullptr;
    QPushButton* m_refreshButton = nullptr;
    QPushButton* m_copyButton = nullptr;
    QPushButton* m_unlockButton = nullptr;
    QPushButton* m_deleteButton = nullptr;
    QPushButton* m_forgetButton = nullptr;
    QTimer* m_timer = nullptr;
    int m_running = 0;
    bool m_refreshing = false;
};

} // namespace ots::gui
