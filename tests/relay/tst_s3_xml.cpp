// The strict XML reader behind the S3 client (relay/src/s3/S3Xml): S3's answers as they come, and what it
// refuses (DTDs, processing instructions, mismatched or unclosed tags, deep nesting, bad references).

#include "s3/S3Xml.h"

#include <QTest>

#include <string>

using ots::relay::s3::XmlElement;

class TestS3Xml : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void s3Error() {
        const auto root = XmlElement::parse(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<Error><Code>SignatureDoesNotMatch</Code><Message>a &lt;b&gt; &amp; &quot;c&quot; &apos;d&apos; "
            "&#65;&#x42;&#x20AC;</Message><RequestId/></Error>\n");
        QVERIFY(root);
        QCOMPARE(root->name, std::string("Error"));
        QCOMPARE(root->childText("Code"), std::string("SignatureDoesNotMatch"));
        QCOMPARE(root->childText("Message"), std::string("a <b> & \"c\" 'd' AB\xE2\x82\xAC"));
        QVERIFY(root->child("RequestId") != nullptr);
        QVERIFY(root->child("Missing") == nullptr);
        QCOMPARE(root->childText("Missing"), std::string());
    }

    void listWithNamespaceAndRepeats() {
        const auto root = XmlElement::parse(
            "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
            "<Name>b</Name><!-- a comment --><Contents><Key>k1</Key><Size>1</Size></Contents>"
            "<Contents><Key><![CDATA[k<2>]]></Key><Size>22</Size></Contents>"
            "<IsTruncated>false</IsTruncated></ListBucketResult>");
        QVERIFY(root);
        QCOMPARE(root->children.size(), 4U);
        QCOMPARE(root->children[1].childText("Key"), std::string("k1"));
        QCOMPARE(root->children[2].childText("Key"), std::string("k<2>"));
        QCOMPARE(root->children[2].childText("Size"), std::string("22"));
    }

    void refused_data() {
        QTest::addColumn<QByteArray>("document");
        QTest::newRow("empty") << QByteArray("");
        QTest::newRow("text only") << QByteArray("hello");
        QTest::newRow("unclosed") << QByteArray("<Error><Code>x</Code>");
        QTest::newRow("mismatched") << QByteArray("<Error><Code>x</Message></Error>");
        QTest::newRow("two roots") << QByteArray("<A/><B/>");
        QTest::newRow("trailing text") << QByteArray("<A/>junk");
        QTest::newRow("doctype") << QByteArray("<!DOCTYPE A [<!ENTITY e \"x\">]><A>&e;</A>");
        QTest::newRow("inner doctype") << QByteArray("<A><!DOCTYPE A></A>");
        QTest::newRow("processing instruction") << QByteArray("<A><?php x ?></A>");
        QTest::newRow("unknown entity") << QByteArray("<A>&nbsp;</A>");
        QTest::newRow("unterminated entity") << QByteArray("<A>&amp</A>");
        QTest::newRow("null reference") << QByteArray("<A>&#0;</A>");
        QTest::newRow("surrogate reference") << QByteArray("<A>&#xD800;</A>");
        QTest::newRow("reference too large") << QByteArray("<A>&#x110000;</A>");
        QTest::newRow("bad attribute") << QByteArray("<A b=c/>");
        QTest::newRow("unclosed attribute") << QByteArray("<A b=\"c/>");
        QTest::newRow("unclosed cdata") << QByteArray("<A><![CDATA[x</A>");
        QByteArray deep;
        for (int i = 0; i < 40; ++i)
            deep += "<A>";
        for (int i = 0; i < 40; ++i)
            deep += "</A>";
        QTest::newRow("too deep") << deep;
    }

    void refused() {
        QFETCH(QByteArray, document);
        QVERIFY(
            !XmlElement::parse(std::string(document.constData(), static_cast<std::size_t>(document.size()))));
    }
};

QTEST_GUILESS_MAIN(TestS3Xml)
#include "tst_s3_xml.moc"
