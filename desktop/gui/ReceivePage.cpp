#include "ReceivePage.h"

#include "ErrorText.h"
#include "PageStyle.h"
#include "TransferProgress.h"
#include "ots/ShareLink.h"
#include "ots/client/DisplayText.h"
#include "ots/client/SecretStore.h"
#include "ots/client/Settings.h"

#include <QApplication>
#include <QClipboard>
#include <QDateTime>
#include <QDesktopServices>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRegularExpression>
#include <QStackedWidget>
#include <QStandardPaths>
#include <QTreeWidget>
#include <QUrl>
#include <QVBoxLayout>

namespace ots::gui {

using client::ClientError;
using client::ErrorKind;
using client::ReceiveJob;

namespace {

QString defaultDownloadFolder() {
    QString folder = QStandardPaths::writableLocation(QStandardPaths::DownloadLocation);
    if (folder.isEmpty())
        folder = QDir::homePath();
    return QDir::toNativeSeparators(folder);
}

} // namespace

ReceivePage::ReceivePage(client::Settings* settings, QWidget* parent)
    : QWidget(parent)
    , m_settings(settings) {
    auto* layout = new QVBoxLayout(this);
    applyPageMargins(layout);
    layout->addWidget(pageHeading(tr("Receive"), this));
    layout->addWidget(hintLabel(tr("Paste the link you were sent. You see what it holds before anything is "
                                   "downloaded, and nothing counts as a download until you press Download."),
                                this));

    auto* linkRow = new QHBoxLayout;
    m_linkEdit = new QLineEdit(this);
    m_linkEdit->setPlaceholderText(tr("https://relay.example/s/…#…  or  onetimeshare://…"));
    m_linkEdit->setAccessibleName(tr("Share link"));
    m_linkEdit->setClearButtonEnabled(true);
    m_open = makeButton(tr("&Open link"), this, QStringLiteral(":/icons/receive.svg"));
    linkRow->addWidget(m_linkEdit, 1);
    linkRow->addWidget(m_open);
    layout->addLayout(linkRow);
    connect(m_linkEdit, &QLineEdit::returnPressed, this, &ReceivePage::inspect);
    connect(m_open, &QPushButton::clicked, this, &ReceivePage::inspect);

    m_clipboardBanner = new QWidget(this);
    auto* banner = new QHBoxLayout(m_clipboardBanner);
    banner->setContentsMargins(0, 0, 0, 0);
    m_clipboardText = hintLabel(tr("There is a share link on the clipboard."), m_clipboardBanner);
    m_useClipboard = makeButton(tr("Use the link from the &clipboard"), m_clipboardBanner,
                                QStringLiteral(":/icons/copy.svg"));
    banner->addWidget(m_clipboardText, 1);
    banner->addWidget(m_useClipboard);
    m_clipboardBanner->hide();
    layout->addWidget(m_clipboardBanner);
    connect(m_useClipboard, &QPushButton::clicked, this, [this] {
        if (!m_offeredLink.isEmpty())
            openLink(m_offeredLink);
    });
    connect(QApplication::clipboard(), &QClipboard::dataChanged, this, &ReceivePage::checkClipboard);

    m_error = gui::errorLabel(this);
    layout->addWidget(m_error);

    m_stages = new QStackedWidget(this);
    layout->addWidget(m_stages, 1);

    // Empty: how it works.
    auto* empty = new QWidget(m_stages);
    auto* emptyLayout = new QVBoxLayout(empty);
    emptyLayout->setContentsMargins(0, 16, 0, 0);
    emptyLayout->addWidget(
        hintLabel(tr("You can also drop a link onto this window, or click an onetimeshare:// "
                     "link in a message: it opens here."),
                  empty));
    emptyLayout->addStretch();
    m_stages->addWidget(empty);

    // Checking: looking the share up or checking the key.
    auto* checking = new QWidget(m_stages);
    auto* checkingLayout = new QVBoxLayout(checking);
    checkingLayout->setContentsMargins(0, 16, 0, 0);
    m_checking = sectionHeading(tr("Looking up the share…"), checking);
    checkingLayout->addWidget(m_checking);
    auto* cancelCheck = makeButton(tr("Cancel"), checking);
    auto* cancelRow = new QHBoxLayout;
    cancelRow->addWidget(cancelCheck);
    cancelRow->addStretch();
    checkingLayout->addLayout(cancelRow);
    checkingLayout->addStretch();
    connect(cancelCheck, &QPushButton::clicked, this, &ReceivePage::cancel);
    m_stages->addWidget(checking);

    // Details: what the share holds, the password, the folder, Download.
    auto* details = new QWidget(m_stages);
    auto* detailsLayout = new QVBoxLayout(details);
    detailsLayout->setContentsMargins(0, 8, 0, 0);
    detailsLayout->setSpacing(10);
    detailsLayout->addWidget(sectionHeading(tr("What you are about to receive"), details));
    m_info = plainLabel({}, details);
    m_info->setWordWrap(true);
    detailsLayout->addWidget(m_info);
    m_heldNotice = plainLabel({}, details);
    m_heldNotice->setWordWrap(true);
    m_heldNotice->hide();
    detailsLayout->addWidget(m_heldNotice);

    m_passwordBox = new QWidget(details);
    auto* passwordLayout = new QVBoxLayout(m_passwordBox);
    passwordLayout->setContentsMargins(0, 4, 0, 4);
    auto* passwordRow = new QHBoxLayout;
    auto* passwordLabel = plainLabel(tr("&Password"), m_passwordBox);
    m_password = new QLineEdit(m_passwordBox);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setAccessibleName(tr("Password"));
    m_password->setPlaceholderText(tr("The password the sender gave you"));
    passwordLabel->setBuddy(m_password);
    m_unlock = makeButton(tr("&Unlock"), m_passwordBox, QStringLiteral(":/icons/lock.svg"));
    passwordRow->addWidget(passwordLabel);
    passwordRow->addWidget(m_password, 1);
    passwordRow->addWidget(m_unlock);
    passwordLayout->addLayout(passwordRow);
    m_passwordStatus = plainLabel({}, m_passwordBox);
    m_passwordStatus->setWordWrap(true);
    passwordLayout->addWidget(m_passwordStatus);
    detailsLayout->addWidget(m_passwordBox);
    connect(m_password, &QLineEdit::returnPressed, this, &ReceivePage::unlock);
    connect(m_unlock, &QPushButton::clicked, this, &ReceivePage::unlock);

    m_listHint = hintLabel({}, details);
    detailsLayout->addWidget(m_listHint);
    m_files = new QTreeWidget(details);
    m_files->setColumnCount(2);
    m_files->setHeaderLabels({tr("Name"), tr("Size")});
    m_files->setRootIsDecorated(false);
    m_files->setUniformRowHeights(true);
    m_files->setAccessibleName(tr("Files in the share"));
    m_files->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_files->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_files->header()->setStretchLastSection(false);
    detailsLayout->addWidget(m_files, 1);

    m_folderRow = new QWidget(details);
    auto* folderLayout = new QHBoxLayout(m_folderRow);
    folderLayout->setContentsMargins(0, 0, 0, 0);
    auto* folderLabel = plainLabel(tr("Save &to"), m_folderRow);
    m_folder = new QLineEdit(defaultDownloadFolder(), m_folderRow);
    m_folder->setAccessibleName(tr("Folder to save into"));
    folderLabel->setBuddy(m_folder);
    m_chooseFolder = makeButton(tr("C&hoose folder…"), m_folderRow, QStringLiteral(":/icons/folder.svg"));
    folderLayout->addWidget(folderLabel);
    folderLayout->addWidget(m_folder, 1);
    folderLayout->addWidget(m_chooseFolder);
    detailsLayout->addWidget(m_folderRow);
    detailsLayout->addStretch(); // takes the room while the file list is hidden
    connect(m_chooseFolder, &QPushButton::clicked, this, &ReceivePage::chooseFolder);
    connect(m_folder, &QLineEdit::returnPressed, this, &ReceivePage::download);

    auto* detailButtons = new QHBoxLayout;
    m_download = makeButton(tr("&Download"), details, QStringLiteral(":/icons/receive.svg"));
    m_download->setDefault(true);
    m_cancelDetails = makeButton(tr("Cancel"), details);
    detailButtons->addStretch();
    detailButtons->addWidget(m_cancelDetails);
    detailButtons->addWidget(m_download);
    detailsLayout->addLayout(detailButtons);
    connect(m_download, &QPushButton::clicked, this, &ReceivePage::download);
    connect(m_cancelDetails, &QPushButton::clicked, this, &ReceivePage::reset);
    m_stages->addWidget(details);

    // Downloading.
    auto* downloading = new QWidget(m_stages);
    auto* downloadingLayout = new QVBoxLayout(downloading);
    downloadingLayout->setContentsMargins(0, 16, 0, 0);
    m_progress = new TransferProgress(downloading);
    downloadingLayout->addWidget(m_progress);
    downloadingLayout->addStretch();
    connect(m_progress, &TransferProgress::cancelRequested, this, &ReceivePage::cancel);
    m_stages->addWidget(downloading);

    // Done: Open folder, or the text with Copy.
    auto* done = new QWidget(m_stages);
    auto* doneLayout = new QVBoxLayout(done);
    doneLayout->setContentsMargins(0, 16, 0, 0);
    doneLayout->setSpacing(10);
    m_doneHeading = sectionHeading({}, done);
    doneLayout->addWidget(m_doneHeading);
    m_doneLabel = plainLabel({}, done);
    m_doneLabel->setWordWrap(true);
    m_doneLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    doneLayout->addWidget(m_doneLabel);
    m_textView = new QPlainTextEdit(done);
    m_textView->setReadOnly(true);
    m_textView->setTabChangesFocus(true);
    m_textView->setAccessibleName(tr("Received text"));
    doneLayout->addWidget(m_textView, 1);
    auto* doneButtons = new QHBoxLayout;
    m_openFolder = makeButton(tr("Open &folder"), done, QStringLiteral(":/icons/folder.svg"));
    m_copyText = makeButton(tr("&Copy text"), done, QStringLiteral(":/icons/copy.svg"));
    m_again = makeButton(tr("Receive &another"), done);
    doneButtons->addWidget(m_openFolder);
    doneButtons->addWidget(m_copyText);
    doneButtons->addWidget(m_again);
    doneButtons->addStretch();
    doneLayout->addLayout(doneButtons);
    doneLayout->addStretch();
    connect(m_openFolder, &QPushButton::clicked, this, &ReceivePage::openFolder);
    connect(m_copyText, &QPushButton::clicked, this, &ReceivePage::copyText);
    connect(m_again, &QPushButton::clicked, this, &ReceivePage::reset);
    m_stages->addWidget(done);
}

ReceivePage::~ReceivePage() = default;

QString ReceivePage::findLink(const QString& text) {
    static const QRegularExpression separators(QStringLiteral("[\\s<>\"'()\\[\\]]+"));
    const QStringList words = text.split(separators, Qt::SkipEmptyParts);
    for (const QString& word : words) {
        if (!word.contains(QLatin1String("/s/")) || !word.contains(QLatin1Char('#')))
            continue;
        const QByteArray utf8 = word.toUtf8();
        if (ots::ShareLink::parse(std::string_view(utf8.constData(), static_cast<std::size_t>(utf8.size()))))
            return word;
    }
    return {};
}

void ReceivePage::setStage(Stage stage) {
    m_stage = stage;
    m_stages->setCurrentIndex(static_cast<int>(stage));
    if (stage != Stage::Empty)
        m_clipboardBanner->hide();
    Q_EMIT stageChanged(stage);
}

void ReceivePage::showFailure(const QString& text) {
    showError(m_error, text);
    Q_EMIT errorShown(text);
}

void ReceivePage::openLink(const QString& link) {
    if (m_stage == Stage::Downloading) {
        Q_EMIT statusMessage(
            tr("A download is running. Cancel it or wait for it to finish, then open the new link."));
        return;
    }
    const QString found = findLink(link);
    m_linkEdit->setText(found.isEmpty() ? link.trimmed() : found);
    inspect();
}

void ReceivePage::inspect() {
    if (m_stage == Stage::Downloading)
        return;
    const QString typed = m_linkEdit->text().trimmed();
    if (typed.isEmpty()) {
        showFailure(tr("Paste the link you were sent into the field above first."));
        m_linkEdit->setFocus();
        return;
    }
    const QString link = findLink(typed).isEmpty() ? typed : findLink(typed);
    showError(m_error, {});
    // The ticket of a reserved download goes to the secret store, so a failure or a restart of the
    // app never costs the recipient that download.
    m_job = std::make_unique<ReceiveJob>(
        client::ReceiveOptions{link, {}, false, [] { return client::SecretStore::open(); }});
    ReceiveJob* job = m_job.get();
    connect(job, &ReceiveJob::inspected, this, &ReceivePage::onInspected);
    connect(job, &ReceiveJob::stateChanged, this, &ReceivePage::onStateChanged);
    connect(job, &ReceiveJob::metadataReady, this, &ReceivePage::onMetadata);
    connect(job, &ReceiveJob::progress, m_progress, &TransferProgress::setProgress);
    connect(job, &ReceiveJob::retrying, this, [this](int attempt, const ClientError& reason, int delayMs) {
        Q_UNUSED(reason)
        const QString text =
            tr("The connection to the relay was interrupted; trying again in %1 s (attempt %2)…")
                .arg((delayMs + 999) / 1000)
                .arg(attempt);
        if (m_stage == Stage::Downloading)
            m_progress->setDetail(text);
        Q_EMIT statusMessage(text);
    });
    connect(job, &ReceiveJob::finished, this, &ReceivePage::onFinished);
    connect(job, &ReceiveJob::failed, this, &ReceivePage::onFailed);
    connect(job, &ReceiveJob::cancelled, this, &ReceivePage::onCancelled);
    m_checking->setText(tr("Looking up the share…"));
    setStage(Stage::Checking);
    Q_EMIT statusMessage(tr("Looking up the share…"));
    job->inspect();
}

void ReceivePage::onInspected(const client::ShareInfo& info) {
    m_password->clear();
    m_passwordStatus->clear();
    m_files->clear();
    m_download->setText(tr("&Download"));
    m_download->setEnabled(false);
    m_folderRow->show();
    m_files->show();
    if (info.passwordRequired) {
        m_passwordBox->show();
        m_passwordStatus->setText(
            (info.attemptsLeft == 1
                 ? tr("This share is protected by a password. 1 attempt left.")
                 : tr("This share is protected by a password. %1 attempts left.").arg(info.attemptsLeft)));
        m_listHint->setText(tr("The file list is encrypted too: it appears once the password is right."));
        m_listHint->show();
        m_files->hide();
        updateInfo();
        setStage(Stage::Details);
        m_password->setFocus();
        Q_EMIT statusMessage(tr("Enter the password to see what the share holds."));
        Q_EMIT detailsShown();
        return;
    }
    // No password: the file list follows at once (onStateChanged), which uses no download.
    m_passwordBox->hide();
    m_checking->setText(tr("Checking the link and reading the file list…"));
}

void ReceivePage::onStateChanged(ReceiveJob::State state) {
    // The look-up of a share without password is done: check the link's key and read the file list.
    if (state == ReceiveJob::State::Idle && m_stage == Stage::Checking && m_job &&
        !m_job->info().passwordRequired)
        m_job->unlock();
}

void ReceivePage::unlock() {
    if (!m_job || m_job->state() != ReceiveJob::State::NeedPassword)
        return;
    if (m_password->text().isEmpty()) {
        m_passwordStatus->setText(tr("Type the password first."));
        m_password->setFocus();
        return;
    }
    m_unlock->setEnabled(false);
    m_password->setEnabled(false);
    m_passwordStatus->setText(tr("Checking the password… (this takes a moment on purpose)"));
    m_job->unlock(m_password->text());
}

void ReceivePage::onMetadata(const client::ShareMetadata& metadata) {
    m_unlock->setEnabled(true);
    m_password->setEnabled(true);
    m_passwordBox->hide();
    m_files->clear();
    if (metadata.isText && metadata.totalBytes <= client::kMaxTextInMemory) {
        m_files->hide();
        m_folderRow->hide();
        m_listHint->setText(tr("This share is a text. It is shown here, not saved as a file."));
        m_download->setText(tr("Show &text"));
    } else if (metadata.isText) {
        // Too large to hold in memory and show: saved as a file where the person chooses.
        m_files->hide();
        m_folderRow->show();
        m_listHint->setText(tr("This share is a text of %1, too large to show here. It will be saved as a "
                               "file in the folder below.")
                                .arg(client::formatBytes(metadata.totalBytes)));
        m_download->setText(tr("&Save text"));
    } else {
        m_files->show();
        m_folderRow->show();
        for (const auto& entry : metadata.entries) {
            auto* item = new QTreeWidgetItem(m_files);
            // The list is the sender's word, not checked against the path rules: shown escaped.
            item->setText(0, client::visibleText(entry.path, client::LineBreaks::Escape, 1024));
            item->setIcon(0, QIcon(entry.isFolder ? QStringLiteral(":/icons/folder.svg")
                                                  : QStringLiteral(":/icons/file.svg")));
            item->setText(1, entry.isFolder ? QString() : client::formatBytes(entry.size));
            item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        }
        m_listHint->setText(metadata.listTruncated
                                ? tr("Only the first %1 entries are listed.").arg(metadata.entries.size())
                                : QString());
        m_download->setText(tr("&Download"));
    }
    m_listHint->setVisible(!m_listHint->text().isEmpty());
    m_download->setEnabled(true);
    updateInfo();
    updateHeld();
    setStage(Stage::Details);
    Q_EMIT statusMessage(m_job && m_job->ticketHeldUntil().isValid()
                             ? tr("Ready to continue the download reserved for you.")
                             : tr("Ready to download. Nothing has been downloaded yet."));
    Q_EMIT detailsShown();
}

void ReceivePage::updateInfo() {
    if (!m_job)
        return;
    const client::ShareInfo& info = m_job->info();
    QStringList facts;
    const bool unlocked = m_job->isUnlocked();
    if (unlocked) {
        const client::ShareMetadata& metadata = m_job->metadata();
        if (metadata.isText)
            facts << tr("A text of %1").arg(client::formatBytes(metadata.totalBytes));
        else
            facts << (metadata.fileCount == 1 ? tr("1 file") : tr("%1 files").arg(metadata.fileCount)) +
                         (metadata.folderCount > 0
                              ? (metadata.folderCount == 1 ? tr(" in 1 folder")
                                                           : tr(" in %1 folders").arg(metadata.folderCount))
                              : QString())
                  << client::formatBytes(metadata.totalBytes);
    } else {
        facts << tr("%1 encrypted").arg(client::formatBytes(info.size));
    }
    const std::int64_t left = info.expiresAt - QDateTime::currentSecsSinceEpoch();
    if (left > 0)
        facts << tr("expires in %1").arg(client::formatDuration(left));
    facts << (info.downloadsLeft == 1 ? tr("1 download left")
                                      : tr("%1 downloads left").arg(info.downloadsLeft));
    if (info.passwordRequired)
        facts << tr("password protected");
    QString text = facts.join(QStringLiteral("  ·  "));
    if (unlocked && !m_job->metadata().note.isEmpty())
        text += QLatin1Char('\n') +
                tr("Note from the sender: %1")
                    .arg(client::visibleText(m_job->metadata().note, client::LineBreaks::Keep, 4096));
    m_info->setText(text);
}

void ReceivePage::updateHeld() {
    const QDateTime until = m_job ? m_job->ticketHeldUntil() : QDateTime();
    const bool held = until.isValid() && until > QDateTime::currentDateTime();
    if (held)
        m_heldNotice->setText(
            tr("A download of this share is already reserved for this computer until %1. Continuing it "
               "does not use another download.")
                .arg(QLocale().toString(until.time(), QLocale::ShortFormat)));
    m_heldNotice->setVisible(held);
    if (m_job && !m_job->metadata().isText)
        m_download->setText(held ? tr("&Resume download") : tr("&Download"));
}

void ReceivePage::chooseFolder() {
    const QString folder =
        QFileDialog::getExistingDirectory(this, tr("Choose where to save the files"), m_folder->text());
    if (!folder.isEmpty())
        m_folder->setText(QDir::toNativeSeparators(folder));
}

void ReceivePage::download() {
    // Ready, or a download that failed after the share was unlocked (Resume, or another folder).
    if (!m_job || (m_job->state() != ReceiveJob::State::Ready && m_job->state() != ReceiveJob::State::Failed))
        return;
    const client::ShareMetadata& metadata = m_job->metadata();
    const bool isText = metadata.isText && metadata.totalBytes <= client::kMaxTextInMemory;
    QString folder = QDir::fromNativeSeparators(m_folder->text().trimmed());
    if (isText)
        folder = QDir::tempPath(); // a text is returned in memory; nothing is written
    if (folder.isEmpty()) {
        showFailure(tr("Choose the folder to save the files in first."));
        m_folder->setFocus();
        return;
    }
    showError(m_error, {});
    m_savedFolder = folder;
    m_progress->start(isText ? tr("Downloading and decrypting the text") : tr("Downloading and decrypting"),
                      isText ? QString() : tr("Into %1").arg(QDir::toNativeSeparators(folder)));
    setStage(Stage::Downloading);
    Q_EMIT statusMessage(tr("Downloading…"));
    m_job->download(folder);
}

void ReceivePage::cancel() {
    if (!m_job)
        return;
    if (m_stage == Stage::Downloading)
        m_progress->setCancelling();
    m_job->cancel();
}

void ReceivePage::onFinished(const client::ReceiveResult& result) {
    const QString left = result.downloadsLeft == 0 ? tr("The share is used up now: the link no longer works.")
                         : result.downloadsLeft == 1
                             ? tr("1 download left for others.")
                             : tr("%1 downloads left for others.").arg(result.downloadsLeft);
    if (result.isText && result.savedPaths.isEmpty()) {
        m_textView->setPlainText(QString::fromUtf8(result.text));
        m_textView->show();
        m_copyText->show();
        m_openFolder->hide();
        m_doneHeading->setText(tr("Text received"));
        m_doneLabel->setText(tr("Decrypted on this computer and not saved anywhere. %1").arg(left));
        m_copyText->setFocus();
    } else {
        m_textView->clear();
        m_textView->hide();
        m_copyText->hide();
        m_openFolder->show();
        m_doneHeading->setText(result.isText ? tr("Text saved as a file") : QString());
        QStringList names;
        for (const QString& path : result.savedPaths)
            names << QDir::toNativeSeparators(QFileInfo(path).fileName());
        m_doneLabel->setText(
            tr("Saved %1 in %2. %3")
                .arg(client::visibleText(names.join(QStringLiteral(", ")), client::LineBreaks::Escape, 1024),
                     client::visibleText(QDir::toNativeSeparators(m_savedFolder)), left));
        m_openFolder->setFocus();
    }
    setStage(Stage::Done);
    Q_EMIT statusMessage(result.isText && result.savedPaths.isEmpty() ? tr("Text received.")
                                                                      : tr("Download finished."));
    Q_EMIT downloadFinished(result);
}

void ReceivePage::onFailed(const ClientError& error) {
    m_unlock->setEnabled(true);
    m_password->setEnabled(true);
    const QString text = ErrorText::forReceive(error);
    if (error.kind == ErrorKind::WrongPassword && m_job &&
        m_job->state() == ReceiveJob::State::NeedPassword) {
        // Stay on the password prompt: try again.
        m_passwordStatus->setText(text);
        m_password->selectAll();
        m_password->setFocus();
        setStage(Stage::Details);
        Q_EMIT statusMessage(tr("Wrong password."));
        Q_EMIT errorShown(text);
        return;
    }
    // A download that failed after the share was unlocked keeps the page: the file list, the folder and
    // — when a download is reserved — Resume, with what the failure cost said plainly.
    if (m_stage == Stage::Downloading && m_job && m_job->state() == ReceiveJob::State::Failed) {
        const QDateTime& until = m_job->ticketHeldUntil();
        const bool held = until.isValid() && until > QDateTime::currentDateTime();
        updateInfo(); // the downloads left now count the reservation this download holds
        updateHeld();
        setStage(Stage::Details);
        m_download->setEnabled(true);
        m_download->setFocus();
        showFailure(held ? tr("%1 The download is still yours until %2: nothing more was used. Fix that, "
                              "then choose Resume download.")
                               .arg(text, QLocale().toString(until.time(), QLocale::ShortFormat))
                         : text);
        Q_EMIT statusMessage(held ? tr("Download interrupted; it can be resumed.")
                                  : tr("Nothing was downloaded."));
        return;
    }
    if (m_stage == Stage::Downloading || m_stage == Stage::Checking || m_stage == Stage::Details) {
        setStage(Stage::Empty);
        m_linkEdit->setFocus();
    }
    showFailure(text);
    Q_EMIT statusMessage(tr("Could not receive the share."));
}

void ReceivePage::onCancelled() {
    const bool wasDownloading = m_stage == Stage::Downloading;
    setStage(Stage::Empty);
    showError(m_error, {});
    Q_EMIT statusMessage(wasDownloading ? tr("Download cancelled. Nothing was saved.") : tr("Cancelled."));
    m_linkEdit->setFocus();
}

void ReceivePage::openFolder() {
    if (!m_savedFolder.isEmpty())
        QDesktopServices::openUrl(QUrl::fromLocalFile(m_savedFolder));
}

void ReceivePage::copyText() {
    QApplication::clipboard()->setText(m_textView->toPlainText());
    Q_EMIT statusMessage(tr("Text copied to the clipboard."));
}

void ReceivePage::reset() {
    if (m_job && m_stage != Stage::Done)
        m_job->cancel();
    m_job.reset();
    m_linkEdit->clear();
    m_password->clear();
    m_files->clear();
    m_textView->clear();
    showError(m_error, {});
    setStage(Stage::Empty);
    m_linkEdit->setFocus();
    checkClipboard();
}

void ReceivePage::checkClipboard() {
    if (m_stage != Stage::Empty) {
        m_clipboardBanner->hide();
        return;
    }
    const QString link = findLink(QApplication::clipboard()->text());
    m_offeredLink = link;
    if (link.isEmpty() || link == m_linkEdit->text().trimmed()) {
        m_clipboardBanner->hide();
        return;
    }
    m_clipboardBanner->show();
}

void ReceivePage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    checkClipboard();
}

} // namespace ots::gui
