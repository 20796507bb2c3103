#include "ots/client/Settings.h"

#include "PrivateFiles.h"
#include "ots/Format.h"
#include "ots/KeySchedule.h"
#include "ots/ShareLink.h"

#include <QDir>
#include <QStandardPaths>
#include <QtGlobal>

#include <limits>
#include <optional>

namespace ots::client {
namespace {

const QUrl kDefaultRelay(QStringLiteral("http://127.0.0.1:8080"));
constexpr std::int64_t kDefaultExpiresIn = 86400;
constexpr std::int64_t kMaxExpiresIn = std::int64_t{10} * 366 * 86400; // ten years: beyond any relay's limit
constexpr int kDefaultMaxDownloads = 1;
constexpr int kMaxDownloads = 1'000'000;

const QString kRelayKey = QStringLiteral("relay/url");
const QString kExpiresKey = QStringLiteral("send/expiresIn");
const QString kDownloadsKey = QStringLiteral("send/maxDownloads");
const QString kArgonIterationsKey = QStringLiteral("argon2/iterations");
const QString kArgonMemoryKey = QStringLiteral("argon2/memoryKiB");
const QString kArgonParallelismKey = QStringLiteral("argon2/parallelism");
const QString kCopyLinkKey = QStringLiteral("ui/copyLinkOnFinish");
const QString kAppOnlyLinksKey = QStringLiteral("ui/appOnlyLinks");
const QString kThemeKey = QStringLiteral("ui/theme");

// A relay base URL as RelayClient accepts it: http(s), a host, nothing after it, http only to loopback.
bool isUsableRelay(const QUrl& url) {
    if (!url.isValid() || url.host().isEmpty() || !url.userInfo().isEmpty() || url.hasQuery() ||
        url.hasFragment() || (!url.path().isEmpty() && url.path() != QStringLiteral("/")))
        return false;
    if (url.scheme() == QStringLiteral("https"))
        return true;
    return url.scheme() == QStringLiteral("http") && ShareLink::isLoopbackHost(url.host().toStdString());
}

// "https://relay.example/" → "https://relay.example": base URLs are written without a path.
QUrl withoutPath(QUrl url) {
    if (url.path() == QStringLiteral("/"))
        url.setPath(QString());
    return url;
}

// An integer stored as text; nullopt for anything else (a fraction, words, an empty value).
std::optional<qint64> integerValue(const QSettings* settings, const QString& key) {
    if (settings == nullptr || !settings->contains(key))
        return std::nullopt;
    bool ok = false;
    const qint64 value = settings->value(key).toString().trimmed().toLongLong(&ok);
    if (!ok)
        return std::nullopt;
    return value;
}

// A yes/no value stored as "true"/"false" (or 1/0); fallback when missing or unreadable.
bool booleanValue(const QSettings* settings, const QString& key, bool fallback) {
    if (settings == nullptr || !settings->contains(key))
        return fallback;
    const QString text = settings->value(key).toString().trimmed().toLower();
    if (text == QStringLiteral("true") || text == QStringLiteral("1"))
        return true;
    if (text == QStringLiteral("false") || text == QStringLiteral("0"))
        return false;
    return fallback;
}

void setBooleanValue(QSettings* settings, const QString& key, bool on) {
    if (settings != nullptr)
        settings->setValue(key, on ? QStringLiteral("true") : QStringLiteral("false"));
}

} // namespace

ClientError checkPrivateFolder(const QString& folder) {
    return privatefiles::ensureFolder(folder);
}

QString configDirectory() {
    QString folder = qEnvironmentVariable("OTS_CONFIG_DIR");
    if (folder.isEmpty()) {
        const QString base = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation);
        if (base.isEmpty())
            return {};
        folder = base + QStringLiteral("/OneTimeShare");
    }
    folder = QDir::cleanPath(QDir(folder).absolutePath());
    // Creates it 0700 when missing; whoever uses the folder checks it again and reports a refusal.
    (void)checkPrivateFolder(folder);
    return folder;
}

Settings::Settings() {
    const QString folder = configDirectory();
    m_error = checkPrivateFolder(folder);
    if (m_error) {
        qWarning("OneTimeShare settings are not used: %s", qUtf8Printable(m_error.message));
        return;
    }
    m_settings = std::make_unique<QSettings>(folder + QStringLiteral("/settings.ini"), QSettings::IniFormat);
}

Settings::Settings(const QString& file)
    : m_settings(std::make_unique<QSettings>(file, QSettings::IniFormat)) {}

QString Settings::fileName() const {
    return m_settings ? m_settings->fileName() : QString();
}

QUrl Settings::relayUrl() const {
    if (!m_settings || !m_settings->contains(kRelayKey))
        return kDefaultRelay;
    const QUrl url(m_settings->value(kRelayKey).toString().trimmed(), QUrl::StrictMode);
    if (!isUsableRelay(url))
        return kDefaultRelay;
    return withoutPath(url);
}

bool Settings::relayConfigured() const {
    return m_settings && m_settings->contains(kRelayKey);
}

void Settings::setRelayUrl(const QUrl& url) {
    if (m_settings)
        m_settings->setValue(kRelayKey, withoutPath(url).toString());
}

