// Generates tests/data/vectors_v1.json, the checked-in test vectors of format v1.
// The file is the reference, and tst_vectors checks the implementation against it. Randomness
// (nonces, secretstream headers) comes from a fixed sequence, so every run writes the same file,
// except the "stream" section: it was checked in before that, with real randomness, and is kept by
// giving the current file, whose "stream" section is then copied as it is:
//
//   gen_vectors tests/data/vectors_v1.json > new.json && mv new.json tests/data/vectors_v1.json

#include "TestUtil.h"
#include "VectorUtil.h"
#include "gen_vectors_sections.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <QByteArray>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdio>
#include <cstring>

using namespace ots;
using ots::test::encrypt;
using ots::test::pattern;
using ots::test::secretFromSeed;
using ots::test::toQ;

namespace {

QString hex(ByteView bytes) {
    return QString::fromLatin1(toQ(bytes).toHex());
}
QString b64(const QByteArray& bytes) {
    return QString::fromLatin1(bytes.toBase64());
}

Argon2Params fixedParams(std::uint8_t saltSeed) {
    Argon2Params params; // defaults: t=3, m=64 MiB, p=4
    for (std::size_t i = 0; i < params.salt.size(); ++i)
        params.salt[i] = static_cast<std::uint8_t>(saltSeed + i);
    return params;
}

QJsonObject argonJson(const Argon2Params& p) {
    return {{QStringLiteral("iterations"), static_cast<qint64>(p.iterations)},
            {QStringLiteral("memoryKiB"), static_cast<qint64>(p.memoryKiB)},
            {QStringLiteral("parallelism"), static_cast<qint64>(p.parallelism)},
            {QStringLiteral("salt"), hex(p.salt)}};
}

struct KeySpec {
    std::uint8_t secretSeed;
    const char* password; // nullptr: no password
    std::uint8_t saltSeed;
};

ShareKeys derive(const KeySpec& spec) {
    const SecretBuffer secret = secretFromSeed(spec.secretSeed);
    auto keys = spec.password == nullptr
                    ? ShareKeys::fromLinkSecret(secret)
                    : ShareKeys::fromPassword(secret, spec.password, fixedParams(spec.saltSeed));
    if (!keys.ok())
        std::abort();
    return std::move(keys).value();
}

QJsonObject keyJson(const KeySpec& spec) {
    QJsonObject o{{QStringLiteral("linkSecret"),
                   QString::fromStdString(base64url::encode(secretFromSeed(spec.secretSeed).span()))}};
    if (spec.password != nullptr) {
        o[QStringLiteral("password")] = QString::fromUtf8(spec.password);
        o[QStringLiteral("argon2")] = argonJson(fixedParams(spec.saltSeed));
    }
    return o;
}

QJsonObject streamVector(const QString& name, const QString& outcome, const QString& error,
                         const KeySpec& decryptWith, const QByteArray& ciphertext, qsizetype payloadLength,
                         const QString& description) {
    QJsonObject o = keyJson(decryptWith);
    o[QStringLiteral("name")] = name;
    o[QStringLiteral("description")] = description;
    o[QStringLiteral("expected")] = outcome;
    if (!error.isEmpty())
        o[QStringLiteral("error")] = error;
    o[QStringLiteral("ciphertext")] = b64(ciphertext);
    if (payloadLength >= 0)
        o[QStringLiteral("payloadPatternLength")] = static_cast<qint64>(payloadLength);
    return o;
}

constexpr qsizetype kFrame = static_cast<qsizetype>(format::kChunkFrameBytes);
constexpr qsizetype kHeader = static_cast<qsizetype>(format::kStreamHeaderBytes);

QByteArray flipped(QByteArray bytes, qsizetype at) {
    bytes[at] = static_cast<char>(bytes[at] ^ 0x01);
    return bytes;
}

} // namespace

