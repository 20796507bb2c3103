#pragma once

// What gen_vectors writes and tst_vectors (and tst_metadatacodec) read back in the same shape:
// error names, the link secrets of the vectors, and parsed container entries as JSON.

#include "ots/Container.h"
#include "ots/ContainerParser.h"
#include "ots/Error.h"
#include "ots/Format.h"
#include "ots/SecretBuffer.h"

#include <QByteArray>
#include <QJsonArray>
#include <QJsonObject>
#include <QString>

#ifdef OTS_TEST_DATA_DIR
#include <QFile>
#include <QJsonDocument>
#endif

#include <cstdint>

namespace ots::test {

/// The stable error name, or "ok" for no error: how the vectors name every outcome.
inline QString outcomeName(Errc code) {
    return code == Errc::None ? QStringLiteral("ok") : QString::fromLatin1(errorName(code).data());
}

/// The link secret of the vectors made from seed: byte i = seed + 7·i.
inline SecretBuffer secretFromSeed(std::uint8_t seed) {
    SecretBuffer secret(format::kLinkSecretBytes);
    for (std::size_t i = 0; i < secret.size(); ++i)
        secret.data()[i] = static_cast<std::uint8_t>(seed + i * 7);
    return secret;
}

/// Collects what a ContainerParser delivers as the "entries" of the "containers" vectors: type, path,
/// mode, size, mtime and, for files, the content in base64.
class EntryLog final : public ContainerHandler {
public:
    Status onEntry(const ContainerEntry& entry) override {
        m_entries.append(
            QJsonObject{{QStringLiteral("type"),
                         entry.type == EntryType::File ? QStringLiteral("file") : QStringLiteral("folder")},
                        {QStringLiteral("path"), QString::fromStdString(entry.path)},
                        {QStringLiteral("mode"), static_cast<qint64>(entry.mode)},
                        {QStringLiteral("size"), static_cast<qint64>(entry.size)},
                        {QStringLiteral("mtime"), static_cast<qint64>(entry.mtime)}});
        m_content.clear();
        return {};
    }
    Status onData(ByteView data) override {
        m_content.append(reinterpret_cast<const char*>(data.data()), static_cast<qsizetype>(data.size()));
        return {};
    }
    Status onEntryEnd() override {
        QJsonObject last = m_entries.last().toObject();
        if (last[QStringLiteral("type")].toString() == QLatin1String("file"))
            last[QStringLiteral("content")] = QString::fromLatin1(m_content.toBase64());
        m_entries.replace(m_entries.size() - 1, last);
        return {};
    }
    [[nodiscard]] const QJsonArray& entries() const noexcept { return m_entries; }

private:
    QJsonArray m_entries;
    QByteArray m_content;
};

#ifdef OTS_TEST_DATA_DIR
/// tests/data/vectors_v1.json as one object.
inline QJsonObject loadVectors() {
    QFile file(QStringLiteral(OTS_TEST_DATA_DIR "/vectors_v1.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open vectors_v1.json");
    return QJsonDocument::fromJson(file.readAll()).object();
}
#endif

} // namespace ots::test
