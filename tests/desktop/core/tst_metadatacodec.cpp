// MetadataCodec against SPEC.md §5.1. The cases live in tests/data/vectors_v1.json
// ("metadataPlaintext", written by tests/shared/gen_vectors.cpp), so a browser client checks the
// same documents; each names its expected outcome ("ok" or an error name).

#include "MetadataCodec.h"
#include "VectorUtil.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace ots;
using namespace ots::client;
using ots::test::loadVectors;

class TestMetadataCodec : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        m_root = loadVectors();
        QVERIFY(!m_root.isEmpty());
    }

    void vectors_data() {
        QTest::addColumn<QJsonObject>("vector");
        const QJsonArray cases =
            m_root[QStringLiteral("metadataPlaintext")][QStringLiteral("cases")].toArray();
        QVERIFY(!cases.isEmpty());
        for (const QJsonValue& v : cases)
            QTest::newRow(qPrintable(v[QStringLiteral("name")].toString())) << v.toObject();
    }

    void vectors() {
        QFETCH(QJsonObject, vector);
        const QByteArray json = vector[QStringLiteral("json")].toString().toUtf8();
        const QString expected = vector[QStringLiteral("expected")].toString();
        const Outcome<ShareMetadata> decoded = MetadataCodec::decode(json);
        if (expected == QLatin1String("ok")) {
            QVERIFY2(decoded.ok(), qPrintable(decoded.error().message));
            return;
        }
        QVERIFY(!decoded.ok());
        QCOMPARE(decoded.error().code, expected);
    }

    // The plaintext sealed in the "metadata" vectors follows the §5.1 layout.
    void sealedVectorPlaintextDecodes() {
        const QJsonObject sealed = m_root[QStringLiteral("metadata")].toArray().at(0).toObject();
        const QByteArray plaintext =
            QByteArray::fromBase64(sealed[QStringLiteral("plaintext")].toString().toLatin1());
        const Outcome<ShareMetadata> decoded = MetadataCodec::decode(plaintext);
        QVERIFY2(decoded.ok(), qPrintable(decoded.error().message));
        QVERIFY(!decoded.value().isText);
        QCOMPARE(decoded.value().entries.size(), 2);
    }

    // What a sender writes, a receiver reads back: files and text, at the integer limits.
    void roundTrip() {
        ShareMetadata files;
        files.entries = {{QStringLiteral("photos/beach.jpg"), 9007199254740991ULL, false},
                         {QStringLiteral("photos"), 0, true}};
        files.fileCount = 1000000;
        files.folderCount = 1;
        files.totalBytes = 9007199254740991ULL;
        files.note = QStringLiteral("n\u00f6te");
        const Outcome<ShareMetadata> back = MetadataCodec::decode(MetadataCodec::encode(files));
        QVERIFY2(back.ok(), qPrintable(back.error().message));
        QCOMPARE(back.value().entries.size(), 2);
        QCOMPARE(back.value().entries[0].size, 9007199254740991ULL);
        QCOMPARE(back.value().fileCount, 1000000);
        QCOMPARE(back.value().totalBytes, 9007199254740991ULL);
        QCOMPARE(back.value().note, files.note);

        const ShareMetadata text =
            MetadataCodec::describe({ContainerEntry{EntryType::File, "message.txt", 0600, 42, 0}}, true, {});
        const Outcome<ShareMetadata> textBack = MetadataCodec::decode(MetadataCodec::encode(text));
        QVERIFY2(textBack.ok(), qPrintable(textBack.error().message));
        QVERIFY(textBack.value().isText);
    }

private:
    QJsonObject m_root;
};

QTEST_GUILESS_MAIN(TestMetadataCodec)
#include "tst_metadatacodec.moc"