int main(int argc, char** argv) {
    vectors::useDeterministicRandomness();
    if (!initialize().ok()) {
        std::fputs("self-test failed\n", stderr);
        return 1;
    }
    const KeySpec plain{0x11, nullptr, 0};
    const KeySpec otherKey{0x22, nullptr, 0};
    const KeySpec withPassword{0x33, "correct horse battery staple", 0x40};
    const KeySpec wrongPassword{0x33, "Tr0ub4dor&3", 0x40};

    // Key schedule ------------------------------------------------------------------------------
    QJsonArray keyVectors;
    for (const KeySpec& spec : {plain, withPassword}) {
        const ShareKeys keys = derive(spec);
        ShareId id{};
        ChallengeNonce nonce{};
        for (std::size_t i = 0; i < id.size(); ++i)
            id[i] = static_cast<std::uint8_t>(0xa0 + i);
        for (std::size_t i = 0; i < nonce.size(); ++i)
            nonce[i] = static_cast<std::uint8_t>(0x50 + i);
        QJsonObject o = keyJson(spec);
        o[QStringLiteral("name")] =
            spec.password ? QStringLiteral("password") : QStringLiteral("no password");
        o[QStringLiteral("shareKey")] = hex(keys.shareKey().span());
        o[QStringLiteral("streamKey")] = hex(keys.streamKey().span());
        o[QStringLiteral("metadataKey")] = hex(keys.metadataKey().span());
        o[QStringLiteral("commitKey")] = hex(keys.commitKey().span());
        o[QStringLiteral("headerMacKey")] = hex(keys.headerMacKey().span());
        o[QStringLiteral("authPublicKey")] = hex(keys.authPublicKey());
        o[QStringLiteral("shareId")] = hex(id);
        o[QStringLiteral("challengeNonce")] = hex(nonce);
        o[QStringLiteral("signature")] = hex(keys.signChallenge(id, nonce));
        o[QStringLiteral("linkPublicKey")] = hex(keys.linkPublicKey());
        o[QStringLiteral("linkSignature")] = hex(keys.signLinkChallenge(id, nonce));
        keyVectors.append(o);
    }

    // Stream --------------------------------------------------------------------------------------
    const ShareKeys plainKeys = derive(plain);
    const ShareKeys passwordKeys = derive(withPassword);
    const qsizetype multiLength = 150'000; // three chunks after padding
    const QByteArray empty = encrypt(plainKeys, {});
    const QByteArray hello = encrypt(plainKeys, pattern(5));
    const QByteArray multi = encrypt(plainKeys, pattern(multiLength));
    const QByteArray exactChunk = encrypt(plainKeys, pattern(65536 - 8));
    const QByteArray secret = encrypt(passwordKeys, pattern(40));

    QByteArray reordered = multi;
    reordered.replace(kHeader, kFrame, multi.mid(kHeader + kFrame, kFrame));
    reordered.replace(kHeader + kFrame, kFrame, multi.mid(kHeader, kFrame));
    QByteArray badMagic = hello;
    badMagic[0] = 'X';
    QByteArray newVersion = hello;
    newVersion[4] = 2;
    const qsizetype lastFrame = kHeader + 2 * kFrame;

    QJsonArray streamVectors{
        streamVector(QStringLiteral("empty payload"), QStringLiteral("success"), {}, plain, empty, 0,
                     QStringLiteral("0-byte payload, padded to the 4096-byte minimum")),
        streamVector(QStringLiteral("small payload"), QStringLiteral("success"), {}, plain, hello, 5,
                     QStringLiteral("5 bytes in one chunk")),
        streamVector(QStringLiteral("three chunks"), QStringLiteral("success"), {}, plain, multi, multiLength,
                     QStringLiteral("150000 bytes, padded to 151552, in chunks of 65536, 65536 and 20480")),
        streamVector(QStringLiteral("exactly one full chunk"), QStringLiteral("success"), {}, plain,
                     exactChunk, 65536 - 8,
                     QStringLiteral("length prefix plus payload fill one chunk exactly")),
        streamVector(QStringLiteral("password"), QStringLiteral("success"), {}, withPassword, secret, 40,
                     QStringLiteral("40 bytes under a password-hardened key (Argon2id t=3 m=64MiB p=4)")),
        streamVector(QStringLiteral("wrong password"), QStringLiteral("wrong password"),
                     QStringLiteral("stream.wrong_key"), wrongPassword, secret, -1,
                     QStringLiteral("right link secret, wrong password")),
        streamVector(QStringLiteral("wrong link secret"), QStringLiteral("wrong key"),
                     QStringLiteral("stream.wrong_key"), otherKey, hello, -1,
                     QStringLiteral("another link's secret")),
        streamVector(QStringLiteral("bad magic"), QStringLiteral("header failure"),
                     QStringLiteral("stream.bad_magic"), plain, badMagic, -1,
                     QStringLiteral("first magic byte changed")),
        streamVector(QStringLiteral("newer version"), QStringLiteral("header failure"),
                     QStringLiteral("stream.unsupported_version"), plain, newVersion, -1,
                     QStringLiteral("version byte 2")),
        streamVector(QStringLiteral("padded size altered"), QStringLiteral("header failure"),
                     QStringLiteral("stream.header_tampered"), plain, flipped(multi, 9), -1,
                     QStringLiteral("a bit of the padded-size field flipped")),
        streamVector(QStringLiteral("secretstream header altered"), QStringLiteral("header failure"),
                     QStringLiteral("stream.header_tampered"), plain, flipped(multi, 60), -1,
                     QStringLiteral("a bit of the secretstream header flipped")),
        streamVector(QStringLiteral("header MAC altered"), QStringLiteral("header failure"),
                     QStringLiteral("stream.header_tampered"), plain, flipped(multi, kHeader - 1), -1,
                     QStringLiteral("last byte of the header MAC flipped")),
        streamVector(QStringLiteral("middle chunk altered"), QStringLiteral("payload failure"),
                     QStringLiteral("stream.chunk_tampered"), plain, flipped(multi, kHeader + kFrame + 1000),
                     -1, QStringLiteral("a ciphertext bit of chunk 1 flipped")),
        streamVector(QStringLiteral("final tag altered"), QStringLiteral("payload failure"),
                     QStringLiteral("stream.chunk_tampered"), plain, flipped(multi, multi.size() - 1), -1,
                     QStringLiteral("last byte of the final chunk's MAC flipped")),
        streamVector(QStringLiteral("final chunk missing"), QStringLiteral("truncated"),
                     QStringLiteral("stream.truncated"), plain, multi.left(lastFrame), -1,
                     QStringLiteral("cut after chunk 1")),
        streamVector(QStringLiteral("cut inside the final chunk"), QStringLiteral("truncated"),
                     QStringLiteral("stream.truncated"), plain, multi.left(multi.size() - 100), -1,
                     QStringLiteral("last 100 bytes missing")),
        streamVector(QStringLiteral("cut inside the header"), QStringLiteral("truncated"),
                     QStringLiteral("stream.truncated"), plain, hello.left(50), -1,
                     QStringLiteral("only 50 header bytes")),
        streamVector(QStringLiteral("chunks swapped"), QStringLiteral("reordered"),
                     QStringLiteral("stream.reordered"), plain, reordered, -1,
                     QStringLiteral("chunks 0 and 1 exchanged")),
        streamVector(QStringLiteral("byte appended"), QStringLiteral("trailing data"),
                     QStringLiteral("stream.trailing_data"), plain, hello + QByteArray(1, '\0'), -1,
                     QStringLiteral("one zero byte after the final chunk")),
    };

    if (argc > 1) {
        QFile previous(QString::fromLocal8Bit(argv[1]));
        if (!previous.open(QIODevice::ReadOnly)) {
            std::fputs("cannot read the previous vectors\n", stderr);
            return 1;
        }
        const QJsonArray kept =
            QJsonDocument::fromJson(previous.readAll()).object()[QStringLiteral("stream")].toArray();
        if (kept.isEmpty()) {
            std::fputs("the previous vectors have no stream section\n", stderr);
            return 1;
        }
        streamVectors = kept;
    }

    // Metadata ------------------------------------------------------------------------------------
    // The metadata plaintext of SPEC.md §5.1, in the order of its fields there.
    const QByteArray note = QByteArrayLiteral(
        "{\"v\":1,\"kind\":\"files\",\"entries\":[{\"path\":\"docs\",\"type\":\"folder\"},"
        "{\"path\":\"docs/r\xc3\xa9sum\xc3\xa9.pdf\",\"type\":\"file\",\"size\":48213}],"
        "\"fileCount\":1,\"folderCount\":1,\"totalBytes\":48213,\"truncated\":false,\"note\":\"for you\"}");
    auto sealed = metadata::seal(plainKeys, ByteView(reinterpret_cast<const std::uint8_t*>(note.constData()),
                                                     static_cast<std::size_t>(note.size())));
    if (!sealed.ok())
        return 1;
    const QByteArray envelope = toQ(*sealed);
    QJsonArray metadataVectors{
        QJsonObject{{QStringLiteral("name"), QStringLiteral("sealed")},
                    {QStringLiteral("linkSecret"), keyJson(plain)[QStringLiteral("linkSecret")]},
                    {QStringLiteral("envelope"), b64(envelope)},
                    {QStringLiteral("expected"), QStringLiteral("success")},
                    {QStringLiteral("plaintext"), b64(note)}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("wrong key")},
                    {QStringLiteral("linkSecret"), keyJson(otherKey)[QStringLiteral("linkSecret")]},
                    {QStringLiteral("envelope"), b64(envelope)},
                    {QStringLiteral("expected"), QStringLiteral("wrong key")},
                    {QStringLiteral("error"), QStringLiteral("metadata.auth_failed")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("ciphertext altered")},
                    {QStringLiteral("linkSecret"), keyJson(plain)[QStringLiteral("linkSecret")]},
                    {QStringLiteral("envelope"), b64(flipped(envelope, 40))},
                    {QStringLiteral("expected"), QStringLiteral("payload failure")},
                    {QStringLiteral("error"), QStringLiteral("metadata.auth_failed")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("version changed")},
                    {QStringLiteral("linkSecret"), keyJson(plain)[QStringLiteral("linkSecret")]},
                    {QStringLiteral("envelope"), b64(flipped(envelope, 0))},
                    {QStringLiteral("expected"), QStringLiteral("header failure")},
                    {QStringLiteral("error"), QStringLiteral("metadata.unsupported_version")}},
        QJsonObject{{QStringLiteral("name"), QStringLiteral("truncated")},
                    {QStringLiteral("linkSecret"), keyJson(plain)[QStringLiteral("linkSecret")]},
                    {QStringLiteral("envelope"), b64(envelope.left(200))},
                    {QStringLiteral("expected"), QStringLiteral("truncated")},
                    {QStringLiteral("error"), QStringLiteral("metadata.truncated")}},
    };

    const QJsonObject root{
        {QStringLiteral("format"), QStringLiteral("OneTimeShare v1 (shared/SPEC.md)")},
        {QStringLiteral("generator"),
         QStringLiteral("tests/shared/gen_vectors.cpp, run once; checked in as the reference")},
        {QStringLiteral("payloadPattern"), QStringLiteral("byte i of a payload of length N is i mod 251")},
        {QStringLiteral("encoding"), QStringLiteral("linkSecret: unpadded base64url; keys, ids, salts: hex; "
                                                    "ciphertexts, envelopes, plaintexts: base64")},
        {QStringLiteral("keySchedule"), keyVectors},
        {QStringLiteral("stream"), streamVectors},
        {QStringLiteral("metadata"), metadataVectors},
    };
    // The later sections follow the older ones (which Qt writes in key order), each in its own top-level
    // member, so that adding one never moves the lines of another.
    QByteArray text = QJsonDocument(root).toJson(QJsonDocument::Indented);
    text.chop(3); // "\n}\n"
    for (const auto& [name, section] : vectors::laterSections()) {
        QByteArray body = QJsonDocument(section).toJson(QJsonDocument::Indented);
        body.chop(1);
        body.replace("\n", "\n    ");
        text += ",\n    \"" + name.toUtf8() + "\": " + body;
    }
    text += "\n}\n";
    std::fwrite(text.constData(), 1, static_cast<std::size_t>(text.size()), stdout);
    return 0;
}
