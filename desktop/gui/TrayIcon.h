#pragma once

// The tray icon: Show, Send files…, Quit; refreshes live shares in the background (QtConcurrent)
// and shows a notification when ShareHistory reports that one of them was downloaded.

#include "ots/client/ShareHistory.h"

#include <QObject>
#include <QPointer>

class QMenu;
class QSystemTrayIcon;
class QTimer;
class QWidget;

namespace ots::gui {

class TrayIcon : public QObject {
    Q_OBJECT
public:
    TrayIcon(ots::client::ShareHistory* history, QWidget* window, QObject* parent = nullptr);
    ~TrayIcon() override;

    /// false when the platform has no system tray (the icon is then not shown; refresh still runs).
    [[nodiscard]] bool available() const noexcept { return m_tray != nullptr; }
    /// Refreshes every live share now (in a worker thread); does nothing while one is running.
    void refreshNow();

Q_SIGNALS:
    /// "Send files…" in the menu: the window shows its Send page and opens the file chooser.
    void sendFilesRequested();
    /// A notification about a downloaded share was shown (or would have been, without a tray).
    void notified(const QString& title, const QString& message);

private:
    void showWindow();
    void onShareDownloaded(const ots::client::HistoryEntry& entry);

    ots::client::ShareHistory* m_history;
    QPointer<QWidget> m_window;
    QSystemTrayIcon* m_tray = nullptr;
    QMenu* m_menu = nullptr;
    QTimer* m_timer = nullptr;
    bool m_refreshing = false;
};

} // namespace ots::gui
