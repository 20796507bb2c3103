#include "SettingsPage.h"

#include "BackgroundTask.h"
#include "PageStyle.h"
#include "Theme.h"
#include "ots/Format.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SecretStore.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QSpinBox>
#include <QVBoxLayout>

namespace ots::gui {

namespace {

using ots::client::ClientError;
using ots::client::ErrorKind;
using ots::client::SecretStore;

const QString kUploadTokenKey = QStringLiteral("upload-token");

// The Argon2id presets: "standard" is the format's default; "stronger" costs four times the memory
// and one more pass, still far below the ceiling every receiving client accepts.
constexpr std::uint32_t kStrongIterations = 4;
constexpr std::uint32_t kStrongMemoryKiB = 256 * 1024;

constexpr std::int64_t kMinute = 60;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;
constexpr std::int64_t kExpiryChoices[] = {10 * kMinute, kHour, kDay, 3 * kDay, 7 * kDay};

struct TokenLoad {
    QString token;
    QString backend;
    ClientError error;
};

TokenLoad loadToken() {
    TokenLoad loaded;
    const auto store = SecretStore::open();
    loaded.backend = store->backendName();
    auto token = store->load(kUploadTokenKey);
    if (token.ok())
        loaded.token = token.value();
    else if (token.error().kind != ErrorKind::NotFound)
        loaded.error = token.error();
    return loaded;
}

ClientError storeToken(const QString& token) {
    const auto store = SecretStore::open();
    if (token.isEmpty())
        return store->remove(kUploadTokenKey);
    return store->store(kUploadTokenKey, token);
}

// A muted explanation that takes the whole width of its form row.
/// A form row's label, plain text, with its buddy (QFormLayout's own labels would be AutoText).
QLabel* rowLabel(const QString& text, QWidget* buddy) {
    QLabel* label = plainLabel(text, buddy->parentWidget());
    label->setBuddy(buddy);
    return label;
}

QLabel* rowHint(const QString& text, QWidget* parent) {
    QLabel* label = hintLabel(text, parent);
    label->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    return label;
}

} // namespace

SettingsPage::SettingsPage(ots::client::Settings* settings, QWidget* parent)
    : QWidget(parent)
    , m_settings(settings) {
    setObjectName(QStringLiteral("settingsPage"));

    QLabel* title = pageHeading(tr("Settings"), this);

    // Relay
    auto* relayBox = new QGroupBox(tr("Relay"), this);
    m_relayEdit = new QLineEdit(relayBox);
    m_relayEdit->setObjectName(QStringLiteral("relayUrlEdit"));
    m_relayEdit->setPlaceholderText(tr("https://relay.example.org"));
    m_relayEdit->setClearButtonEnabled(true);
    m_testButton =
        new QPushButton(QIcon(QStringLiteral(":/icons/refresh.svg")), tr("&Test connection"), relayBox);
    m_testButton->setObjectName(QStringLiteral("testConnectionButton"));
    m_testResult = plainLabel({}, relayBox);
    m_testResult->setObjectName(QStringLiteral("testConnectionResult"));
    m_testResult->setWordWrap(true);
    m_testResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_testResult->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
    auto* relayRow = new QHBoxLayout;
    relayRow->addWidget(m_relayEdit, 1);
    relayRow->addWidget(m_testButton);

    m_tokenEdit = new QLineEdit(relayBox);
    m_tokenEdit->setObjectName(QStringLiteral("uploadTokenEdit"));
    m_tokenEdit->setEchoMode(QLineEdit::Password);
    m_tokenEdit->setPlaceholderText(tr("Only if your relay asks for one"));
    QAction* reveal =
        m_tokenEdit->addAction(QIcon(QStringLiteral(":/icons/lock.svg")), QLineEdit::TrailingPosition);
    reveal->setCheckable(true);
    reveal->setToolTip(tr("Show or hide the upload token"));
    connect(reveal, &QAction::toggled, this, [this](bool shown) {
        m_tokenEdit->setEchoMode(shown ? QLineEdit::Normal : QLineEdit::Password);
    });
    m_tokenStatus = plainLabel({}, relayBox);
    m_tokenStatus->setObjectName(QStringLiteral("uploadTokenStatus"));
    m_tokenStatus->setWordWrap(true);
    m_tokenStatus->setForegroundRole(QPalette::PlaceholderText);
    m_tokenStatus->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);

    auto* relayForm = new QFormLayout(relayBox);
    auto* relayLabel = plainLabel(tr("Relay &address:"), relayBox);
    relayLabel->setBuddy(m_relayEdit);
    relayForm->addRow(relayLabel, relayRow);
    relayForm->addRow(QString(), m_testResult);
    relayForm->addRow(rowLabel(tr("&Upload token:"), m_tokenEdit), m_tokenEdit);
    relayForm->addRow(QString(), m_tokenStatus);