std::int64_t Settings::defaultExpiresIn() const {
    const auto value = integerValue(m_settings.get(), kExpiresKey);
    if (!value || *value < 1 || *value > kMaxExpiresIn)
        return kDefaultExpiresIn;
    return *value;
}

void Settings::setDefaultExpiresIn(std::int64_t seconds) {
    if (m_settings)
        m_settings->setValue(kExpiresKey, QString::number(seconds));
}

int Settings::defaultMaxDownloads() const {
    const auto value = integerValue(m_settings.get(), kDownloadsKey);
    if (!value || *value < 1 || *value > kMaxDownloads)
        return kDefaultMaxDownloads;
    return static_cast<int>(*value);
}

void Settings::setDefaultMaxDownloads(int downloads) {
    if (m_settings)
        m_settings->setValue(kDownloadsKey, QString::number(downloads));
}

namespace {

// The three Argon2id costs, or the defaults when any is missing or outside the floor and ceiling
// every client enforces (Format.h): a cost below the floor would weaken the password, one above the
// ceiling would make every receiver's client refuse the share.
Argon2Params argonFrom(const QSettings* settings) {
    const auto iterations = integerValue(settings, kArgonIterationsKey);
    const auto memory = integerValue(settings, kArgonMemoryKey);
    const auto parallelism = integerValue(settings, kArgonParallelismKey);
    const Argon2Params defaults;
    if (!iterations && !memory && !parallelism)
        return defaults;
    const auto inRange = [](const std::optional<qint64>& value) {
        return value && *value >= 0 && *value <= std::numeric_limits<std::uint32_t>::max();
    };
    if (!inRange(iterations) || !inRange(memory) || !inRange(parallelism))
        return defaults;
    Argon2Params params;
    params.iterations = static_cast<std::uint32_t>(*iterations);
    params.memoryKiB = static_cast<std::uint32_t>(*memory);
    params.parallelism = static_cast<std::uint32_t>(*parallelism);
    if (!params.validate().ok())
        return defaults;
    return params;
}

} // namespace

std::uint32_t Settings::argonIterations() const {
    return argonFrom(m_settings.get()).iterations;
}

std::uint32_t Settings::argonMemoryKiB() const {
    return argonFrom(m_settings.get()).memoryKiB;
}

std::uint32_t Settings::argonParallelism() const {
    return argonFrom(m_settings.get()).parallelism;
}

void Settings::setArgon(std::uint32_t iterations, std::uint32_t memoryKiB, std::uint32_t parallelism) {
    if (!m_settings)
        return;
    m_settings->setValue(kArgonIterationsKey, QString::number(iterations));
    m_settings->setValue(kArgonMemoryKey, QString::number(memoryKiB));
    m_settings->setValue(kArgonParallelismKey, QString::number(parallelism));
}

bool Settings::copyLinkOnFinish() const {
    return booleanValue(m_settings.get(), kCopyLinkKey, true);
}

void Settings::setCopyLinkOnFinish(bool on) {
    setBooleanValue(m_settings.get(), kCopyLinkKey, on);
}

bool Settings::appOnlyLinks() const {
    return booleanValue(m_settings.get(), kAppOnlyLinksKey, false);
}

void Settings::setAppOnlyLinks(bool on) {
    setBooleanValue(m_settings.get(), kAppOnlyLinksKey, on);
}

Settings::Theme Settings::theme() const {
    if (!m_settings)
        return Theme::System;
    const QString text = m_settings->value(kThemeKey).toString().trimmed().toLower();
    if (text == QStringLiteral("light"))
        return Theme::Light;
    if (text == QStringLiteral("dark"))
        return Theme::Dark;
    return Theme::System;
}

void Settings::setTheme(Theme theme) {
    if (!m_settings)
        return;
    switch (theme) {
    case Theme::Light:
        m_settings->setValue(kThemeKey, QStringLiteral("light"));
        return;
    case Theme::Dark:
        m_settings->setValue(kThemeKey, QStringLiteral("dark"));
        return;
    case Theme::System:
        m_settings->setValue(kThemeKey, QStringLiteral("system"));
        return;
    }
}

void Settings::sync() {
    if (m_settings)
        m_settings->sync();
}

std::int64_t parseDuration(const QString& text) {
    const QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return -1;
    std::int64_t unit = 1;
    qsizetype digits = trimmed.size();
    switch (trimmed.back().toLower().unicode()) {
    case 's':
        unit = 1;
        --digits;
        break;
    case 'm':
        unit = 60;
        --digits;
        break;
    case 'h':
        unit = 3600;
        --digits;
        break;
    case 'd':
        unit = 86400;
        --digits;
        break;
    case 'w':
        unit = std::int64_t{7} * 86400;
        --digits;
        break;
    default:
        break;
    }
    if (digits == 0)
        return -1;
    std::int64_t value = 0;
    for (qsizetype i = 0; i < digits; ++i) {
        const QChar c = trimmed.at(i);
        if (c < QLatin1Char('0') || c > QLatin1Char('9'))
            return -1; // signs, spaces, fractions and other digits than ASCII are not durations
        const std::int64_t digit = c.unicode() - u'0';
        if (value > (std::numeric_limits<std::int64_t>::max() - digit) / 10)
            return -1;
        value = value * 10 + digit;
    }
    if (value == 0 || value > std::numeric_limits<std::int64_t>::max() / unit)
        return -1;
    return value * unit;
}

} // namespace ots::client
