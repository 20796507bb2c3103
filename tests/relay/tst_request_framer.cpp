// The relay's request framing (relay/src/RequestFramer.h) fed byte sequences directly, without a socket,
// the way HttpSession feeds it what it reads: pipelined requests split at every byte boundary, the
// header and JSON body limits, the framings RFC 9112 §6 says to refuse (a Transfer-Encoding other than
// exactly "chunked", Content-Length together with Transfer-Encoding, duplicate or invalid
// Content-Length), upload bodies of exactly Content-Length bytes with the next request right after them,
// and the keep-alive rules of HTTP/1.1 and HTTP/1.0. The route table and the error answers are the
// relay's own (Api); no Redis is needed, since nothing here gets past framing and routing.

#include "Api.h"
#include "LocalBlobStore.h"
#include "Metrics.h"
#include "RequestFramer.h"

#include <QTemporaryDir>
#include <QtTest>
#include <boost/json.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

using namespace ots::relay;

namespace {

constexpr std::size_t kHeaderLimit = 1024;
constexpr std::size_t kJsonLimit = 64;
const std::string kId = "AAAAAAAAAAAAAAAAAAAAAA"; // 22 chars of canonical base64url

/// "413 too_large" for an error answer of the relay's form.
std::string describe(const Response& response) {
    std::string line = std::to_string(response.result_int());
    const boost::json::value body = boost::json::parse(response.body());
    line += " " + std::string(body.at("error").as_string());
    return line;
}

} // namespace

class TestRequestFramer : public QObject {
    Q_OBJECT

    QTemporaryDir m_data;
    Config m_config;
    std::unique_ptr<LocalBlobStore> m_blobs;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<Api> m_api;

    /// Drives a framer as HttpSession does over a connection on which `pieces` arrive one after the
    /// other: feeds what is buffered, waits for the next piece while the framer wants more. One line
    /// per request: the route's label and what the framer gave (a JSON body, an upload's bytes) or the
    /// framer's own answer, then "keep" or "close"; "incomplete" when the input ends inside a request.
    std::vector<std::string> driveLines(const std::vector<std::string>& pieces, bool draining) {
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        std::string buffer;
        std::size_t next = 0;
        const auto arrive = [&] {
            if (next == pieces.size())
                return false;
            buffer += pieces[next++];
            return true;
        };
        // Feeds the buffer while the framer is in `phase`, reading more pieces as it needs them.
        const auto feedWhile = [&](RequestFramer::Phase phase) {
            for (;;) {
                buffer.erase(0, framer.feed(buffer));
                if (framer.phase() != phase)
                    return true;
                if (!arrive())
                    return false;
            }
        };
        std::vector<std::string> lines;
        for (;;) {
            framer.reset();
            while (buffer.empty())
                if (!arrive())
                    return lines; // the client is done, between requests
            if (!feedWhile(RequestFramer::Phase::Header)) {
                lines.emplace_back("incomplete");
                return lines;
            }
            if (framer.phase() == RequestFramer::Phase::Failed) {
                lines.push_back(describe(framer.failure().response) +
                                (framer.failure().close ? " close" : " keep"));
                return lines;
            }
            const RequestFramer::Dispatch decided = framer.dispatch(*m_api, draining);
            std::string line = decided.route.label();
            bool close = false;
            // Every answer of the relay is made for the request's header and carries its keep-alive wish.
            Response answer = Api::error(framer.header(), http::status::ok, "ok", "ok");
            if (decided.answer) {
                line = describe(decided.answer->response);
                answer = decided.answer->response;
                close = decided.answer->close;
            } else if (decided.route.kind == RouteKind::Json) {
                if (!feedWhile(RequestFramer::Phase::JsonBody)) {
                    lines.emplace_back("incomplete");
                    return lines;
                }
                if (framer.phase() == RequestFramer::Phase::Failed) {
                    line = describe(framer.failure().response);
                    close = framer.failure().close;
                } else {
                    line += " json " + framer.takeJsonBody();
                }
            } else if (decided.route.kind == RouteKind::Upload) {
                // Api::beginUpload's plan is for the header's Content-Length (it answers 411 without one).
                const auto length = framer.header().find(http::field::content_length);
                if (length == framer.header().end()) {
                    lines.emplace_back("411");
                    return lines;
                }
                if (const auto refused = framer.beginUpload(std::stoull(std::string(length->value())))) {
                    line = describe(refused->response);
                    close = refused->close;
                } else {
                    std::string uploaded;
                    for (;;) {
                        const std::string_view piece = framer.uploadPiece(buffer);
                        uploaded += piece;
                        framer.uploadStored(piece.size());
                        buffer.erase(0, piece.size());
                        if (framer.uploadRemaining() == 0)
                            break;
                        if (!arrive()) {
                            lines.emplace_back("incomplete");
                            return lines;
                        }
                    }
                    line += " upload " + uploaded;
                    if (framer.uploadReceived() != uploaded.size())
                        line += " (miscounted)";
                }
            }
            const bool keep = !close && framer.keepAlive(answer.keep_alive());
            lines.push_back(line + (keep ? " keep" : " close"));
            if (!keep)
                return lines;
        }
    }

