#include "MainWindow.h"

#include "HistoryPage.h"
#include "PageStyle.h"
#include "ReceivePage.h"
#include "RelayNotice.h"
#include "SendPage.h"
#include "SettingsPage.h"
#include "Theme.h"
#include "TrayIcon.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMessageBox>
#include <QMimeData>
#include <QPainter>
#include <QPushButton>
#include <QStackedWidget>
#include <QStatusBar>
#include <QUrl>
#include <QVBoxLayout>

namespace ots::gui {
namespace {

/// A sidebar icon that turns white on the selected (accent-coloured) row, in both themes.
QIcon navigationIcon(const QString& path) {
    const QIcon source(path);
    QIcon icon;
    for (const int side : {20, 30, 40, 60}) { // up to a scale factor of 3
        const QPixmap normal = source.pixmap(QSize(side, side));
        icon.addPixmap(normal, QIcon::Normal);
        QPixmap selected(normal.size());
        selected.fill(Qt::transparent);
        QPainter painter(&selected);
        painter.drawPixmap(0, 0, normal);
        painter.setCompositionMode(QPainter::CompositionMode_SourceIn);
        painter.fillRect(selected.rect(), Qt::white);
        painter.end();
        icon.addPixmap(selected, QIcon::Selected);
    }
    return icon;
}

} // namespace

MainWindow::MainWindow(client::Settings* settings, client::ShareHistory* history, QWidget* parent)
    : QMainWindow(parent)
    , m_settings(settings) {
    setWindowTitle(tr("OneTimeShare"));
    setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    setAcceptDrops(true);
    setMinimumSize(880, 600);
    resize(1100, 720);

    auto* central = new QWidget(this);
    auto* layout = new QHBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);

    // The sidebar: the app's name and the four places.
    auto* sidebar = new QWidget(central);
    sidebar->setObjectName(QStringLiteral("sidebar"));
    sidebar->setFixedWidth(220);
    sidebar->setAutoFillBackground(true);
    sidebar->setBackgroundRole(QPalette::AlternateBase);
    auto* sideLayout = new QVBoxLayout(sidebar);
    sideLayout->setContentsMargins(12, 20, 12, 16);
    sideLayout->setSpacing(12);
    auto* brand = new QHBoxLayout;
    brand->setContentsMargins(8, 0, 0, 0);
    auto* logo = plainLabel({}, sidebar);
    logo->setPixmap(QIcon(QStringLiteral(":/icons/app.svg")).pixmap(QSize(28, 28)));
    auto* name = plainLabel(tr("OneTimeShare"), sidebar);
    QFont nameFont = name->font();
    nameFont.setPointSizeF(nameFont.pointSizeF() * 1.25);
    nameFont.setWeight(QFont::DemiBold);
    name->setFont(nameFont);
    brand->addWidget(logo);
    brand->addWidget(name, 1);
    sideLayout->addLayout(brand);
    sideLayout->addSpacing(8);

