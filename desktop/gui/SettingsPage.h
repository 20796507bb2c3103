#pragma once

// Settings: the relay (with a "Test connection" check run off the GUI thread), the upload token
// (kept in the SecretStore as "upload-token", never in settings.ini), the defaults for new shares,
// the Argon2 cost preset, copy-link-on-finish, app-only links (onetimeshare://, for senders who do not
// want the relay's web page to see the link) and the theme, which applies at once.

#include "ots/client/ClientError.h"
#include "ots/client/Settings.h"

#include <QWidget>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace ots::gui {

class SettingsPage : public QWidget {
    Q_OBJECT
public:
    explicit SettingsPage(ots::client::Settings* settings, QWidget* parent = nullptr);
    ~SettingsPage() override;

    /// true while the connection test or the token load/save is running.
    [[nodiscard]] bool busy() const noexcept { return m_running > 0; }

public Q_SLOTS:
    /// Checks the relay URL in the field (RelayClient::checkConnection in a worker thread).
    void testConnection();
    /// Reads every field back from Settings and the token from the SecretStore.
    void reload();
    /// Puts the focus in the relay address (selected), for "Set up a relay" on the Send page; the
    /// upload token and Test connection follow it in the Tab order.
    void focusRelayAddress();

Q_SIGNALS:
    /// A value was saved (the window re-reads its defaults).
    void settingsChanged();
    /// The connection test finished; ok tells whether the relay answered; message is for people.
    void connectionTested(bool ok, const QString& message);
    /// The upload token was saved or removed (or failed to, see message).
    void tokenSaved(bool ok, const QString& message);

private:
    void saveRelayUrl();
    void saveToken();
    void saveDefaults();
    void saveArgon();
    void saveTheme();
    void setTestResult(const QString& text, bool ok);

    ots::client::Settings* m_settings;
    QLineEdit* m_relayEdit = nullptr;
    QPushButton* m_testButton = nullptr;
    QLabel* m_testResult = nullptr;
    QLineEdit* m_tokenEdit = nullptr;
    QLabel* m_tokenStatus = nullptr;
    QComboBox* m_expiryCombo = nullptr;
    QSpinBox* m_downloadsSpin = nullptr;
    QComboBox* m_argonCombo = nullptr;
    QCheckBox* m_copyCheck = nullptr;
    QCheckBox* m_appOnlyCheck = nullptr;
    QComboBox* m_themeCombo = nullptr;
    QLabel* m_backendLabel = nullptr;
    QString m_savedToken;
    int m_running = 0;
    bool m_loading = false;
};

} // namespace ots::gui
