// The relay's S3 client (relay/src/s3) against a real S3: a one-node Ceph cluster with its gateway
// (CephCluster.h), started by the test on loopback. Objects written by the client are checked with the
// cluster's own signed requests and bucket index, not only with the client itself.

// GCC 12 reports -Wnull-dereference inside Asio once io_context::run() is inlined (as in HttpServer.cpp):
// silenced for the lines of Boost's headers only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include "s3/S3Client.h"
#include "s3/S3Connector.h"
#include "s3/S3RangeReader.h"

#include <boost/asio/io_context.hpp>
#pragma GCC diagnostic pop

#include "CephCluster.h"
#include "LoopbackProxy.h"
#include "TestCertificate.h"

#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTemporaryFile>
#include <QTest>

#include <cerrno>
#include <string>
#include <vector>

using namespace ots::relay::s3;
using ots::test::CephCluster;
using ots::test::LoopbackProxy;

namespace {

constexpr std::uint64_t MiB = std::uint64_t{1024} * 1024;

std::string randomBytes(std::size_t size) {
    std::string bytes(size, '\0');
    for (char& c : bytes)
        c = static_cast<char>(QRandomGenerator::global()->bounded(256));
    return bytes;
}

std::string describe(const S3Error& error) {
    return error.describe();
}

/// Reads bytes [first, first+count) of `key` with S3RangeReader on an io_context of its own, `chunk`
/// bytes per asyncRead, until it reports the end or an error.
struct RangeRead {
    std::string bytes;
    int error = 0;
    std::string failure;
    int reads = 0;
};

RangeRead readRange(const std::shared_ptr<const S3Connector>& connector, const std::string& key,
                    std::uint64_t first, std::uint64_t count, std::size_t chunk = std::size_t{64} * 1024) {
    boost::asio::io_context io;
    S3RangeReader reader(connector, key, first, count);
    RangeRead result;
    std::vector<char> buffer(chunk);
    bool finished = false;
    bool insideAsyncRead = false;
    std::function<void()> next;
    next = [&] {
        insideAsyncRead = true;
        reader.asyncRead(io.get_executor(), std::span<char>(buffer), [&](int error, std::size_t bytes) {
            if (insideAsyncRead)
                result.error = -1; // done ran inline
            ++result.reads;
            if (error != 0 || bytes == 0 || result.error == -1) {
                if (result.error == 0)
                    result.error = error;
                finished = true;
                return;
            }
            result.bytes.append(buffer.data(), bytes);
            next();
        });
        insideAsyncRead = false;
    };
    next();
    io.run();
    if (!finished)
        result.error = -2;
    result.failure = reader.failure();
    return result;
}

} // namespace

