#include "SendPage.h"

#include "BackgroundTask.h"
#include "DropZone.h"
#include "ErrorText.h"
#include "PageStyle.h"
#include "QrCodeWidget.h"
#include "RelayNotice.h"
#include "TransferProgress.h"
#include "ots/client/Passphrase.h"
#include "ots/client/PendingUploadStore.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SecretStore.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QFutureWatcher>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QShortcut>
#include <QShowEvent>
#include <QSpinBox>
#include <QStackedWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

#include <algorithm>

namespace ots::gui {

using client::ClientError;
using client::ErrorKind;
using client::SendJob;
using client::SendOptions;
using client::SendResult;

namespace {

/// The SecretStore key of the relay's upload token (the same as the `ots` command and Settings use).
const QString kUploadTokenKey = QStringLiteral("upload-token");

/// How often the link page asks the relay whether the share was downloaded.
constexpr int kOwnerStatusPollMs = 3000;

/// What start() reads in a worker thread before a job starts.
struct StartCheck {
    ClientError relay; ///< the relay's answer to a quick check; set = do not start
    QString uploadToken;
};

/// Deleting a share that is already gone is what the person wanted.
bool alreadyGone(const ClientError& error) {
    return error.kind == ErrorKind::NotFound || error.kind == ErrorKind::Deleted ||
           error.kind == ErrorKind::Expired || error.kind == ErrorKind::Downloaded;
}

QString describeInputs(const QStringList& paths) {
    return paths.size() == 1 ? QFileInfo(paths.first()).fileName()
                             : SendPage::tr("%1 items").arg(paths.size());
}

} // namespace

SendPage::SendPage(client::Settings* settings, client::ShareHistory* history, QWidget* parent)
    : QWidget(parent)
    , m_settings(settings)
    , m_history(history) {
    auto* layout = new QVBoxLayout(this);
    applyPageMargins(layout);
    layout->addWidget(pageHeading(tr("Send"), this));

    m_stages = new QStackedWidget(this);
    auto* compose = new QWidget(m_stages);
    buildCompose(compose);
    m_stages->addWidget(compose);

    auto* sending = new QWidget(m_stages);
    auto* sendingLayout = new QVBoxLayout(sending);
    sendingLayout->setContentsMargins(0, 24, 0, 0);
    m_progress = new TransferProgress(sending);
    sendingLayout->addWidget(m_progress);
    sendingLayout->addStretch();
    connect(m_progress, &TransferProgress::cancelRequested, this, &SendPage::cancel);
    connect(m_progress, &TransferProgress::resumeRequested, this, &SendPage::resumeUpload);
    connect(m_progress, &TransferProgress::discardRequested, this, &SendPage::discardUpload);
    m_stages->addWidget(sending);
    m_retryTick = new QTimer(this);
    m_retryTick->setInterval(1000);
    connect(m_retryTick, &QTimer::timeout, this, &SendPage::showRetryCountdown);

    auto* result = new QWidget(m_stages);
    buildResult(result);
    m_stages->addWidget(result);

    layout->addWidget(m_stages, 1);

    m_statusPoll = new QTimer(this);
    m_statusPoll->setInterval(kOwnerStatusPollMs);
    connect(m_statusPoll, &QTimer::timeout, this, &SendPage::pollOwnerStatus);
    applyDefaults();
    loadPending();
}

SendPage::~SendPage() = default;

void SendPage::buildCompose(QWidget* page) {
    auto* layout = new QVBoxLayout(page);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(14);
    layout->addWidget(hintLabel(tr("Choose how long the link works and how often it can be used, then drop "
                                   "what you want to share."),
                                page));
    m_relayNotice = new RelayNotice(m_settings, page);
    layout->addWidget(m_relayNotice);
    connect(m_relayNotice, &RelayNotice::setUpRequested, this, &SendPage::relaySetupRequested);

    // Options: expiry, downloads, password.
    auto* options = new QGridLayout;
    options->setHorizontalSpacing(12);
    options->setVerticalSpacing(8);
    m_expiry = new QComboBox(page);
    m_expiry->setAccessibleName(tr("Link expires after"));
    const std::int64_t choices[] = {600, 3600, 86400, 259200, 604800}; // 10 min, 1 h, 1 day, 3 days, 7 days
    for (const std::int64_t seconds : choices)
        m_expiry->addItem(client::formatDuration(seconds), QVariant::fromValue<qlonglong>(seconds));
    m_downloads = new QSpinBox(page);
    m_downloads->setRange(1, 100);
    m_downloads->setAccessibleName(tr("Number of downloads allowed"));
    m_password = new QLineEdit(page);
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setPlaceholderText(tr("No password (the link alone opens it)"));
    m_password->setAccessibleName(tr("Password"));
    m_password->setClearButtonEnabled(true);
    m_generate = makeButton(tr("&Generate"), page, QStringLiteral(":/icons/lock.svg"));
    m_generate->setToolTip(tr("Fill in a strong random passphrase"));
    auto* show = makeButton(tr("Show"), page);
    show->setCheckable(true);
    show->setToolTip(tr("Show or hide the password"));
    connect(show, &QPushButton::toggled, this, [this, show](bool on) {
        m_password->setEchoMode(on ? QLineEdit::Normal : QLineEdit::Password);
        show->setText(on ? tr("Hide") : tr("Show"));
    });
    m_strength = plainLabel({}, page);
    m_strength->setMinimumWidth(150);

    auto* expiryLabel = plainLabel(tr("&Expires after"), page);
    expiryLabel->setBuddy(m_expiry);
    auto* downloadsLabel = plainLabel(tr("&Downloads"), page);
    downloadsLabel->setBuddy(m_downloads);
    auto* passwordLabel = plainLabel(tr("&Password"), page);
    passwordLabel->setBuddy(m_password);
    options->addWidget(expiryLabel, 0, 0);
    options->addWidget(m_expiry, 1, 0);
    options->addWidget(downloadsLabel, 0, 1);
    options->addWidget(m_downloads, 1, 1);
    options->addWidget(passwordLabel, 0, 2);
    auto* passwordRow = new QHBoxLayout;
    passwordRow->setSpacing(6);
    passwordRow->addWidget(m_password, 1);
    passwordRow->addWidget(show);
    passwordRow->addWidget(m_generate);
    options->addLayout(passwordRow, 1, 2);
    options->addWidget(m_strength, 1, 3);
    options->setColumnStretch(2, 1);
    layout->addLayout(options);
    connect(m_generate, &QPushButton::clicked, this, [this, show] {
        generatePassword();
        show->setChecked(true);
    });
    connect(m_password, &QLineEdit::textChanged, this, &SendPage::updateStrength);

    // The inputs: the drop zone, or the text composer.
    m_inputs = new QStackedWidget(page);
    m_dropZone = new DropZone(m_inputs);
    auto* buttons = new QHBoxLayout;
    buttons->setSpacing(10);
    m_chooseFiles = makeButton(tr("Choose &files…"), m_dropZone, QStringLiteral(":/icons/file.svg"));
    m_chooseFolder = makeButton(tr("Choose f&older…"), m_dropZone, QStringLiteral(":/icons/folder.svg"));
    m_shareText = makeButton(tr("Share &text…"), m_dropZone, QStringLiteral(":/icons/text.svg"));
    buttons->addStretch();
    buttons->addWidget(m_chooseFiles);
    buttons->addWidget(m_chooseFolder);
    buttons->addWidget(m_shareText);
    buttons->addStretch();
    m_dropZone->contentLayout()->addLayout(buttons);
    m_inputs->addWidget(m_dropZone);
    connect(m_dropZone, &DropZone::pathsDropped, this, &SendPage::sendPaths);
    connect(m_chooseFiles, &QPushButton::clicked, this, &SendPage::chooseFiles);
    connect(m_chooseFolder, &QPushButton::clicked, this, &SendPage::chooseFolder);
    connect(m_shareText, &QPushButton::clicked, this, &SendPage::showTextComposer);

    auto* composer = new QWidget(m_inputs);
    auto* composerLayout = new QVBoxLayout(composer);
    composerLayout->setContentsMargins(0, 0, 0, 0);
    auto* textLabel = sectionHeading(tr("Text to share"), composer);
    composerLayout->addWidget(textLabel);
    composerLayout->addWidget(
        hintLabel(tr("Paste a password, a key or a note. It is encrypted like a file and "
                     "shown to the receiver in a read-only view (Ctrl+Enter creates the link)."),
                  composer));
    m_text = new QPlainTextEdit(composer);
    m_text->setTabChangesFocus(true);
    m_text->setAccessibleName(tr("Text to share"));
    composerLayout->addWidget(m_text, 1);
    auto* composerButtons = new QHBoxLayout;
    m_textBack = makeButton(tr("Back"), composer);
    m_sendText = makeButton(tr("Create &link"), composer, QStringLiteral(":/icons/send.svg"));
    composerButtons->addStretch();
    composerButtons->addWidget(m_textBack);
    composerButtons->addWidget(m_sendText);
    composerLayout->addLayout(composerButtons);
    m_inputs->addWidget(composer);
    connect(m_textBack, &QPushButton::clicked, this, &SendPage::showDropZone);
    connect(m_sendText, &QPushButton::clicked, this, &SendPage::sendTypedText);
    for (const QKeySequence& keys :
         {QKeySequence(Qt::CTRL | Qt::Key_Return), QKeySequence(Qt::CTRL | Qt::Key_Enter)}) {
        auto* shortcut = new QShortcut(keys, m_text);
        shortcut->setContext(Qt::WidgetShortcut);
        connect(shortcut, &QShortcut::activated, this, &SendPage::sendTypedText);
    }
    layout->addWidget(m_inputs, 1);

    m_error = gui::errorLabel(page);
    layout->addWidget(m_error);
    updateStrength();
}

void SendPage::buildResult(QWidget* page) {
    auto* layout = new QHBoxLayout(page);
    layout->setContentsMargins(0, 12, 0, 0);
    layout->setSpacing(32);

    auto* left = new QVBoxLayout;
    left->setSpacing(10);
    auto* heading = sectionHeading(tr("Your link is ready"), page);
    left->addWidget(heading);
    m_resultSummary = hintLabel({}, page);
    left->addWidget(m_resultSummary);
    left->addSpacing(6);

    auto* linkRow = new QHBoxLayout;
    m_link = new QLineEdit(page);
    m_link->setReadOnly(true);
    m_link->setAccessibleName(tr("Share link"));
    // Narrow enough that the link, Copy and the QR code fit side by side at the window's minimum width.
    m_link->setMinimumWidth(160);
    m_copy = makeButton(tr("&Copy link"), page, QStringLiteral(":/icons/copy.svg"));
    m_copy->setDefault(true);
    linkRow->addWidget(m_link, 1);
    linkRow->addWidget(m_copy);
    left->addLayout(linkRow);
    m_linkForm = hintLabel({}, page);
    m_linkForm->setObjectName(QStringLiteral("linkFormNote"));
    m_linkForm->hide();
    left->addWidget(m_linkForm);
    m_resultStatus = plainLabel({}, page);
    m_resultStatus->setWordWrap(true);
    left->addWidget(m_resultStatus);
    m_passwordNote =
        hintLabel(tr("This share has a password. Send the password through another channel than the "
                     "link — for example read it out on a call."),
                  page);
    auto* passwordRow = new QHBoxLayout;
    passwordRow->addWidget(m_passwordNote, 1);
    m_copyPassword = makeButton(tr("Copy &password"), page, QStringLiteral(":/icons/lock.svg"));
    m_copyPassword->setToolTip(tr("Copy the password, to paste it into another channel than the link"));
    passwordRow->addWidget(m_copyPassword, 0, Qt::AlignTop);
    left->addLayout(passwordRow);
    left->addSpacing(10);

    auto* actions = new QHBoxLayout;
    m_delete = makeButton(tr("&Delete now"), page, QStringLiteral(":/icons/trash.svg"));
    m_delete->setToolTip(tr("Delete the share on the relay so that the link stops working"));
    m_newShare = makeButton(tr("&Send something else"), page, QStringLiteral(":/icons/send.svg"));
    actions->addWidget(m_newShare);
    actions->addWidget(m_delete);
    actions->addStretch();
    left->addLayout(actions);
    left->addStretch();
    layout->addLayout(left, 3);

    auto* right = new QVBoxLayout;
    m_qr = new QrCodeWidget(page);
    m_qr->setFixedSize(264, 264);
    right->setSpacing(6);
    right->addWidget(m_qr, 0, Qt::AlignHCenter);
    m_qrCaption = hintLabel(tr("Scan to open the link on a phone"), page);
    m_qrCaption->setAlignment(Qt::AlignHCenter);
    right->addWidget(m_qrCaption);
    right->addStretch();
    layout->addLayout(right, 2);

    connect(m_copy, &QPushButton::clicked, this, &SendPage::copyLink);
    connect(m_copyPassword, &QPushButton::clicked, this, [this] {
        if (m_password->text().isEmpty())
            return;
        QApplication::clipboard()->setText(m_password->text());
        m_resultStatus->setText(tr("Password copied. Send it another way than the link."));
    });
    connect(m_delete, &QPushButton::clicked, this, &SendPage::deleteNow);
    connect(m_newShare, &QPushButton::clicked, this, &SendPage::startOver);
}

void SendPage::applyDefaults() {
    if (m_stage == Stage::Result && !m_deleted && !m_result.link.isEmpty())
        showGivenLink(); // the app-only setting may have changed
    const std::int64_t expiry = m_settings->defaultExpiresIn();
    int index = m_expiry->findData(QVariant::fromValue<qlonglong>(expiry));
    if (index < 0) {
        m_expiry->addItem(client::formatDuration(expiry), QVariant::fromValue<qlonglong>(expiry));
        index = m_expiry->count() - 1;
    }
    m_expiry->setCurrentIndex(index);
    m_downloads->setValue(m_settings->defaultMaxDownloads());
}

void SendPage::setStage(Stage stage) {
    if (m_stage == stage)
        return;
    m_stage = stage;
    m_stages->setCurrentIndex(static_cast<int>(stage));
    switch (stage) {
    case Stage::Compose:
        (m_inputs->currentIndex() == 0 ? static_cast<QWidget*>(m_chooseFiles) : m_text)->setFocus();
        break;
    case Stage::Sending:
        m_progress->cancelButton()->setFocus();
        break;
    case Stage::Result:
        m_copy->setFocus();
        break;
    }
    Q_EMIT stageChanged(stage);
}

void SendPage::chooseFiles() {
    // A non-native dialog would block the same way; the native one runs its own loop, so the page keeps
    // painting and a running job keeps reporting.
    const QStringList files = QFileDialog::getOpenFileNames(this, tr("Choose files to share"));
    if (!files.isEmpty())
        sendPaths(files);
}

void SendPage::chooseFolder() {
    const QString folder = QFileDialog::getExistingDirectory(this, tr("Choose a folder to share"));
    if (!folder.isEmpty())
        sendPaths({folder});
}

void SendPage::showTextComposer() {
    m_inputs->setCurrentIndex(1);
    m_text->setFocus();
}

void SendPage::showDropZone() {
    m_inputs->setCurrentIndex(0);
    m_shareText->setFocus();
}

void SendPage::sendPaths(const QStringList& paths) {
    if (paths.isEmpty())
        return;
    if (m_stage == Stage::Sending) {
        Q_EMIT statusMessage(
            m_paused ? tr("An unfinished upload is waiting. Resume or discard it, then send the next share.")
                     : tr("A share is being sent. Wait for its link or cancel it, then send the next one."));
        return;
    }
    SendOptions options;
    options.paths = paths;
    start(std::move(options), describeInputs(paths));
}

void SendPage::sendTypedText() {
    if (m_stage == Stage::Sending)
        return;
    const QString text = m_text->toPlainText();
    if (text.trimmed().isEmpty()) {
        showError(m_error, tr("There is no text to share yet. Type or paste it in the box above."));
        m_text->setFocus();
        return;
    }
    SendOptions options;
    options.text = text.toUtf8();
    start(std::move(options), tr("a text of %1 characters").arg(text.size()));
}

void SendPage::start(SendOptions options, const QString& what) {
    options.relay = m_settings->relayUrl();
    options.expiresIn = m_expiry->currentData().toLongLong();
    options.maxDownloads = m_downloads->value();
    options.password = m_password->text();
    options.argonIterations = m_settings->argonIterations();
    options.argonMemoryKiB = m_settings->argonMemoryKiB();
    options.argonParallelism = m_settings->argonParallelism();

    showError(m_error, {});
    m_progress->start(tr("Sending %1").arg(what), tr("Preparing…"));
    setStage(Stage::Sending);
    Q_EMIT statusMessage(tr("Sending %1…").arg(what));

    // First a quick check that the relay answers, so that a dead relay is reported within two seconds
    // instead of after the files were read and the job's retries ran out. Then the upload token, from
    // the secret store (maybe the keychain, which can take seconds). Both in a worker thread.
    m_cancelBeforeStart = false;
    const int generation = ++m_startGeneration;
    const QUrl relay = options.relay;
    auto* watcher = new QFutureWatcher<StartCheck>(this);
    connect(watcher, &QFutureWatcher<StartCheck>::finished, this,
            [this, watcher, generation, options = std::move(options)]() mutable {
                const StartCheck checked = watcher->result();
                watcher->deleteLater();
                if (generation != m_startGeneration)
                    return;
                if (m_cancelBeforeStart) {
                    onCancelled();
                    return;
                }
                m_relayNotice->showResult(checked.relay); // the notice shows what this check found
                if (checked.relay) {
                    onFailed(checked.relay);
                    return;
                }
                options.uploadToken = checked.uploadToken;
                startJob(std::move(options));
            });
    watcher->setFuture(QtConcurrent::run(backgroundPool(), [relay] {
        StartCheck checked;
        checked.relay = checkRelay(relay, quickCheckRetry());
        if (checked.relay)
            return checked;
        const auto store = client::SecretStore::open();
        if (!store)
            return checked;
        auto token = store->load(kUploadTokenKey);
        if (token.ok())
            checked.uploadToken = token.value();
        return checked;
    }));
}

void SendPage::startJob(SendOptions options) {
    const bool hasPassword = !options.password.isEmpty();
    options.retry = m_uploadRetry;
    options.giveUpAfter = m_giveUpAfter;
    if (m_longestUploadWait)
        options.longestUploadWait = *m_longestUploadWait;
    options.keepUnfinishedUpload = true;
    m_paused = false;
    m_job = std::make_unique<SendJob>(std::move(options));
    SendJob* job = m_job.get();
    connect(job, &SendJob::progress, m_progress, &TransferProgress::setProgress);
    connect(job, &SendJob::stateChanged, this, [this, hasPassword](SendJob::State state) {
        switch (state) {
        case SendJob::State::Preparing:
            m_progress->setDetail(hasPassword
                                      ? tr("Deriving the key from the password and reading the files…")
                                      : tr("Reading the files…"));
            break;
        case SendJob::State::Uploading:
            m_progress->setDetail(tr("Encrypting on this computer and uploading…"));
            break;
        case SendJob::State::Finishing:
            m_progress->setDetail(tr("Finishing the upload…"));
            break;
        default:
            break;
        }
    });
    connect(job, &SendJob::retrying, this,
            [this](int, const ClientError& reason, int delayMs) { onRetrying(reason, delayMs); });
    connect(job, &SendJob::resumed, this, [this] {
        stopRetryCountdown();
        m_progress->setDetail(tr("Resumed: the relay answers again, and the upload goes on from where it "
                                 "stopped."));
        Q_EMIT statusMessage(tr("Upload resumed."));
    });
    connect(job, &SendJob::restartedAsNewShare, this, [this] {
        stopRetryCountdown();
        const QString why =
            tr("The files changed since the upload began, so the unfinished share was deleted "
               "and they are being sent again as a new share.");
        m_progress->setDetail(why);
        Q_EMIT statusMessage(why);
    });
    connect(job, &SendJob::finished, this, &SendPage::onFinished);
    connect(job, &SendJob::failed, this, &SendPage::onFailed);
    connect(job, &SendJob::cancelled, this, &SendPage::onCancelled);
    job->start();
}

void SendPage::cancel() {
    if (m_stage != Stage::Sending || m_paused)
        return; // a paused upload is ended with Discard
    m_progress->setCancelling();
    Q_EMIT statusMessage(tr("Cancelling and deleting the unfinished share…"));
    if (m_job && m_job->state() != SendJob::State::Finished && m_job->state() != SendJob::State::Failed &&
        m_job->state() != SendJob::State::Cancelled)
        m_job->cancel();
    else
        m_cancelBeforeStart = true;
}

void SendPage::onRetrying(const ClientError& reason, int delayMs) {
    switch (reason.kind) {
    case ErrorKind::RelayUnavailable:
        m_retryReason = tr("The relay is not answering properly");
        break;
    case ErrorKind::RateLimited:
        m_retryReason = tr("The relay asks to slow down");
        break;
    default:
        m_retryReason = tr("The relay is unreachable");
        break;
    }
    m_retryAt = QDeadlineTimer(delayMs);
    m_progress->setWaiting();
    showRetryCountdown();
    m_retryTick->start();
    Q_EMIT statusMessage(tr("%1. The upload is retrying and keeps what the relay has.").arg(m_retryReason));
}

void SendPage::showRetryCountdown() {
    const qint64 left = (m_retryAt.remainingTime() + 999) / 1000;
    m_progress->setDetail(left > 0 ? tr("%1 — retrying in %2 s. What is on the relay is kept; the upload "
                                        "continues from there.")
                                         .arg(m_retryReason)
                                         .arg(left)
                                   : tr("%1 — retrying now…").arg(m_retryReason));
}

void SendPage::stopRetryCountdown() {
    m_retryTick->stop();
}

void SendPage::setUploadPatience(const client::RetryPolicy& retry, std::chrono::milliseconds giveUpAfter) {
    m_uploadRetry = retry;
    m_longestUploadWait = retry.maxDelay;
    m_giveUpAfter = giveUpAfter;
}

void SendPage::showPaused(const QString& why) {
    m_paused = true;
    stopRetryCountdown();
    m_progress->setPaused(why);
    setStage(Stage::Sending);
    m_progress->resumeButton()->setFocus();
}

void SendPage::savePending() {
    if (!m_pending || m_pending->isText()) {
        Q_EMIT pendingUploadSaved(false);
        return;
    }
    runInBackground(
        this,
        [pending = *m_pending] {
            client::PendingUploadStore store;
            return store.save(pending);
        },
        [this](const ClientError& error) {
            if (error)
                Q_EMIT statusMessage(tr("The unfinished upload could not be kept for after a restart of the "
                                        "app: %1 Resume it before closing the app.")
                                         .arg(error.message));
            Q_EMIT pendingUploadSaved(!error);
        });
}

void SendPage::loadPending() {
    runInBackground(
        this,
        [] {
            const client::PendingUploadStore store;
            return store.load();
        },
        [this](const client::Outcome<client::PendingUpload>& kept) {
            if (!kept.ok()) {
                if (kept.error().kind != ErrorKind::NotFound)
                    Q_EMIT statusMessage(kept.error().message);
                return;
            }
            if (m_stage != Stage::Compose)
                return; // a share started meanwhile: the kept one waits for the next start of the app
            m_pending = kept.value();
            m_progress->start(tr("Sending %1").arg(describeInputs(m_pending->paths)), {});
            showPaused(tr("This upload was interrupted when OneTimeShare last ran. What reached the relay is "
                          "kept there: Resume continues from it, Discard deletes it."));
            Q_EMIT statusMessage(tr("An unfinished upload is waiting: Resume or Discard it."));
            Q_EMIT pendingUploadRestored();
        });
}

void SendPage::forgetPending() {
    if (!m_pending)
        return;
    m_pending.reset();
    runInBackground(
        this,
        [] {
            client::PendingUploadStore store;
            return store.remove();
        },
        [this](const ClientError& error) {
            if (error)
                Q_EMIT statusMessage(error.message);
        });
}

void SendPage::resumeUpload() {
    if (!m_pending || !m_paused)
        return;
    SendOptions options;
    options.relay = m_pending->relay;
    options.resume = *m_pending;
    m_progress->start(tr("Sending %1").arg(describeInputs(m_pending->paths)),
                      tr("Resuming: checking the files and what the relay has…"));
    Q_EMIT statusMessage(tr("Resuming the upload…"));
    startJob(std::move(options));
}

void SendPage::discardUpload() {
    if (!m_pending || !m_paused)
        return;
    m_progress->setPausedBusy(tr("Deleting the unfinished upload on the relay…"));
    runInBackground(
        this,
        [pending = *m_pending]() -> ClientError {
            client::RelayClient relay{pending.relay, interactiveRetry()};
            return relay.deleteShare(pending.shareId, pending.ownerToken);
        },
        [this](const ClientError& error) {
            if (error && !alreadyGone(error)) {
                showPaused(tr("The unfinished upload could not be deleted: %1 Try Discard again when the "
                              "relay is back (it also deletes the upload by itself after an hour without "
                              "data).")
                               .arg(ErrorText::forSend(error)));
                return;
            }
            forgetPending();
            m_paused = false;
            setStage(Stage::Compose);
            Q_EMIT statusMessage(tr("The unfinished upload was deleted on the relay."));
        });
}

void SendPage::onFinished(const SendResult& result) {
    stopRetryCountdown();
    forgetPending();
    m_result = result;
    m_deleted = false;
    showGivenLink();
    QStringList facts;
    facts << result.displayName << client::formatBytes(result.fileBytes); // the size the receiver sees
    const std::int64_t lifetime = result.expiresAt - QDateTime::currentSecsSinceEpoch();
    if (lifetime > 0)
        facts << tr("expires in %1").arg(client::formatDuration(lifetime));
    facts << (result.maxDownloads == 1 ? tr("1 download") : tr("%1 downloads").arg(result.maxDownloads));
    m_resultSummary->setText(facts.join(QStringLiteral("  ·  ")));
    m_passwordNote->setVisible(result.passwordProtected);
    m_copyPassword->setVisible(result.passwordProtected && !m_password->text().isEmpty());
    m_downloadsSeen = 0;
    m_delete->setEnabled(true);
    m_copy->setEnabled(true);
    m_statusPoll->start();
    if (m_settings->copyLinkOnFinish()) {
        QApplication::clipboard()->setText(m_given.text);
        m_resultStatus->setText(tr("The link is on the clipboard: paste it into a message to the receiver."));
    } else {
        m_resultStatus->setText(tr("Copy the link and send it to the receiver."));
    }
    setStage(Stage::Result);
    Q_EMIT statusMessage(tr("%1 is ready to be downloaded.").arg(result.displayName));
    recordInHistory(result);
    Q_EMIT shareFinished(result);
}

void SendPage::onFailed(const ClientError& error) {
    stopRetryCountdown();
    if (m_job && m_job->pendingUpload()) {
        m_pending = m_job->pendingUpload();
        const qint64 minutes = std::max<qint64>(1, (m_giveUpAfter.count() + 30'000) / 60'000);
        showPaused(tr("%1 could not be reached for %n minute(s), so the upload is paused. What reached the "
                      "relay is kept there: Resume continues from it when the relay is back; Discard deletes "
                      "it.",
                      nullptr, static_cast<int>(minutes))
                       .arg(m_pending->relay.host()));
        Q_EMIT statusMessage(tr("Upload paused: the relay could not be reached."));
        savePending();
        Q_EMIT shareFailed(error);
        return;
    }
    forgetPending();
    setStage(Stage::Compose);
    showError(m_error, ErrorText::forSend(error));
    Q_EMIT statusMessage(tr("Sending failed."));
    Q_EMIT shareFailed(error);
}

void SendPage::onCancelled() {
    stopRetryCountdown();
    forgetPending();
    m_paused = false;
    setStage(Stage::Compose);
    showError(m_error, {});
    Q_EMIT statusMessage(tr("Cancelled. Nothing was shared."));
    Q_EMIT shareCancelled();
}

void SendPage::recordInHistory(const SendResult& result) {
    auto* watcher = new QFutureWatcher<ClientError>(this);
    connect(watcher, &QFutureWatcher<ClientError>::finished, this, [this, watcher] {
        const ClientError error = watcher->result();
        watcher->deleteLater();
        if (error)
            Q_EMIT statusMessage(
                tr("The share works, but it could not be added to your History: %1").arg(error.message));
        Q_EMIT historyRecorded(!error);
    });
    client::ShareHistory* history = m_history;
    watcher->setFuture(
        QtConcurrent::run(backgroundPool(), [history, result] { return history->add(result); }));
}

void SendPage::showGivenLink() {
    m_given = client::GivenLink::forLink(m_result.link, m_settings->appOnlyLinks());
    m_link->setText(m_given.text);
    m_link->setCursorPosition(0);
    if (!m_qr->setText(m_given.text))
        m_qr->setText({});
    if (m_given.appForm) {
        m_linkForm->setText(tr("App-only link: the receiver opens it in the OneTimeShare app; it does not "
                               "open in a browser."));
        m_qrCaption->setText(tr("Opens only where the OneTimeShare app is installed"));
    } else {
        m_linkForm->setText(
            m_given.appFormUnavailable
                ? tr("This is the web link, which also opens in a browser: a relay that uses https on this "
                     "computer (%1) has no app-only link.")
                      .arg(QUrl(m_result.relayUrl).host())
                : QString());
        m_qrCaption->setText(tr("Scan to open the link on a phone"));
    }
    m_linkForm->setVisible(!m_linkForm->text().isEmpty());
}

void SendPage::copyLink() {
    if (m_given.text.isEmpty() || m_deleted)
        return;
    QApplication::clipboard()->setText(m_given.text);
    m_resultStatus->setText(tr("Copied. Paste the link into a message to the receiver."));
    Q_EMIT statusMessage(tr("Link copied to the clipboard."));
}

void SendPage::deleteNow() {
    if (m_result.id.isEmpty() || m_deleted || !m_delete->isEnabled())
        return;
    // As History asks: the link stops working for everyone who has it.
    QMessageBox* confirm =
        deleteShareQuestion(m_result.displayName, QStringLiteral("sendDeleteConfirm"), this);
    const QString shownId = m_result.id;
    connect(confirm, &QMessageBox::finished, this, [this, shownId](int answer) {
        if (answer == QMessageBox::Yes && shownId == m_result.id)
            deleteConfirmed();
    });
    confirm->open();
}

void SendPage::deleteConfirmed() {
    m_delete->setEnabled(false);
    m_resultStatus->setText(tr("Deleting the share on the relay…"));
    auto* watcher = new QFutureWatcher<ClientError>(this);
    const QString deletedId = m_result.id;
    connect(watcher, &QFutureWatcher<ClientError>::finished, this, [this, watcher, deletedId] {
        const ClientError error = watcher->result();
        watcher->deleteLater();
        if (deletedId != m_result.id)
            return; // a newer share is shown by now
        const bool gone = !error || alreadyGone(error);
        if (gone) {
            showLinkDead(tr("(deleted)"));
            m_resultStatus->setText(tr("Deleted. The link no longer works."));
            Q_EMIT statusMessage(tr("The share was deleted on the relay."));
        } else {
            m_delete->setEnabled(true);
            m_resultStatus->setText(ErrorText::forSend(error));
        }
        Q_EMIT shareDeleted(gone);
    });
    client::ShareHistory* history = m_history;
    const SendResult result = m_result;
    watcher->setFuture(QtConcurrent::run(backgroundPool(), [history, result]() -> ClientError {
        auto entry = history->find(result.id);
        if (entry.ok() && entry.value().relayUrl == client::HistoryEntry::normalizeRelayUrl(result.relayUrl))
            return history->revoke(entry.value());
        client::RelayClient relay{QUrl(result.relayUrl)};
        return relay.deleteShare(result.id, result.ownerToken);
    }));
}

void SendPage::showLinkDead(const QString& placeholder) {
    m_deleted = true;
    m_statusPoll->stop();
    m_qr->setText({});
    m_link->setText(placeholder);
    m_linkForm->hide();
    m_copy->setEnabled(false);
    m_delete->setEnabled(false);
    // The link no longer works: do not leave it to be pasted, in either form.
    const QString onClipboard = QApplication::clipboard()->text();
    if (!m_result.link.isEmpty() &&
        (onClipboard == m_result.link || onClipboard == client::GivenLink::forLink(m_result.link, true).text))
        QApplication::clipboard()->clear();
}

void SendPage::pollOwnerStatus() {
    if (m_stage != Stage::Result || m_deleted || m_polling || !isVisible() || m_result.id.isEmpty())
        return;
    m_polling = true;
    const SendResult shown = m_result;
    // Not the history pool: a slow relay must not hold up the history.
    auto* watcher = new QFutureWatcher<client::Outcome<client::ShareInfo>>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, id = shown.id] {
        const client::Outcome<client::ShareInfo> status = watcher->result();
        watcher->deleteLater();
        m_polling = false;
        if (id != m_result.id || m_deleted)
            return; // another share is shown by now, or this one was deleted meanwhile
        if (!status.ok()) {
            const ClientError& error = status.error();
            if (error.kind == ErrorKind::Downloaded) {
                showLinkDead(tr("(downloaded)"));
                m_resultStatus->setText(
                    tr("Downloaded. Every allowed download was used, so the link no longer works."));
                Q_EMIT downloadsSeen(m_result.maxDownloads, 0);
            } else if (error.kind == ErrorKind::Expired || error.kind == ErrorKind::NotFound ||
                       error.kind == ErrorKind::Deleted) {
                showLinkDead(tr("(gone)"));
                m_resultStatus->setText(tr("The share is gone from the relay (expired or deleted); the "
                                           "link no longer works."));
            }
            return; // otherwise (the relay unreachable for a moment) the next poll asks again
        }
        const int finished = status.value().downloadsFinished;
        const int left = status.value().downloadsLeft;
        if (finished <= m_downloadsSeen)
            return;
        m_downloadsSeen = finished;
        if (left <= 0) {
            showLinkDead(tr("(downloaded)"));
            m_resultStatus->setText(
                tr("Downloaded. Every allowed download was used, so the link no longer works."));
        } else {
            m_resultStatus->setText(
                finished == 1 ? tr("Downloaded once; %n download(s) left.", nullptr, left)
                              : tr("Downloaded %1 times; %n download(s) left.", nullptr, left).arg(finished));
        }
        Q_EMIT statusMessage(tr("%1 was downloaded.").arg(m_result.displayName));
        Q_EMIT downloadsSeen(finished, left);
    });
    watcher->setFuture(QtConcurrent::run([shown] {
        client::RelayClient relay{QUrl(shown.relayUrl), quickCheckRetry()};
        return relay.ownerStatus(shown.id, shown.ownerToken);
    }));
}

