// The browser receiver as the real ots-relay serves it (SPEC.md §10.10) over real sockets, with a real
// redis-server: the page at / and /s/{id} and every file of resources/web/ under /web/, byte for byte
// the repository's files with their content types; the Content-Security-Policy parsed into its
// directives, each exactly as specified; the page loading only same-origin scripts and styles, nothing
// inline; and none of it touching Redis.

#include "RedisServer.h"
#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QRegularExpression>
#include <QTest>

using namespace ots;
using namespace ots::relaytest;

namespace {

const QString kWebDir = QStringLiteral(OTS_WEB_DIR);

QByteArray randomShareId() {
    ShareId id{};
    randomBytes(id);
    return b64u(id);
}

QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// A file of resources/web/ and where the relay serves it.
struct WebFile {
    QByteArray target; ///< e.g. "/web/vendor/libsodium.js"
    QString path;      ///< in the repository
};

/// Every file the page may load: resources/web/receiver/ but the page itself, under /web/; and each
/// vendored file SHA256SUMS lists, under /web/vendor/ by its base name.
QList<WebFile> repositoryWebFiles() {
    QList<WebFile> files;
    const QDir receiver(kWebDir + QStringLiteral("/receiver"));
    for (const QString& name : receiver.entryList(QDir::Files, QDir::Name))
        if (name != QStringLiteral("receiver_page.html"))
            files.append({"/web/" + name.toUtf8(), receiver.filePath(name)});
    const QByteArray sums = readFile(kWebDir + QStringLiteral("/vendor/SHA256SUMS"));
    for (const QByteArray& line : sums.split('\n')) {
        const qsizetype gap = line.indexOf("  ");
        if (gap < 0)
            continue;
        const QString relative = QString::fromUtf8(line.mid(gap + 2));
        files.append({"/web/vendor/" + QFileInfo(relative).fileName().toUtf8(),
                      kWebDir + QStringLiteral("/vendor/") + relative});
    }
    return files;
}

QByteArray contentTypeFor(const QString& path) {
    if (path.endsWith(QStringLiteral(".js")))
        return "text/javascript; charset=utf-8";
    if (path.endsWith(QStringLiteral(".css")))
        return "text/css; charset=utf-8";
    if (path.endsWith(QStringLiteral(".html")))
        return "text/html; charset=utf-8";
    return {}; // a kind of file the relay does not serve
}

/// A Content-Security-Policy header as directive → its source expressions, in order (CSP3 §2.2.1:
/// directives split at ';', names case-insensitive, values split at whitespace). A repeated directive,
/// which a browser would ignore, is kept under "!repeated" so that the comparison fails.
QMap<QByteArray, QByteArrayList> parseCsp(const QByteArray& header) {
    QMap<QByteArray, QByteArrayList> directives;
    for (const QByteArray& raw : header.split(';')) {
        const QByteArrayList tokens = raw.simplified().split(' ');
        if (tokens.isEmpty() || tokens.first().isEmpty())
            continue;
        const QByteArray name = tokens.first().toLower();
        if (directives.contains(name))
            directives[QByteArrayLiteral("!repeated")].append(name);
        else
            directives.insert(name, tokens.mid(1));
    }
    return directives;
}

/// SPEC.md §10.10: exactly what the page needs, nothing more.
const QMap<QByteArray, QByteArrayList> kExpectedCsp{
    {"default-src", {"'none'"}},     {"script-src", {"'self'", "'wasm-unsafe-eval'"}},
    {"style-src", {"'self'"}},       {"img-src", {"'self'", "data:"}},
    {"connect-src", {"'self'"}},     {"worker-src", {"'self'"}},
    {"frame-src", {"'self'"}},       {"manifest-src", {"'none'"}},
    {"base-uri", {"'none'"}},        {"form-action", {"'none'"}},
    {"frame-ancestors", {"'none'"}},
};

/// The scripts the page loads, in this order (coord/web-design.md: classic scripts, globals in order).
const QByteArrayList kPageScripts{"/web/vendor/libsodium.js",
                                  "/web/vendor/libsodium-wrappers.js",
                                  "/web/vendor/argon2.umd.min.js",
                                  "/web/ots_format.js",
                                  "/web/ots_zip.js",
                                  "/web/receiver_main.js"};

QString describeCsp(const QMap<QByteArray, QByteArrayList>& csp) {
    QStringList out;
    for (auto it = csp.cbegin(); it != csp.cend(); ++it)
        out << QString::fromUtf8(it.key() + ' ' + it.value().join(' '));
    return out.join(QStringLiteral("; "));
}

} // namespace

