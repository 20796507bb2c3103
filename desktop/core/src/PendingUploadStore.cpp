#include "ots/client/PendingUploadStore.h"

#include "PrivateFiles.h"
#include "ots/client/SecretStore.h"
#include "ots/client/Settings.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

#include <array>

namespace ots::client {

namespace {

constexpr int kFormatVersion = 1;

// The secrets of the kept upload, by their SecretStore keys.
const QString kOwnerKey = QStringLiteral("pending-upload:owner-token");
const QString kLinkKey = QStringLiteral("pending-upload:link-secret");
const QString kPasswordKey = QStringLiteral("pending-upload:password");

QString toBase64(const QByteArray& bytes) {
    return QString::fromLatin1(bytes.toBase64());
}

std::optional<QByteArray> fromBase64(const QJsonValue& value) {
    if (!value.isString())
        return std::nullopt;
    auto decoded =
        QByteArray::fromBase64Encoding(value.toString().toLatin1(), QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded)
        return std::nullopt;
    return *decoded;
}

std::optional<std::uint64_t> toCount(const QJsonValue& value) {
    if (!value.isString())
        return std::nullopt;
    bool ok = false;
    const qulonglong number = value.toString().toULongLong(&ok);
    return ok ? std::optional<std::uint64_t>(number) : std::nullopt;
}

QString fromCount(std::uint64_t value) {
    return QString::number(value);
}

} // namespace

PendingUploadStore::PendingUploadStore(const QString& folder, std::unique_ptr<SecretStore> secrets)
    : m_folder(folder.isEmpty() ? configDirectory() : QDir::cleanPath(QDir(folder).absolutePath()))
    , m_secrets(secrets ? std::move(secrets) : SecretStore::open()) {}

PendingUploadStore::~PendingUploadStore() = default;

QString PendingUploadStore::filePath() const {
    return m_folder + QStringLiteral("/pending-upload.json");
}

ClientError PendingUploadStore::save(const PendingUpload& upload) {
    if (upload.isText())
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("The text of a text share is never written to disk."));
    if (ClientError error = privatefiles::ensureFolder(m_folder))
        return error;
    if (ClientError error = m_secrets->store(kOwnerKey, upload.ownerToken))
        return error;
    if (ClientError error = m_secrets->store(kLinkKey, upload.linkSecret))
        return error;
    if (upload.password.isEmpty())
        (void)m_secrets->remove(kPasswordKey);
    else if (ClientError error = m_secrets->store(kPasswordKey, upload.password))
        return error;

    QJsonObject record{
        {QStringLiteral("version"), kFormatVersion},
        {QStringLiteral("relay"), upload.relay.toString()},
        {QStringLiteral("id"), upload.shareId},
        {QStringLiteral("streamHeader"), toBase64(upload.streamHeader)},
        {QStringLiteral("paths"), QJsonValue::fromVariant(upload.paths)},
        {QStringLiteral("inputIdentity"), toBase64(upload.inputIdentity)},
        {QStringLiteral("payloadBytes"), fromCount(upload.payloadBytes)},
        {QStringLiteral("ciphertextBytes"), fromCount(upload.ciphertextBytes)},
        {QStringLiteral("sentBytes"), fromCount(upload.sentBytes)},
        {QStringLiteral("sentDigests"), toBase64(upload.sentDigests)},
        {QStringLiteral("expiresAt"), QString::number(upload.expiresAt)},
        {QStringLiteral("maxDownloads"), upload.maxDownloads},
        {QStringLiteral("hasPassword"), !upload.password.isEmpty()},
    };
    if (upload.kdf) {
        record.insert(
            QStringLiteral("kdf"),
            QJsonObject{{QStringLiteral("salt"), toBase64(upload.kdf->salt)},
                        {QStringLiteral("iterations"), static_cast<qint64>(upload.kdf->iterations)},
                        {QStringLiteral("memoryKiB"), static_cast<qint64>(upload.kdf->memoryKiB)},
                        {QStringLiteral("parallelism"), static_cast<qint64>(upload.kdf->parallelism)}});
    }
    return privatefiles::write(filePath(), QJsonDocument(record).toJson(QJsonDocument::Compact));
}