void SendPage::showEvent(QShowEvent* event) {
    QWidget::showEvent(event);
    if (m_stage == Stage::Compose)
        m_relayNotice->check();
    else if (m_stage == Stage::Result)
        pollOwnerStatus();
}

void SendPage::startOver() {
    m_statusPoll->stop();
    m_deleted = false;
    m_copy->setEnabled(true);
    m_result = {};
    m_given = {};
    m_link->clear();
    m_linkForm->hide();
    m_qr->setText({});
    m_text->clear();
    m_password->clear();
    m_inputs->setCurrentIndex(0);
    showError(m_error, {});
    setStage(Stage::Compose);
}

void SendPage::generatePassword() {
    m_password->setText(client::generatePassphrase());
    m_password->setFocus();
    m_password->selectAll();
}

void SendPage::updateStrength() {
    const QString password = m_password->text();
    const client::PasswordStrength strength = client::passwordStrength(password);
    QString text;
    QString color;
    switch (strength) {
    case client::PasswordStrength::Empty:
        text = tr("No password");
        break;
    case client::PasswordStrength::Weak:
        text = tr("Weak: easy to guess");
        color = QStringLiteral("#d13438");
        break;
    case client::PasswordStrength::Fair:
        text = tr("Fair: add more words");
        color = QStringLiteral("#c27c0e");
        break;
    case client::PasswordStrength::Good:
        text = tr("Good");
        color = QStringLiteral("#3a8f3a");
        break;
    case client::PasswordStrength::Strong:
        text = tr("Strong");
        color = QStringLiteral("#2e7d32");
        break;
    }
    m_strength->setText(text);
    m_strength->setStyleSheet(color.isEmpty() ? QString() : QStringLiteral("color: %1;").arg(color));
    m_strength->setAccessibleName(tr("Password strength: %1").arg(text));
}

} // namespace ots::gui
