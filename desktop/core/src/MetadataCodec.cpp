#include "MetadataCodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>
#include <string>

namespace ots::client {

namespace {

constexpr int kVersion = 1;
// Integers in JSON are doubles to Qt: beyond 2^53 they are no longer exact.
constexpr double kMaxExactInteger = 9007199254740992.0;

QString entryName(const std::string& path) {
    const QString full = QString::fromStdString(path);
    return full.mid(full.lastIndexOf(QLatin1Char('/')) + 1);
}

ClientError malformed(const char* field) {
    return ClientError::fromOts(Error{Errc::MetadataMalformed,
                                      std::string("metadata field \"") + field + "\" is missing or invalid"});
}

std::optional<std::uint64_t> unsignedField(const QJsonValue& value) {
    if (!value.isDouble())
        return std::nullopt;
    const double number = value.toDouble();
    if (!(number >= 0) || number > kMaxExactInteger || std::floor(number) != number)
        return std::nullopt;
    return static_cast<std::uint64_t>(number);
}

std::optional<int> countField(const QJsonValue& value) {
    const auto number = unsignedField(value);
    if (!number || *number > static_cast<std::uint64_t>(std::numeric_limits<int>::max()))
        return std::nullopt;
    return static_cast<int>(*number);
}

} // namespace

ShareMetadata MetadataCodec::describe(const std::vector<ContainerEntry>& entries, bool isText,
                                      const QString& note) {
    ShareMetadata metadata;
    metadata.isText = isText;
    metadata.note = note;
    std::size_t listBytes = 0;
    for (const ContainerEntry& entry : entries) {
        const bool folder = entry.type == EntryType::Directory;
        if (folder)
            ++metadata.folderCount;
        else {
            ++metadata.fileCount;
            metadata.totalBytes += entry.size;
        }
        if (metadata.listTruncated)
            continue;
        // A generous estimate of the entry's JSON: the path (quotes and backslashes escaped) plus keys.
        const auto escapes = static_cast<std::size_t>(std::count_if(
            entry.path.begin(), entry.path.end(), [](char c) { return c == '"' || c == '\\'; }));
        const std::size_t cost = entry.path.size() + escapes + 64;
        if (listBytes + cost > kEntryListBudget) {
            metadata.listTruncated = true;
            continue;
        }
        listBytes += cost;
        metadata.entries.append({QString::fromStdString(entry.path), folder ? 0 : entry.size, folder});
    }
    return metadata;
}

QByteArray MetadataCodec::encode(const ShareMetadata& metadata) {
    QJsonArray entries;
    for (const ShareMetadata::Entry& entry : metadata.entries) {
        QJsonObject object{
            {QStringLiteral("path"), entry.path},
            {QStringLiteral("type"), entry.isFolder ? QStringLiteral("folder") : QStringLiteral("file")}};
        if (!entry.isFolder)
            object.insert(QStringLiteral("size"), static_cast<double>(entry.size));
        entries.append(object);
    }
    QJsonObject root{
        {QStringLiteral("v"), kVersion},
        {QStringLiteral("kind"), metadata.isText ? QStringLiteral("text") : QStringLiteral("files")},
        {QStringLiteral("entries"), entries},
        {QStringLiteral("fileCount"), metadata.fileCount},
        {QStringLiteral("folderCount"), metadata.folderCount},
        {QStringLiteral("totalBytes"), static_cast<double>(metadata.totalBytes)},
        {QStringLiteral("truncated"), metadata.listTruncated}};
    if (!metadata.note.isEmpty())
        root.insert(QStringLiteral("note"), metadata.note);
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

Outcome<ShareMetadata> MetadataCodec::decode(const QByteArray& json) {
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return ClientError::fromOts(Error{Errc::MetadataMalformed, "the metadata is not a JSON object"});
    const QJsonObject root = document.object();

    const auto version = unsignedField(root.value(QStringLiteral("v")));
    if (!version)
        return malformed("v");
    if (*version != kVersion)
        return ClientError::fromOts(
            Error{Errc::MetadataUnsupportedVersion, "metadata version " + std::to_string(*version)});

    ShareMetadata metadata;
    const QJsonValue kind = root.value(QStringLiteral("kind"));
    if (kind == QJsonValue(QStringLiteral("text")))
        metadata.isText = true;
    else if (kind != QJsonValue(QStringLiteral("files")))
        return malformed("kind");

    const QJsonValue entries = root.value(QStringLiteral("entries"));
    if (!entries.isArray())
        return malformed("entries");
    const QJsonArray list = entries.toArray();
    for (const auto& item : list) {
        if (!item.isObject())
            return malformed("entries");
        const QJsonObject object = item.toObject();
        const QJsonValue path = object.value(QStringLiteral("path"));
        if (!path.isString() || path.toString().isEmpty())
            return malformed("entries.path");
        ShareMetadata::Entry entry;
        entry.path = path.toString();
        const QJsonValue type = object.value(QStringLiteral("type"));
        if (type == QJsonValue(QStringLiteral("folder"))) {
            entry.isFolder = true;
        } else if (type == QJsonValue(QStringLiteral("file"))) {
            const auto size = unsignedField(object.value(QStringLiteral("size")));
            if (!size)
                return malformed("entries.size");
            entry.size = *size;
        } else {
            return malformed("entries.type");
        }
        metadata.entries.append(entry);
    }

    const auto fileCount = countField(root.value(QStringLiteral("fileCount")));
    if (!fileCount)
        return malformed("fileCount");
    const auto folderCount = countField(root.value(QStringLiteral("folderCount")));
    if (!folderCount)
        return malformed("folderCount");
    const auto totalBytes = unsignedField(root.value(QStringLiteral("totalBytes")));
    if (!totalBytes)
        return malformed("totalBytes");
    const QJsonValue truncated = root.value(QStringLiteral("truncated"));
    if (!truncated.isBool())
        return malformed("truncated");
    const QJsonValue note = root.value(QStringLiteral("note"));
    if (!note.isUndefined() && !note.isString())
        return malformed("note");
    metadata.fileCount = *fileCount;
    metadata.folderCount = *folderCount;
    metadata.totalBytes = *totalBytes;
    metadata.listTruncated = truncated.toBool();
    metadata.note = note.toString();
    return metadata;
}

QString MetadataCodec::displayName(const std::vector<ContainerEntry>& entries, bool isText) {
    if (isText)
        return QStringLiteral("Text");
    std::vector<const ContainerEntry*> topLevel;
    for (const ContainerEntry& entry : entries)
        if (entry.path.find('/') == std::string::npos)
            topLevel.push_back(&entry);
    if (topLevel.empty())
        return QStringLiteral("Empty share");
    const ContainerEntry& first = *topLevel.front();
    if (topLevel.size() > 1)
        return QStringLiteral("%1 and %2 more").arg(entryName(first.path)).arg(topLevel.size() - 1);
    if (first.type == EntryType::Directory) {
        const std::size_t inside = entries.size() - 1;
        return inside == 1 ? QStringLiteral("%1 (1 item)").arg(entryName(first.path))
                           : QStringLiteral("%1 (%2 items)").arg(entryName(first.path)).arg(inside);
    }
    return entryName(first.path);
}

} // namespace ots::client