Outcome<PendingUpload> PendingUploadStore::load() const {
    auto data = privatefiles::read(filePath(), true);
    if (!data.ok())
        return data.error();
    const auto damaged = [this](const QString& why) {
        return ClientError::make(
            ErrorKind::LocalIo, QStringLiteral("pending_upload.corrupt"),
            QStringLiteral("The record of the unfinished upload (%1) is damaged: %2.").arg(filePath(), why));
    };
    const QJsonDocument document = QJsonDocument::fromJson(data.value());
    if (!document.isObject() || document.object().value(QStringLiteral("version")).toInt() != kFormatVersion)
        return damaged(QStringLiteral("not a record this version of the app wrote"));
    const QJsonObject record = document.object();
    PendingUpload upload;
    upload.relay = QUrl(record.value(QStringLiteral("relay")).toString());
    upload.shareId = record.value(QStringLiteral("id")).toString();
    upload.paths = record.value(QStringLiteral("paths")).toVariant().toStringList();
    upload.maxDownloads = record.value(QStringLiteral("maxDownloads")).toInt(1);
    upload.expiresAt = record.value(QStringLiteral("expiresAt")).toString().toLongLong();
    const auto header = fromBase64(record.value(QStringLiteral("streamHeader")));
    const auto identity = fromBase64(record.value(QStringLiteral("inputIdentity")));
    const auto digests = fromBase64(record.value(QStringLiteral("sentDigests")));
    const auto payload = toCount(record.value(QStringLiteral("payloadBytes")));
    const auto ciphertext = toCount(record.value(QStringLiteral("ciphertextBytes")));
    const auto sent = toCount(record.value(QStringLiteral("sentBytes")));
    if (!upload.relay.isValid() || upload.shareId.isEmpty() || upload.paths.isEmpty() || !header ||
        !identity || !digests || !payload || !ciphertext || !sent)
        return damaged(QStringLiteral("a field is missing"));
    upload.streamHeader = *header;
    upload.inputIdentity = *identity;
    upload.sentDigests = *digests;
    upload.payloadBytes = *payload;
    upload.ciphertextBytes = *ciphertext;
    upload.sentBytes = *sent;
    if (record.contains(QStringLiteral("kdf"))) {
        const QJsonObject kdf = record.value(QStringLiteral("kdf")).toObject();
        const auto salt = fromBase64(kdf.value(QStringLiteral("salt")));
        if (!salt)
            return damaged(QStringLiteral("the password parameters are missing"));
        upload.kdf =
            KdfInfo{*salt, static_cast<std::uint32_t>(kdf.value(QStringLiteral("iterations")).toInteger()),
                    static_cast<std::uint32_t>(kdf.value(QStringLiteral("memoryKiB")).toInteger()),
                    static_cast<std::uint32_t>(kdf.value(QStringLiteral("parallelism")).toInteger())};
    }
    std::array<std::pair<const QString*, QString*>, 2> secrets{
        {{&kOwnerKey, &upload.ownerToken}, {&kLinkKey, &upload.linkSecret}}};
    for (auto& [key, into] : secrets) {
        auto value = m_secrets->load(*key);
        if (!value.ok())
            return damaged(
                QStringLiteral("its keys are missing from the %1 store").arg(m_secrets->backendName()));
        *into = value.value();
    }
    if (record.value(QStringLiteral("hasPassword")).toBool()) {
        auto password = m_secrets->load(kPasswordKey);
        if (!password.ok())
            return damaged(
                QStringLiteral("its password is missing from the %1 store").arg(m_secrets->backendName()));
        upload.password = password.value();
    }
    return upload;
}

ClientError PendingUploadStore::remove() {
    for (const QString& key : {kOwnerKey, kLinkKey, kPasswordKey})
        (void)m_secrets->remove(key);
    if (QFile::exists(filePath()) && !QFile::remove(filePath()))
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("pending_upload.remove"),
                                 QStringLiteral("%1 could not be removed.").arg(filePath()));
    return {};
}

} // namespace ots::client