    // Defaults for new shares
    auto* defaultsBox = new QGroupBox(tr("New shares"), this);
    m_expiryCombo = new QComboBox(defaultsBox);
    m_expiryCombo->setObjectName(QStringLiteral("defaultExpiryCombo"));
    for (const std::int64_t seconds : kExpiryChoices)
        m_expiryCombo->addItem(ots::client::formatDuration(seconds), QVariant::fromValue<qint64>(seconds));
    m_downloadsSpin = new QSpinBox(defaultsBox);
    m_downloadsSpin->setObjectName(QStringLiteral("defaultDownloadsSpin"));
    m_downloadsSpin->setRange(1, 100);
    m_copyCheck = new QCheckBox(tr("&Copy the link to the clipboard when a share is ready"), defaultsBox);
    m_copyCheck->setObjectName(QStringLiteral("copyLinkCheck"));
    m_appOnlyCheck = new QCheckBox(tr("Copy app-&only links (onetimeshare://)"), defaultsBox);
    m_appOnlyCheck->setObjectName(QStringLiteral("appOnlyLinksCheck"));
    m_appOnlyCheck->setAccessibleName(tr("Copy app-only links (onetimeshare://)"));
    const QString appOnlyExplained = tr("Recipients then need the OneTimeShare app; the link cannot be "
                                        "opened in a browser, so the relay's web page never sees it.");
    m_appOnlyCheck->setAccessibleDescription(appOnlyExplained);
    m_appOnlyCheck->setToolTip(appOnlyExplained);
    QLabel* appOnlyHint = rowHint(appOnlyExplained, defaultsBox);
    appOnlyHint->setObjectName(QStringLiteral("appOnlyLinksHint"));
    auto* defaultsForm = new QFormLayout(defaultsBox);
    defaultsForm->addRow(rowLabel(tr("&Expires after:"), m_expiryCombo), m_expiryCombo);
    defaultsForm->addRow(rowLabel(tr("&Downloads allowed:"), m_downloadsSpin), m_downloadsSpin);
    defaultsForm->addRow(QString(), m_copyCheck);
    defaultsForm->addRow(QString(), m_appOnlyCheck);
    defaultsForm->addRow(QString(), appOnlyHint);

    // Security
    auto* securityBox = new QGroupBox(tr("Passwords"), this);
    m_argonCombo = new QComboBox(securityBox);
    m_argonCombo->setObjectName(QStringLiteral("argonPresetCombo"));
    m_argonCombo->addItem(tr("Standard (64 MiB, fast on any computer)"));
    m_argonCombo->addItem(tr("Stronger (256 MiB, slower to open)"));
    auto* securityForm = new QFormLayout(securityBox);
    securityForm->addRow(rowLabel(tr("Password &protection:"), m_argonCombo), m_argonCombo);
    securityForm->addRow(QString(), rowHint(tr("Stronger protection makes guessing a password much harder, "
                                               "but the receiver's computer needs more memory and time "
                                               "to open the share."),
                                            securityBox));

    // Appearance
    auto* appearanceBox = new QGroupBox(tr("Appearance"), this);
    m_themeCombo = new QComboBox(appearanceBox);
    m_themeCombo->setObjectName(QStringLiteral("themeCombo"));
    m_themeCombo->addItem(tr("Follow the system"), static_cast<int>(ots::client::Settings::Theme::System));
    m_themeCombo->addItem(tr("Light"), static_cast<int>(ots::client::Settings::Theme::Light));
    m_themeCombo->addItem(tr("Dark"), static_cast<int>(ots::client::Settings::Theme::Dark));
    m_backendLabel = rowHint(QString(), appearanceBox);
    m_backendLabel->setObjectName(QStringLiteral("secretBackendLabel"));
    auto* appearanceForm = new QFormLayout(appearanceBox);
    appearanceForm->addRow(rowLabel(tr("T&heme:"), m_themeCombo), m_themeCombo);
    appearanceForm->addRow(QString(), m_backendLabel);

