// Checks the implementation against tests/data/vectors_v1.json, generated once by gen_vectors and
// checked in (see its header). Each stream and metadata vector names its expected outcome:
// success, wrong password, wrong key, header failure, payload failure, truncated, reordered,
// trailing data — and the exact error code.

#include "TestUtil.h"
#include "VectorUtil.h"
#include "ots/Base64Url.h"
#include "ots/Container.h"
#include "ots/ContainerParser.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"
#include "ots/Padding.h"
#include "ots/ShareLink.h"
#include "ots/StreamEncryptor.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTest>

using namespace ots;
using namespace ots::test;

namespace {

QByteArray fromHex(const QJsonValue& v) {
    return QByteArray::fromHex(v.toString().toLatin1());
}
QByteArray fromB64(const QJsonValue& v) {
    return QByteArray::fromBase64(v.toString().toLatin1());
}

Result<ShareKeys> keysOf(const QJsonObject& o) {
    auto secret = base64url::decodeSecret(o[QStringLiteral("linkSecret")].toString().toStdString(),
                                          format::kLinkSecretBytes);
    if (!secret.ok())
        return secret.error();
    if (!o.contains(QStringLiteral("password")))
        return ShareKeys::fromLinkSecret(*secret);
    const QJsonObject a = o[QStringLiteral("argon2")].toObject();
    Argon2Params params;
    params.iterations = static_cast<std::uint32_t>(a[QStringLiteral("iterations")].toInteger());
    params.memoryKiB = static_cast<std::uint32_t>(a[QStringLiteral("memoryKiB")].toInteger());
    params.parallelism = static_cast<std::uint32_t>(a[QStringLiteral("parallelism")].toInteger());
    const QByteArray salt = fromHex(a[QStringLiteral("salt")]);
    if (salt.size() != static_cast<qsizetype>(params.salt.size()))
        return Errc::InvalidArgument;
    std::memcpy(params.salt.data(), salt.constData(), params.salt.size());
    return ShareKeys::fromPassword(*secret, o[QStringLiteral("password")].toString().toStdString(), params);
}

QByteArray hexOf(ByteView bytes) {
    return toQ(bytes).toHex();
}

template <typename T>
QString outcomeOf(const Result<T>& result) {
    return result.ok() ? QStringLiteral("ok") : outcomeName(result.code());
}

// Every error name of the shared library, for matching names in SPEC.md and in the vectors.
QSet<QString> allErrorNames() {
    QSet<QString> names;
    for (int code = 1; code <= static_cast<int>(Errc::IoCommitFailed); ++code)
        names.insert(outcomeName(static_cast<Errc>(code)));
    return names;
}

// The "generate" form of a container vector: folders named 0, 1, 2, ... (see its rule text).
QByteArray generatedFolders(qint64 count) {
    QByteArray out = toQ(container::encodeHeader());
    for (qint64 i = 0; i < count; ++i) {
        const ContainerEntry entry{EntryType::Directory, std::to_string(i), 0755, 0, 0};
        out += toQ(container::encodeEntry(entry));
    }
    return out + toQ(container::encodeEnd());
}

} // namespace

