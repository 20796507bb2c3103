// The metadata envelope: round trips, padding buckets, and a distinct error for each failure.

#include "TestUtil.h"
#include "ots/Crypto.h"
#include "ots/MetadataEnvelope.h"

#include <QTest>

using namespace ots;
using namespace ots::test;

class TestMetadata : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(initialize().ok()); }

    void roundTrip_data() {
        QTest::addColumn<int>("length");
        for (int length : {0, 1, 255, 256, 257, 10000, int(format::kMaxMetadataPlainBytes)})
            QTest::newRow(qPrintable(QString::number(length))) << length;
    }

    void roundTrip() {
        QFETCH(int, length);
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray plain = pattern(length);
        auto sealed = metadata::seal(keys, view(plain));
        QVERIFY(sealed.ok());
        // Padded to the next multiple of 256 above the length: names leak only their bucket.
        const std::size_t padded = (std::size_t(length) / 256 + 1) * 256;
        QCOMPARE(sealed->size(), 1 + 24 + padded + 16);
        auto opened = metadata::open(keys, *sealed);
        QVERIFY(opened.ok());
        QCOMPARE(toQ(*opened), plain);
    }

    void freshNonceEachTime() {
        const ShareKeys keys = keysFromFreshSecret();
        auto a = metadata::seal(keys, view(QByteArrayLiteral("same")));
        auto b = metadata::seal(keys, view(QByteArrayLiteral("same")));
        QVERIFY(a.ok() && b.ok());
        QVERIFY(*a != *b);
    }

    void failures() {
        const ShareKeys keys = keysFromFreshSecret();
        auto sealed = metadata::seal(keys, view(QByteArrayLiteral("{\"files\":[]}")));
        QVERIFY(sealed.ok());
        const Bytes good = *sealed;

        QCOMPARE(metadata::open(keys, {}).code(), Errc::MetadataTruncated);
        QCOMPARE(metadata::open(keys, ByteView(good).first(good.size() - 1)).code(), Errc::MetadataTruncated);
        QCOMPARE(metadata::open(keys, ByteView(good).first(100)).code(), Errc::MetadataTruncated);
        Bytes version = good;
        version[0] = 2;
        QCOMPARE(metadata::open(keys, version).code(), Errc::MetadataUnsupportedVersion);
        for (std::size_t at = 1; at < good.size(); at += 13) {
            Bytes flipped = good;
            flipped[at] ^= 0x10;
            QCOMPARE(metadata::open(keys, flipped).code(), Errc::MetadataAuthFailed);
        }
        QCOMPARE(metadata::open(keysFromFreshSecret(), good).code(), Errc::MetadataAuthFailed);
        QCOMPARE(metadata::seal(keys, view(pattern(int(format::kMaxMetadataPlainBytes) + 1))).code(),
                 Errc::MetadataTooLarge);
        QCOMPARE(metadata::open(keys, Bytes(metadata::maxEnvelopeBytes() + 1, 1)).code(),
                 Errc::MetadataTooLarge);
    }
};

QTEST_GUILESS_MAIN(TestMetadata)
#include "tst_metadata.moc"
