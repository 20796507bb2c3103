// Generated passphrases (shape, alphabet, uniqueness, no bias worth noticing) and the password
// strength estimate the GUI shows next to a password field.

#include "ots/Crypto.h"
#include "ots/client/Passphrase.h"

#include <QSet>
#include <QTest>

using namespace ots::client;

class PassphraseTest : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(ots::initialize().ok()); }

    void alphabetHasNoLookAlikes() {
        const QString alphabet = passphraseAlphabet();
        QCOMPARE(alphabet.size(), 32);
        QCOMPARE(QSet<QChar>(alphabet.begin(), alphabet.end()).size(), 32);
        for (const QChar lookAlike : QStringLiteral("01loIO"))
            QVERIFY2(!alphabet.contains(lookAlike), qPrintable(QString(lookAlike)));
    }

    void shapeAndUniqueness() {
        QSet<QString> seen;
        std::array<int, 32> counts{};
        const QString alphabet = passphraseAlphabet();
        for (int i = 0; i < 2000; ++i) {
            const QString passphrase = generatePassphrase();
            QCOMPARE(passphrase.size(), 35);
            QVERIFY2(looksGenerated(passphrase), qPrintable(passphrase));
            QVERIFY(!seen.contains(passphrase));
            seen.insert(passphrase);
            for (const QChar c : passphrase)
                if (c != QLatin1Char('-'))
                    ++counts[static_cast<std::size_t>(alphabet.indexOf(c))];
        }
        // 60 000 characters over 32 letters: 1875 each on average; a biased generator would be far off.
        for (const int count : counts)
            QVERIFY2(count > 1600 && count < 2150, qPrintable(QString::number(count)));
    }

    void looksGeneratedIsStrict() {
        QVERIFY(!looksGenerated(QString()));
        QVERIFY(!looksGenerated(QStringLiteral("abcde-abcde-abcde-abcde-abcde")));
        QVERIFY(!looksGenerated(QStringLiteral("abcde-abcde-abcde-abcde-abcde-abcd0")));
        QVERIFY(!looksGenerated(QStringLiteral("ABCDE-abcde-abcde-abcde-abcde-abcde")));
        QVERIFY(looksGenerated(QStringLiteral("abcde-fghij-kmnpq-rstuv-wxyz2-34567")));
    }

    void strength_data() {
        QTest::addColumn<QString>("password");
        QTest::addColumn<PasswordStrength>("expected");
        QTest::newRow("empty") << QString() << PasswordStrength::Empty;
        QTest::newRow("common") << QStringLiteral("Password") << PasswordStrength::Weak;
        QTest::newRow("repeated") << QStringLiteral("aaaaaaaaaaaaaaaaaaaa") << PasswordStrength::Weak;
        QTest::newRow("run") << QStringLiteral("abcdefghijklmnop") << PasswordStrength::Weak;
        QTest::newRow("short") << QStringLiteral("x7#k") << PasswordStrength::Weak;
        QTest::newRow("fair") << QStringLiteral("tiger7rum") << PasswordStrength::Fair;
        QTest::newRow("good") << QStringLiteral("Kx9#mQ2$vL7p") << PasswordStrength::Good;
        QTest::newRow("strong") << QStringLiteral("correct horse battery staple 42!")
                                << PasswordStrength::Strong;
        QTest::newRow("generated") << generatePassphrase() << PasswordStrength::Strong;
    }
    void strength() {
        QFETCH(QString, password);
        QFETCH(PasswordStrength, expected);
        QCOMPARE(passwordStrength(password), expected);
        QVERIFY(!passwordStrengthName(expected).isEmpty());
    }

    void generatedCountsFullBits() { QCOMPARE(estimatePasswordBits(generatePassphrase()), 150.0); }
};

QTEST_GUILESS_MAIN(PassphraseTest)
#include "tst_passphrase.moc"