class TestVectors : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        m_root = loadVectors();
        QVERIFY(!m_root.isEmpty());
    }

    void keySchedule_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("keySchedule")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void keySchedule() {
        QFETCH(QJsonObject, vector);
        auto keys = keysOf(vector);
        QVERIFY(keys.ok());
        QCOMPARE(hexOf(keys->shareKey().span()), vector[QStringLiteral("shareKey")].toString().toLatin1());
        QCOMPARE(hexOf(keys->streamKey().span()), vector[QStringLiteral("streamKey")].toString().toLatin1());
        QCOMPARE(hexOf(keys->metadataKey().span()),
                 vector[QStringLiteral("metadataKey")].toString().toLatin1());
        QCOMPARE(hexOf(keys->commitKey().span()), vector[QStringLiteral("commitKey")].toString().toLatin1());
        QCOMPARE(hexOf(keys->headerMacKey().span()),
                 vector[QStringLiteral("headerMacKey")].toString().toLatin1());
        QCOMPARE(hexOf(keys->authPublicKey()), vector[QStringLiteral("authPublicKey")].toString().toLatin1());

        ShareId id{};
        ChallengeNonce nonce{};
        const QByteArray idBytes = fromHex(vector[QStringLiteral("shareId")]);
        const QByteArray nonceBytes = fromHex(vector[QStringLiteral("challengeNonce")]);
        QCOMPARE(idBytes.size(), qsizetype(id.size()));
        QCOMPARE(nonceBytes.size(), qsizetype(nonce.size()));
        std::memcpy(id.data(), idBytes.constData(), id.size());
        std::memcpy(nonce.data(), nonceBytes.constData(), nonce.size());
        const Signature signature = keys->signChallenge(id, nonce);
        QCOMPARE(hexOf(signature), vector[QStringLiteral("signature")].toString().toLatin1());
        QVERIFY(verifyDownloadProof(keys->authPublicKey(), id, nonce, signature));

        // The link key comes from S alone: the same for a share with and without a password on one S.
        QCOMPARE(hexOf(keys->linkPublicKey()), vector[QStringLiteral("linkPublicKey")].toString().toLatin1());
        const Signature linkSignature = keys->signLinkChallenge(id, nonce);
        QCOMPARE(hexOf(linkSignature), vector[QStringLiteral("linkSignature")].toString().toLatin1());
        QVERIFY(verifyLinkProof(keys->linkPublicKey(), id, nonce, linkSignature));
        QVERIFY(!verifyLinkProof(keys->authPublicKey(), id, nonce, linkSignature));
        QVERIFY(!verifyDownloadProof(keys->linkPublicKey(), id, nonce, linkSignature));
    }

    void stream_data() {
        QTest::addColumn<QJsonObject>("vector");
        QTest::addColumn<int>("pieceSize");
        for (const QJsonValue& v : m_root[QStringLiteral("stream")].toArray()) {
            const QString name = v[QStringLiteral("name")].toString();
            // Whole, in odd pieces, and byte by byte for the small ones: framing must not depend on how
            // the bytes arrive.
            QTest::newRow(qPrintable(name + QStringLiteral(" / whole"))) << v.toObject() << 0;
            QTest::newRow(qPrintable(name + QStringLiteral(" / 997-byte pieces"))) << v.toObject() << 997;
            if (fromB64(v[QStringLiteral("ciphertext")]).size() < 20000)
                QTest::newRow(qPrintable(name + QStringLiteral(" / bytewise"))) << v.toObject() << 1;
        }
    }

    void stream() {
        QFETCH(QJsonObject, vector);
        QFETCH(int, pieceSize);
        const QString expected = vector[QStringLiteral("expected")].toString();
        auto keys = keysOf(vector);
        QVERIFY(keys.ok());
        const Decrypted result = decrypt(*keys, fromB64(vector[QStringLiteral("ciphertext")]), pieceSize);
        if (expected == QLatin1String("success")) {
            QVERIFY2(result.status.ok(), describe(result.status.error()).c_str());
            QCOMPARE(result.payload, pattern(vector[QStringLiteral("payloadPatternLength")].toInteger()));
            return;
        }
        QVERIFY(!result.status.ok());
        QCOMPARE(QString::fromLatin1(errorName(result.status.code()).data()),
                 vector[QStringLiteral("error")].toString());
    }

    void metadata_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("metadata")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void metadata() {
        QFETCH(QJsonObject, vector);
        auto keys = keysOf(vector);
        QVERIFY(keys.ok());
        const QByteArray envelope = fromB64(vector[QStringLiteral("envelope")]);
        auto opened = metadata::open(*keys, view(envelope));
        if (vector[QStringLiteral("expected")].toString() == QLatin1String("success")) {
            QVERIFY(opened.ok());
            QCOMPARE(toQ(*opened), fromB64(vector[QStringLiteral("plaintext")]));
            return;
        }
        QVERIFY(!opened.ok());
        QCOMPARE(QString::fromLatin1(errorName(opened.code()).data()),
                 vector[QStringLiteral("error")].toString());
    }

    // --- the later sections (links, containers, padme, kdfLimits, metadataEnvelopes, streamMalformed) ---

    void linksValid_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("links")][QStringLiteral("valid")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void linksValid() {
        QFETCH(QJsonObject, vector);
        const auto link = ShareLink::parse(vector[QStringLiteral("input")].toString().toStdString());
        QVERIFY2(link.ok(), errorName(link.code()).data());
        const QString transport = link->transport() == ShareLink::Transport::Http ? QStringLiteral("http")
                                                                                  : QStringLiteral("https");
        QCOMPARE(transport, vector[QStringLiteral("transport")].toString());
        QCOMPARE(QString::fromStdString(link->host()), vector[QStringLiteral("host")].toString());
        QCOMPARE(int(link->port()), vector[QStringLiteral("port")].toInt());
        QCOMPARE(QString::fromStdString(link->shareIdText()), vector[QStringLiteral("shareId")].toString());
        QCOMPARE(QString::fromStdString(base64url::encode(link->secret().span())),
                 vector[QStringLiteral("secret")].toString());
        QCOMPARE(QString::fromStdString(link->toWebUrl()), vector[QStringLiteral("webUrl")].toString());
        QCOMPARE(QString::fromStdString(link->toAppUrl()), vector[QStringLiteral("appUrl")].toString());
        QCOMPARE(QString::fromStdString(link->relayBaseUrl()),
                 vector[QStringLiteral("relayBaseUrl")].toString());
    }

    void linksInvalid_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("links")][QStringLiteral("invalid")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void linksInvalid() {
        QFETCH(QJsonObject, vector);
        const auto link = ShareLink::parse(vector[QStringLiteral("input")].toString().toStdString());
        QCOMPARE(outcomeOf(link), vector[QStringLiteral("error")].toString());
    }

    void containers_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("containers")][QStringLiteral("cases")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void containers() {
        QFETCH(QJsonObject, vector);
        const QJsonObject generate = vector[QStringLiteral("generate")].toObject();
        const QByteArray bytes = generate.isEmpty()
                                     ? fromB64(vector[QStringLiteral("bytes")])
                                     : generatedFolders(generate[QStringLiteral("folders")].toInteger());
        const QString rules = vector[QStringLiteral("rules")].toString();
        QVERIFY(rules == QLatin1String("posix") || rules == QLatin1String("windows"));
        EntryLog log;
        ContainerParser parser(log,
                               rules == QLatin1String("windows") ? PathRules::Windows : PathRules::Posix);
        Status status = parser.push(view(bytes));
        if (status.ok())
            status = parser.finish();
        QCOMPARE(status.ok() ? QStringLiteral("ok") : outcomeName(status.code()),
                 vector[QStringLiteral("expected")].toString());
        if (status.ok())
            QCOMPARE(log.entries(), vector[QStringLiteral("entries")].toArray());
    }

    void padme() {
        const QJsonObject section = m_root[QStringLiteral("padme")].toObject();
        QVERIFY(!section.isEmpty());
        for (const QJsonValue& v : section[QStringLiteral("padme")].toArray()) {
            const auto x = static_cast<std::uint64_t>(v[QStringLiteral("x")].toInteger());
            QCOMPARE(padding::padme(x), static_cast<std::uint64_t>(v[QStringLiteral("padme")].toInteger()));
        }
        for (const QJsonValue& v : section[QStringLiteral("sizes")].toArray()) {
            const auto length = static_cast<std::uint64_t>(v[QStringLiteral("payloadLength")].toInteger());
            const auto ciphertext =
                static_cast<std::uint64_t>(v[QStringLiteral("ciphertextSize")].toInteger());
            QCOMPARE(padding::paddedSize(length),
                     static_cast<std::uint64_t>(v[QStringLiteral("paddedSize")].toInteger()));
            QCOMPARE(StreamEncryptor::ciphertextSize(length), ciphertext);
            QVERIFY(StreamEncryptor::isValidCiphertextSize(ciphertext));
        }
        for (const QJsonValue& v : section[QStringLiteral("invalidCiphertextSizes")].toArray())
            QVERIFY(!StreamEncryptor::isValidCiphertextSize(static_cast<std::uint64_t>(v.toInteger())));
    }

    void kdfLimits_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v : m_root[QStringLiteral("kdfLimits")][QStringLiteral("cases")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void kdfLimits() {
        QFETCH(QJsonObject, vector);
        Argon2Params params;
        params.iterations = static_cast<std::uint32_t>(vector[QStringLiteral("iterations")].toInteger());
        params.memoryKiB = static_cast<std::uint32_t>(vector[QStringLiteral("memoryKiB")].toInteger());
        params.parallelism = static_cast<std::uint32_t>(vector[QStringLiteral("parallelism")].toInteger());
        const auto passwordBytes =
            static_cast<std::size_t>(vector[QStringLiteral("passwordBytes")].toInteger());
        const QString expected = vector[QStringLiteral("expected")].toString();
        if (expected == QLatin1String("ok")) {
            // Argon2id is not run: the ceiling would need 4 GiB.
            QVERIFY(params.validate().ok());
            QVERIFY(passwordBytes >= 1 && passwordBytes <= format::kMaxPasswordBytes);
            return;
        }
        // Every refusal comes before Argon2id runs.
        const auto keys =
            ShareKeys::fromPassword(generateLinkSecret(), std::string(passwordBytes, 'a'), params);
        QCOMPARE(outcomeOf(keys), expected);
    }

    void metadataEnvelopes_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v :
             m_root[QStringLiteral("metadataEnvelopes")][QStringLiteral("cases")].toArray())
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void metadataEnvelopes() {
        QFETCH(QJsonObject, vector);
        auto keys = keysOf(vector);
        QVERIFY(keys.ok());
        QByteArray envelope = fromB64(vector[QStringLiteral("envelope")]);
        const QJsonObject fill = vector[QStringLiteral("envelopeFill")].toObject();
        if (!fill.isEmpty()) {
            envelope = QByteArray(fill[QStringLiteral("length")].toInteger(), '\0');
            envelope[0] = static_cast<char>(fill[QStringLiteral("firstByte")].toInt());
        }
        const auto opened = metadata::open(*keys, view(envelope));
        QCOMPARE(outcomeOf(opened), vector[QStringLiteral("expected")].toString());
        if (opened.ok())
            QCOMPARE(toQ(*opened), fromB64(vector[QStringLiteral("plaintext")]));
    }

    void streamMalformed_data() {
        QTest::addColumn<QJsonObject>("vector");
        for (const QJsonValue& v :
             m_root[QStringLiteral("streamMalformed")][QStringLiteral("cases")].toArray()) {
            const QString name = v[QStringLiteral("name")].toString();
            QTest::newRow(qPrintable(name)) << v.toObject();
        }
    }

    void streamMalformed() {
        QFETCH(QJsonObject, vector);
        auto keys = keysOf(vector);
        QVERIFY(keys.ok());
        const QByteArray ciphertext = fromB64(vector[QStringLiteral("ciphertext")]);
        for (const int pieceSize : {0, 997}) {
            const Decrypted result = decrypt(*keys, ciphertext, pieceSize);
            if (vector[QStringLiteral("expected")].toString() == QLatin1String("success")) {
                QVERIFY2(result.status.ok(), describe(result.status.error()).c_str());
                QCOMPARE(result.payload, pattern(vector[QStringLiteral("payloadPatternLength")].toInteger()));
                continue;
            }
            QVERIFY(!result.status.ok());
            QCOMPARE(outcomeName(result.status.code()), vector[QStringLiteral("error")].toString());
        }
    }

    // Every error name SPEC.md gives has a vector, except those about the local machine, which no
    // input data can produce: io.* (the file system) and crypto.* (start-up state).
    void everySpecErrorHasAVector() {
        QFile spec(QStringLiteral(OTS_TEST_DATA_DIR "/../../shared/SPEC.md"));
        QVERIFY(spec.open(QIODevice::ReadOnly));
        const QString specText = QString::fromUtf8(spec.readAll());
        const QSet<QString> known = allErrorNames();
        QSet<QString> named;
        const QRegularExpression backticked(QStringLiteral("`([a-z_0-9.]+)`"));
        for (auto it = backticked.globalMatch(specText); it.hasNext();) {
            const QString name = it.next().captured(1);
            if (known.contains(name))
                named.insert(name);
        }
        QVERIFY(named.size() > 50);

        QSet<QString> inVectors;
        const QString file = QString::fromUtf8(QJsonDocument(m_root).toJson());
        const QRegularExpression quoted(QStringLiteral("\"([a-z_0-9.]+)\""));
        for (auto it = quoted.globalMatch(file); it.hasNext();)
            inVectors.insert(it.next().captured(1));
        QStringList missing;
        for (const QString& name : std::as_const(named)) {
            if (!name.startsWith(QLatin1String("io.")) && !name.startsWith(QLatin1String("crypto.")) &&
                !inVectors.contains(name))
                missing.append(name);
        }
        missing.sort();
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1Char(' '))));
    }

    // Every outcome the issue names is represented at least once.
    void outcomesCovered() {
        QSet<QString> outcomes;
        for (const QJsonValue& v : m_root[QStringLiteral("stream")].toArray())
            outcomes.insert(v[QStringLiteral("expected")].toString());
        for (const char* required : {"success", "wrong password", "wrong key", "header failure",
                                     "payload failure", "truncated", "reordered", "trailing data"})
            QVERIFY2(outcomes.contains(QString::fromLatin1(required)), required);
    }

private:
    QJsonObject m_root;
};

QTEST_GUILESS_MAIN(TestVectors)
#include "tst_vectors.moc"
