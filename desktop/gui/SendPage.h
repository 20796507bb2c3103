#pragma once

// Send: drop files or folders on the big zone (or choose them, or type a text), with the options
// above it (expiry, downloads, password with Generate and a strength hint); above them a RelayNotice
// when no relay is set up or the relay does not answer. Sending starts with a quick check of the
// relay (a dead one is reported within 2 s); the page then shows the progress (percent, speed, time
// left, Cancel) and finally the result card: the link with Copy (copied by itself when
// Settings::copyLinkOnFinish), its QR code, "Delete now" (after a question), and the downloads the
// relay reports while the card is shown. A deleted or used-up link can no longer be copied. The link
// shown, copied and in the QR code is the web link, or its app form (onetimeshare://) when
// Settings::appOnlyLinks is on and the share has one; a note under the link says which.
// The work is a client::SendJob (its own thread); the history and the secret store are used through
// QtConcurrent, so nothing here waits on the network, the disk or the keychain.
//
// An upload the relay stops taking is retried with backoff for minutes ("relay unreachable — retrying
// in 20 s", then "resumed"); after that it pauses with Resume and Discard, and is kept (PendingUploadStore)
// so that Resume also works after the app was restarted. Discard and Cancel delete it on the relay.

#include "ots/client/ClientError.h"
#include "ots/client/GivenLink.h"
#include "ots/client/SendJob.h"

#include <QDeadlineTimer>
#include <QPointer>
#include <QWidget>

#include <chrono>
#include <memory>
#include <optional>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QSpinBox;
class QStackedWidget;
class QTimer;

namespace ots::client {
class Settings;
class ShareHistory;
} // namespace ots::client

namespace ots::gui {

class DropZone;
class QrCodeWidget;
class RelayNotice;
class TransferProgress;

class SendPage : public QWidget {
    Q_OBJECT
public:
    enum class Stage { Compose, Sending, Result };
    Q_ENUM(Stage)

    SendPage(ots::client::Settings* settings, ots::client::ShareHistory* history, QWidget* parent = nullptr);
    ~SendPage() override;

    [[nodiscard]] Stage stage() const noexcept { return m_stage; }
    /// The running job (null when none).
    [[nodiscard]] ots::client::SendJob* job() const noexcept { return m_job.get(); }
    /// The last finished share (valid in Stage::Result).
    [[nodiscard]] const ots::client::SendResult& lastResult() const noexcept { return m_result; }

    [[nodiscard]] DropZone* dropZone() const noexcept { return m_dropZone; }
    [[nodiscard]] QPushButton* chooseFilesButton() const noexcept { return m_chooseFiles; }
    [[nodiscard]] QPushButton* chooseFolderButton() const noexcept { return m_chooseFolder; }
    [[nodiscard]] QPushButton* shareTextButton() const noexcept { return m_shareText; }
    [[nodiscard]] QComboBox* expiryCombo() const noexcept { return m_expiry; }
    [[nodiscard]] QSpinBox* downloadsSpin() const noexcept { return m_downloads; }
    [[nodiscard]] QLineEdit* passwordEdit() const noexcept { return m_password; }
    [[nodiscard]] QPushButton* generateButton() const noexcept { return m_generate; }
    [[nodiscard]] QLabel* strengthLabel() const noexcept { return m_strength; }
    [[nodiscard]] QPlainTextEdit* textEdit() const noexcept { return m_text; }
    [[nodiscard]] QPushButton* sendTextButton() const noexcept { return m_sendText; }
    [[nodiscard]] TransferProgress* progressView() const noexcept { return m_progress; }
    [[nodiscard]] QLineEdit* linkEdit() const noexcept { return m_link; }
    /// The link the result card shows, copies and puts in the QR code (see Settings::appOnlyLinks).
    [[nodiscard]] const ots::client::GivenLink& givenLink() const noexcept { return m_given; }
    /// Under the link: says when it is an app-only link, or that the relay has no app-only form.
    [[nodiscard]] QLabel* linkFormLabel() const noexcept { return m_linkForm; }
    [[nodiscard]] QPushButton* copyButton() const noexcept { return m_copy; }
    /// Shown for a password share: copies the password (kept in the field until startOver()).
    [[nodiscard]] QPushButton* copyPasswordButton() const noexcept { return m_copyPassword; }
    [[nodiscard]] QrCodeWidget* qrCode() const noexcept { return m_qr; }
    [[nodiscard]] QPushButton* deleteButton() const noexcept { return m_delete; }
    [[nodiscard]] QPushButton* newShareButton() const noexcept { return m_newShare; }
    [[nodiscard]] QLabel* errorLabel() const noexcept { return m_error; }
    /// Above the drop zone: says when no relay is set up or the relay does not answer.
    [[nodiscard]] RelayNotice* relayNotice() const noexcept { return m_relayNotice; }
    /// The line under the link: copied, deleted, downloaded (polled from the relay while shown).
    [[nodiscard]] QLabel* resultStatusLabel() const noexcept { return m_resultStatus; }
    /// The facts under the heading: name, size of the files, expiry, downloads.
    [[nodiscard]] QLabel* resultSummaryLabel() const noexcept { return m_resultSummary; }
    /// An upload is running (or starting, or winding down after Cancel).
    [[nodiscard]] bool isTransferring() const noexcept { return m_stage == Stage::Sending && !m_paused; }
    /// An unfinished upload waits for Resume or Discard.
    [[nodiscard]] bool isPaused() const noexcept { return m_paused; }
    /// How uploads wait between tries (retry.maxDelay becomes the longest wait of an interrupted upload,
    /// 20 s otherwise) and when they give up (tests shorten both).
    void setUploadPatience(const ots::client::RetryPolicy& retry, std::chrono::milliseconds giveUpAfter);

public Q_SLOTS:
    /// Encrypts and uploads these files and folders with the options shown.
    void sendPaths(const QStringList& paths);
    /// Shares the text in the text box (as "message.txt").
    void sendTypedText();
    void chooseFiles();
    void chooseFolder();
    /// Shows the text box instead of the drop zone (and back).
    void showTextComposer();
    void showDropZone();
    void cancel();
    void copyLink();
    /// Asks, then deletes the share just made on the relay.
    void deleteNow();
    /// Back to an empty Send page for the next share.
    void startOver();
    /// Re-reads the defaults (expiry, downloads) from Settings, and the form of the link shown.
    void applyDefaults();
    /// Continues the paused upload from the relay's offset.
    void resumeUpload();
    /// Deletes the paused upload on the relay and forgets it.
    void discardUpload();

Q_SIGNALS:
    void stageChanged(ots::gui::SendPage::Stage stage);
    /// A sentence for the window's status line.
    void statusMessage(const QString& text);
    void shareFinished(const ots::client::SendResult& result);
    void shareFailed(const ots::client::ClientError& error);
    void shareCancelled();
    /// The share was recorded in the history (or recording failed: ok false).
    void historyRecorded(bool ok);
    /// "Delete now" finished; ok when the share is gone from the relay.
    void shareDeleted(bool ok);
    /// The relay reported downloads of the share shown (finished downloads, downloads left).
    void downloadsSeen(int finished, int left);
    /// The relay notice's "Set up a relay" was pressed.
    void relaySetupRequested();
    /// A paused upload was kept for a later Resume (ok false: it could not be written).
    void pendingUploadSaved(bool ok);
    /// The upload kept when the app last ran was found: the page shows Resume and Discard.
    void pendingUploadRestored();

protected:
    void showEvent(QShowEvent* event) override;

private:
    void buildCompose(QWidget* page);
    void buildResult(QWidget* page);
    void start(ots::client::SendOptions options, const QString& what);
    void startJob(ots::client::SendOptions options);
    void setStage(Stage stage);
    void onFinished(const ots::client::SendResult& result);
    void onFailed(const ots::client::ClientError& error);
    void onCancelled();
    void updateStrength();
    void generatePassword();
    void recordInHistory(const ots::client::SendResult& result);
    void deleteConfirmed();
    void pollOwnerStatus();
    /// Shows m_result's link in the form Settings::appOnlyLinks asks for (field, QR code, notes).
    void showGivenLink();
    /// The share shown can no longer be opened: no link to copy, no QR code, no Delete.
    void showLinkDead(const QString& placeholder);
    void onRetrying(const ots::client::ClientError& reason, int delayMs);
    void showRetryCountdown();
    void stopRetryCountdown();
    /// Shows the paused upload (m_pending) with Resume and Discard.
    void showPaused(const QString& why);
    void savePending();
    void loadPending();
    /// Forgets the kept upload, here and on disk.
    void forgetPending();