class TestS3Client : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        auto connector = S3Connector::create(config(m_cluster.secretAccessKey().toStdString()));
        QVERIFY2(connector.ok(), connector.ok() ? "" : connector.error().describe().c_str());
        m_connector = connector.value();
        m_client = m_connector->makeClient();
    }

    void cleanupTestCase() {
        m_client.reset();
        m_cluster.stop();
    }

    void configErrors() {
        S3Config bad = config("secret");
        bad.endpoint = "ftp://127.0.0.1";
        QCOMPARE(S3Connector::create(bad).error().code, std::string("InvalidConfig"));
        bad.endpoint = "http://127.0.0.1:7480/path";
        QVERIFY(!S3Connector::create(bad).ok());
        bad.endpoint = "http://127.0.0.1:99999";
        QVERIFY(!S3Connector::create(bad).ok());
        bad = config("");
        QVERIFY(!S3Connector::create(bad).ok());
        bad = config("secret");
        bad.endpoint = "https://127.0.0.1:1";
        bad.caFile = "/nonexistent/ca.pem";
        const auto tls = S3Connector::create(bad);
        QVERIFY(!tls.ok());
        QVERIFY(tls.error().message.find("s3-ca-file") != std::string::npos);
    }

    void headBucket() {
        const auto status = m_client->headBucket();
        QVERIFY2(status.ok(), status.ok() ? "" : describe(status.error()).c_str());
    }

    void putGetHeadDelete() {
        const std::string key = "ots/b/small object+1";
        const std::string content = "hello S3\n" + randomBytes(1000);
        const auto put = m_client->putObject(key, S3Body{content}, {{"upload-id", "abc.123"}});
        QVERIFY2(put.ok(), put.ok() ? "" : describe(put.error()).c_str());

        // Seen by the cluster's own index and its own signed GET.
        const auto keys = m_cluster.objects(m_cluster.bucket());
        QVERIFY(keys);
        QVERIFY(keys->contains(QString::fromStdString(key)));
        const CephCluster::Answer direct = m_cluster.request(
            "GET", QLatin1Char('/') + m_cluster.bucket() + QLatin1Char('/') + QString::fromStdString(key));
        QCOMPARE(direct.status, 200);
        QCOMPARE(direct.body.toStdString(), content);

        const auto got = m_client->getObject(key, 4096);
        QVERIFY(got.ok());
        QCOMPARE(got.value(), content);
        const auto part = m_client->getObject(key, 4096, std::pair<std::uint64_t, std::uint64_t>{3, 5});
        QVERIFY(part.ok());
        QCOMPARE(part.value(), content.substr(3, 5));

        const auto head = m_client->headObject(key);
        QVERIFY(head.ok());
        QCOMPARE(head->size, content.size());
        QVERIFY(head->etag.size() > 2);
        QCOMPARE(head->meta("upload-id").value_or(""), std::string("abc.123"));

        // The size cap: the answer is refused, and the client goes on working.
        const auto capped = m_client->getObject(key, 100);
        QVERIFY(!capped.ok());
        QCOMPARE(capped.error().code, std::string("ResponseTooLarge"));

        QVERIFY(m_client->deleteObject(key).ok());
        const auto gone = m_client->headObject(key);
        QVERIFY(!gone.ok());
        QCOMPARE(gone.error().httpStatus, 404U);
        const auto missing = m_client->getObject(key, 4096);
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().httpStatus, 404U);
        QCOMPARE(missing.error().code, std::string("NoSuchKey"));
        QVERIFY(m_client->deleteObject(key).ok()); // deleting nothing is fine in S3
        QVERIFY(!m_cluster.objects(m_cluster.bucket())->contains(QString::fromStdString(key)));
    }

    void fileRegionBody() {
        QTemporaryFile file;
        QVERIFY(file.open());
        const std::string data = randomBytes(4 * MiB + 1000);
        QCOMPARE(file.write(data.data(), static_cast<qint64>(data.size())), static_cast<qint64>(data.size()));
        QVERIFY(file.flush());
        const std::string prefix = "tail-prefix:";
        const std::uint64_t offset = 1000;
        const std::uint64_t length = 3 * MiB + 17;
        const std::string key = "ots/t/region/0";
        const auto put = m_client->putObject(key, S3Body{prefix, file.handle(), offset, length});
        QVERIFY2(put.ok(), put.ok() ? "" : describe(put.error()).c_str());
        const auto got = m_client->getObject(key, 8 * MiB);
        QVERIFY(got.ok());
        QVERIFY(got.value() == prefix + data.substr(offset, length));

        // A region beyond the file's end: nothing is sent as if it were whole.
        const auto shortFile =
            m_client->putObject("ots/t/region/1", S3Body{{}, file.handle(), data.size() - 10, 20});
        QVERIFY(!shortFile.ok());
        QCOMPARE(shortFile.error().code, std::string("FileReadFailed"));
        QVERIFY(!m_client->headObject("ots/t/region/1").ok());
        QVERIFY(m_client->deleteObject(key).ok());
    }

    void listObjectsPages() {
        for (int i = 0; i < 5; ++i)
            QVERIFY(m_client->putObject("ots/list/" + std::to_string(i), S3Body{std::to_string(i)}).ok());
        QVERIFY(m_client->putObject("ots/other", S3Body{"x"}).ok());
        std::vector<std::string> keys;
        std::string token;
        int pages = 0;
        do {
            const auto page = m_client->listObjectsV2("ots/list/", token, 2);
            QVERIFY2(page.ok(), page.ok() ? "" : describe(page.error()).c_str());
            for (const S3ObjectEntry& entry : page->objects) {
                keys.push_back(entry.key);
                QCOMPARE(entry.size, 1U);
            }
            token = page->nextContinuationToken;
            ++pages;
        } while (!token.empty() && pages < 10);
        QCOMPARE(pages, 3);
        QCOMPARE(keys, (std::vector<std::string>{"ots/list/0", "ots/list/1", "ots/list/2", "ots/list/3",
                                                 "ots/list/4"}));
        for (const std::string& key : keys)
            QVERIFY(m_client->deleteObject(key).ok());
        QVERIFY(m_client->deleteObject("ots/other").ok());
    }

    void multipartCompleteAndRangedRead() {
        QTemporaryFile file;
        QVERIFY(file.open());
        const std::uint64_t part = 5 * MiB;
        const std::string data = randomBytes(3 * part + 123);
        QCOMPARE(file.write(data.data(), static_cast<qint64>(data.size())), static_cast<qint64>(data.size()));
        QVERIFY(file.flush());
        const std::string key = "ots/b/multipart";

        const auto uploadId = m_client->createMultipartUpload(key);
        QVERIFY2(uploadId.ok(), uploadId.ok() ? "" : describe(uploadId.error()).c_str());
        std::vector<S3Part> parts;
        for (int number = 1; number <= 3; ++number) {
            const auto etag = m_client->uploadPart(
                key, uploadId.value(), number,
                S3Body{{}, file.handle(), static_cast<std::uint64_t>(number - 1) * part, part});
            QVERIFY2(etag.ok(), etag.ok() ? "" : describe(etag.error()).c_str());
            parts.push_back(S3Part{number, etag.value(), 0});
        }
        // The small last part from memory.
        const auto last =
            m_client->uploadPart(key, uploadId.value(), 4, S3Body{std::string_view(data).substr(3 * part)});
        QVERIFY(last.ok());
        parts.push_back(S3Part{4, last.value(), 0});

        const auto listed = m_client->listParts(key, uploadId.value());
        QVERIFY2(listed.ok(), listed.ok() ? "" : describe(listed.error()).c_str());
        QCOMPARE(listed->parts.size(), 4U);
        for (std::size_t i = 0; i < 4; ++i) {
            QCOMPARE(listed->parts[i].partNumber, parts[i].partNumber);
            QCOMPARE(listed->parts[i].etag, parts[i].etag);
            QCOMPARE(listed->parts[i].size, i < 3 ? part : 123U);
        }
        const auto uploads = m_client->listMultipartUploads("ots/b/");
        QVERIFY(uploads.ok());
        QCOMPARE(uploads->uploads.size(), 1U);
        QCOMPARE(uploads->uploads[0].key, key);
        QCOMPARE(uploads->uploads[0].uploadId, uploadId.value());

        const auto completed = m_client->completeMultipartUpload(key, uploadId.value(), parts);
        QVERIFY2(completed.ok(), completed.ok() ? "" : describe(completed.error()).c_str());
        const auto head = m_client->headObject(key);
        QVERIFY(head.ok());
        QCOMPARE(head->size, data.size());
        QVERIFY(m_client->listMultipartUploads("ots/b/")->uploads.empty());

        // Ranged reads across part boundaries, in small and odd-sized steps.
        const std::uint64_t first = part - 1000;
        const RangeRead across = readRange(m_connector, key, first, data.size() - first, 64 * 1024 + 7);
        QCOMPARE(across.error, 0);
        QVERIFY(across.failure.empty());
        QVERIFY(across.bytes == data.substr(first));
        QVERIFY(across.reads > 100);
        const RangeRead whole = readRange(m_connector, key, 0, data.size(), 1 * MiB);
        QCOMPARE(whole.error, 0);
        QVERIFY(whole.bytes == data);
        const RangeRead middle = readRange(m_connector, key, 12345, 10);
        QCOMPARE(middle.error, 0);
        QVERIFY(middle.bytes == data.substr(12345, 10));

        // Fewer bytes than promised, and no object: EIO, with the reason for the log.
        const RangeRead beyond = readRange(m_connector, key, data.size() - 10, 20);
        QCOMPARE(beyond.error, EIO);
        QVERIFY(!beyond.failure.empty());
        const RangeRead missing = readRange(m_connector, "ots/b/none", 0, 10);
        QCOMPARE(missing.error, EIO);
        QVERIFY2(missing.failure.find("404") != std::string::npos, missing.failure.c_str());
        QVERIFY(m_client->deleteObject(key).ok());
    }

    /// A reader destroyed with a read pending (the download's connection went away) never calls back.
    void rangeReaderDestroyedWhileReading() {
        const std::string content = randomBytes(2 * MiB);
        QVERIFY(m_client->putObject("ots/b/abandoned", S3Body{content}).ok());
        for (const bool afterFirstChunk : {false, true}) {
            boost::asio::io_context io;
            std::vector<char> buffer(std::size_t{16} * 1024);
            int calls = 0;
            std::size_t firstBytes = 0;
            auto reader = std::make_unique<S3RangeReader>(m_connector, "ots/b/abandoned", 0, content.size());
            const auto done = [&calls, &firstBytes](int, std::size_t bytes) {
                if (++calls == 1)
                    firstBytes = bytes;
            };
            reader->asyncRead(io.get_executor(), std::span<char>(buffer), done);
            if (afterFirstChunk) {
                while (calls == 0 && io.run_one() > 0) {
                }
                QCOMPARE(calls, 1);
                QVERIFY(firstBytes > 0);
                QVERIFY(std::string(buffer.data(), firstBytes) == content.substr(0, firstBytes));
                reader->asyncRead(io.get_executor(), std::span<char>(buffer), done);
            }
            reader.reset();
            io.run();
            QCOMPARE(calls, afterFirstChunk ? 1 : 0);
        }
        QVERIFY(m_client->deleteObject("ots/b/abandoned").ok());
    }

    void multipartAbort() {
        const std::string key = "ots/b/aborted";
        const auto uploadId = m_client->createMultipartUpload(key, {{"kind", "test"}});
        QVERIFY(uploadId.ok());
        QVERIFY(m_client->uploadPart(key, uploadId.value(), 1, S3Body{"part one"}).ok());
        const auto before = m_cluster.multipartUploads(m_cluster.bucket());
        QVERIFY(before);
        QCOMPARE(before->size(), 1);
        QVERIFY(m_client->abortMultipartUpload(key, uploadId.value()).ok());

        const auto uploads = m_client->listMultipartUploads("ots/");
        QVERIFY(uploads.ok());
        QVERIFY(uploads->uploads.empty());
        QVERIFY(!uploads->truncated);
        QVERIFY(m_cluster.multipartUploads(m_cluster.bucket())->isEmpty());
        // Ceph 16 answers NoSuchKey where AWS says NoSuchUpload: only the 404 is relied on.
        const auto parts = m_client->listParts(key, uploadId.value());
        QVERIFY(!parts.ok());
        QCOMPARE(parts.error().httpStatus, 404U);
        QVERIFY(!m_client->headObject(key).ok());
    }

    void wrongSecret() {
        const std::string wrong = "wrong-" + m_cluster.secretAccessKey().toStdString();
        const auto connector = S3Connector::create(config(wrong));
        QVERIFY(connector.ok());
        const auto client = connector.value()->makeClient();
        const auto put = client->putObject("ots/b/denied", S3Body{"x"});
        QVERIFY(!put.ok());
        QCOMPARE(put.error().httpStatus, 403U);
        QCOMPARE(put.error().code, std::string("SignatureDoesNotMatch"));
        const std::string text = put.error().describe();
        QVERIFY(text.find(wrong) == std::string::npos);
        QVERIFY(text.find(m_cluster.secretAccessKey().toStdString()) == std::string::npos);
        const auto head = client->headBucket();
        QVERIFY(!head.ok());
        QCOMPARE(head.error().httpStatus, 403U);
        QVERIFY(!m_cluster.objects(m_cluster.bucket())->contains(QStringLiteral("ots/b/denied")));
    }

    /// One TCP connection carries a client's requests, and a connection the client lost is replaced.
    void keepAlive() {
        const auto client = m_connector->makeClient();
        QCOMPARE(client->connectionsOpened(), 0U);
        for (int i = 0; i < 6; ++i) {
            QVERIFY(client->putObject("ots/keepalive", S3Body{std::to_string(i)}).ok());
            QCOMPARE(client->getObject("ots/keepalive", 16).value(), std::to_string(i));
        }
        QVERIFY(client->headObject("ots/keepalive").ok());
        QVERIFY(client->deleteObject("ots/keepalive").ok());
        QCOMPARE(client->connectionsOpened(), 1U);
        client->disconnect();
        QVERIFY(client->headBucket().ok());
        QCOMPARE(client->connectionsOpened(), 2U);
    }

    /// A server that closes idle keep-alive connections: noticed before sending (even a request that must
    /// not be sent twice goes out once, on a new connection); lost in the race (closed as a request
    /// arrives, unanswered): an idempotent request is sent again once, any other fails.
    void staleConnections() {
        LoopbackProxy proxy(m_cluster.rgwPort());
        S3Config proxied = config(m_cluster.secretAccessKey().toStdString());
        proxied.endpoint = "http://127.0.0.1:" + std::to_string(proxy.port());
        const auto connector = S3Connector::create(proxied);
        QVERIFY(connector.ok());
        const auto client = connector.value()->makeClient();
        QVERIFY(client->putObject("ots/stale", S3Body{"stale"}).ok());
        QVERIFY(client->headBucket().ok());
        QCOMPARE(proxy.accepted(), 1);

        proxy.closeAll();
        const auto uploadId = client->createMultipartUpload("ots/stale");
        QVERIFY2(uploadId.ok(), uploadId.ok() ? "" : describe(uploadId.error()).c_str());
        QCOMPARE(client->connectionsOpened(), 2U);
        QCOMPARE(proxy.accepted(), 2);

        proxy.dropNextReused();
        const auto head = client->headObject("ots/stale");
        QVERIFY2(head.ok(), head.ok() ? "" : describe(head.error()).c_str());
        QCOMPARE(head->size, 5U);
        QCOMPARE(client->connectionsOpened(), 3U);
        QCOMPARE(proxy.accepted(), 3);

        proxy.dropNextReused();
        const auto second = client->createMultipartUpload("ots/stale");
        QVERIFY(!second.ok());
        QCOMPARE(second.error().code, std::string("ConnectionLost"));
        QCOMPARE(proxy.accepted(), 3);

        QVERIFY(client->abortMultipartUpload("ots/stale", uploadId.value()).ok());
        QVERIFY(client->deleteObject("ots/stale").ok());
        QVERIFY(client->listMultipartUploads("ots/")->uploads.empty());
    }

    /// https endpoints: the peer is verified against s3-ca-file (or the system store, which does not know
    /// a test certificate), keep-alive holds over TLS, and the ranged reader speaks TLS too.
    void tlsEndpoint() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString certificate = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        const QByteArray made = ots::test::makeTestCertificate(
            QStringLiteral("127.0.0.1"), QStringLiteral("IP:127.0.0.1"), certificate, key);
        QVERIFY2(made.isEmpty(), made.constData());
        auto server = std::make_shared<boost::asio::ssl::context>(boost::asio::ssl::context::tls_server);
        server->use_certificate_chain_file(certificate.toStdString());
        server->use_private_key_file(key.toStdString(), boost::asio::ssl::context::pem);
        LoopbackProxy proxy(m_cluster.rgwPort(), server);

        S3Config tls = config(m_cluster.secretAccessKey().toStdString());
        tls.endpoint = "https://127.0.0.1:" + std::to_string(proxy.port());
        const auto untrusted = S3Connector::create(tls);
        QVERIFY(untrusted.ok());
        const auto refused = untrusted.value()->makeClient()->headBucket();
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().code, std::string("TlsFailed"));

        tls.caFile = certificate.toStdString();
        const auto connector = S3Connector::create(tls);
        QVERIFY(connector.ok());
        const auto client = connector.value()->makeClient();
        const std::string content = randomBytes(std::size_t{300} * 1024);
        for (int i = 0; i < 3; ++i) {
            const auto put = client->putObject("ots/tls", S3Body{content});
            QVERIFY2(put.ok(), put.ok() ? "" : describe(put.error()).c_str());
            QVERIFY(client->getObject("ots/tls", MiB).value() == content);
        }
        QCOMPARE(client->connectionsOpened(), 1U);
        const RangeRead range = readRange(connector.value(), "ots/tls", 1000, content.size() - 2000, 10000);
        QCOMPARE(range.error, 0);
        QVERIFY(range.bytes == content.substr(1000, content.size() - 2000));
        QCOMPARE(proxy.accepted(), 3); // the refused one, the client's one, the reader's one
        QVERIFY(client->deleteObject("ots/tls").ok());
    }

private:
    S3Config config(const std::string& secret) const {
        S3Config result;
        result.endpoint = m_cluster.endpoint().toStdString();
        result.region = CephCluster::region().toStdString();
        result.bucket = m_cluster.bucket().toStdString();
        result.credentials = Credentials{m_cluster.accessKeyId().toStdString(), secret, {}};
        result.timeout = std::chrono::seconds(20);
        return result;
    }

    CephCluster m_cluster;
    std::shared_ptr<const S3Connector> m_connector;
    std::unique_ptr<S3Client> m_client;
};

QTEST_GUILESS_MAIN(TestS3Client)
#include "tst_s3_client.moc"
