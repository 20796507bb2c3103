#include "MetadataCodec.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonParseError>
#include <QJsonValue>

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

namespace ots::client {

namespace {

constexpr int kVersion = 1;
// 2^53 - 1: the largest integer every JSON implementation (a browser's doubles too) holds exactly.
constexpr qint64 kMaxExactInteger = (qint64{1} << 53) - 1;
// The container cannot hold more entries than this (SPEC.md §6.2), so no count can exceed it.
constexpr qint64 kMaxCount = static_cast<qint64>(format::kMaxEntries);

QString entryName(const std::string& path) {
    const QString full = QString::fromStdString(path);
    return full.mid(full.lastIndexOf(QLatin1Char('/')) + 1);
}

ClientError malformed(const char* field) {
    return ClientError::fromOts(Error{Errc::MetadataMalformed,
                                      std::string("metadata field \"") + field + "\" is missing or invalid"});
}

// The spelling of an integer field was checked by integerSpellingError(); here only the value.
std::optional<std::uint64_t> unsignedField(const QJsonValue& value, qint64 maximum = kMaxExactInteger) {
    if (!value.isDouble())
        return std::nullopt;
    const qint64 number = value.toInteger(-1); // -1 also for a fraction or a value beyond qint64
    if (number < 0 || number > maximum)
        return std::nullopt;
    return static_cast<std::uint64_t>(number);
}

std::optional<int> countField(const QJsonValue& value) {
    const auto number = unsignedField(value, kMaxCount);
    if (!number)
        return std::nullopt;
    return static_cast<int>(*number);
}

// The integer fields of SPEC.md §5.1 are digits only. Qt (like JSON.parse) reads 1.0, 1e0 and -0 as
// integers, so the spelling is checked on the text itself: every receiver must accept exactly the same
// documents. The text is valid JSON already (QJsonDocument parsed it), so a light scan that tracks
// the containers and the current key is enough. Returns the offending field, or nullptr.
const char* integerSpellingError(const QByteArray& json) {
    struct Frame {
        bool isObject;
        QByteArray key; // in an object: the key whose value comes next or is being read
    };
    std::vector<Frame> stack;
    const auto isIntegerField = [&stack]() -> const char* {
        if (stack.size() == 1 && stack[0].isObject) {
            for (const char* field : {"v", "fileCount", "folderCount", "totalBytes"})
                if (stack[0].key == field)
                    return field;
        }
        if (stack.size() == 3 && stack[0].key == "entries" && !stack[1].isObject && stack[2].isObject &&
            stack[2].key == "size")
            return "entries.size";
        return nullptr;
    };
    const qsizetype size = json.size();
    for (qsizetype i = 0; i < size;) {
        const char c = json[i];
        if (c == '{' || c == '[') {
            stack.push_back(Frame{c == '{', {}});
            ++i;
        } else if (c == '}' || c == ']') {
            if (!stack.empty())
                stack.pop_back();
            ++i;
        } else if (c == '"') {
            qsizetype end = i + 1;
            while (end < size && json[end] != '"')
                end += json[end] == '\\' ? 2 : 1;
            const QByteArray token = json.mid(i, end + 1 - i);
            i = end + 1;
            qsizetype next = i;
            while (next < size &&
                   (json[next] == ' ' || json[next] == '\t' || json[next] == '\n' || json[next] == '\r'))
                ++next;
            if (!stack.empty() && stack.back().isObject && next < size && json[next] == ':') {
                // A key may be spelled with escapes ("\u0076" is "v"): compare what it means.
                stack.back().key =
                    token.contains('\\')
                        ? QJsonDocument::fromJson("[" + token + "]").array().at(0).toString().toUtf8()
                        : token.mid(1, token.size() - 2);
            }
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            qsizetype end = i;
            bool digitsOnly = true;
            while (end < size && json[end] != '\0' && std::strchr("+-.eE0123456789", json[end]) != nullptr) {
                digitsOnly = digitsOnly && json[end] >= '0' && json[end] <= '9';
                ++end;
            }
            if (const char* field = isIntegerField(); field != nullptr && !digitsOnly)
                return field;
            i = end;
        } else {
            ++i; // whitespace, ':', ',', and the letters of true, false and null
        }
    }
    return nullptr;
}

// The first text share rule of SPEC.md §5.1: one file entry and counts that say so.
bool describesOneFile(const ShareMetadata& metadata) {
    return metadata.entries.size() == 1 && !metadata.entries.front().isFolder && metadata.fileCount == 1 &&
           metadata.folderCount == 0 && !metadata.listTruncated &&
           metadata.totalBytes == metadata.entries.front().size;
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
    // Qt skips a byte order mark; RFC 8259 §8.1 forbids sending one, and SPEC.md §5.1 refuses it.
    if (json.startsWith("\xef\xbb\xbf"))
        return ClientError::fromOts(
            Error{Errc::MetadataMalformed, "the metadata starts with a byte order mark"});
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return ClientError::fromOts(Error{Errc::MetadataMalformed, "the metadata is not a JSON object"});
    if (const char* field = integerSpellingError(json))
        return malformed(field);
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
    if (metadata.isText && !describesOneFile(metadata))
        return malformed("kind");
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
