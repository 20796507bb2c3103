#pragma once

// Per-user settings: an INI file (QSettings) in configDirectory(), ~/.config/OneTimeShare/settings.ini
// on Linux. OTS_CONFIG_DIR, when set, moves settings, history and the file secret store into that folder
// (tests and portable installs). The upload token is a credential: it lives in the SecretStore, not here.
// Values are checked when read: a missing or invalid value (hand-edited, from another version) reads
// as its default.

#include "ots/client/ClientError.h"
#include "ots/client/DisplayText.h" // formatDuration, formatBytes: callers of Settings use them

#include <QSettings>
#include <QString>
#include <QUrl>

#include <cstdint>
#include <memory>

namespace ots::client {

/// Folder for settings, history and the fallback secret file: $OTS_CONFIG_DIR or the per-user config
/// folder + "/OneTimeShare". Created 0700 on first use.
[[nodiscard]] QString configDirectory();
/// Creates folder 0700 if missing; refuses (LocalIo) a folder that other users can write to, or
/// something that is not a folder. Settings, ShareHistory and the file secret store check theirs.
[[nodiscard]] ClientError checkPrivateFolder(const QString& folder);

class Settings {
public:
    enum class Theme { System, Light, Dark };

    Settings(); ///< the per-user settings file in configDirectory()
    explicit Settings(const QString& file);

    /// Set when configDirectory() was refused (see checkPrivateFolder): every value then reads as its
    /// default and nothing is written.
    [[nodiscard]] const ClientError& error() const noexcept { return m_error; }
    [[nodiscard]] QString fileName() const; ///< the INI file, empty when error()

    [[nodiscard]] QUrl
    relayUrl() const; ///< default http://127.0.0.1:8080 (the local relay of `setup.sh run`)
    void setRelayUrl(const QUrl& url);
    /// Whether a relay address was ever saved (false on a first run, when relayUrl() is the default).
    [[nodiscard]] bool relayConfigured() const;
    [[nodiscard]] std::int64_t defaultExpiresIn() const; ///< seconds, default 86400
    void setDefaultExpiresIn(std::int64_t seconds);
    [[nodiscard]] int defaultMaxDownloads() const; ///< default 1
    void setDefaultMaxDownloads(int downloads);
    [[nodiscard]] std::uint32_t argonIterations() const;  ///< default 3
    [[nodiscard]] std::uint32_t argonMemoryKiB() const;   ///< default 65536
    [[nodiscard]] std::uint32_t argonParallelism() const; ///< default 4
    void setArgon(std::uint32_t iterations, std::uint32_t memoryKiB, std::uint32_t parallelism);
    [[nodiscard]] bool copyLinkOnFinish() const; ///< default true
    void setCopyLinkOnFinish(bool on);
    /// Hand out the app form of links (onetimeshare://, see GivenLink) instead of the web form, so
    /// that only the app can open them; default false.
    [[nodiscard]] bool appOnlyLinks() const;
    void setAppOnlyLinks(bool on);
    [[nodiscard]] Theme theme() const;
    void setTheme(Theme theme);

    void sync();

private:
    std::unique_ptr<QSettings> m_settings;
    ClientError m_error;
};

/// Parses "90s", "15m", "1h", "7d", "2w" or plain seconds; -1 when malformed, zero, negative or too big.
[[nodiscard]] std::int64_t parseDuration(const QString& text);

} // namespace ots::client
