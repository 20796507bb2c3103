#pragma once

// Small helpers shared by the tests of ots::shared.

#include "ots/Bytes.h"
#include "ots/KeySchedule.h"
#include "ots/StreamDecryptor.h"
#include "ots/StreamEncryptor.h"

#include <QByteArray>
#include <QDir>
#include <QString>

#include <cstdlib>

namespace ots::test {

inline ByteView view(const QByteArray& bytes) {
    return {reinterpret_cast<const std::uint8_t*>(bytes.constData()), static_cast<std::size_t>(bytes.size())};
}

inline QByteArray toQ(ByteView bytes) {
    return {reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size())};
}

/// Byte i = i mod 251, as in tests/data/vectors_v1.json.
inline QByteArray pattern(qsizetype length) {
    QByteArray out(length, Qt::Uninitialized);
    for (qsizetype i = 0; i < length; ++i)
        out[i] = static_cast<char>(i % 251);
    return out;
}

inline ShareKeys keysFromFreshSecret() {
    auto keys = ShareKeys::fromLinkSecret(generateLinkSecret());
    if (!keys.ok())
        std::abort();
    return std::move(keys).value();
}

inline QByteArray encrypt(const ShareKeys& keys, const QByteArray& payload) {
    auto enc = StreamEncryptor::create(keys, static_cast<std::uint64_t>(payload.size()));
    if (!enc.ok())
        std::abort();
    QByteArray out = toQ(enc->header());
    const ByteSink sink = [&](ByteView frame) {
        out.append(toQ(frame));
        return Status{};
    };
    if (!enc->push(view(payload), sink).ok() || !enc->finish(sink).ok())
        std::abort();
    return out;
}

struct Decrypted {
    Status status;
    QByteArray payload;
};

/// Decrypts in pieces of pieceSize bytes (all at once when 0).
inline Decrypted decrypt(const ShareKeys& keys, const QByteArray& ciphertext, qsizetype pieceSize = 0) {
    Decrypted result;
    auto dec = StreamDecryptor::create(keys);
    if (!dec.ok()) {
        result.status = dec.error();
        return result;
    }
    const ByteSink sink = [&](ByteView data) {
        result.payload.append(toQ(data));
        return Status{};
    };
    const qsizetype step = pieceSize > 0 ? pieceSize : std::max<qsizetype>(ciphertext.size(), 1);
    for (qsizetype at = 0; at < ciphertext.size(); at += step) {
        result.status = dec->push(view(ciphertext.mid(at, step)), sink);
        if (!result.status.ok())
            return result;
    }
    result.status = dec->finish();
    return result;
}

/// Every entry below dir (hidden ones included), relative, sorted.
inline QStringList listTree(const QString& dir) {
    QStringList out;
    QDir root(dir);
    const auto filters = QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System;
    QStringList stack{QString()};
    while (!stack.isEmpty()) {
        const QString rel = stack.takeLast();
        const QDir d(rel.isEmpty() ? dir : root.filePath(rel));
        for (const QFileInfo& info : d.entryInfoList(filters, QDir::Name)) {
            const QString path = rel.isEmpty() ? info.fileName() : rel + QLatin1Char('/') + info.fileName();
            out << path;
            if (info.isDir() && !info.isSymLink())
                stack << path;
        }
    }
    out.sort();
    return out;
}

} // namespace ots::test
