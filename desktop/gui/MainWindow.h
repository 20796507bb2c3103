#pragma once

// The window: a sidebar with Send, Receive, History and Settings (Ctrl+1 … Ctrl+4), the page, and a
// status line. It accepts share links dropped anywhere on it (they open in Receive), and links handed
// over by a second launch (SingleInstance). Everything else lives in the pages and in ots::client.

#include <QMainWindow>
#include <QStringList>

class QLabel;
class QListWidget;
class QMimeData;
class QStackedWidget;

namespace ots::client {
class Settings;
class ShareHistory;
} // namespace ots::client

namespace ots::gui {

class HistoryPage;
class ReceivePage;
class SendPage;
class SettingsPage;
class TrayIcon;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    enum class Page { Send = 0, Receive = 1, History = 2, Settings = 3 };
    Q_ENUM(Page)

    MainWindow(ots::client::Settings* settings, ots::client::ShareHistory* history,
               QWidget* parent = nullptr);
    ~MainWindow() override;

    [[nodiscard]] SendPage* sendPage() const noexcept { return m_send; }
    [[nodiscard]] ReceivePage* receivePage() const noexcept { return m_receive; }
    [[nodiscard]] HistoryPage* historyPage() const noexcept { return m_history; }
    [[nodiscard]] SettingsPage* settingsPage() const noexcept { return m_settingsPage; }
    [[nodiscard]] QListWidget* navigation() const noexcept { return m_navigation; }
    [[nodiscard]] TrayIcon* trayIcon() const noexcept { return m_tray; }
    [[nodiscard]] Page currentPage() const;

public Q_SLOTS:
    void showPage(ots::gui::MainWindow::Page page);
    /// Arguments of this launch or of a second one: the first share link opens in Receive, and the
    /// window comes to the front.
    void handleArguments(const QStringList& arguments);
    /// Shows text in the status line for a while.
    void showStatus(const QString& text);

protected:
    /// During a transfer: asks whether to quit and discard it, keep it running, or not close.
    void closeEvent(QCloseEvent* event) override;
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dropEvent(QDropEvent* event) override;

private:
    /// The share link in dropped data (text or a URL), empty when there is none.
    [[nodiscard]] static QString linkIn(const QMimeData* data);
    void focusPage(Page page);
    void bringToFront();

    ots::client::Settings* m_settings;
    QListWidget* m_navigation = nullptr;
    QStackedWidget* m_pages = nullptr;
    SendPage* m_send = nullptr;
    ReceivePage* m_receive = nullptr;
    HistoryPage* m_history = nullptr;
    SettingsPage* m_settingsPage = nullptr;
    TrayIcon* m_tray = nullptr;
};

} // namespace ots::gui