class TestRelayReceiver : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    RelayClient m_client{0};

    /// The headers every receiver response carries, exactly.
    static void checkSecurityHeaders(const HttpResponse& response, const QByteArray& contentType) {
        QCOMPARE(response.header("content-type"), contentType);
        QCOMPARE(response.header("x-content-type-options"), QByteArray("nosniff"));
        QCOMPARE(response.header("referrer-policy"), QByteArray("no-referrer"));
        QCOMPARE(response.header("cache-control"), QByteArray("no-store"));
        QCOMPARE(response.header("cross-origin-opener-policy"), QByteArray("same-origin"));
        QCOMPARE(response.header("x-frame-options"), QByteArray("DENY"));
        QVERIFY(!response.hasHeader("service-worker-allowed")); // the worker keeps its default scope, /web/
        const QByteArray csp = response.header("content-security-policy");
        const auto directives = parseCsp(csp);
        QVERIFY2(directives == kExpectedCsp, qPrintable(describeCsp(directives)));
        // Said once more, source by source, for whoever changes the expected list above.
        QVERIFY2(!csp.contains("unsafe-inline"), csp.constData());
        for (const QByteArrayList& sources : directives)
            for (const QByteArray& source : sources)
                QVERIFY2(source != "'unsafe-eval'" && !source.contains('*') &&
                             (source == "data:" || !source.contains(':')) && !source.startsWith("'nonce-") &&
                             !source.startsWith("'sha"),
                         source.constData());
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--redis-timeout"), QStringLiteral("500ms")}),
                 m_fixture.error());
        m_client = m_fixture.client();
    }

    void cleanupTestCase() {
        m_fixture.relay.stop();
        QVERIFY2(m_fixture.relay.exitedCleanly(), m_fixture.relay.log().right(3000).constData());
    }

    // The CSP parser itself: what it must tell apart.
    void cspParser() {
        QCOMPARE(parseCsp("default-src 'none'; script-src 'self'  'wasm-unsafe-eval' ;"),
                 (QMap<QByteArray, QByteArrayList>{{"default-src", {"'none'"}},
                                                   {"script-src", {"'self'", "'wasm-unsafe-eval'"}}}));
        QVERIFY(parseCsp("Default-Src 'none'") ==
                (QMap<QByteArray, QByteArrayList>{{"default-src", {"'none'"}}}));
        QVERIFY(parseCsp("script-src 'self'; script-src 'unsafe-inline'").contains("!repeated"));
        QVERIFY(parseCsp("script-src 'self' 'unsafe-inline'") !=
                (QMap<QByteArray, QByteArrayList>{{"script-src", {"'self'"}}}));
    }

    void page() {
        const QByteArray file = readFile(kWebDir + QStringLiteral("/receiver/receiver_page.html"));
        QVERIFY(!file.isEmpty());
        for (const QByteArray& target : {QByteArray("/"), "/s/" + randomShareId()}) {
            const HttpResponse page = m_client.get(target);
            OTS_EXPECT_STATUS(page, 200);
            checkSecurityHeaders(page, "text/html; charset=utf-8");
            QVERIFY2(page.body == file, target.constData()); // the same bytes for every share
            const HttpResponse head = m_client.send({"HEAD", target, {}, {}});
            OTS_EXPECT_STATUS(head, 200);
            checkSecurityHeaders(head, "text/html; charset=utf-8");
            QCOMPARE(head.header("content-length"), QByteArray::number(file.size()));
            QVERIFY(head.body.isEmpty());
        }
        // A malformed id is not a link: nothing there.
        for (const QByteArray& target : {QByteArray("/s/abc"), QByteArray("/s/"), QByteArray("/s/../etc"),
                                         "/s/" + randomShareId() + "/x"}) {
            const HttpResponse response = m_client.get(target);
            OTS_EXPECT_ERROR(response, 404, "not_found");
        }
        OTS_EXPECT_ERROR(m_client.send({"POST", "/s/" + randomShareId(), {}, {}}), 405, "method_not_allowed");
    }

    // What a browser runs on the page is only what the CSP's 'self' allows: scripts and styles from
    // /web/, none inline, no handler attributes, nothing from another origin.
    void pageLoadsOnlySameOriginFiles() {
        const QByteArray html = m_client.get("/s/" + randomShareId()).body;
        QVERIFY(!html.isEmpty());
        const QRegularExpression::PatternOptions options =
            QRegularExpression::CaseInsensitiveOption | QRegularExpression::DotMatchesEverythingOption;
        const QString text = QString::fromUtf8(html);

        QByteArrayList scripts;
        const QRegularExpression script(QStringLiteral("<script\\b([^>]*)>(.*?)</script\\s*>"), options);
        qsizetype scriptElements = 0;
        for (auto it = script.globalMatch(text); it.hasNext(); ++scriptElements) {
            const QRegularExpressionMatch match = it.next();
            QVERIFY2(match.captured(2).isEmpty(),
                     qPrintable(QStringLiteral("inline script: ") + match.captured(0)));
            const QRegularExpressionMatch src =
                QRegularExpression(QStringLiteral("\\ssrc=\"([^\"]*)\""), options).match(match.captured(1));
            QVERIFY2(src.hasMatch(), qPrintable(match.captured(0)));
            scripts.append(src.captured(1).toUtf8());
        }
        QCOMPARE(text.count(QRegularExpression(QStringLiteral("<script\\b"), options)), scriptElements);
        QCOMPARE(scripts, kPageScripts);

        QByteArrayList styles;
        const QRegularExpression link(QStringLiteral("<link\\b([^>]*)>"), options);
        for (auto it = link.globalMatch(text); it.hasNext();) {
            const QString attributes = it.next().captured(1);
            if (!attributes.contains(QRegularExpression(QStringLiteral("\\srel=\"stylesheet\""), options)))
                continue;
            const QRegularExpressionMatch href =
                QRegularExpression(QStringLiteral("\\shref=\"([^\"]*)\""), options).match(attributes);
            QVERIFY2(href.hasMatch(), qPrintable(attributes));
            styles.append(href.captured(1).toUtf8());
        }
        QCOMPARE(styles, QByteArrayList{"/web/receiver_style.css"});

        // Nothing inline: no <style> element, no style attribute, no on…= handler, no javascript: URL.
        QVERIFY(!text.contains(QRegularExpression(QStringLiteral("<style\\b"), options)));
        const QRegularExpression tag(QStringLiteral("<[a-z][^>]*>"), options);
        for (auto it = tag.globalMatch(text); it.hasNext();) {
            const QString element = it.next().captured(0);
            QVERIFY2(!element.contains(QRegularExpression(QStringLiteral("\\sstyle\\s*="), options)),
                     qPrintable(element));
            QVERIFY2(!element.contains(QRegularExpression(QStringLiteral("\\son[a-z]+\\s*="), options)),
                     qPrintable(element));
            // Every address is this origin's (a path, not "//host") or a fragment, and quoted.
            const QRegularExpression address(QStringLiteral("\\s(src|href|action|srcset)\\s*=\\s*(\\S*)"),
                                             options);
            for (auto at = address.globalMatch(element); at.hasNext();) {
                const QString value = at.next().captured(2);
                QVERIFY2(value.startsWith(u'"'), qPrintable(element));
                QVERIFY2(
                    (value.startsWith(QStringLiteral("\"/")) && !value.startsWith(QStringLiteral("\"//"))) ||
                        value.startsWith(QStringLiteral("\"#")) ||
                        value.startsWith(QStringLiteral("\"data:")),
                    qPrintable(element));
            }
        }
        QVERIFY(!text.contains(QStringLiteral("javascript:"), Qt::CaseInsensitive));
        QVERIFY(!text.contains(QStringLiteral("http://"), Qt::CaseInsensitive));
        QVERIFY(!text.contains(QStringLiteral("https://"), Qt::CaseInsensitive));

        // Each of them is served (a page that loads a missing file would break in the browser only).
        for (const QByteArray& target : scripts + styles)
            OTS_EXPECT_STATUS(m_client.get(target), 200);
    }

    void webFilesAreTheRepositoryFiles() {
        const QList<WebFile> files = repositoryWebFiles();
        QVERIFY(files.size() >= 8); // receiver_*.js/css, ots_*.js, the worker and the three libraries
        for (const WebFile& file : files) {
            const QByteArray bytes = readFile(file.path);
            QVERIFY2(!bytes.isEmpty(), qPrintable(file.path));
            const QByteArray type = contentTypeFor(file.path);
            QVERIFY2(!type.isEmpty(), qPrintable(file.path + QStringLiteral(": no content type for it")));
            const HttpResponse served = m_client.get(file.target);
            OTS_EXPECT_STATUS(served, 200);
            checkSecurityHeaders(served, type);
            QVERIFY2(served.body == bytes, file.target.constData());
            const HttpResponse head = m_client.send({"HEAD", file.target, {}, {}});
            OTS_EXPECT_STATUS(head, 200);
            checkSecurityHeaders(head, type);
            QCOMPARE(head.header("content-length"), QByteArray::number(bytes.size()));
            QVERIFY(head.body.isEmpty());
        }
        // The vendored files are exactly the ones the build checked (SHA256SUMS).
        for (const QString& folder :
             QDir(kWebDir + QStringLiteral("/vendor")).entryList(QDir::Dirs | QDir::NoDotAndDotDot))
            for (const QString& name :
                 QDir(kWebDir + QStringLiteral("/vendor/") + folder).entryList({QStringLiteral("*.js")}))
                QVERIFY2(readFile(kWebDir + QStringLiteral("/vendor/SHA256SUMS"))
                             .contains("  " + (folder + u'/' + name).toUtf8() + '\n'),
                         qPrintable(folder + u'/' + name));
    }

    void unknownWebNamesAreNotFound() {
        for (const QByteArray& target :
             {QByteArray("/web/"), QByteArray("/web"), QByteArray("/web/nothing.js"),
              QByteArray("/web/receiver_page.html"), QByteArray("/web/vendor/"),
              QByteArray("/web/vendor/LICENSE"), QByteArray("/web/vendor/SHA256SUMS"),
              QByteArray("/web/libsodium/libsodium.js"), QByteArray("/web/libsodium.js"),
              QByteArray("/web/vendor/../ots_format.js"), QByteArray("/web/../web/ots_format.js"),
              QByteArray("/web/vendor%2Flibsodium.js"), QByteArray("/web/%6Fts_zip.js"),
              QByteArray("/web/Receiver_main.js"), QByteArray("/web/ots_zip.js/"),
              QByteArray("/web/ots_zip.js%00"), QByteArray("/web//ots_zip.js"),
              QByteArray("/web/../../etc/passwd")}) {
            const HttpResponse response = m_client.get(target);
            QVERIFY2(response.status == 404 && response.errorCode() == QStringLiteral("not_found"),
                     (target + ": " + response.describe()).constData());
        }
        // A query is not part of the name.
        OTS_EXPECT_STATUS(m_client.get("/web/ots_zip.js?v=1"), 200);
        OTS_EXPECT_ERROR(m_client.send({"POST", "/web/receiver_main.js", {}, {}}), 405, "method_not_allowed");
        OTS_EXPECT_ERROR(m_client.send({"PUT", "/web/receiver_main.js", {}, {}}), 405, "method_not_allowed");
    }

    void metricsLabels() {
        const HttpResponse metrics = m_client.get("/metrics");
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_http_requests_total",
                                      "route=\"receiver_page\",status=\"200\"") >= 4);
        QVERIFY(RelayClient::metricIn(metrics.body, "ots_http_requests_total",
                                      "route=\"web_file\",status=\"200\"") >= 16);
        QVERIFY(!metrics.body.contains("landing_page"));
    }

    // Last: stops Redis. The page and its files are the binary's own bytes, with no side effect on a
    // share and no Redis at all: a link-preview bot burns nothing, and the page loads while Redis is down.
    void noRedisAndNoSideEffects() {
        TestShare share = TestShare::make({.maxDownloads = 2});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        const QByteArray before = m_client.info(share.id).body;
        const double proofs = m_client.metric("ots_proof_verifications_total");
        for (int i = 0; i < 3; ++i) {
            const HttpResponse page = m_client.get("/s/" + share.id);
            OTS_EXPECT_STATUS(page, 200);
            QVERIFY(!page.body.contains(share.id));
        }
        QCOMPARE(m_client.info(share.id).body, before);
        QCOMPARE(m_client.metric("ots_proof_verifications_total"), proofs);

        const QByteArray page = m_client.get("/").body;
        m_fixture.redis.stop();
        OTS_EXPECT_ERROR(m_client.info(share.id), 503, "unavailable"); // Redis is gone indeed
        for (const QByteArray& target : {QByteArray("/"), "/s/" + share.id, "/s/" + randomShareId()}) {
            const HttpResponse response = m_client.get(target);
            OTS_EXPECT_STATUS(response, 200);
            QCOMPARE(response.body, page);
        }
        for (const WebFile& file : repositoryWebFiles()) {
            const HttpResponse response = m_client.get(file.target);
            OTS_EXPECT_STATUS(response, 200);
            QVERIFY2(response.body == readFile(file.path), file.target.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestRelayReceiver)
#include "tst_relay_receiver.moc"