    ots::client::Settings* m_settings;
    ots::client::ShareHistory* m_history;
    Stage m_stage = Stage::Compose;
    std::unique_ptr<ots::client::SendJob> m_job;
    ots::client::SendResult m_result;
    ots::client::GivenLink m_given;   ///< m_result's link as shown and copied
    bool m_cancelBeforeStart = false; ///< Cancel while the upload token was still being read
    int m_startGeneration = 0;        ///< tells a token lookup that it was overtaken
    std::optional<ots::client::PendingUpload> m_pending; ///< the paused (or resumed) upload
    bool m_paused = false;
    ots::client::RetryPolicy m_uploadRetry;
    std::optional<std::chrono::milliseconds> m_longestUploadWait; ///< SendOptions' default when unset
    std::chrono::milliseconds m_giveUpAfter{std::chrono::minutes(5)};
    QTimer* m_retryTick = nullptr; ///< counts "retrying in N s" down
    QDeadlineTimer m_retryAt;
    QString m_retryReason;

    QStackedWidget* m_stages = nullptr;
    QStackedWidget* m_inputs = nullptr;
    DropZone* m_dropZone = nullptr;
    QPushButton* m_chooseFiles = nullptr;
    QPushButton* m_chooseFolder = nullptr;
    QPushButton* m_shareText = nullptr;
    QComboBox* m_expiry = nullptr;
    QSpinBox* m_downloads = nullptr;
    QLineEdit* m_password = nullptr;
    QPushButton* m_generate = nullptr;
    QLabel* m_strength = nullptr;
    QPlainTextEdit* m_text = nullptr;
    QPushButton* m_sendText = nullptr;
    QPushButton* m_textBack = nullptr;
    QLabel* m_error = nullptr;
    TransferProgress* m_progress = nullptr;
    QLabel* m_resultSummary = nullptr;
    QLabel* m_passwordNote = nullptr;
    QPushButton* m_copyPassword = nullptr;
    QLineEdit* m_link = nullptr;
    QPushButton* m_copy = nullptr;
    QLabel* m_linkForm = nullptr;
    QrCodeWidget* m_qr = nullptr;
    QLabel* m_qrCaption = nullptr;
    QPushButton* m_delete = nullptr;
    QPushButton* m_newShare = nullptr;
    QLabel* m_resultStatus = nullptr;
    RelayNotice* m_relayNotice = nullptr;
    QTimer* m_statusPoll = nullptr;
    bool m_polling = false;  ///< an owner-status call is running
    bool m_deleted = false;  ///< the share shown was deleted or used up: its link is dead
    int m_downloadsSeen = 0; ///< finished downloads already reported on the page
};

} // namespace ots::gui
