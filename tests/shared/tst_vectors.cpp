// Checks the implementation against tests/data/vectors_v1.json, generated once by gen_vectors and
// checked in (see its header). Each stream and metadata vector names its expected outcome:
// success, wrong password, wrong key, header failure, payload failure, truncated, reordered,
// trailing data — and the exact error code.

#include "TestUtil.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace ots;
using namespace ots::test;

namespace {

QJsonObject loadVectors() {
    QFile file(QStringLiteral(OTS_TEST_DATA_DIR "/vectors_v1.json"));
    if (!file.open(QIODevice::ReadOnly))
        qFatal("cannot open vectors_v1.json");
    return QJsonDocument::fromJson(file.readAll()).object();
}

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
