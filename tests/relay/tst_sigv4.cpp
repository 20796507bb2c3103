// SigV4 against AWS's published Signature Version 4 test suite (tests/data/sigv4/README.md says where
// the files come from): canonical request, string to sign and Authorization header for each case; and
// the S3 documentation's "Example: GET Object" (a ranged GET signed for service s3).

#include "s3/SigV4.h"

#include <QDir>
#include <QFile>
#include <QTest>

#include <string>

using namespace ots::relay::s3;

Q_DECLARE_METATYPE(std::string)

namespace {

std::string readFile(const QString& path) {
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().toStdString();
}

std::string percentDecode(const std::string& text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size()) {
            out += static_cast<char>(std::stoi(text.substr(i + 1, 2), nullptr, 16));
            i += 2;
        } else {
            out += text[i];
        }
    }
    return out;
}

/// The suite's .req format: request line, "Name:value" header lines, an empty line, the body.
SignableRequest parseRequest(const std::string& text) {
    SignableRequest request;
    std::size_t lineEnd = text.find('\n');
    const std::string requestLine = text.substr(0, lineEnd);
    const std::size_t space = requestLine.find(' ');
    request.method = requestLine.substr(0, space);
    const std::string target = requestLine.substr(space + 1, requestLine.rfind(' ') - space - 1);
    const std::size_t question = target.find('?');
    request.path = percentDecode(target.substr(0, question));
    if (question != std::string::npos) {
        const std::string query = target.substr(question + 1);
        std::size_t start = 0;
        while (start <= query.size()) {
            std::size_t end = query.find('&', start);
            if (end == std::string::npos)
                end = query.size();
            const std::string pair = query.substr(start, end - start);
            const std::size_t equals = pair.find('=');
            request.query.emplace_back(percentDecode(pair.substr(0, equals)),
                                       equals == std::string::npos ? std::string()
                                                                   : percentDecode(pair.substr(equals + 1)));
            start = end + 1;
        }
    }
    std::string body;
    while (lineEnd != std::string::npos) {
        const std::size_t start = lineEnd + 1;
        lineEnd = text.find('\n', start);
        const std::string line =
            text.substr(start, lineEnd == std::string::npos ? std::string::npos : lineEnd - start);
        if (line.empty()) {
            body = lineEnd == std::string::npos ? std::string() : text.substr(lineEnd + 1);
            break;
        }
        const std::size_t colon = line.find(':');
        request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
    }
    request.payloadHash = SigV4::sha256Hex(body);
    return request;
}

} // namespace

class TestSigV4 : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void testSuite_data() {
        QTest::addColumn<QString>("folder");
        const QDir root(QStringLiteral(OTS_TEST_DATA_DIR "/sigv4"));
        const QStringList cases = root.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
        QVERIFY(cases.size() >= 20);
        for (const QString& name : cases)
            QTest::newRow(qPrintable(name)) << root.filePath(name + QLatin1Char('/') + name);
    }

    void testSuite() {
        QFETCH(QString, folder);
        const std::string requestText = readFile(folder + QStringLiteral(".req"));
        QVERIFY(!requestText.empty());
        SignableRequest request = parseRequest(requestText);
        Credentials credentials{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", {}};
        if (folder.endsWith(QStringLiteral("get-vanilla-with-session-token")))
            credentials.sessionToken = "6e86291e8372ff2a2260956d9b8aae1d763fbf315fa00fa31553b73ebf194267";
        const SigningScope scope{"20150830T123600Z", "us-east-1", "service"};

        const std::string authorization = SigV4::sign(request, credentials, scope);
        QCOMPARE(SigV4::canonicalRequest(request), readFile(folder + QStringLiteral(".creq")));
        QCOMPARE(SigV4::stringToSign(request, scope), readFile(folder + QStringLiteral(".sts")));
        QCOMPARE(authorization, readFile(folder + QStringLiteral(".authz")));
        QVERIFY(authorization.find(credentials.secretAccessKey) == std::string::npos);
    }

    /// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html, "Example: GET Object".
    void s3GetObjectExample() {
        SignableRequest request;
        request.method = "GET";
        request.path = "/test.txt";
        request.payloadHash = std::string(SigV4::emptyPayloadHash);
        request.headers = {{"Host", "examplebucket.s3.amazonaws.com"},
                           {"Range", "bytes=0-9"},
                           {"x-amz-content-sha256", request.payloadHash},
                           {"x-amz-date", "20130524T000000Z"}};
        const Credentials credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", {}};
        const std::string authorization =
            SigV4::sign(request, credentials, SigningScope{"20130524T000000Z", "us-east-1", "s3"});
        QCOMPARE(SigV4::canonicalRequest(request),
                 std::string("GET\n/test.txt\n\n"
                             "host:examplebucket.s3.amazonaws.com\n"
                             "range:bytes=0-9\n"
                             "x-amz-content-sha256:" +
                             request.payloadHash +
                             "\n"
                             "x-amz-date:20130524T000000Z\n\n"
                             "host;range;x-amz-content-sha256;x-amz-date\n" +
                             request.payloadHash));
        QCOMPARE(authorization,
                 std::string(
                     "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                     "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                     "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    }

    /// S3's canonical URI: each segment encoded once (a '%' in a key becomes %25), '/' kept; the request
    /// line carries the same text.
    void s3KeyEncoding() {
        SignableRequest request;
        request.method = "PUT";
        request.path = "/bucket/ots/t/a b%2F/1";
        request.query = {{"uploadId", "x/y+z"}, {"partNumber", "2"}};
        QCOMPARE(SigV4::requestTarget(request),
                 std::string("/bucket/ots/t/a%20b%252F/1?partNumber=2&uploadId=x%2Fy%2Bz"));
    }

    void amzDate() {
        QCOMPARE(SigV4::amzDate(std::chrono::system_clock::time_point(std::chrono::seconds(1369353600))),
                 std::string("20130524T000000Z"));
    }
};

QTEST_GUILESS_MAIN(TestSigV4)
#include "tst_sigv4.moc"