    for (QFormLayout* form : {relayForm, defaultsForm, securityForm, appearanceForm})
        form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow); // text fields grow, choices do not

    auto* content = new QWidget(this);
    auto* column = new QVBoxLayout(content);
    applyPageMargins(column);
    column->addWidget(title);
    column->addWidget(relayBox);
    column->addWidget(defaultsBox);
    column->addWidget(securityBox);
    column->addWidget(appearanceBox);
    column->addStretch(1);
    content->setMaximumWidth(860); // long lines of form fields are hard to follow

    auto* scroll = new QScrollArea(this);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    auto* holder = new QWidget(scroll);
    auto* holderRow = new QHBoxLayout(holder);
    holderRow->setContentsMargins(0, 0, 0, 0);
    holderRow->addWidget(content, 1);
    holderRow->addStretch(0);
    scroll->setWidget(holder);
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(scroll);

    setTabOrder(m_relayEdit, m_testButton);
    setTabOrder(m_testButton, m_tokenEdit);
    setTabOrder(m_tokenEdit, m_expiryCombo);
    setTabOrder(m_expiryCombo, m_downloadsSpin);
    setTabOrder(m_downloadsSpin, m_copyCheck);
    setTabOrder(m_copyCheck, m_appOnlyCheck);
    setTabOrder(m_appOnlyCheck, m_argonCombo);
    setTabOrder(m_argonCombo, m_themeCombo);

    connect(m_testButton, &QPushButton::clicked, this, &SettingsPage::testConnection);
    connect(m_relayEdit, &QLineEdit::editingFinished, this, &SettingsPage::saveRelayUrl);
    connect(m_relayEdit, &QLineEdit::returnPressed, this, &SettingsPage::testConnection);
    connect(m_tokenEdit, &QLineEdit::editingFinished, this, &SettingsPage::saveToken);
    connect(m_expiryCombo, &QComboBox::currentIndexChanged, this, &SettingsPage::saveDefaults);
    connect(m_downloadsSpin, &QSpinBox::valueChanged, this, &SettingsPage::saveDefaults);
    connect(m_copyCheck, &QCheckBox::toggled, this, &SettingsPage::saveDefaults);
    connect(m_appOnlyCheck, &QCheckBox::toggled, this, &SettingsPage::saveDefaults);
    connect(m_argonCombo, &QComboBox::currentIndexChanged, this, &SettingsPage::saveArgon);
    connect(m_themeCombo, &QComboBox::currentIndexChanged, this, &SettingsPage::saveTheme);

    reload();
}

SettingsPage::~SettingsPage() {
    // A token load or a connection test still running reports to nobody; wait so that it ends
    // before the objects it may touch do.
    backgroundPool()->waitForDone();
}

void SettingsPage::reload() {
    m_loading = true;
    m_relayEdit->setText(m_settings->relayUrl().toString());
    const std::int64_t expires = m_settings->defaultExpiresIn();
    int expiryIndex = m_expiryCombo->findData(QVariant::fromValue<qint64>(expires));
    if (expiryIndex < 0) {
        m_expiryCombo->addItem(ots::client::formatDuration(expires), QVariant::fromValue<qint64>(expires));
        expiryIndex = m_expiryCombo->count() - 1;
    }
    m_expiryCombo->setCurrentIndex(expiryIndex);
    m_downloadsSpin->setValue(m_settings->defaultMaxDownloads());
    m_copyCheck->setChecked(m_settings->copyLinkOnFinish());
    m_appOnlyCheck->setChecked(m_settings->appOnlyLinks());
    const bool strong = m_settings->argonMemoryKiB() > ots::format::kArgonDefaultMemoryKiB ||
                        m_settings->argonIterations() > ots::format::kArgonDefaultIterations;
    m_argonCombo->setCurrentIndex(strong ? 1 : 0);
    m_themeCombo->setCurrentIndex(m_themeCombo->findData(static_cast<int>(m_settings->theme())));
    if (!m_settings->error().ok())
        setTestResult(m_settings->error().message + QLatin1Char(' ') +
                          tr("Changes are not saved until the settings folder can be used."),
                      false);
    m_loading = false;

    m_tokenEdit->setEnabled(false);
    m_tokenStatus->setText(tr("Reading the upload token…"));
    ++m_running;
    runInBackground(this, loadToken, [this](const TokenLoad& loaded) {
        --m_running;
        m_tokenEdit->setEnabled(true);
        m_savedToken = loaded.token;
        m_tokenEdit->setText(loaded.token);
        const QString where =
            loaded.backend == QLatin1String("keychain")
                ? tr("Tokens and links are kept in the system keychain.")
                : tr("Tokens and links are kept in a private file in your settings folder that only you "
                     "can read.");
        m_backendLabel->setText(where);
        if (!loaded.error.ok())
            m_tokenStatus->setText(loaded.error.message);
        else
            m_tokenStatus->setText(loaded.token.isEmpty() ? tr("No upload token is saved.")
                                                          : tr("An upload token is saved."));
    });
}

