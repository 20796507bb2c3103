#include "FileSecretStore.h"

#include "PrivateFiles.h"
#include "ots/client/Settings.h"

#include <QDir>
#include <QJsonDocument>
#include <QJsonValue>
#include <QLockFile>
#include <QMutexLocker>

namespace ots::client {
namespace {

ClientError lockError(const QString& path) {
    return ClientError::make(
        ErrorKind::LocalIo, QStringLiteral("secrets.locked"),
        QStringLiteral("The secret file %1 is in use by another OneTimeShare program; try "
                       "again in a moment.")
            .arg(path));
}

} // namespace

FileSecretStore::FileSecretStore(const QString& folder)
    : m_folder(QDir::cleanPath(QDir(folder).absolutePath())) {}

QString FileSecretStore::backendName() const {
    return QStringLiteral("file");
}

QString FileSecretStore::filePath() const {
    return m_folder + QStringLiteral("/secrets.json");
}

Outcome<QJsonObject> FileSecretStore::readObject() const {
    auto data = privatefiles::read(filePath(), true);
    if (!data.ok()) {
        if (data.error().kind == ErrorKind::NotFound)
            return QJsonObject{};
        return data.error();
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(data.value(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("secrets.corrupt"),
                                 QStringLiteral("The secret file %1 is damaged (not a JSON object), so it is "
                                                "left as it is. Move it away to start a new one; the owner "
                                                "tokens in it are then lost.")
                                     .arg(filePath()));
    return document.object();
}

ClientError FileSecretStore::writeObject(const QJsonObject& object) const {
    return privatefiles::write(filePath(), QJsonDocument(object).toJson(QJsonDocument::Indented));
}

ClientError FileSecretStore::store(const QString& key, const QString& secret) {
    const QMutexLocker locker(&m_mutex);
    if (ClientError error = checkPrivateFolder(m_folder))
        return error;
    QLockFile lock(filePath() + QStringLiteral(".lock"));
    if (!lock.tryLock(privatefiles::kLockWaitMs))
        return lockError(filePath());
    auto object = readObject();
    if (!object.ok())
        return object.error();
    object.value().insert(key, secret);
    return writeObject(object.value());
}

Outcome<QString> FileSecretStore::load(const QString& key) {
    const QMutexLocker locker(&m_mutex);
    if (ClientError error = checkPrivateFolder(m_folder))
        return error;
    QLockFile lock(filePath() + QStringLiteral(".lock"));
    if (!lock.tryLock(privatefiles::kLockWaitMs))
        return lockError(filePath());
    const auto object = readObject();
    if (!object.ok())
        return object.error();
    const QJsonValue value = object.value().value(key);
    if (!value.isString())
        return ClientError::make(ErrorKind::NotFound, QStringLiteral("secret.not_found"),
                                 QStringLiteral("The secret file holds nothing under \"%1\".").arg(key));
    return value.toString();
}

ClientError FileSecretStore::remove(const QString& key) {
    const QMutexLocker locker(&m_mutex);
    if (ClientError error = checkPrivateFolder(m_folder))
        return error;
    QLockFile lock(filePath() + QStringLiteral(".lock"));
    if (!lock.tryLock(privatefiles::kLockWaitMs))
        return lockError(filePath());
    auto object = readObject();
    if (!object.ok())
        return object.error();
    if (!object.value().contains(key))
        return {};
    object.value().remove(key);
    return writeObject(object.value());
}

} // namespace ots::client
