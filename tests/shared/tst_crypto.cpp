// Start-up self-tests, secure memory, base64url and padding: the primitives under everything else.

#include "TestUtil.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/Padding.h"
#include "ots/SecretBuffer.h"

#include <QTest>

using namespace ots;
using namespace ots::test;

class TestCrypto : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void refusesBeforeInitialize() {
        // Runs first: nothing may derive keys or encrypt before the self-tests passed.
        QVERIFY(!isInitialized());
        auto keys = ShareKeys::fromLinkSecret(SecretBuffer(32));
        QCOMPARE(keys.code(), Errc::NotInitialized);
    }

    void initializeRunsSelfTests() {
        QVERIFY(initialize().ok());
        QVERIFY(isInitialized());
        QVERIFY(initialize().ok()); // idempotent
    }

    void knownAnswers_data() {
        QTest::addColumn<int>("which");
        QTest::newRow("BLAKE2b-512 (RFC 7693 App. A)") << 0;
        QTest::newRow("XChaCha20-Poly1305 (draft-irtf-cfrg-xchacha-03 A.3.1)") << 1;
        QTest::newRow("Ed25519 (RFC 8032 7.1 test 1)") << 2;
        QTest::newRow("Argon2id (RFC 9106 5.3)") << 3;
        QTest::newRow("crypto_kdf (independent BLAKE2b computation)") << 4;
        QTest::newRow("secretstream properties") << 5;
    }

    void knownAnswers() {
        QFETCH(int, which);
        const bool passed = which == 0   ? selftest::blake2b()
                            : which == 1 ? selftest::xchacha20poly1305()
                            : which == 2 ? selftest::ed25519()
                            : which == 3 ? selftest::argon2id()
                            : which == 4 ? selftest::kdf()
                                         : selftest::secretstream();
        QVERIFY(passed);
    }

    void secretBufferIsMoveOnlyAndZeroedOnMove() {
        SecretBuffer a = SecretBuffer::fromBytes(view(QByteArrayLiteral("key material")));
        QCOMPARE(a.size(), std::size_t{12});
        SecretBuffer b = std::move(a);
        QVERIFY(a.empty()); // NOLINT(bugprone-use-after-move): the moved-from state is specified
        QCOMPARE(a.data(), nullptr);
        QVERIFY(b.equals(view(QByteArrayLiteral("key material"))));
        QVERIFY(!b.equals(view(QByteArrayLiteral("key materiaL"))));
        QVERIFY(!b.equals(view(QByteArrayLiteral("key"))));
        SecretBuffer c = b.clone();
        QVERIFY(c.data() != b.data());
        QVERIFY(c.equals(b.span()));
        static_assert(!std::is_copy_constructible_v<SecretBuffer>);
        static_assert(!std::is_copy_assignable_v<SecretBuffer>);
    }

    void base64url_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("bytes");
        QTest::addColumn<bool>("valid");
        QTest::newRow("16 bytes canonical") << QStringLiteral("AAECAwQFBgcICQoLDA0ODw") << 16 << true;
        QTest::newRow("non-canonical last char") << QStringLiteral("AAECAwQFBgcICQoLDA0ODx") << 16 << false;
        QTest::newRow("padding") << QStringLiteral("AAECAwQFBgcICQoLDA0ODw==") << 16 << false;
        QTest::newRow("standard alphabet +") << QStringLiteral("AAECAwQFBgcICQoLDA0O+w") << 16 << false;
        QTest::newRow("standard alphabet /") << QStringLiteral("AAECAwQFBgcICQoLDA0O/w") << 16 << false;
        QTest::newRow("too short") << QStringLiteral("AAECAwQFBgcICQoLDA0OD") << 16 << false;
        QTest::newRow("too long") << QStringLiteral("AAECAwQFBgcICQoLDA0ODwA") << 16 << false;
        QTest::newRow("whitespace") << QStringLiteral("AAECAwQFBgcICQoLDA0 Dw") << 16 << false;
        QTest::newRow("url-safe chars") << QStringLiteral("-_-_-_-_-_-_-_-_-_-_-w") << 16 << true;
    }

    void base64url() {
        QFETCH(QString, text);
        QFETCH(int, bytes);
        QFETCH(bool, valid);
        auto decoded = base64url::decode(text.toStdString(), static_cast<std::size_t>(bytes));
        QCOMPARE(decoded.ok(), valid);
        if (valid)
            QCOMPARE(QString::fromStdString(base64url::encode(*decoded)), text);
        auto secret = base64url::decodeSecret(text.toStdString(), static_cast<std::size_t>(bytes));
        QCOMPARE(secret.ok(), valid);
    }

    void padme_data() {
        QTest::addColumn<quint64>("length");
        QTest::addColumn<quint64>("padded");
        // Values from the Padmé paper's definition: keep floor(log2 E)+1 significant bits of L.
        QTest::newRow("0") << quint64(0) << quint64(0);
        QTest::newRow("1") << quint64(1) << quint64(1);
        QTest::newRow("9") << quint64(9) << quint64(10);
        QTest::newRow("1000") << quint64(1000) << quint64(1024);
        QTest::newRow("4104") << quint64(4104) << quint64(4352);
        QTest::newRow("150008") << quint64(150008) << quint64(151552);
        QTest::newRow("2^30 + 1") << quint64((1u << 30) + 1) << quint64((1u << 30) + (1u << 25));
    }

    void padme() {
        QFETCH(quint64, length);
        QFETCH(quint64, padded);
        QCOMPARE(padding::padme(length), padded);
    }

    void paddingProperties() {
        // Monotone, never shrinks, at most ~12 % overhead, and a floor of 4096 for short secrets.
        std::uint64_t previous = 0;
        for (std::uint64_t l = 0; l < 300000; l += 37) {
            const std::uint64_t p = padding::paddedSize(l);
            QVERIFY(p >= l + format::kLengthPrefixBytes);
            QVERIFY(p >= format::kMinPaddedBytes);
            QVERIFY(p >= previous);
            QVERIFY(p <= std::max<std::uint64_t>(4096, (l + 8) + (l + 8) / 8));
            previous = p;
        }
        QCOMPARE(padding::paddedSize(0), padding::paddedSize(40)); // short secrets look alike
    }

    void errorTextsComplete() {
        for (int code = 1; code <= static_cast<int>(Errc::IoCommitFailed); ++code) {
            const auto errc = static_cast<Errc>(code);
            QVERIFY2(errorName(errc) != "unknown", qPrintable(QString::number(code)));
            QVERIFY(!errorMessage(errc).empty());
        }
    }
};

QTEST_GUILESS_MAIN(TestCrypto)
#include "tst_crypto.moc"
