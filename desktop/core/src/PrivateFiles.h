#pragma once

// Files only this user may touch: the folder of settings, history and the fallback secret file
// (0700, refused when others can write to it) and the files in it (0600, replaced atomically).
// Internal to ots_client_store.

#include "ots/client/ClientError.h"

#include <QByteArray>
#include <QString>

namespace ots::client::privatefiles {

/// How long a reader or writer of these files waits for another process's lock (QLockFile) before
/// reporting the folder busy.
inline constexpr int kLockWaitMs = 5000;

/// Creates folder (0700; missing parents with the usual permissions) or checks the existing one:
/// a folder that other users can write to is refused, since they could replace what is in it.
[[nodiscard]] ClientError ensureFolder(const QString& folder);

/// The whole file. NotFound when it does not exist. ownerOnly: refuse a file that the group or
/// others may read or write (secrets).
[[nodiscard]] Outcome<QByteArray> read(const QString& path, bool ownerOnly);

/// Replaces path atomically with data (QSaveFile): the temporary file is made 0600 before a byte
/// is written, then renamed over the old one, so a crash leaves the old file or the new one.
[[nodiscard]] ClientError write(const QString& path, const QByteArray& data);

/// "0644" for messages.
[[nodiscard]] QString permissionText(const QString& path);

} // namespace ots::client::privatefiles
