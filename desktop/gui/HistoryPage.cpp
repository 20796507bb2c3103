#include "HistoryPage.h"

#include "BackgroundTask.h"
#include "HistoryModel.h"
#include "PageStyle.h"
#include "ots/client/GivenLink.h"
#include "ots/client/Settings.h"

#include <QAction>
#include <QClipboard>
#include <QDateTime>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QHideEvent>
#include <QIcon>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QShowEvent>
#include <QTimer>
#include <QTreeView>
#include <QUrl>
#include <QVBoxLayout>

namespace ots::gui {

namespace {

using ots::client::ClientError;
using ots::client::ErrorKind;
using ots::client::HistoryEntry;
using ots::client::Outcome;

// While the page is shown, the states are asked again this often (a person watching the list sees
// a download within half a minute); the tray checks less often in the background.
constexpr int kRefreshIntervalMs = 30'000;

QPushButton* actionButton(const QString& icon, const QString& text, const QString& name, QWidget* parent) {
    auto* button = new QPushButton(QIcon(QStringLiteral(":/icons/%1.svg").arg(icon)), text, parent);
    button->setObjectName(name);
    button->setAutoDefault(true); // Enter on a focused button presses it, as Space does
    return button;
}

} // namespace

HistoryPage::HistoryPage(ots::client::ShareHistory* history, ots::client::Settings* settings, QWidget* parent)
    : QWidget(parent)
    , m_history(history)
    , m_settings(settings) {
    setObjectName(QStringLiteral("historyPage"));

    QLabel* title = pageHeading(tr("History"), this);
    QLabel* subtitle =
        hintLabel(tr("Everything you sent from this computer. The state is checked with the relay "
                     "while this page is open."),
                  this);

    m_refreshButton =
        actionButton(QStringLiteral("refresh"), tr("&Refresh"), QStringLiteral("historyRefreshButton"), this);
    m_refreshButton->setToolTip(tr("Ask the relay for the state of every share (F5)"));
    auto* header = new QHBoxLayout;
    auto* titles = new QVBoxLayout;
    titles->addWidget(title);
    titles->addWidget(subtitle);
    header->addLayout(titles, 1);
    header->addWidget(m_refreshButton, 0, Qt::AlignBottom);

    m_model = new HistoryModel(this);
    m_view = new QTreeView(this);
    m_view->setObjectName(QStringLiteral("historyView"));
    m_view->setModel(m_model);
    m_view->setRootIsDecorated(false);
    m_view->setUniformRowHeights(true);
    m_view->setAlternatingRowColors(true);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_view->setAllColumnsShowFocus(true);
    m_view->setIconSize(QSize(18, 18));
    m_view->header()->setStretchLastSection(false);
    m_view->header()->setSectionResizeMode(HistoryModel::NameColumn, QHeaderView::Stretch);
    for (int column = HistoryModel::StateColumn; column < HistoryModel::ColumnCount; ++column)
        m_view->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_view->setAccessibleName(tr("Shares you sent"));

    m_empty = plainLabel(tr("Nothing sent yet. Shares you send from this computer appear here, with whether "
                            "they were downloaded."),
                         this);
    m_empty->setObjectName(QStringLiteral("historyEmptyLabel"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);

    m_copyButton =
        actionButton(QStringLiteral("copy"), tr("&Copy link"), QStringLiteral("historyCopyButton"), this);
    m_copyButton->setToolTip(tr("Put this share's link on the clipboard again (Ctrl+C)"));
    m_unlockButton =
        actionButton(QStringLiteral("lock"), tr("&Unlock"), QStringLiteral("historyUnlockButton"), this);
    m_unlockButton->setToolTip(tr("Let the receiver try the password again after too many wrong ones"));
    m_deleteButton = actionButton(QStringLiteral("trash"), tr("&Delete on relay…"),
                                  QStringLiteral("historyDeleteButton"), this);
    m_deleteButton->setToolTip(tr("Delete the share on the relay now: the link stops working (Delete)"));
    m_forgetButton =
        actionButton(QStringLiteral("forget"), tr("&Forget"), QStringLiteral("historyForgetButton"), this);
    m_forgetButton->setToolTip(
        tr("Remove this entry from this computer; the share on the relay is not touched"));
    m_status = plainLabel({}, this);
    m_status->setObjectName(QStringLiteral("historyStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto* buttons = new QHBoxLayout;
    buttons->addWidget(m_copyButton);
    buttons->addWidget(m_unlockButton);
    buttons->addWidget(m_deleteButton);
    buttons->addWidget(m_forgetButton);
    buttons->addStretch(1);

    auto* column = new QVBoxLayout(this);
    applyPageMargins(column);
    column->addLayout(header);
    column->addWidget(m_view, 1);
    column->addWidget(m_empty, 1);
    column->addLayout(buttons);
    column->addWidget(m_status);

    setTabOrder(m_refreshButton, m_view);
    setTabOrder(m_view, m_copyButton);
    setTabOrder(m_copyButton, m_unlockButton);
    setTabOrder(m_unlockButton, m_deleteButton);
    setTabOrder(m_deleteButton, m_forgetButton);

    auto* refreshAction = new QAction(tr("Refresh"), this);
    refreshAction->setShortcut(QKeySequence::Refresh);
    refreshAction->setShortcutContext(Qt::WidgetWithChildrenShortcut);
    addAction(refreshAction);
    connect(refreshAction, &QAction::triggered, this, &HistoryPage::refresh);
    auto* deleteAction = new QAction(tr("Delete on relay"), m_view);
    deleteAction->setShortcut(QKeySequence::Delete);
    deleteAction->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(deleteAction);
    connect(deleteAction, &QAction::triggered, this, &HistoryPage::deleteSelected);
    auto* copyAction = new QAction(tr("Copy link"), m_view);
    copyAction->setShortcut(QKeySequence::Copy);
    copyAction->setShortcutContext(Qt::WidgetShortcut);
    m_view->addAction(copyAction);
    connect(copyAction, &QAction::triggered, this, &HistoryPage::copyLink);

    connect(m_refreshButton, &QPushButton::clicked, this, &HistoryPage::refresh);
    connect(m_copyButton, &QPushButton::clicked, this, &HistoryPage::copyLink);
    connect(m_unlockButton, &QPushButton::clicked, this, &HistoryPage::unlockSelected);
    connect(m_deleteButton, &QPushButton::clicked, this, &HistoryPage::deleteSelected);
    connect(m_forgetButton, &QPushButton::clicked, this, &HistoryPage::forgetSelected);
    connect(m_view, &QTreeView::activated, this, &HistoryPage::copyLink); // Enter or double-click
    connect(m_view->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &HistoryPage::updateActions);
    connect(m_history, &ots::client::ShareHistory::changed, this, &HistoryPage::reloadModel);

    m_timer = new QTimer(this);
    m_timer->setInterval(kRefreshIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &HistoryPage::refresh);

    reloadModel();
    if (const ClientError loadError = m_history->loadError(); !loadError.ok())
        showStatus(loadError.message, true);
}

HistoryPage::~HistoryPage() {
    // A call still running uses the history; it ends (bounded by its retry policy) before the
    // objects it uses do.
    backgroundPool()->waitForDone();
}

HistoryEntry HistoryPage::selectedEntry() const {
    const QModelIndex current = m_view->currentIndex();
    if (!current.isValid() || !m_view->selectionModel()->isRowSelected(current.row(), QModelIndex()))
        return {};
    return m_model->entry(current.row());
}

bool HistoryPage::selectShare(const QString& id) {
    const int row = m_model->rowOf(id);
    if (row < 0)
        return false;
    m_view->setCurrentIndex(m_model->index(row, 0));
    m_view->selectionModel()->select(m_model->index(row, 0),
                                     QItemSelectionModel::ClearAndSelect | QItemSelectionModel::Rows);
    updateActions();
    return true;
}

void HistoryPage::reloadModel() {
    const QString selectedKey = selectedEntry().id.isEmpty() ? QString() : selectedEntry().key();
    const bool viewHadFocus = m_view->hasFocus();
    m_model->setEntries(m_history->entries());
    const bool empty = m_model->rowCount() == 0;
    if (empty)
        m_empty->setText(tr("Nothing sent yet. Shares you send from this computer appear here, with whether "
                            "they were downloaded. New shares go to %1.")
                             .arg(m_settings->relayUrl().host()));
    m_view->setVisible(!empty);
    m_empty->setVisible(empty);
    int row = selectedKey.isEmpty() ? -1 : m_model->rowOf(selectedKey);
    if (row < 0 && !empty && viewHadFocus)
        row = 0;
    if (row >= 0)
        selectShare(m_model->entry(row).id);
    if (viewHadFocus && !empty)
        m_view->setFocus();
    updateActions();
}

void HistoryPage::updateActions() {
    const HistoryEntry entry = selectedEntry();
    const bool selected = !entry.id.isEmpty();
    const bool idle = m_running == 0;
    m_copyButton->setEnabled(selected && idle && HistoryModel::isLive(entry.state));
    m_unlockButton->setEnabled(selected && idle && entry.state == QLatin1String("locked"));
    m_deleteButton->setEnabled(selected && idle && HistoryModel::isLive(entry.state));
    m_forgetButton->setEnabled(selected && idle);
    m_refreshButton->setEnabled(!m_refreshing);
}

void HistoryPage::showStatus(const QString& text, bool isError) {
    m_status->setText(text);
    m_status->setForegroundRole(isError ? QPalette::BrightText : QPalette::WindowText);
}

void HistoryPage::runEntryAction(const QString& busyText, const std::function<ClientError()>& work,
                                 const std::function<void(const ClientError&)>& done) {
    ++m_running;
    showStatus(busyText, false);
    updateActions();
    runInBackground(this, work, [this, done](const ClientError& error) {
        --m_running;
        done(error);
        updateActions();
    });
}

void HistoryPage::refresh() {
    if (m_refreshing)
        return;
    m_refreshing = true;
    updateActions();
    showStatus(tr("Checking your shares with the relay…"), false);
    ots::client::ShareHistory* history = m_history;
    runInBackground(
        this, [history] { return history->refreshAll(interactiveRetry()); },
        [this](const ClientError& error) {
            m_refreshing = false;
            if (error.ok()) {
                showStatus(
                    tr("Up to date (checked at %1).")
                        .arg(QLocale().toString(QDateTime::currentDateTime().time(), QLocale::ShortFormat)),
                    false);
            } else {
                showStatus(error.message + QLatin1Char(' ') +
                               tr("The list shows the last state known; press F5 to try again."),
                           true);
            }
            reloadModel();
            Q_EMIT actionFinished(m_status->text());
            Q_EMIT refreshFinished();
        });
}

void HistoryPage::copyLink() {
    const HistoryEntry entry = selectedEntry();
    if (entry.id.isEmpty() || m_running > 0)
        return;
    ots::client::ShareHistory* history = m_history;
    ++m_running;
    updateActions();
    runInBackground(
        this, [history, entry] { return history->link(entry); },
        [this, entry, appOnly = m_settings->appOnlyLinks()](const Outcome<QString>& link) {
            --m_running;
            if (link.ok()) {
                // The history keeps the web link; what is copied follows the app-only setting.
                const auto given = ots::client::GivenLink::forLink(link.value(), appOnly);
                QGuiApplication::clipboard()->setText(given.text);
                if (given.appForm)
                    showStatus(tr("The app-only link to “%1” is on the clipboard; it opens in the "
                                  "OneTimeShare app, not in a browser.")
                                   .arg(entry.localName),
                               false);
                else if (given.appFormUnavailable)
                    showStatus(tr("The web link to “%1” is on the clipboard: its relay uses https on this "
                                  "computer (%2), which has no app-only link.")
                                   .arg(entry.localName, QUrl(entry.relayUrl).host()),
                               false);
                else
                    showStatus(tr("The link to “%1” is on the clipboard.").arg(entry.localName), false);
            } else if (link.error().kind == ErrorKind::NotFound) {
                showStatus(
                    tr("The link to “%1” is not stored on this computer any more. Send the files again "
                       "to get a new link.")
                        .arg(entry.localName),
                    true);
            } else {
                showStatus(link.error().message, true);
            }
            updateActions();
            Q_EMIT actionFinished(m_status->text());
        });
}

void HistoryPage::unlockSelected() {
    const HistoryEntry entry = selectedEntry();
    if (entry.id.isEmpty() || m_running > 0)
        return;
    ots::client::ShareHistory* history = m_history;
    runEntryAction(
        tr("Unlocking “%1”…").arg(entry.localName),
        [history, entry] { return history->unlock(entry, interactiveRetry()); },
        [this, entry](const ClientError& error) {
            if (error.ok())
                showStatus(
                    tr("“%1” is unlocked: the receiver can try the password again.").arg(entry.localName),
                    false);
            else
                showStatus(error.message, true);
            Q_EMIT actionFinished(m_status->text());
        });
}

void HistoryPage::deleteSelected() {
    const HistoryEntry entry = selectedEntry();
    if (entry.id.isEmpty() || m_running > 0 || !HistoryModel::isLive(entry.state))
        return;
    QMessageBox* confirm = deleteShareQuestion(entry.localName, QStringLiteral("historyDeleteConfirm"), this);
    connect(confirm, &QMessageBox::finished, this, [this, entry](int result) {
        if (result != QMessageBox::Yes)
            return;
        ots::client::ShareHistory* history = m_history;
        runEntryAction(
            tr("Deleting “%1” on the relay…").arg(entry.localName),
            [history, entry] { return history->revoke(entry, interactiveRetry()); },
            [this, entry](const ClientError& error) {
                if (error.ok())
                    showStatus(
                        tr("“%1” was deleted on the relay; its link no longer works.").arg(entry.localName),
                        false);
                else
                    showStatus(error.message + QLatin1Char(' ') + tr("Nothing was deleted; try again later."),
                               true);
                Q_EMIT actionFinished(m_status->text());
            });
    });
    confirm->open();
}

void HistoryPage::forgetSelected() {
    const HistoryEntry entry = selectedEntry();
    if (entry.id.isEmpty() || m_running > 0)
        return;
    ots::client::ShareHistory* history = m_history;
    runEntryAction(
        tr("Forgetting “%1”…").arg(entry.localName), [history, entry] { return history->forget(entry); },
        [this, entry](const ClientError& error) {
            if (error.ok())
                showStatus(tr("“%1” was removed from this list. If it was still waiting, its link still "
                              "works until it expires.")
                               .arg(entry.localName),
                           false);
            else
                showStatus(error.message, true);
            Q_EMIT actionFinished(m_status->text());
        });
}

void HistoryPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    m_timer->start();
    reloadModel();
    refresh();
}

void HistoryPage::hideEvent(QHideEvent* event) {
    QWidget::hideEvent(event);
    m_timer->stop();
}

} // namespace ots::gui