    m_navigation = new QListWidget(sidebar);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setAccessibleName(tr("Sections"));
    m_navigation->setFrameShape(QFrame::NoFrame);
    m_navigation->setIconSize(QSize(20, 20));
    m_navigation->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_navigation->setVerticalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_navigation->setStyleSheet(QStringLiteral(
        "QListWidget#navigation { background: transparent; outline: none; }"
        "QListWidget#navigation::item { padding: 9px 10px; margin: 2px 0px; border-radius: 8px; }"
        "QListWidget#navigation::item:selected { background: palette(highlight); color: "
        "palette(highlighted-text); }"
        "QListWidget#navigation::item:hover:!selected { background: palette(midlight); }"));
    struct Place {
        QString title;
        QString icon;
        QString keys;
    };
    const Place places[] = {
        {tr("Send"), QStringLiteral(":/icons/send.svg"), QStringLiteral("Ctrl+1")},
        {tr("Receive"), QStringLiteral(":/icons/receive.svg"), QStringLiteral("Ctrl+2")},
        {tr("History"), QStringLiteral(":/icons/history.svg"), QStringLiteral("Ctrl+3")},
        {tr("Settings"), QStringLiteral(":/icons/settings.svg"), QStringLiteral("Ctrl+4")}};
    for (const Place& place : places) {
        auto* item = new QListWidgetItem(navigationIcon(place.icon), place.title, m_navigation);
        item->setToolTip(
            tr("%1 (%2)").arg(place.title, QKeySequence(place.keys).toString(QKeySequence::NativeText)));
        item->setSizeHint(QSize(0, 40));
    }
    sideLayout->addWidget(m_navigation, 1);
    auto* hint = plainLabel(tr("End-to-end encrypted.\nThe relay never sees your files."), sidebar);
    hint->setWordWrap(true);
    hint->setForegroundRole(QPalette::PlaceholderText);
    hint->setContentsMargins(8, 0, 0, 0);
    sideLayout->addWidget(hint);
    layout->addWidget(sidebar);

    // The pages.
    m_pages = new QStackedWidget(central);
    m_send = new SendPage(settings, history, m_pages);
    m_receive = new ReceivePage(settings, m_pages);
    m_history = new HistoryPage(history, settings, m_pages);
    m_settingsPage = new SettingsPage(settings, m_pages);
    m_pages->addWidget(m_send);
    m_pages->addWidget(m_receive);
    m_pages->addWidget(m_history);
    m_pages->addWidget(m_settingsPage);
    layout->addWidget(m_pages, 1);
    setCentralWidget(central);

    connect(m_navigation, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);
    m_navigation->setCurrentRow(0);

    // Ctrl+1 … Ctrl+4 from anywhere in the window.
    for (int i = 0; i < 4; ++i) {
        auto* action = new QAction(this);
        action->setShortcut(QKeySequence(QStringLiteral("Ctrl+%1").arg(i + 1)));
        action->setShortcutContext(Qt::WindowShortcut);
        connect(action, &QAction::triggered, this, [this, i] { showPage(static_cast<Page>(i)); });
        addAction(action);
    }
    auto* quit = new QAction(this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);
    addAction(quit);

    statusBar()->setSizeGripEnabled(false);
    connect(m_send, &SendPage::statusMessage, this, &MainWindow::showStatus);
    connect(m_receive, &ReceivePage::statusMessage, this, &MainWindow::showStatus);
    connect(m_history, &HistoryPage::actionFinished, this, &MainWindow::showStatus);
    connect(m_settingsPage, &SettingsPage::settingsChanged, this, [this] {
        m_send->applyDefaults();
        m_send->relayNotice()->check();
        Theme::apply(m_settings->theme());
    });
    connect(m_settingsPage, &SettingsPage::connectionTested, m_send->relayNotice(), &RelayNotice::check);
    connect(m_send, &SendPage::relaySetupRequested, this, [this] {
        showPage(Page::Settings);
        m_settingsPage->focusRelayAddress();
    });

    m_tray = new TrayIcon(history, this, this);
    connect(m_tray, &TrayIcon::sendFilesRequested, this, [this] {
        bringToFront();
        showPage(Page::Send);
        m_send->chooseFiles();
    });
    connect(m_tray, &TrayIcon::notified, this, [this](const QString& title, const QString& message) {
        showStatus(tr("%1: %2").arg(title, message));
    });

    showStatus(tr("Drop files to share them, or paste a link in Receive (Ctrl+2)."));
}

MainWindow::~MainWindow() = default;

