// Key schedule and download proof: determinism, separation of keys, parameter floor and ceiling, and
// that a proof binds the key, the share id and the nonce.

#include "TestUtil.h"
#include "ots/Crypto.h"

#include <QTest>

using namespace ots;
using namespace ots::test;

namespace {
Argon2Params fastestAllowed() {
    Argon2Params p = Argon2Params::withRandomSalt();
    p.iterations = format::kArgonMinIterations;
    p.memoryKiB = format::kArgonMinMemoryKiB;
    p.parallelism = format::kArgonDefaultParallelism;
    return p;
}
} // namespace

class TestKeySchedule : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(initialize().ok()); }

    void subkeysAreDistinct() {
        const ShareKeys keys = keysFromFreshSecret();
        const QList<QByteArray> all{toQ(keys.shareKey().span()),     toQ(keys.streamKey().span()),
                                    toQ(keys.metadataKey().span()),  toQ(keys.commitKey().span()),
                                    toQ(keys.headerMacKey().span()), toQ(keys.authPublicKey())};
        for (qsizetype i = 0; i < all.size(); ++i) {
            QCOMPARE(all[i].size(), qsizetype(32));
            for (qsizetype j = i + 1; j < all.size(); ++j)
                QVERIFY(all[i] != all[j]);
        }
    }

    void withoutPasswordKeyIsSecret() {
        const SecretBuffer secret = generateLinkSecret();
        auto keys = ShareKeys::fromLinkSecret(secret);
        QVERIFY(keys.ok());
        QVERIFY(keys->shareKey().equals(secret.span()));
        QCOMPARE(ShareKeys::fromLinkSecret(SecretBuffer(31)).code(), Errc::InvalidArgument);
    }

    void passwordChangesEverything() {
        const SecretBuffer secret = generateLinkSecret();
        const Argon2Params params = fastestAllowed();
        auto a = ShareKeys::fromPassword(secret, "hunter2 but longer", params);
        auto again = ShareKeys::fromPassword(secret, "hunter2 but longer", params);
        auto other = ShareKeys::fromPassword(secret, "hunter3 but longer", params);
        auto noPassword = ShareKeys::fromLinkSecret(secret);
        QVERIFY(a.ok() && again.ok() && other.ok() && noPassword.ok());
        QVERIFY(a->shareKey().equals(again->shareKey().span()));
        QVERIFY(!a->shareKey().equals(other->shareKey().span()));
        QVERIFY(!a->shareKey().equals(noPassword->shareKey().span()));

        Argon2Params otherSalt = params;
        otherSalt.salt[0] ^= 1;
        auto salted = ShareKeys::fromPassword(secret, "hunter2 but longer", otherSalt);
        QVERIFY(salted.ok());
        QVERIFY(!a->shareKey().equals(salted->shareKey().span()));

        // The same password with another link secret gives an unrelated key: the password alone is useless.
        auto otherLink = ShareKeys::fromPassword(generateLinkSecret(), "hunter2 but longer", params);
        QVERIFY(otherLink.ok());
        QVERIFY(!a->shareKey().equals(otherLink->shareKey().span()));
    }

    void parameterLimits_data() {
        QTest::addColumn<quint32>("iterations");
        QTest::addColumn<quint32>("memoryKiB");
        QTest::addColumn<quint32>("parallelism");
        QTest::addColumn<int>("expected");
        const auto ok = static_cast<int>(Errc::None);
        const auto weak = static_cast<int>(Errc::KdfParamsTooWeak);
        const auto costly = static_cast<int>(Errc::KdfParamsTooCostly);
        QTest::newRow("defaults") << 3u << 65536u << 4u << ok;
        QTest::newRow("t below floor") << 2u << 65536u << 4u << weak;
        QTest::newRow("m below floor") << 3u << 65535u << 4u << weak;
        QTest::newRow("p zero") << 3u << 65536u << 0u << weak;
        QTest::newRow("t above ceiling") << 65u << 65536u << 4u << costly;
        QTest::newRow("m above ceiling") << 3u << 4u * 1024 * 1024 + 1 << 4u << costly;
        QTest::newRow("p above ceiling") << 3u << 65536u << 65u << costly;
    }

    void parameterLimits() {
        QFETCH(quint32, iterations);
        QFETCH(quint32, memoryKiB);
        QFETCH(quint32, parallelism);
        QFETCH(int, expected);
        Argon2Params params = Argon2Params::withRandomSalt();
        params.iterations = iterations;
        params.memoryKiB = memoryKiB;
        params.parallelism = parallelism;
        QCOMPARE(static_cast<int>(params.validate().code()), expected);
        if (expected != static_cast<int>(Errc::None)) // refused before any hashing
            QCOMPARE(static_cast<int>(ShareKeys::fromPassword(generateLinkSecret(), "pw", params).code()),
                     expected);
    }

    void emptyPasswordRefused() {
        QCOMPARE(ShareKeys::fromPassword(generateLinkSecret(), "", fastestAllowed()).code(),
                 Errc::PasswordEmpty);
    }

    void randomSaltsDiffer() {
        QVERIFY(Argon2Params::withRandomSalt().salt != Argon2Params::withRandomSalt().salt);
        const Argon2Params d;
        QCOMPARE(d.iterations, 3u);
        QCOMPARE(d.memoryKiB, 65536u);
        QCOMPARE(d.parallelism, 4u);
    }

    void proofBindsKeyIdAndNonce() {
        const ShareKeys keys = keysFromFreshSecret();
        const ShareKeys other = keysFromFreshSecret();
        ShareId id{};
        ChallengeNonce nonce{};
        randomBytes(id);
        randomBytes(nonce);
        const Signature sig = keys.signChallenge(id, nonce);
        QVERIFY(verifyDownloadProof(keys.authPublicKey(), id, nonce, sig));
        QVERIFY(!verifyDownloadProof(other.authPublicKey(), id, nonce, sig));

        ShareId otherId = id;
        otherId[15] ^= 1;
        QVERIFY(!verifyDownloadProof(keys.authPublicKey(), otherId, nonce, sig));
        ChallengeNonce otherNonce = nonce;
        otherNonce[0] ^= 0x80;
        QVERIFY(!verifyDownloadProof(keys.authPublicKey(), id, otherNonce, sig));
        for (std::size_t i = 0; i < sig.size(); i += 7) {
            Signature bad = sig;
            bad[i] ^= 1;
            QVERIFY(!verifyDownloadProof(keys.authPublicKey(), id, nonce, bad));
        }
    }
};

QTEST_GUILESS_MAIN(TestKeySchedule)
#include "tst_keyschedule.moc"
