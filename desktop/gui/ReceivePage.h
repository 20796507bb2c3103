#pragma once

// Receive: paste a link (or take the one the page finds on the clipboard, or drop one on the window,
// or get one from `onetimeshare LINK`). The page first shows what the share holds — size, expiry,
// downloads left, and after the key check the file list — without using up a download; asks for the
// password with the attempts left; lets the person choose the folder; downloads with progress and
// Cancel; and ends with "Open folder", or, for a text, a read-only view with Copy.
// The work is a client::ReceiveJob (its own thread); nothing here blocks.

#include "ots/client/ClientError.h"
#include "ots/client/ReceiveJob.h"

#include <QWidget>

#include <memory>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QStackedWidget;
class QTreeWidget;

namespace ots::client {
class Settings;
}

namespace ots::gui {

class TransferProgress;

class ReceivePage : public QWidget {
    Q_OBJECT
public:
    enum class Stage { Empty, Checking, Details, Downloading, Done };
    Q_ENUM(Stage)

    explicit ReceivePage(ots::client::Settings* settings, QWidget* parent = nullptr);
    ~ReceivePage() override;

    /// The first share link in text (https://…/s/…#…, http:// for loopback, onetimeshare://…), or empty.
    [[nodiscard]] static QString findLink(const QString& text);

    [[nodiscard]] Stage stage() const noexcept { return m_stage; }
    [[nodiscard]] ots::client::ReceiveJob* job() const noexcept { return m_job.get(); }

    [[nodiscard]] QLineEdit* linkEdit() const noexcept { return m_linkEdit; }
    [[nodiscard]] QPushButton* openButton() const noexcept { return m_open; }
    [[nodiscard]] QPushButton* clipboardButton() const noexcept { return m_useClipboard; }
    [[nodiscard]] QLabel* infoLabel() const noexcept { return m_info; }
    [[nodiscard]] QTreeWidget* fileList() const noexcept { return m_files; }
    [[nodiscard]] QWidget* passwordBox() const noexcept { return m_passwordBox; }
    [[nodiscard]] QLineEdit* passwordEdit() const noexcept { return m_password; }
    [[nodiscard]] QPushButton* unlockButton() const noexcept { return m_unlock; }
    [[nodiscard]] QLabel* passwordStatus() const noexcept { return m_passwordStatus; }
    [[nodiscard]] QLineEdit* folderEdit() const noexcept { return m_folder; }
    [[nodiscard]] QPushButton* chooseFolderButton() const noexcept { return m_chooseFolder; }
    [[nodiscard]] QPushButton* downloadButton() const noexcept { return m_download; }
    [[nodiscard]] TransferProgress* progressView() const noexcept { return m_progress; }
    [[nodiscard]] QLabel* doneLabel() const noexcept { return m_doneLabel; }
    [[nodiscard]] QPushButton* openFolderButton() const noexcept { return m_openFolder; }
    [[nodiscard]] QPlainTextEdit* textView() const noexcept { return m_textView; }
    [[nodiscard]] QPushButton* copyTextButton() const noexcept { return m_copyText; }
    [[nodiscard]] QLabel* errorLabel() const noexcept { return m_error; }
    /// Says that a download of this share is already reserved for this computer (a failed or
    /// interrupted one, or one from before a restart) and until when; hidden otherwise.
    [[nodiscard]] QLabel* heldNotice() const noexcept { return m_heldNotice; }
    /// The folder the last download went to.
    [[nodiscard]] const QString& savedFolder() const noexcept { return m_savedFolder; }

public Q_SLOTS:
    /// Puts link in the field and looks the share up (consumes nothing).
    void openLink(const QString& link);
    /// Looks up the link in the field.
    void inspect();
    /// Tries the password typed in the password field.
    void unlock();
    void chooseFolder();
    /// Downloads into the folder in the folder field (uses one of the allowed downloads).
    void download();
    void cancel();
    void openFolder();
    void copyText();
    /// Back to an empty page.
    void reset();
    /// Offers the clipboard's link, if there is one and the page is idle.
    void checkClipboard();

Q_SIGNALS:
    void stageChanged(ots::gui::ReceivePage::Stage stage);
    void statusMessage(const QString& text);
    /// The share's facts (and for a share without password its file list) are shown.
    void detailsShown();
    /// A wrong password, a gone share, a failed download…: the sentence shown.
    void errorShown(const QString& text);
    void downloadFinished(const ots::client::ReceiveResult& result);

protected:
    void showEvent(QShowEvent* event) override;

private:
    void setStage(Stage stage);
    void onInspected(const ots::client::ShareInfo& info);
    void onStateChanged(ots::client::ReceiveJob::State state);
    void onMetadata(const ots::client::ShareMetadata& metadata);
    void onFinished(const ots::client::ReceiveResult& result);
    void onFailed(const ots::client::ClientError& error);
    void onCancelled();
    void showFailure(const QString& text);
    void updateInfo();
    /// The Details stage's held-ticket notice and the Download/Resume button's wording.
    void updateHeld();

    ots::client::Settings* m_settings;
    Stage m_stage = Stage::Empty;
    std::unique_ptr<ots::client::ReceiveJob> m_job;
    QString m_savedFolder;
    QString m_offeredLink;

    QLineEdit* m_linkEdit = nullptr;
    QPushButton* m_open = nullptr;
    QWidget* m_clipboardBanner = nullptr;
    QLabel* m_clipboardText = nullptr;
    QPushButton* m_useClipboard = nullptr;
    QLabel* m_error = nullptr;
    QStackedWidget* m_stages = nullptr;
    QLabel* m_checking = nullptr;
    QLabel* m_info = nullptr;
    QLabel* m_heldNotice = nullptr;
    QWidget* m_passwordBox = nullptr;
    QLineEdit* m_password = nullptr;
    QPushButton* m_unlock = nullptr;
    QLabel* m_passwordStatus = nullptr;
    QLabel* m_listHint = nullptr;
    QTreeWidget* m_files = nullptr;
    QWidget* m_folderRow = nullptr;
    QLineEdit* m_folder = nullptr;
    QPushButton* m_chooseFolder = nullptr;
    QPushButton* m_download = nullptr;
    QPushButton* m_cancelDetails = nullptr;
    TransferProgress* m_progress = nullptr;
    QLabel* m_doneHeading = nullptr;
    QLabel* m_doneLabel = nullptr;
    QPushButton* m_openFolder = nullptr;
    QPlainTextEdit* m_textView = nullptr;
    QPushButton* m_copyText = nullptr;
    QPushButton* m_again = nullptr;
};

} // namespace ots::gui
