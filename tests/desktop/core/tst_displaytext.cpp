// client::visibleText: what the GUI and `ots` show of text from outside. Every control and format
// character becomes a visible escape, line breaks only where asked, and the result is bounded.
// Also the relay's error body: the field and range of a limit error are read only when valid.

#include "RelayReplies.h"
#include "ots/client/DisplayText.h"

#include <QTest>

using ots::client::LineBreaks;
using ots::client::visibleText;

class TestDisplayText : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void escapes_data() {
        QTest::addColumn<QString>("input");
        QTest::addColumn<QString>("expected");
        QTest::newRow("plain") << QStringLiteral("report.pdf") << QStringLiteral("report.pdf");
        QTest::newRow("markup stays characters") << QStringLiteral("<b>x</b>") << QStringLiteral("<b>x</b>");
        QTest::newRow("ESC and OSC 52 with BEL")
            << QStringLiteral("\x1b]52;c;aGk=\x07") << QStringLiteral("\\x1b]52;c;aGk=\\x07");
        QTest::newRow("DEL") << QStringLiteral("a\x7f") << QStringLiteral("a\\x7f");
        QTest::newRow("C1 CSI") << QStringLiteral("a\u009b31m") << QStringLiteral("a\\x9b31m");
        QTest::newRow("right-to-left override")
            << QStringLiteral("invoice\u202efdp.exe") << QStringLiteral("invoice\\u202efdp.exe");
        QTest::newRow("isolates and marks") << QStringLiteral("\u2066\u2069\u200e\u200f\u061c")
                                            << QStringLiteral("\\u2066\\u2069\\u200e\\u200f\\u061c");
        QTest::newRow("zero width, BOM, soft hyphen")
            << QStringLiteral("\u200b\ufeff\u00ad") << QStringLiteral("\\u200b\\ufeff\\xad");
        QTest::newRow("line separator") << QStringLiteral("a\u2028b") << QStringLiteral("a\\u2028b");
        QTest::newRow("tag character") << QString::fromUcs4(U"a\U000E0041") << QStringLiteral("a\\U000e0041");
        QTest::newRow("unpaired surrogate") << QString(QChar(0xD800)) << QStringLiteral("\\ud800");
        QTest::newRow("newline escaped") << QStringLiteral("a\nb\tc") << QStringLiteral("a\\x0ab\\x09c");
        QTest::newRow("hebrew and emoji stay")
            << QString::fromUtf8("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x94\x91")
            << QString::fromUtf8("\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d \xf0\x9f\x94\x91");
    }
    void escapes() {
        QFETCH(QString, input);
        QFETCH(QString, expected);
        QCOMPARE(visibleText(input), expected);
    }

    void keepsLineBreaksWhenAsked() {
        QCOMPARE(visibleText(QStringLiteral("a\nb\tc\x1b"), LineBreaks::Keep),
                 QStringLiteral("a\nb\tc\\x1b"));
    }

    void bounded() {
        const QString huge(qsizetype{10} * 1024 * 1024, QLatin1Char('A'));
        const QString shown = visibleText(huge, LineBreaks::Escape, 100);
        QCOMPARE(shown.size(), 100);
        QVERIFY(shown.endsWith(QStringLiteral("…")));
        QCOMPARE(visibleText(QStringLiteral("abc"), LineBreaks::Escape, 3), QStringLiteral("abc"));
        // Never cut inside an escape or a surrogate pair.
        const QString escapes = visibleText(QString(50, QChar(0x1b)), LineBreaks::Escape, 10);
        QCOMPARE(escapes, QStringLiteral("\\x1b\\x1b…"));
        const QString pairs =
            visibleText(QString::fromUcs4(U"\U0001F511\U0001F511\U0001F511"), LineBreaks::Escape, 4);
        QCOMPARE(pairs, QString::fromUcs4(U"\U0001F511…"));
    }

    void relayLimitErrorIsValidated() {
        using ots::client::replies::parseErrorBody;
        auto body = parseErrorBody(
            R"({"error":"bad_request","message":"m","field":"maxDownloads","min":1,"max":10})");
        QVERIFY(body);
        QCOMPARE(body->field, QStringLiteral("maxDownloads"));
        QCOMPARE(body->min, 1);
        QCOMPARE(body->max, 10);
        // An unknown field name, numbers that are not integers in range or min > max: nothing kept.
        body = parseErrorBody(R"({"error":"bad_request","message":"m","field":"<b>x","min":"1","max":1.5})");
        QVERIFY(body);
        QVERIFY(body->field.isEmpty());
        QCOMPARE(body->min, -1);
        QCOMPARE(body->max, -1);
        body = parseErrorBody(R"({"error":"bad_request","message":"m","field":"expiresIn","min":9,"max":3})");
        QVERIFY(body);
        QCOMPARE(body->min, -1);
        QCOMPARE(body->max, -1);
        body = parseErrorBody(R"({"error":"too_large","message":"m","max":1e300})");
        QVERIFY(body);
        QCOMPARE(body->max, -1);
    }
};

QTEST_GUILESS_MAIN(TestDisplayText)
#include "tst_displaytext.moc"
