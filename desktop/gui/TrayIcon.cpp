#include "TrayIcon.h"

#include "BackgroundTask.h"

#include <QApplication>
#include <QIcon>
#include <QMenu>
#include <QSystemTrayIcon>
#include <QTimer>
#include <QWidget>

namespace ots::gui {

namespace {

// How often live shares are checked in the background: often enough that a notification arrives
// within minutes of a download, rarely enough that a relay sees little traffic from one sender.
constexpr int kBackgroundRefreshMs = 120'000;

} // namespace

TrayIcon::TrayIcon(ots::client::ShareHistory* history, QWidget* window, QObject* parent)
    : QObject(parent)
    , m_history(history)
    , m_window(window) {
    qRegisterMetaType<ots::client::HistoryEntry>();
    connect(m_history, &ots::client::ShareHistory::shareDownloaded, this, &TrayIcon::onShareDownloaded);

    if (QSystemTrayIcon::isSystemTrayAvailable()) {
        m_menu = new QMenu;
        QAction* show = m_menu->addAction(QIcon(QStringLiteral(":/icons/app.svg")), tr("&Show OneTimeShare"));
        connect(show, &QAction::triggered, this, &TrayIcon::showWindow);
        QAction* send = m_menu->addAction(QIcon(QStringLiteral(":/icons/send.svg")), tr("&Send files…"));
        connect(send, &QAction::triggered, this, [this] {
            showWindow();
            Q_EMIT sendFilesRequested();
        });
        m_menu->addSeparator();
        QAction* quit = m_menu->addAction(tr("&Quit"));
        connect(quit, &QAction::triggered, qApp, &QCoreApplication::quit);

        m_tray = new QSystemTrayIcon(QIcon(QStringLiteral(":/icons/app.svg")), this);
        m_tray->setToolTip(tr("OneTimeShare"));
        m_tray->setContextMenu(m_menu);
        connect(m_tray, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason reason) {
            if (reason == QSystemTrayIcon::Trigger || reason == QSystemTrayIcon::DoubleClick)
                showWindow();
        });
        connect(m_tray, &QSystemTrayIcon::messageClicked, this, &TrayIcon::showWindow);
        m_tray->show();
    }

    m_timer = new QTimer(this);
    m_timer->setInterval(kBackgroundRefreshMs);
    connect(m_timer, &QTimer::timeout, this, &TrayIcon::refreshNow);
    m_timer->start();
}

TrayIcon::~TrayIcon() {
    backgroundPool()->waitForDone(); // a background refresh uses the history; let it end first
    delete m_menu;                   // a context menu has no parent (QSystemTrayIcon does not own it)
}

void TrayIcon::refreshNow() {
    if (m_refreshing)
        return;
    m_refreshing = true;
    ots::client::ShareHistory* history = m_history;
    // Errors are not shown here: the History page reports them when the person looks.
    runInBackground(
        this, [history] { return history->refreshAll(interactiveRetry()); },
        [this](const ots::client::ClientError&) { m_refreshing = false; });
}

void TrayIcon::showWindow() {
    if (m_window.isNull())
        return;
    m_window->show();
    m_window->setWindowState((m_window->windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    m_window->raise();
    m_window->activateWindow();
}

void TrayIcon::onShareDownloaded(const ots::client::HistoryEntry& entry) {
    const QString title = tr("Your share was downloaded");
    QString message;
    if (entry.downloadsLeft <= 0)
        message = tr("“%1” was downloaded. Its link no longer works.").arg(entry.localName);
    else if (entry.downloadsLeft == 1)
        message = tr("“%1” was downloaded; 1 download is left.").arg(entry.localName);
    else
        message = tr("“%1” was downloaded; %2 downloads are left.")
                      .arg(entry.localName, QString::number(entry.downloadsLeft));
    if (m_tray != nullptr && QSystemTrayIcon::supportsMessages())
        m_tray->showMessage(title, message, QIcon(QStringLiteral(":/icons/app.svg")));
    Q_EMIT notified(title, message);
}

} // namespace ots::gui