    QStringList drive(const std::vector<std::string>& pieces, bool draining = false) {
        QStringList result;
        for (const std::string& line : driveLines(pieces, draining))
            result.append(QString::fromStdString(line));
        return result;
    }

    QStringList drive(const std::string& input) { return drive(std::vector<std::string>{input}); }

    static std::string upload(std::string_view body, std::string_view extra = {}) {
        return "PATCH /api/v1/shares/" + kId +
               "/blob HTTP/1.1\r\nUpload-Offset: 0\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n" + std::string(extra) + "\r\n" + std::string(body);
    }

    static std::string json(std::string_view body, std::string_view extra = {}) {
        return "POST /api/v1/shares HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n" + std::string(extra) + "\r\n" + std::string(body);
    }

    static QStringList lines(std::initializer_list<const char*> list) {
        QStringList result;
        for (const char* line : list)
            result.append(QString::fromUtf8(line));
        return result;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_data.isValid());
        m_config.dataDirectory = std::filesystem::path(m_data.path().toStdString());
        m_blobs = std::make_unique<LocalBlobStore>(m_config.dataDirectory);
        m_metrics = std::make_unique<Metrics>();
        m_api = std::make_unique<Api>(m_config, *m_blobs, *m_metrics);
    }

    /// Four pipelined requests (no body, JSON, upload, no body with "close") give the same four
    /// outcomes however the bytes arrive: in two pieces cut at every byte boundary, and byte by byte.
    void pipelinedSplitAtEveryByte() {
        const std::string input = "GET /healthz HTTP/1.1\r\nHost: relay\r\n\r\n" + json(R"({"a":1})") +
                                  upload("hello") + "GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n";
        const auto expected = lines({"healthz keep", R"(create_share json {"a":1} keep)",
                                     "upload_append upload hello keep", "healthz close"});
        QCOMPARE(drive(input), expected);
        for (std::size_t cut = 0; cut <= input.size(); ++cut) {
            const auto got = drive(std::vector<std::string>{input.substr(0, cut), input.substr(cut)});
            QVERIFY2(got == expected, qPrintable(QStringLiteral("cut at byte %1").arg(cut)));
        }
        std::vector<std::string> bytes;
        for (const char byte : input)
            bytes.emplace_back(1, byte);
        QCOMPARE(drive(bytes), expected);
        // Whatever follows "Connection: close" is never read as a request.
        QCOMPARE(drive(input + "GET /healthz HTTP/1.1\r\n\r\n"), expected);
    }

    void headerLimit() {
        const auto request = [](std::size_t pad) {
            return "GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(pad, 'x') + "\r\n\r\n";
        };
        QCOMPARE(drive(request(kHeaderLimit / 2)), lines({"healthz keep"}));
        QCOMPARE(drive(request(kHeaderLimit)), lines({"413 too_large close"}));
        // Over the limit before the header's end has arrived: answered at once.
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        const std::string partial = "GET /healthz HTTP/1.1\r\nX-Pad: " + std::string(kHeaderLimit, 'x');
        (void)framer.feed(partial);
        QCOMPARE(framer.phase(), RequestFramer::Phase::Failed);
        QCOMPARE(describe(framer.failure().response), std::string("413 too_large"));
        QVERIFY(framer.failure().close);
        QVERIFY(framer.bodyPending()); // what follows is not a request: the session lingers on it
        QVERIFY(!framer.keepAlive(true));
    }

    void malformedHeader() {
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nBad Field: x\r\n\r\n"), lines({"400 bad_request close"}));
        QCOMPARE(drive("GET /healthz HTTP/9.9\r\n\r\n"), lines({"400 bad_request close"}));
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nHost: a"), lines({"incomplete"}));
    }

    void jsonLimit() {
        const std::string atLimit = "\"" + std::string(kJsonLimit - 2, 'x') + "\"";
        QCOMPARE(drive(json(atLimit)), lines({("create_share json " + atLimit + " keep").c_str()}));
        // Content-Length over the limit: answered from the header alone, before any body byte.
        QCOMPARE(drive(json(atLimit + " ")), lines({"413 too_large close"}));
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        const std::string overLimit = json(atLimit + " ");
        const std::size_t headerSize = overLimit.size() - kJsonLimit - 1;
        QCOMPARE(framer.feed(overLimit), headerSize);
        QCOMPARE(framer.dispatch(*m_api, false).answer->response.result_int(), 413U);
        QVERIFY(framer.bodyPending());
        // Chunked, over the limit only once the chunks are in.
        const std::string chunked = "POST /api/v1/shares HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                    "20\r\n" +
                                    std::string(32, 'a') + "\r\n21\r\n" + std::string(33, 'b') +
                                    "\r\n0\r\n\r\n";
        QCOMPARE(drive(chunked), lines({"413 too_large close"}));
        // Chunked within the limit, and the next request after it.
        const std::string small = "POST /api/v1/shares HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                                  "3\r\n{\"a\r\n4\r\n\":1}\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
        QCOMPARE(drive(small), lines({R"(create_share json {"a":1} keep)", "healthz keep"}));
        // The client goes away mid-body.
        QCOMPARE(drive(json(R"({"a":1})").substr(0, json(R"({"a":1})").size() - 1)), lines({"incomplete"}));
    }

    /// RFC 9112 §6.1: a Transfer-Encoding other than exactly "chunked" is not framed the same way by
    /// every hop: 400, and the connection closes (where the request ends is not known).
    void transferEncodingRefused() {
        for (const char* coding : {"chunked, identity", "identity", "gzip, chunked", "chunked,chunked"}) {
            const std::string request = std::string("POST /api/v1/shares HTTP/1.1\r\nTransfer-Encoding: ") +
                                        coding + "\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
            QVERIFY2(drive(request) == lines({"400 bad_request close"}), coding);
        }
        QCOMPARE(drive("POST /api/v1/shares HTTP/1.1\r\nTransfer-Encoding: chunked\r\n"
                       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                 lines({"400 bad_request close"}));
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        (void)framer.feed("GET /healthz HTTP/1.1\r\nTransfer-Encoding: chunked, identity\r\n\r\n");
        QCOMPARE(framer.phase(), RequestFramer::Phase::Failed);
        QVERIFY(framer.bodyPending());
        QVERIFY(!framer.keepAlive(true));
    }

    /// RFC 9112 §6.3: Content-Length together with Transfer-Encoding, or an invalid Content-Length,
    /// cannot be framed safely: 400 and close.
    void contentLengthRefused() {
        const std::string both = "POST /api/v1/shares HTTP/1.1\r\nContent-Length: 5\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n";
        QCOMPARE(drive(both), lines({"400 bad_request close"}));
        const std::string bothUpload =
            "PATCH /api/v1/shares/" + kId +
            "/blob HTTP/1.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n"
            "5\r\nhello\r\n0\r\n\r\n";
        QCOMPARE(drive(bothUpload), lines({"400 bad_request close"}));
        for (const char* lengths :
             {"Content-Length: 5\r\nContent-Length: 6\r\n", "Content-Length: 5, 6\r\n",
              "Content-Length: abc\r\n", "Content-Length: -1\r\n", "Content-Length: +5\r\n",
              "Content-Length: 5 5\r\n", "Content-Length: 99999999999999999999999\r\n"}) {
            const std::string request = std::string("POST /api/v1/shares HTTP/1.1\r\n") + lengths +
                                        "\r\nhelloGET /healthz HTTP/1.1\r\n\r\n";
            QVERIFY2(drive(request) == lines({"400 bad_request close"}), lengths);
        }
    }

    void uploadFraming() {
        // Exactly Content-Length bytes are the body; the next request follows at once.
        const std::string body(3000, 'z');
        const std::string input =
            upload(body, "Expect: 100-continue\r\n") + upload("GET /") + "GET /healthz HTTP/1.1\r\n\r\n";
        QCOMPARE(drive(input), lines({("upload_append upload " + body + " keep").c_str(),
                                      "upload_append upload GET / keep", "healthz keep"}));
        // Straight reads into the caller's buffer: never more than remains of the body.
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        const std::string head = upload("");
        std::string request = upload("hello", "Expect: 100-continue\r\n");
        const std::size_t headerSize = request.size() - 5;
        QCOMPARE(framer.feed(request), headerSize);
        QCOMPARE(framer.dispatch(*m_api, false).route.kind, RouteKind::Upload);
        QVERIFY(framer.expectsContinue());
        QVERIFY(framer.bodyPending());
        QVERIFY(!framer.beginUpload(5));
        QCOMPARE(framer.phase(), RequestFramer::Phase::UploadBody);
        QCOMPARE(framer.uploadWant(1 << 16), 5U);
        framer.uploadStored(2);
        QCOMPARE(framer.uploadRemaining(), 3U);
        QCOMPARE(framer.uploadWant(1 << 16), 3U);
        QCOMPARE(framer.uploadPiece("lloGET"), std::string_view("llo"));
        QVERIFY(framer.bodyPending());
        QVERIFY(!framer.keepAlive(true)); // cut here, the connection cannot carry another request
        framer.uploadStored(3);
        QCOMPARE(framer.phase(), RequestFramer::Phase::Done);
        QCOMPARE(framer.uploadReceived(), 5U);
        QVERIFY(!framer.bodyPending());
        QVERIFY(framer.keepAlive(true));
        // A plan for other than the header's Content-Length: refused, 400, close.
        framer.reset();
        (void)framer.feed(upload("hello"));
        (void)framer.dispatch(*m_api, false);
        QVERIFY(!framer.expectsContinue());
        const auto refused = framer.beginUpload(4);
        QVERIFY(refused);
        QCOMPARE(describe(refused->response), std::string("400 bad_request"));
        QVERIFY(refused->close);
        QVERIFY(framer.bodyPending());
        // An empty body is done at once.
        framer.reset();
        (void)framer.feed(upload(""));
        (void)framer.dispatch(*m_api, false);
        QVERIFY(!framer.beginUpload(0));
        QCOMPARE(framer.phase(), RequestFramer::Phase::Done);
        QVERIFY(framer.keepAlive(true));
        // Cut mid-body.
        QCOMPARE(drive(upload("hello").substr(0, head.size() + 2)), lines({"incomplete"}));
    }

    /// A body nobody reads (a route without one) leaves the connection unusable.
    void unreadBodyCloses() {
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nContent-Length: 3\r\n\r\nabcGET /healthz HTTP/1.1\r\n\r\n"),
                 lines({"healthz close"}));
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nContent-Length: 0\r\n\r\nGET /healthz HTTP/1.1\r\n\r\n"),
                 lines({"healthz keep", "healthz keep"}));
    }

    void routingAnswers() {
        QCOMPARE(drive("GET /nothing HTTP/1.1\r\n\r\nPUT /healthz HTTP/1.1\r\n\r\n"),
                 lines({"404 not_found keep", "405 method_not_allowed keep"}));
        QCOMPARE(drive(std::vector<std::string>{"GET /healthz HTTP/1.1\r\n\r\n"}, true),
                 lines({"503 unavailable close"}));
    }

    /// RFC 9112 §9.3: HTTP/1.1 persists unless "close"; HTTP/1.0 only with "keep-alive".
    void keepAliveRules() {
        const std::string next = "GET /healthz HTTP/1.1\r\n\r\n";
        QCOMPARE(drive("GET /healthz HTTP/1.0\r\n\r\n" + next), lines({"healthz close"}));
        QCOMPARE(drive("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n" + next),
                 lines({"healthz keep", "healthz keep"}));
        QCOMPARE(drive("GET /healthz HTTP/1.0\r\nConnection: Keep-Alive, foo\r\n\r\n" + next),
                 lines({"healthz keep", "healthz keep"}));
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n" + next),
                 lines({"healthz close"}));
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nConnection: foo, CLOSE\r\n\r\n" + next),
                 lines({"healthz close"}));
        QCOMPARE(drive("GET /healthz HTTP/1.1\r\nConnection: keep-alive\r\n\r\n" + next),
                 lines({"healthz keep", "healthz keep"}));
        // An HTTP/1.0 upload asking to stay open, exactly framed.
        const std::string upload10 =
            "PATCH /api/v1/shares/" + kId +
            "/blob HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok";
        QCOMPARE(drive(upload10 + next), lines({"upload_append upload ok keep", "healthz keep"}));
        // A response that closes closes, whatever the client asked.
        RequestFramer framer(kHeaderLimit, kJsonLimit);
        (void)framer.feed(next);
        QVERIFY(framer.keepAlive(true));
        QVERIFY(!framer.keepAlive(false));
    }
};

QTEST_GUILESS_MAIN(TestRequestFramer)
#include "tst_request_framer.moc"