void SettingsPage::testConnection() {
    if (!m_testButton->isEnabled())
        return;
    const QString text = m_relayEdit->text().trimmed();
    const QUrl url(text, QUrl::StrictMode);
    m_testButton->setEnabled(false);
    setTestResult(tr("Connecting to %1…").arg(text), true);
    ++m_running;
    // Not the history pool: a slow relay must not hold up the history, and this touches no secret.
    auto* watcher = new QFutureWatcher<ClientError>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, text] {
        watcher->deleteLater();
        --m_running;
        m_testButton->setEnabled(true);
        const ClientError error = watcher->result();
        QString message;
        if (error.ok()) {
            message = tr("Connected: a OneTimeShare relay answers at %1.").arg(text);
        } else {
            message = error.message;
            if (error.kind == ErrorKind::Network)
                message +=
                    QLatin1Char(' ') + tr("Check the address and that the relay is running, then try again.");
        }
        setTestResult(message, error.ok());
        Q_EMIT connectionTested(error.ok(), message);
    });
    watcher->setFuture(QtConcurrent::run([url] { return checkRelay(url, interactiveRetry()); }));
}

void SettingsPage::focusRelayAddress() {
    m_relayEdit->setFocus(Qt::OtherFocusReason);
    m_relayEdit->selectAll();
    setTestResult(tr("Enter the address of your relay and its upload token (if it needs one), then "
                     "Test connection."),
                  true);
}

void SettingsPage::setTestResult(const QString& text, bool ok) {
    m_testResult->setText(text);
    QPalette palette = m_testResult->palette();
    palette.setColor(QPalette::WindowText, ok ? Theme::successColor() : Theme::errorColor());
    m_testResult->setPalette(palette);
}

void SettingsPage::saveRelayUrl() {
    if (m_loading)
        return;
    const QString text = m_relayEdit->text().trimmed();
    const QUrl url(text, QUrl::StrictMode);
    if (url == m_settings->relayUrl())
        return;
    ++m_running;
    runInBackground(
        this, [url] { return ots::client::RelayClient(url).validate(); },
        [this, url](const ClientError& invalid) {
            --m_running;
            if (!invalid.ok()) {
                setTestResult(invalid.message + QLatin1Char(' ') + tr("The previous address is kept."),
                              false);
                return;
            }
            m_settings->setRelayUrl(url);
            m_settings->sync();
            setTestResult(tr("Saved. New shares go to %1.").arg(m_settings->relayUrl().toString()), true);
            Q_EMIT settingsChanged();
        });
}

void SettingsPage::saveToken() {
    const QString token = m_tokenEdit->text().trimmed();
    if (token == m_savedToken)
        return;
    m_tokenStatus->setText(tr("Saving the upload token…"));
    ++m_running;
    runInBackground(
        this, [token] { return storeToken(token); },
        [this, token](const ClientError& error) {
            --m_running;
            QString message;
            if (error.ok()) {
                m_savedToken = token;
                message =
                    token.isEmpty() ? tr("The upload token was removed.") : tr("The upload token was saved.");
            } else {
                message = error.message + QLatin1Char(' ') + tr("Edit the token to try again.");
            }
            m_tokenStatus->setText(message);
            Q_EMIT tokenSaved(error.ok(), message);
            if (error.ok())
                Q_EMIT settingsChanged();
        });
}

void SettingsPage::saveDefaults() {
    if (m_loading)
        return;
    m_settings->setDefaultExpiresIn(m_expiryCombo->currentData().toLongLong());
    m_settings->setDefaultMaxDownloads(m_downloadsSpin->value());
    m_settings->setCopyLinkOnFinish(m_copyCheck->isChecked());
    m_settings->setAppOnlyLinks(m_appOnlyCheck->isChecked());
    m_settings->sync();
    Q_EMIT settingsChanged();
}

void SettingsPage::saveArgon() {
    if (m_loading)
        return;
    if (m_argonCombo->currentIndex() == 1)
        m_settings->setArgon(kStrongIterations, kStrongMemoryKiB, ots::format::kArgonDefaultParallelism);
    else
        m_settings->setArgon(ots::format::kArgonDefaultIterations, ots::format::kArgonDefaultMemoryKiB,
                             ots::format::kArgonDefaultParallelism);
    m_settings->sync();
    Q_EMIT settingsChanged();
}

void SettingsPage::saveTheme() {
    if (m_loading)
        return;
    const auto theme = static_cast<ots::client::Settings::Theme>(m_themeCombo->currentData().toInt());
    m_settings->setTheme(theme);
    m_settings->sync();
    Theme::apply(theme);
    Q_EMIT settingsChanged();
}

} // namespace ots::gui