void MainWindow::closeEvent(QCloseEvent* event) {
    const bool sending = m_send->isTransferring();
    const bool receiving = m_receive->stage() == ReceivePage::Stage::Downloading;
    if (!sending && !receiving) {
        event->accept();
        return;
    }
    QMessageBox ask(QMessageBox::Question, tr("A transfer is running"),
                    sending ? tr("A share is still being uploaded. Quitting stops it and deletes what was "
                                 "uploaded so far from the relay.")
                            : tr("A download is still running. Quitting stops it."),
                    QMessageBox::NoButton, this);
    ask.setTextFormat(Qt::PlainText);
    QPushButton* quit = ask.addButton(tr("Quit and discard"), QMessageBox::DestructiveRole);
    QPushButton* keep = ask.addButton(tr("Keep running"), QMessageBox::AcceptRole);
    ask.addButton(QMessageBox::Cancel);
    ask.setDefaultButton(keep);
    ask.setObjectName(QStringLiteral("closeDuringTransfer"));
    ask.exec();
    if (ask.clickedButton() == quit) {
        if (sending)
            m_send->cancel(); // the job deletes the unfinished share as it ends
        event->accept();
        return;
    }
    event->ignore();
    if (ask.clickedButton() == keep) {
        // The transfer goes on out of the way; the tray (when there is one) tells when it is done.
        if (m_tray->available()) {
            QApplication::setQuitOnLastWindowClosed(false);
            hide();
        } else {
            showMinimized();
        }
    }
}

MainWindow::Page MainWindow::currentPage() const {
    return static_cast<Page>(m_pages->currentIndex());
}

void MainWindow::showPage(Page page) {
    m_navigation->setCurrentRow(static_cast<int>(page));
    focusPage(page);
}

void MainWindow::focusPage(Page page) {
    switch (page) {
    case Page::Send:
        if (m_send->stage() == SendPage::Stage::Compose)
            m_send->chooseFilesButton()->setFocus();
        break;
    case Page::Receive:
        if (m_receive->stage() == ReceivePage::Stage::Empty) {
            m_receive->linkEdit()->setFocus();
            m_receive->linkEdit()->selectAll();
        }
        break;
    case Page::History:
    case Page::Settings: {
        // The first widget of the page that Tab would reach.
        QWidget* pageWidget = m_pages->currentWidget();
        for (QWidget* next = pageWidget->nextInFocusChain(); next != nullptr && next != pageWidget;
             next = next->nextInFocusChain()) {
            if (pageWidget->isAncestorOf(next) && (next->focusPolicy() & Qt::TabFocus) != 0 &&
                next->isEnabled() && next->isVisibleTo(pageWidget)) {
                next->setFocus(Qt::ShortcutFocusReason);
                break;
            }
        }
        break;
    }
    }
}

void MainWindow::showStatus(const QString& text) {
    statusBar()->showMessage(text, 10'000);
}

void MainWindow::handleArguments(const QStringList& arguments) {
    for (const QString& argument : arguments) {
        const QString link = ReceivePage::findLink(argument);
        if (link.isEmpty())
            continue;
        bringToFront();
        showPage(Page::Receive);
        m_receive->openLink(link);
        return;
    }
    if (!arguments.isEmpty())
        showStatus(tr("That is not a OneTimeShare link. Copy the whole link, including the part after #."));
    bringToFront();
}

void MainWindow::bringToFront() {
    if (isMinimized())
        showNormal();
    show();
    raise();
    activateWindow();
}

QString MainWindow::linkIn(const QMimeData* data) {
    if (data == nullptr)
        return {};
    if (data->hasUrls())
        for (const QUrl& url : data->urls())
            if (!url.isLocalFile()) {
                QString link = ReceivePage::findLink(url.toString(QUrl::FullyEncoded));
                if (!link.isEmpty())
                    return link;
            }
    if (data->hasText())
        return ReceivePage::findLink(data->text());
    return {};
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
    if (linkIn(event->mimeData()).isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
}

void MainWindow::dragMoveEvent(QDragMoveEvent* event) {
    if (linkIn(event->mimeData()).isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
}

void MainWindow::dropEvent(QDropEvent* event) {
    const QString link = linkIn(event->mimeData());
    if (link.isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
    showPage(Page::Receive);
    m_receive->openLink(link);
}

} // namespace ots::gui
