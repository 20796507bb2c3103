#include "PrivateFiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>

namespace ots::client::privatefiles {
namespace {

constexpr QFile::Permissions kOwnerFolder = QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner;
constexpr QFile::Permissions kOwnerFile = QFile::ReadOwner | QFile::WriteOwner;
constexpr QFile::Permissions kOthersWrite = QFile::WriteGroup | QFile::WriteOther;
constexpr QFile::Permissions kOthersAny = QFile::ReadGroup | QFile::WriteGroup | QFile::ExeGroup |
                                          QFile::ReadOther | QFile::WriteOther | QFile::ExeOther;

QString octal(QFile::Permissions permissions) {
    int mode = 0;
    const auto bit = [&](QFile::Permission flag, int value) {
        if (permissions.testFlag(flag))
            mode |= value;
    };
    bit(QFile::ReadOwner, 0400);
    bit(QFile::WriteOwner, 0200);
    bit(QFile::ExeOwner, 0100);
    bit(QFile::ReadGroup, 040);
    bit(QFile::WriteGroup, 020);
    bit(QFile::ExeGroup, 010);
    bit(QFile::ReadOther, 04);
    bit(QFile::WriteOther, 02);
    bit(QFile::ExeOther, 01);
    return QStringLiteral("%1").arg(mode, 4, 8, QLatin1Char('0'));
}

ClientError ioError(const QString& code, const QString& message) {
    return ClientError::make(ErrorKind::LocalIo, code, message);
}

} // namespace

QString permissionText(const QString& path) {
    return octal(QFileInfo(path).permissions());
}

ClientError ensureFolder(const QString& folder) {
    if (folder.isEmpty())
        return ioError(
            QStringLiteral("config.no_folder"),
            QStringLiteral("There is no folder for OneTimeShare's settings: neither OTS_CONFIG_DIR "
                           "nor a per-user configuration folder is known."));
    const QString path = QDir::cleanPath(QDir(folder).absolutePath());
    QFileInfo info(path);
    if (!info.exists()) {
        const QFileInfo parentInfo(info.absolutePath());
        if (!parentInfo.exists() && !QDir().mkpath(parentInfo.absoluteFilePath()))
            return ioError(
                QStringLiteral("config.mkdir"),
                QStringLiteral("Could not create the folder %1.").arg(parentInfo.absoluteFilePath()));
        // Created with 0700 from the start, so there is no moment in which others could look in.
        if (!QDir().mkdir(path, kOwnerFolder) && !QFileInfo::exists(path))
            return ioError(QStringLiteral("config.mkdir"),
                           QStringLiteral("Could not create the folder %1.").arg(path));
        info = QFileInfo(path);
    }
    if (!info.isDir())
        return ioError(
            QStringLiteral("config.not_a_folder"),
            QStringLiteral("%1 is not a folder; OneTimeShare keeps its settings and history there.")
                .arg(path));
    if ((info.permissions() & kOthersWrite) != 0)
        return ioError(
            QStringLiteral("config.insecure_folder"),
            QStringLiteral("Other users can write to the folder %1 (permissions %2), so they could "
                           "replace your settings, history or secrets. Make it private with "
                           "\"chmod 700 %1\" or choose another folder with OTS_CONFIG_DIR.")
                .arg(path, octal(info.permissions())));
    return {};
}

Outcome<QByteArray> read(const QString& path, bool ownerOnly) {
    const QFileInfo info(path);
    if (!info.exists())
        return ClientError::make(ErrorKind::NotFound, QStringLiteral("file.not_found"),
                                 QStringLiteral("%1 does not exist.").arg(path));
    if (ownerOnly && (info.permissions() & kOthersAny) != 0)
        return ioError(
            QStringLiteral("secrets.insecure_file"),
            QStringLiteral("The secret file %1 is open to other users (permissions %2), so it is not "
                           "used. Make it private with \"chmod 600 %1\" if you trust its contents.")
                .arg(path, octal(info.permissions())));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return ioError(QStringLiteral("file.read"),
                       QStringLiteral("Could not read %1: %2.").arg(path, file.errorString()));
    QByteArray data = file.readAll();
    if (file.error() != QFileDevice::NoError)
        return ioError(QStringLiteral("file.read"),
                       QStringLiteral("Could not read %1: %2.").arg(path, file.errorString()));
    return data;
}

ClientError write(const QString& path, const QByteArray& data) {
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return ioError(QStringLiteral("file.write"),
                       QStringLiteral("Could not write %1: %2.").arg(path, file.errorString()));
    // QSaveFile creates a new file with the umask's permissions (often 0644): narrow them before
    // anything is written, so the content is never readable by others, not even for a moment.
    if (!file.setPermissions(kOwnerFile)) {
        file.cancelWriting();
        return ioError(QStringLiteral("file.permissions"),
                       QStringLiteral("Could not make %1 private (0600): %2.").arg(path, file.errorString()));
    }
    if (file.write(data) != data.size() || !file.commit()) {
        const QString reason = file.errorString();
        file.cancelWriting();
        return ioError(QStringLiteral("file.write"),
                       QStringLiteral("Could not write %1: %2.").arg(path, reason));
    }
    return {};
}

} // namespace ots::client::privatefiles
