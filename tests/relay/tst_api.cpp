// The relay's request handling driven directly, without sockets: every endpoint's success and failure
// paths against a real redis-server and a real data folder, with the Redis state and the files checked
// after each step. The HTTP transport has its own tests (tst_relay_*).

#include "Api.h"
#include "LocalBlobStore.h"
#include "Metrics.h"
#include "ReceiverFiles.h"
#include "RedisConnection.h"
#include "RedisServer.h"
#include "Scripts.h"
#include "ShareStore.h"
#include "Sweeper.h"
#include "ots/Base64Url.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/StreamEncryptor.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <boost/json.hpp>
#include <sodium.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace ots;
using namespace ots::relay;
namespace json = boost::json;

namespace {

using Headers = std::vector<std::pair<std::string, std::string>>;

RequestHeader makeHeader(http::verb method, const std::string& target, const Headers& headers = {}) {
    RequestHeader header;
    header.method(method);
    header.target(target);
    header.version(11);
    for (const auto& [name, value] : headers)
        header.set(name, value);
    // Every POST is JSON (SPEC.md §10.13); a test that means otherwise names its Content-Type.
    if (method == http::verb::post && header.find(http::field::content_type) == header.end())
        header.set(http::field::content_type, "application/json");
    return header;
}

json::object bodyOf(const Response& response) {
    boost::system::error_code error;
    json::value value = json::parse(response.body(), error);
    if (error || !value.is_object())
        return {};
    return value.get_object();
}

std::string errorOf(const Response& response) {
    const json::object body = bodyOf(response);
    const auto it = body.find("error");
    return it != body.end() && it->value().is_string() ? std::string(it->value().get_string())
                                                       : std::string();
}

std::string bearer(const std::string& token) {
    return "Bearer " + token;
}

std::string standardBase64(const Bytes& bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), bytes.data(), bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.pop_back();
    return out;
}

std::string pattern(std::size_t size) {
    std::string out(size, '\0');
    for (std::size_t i = 0; i < size; ++i)
        out[i] = static_cast<char>((i * 7 + 3) % 251);
    return out;
}

struct Share {
    std::string id;
    std::string ownerToken;
    std::shared_ptr<ShareKeys> keys;
    std::uint64_t size = 0;
    Bytes envelope;
};

} // namespace

class TestApi : public QObject {
    Q_OBJECT

    test::RedisServer m_redisServer;
    QTemporaryDir m_data;
    Config m_config;
    std::unique_ptr<LocalBlobStore> m_blobs;
    std::unique_ptr<Metrics> m_metrics;
    std::unique_ptr<Api> m_api;
    std::unique_ptr<RedisConnection> m_redis;
    std::chrono::milliseconds m_clockOffset{}; ///< what advanceClock() set the test clock to
    std::unique_ptr<Sweeper> m_sweeper;
    std::string m_client = "192.0.2.1";

    Config baseConfig() const {
        Config config;
        config.dataDirectory = std::filesystem::path(m_data.path().toStdString());
        config.redisPort = m_redisServer.port();
        config.minExpiry = std::chrono::seconds(1);
        config.createsPerMinutePerIp = 100'000;
        config.proofsPerMinutePerIp = 100'000;
        config.maxAttempts = 5;
        return config;
    }

    // --- driving the Api -------------------------------------------------------------------------

    Response call(http::verb method, const std::string& target, const std::string& body = {},
                  const Headers& headers = {}) {
        const RequestHeader header = makeHeader(method, target, headers);
        const Route route = m_api->route(header);
        const RequestContext context{m_client, "req-1", m_client};
        switch (route.kind) {
        case RouteKind::Json:
            return m_api->handleJson(route, header, body, context, *m_redis);
        case RouteKind::Static:
            return m_api->handleStatic(route, header, context);
        case RouteKind::NotFound:
            return Api::error(header, http::status::not_found, "not_found", "nothing here");
        case RouteKind::MethodNotAllowed:
            return Api::error(header, http::status::method_not_allowed, "method_not_allowed", "no");
        default:
            return Api::error(header, http::status::internal_server_error, "wrong_kind",
                              "use upload/download");
        }
    }

    std::string redisGet(const std::vector<std::string_view>& command) {
        const ReplyPtr reply = m_redis->command(command);
        const ReplyView view(reply.get());
        if (view.isNil())
            return "(nil)";
        if (view.isInteger())
            return std::to_string(view.integer());
        return std::string(view.string());
    }

    json::object createBody(std::uint64_t size, std::int64_t expiresIn, std::int64_t maxDownloads,
                            Share& share, bool password = false) {
        share.keys = std::make_shared<ShareKeys>(ShareKeys::fromLinkSecret(generateLinkSecret()).value());
        share.envelope =
            metadata::seal(*share.keys, ByteView(reinterpret_cast<const std::uint8_t*>("{}"), 2)).value();
        json::object body;
        body["size"] = size;
        body["expiresIn"] = expiresIn;
        body["maxDownloads"] = maxDownloads;
        body["authPublicKey"] = base64url::encode(share.keys->authPublicKey());
        body["linkPublicKey"] = base64url::encode(share.keys->linkPublicKey());
        body["metadata"] = standardBase64(share.envelope);
        if (password) {
            const Argon2Params params = Argon2Params::withRandomSalt();
            json::object kdf;
            kdf["salt"] = base64url::encode(params.salt);
            kdf["iterations"] = params.iterations;
            kdf["memoryKiB"] = params.memoryKiB;
            kdf["parallelism"] = params.parallelism;
            body["password"] = kdf;
        } else {
            body["password"] = nullptr;
        }
        return body;
    }

    Share create(std::uint64_t size = StreamEncryptor::ciphertextSize(100), std::int64_t maxDownloads = 1,
                 std::int64_t expiresIn = 3600, bool password = false) {
        Share share;
        share.size = size;
        const Response response =
            call(http::verb::post, "/api/v1/shares",
                 json::serialize(createBody(size, expiresIn, maxDownloads, share, password)));
        if (response.result() != http::status::created) {
            qWarning("create failed: %d %s", response.result_int(), response.body().c_str());
            return share;
        }
        const json::object body = bodyOf(response);
        share.id = std::string(body.at("id").as_string());
        share.ownerToken = std::string(body.at("ownerToken").as_string());
        return share;
    }

    /// PATCH through beginUpload/finishUpload, writing the body into the plan's file like the session.
    Response append(const Share& share, std::uint64_t offset, const std::string& bytes,
                    std::optional<std::uint64_t> written = std::nullopt, const std::string& token = {}) {
        const RequestHeader header =
            makeHeader(http::verb::patch, "/api/v1/shares/" + share.id + "/blob",
                       {{"Authorization", bearer(token.empty() ? share.ownerToken : token)},
                        {"Upload-Offset", std::to_string(offset)},
                        {"Content-Length", std::to_string(bytes.size())},
                        {"Content-Type", "application/offset+octet-stream"}});
        const Route route = m_api->route(header);
        const RequestContext context{m_client, "req-2", m_client};
        auto begun = m_api->beginUpload(route, header, context, *m_redis);
        if (auto* response = std::get_if<Response>(&begun))
            return *response;
        const UploadPlan plan = std::move(std::get<UploadPlan>(begun));
        const std::uint64_t count = written.value_or(bytes.size());
        if (plan.append->write(bytes.data(), static_cast<std::size_t>(count)) != 0)
            qFatal("cannot write the upload's bytes");
        return m_api->finishUpload(plan, count, count == bytes.size(), context, *m_redis);
    }

    Response complete(const Share& share) {
        return call(http::verb::post, "/api/v1/shares/" + share.id + "/complete", {},
                    {{"Authorization", bearer(share.ownerToken)}});
    }

    /// A share uploaded in full and completed; content is the ciphertext stand-in.
    Share ready(std::string& content, std::int64_t maxDownloads = 1, std::int64_t expiresIn = 3600,
                bool password = false) {
        Share share = create(StreamEncryptor::ciphertextSize(70'000), maxDownloads, expiresIn, password);
        content = pattern(share.size);
        const Response appended = append(share, 0, content);
        if (appended.result() != http::status::no_content)
            qWarning("append failed: %s", appended.body().c_str());
        const Response completed = complete(share);
        if (completed.result() != http::status::ok)
            qWarning("complete failed: %s", completed.body().c_str());
        return share;
    }

    std::string challenge(const Share& share) {
        const Response response = call(http::verb::post, "/api/v1/shares/" + share.id + "/challenge");
        if (response.result() != http::status::ok)
            return {};
        return std::string(bodyOf(response).at("nonce").as_string());
    }

    /// valid = false: a wrong download proof (a link holder with a wrong password); linkValid = false: a
    /// wrong link proof (someone without the link, or with a damaged one).
    /// ticket: the reservation's ticket (base64url); a fresh random one when empty.
    std::string proofBody(const Share& share, const std::string& nonceText, bool valid = true,
                          bool linkValid = true, const std::string& ticket = {}) {
        ShareId id{};
        ChallengeNonce nonce{};
        if (!base64url::decodeInto(share.id, id) || !base64url::decodeInto(nonceText, nonce))
            qFatal("bad id or nonce");
        Signature signature = share.keys->signChallenge(id, nonce);
        if (!valid)
            signature[0] ^= 1;
        json::object body;
        body["nonce"] = nonceText;
        body["signature"] = base64url::encode(signature);
        Signature linkSignature = share.keys->signLinkChallenge(id, nonce);
        if (!linkValid)
            linkSignature[0] ^= 1;
        body["linkSignature"] = base64url::encode(linkSignature);
        std::array<std::uint8_t, 32> fresh{};
        randomBytes(fresh);
        body["ticket"] = ticket.empty() ? base64url::encode(fresh) : ticket;
        return json::serialize(body);
    }

    Response prove(const Share& share, std::string_view what, bool valid = true, bool linkValid = true,
                   const std::string& ticket = {}) {
        const std::string nonce = challenge(share);
        return call(http::verb::post, "/api/v1/shares/" + share.id + "/" + std::string(what),
                    proofBody(share, nonce, valid, linkValid, ticket));
    }

    std::variant<Response, DownloadPlan> download(const Share& share, const std::string& ticket,
                                                  const std::string& range = {}) {
        Headers headers{{"Authorization", bearer(ticket)}};
        if (!range.empty())
            headers.emplace_back("Range", range);
        const RequestHeader header =
            makeHeader(http::verb::get, "/api/v1/shares/" + share.id + "/content", headers);
        return m_api->beginDownload(m_api->route(header), header, RequestContext{m_client, "req-3", m_client},
                                    *m_redis);
    }

    /// The plan's bytes, from the local store's file (tst_relay_tls reads them the other way, through
    /// asyncRead).
    static std::string readPlan(const DownloadPlan& plan) {
        std::string out(static_cast<std::size_t>(plan.count), '\0');
        const ssize_t n =
            ::pread(plan.source->fileDescriptor(), out.data(), out.size(), static_cast<off_t>(plan.first));
        out.resize(n > 0 ? static_cast<std::size_t>(n) : 0);
        return out;
    }

    /// LocalBlobStore's layout (LocalBlobStore.h): tests look at the files themselves.
    [[nodiscard]] std::filesystem::path partPath(const std::string& id) const {
        return std::filesystem::path(m_data.path().toStdString()) / "uploads" / (id + ".part");
    }
    [[nodiscard]] std::filesystem::path blobPath(const std::string& id) const {
        return std::filesystem::path(m_data.path().toStdString()) / "blobs" / id.substr(0, 2) /
               id.substr(2, 2) / id;
    }

    /// What a share holds of the storage quota: its ciphertext and its Redis footprint.
    static std::uint64_t quotaOf(const Share& share) {
        return share.size + share.envelope.size() + Api::kShareRedisOverhead;
    }

    std::uint64_t usage() {
        const std::string value = redisGet({"GET", keys::kUsage});
        return value == "(nil)" ? 0 : std::stoull(value);
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY(m_data.isValid());
        QVERIFY2(m_redisServer.start(), "redis-server did not start");
        m_config = baseConfig();
        m_blobs = std::make_unique<LocalBlobStore>(m_config.dataDirectory);
        m_metrics = std::make_unique<Metrics>();
        m_api = std::make_unique<Api>(m_config, *m_blobs, *m_metrics);
        m_redis = std::make_unique<RedisConnection>(m_config);
        m_sweeper = std::make_unique<Sweeper>(m_config, *m_blobs, *m_metrics);
        QVERIFY(m_redis->ping());
    }

    void init() {
        m_config = baseConfig();
        m_clockOffset = {};
        (void)redisGet({"DEL", keys::kTestClockOffset});
    }

    // The relay's test clock (Config::testClock): the scripts' now moves on by `by` without sleeping.
    void advanceClock(std::chrono::milliseconds by) {
        m_config.testClock = true;
        m_clockOffset += by;
        (void)redisGet({"SET", keys::kTestClockOffset, std::to_string(m_clockOffset.count()), "EX", "86400"});
    }

    void routes_data() {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("target");
        QTest::addColumn<int>("kind");
        QTest::addColumn<int>("endpoint");
        QTest::addColumn<bool>("hasId");
        const std::string id = "AAAAAAAAAAAAAAAAAAAAAA";
        const auto row = [](const char* name, const char* method, const std::string& target, RouteKind kind,
                            Endpoint endpoint, bool hasId) {
            QTest::newRow(name) << QString::fromUtf8(method) << QString::fromStdString(target) << int(kind)
                                << int(endpoint) << hasId;
        };
        const std::string s = "/api/v1/shares/" + id;
        row("create", "POST", "/api/v1/shares", RouteKind::Json, Endpoint::CreateShare, false);
        row("create GET", "GET", "/api/v1/shares", RouteKind::MethodNotAllowed, Endpoint::None, false);
        row("info", "GET", s, RouteKind::Json, Endpoint::ShareInfo, true);
        row("info with query", "GET", s + "?x=1", RouteKind::Json, Endpoint::ShareInfo, true);
        row("delete", "DELETE", s, RouteKind::Json, Endpoint::Delete, true);
        row("head blob", "HEAD", s + "/blob", RouteKind::Json, Endpoint::UploadOffset, true);
        row("patch blob", "PATCH", s + "/blob", RouteKind::Upload, Endpoint::UploadAppend, true);
        row("put blob", "PUT", s + "/blob", RouteKind::MethodNotAllowed, Endpoint::None, false);
        row("complete", "POST", s + "/complete", RouteKind::Json, Endpoint::Complete, true);
        row("challenge", "POST", s + "/challenge", RouteKind::Json, Endpoint::Challenge, true);
        row("metadata", "POST", s + "/metadata", RouteKind::Json, Endpoint::Metadata, true);
        row("reservations", "POST", s + "/reservations", RouteKind::Json, Endpoint::Reserve, true);
        row("content", "GET", s + "/content", RouteKind::Download, Endpoint::Download, true);
        row("finish", "POST", s + "/finish", RouteKind::Json, Endpoint::FinishDownload, true);
        row("owner", "GET", s + "/owner", RouteKind::Json, Endpoint::OwnerStatus, true);
        row("unlock", "POST", s + "/unlock", RouteKind::Json, Endpoint::Unlock, true);
        row("unknown action", "POST", s + "/explode", RouteKind::NotFound, Endpoint::None, false);
        row("trailing slash", "GET", s + "/", RouteKind::NotFound, Endpoint::None, false);
        row("bad id short", "GET", "/api/v1/shares/abc", RouteKind::Json, Endpoint::ShareInfo, false);
        row("bad id non-canonical", "GET", "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAB", RouteKind::Json,
            Endpoint::ShareInfo, false);
        row("path-like id", "GET", "/api/v1/shares/..%2F..%2Fetc%2Fpasswd/content", RouteKind::Download,
            Endpoint::Download, false);
        row("healthz", "GET", "/healthz", RouteKind::Static, Endpoint::Healthz, false);
        row("readyz", "GET", "/readyz", RouteKind::Static, Endpoint::Readyz, false);
        row("metrics", "GET", "/metrics", RouteKind::Static, Endpoint::MetricsText, false);
        row("metrics POST", "POST", "/metrics", RouteKind::MethodNotAllowed, Endpoint::None, false);
        row("receiver", "GET", "/s/" + id, RouteKind::Static, Endpoint::ReceiverPage, false);
        row("receiver HEAD", "HEAD", "/s/" + id, RouteKind::Static, Endpoint::ReceiverPage, false);
        row("receiver bad id", "GET", "/s/../etc", RouteKind::NotFound, Endpoint::None, false);
        row("root", "GET", "/", RouteKind::Static, Endpoint::ReceiverPage, false);
        row("root HEAD", "HEAD", "/", RouteKind::Static, Endpoint::ReceiverPage, false);
        row("unknown", "GET", "/favicon.ico", RouteKind::NotFound, Endpoint::None, false);
        // "/web/{file}": exactly the names of receiver::webFiles(), nothing decoded, nothing else.
        row("web file", "GET", "/web/receiver_main.js", RouteKind::Static, Endpoint::WebFile, false);
        row("web file HEAD", "HEAD", "/web/receiver_style.css", RouteKind::Static, Endpoint::WebFile, false);
        row("web vendor file", "GET", "/web/vendor/libsodium-wrappers.js", RouteKind::Static,
            Endpoint::WebFile, false);
        row("web file POST", "POST", "/web/ots_format.js", RouteKind::MethodNotAllowed, Endpoint::None,
            false);
        row("web unknown", "GET", "/web/nothing.js", RouteKind::NotFound, Endpoint::None, false);
        row("web folder", "GET", "/web/", RouteKind::NotFound, Endpoint::None, false);
        row("web vendor folder", "GET", "/web/vendor/", RouteKind::NotFound, Endpoint::None, false);
        row("web page by name", "GET", "/web/receiver_page.html", RouteKind::NotFound, Endpoint::None, false);
        row("web dot segments", "GET", "/web/vendor/../ots_zip.js", RouteKind::NotFound, Endpoint::None,
            false);
        row("web encoded", "GET", "/web/vendor%2Flibsodium.js", RouteKind::NotFound, Endpoint::None, false);
        row("web case", "GET", "/web/Receiver_main.js", RouteKind::NotFound, Endpoint::None, false);
        row("web trailing slash", "GET", "/web/ots_zip.js/", RouteKind::NotFound, Endpoint::None, false);
        row("web vendor file elsewhere", "GET", "/web/libsodium.js", RouteKind::NotFound, Endpoint::None,
            false);
        // The edges of the route table's "{id}": a trailing slash is nothing, an empty id before an action
        // is a malformed id, and a receiver page's id must be well-formed before its method counts.
        row("shares trailing slash", "GET", "/api/v1/shares/", RouteKind::NotFound, Endpoint::None, false);
        row("empty id before action", "HEAD", "/api/v1/shares//blob", RouteKind::Json, Endpoint::UploadOffset,
            false);
        row("action with a tail", "POST", s + "/finish/x", RouteKind::NotFound, Endpoint::None, false);
        row("bad id wrong method", "PUT", "/api/v1/shares/abc", RouteKind::MethodNotAllowed, Endpoint::None,
            false);
        row("healthz trailing slash", "GET", "/healthz/", RouteKind::NotFound, Endpoint::None, false);
        row("receiver POST", "POST", "/s/" + id, RouteKind::MethodNotAllowed, Endpoint::None, false);
        row("receiver empty id", "GET", "/s/", RouteKind::NotFound, Endpoint::None, false);
        row("receiver bad id POST", "POST", "/s/abc", RouteKind::NotFound, Endpoint::None, false);
    }

    void routes() {
        QFETCH(QString, method);
        QFETCH(QString, target);
        QFETCH(int, kind);
        QFETCH(int, endpoint);
        QFETCH(bool, hasId);
        const RequestHeader header =
            makeHeader(http::string_to_verb(method.toStdString()), target.toStdString());
        const Route route = m_api->route(header);
        QCOMPARE(int(route.kind), kind);
        QCOMPARE(int(route.endpoint), endpoint);
        QCOMPARE(!route.shareId.empty(), hasId);
    }

    void badShareIdIsRefusedByEveryHandler() {
        const Response info = call(http::verb::get, "/api/v1/shares/abc");
        QCOMPARE(info.result(), http::status::bad_request);
        QCOMPARE(errorOf(info), "bad_share_id");
        const Share fake{"..%2F..", "x", nullptr, 0, {}};
        const Response upload = append(fake, 0, "abc");
        QCOMPARE(upload.result(), http::status::bad_request);
        QCOMPARE(errorOf(upload), "bad_share_id");
        const auto got = download(fake, "x");
        QVERIFY(std::holds_alternative<Response>(got));
        QCOMPARE(errorOf(std::get<Response>(got)), "bad_share_id");
    }

    void createValidation_data() {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value"); // JSON text; empty = remove the field
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("error");
        const auto row = [](const char* name, const char* field, const char* value, int status,
                            const char* error) {
            QTest::newRow(name) << QString::fromUtf8(field) << QString::fromUtf8(value) << status
                                << QString::fromUtf8(error);
        };
        row("valid", "", "", 201, "");
        row("size missing", "size", "", 400, "bad_request");
        row("size string", "size", "\"4225\"", 400, "bad_request");
        row("size float", "size", "4225.5", 400, "bad_request");
        row("size negative", "size", "-1", 400, "bad_request");
        row("size not a v1 stream", "size", "4226", 400, "bad_request");
        row("size below any stream", "size", "100", 400, "bad_request");
        row("size above max-size", "size", "99999999999999", 413, "too_large");
        row("expiresIn too long", "expiresIn", "999999999", 400, "bad_request");
        row("expiresIn zero", "expiresIn", "0", 400, "bad_request");
        row("maxDownloads zero", "maxDownloads", "0", 400, "bad_request");
        row("maxDownloads too many", "maxDownloads", "101", 400, "bad_request");
        row("authPublicKey short", "authPublicKey", "\"AAAA\"", 400, "bad_request");
        row("authPublicKey number", "authPublicKey", "5", 400, "bad_request");
        row("metadata not base64", "metadata", "\"***\"", 400, "bad_request");
        row("metadata too short", "metadata", "\"AQID\"", 400, "bad_request");
        row("password wrong type", "password", "true", 400, "bad_request");
        row("password weak kdf", "password",
            R"({"salt":"AAAAAAAAAAAAAAAAAAAAAA","iterations":1,"memoryKiB":1024,"parallelism":1})", 400,
            "bad_request");
        row("password missing salt", "password", R"({"iterations":3,"memoryKiB":65536,"parallelism":4})", 400,
            "bad_request");
        row("unknown field ignored", "colour", "\"blue\"", 201, "");
    }

    void createValidation() {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(int, status);
        QFETCH(QString, error);
        Share share;
        json::object body = createBody(StreamEncryptor::ciphertextSize(100), 3600, 1, share);
        if (!field.isEmpty()) {
            if (value.isEmpty())
                body.erase(field.toStdString());
            else
                body[field.toStdString()] = json::parse(value.toStdString());
        }
        const Response response = call(http::verb::post, "/api/v1/shares", json::serialize(body));
        QCOMPARE(int(response.result_int()), status);
        QCOMPARE(QString::fromStdString(errorOf(response)), error);
        if (status == 400)
            QVERIFY(!std::string(bodyOf(response).at("message").as_string()).empty());
        QCOMPARE(response[http::field::content_type], "application/json");
        QCOMPARE(response[http::field::cache_control], "no-store");
        QCOMPARE(response["X-Request-Id"], "req-1");
    }

    // A value out of range names the field and the accepted range as JSON fields, so a client can tell
    // the user what to change without reading the message (SPEC.md §10.13).
    void createOutOfRangeNamesFieldAndRange() {
        Share share;
        json::object body = createBody(StreamEncryptor::ciphertextSize(100), 3600, 101, share);
        Response response = call(http::verb::post, "/api/v1/shares", json::serialize(body));
        QCOMPARE(response.result(), http::status::bad_request);
        json::object answer = bodyOf(response);
        QCOMPARE(std::string(answer.at("field").as_string()), "maxDownloads");
        QCOMPARE(answer.at("min").to_number<std::uint64_t>(), std::uint64_t{1});
        QCOMPARE(answer.at("max").to_number<std::uint64_t>(), std::uint64_t{100});

        body = createBody(StreamEncryptor::ciphertextSize(100), 999'999'999, 1, share);
        response = call(http::verb::post, "/api/v1/shares", json::serialize(body));
        answer = bodyOf(response);
        QCOMPARE(std::string(answer.at("field").as_string()), "expiresIn");
        QCOMPARE(answer.at("min").to_number<std::uint64_t>(), std::uint64_t{1});
        QCOMPARE(answer.at("max").to_number<std::uint64_t>(),
                 static_cast<std::uint64_t>(baseConfig().maxExpiry.count()));

        body = createBody(StreamEncryptor::ciphertextSize(100), 3600, 1, share);
        body["size"] = 99'999'999'999'999;
        response = call(http::verb::post, "/api/v1/shares", json::serialize(body));
        QCOMPARE(response.result(), http::status::payload_too_large);
        QCOMPARE(bodyOf(response).at("max").to_number<std::uint64_t>(), baseConfig().maxShareSize);

        // Other refusals carry no range.
        body = createBody(StreamEncryptor::ciphertextSize(100), 3600, 1, share);
        body["authPublicKey"] = "AAAA";
        response = call(http::verb::post, "/api/v1/shares", json::serialize(body));
        QCOMPARE(response.result(), http::status::bad_request);
        QVERIFY(!bodyOf(response).contains("min"));
    }

    void createMalformedJson() {
        for (const char* body : {"", "{", "[]", "null", "{\"size\": }", "\"text\""}) {
            const Response response = call(http::verb::post, "/api/v1/shares", body);
            QCOMPARE(response.result(), http::status::bad_request);
            QCOMPARE(errorOf(response), "bad_request");
        }
    }

    void createStoresShareInRedis() {
        const std::uint64_t before = usage();
        const Share share = create(StreamEncryptor::ciphertextSize(5000), 3, 600, true);
        QVERIFY(!share.id.empty());
        QCOMPARE(share.id.size(), std::size_t(22));
        QCOMPARE(usage(), before + quotaOf(share));
        const std::string key = keys::share(share.id);
        QCOMPARE(redisGet({"HGET", key, "state"}), "uploading");
        QCOMPARE(redisGet({"HGET", key, "size"}), std::to_string(share.size));
        QCOMPARE(redisGet({"HGET", key, "maxDownloads"}), "3");
        // Only a hash of the owner token is stored.
        Bytes owner(32);
        QVERIFY(base64url::decodeInto(share.ownerToken, owner));
        QCOMPARE(redisGet({"HGET", key, "ownerHash"}), tokenHash(owner));
        QVERIFY(redisGet({"HGET", key, "ownerHash"}).find(share.ownerToken) == std::string::npos);
        const std::int64_t ttl = std::stoll(redisGet({"PTTL", key}));
        QVERIFY(ttl > 600'000 && ttl <= (600 + 3600) * 1000);
        QVERIFY(redisGet({"ZSCORE", keys::kExpiry, share.id}) != "(nil)");

        // Public info: no public key, no metadata; the KDF parameters are there.
        const Response info = call(http::verb::get, "/api/v1/shares/" + share.id);
        QCOMPARE(info.result(), http::status::ok);
        const json::object body = bodyOf(info);
        QCOMPARE(body.at("state").as_string(), "uploading");
        QCOMPARE(body.at("size").to_number<std::uint64_t>(), share.size);
        QCOMPARE(body.at("downloadsLeft").to_number<int>(), 3);
        QCOMPARE(body.at("attemptsLeft").to_number<int>(), 5);
        QVERIFY(body.at("passwordRequired").as_bool());
        QCOMPARE(body.at("kdf").as_object().at("iterations").to_number<int>(), 3);
        QVERIFY(!body.contains("authPublicKey"));
        QVERIFY(!body.contains("metadata"));
        QVERIFY(!body.contains("uploadOffset"));
        QCOMPARE(body.size(), std::size_t(8));
        // ... and no side effects.
        QCOMPARE(redisGet({"HGET", key, "attempts"}), "0");
        QCOMPARE(redisGet({"EXISTS", keys::gone(share.id)}), "0");
    }

    void infoOfUnknownShare() {
        const Response response = call(http::verb::get, "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA");
        QCOMPARE(response.result(), http::status::not_found);
        QCOMPARE(errorOf(response), "not_found");
    }

    void uploadPaths() {
        const Share share = create(StreamEncryptor::ciphertextSize(70'000));
        const std::string content = pattern(share.size);
        const std::string blobTarget = "/api/v1/shares/" + share.id + "/blob";

        // HEAD: owner only.
        Response head = call(http::verb::head, blobTarget, {}, {{"Authorization", bearer(share.ownerToken)}});
        QCOMPARE(head.result(), http::status::no_content);
        QCOMPARE(head["Upload-Offset"], "0");
        QCOMPARE(head["Upload-Length"], std::to_string(share.size));
        QVERIFY(head.find(http::field::content_length) == head.end());
        const std::string wrongToken = base64url::encode(Bytes(32, 7));
        QCOMPARE(call(http::verb::head, blobTarget, {}, {{"Authorization", bearer(wrongToken)}}).result(),
                 http::status::unauthorized);
        QCOMPARE(call(http::verb::head, blobTarget).result(), http::status::unauthorized);

        // PATCH failures.
        QCOMPARE(append(share, 0, "abc", std::nullopt, wrongToken).result(), http::status::unauthorized);
        QCOMPARE(errorOf(append(share, 0, content.substr(0, 10), std::nullopt, "not-base64url!")),
                 "unauthorized");
        Response mismatch = append(share, 5, "abc");
        QCOMPARE(mismatch.result(), http::status::conflict);
        QCOMPARE(errorOf(mismatch), "offset_mismatch");
        QCOMPARE(bodyOf(mismatch).at("offset").to_number<int>(), 0);
        QCOMPARE(append(share, 0, content + "x").result(), http::status::payload_too_large);
        {
            const RequestHeader header =
                makeHeader(http::verb::patch, blobTarget,
                           {{"Authorization", bearer(share.ownerToken)}, {"Upload-Offset", "0"}});
            auto begun =
                m_api->beginUpload(m_api->route(header), header, {m_client, "r", m_client}, *m_redis);
            QVERIFY(std::holds_alternative<Response>(begun));
            QCOMPARE(std::get<Response>(begun).result(), http::status::length_required);
            QCOMPARE(errorOf(std::get<Response>(begun)), "length_required");
            const RequestHeader noOffset =
                makeHeader(http::verb::patch, blobTarget,
                           {{"Authorization", bearer(share.ownerToken)}, {"Content-Length", "3"}});
            begun = m_api->beginUpload(m_api->route(noOffset), noOffset, {m_client, "r", m_client}, *m_redis);
            QCOMPARE(errorOf(std::get<Response>(begun)), "bad_request");
        }

        // The first half, then a body cut short: the offset advances by what arrived.
        const std::size_t half = content.size() / 2;
        Response first = append(share, 0, content.substr(0, half));
        QCOMPARE(first.result(), http::status::no_content);
        QCOMPARE(first["Upload-Offset"], std::to_string(half));
        QCOMPARE(first["X-Request-Id"], "req-2");
        Response cut = append(share, half, content.substr(half, 1000), 400);
        QCOMPARE(cut.result(), http::status::no_content);
        QCOMPARE(cut["Upload-Offset"], std::to_string(half + 400));
        std::uint64_t offset = half + 400;

        // Not downloadable, not completable before the end; info still works.
        QCOMPARE(errorOf(complete(share)), "incomplete");
        QCOMPARE(errorOf(call(http::verb::post, "/api/v1/shares/" + share.id + "/challenge")), "not_ready");
        QCOMPARE(call(http::verb::get, "/api/v1/shares/" + share.id).result(), http::status::ok);

        // A second append while one runs: upload_in_progress.
        const RequestHeader running = makeHeader(http::verb::patch, blobTarget,
                                                 {{"Authorization", bearer(share.ownerToken)},
                                                  {"Upload-Offset", std::to_string(offset)},
                                                  {"Content-Length", "100"}});
        auto begun = m_api->beginUpload(m_api->route(running), running, {m_client, "r", m_client}, *m_redis);
        QVERIFY(std::holds_alternative<UploadPlan>(begun));
        const UploadPlan plan = std::move(std::get<UploadPlan>(begun));
        const std::filesystem::path part = partPath(share.id);
        QVERIFY(std::filesystem::exists(part));
        QCOMPARE(errorOf(append(share, offset, "abc")), "upload_in_progress");
        QCOMPARE(errorOf(complete(share)), "upload_in_progress");

        // That append dies after writing bytes it never confirmed (a crash): its lease goes with the
        // relay (the next run's startupScan releases it), and the next append cuts the unconfirmed bytes
        // off. In this one process the "previous run" is made by giving the lease another incarnation
        // (HOST:PORT:DATA/ INCARNATION - TOKEN): a start-up scan leaves its own run's leases alone.
        {
            const std::string value = redisGet({"GET", keys::lease(share.id)});
            QVERIFY(value.size() > 49);
            QVERIFY(value.starts_with(LeaseRegistry::instance().ownPrefix(m_config)));
            const std::string previous =
                value.substr(0, value.size() - 49) + "ffffffffffffffff-" + value.substr(value.size() - 32);
            QCOMPARE(redisGet({"SET", keys::lease(share.id), previous}), "OK");
        }
        QCOMPARE(plan.append->write("garbage garbage", 15), 0);
        QCOMPARE(std::filesystem::file_size(part), offset + 15);
        QCOMPARE(redisGet({"EXISTS", keys::lease(share.id)}), "1");
        m_sweeper->startupScan(*m_redis);
        QCOMPARE(redisGet({"EXISTS", keys::lease(share.id)}), "0");
        QVERIFY(std::filesystem::exists(part)); // the share lives: its partial file stays
        Response rest = append(share, offset, content.substr(offset));
        QCOMPARE(rest.result(), http::status::no_content);
        QCOMPARE(rest["Upload-Offset"], std::to_string(share.size));
        QCOMPARE(std::filesystem::file_size(part), share.size);

        // Complete: renamed into blobs/XY/ZW/ID, ready; a retry is fine.
        const Response done = complete(share);
        QCOMPARE(done.result(), http::status::ok);
        QCOMPARE(bodyOf(done).at("state").as_string(), "ready");
        const std::filesystem::path blob = blobPath(share.id);
        QCOMPARE(blob, std::filesystem::path(m_data.path().toStdString()) / "blobs" / share.id.substr(0, 2) /
                           share.id.substr(2, 2) / share.id);
        QVERIFY(std::filesystem::exists(blob));
        QVERIFY(!std::filesystem::exists(part));
        QFile blobFile(QString::fromStdString(blob.string()));
        QVERIFY(blobFile.open(QIODevice::ReadOnly));
        QCOMPARE(blobFile.readAll().toStdString(), content);
        QCOMPARE(complete(share).result(), http::status::ok);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "state"}), "ready");
        // Appending to a complete share: the offset is the size.
        const Response late = append(share, 0, "abc");
        QCOMPARE(errorOf(late), "offset_mismatch");
        QCOMPARE(bodyOf(late).at("offset").to_number<std::uint64_t>(), share.size);
        // The plan of the dead append is useless now: its finishUpload changes nothing.
        const Response stale = m_api->finishUpload(plan, 15, true, {m_client, "r", m_client}, *m_redis);
        QCOMPARE(errorOf(stale), "upload_in_progress");
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "offset"}), std::to_string(share.size));
    }

    void proofsDownloadAndFinish() {
        std::string content;
        const Share share = ready(content, 1);
        const std::string base = "/api/v1/shares/" + share.id;

        const json::object info = bodyOf(call(http::verb::get, base));
        QCOMPARE(info.at("state").as_string(), "ready");
        QCOMPARE(info.at("passwordRequired").as_bool(), false);
        QVERIFY(info.at("kdf").is_null());

        // Metadata: a valid proof returns the envelope and spends nothing.
        const std::uint64_t verifiedBefore = m_metrics->proofsVerified();
        const Response meta = prove(share, "metadata");
        QCOMPARE(meta.result(), http::status::ok);
        QCOMPARE(std::string(bodyOf(meta).at("metadata").as_string()), standardBase64(share.envelope));
        QCOMPARE(m_metrics->proofsVerified(), verifiedBefore + 1);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "reserved"}), "0");

        // A nonce is single-use; an unknown one is refused; a malformed body is a bad request.
        const std::string nonce = challenge(share);
        QVERIFY(!nonce.empty());
        QCOMPARE(redisGet({"PTTL", keys::nonce(share.id, toHex(Bytes(32, 0)))}), "-2");
        QCOMPARE(call(http::verb::post, base + "/metadata", proofBody(share, nonce)).result(),
                 http::status::ok);
        const Response reused = call(http::verb::post, base + "/metadata", proofBody(share, nonce));
        QCOMPARE(reused.result(), http::status::gone);
        QCOMPARE(errorOf(reused), "challenge_invalid");
        QCOMPARE(errorOf(call(http::verb::post, base + "/metadata", "{\"nonce\": 5}")), "bad_request");
        QCOMPARE(errorOf(call(http::verb::post, base + "/reservations", "{}")), "bad_request");
        QCOMPARE(errorOf(call(http::verb::post, base + "/reservations", "not json")), "bad_request");

        // Without the link: refused before anything is counted or verified past the link key.
        const Response noLink = prove(share, "reservations", true, false);
        QCOMPARE(noLink.result(), http::status::forbidden);
        QCOMPARE(errorOf(noLink), "link_invalid");
        QCOMPARE(m_metrics->render().find("ots_link_proofs_rejected_total 0"), std::string::npos);
        // A wrong download proof with the link, on a share without a password: refused, never counted.
        const Response wrong = prove(share, "reservations", false);
        QCOMPARE(wrong.result(), http::status::forbidden);
        QCOMPARE(errorOf(wrong), "proof_invalid");
        QVERIFY(!bodyOf(wrong).contains("attemptsLeft"));
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");
        QCOMPARE(redisGet({"ZCARD", keys::pending(share.id)}), "0");

        const Response reserved = prove(share, "reservations");
        QCOMPARE(reserved.result(), http::status::created);
        const json::object ticketBody = bodyOf(reserved);
        const std::string ticket(ticketBody.at("ticket").as_string());
        QCOMPARE(ticketBody.at("size").to_number<std::uint64_t>(), share.size);
        QCOMPARE(ticketBody.at("expiresIn").to_number<std::int64_t>(), m_config.ticketLifetime.count());
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "reserved"}), "1");
        Bytes ticketBytes(32);
        QVERIFY(base64url::decodeInto(ticket, ticketBytes));
        QCOMPARE(redisGet({"EXISTS", keys::ticket(share.id, tokenHash(ticketBytes))}), "1");
        QCOMPARE(bodyOf(call(http::verb::get, base)).at("downloadsLeft").to_number<int>(), 0);

        // Every download is reserved now: the next proof is refused before it costs anything.
        const std::uint64_t verified = m_metrics->proofsVerified();
        const Response none = prove(share, "reservations");
        QCOMPARE(none.result(), http::status::gone);
        QCOMPARE(errorOf(none), "no_downloads_left");
        QCOMPARE(m_metrics->proofsVerified(), verified);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");

        // Downloads: ticket required; Range variants.
        QCOMPARE(errorOf(std::get<Response>(download(share, base64url::encode(Bytes(32, 1))))),
                 "unauthorized");
        QCOMPARE(errorOf(std::get<Response>(download(share, "garbage"))), "unauthorized");
        struct RangeCase {
            std::string range;
            http::status status;
            std::uint64_t first;
            std::uint64_t count;
        };
        const std::uint64_t size = share.size;
        const std::vector<RangeCase> cases = {
            {"", http::status::ok, 0, size},
            {"bytes=0-9", http::status::partial_content, 0, 10},
            {"bytes=100-", http::status::partial_content, 100, size - 100},
            {"bytes=-5", http::status::partial_content, size - 5, 5},
            {"bytes=-999999999", http::status::partial_content, 0, size},
            {"bytes=10-99999999", http::status::partial_content, 10, size - 10},
            {"bytes=" + std::to_string(size - 1) + "-", http::status::partial_content, size - 1, 1},
            {"bytes=9-2", http::status::ok, 0, size},     // invalid: ignored
            {"bytes=0-1,5-6", http::status::ok, 0, size}, // several ranges: ignored
            {"items=0-1", http::status::ok, 0, size},     // other unit: ignored
        };
        for (const RangeCase& c : cases) {
            auto got = download(share, ticket, c.range);
            QVERIFY2(std::holds_alternative<DownloadPlan>(got), c.range.c_str());
            const DownloadPlan& plan = std::get<DownloadPlan>(got);
            QCOMPARE(plan.header.result(), c.status);
            QCOMPARE(plan.first, c.first);
            QCOMPARE(plan.count, c.count);
            QCOMPARE(plan.header[http::field::content_length], std::to_string(c.count));
            QCOMPARE(plan.header[http::field::accept_ranges], "bytes");
            QCOMPARE(plan.header[http::field::content_type], "application/octet-stream");
            QCOMPARE(plan.header["X-Request-Id"], "req-3");
            if (c.status == http::status::partial_content)
                QCOMPARE(plan.header[http::field::content_range], "bytes " + std::to_string(c.first) + "-" +
                                                                      std::to_string(c.first + c.count - 1) +
                                                                      "/" + std::to_string(size));
            QCOMPARE(readPlan(plan), content.substr(c.first, c.count));
        }
        for (const std::string& range :
             {"bytes=" + std::to_string(size) + "-", std::string("bytes=-0"),
              "bytes=" + std::to_string(size + 10) + "-" + std::to_string(size + 20)}) {
            auto got = download(share, ticket, range);
            QVERIFY(std::holds_alternative<Response>(got));
            const Response& refused = std::get<Response>(got);
            QCOMPARE(refused.result(), http::status::range_not_satisfiable);
            QCOMPARE(errorOf(refused), "range_not_satisfiable");
            QCOMPARE(refused[http::field::content_range], "bytes */" + std::to_string(size));
        }

        // Finish: wrong ticket refused; the last finish deletes keys and blob, leaves the tombstone.
        QCOMPARE(errorOf(call(http::verb::post, base + "/finish", {},
                              {{"Authorization", bearer(base64url::encode(Bytes(32, 2)))}})),
                 "unauthorized");
        const std::uint64_t usageBefore = usage();
        const Response finished =
            call(http::verb::post, base + "/finish", {}, {{"Authorization", bearer(ticket)}});
        QCOMPARE(finished.result(), http::status::ok);
        QCOMPARE(bodyOf(finished).at("downloadsLeft").to_number<int>(), 0);
        QVERIFY(!std::filesystem::exists(blobPath(share.id)));
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "0");
        QCOMPARE(redisGet({"EXISTS", keys::tickets(share.id)}), "0");
        QCOMPARE(redisGet({"EXISTS", keys::ticket(share.id, tokenHash(ticketBytes))}), "0");
        QCOMPARE(redisGet({"GET", keys::gone(share.id)}), "downloaded");
        QVERIFY(std::stoll(redisGet({"PTTL", keys::gone(share.id)})) > 0);
        QCOMPARE(usage(), usageBefore - quotaOf(share));
        QCOMPARE(redisGet({"ZSCORE", keys::kExpiry, share.id}), "(nil)");
        const Response after = call(http::verb::get, base);
        QCOMPARE(after.result(), http::status::gone);
        QCOMPARE(errorOf(after), "downloaded");
        QCOMPARE(errorOf(std::get<Response>(download(share, ticket))), "downloaded");
        QCOMPARE(errorOf(call(http::verb::post, base + "/finish", {}, {{"Authorization", bearer(ticket)}})),
                 "downloaded");
    }

    void severalDownloads() {
        std::string content;
        const Share share = ready(content, 2);
        const std::string base = "/api/v1/shares/" + share.id;
        const std::string first(bodyOf(prove(share, "reservations")).at("ticket").as_string());
        const std::string second(bodyOf(prove(share, "reservations")).at("ticket").as_string());
        QCOMPARE(errorOf(prove(share, "reservations")), "no_downloads_left");
        const Response one = call(http::verb::post, base + "/finish", {}, {{"Authorization", bearer(first)}});
        QCOMPARE(bodyOf(one).at("downloadsLeft").to_number<int>(), 0);
        QVERIFY(std::filesystem::exists(blobPath(share.id))); // the second is still running
        QVERIFY(std::holds_alternative<DownloadPlan>(download(share, second)));
        QCOMPARE(errorOf(std::get<Response>(download(share, first))), "unauthorized"); // finished tickets end
        const Json owner = ownerStatus(share);
        QCOMPARE(owner.at("downloadsReserved").to_number<int>(), 2);
        QCOMPARE(owner.at("downloadsFinished").to_number<int>(), 1);
        QCOMPARE(call(http::verb::post, base + "/finish", {}, {{"Authorization", bearer(second)}}).result(),
                 http::status::ok);
        QVERIFY(!std::filesystem::exists(blobPath(share.id)));
        QCOMPARE(errorOf(call(http::verb::get, base)), "downloaded");
    }

    // SPEC §10.6: the client chooses the ticket, so a reservation whose answer was lost is found again
    // by proving with the same ticket: 200, the same ticket, nothing more reserved — also when every
    // download is taken. Another ticket is a new reservation; a malformed one is refused.
    void retriedReservationKeepsItsTicket() {
        std::string content;
        const Share share = ready(content, 1);
        const std::string base = "/api/v1/shares/" + share.id;
        std::array<std::uint8_t, 32> bytes{};
        randomBytes(bytes);
        const std::string ticket = base64url::encode(bytes);
        const std::string lapseEntry = share.id + ":" + tokenHash(bytes);
        const Response first = prove(share, "reservations", true, true, ticket);
        QCOMPARE(first.result(), http::status::created);
        QCOMPARE(std::string(bodyOf(first).at("ticket").as_string()), ticket);
        const std::string lapsesAt = redisGet({"ZSCORE", keys::kTicketExpiry, lapseEntry});
        QVERIFY(lapsesAt != "(nil)");
        for (int retry = 0; retry < 3; ++retry) {
            const Response again = prove(share, "reservations", true, true, ticket);
            QCOMPARE(again.result(), http::status::ok);
            const Json body = bodyOf(again);
            QCOMPARE(std::string(body.at("ticket").as_string()), ticket);
            QCOMPARE(body.at("size").to_number<std::uint64_t>(), content.size());
            const auto left = body.at("expiresIn").to_number<std::int64_t>();
            QVERIFY2(left > 0 && left <= 3600, std::to_string(left).c_str());
        }
        // Nothing more reserved, and the lapse the first reservation scheduled is the one that counts.
        QCOMPARE(ownerStatus(share).at("downloadsReserved").to_number<int>(), 1);
        QCOMPARE(redisGet({"ZSCORE", keys::kTicketExpiry, lapseEntry}), lapsesAt);
        QCOMPARE(redisGet({"ZCARD", keys::tickets(share.id)}), "1");
        QCOMPARE(errorOf(prove(share, "reservations")), "no_downloads_left");
        QVERIFY(std::holds_alternative<DownloadPlan>(download(share, ticket)));
        QCOMPARE(call(http::verb::post, base + "/finish", {}, {{"Authorization", bearer(ticket)}}).result(),
                 http::status::ok);
        // Finished: the share is gone, and its ticket with it.
        QCOMPARE(errorOf(std::get<Response>(download(share, ticket))), "downloaded");

        // A body without a well-formed ticket is refused before anything is looked at (the nonce stays).
        std::string spare;
        const Share other = ready(spare, 1);
        const std::string nonce = challenge(other);
        for (const std::string& bad :
             std::vector<std::string>{"", "short", std::string(43, '!'), ticket + "A"}) {
            json::object body = json::parse(proofBody(other, nonce)).as_object();
            if (bad.empty())
                body.erase("ticket");
            else
                body["ticket"] = bad;
            const Response refused =
                call(http::verb::post, "/api/v1/shares/" + other.id + "/reservations", json::serialize(body));
            QCOMPARE(refused.result(), http::status::bad_request);
        }
        QCOMPARE(ownerStatus(other).at("downloadsReserved").to_number<int>(), 0);
        QCOMPARE(
            call(http::verb::post, "/api/v1/shares/" + other.id + "/reservations", proofBody(other, nonce))
                .result(),
            http::status::created);
    }

    void passwordProofsCountOnlyForLinkHolders() {
        std::string content;
        const Share share = ready(content, 1, 3600, true);
        const std::uint64_t verified = m_metrics->proofsVerified();
        for (int i = 0; i < 10; ++i) {
            const Response noLink = prove(share, i % 2 ? "metadata" : "reservations", false, false);
            QCOMPARE(noLink.result(), http::status::forbidden);
            QCOMPARE(errorOf(noLink), "link_invalid");
        }
        QCOMPARE(m_metrics->proofsVerified(), verified);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");
        const std::string base = "/api/v1/shares/" + share.id;
        QCOMPARE(bodyOf(call(http::verb::get, base)).at("attemptsLeft").to_number<int>(), 5);
        // A link holder with a wrong password spends an attempt; the right one refunds its own.
        const Response wrong = prove(share, "metadata", false);
        QCOMPARE(errorOf(wrong), "proof_invalid");
        QCOMPARE(bodyOf(wrong).at("attemptsLeft").to_number<int>(), 4);
        QCOMPARE(prove(share, "reservations").result(), http::status::created);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "1");
    }

    void lockAndUnlock() {
        std::string content;
        const Share share = ready(content, 1, 3600, true);
        const std::string base = "/api/v1/shares/" + share.id;
        const std::uint64_t verified = m_metrics->proofsVerified();
        const std::string spare = challenge(share); // fetched before the lock
        for (int i = 1; i <= 5; ++i) {
            const Response wrong = prove(share, i % 2 ? "metadata" : "reservations", false);
            QCOMPARE(wrong.result(), http::status::forbidden);
            QCOMPARE(bodyOf(wrong).at("attemptsLeft").to_number<int>(), 5 - i);
        }
        QCOMPARE(m_metrics->proofsVerified(), verified + 5);
        QCOMPARE(bodyOf(call(http::verb::get, base)).at("state").as_string(), "locked");
        QCOMPARE(bodyOf(call(http::verb::get, base)).at("attemptsLeft").to_number<int>(), 0);
        const Response challenged = call(http::verb::post, base + "/challenge");
        QCOMPARE(challenged.result(), http::status::locked);
        QCOMPARE(errorOf(challenged), "locked");
        // Even a correct proof with a nonce from before is refused unverified.
        const Response refused = call(http::verb::post, base + "/reservations", proofBody(share, spare));
        QCOMPARE(refused.result(), http::status::locked);
        QCOMPARE(m_metrics->proofsVerified(), verified + 5);
        QVERIFY(m_metrics->render().find("ots_attempts_refused_total 0") == std::string::npos);
        // Locked, not deleted.
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "1");
        QVERIFY(std::filesystem::exists(blobPath(share.id)));
        QVERIFY(ownerStatus(share).at("locked").as_bool());

        // Unlock: owner only.
        QCOMPARE(errorOf(call(http::verb::post, base + "/unlock", {},
                              {{"Authorization", bearer(base64url::encode(Bytes(32, 3)))}})),
                 "unauthorized");
        QCOMPARE(errorOf(call(http::verb::post, base + "/unlock")), "unauthorized");
        const Response unlocked =
            call(http::verb::post, base + "/unlock", {}, {{"Authorization", bearer(share.ownerToken)}});
        QCOMPARE(unlocked.result(), http::status::ok);
        QCOMPARE(bodyOf(unlocked).at("attemptsLeft").to_number<int>(), 5);
        QCOMPARE(bodyOf(unlocked).at("locked").as_bool(), false);
        QCOMPARE(prove(share, "reservations").result(), http::status::created);
    }

    void concurrentWrongProofsVerifyAtMostMaxAttempts() {
        std::string content;
        const Share share = ready(content, 1, 3600, true);
        // Every racer holds its own nonce first, so the race is in the attempt script alone.
        constexpr int racers = 40;
        std::vector<std::string> bodies;
        for (int i = 0; i < racers; ++i)
            bodies.push_back(proofBody(share, challenge(share), false));
        const std::uint64_t verified = m_metrics->proofsVerified();
        std::atomic<int> forbidden{0};
        std::atomic<int> refused{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < racers; ++i)
            threads.emplace_back([&, i] {
                RedisConnection redis(m_config);
                const RequestHeader header =
                    makeHeader(http::verb::post, "/api/v1/shares/" + share.id + "/metadata");
                const Response response =
                    m_api->handleJson(m_api->route(header), header, bodies[static_cast<std::size_t>(i)],
                                      {m_client, "race", m_client}, redis);
                if (response.result() == http::status::forbidden)
                    ++forbidden;
                else if (errorOf(response) == "locked" || errorOf(response) == "rate_limited")
                    ++refused; // rate_limited: the attempts left were all being checked at that moment
            });
        for (std::thread& thread : threads)
            thread.join();
        QCOMPARE(forbidden.load(), 5);
        QCOMPARE(refused.load(), racers - 5);
        QCOMPARE(m_metrics->proofsVerified(), verified + 5);
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "1");
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "5");
        QCOMPARE(redisGet({"ZCARD", keys::pending(share.id)}), "0");
        QCOMPARE(bodyOf(call(http::verb::get, "/api/v1/shares/" + share.id)).at("state").as_string(),
                 "locked");
    }

    void concurrentReservationsGiveExactlyOneTicket() {
        std::string content;
        const Share share = ready(content, 1);
        constexpr int racers = 40;
        std::vector<std::string> bodies;
        for (int i = 0; i < racers; ++i)
            bodies.push_back(proofBody(share, challenge(share)));
        std::atomic<int> created{0};
        std::atomic<int> noneLeft{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < racers; ++i)
            threads.emplace_back([&, i] {
                RedisConnection redis(m_config);
                const RequestHeader header =
                    makeHeader(http::verb::post, "/api/v1/shares/" + share.id + "/reservations");
                const Response response =
                    m_api->handleJson(m_api->route(header), header, bodies[static_cast<std::size_t>(i)],
                                      {m_client, "race", m_client}, redis);
                if (response.result() == http::status::created)
                    ++created;
                else if (errorOf(response) == "no_downloads_left" || errorOf(response) == "rate_limited")
                    ++noneLeft; // rate_limited: more valid proofs in flight than attempts; a retry gets 410
            });
        for (std::thread& thread : threads)
            thread.join();
        QCOMPARE(created.load(), 1);
        QCOMPARE(noneLeft.load(), racers - 1);
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "reserved"}), "1");
        QCOMPARE(redisGet({"HGET", keys::share(share.id), "attempts"}), "0");
        QCOMPARE(redisGet({"ZCARD", keys::tickets(share.id)}), "1");
        QCOMPARE(redisGet({"ZCARD", keys::pending(share.id)}), "0");
        QCOMPARE(errorOf(prove(share, "reservations")), "no_downloads_left");
    }

    void attemptOfADeadRelayCountsAsFailure() {
        // A relay that dies between reserving an attempt and resolving it leaves a pending entry; after
        // its stale age it counts as a failure, so a crash can never hand out extra attempts.
        std::string content;
        const Share share = ready(content, 1, 3600, true);
        const std::string pending = keys::pending(share.id);
        const ReplyPtr added = m_redis->command({"ZADD", pending, "0", "dead-relay-attempt"});
        QCOMPARE(ReplyView(added.get()).integer(), 1);
        const Response wrong = prove(share, "metadata", false);
        QCOMPARE(bodyOf(wrong).at("attemptsLeft").to_number<int>(), 3);
        QCOMPARE(redisGet({"ZCARD", pending}), "0");
        // A fresh pending entry that fills the last attempts makes others wait, not fail.
        const ReplyPtr running = m_redis->command(
            {"ZADD", pending, "9999999999999", "a", "9999999999999", "b", "9999999999999", "c"});
        QCOMPARE(ReplyView(running.get()).integer(), 3);
        const Response busy = prove(share, "metadata");
        QCOMPARE(busy.result(), http::status::too_many_requests);
        QCOMPARE(errorOf(busy), "rate_limited");
        QCOMPARE(busy[http::field::retry_after], "1");
        QCOMPARE(bodyOf(call(http::verb::get, "/api/v1/shares/" + share.id)).at("state").as_string(),
                 "ready");
        QCOMPARE(redisGet({"DEL", pending}), "1");
        QCOMPARE(prove(share, "metadata").result(), http::status::ok);
    }

    void deleteShare() {
        std::string content;
        const Share share = ready(content, 1);
        const std::string base = "/api/v1/shares/" + share.id;
        const std::string ticket(bodyOf(prove(share, "reservations")).at("ticket").as_string());
        QCOMPARE(errorOf(call(http::verb::delete_, base)), "unauthorized");
        QCOMPARE(errorOf(call(http::verb::delete_, base, {}, {{"Authorization", bearer(ticket)}})),
                 "unauthorized");
        const std::uint64_t before = usage();
        const Response removed =
            call(http::verb::delete_, base, {}, {{"Authorization", bearer(share.ownerToken)}});
        QCOMPARE(removed.result(), http::status::no_content);
        QVERIFY(!std::filesystem::exists(blobPath(share.id)));
        QCOMPARE(usage(), before - quotaOf(share));
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "0");
        QCOMPARE(redisGet({"EXISTS", keys::tickets(share.id)}), "0");
        QCOMPARE(redisGet({"GET", keys::gone(share.id)}), "deleted");
        const Response info = call(http::verb::get, base);
        QCOMPARE(info.result(), http::status::gone);
        QCOMPARE(errorOf(info), "deleted");
        QCOMPARE(errorOf(std::get<Response>(download(share, ticket))), "deleted");
        QCOMPARE(errorOf(call(http::verb::delete_, base, {}, {{"Authorization", bearer(share.ownerToken)}})),
                 "deleted");
        QCOMPARE(errorOf(call(http::verb::post, base + "/challenge")), "deleted");
        // Deleting while uploading removes the partial file too.
        const Share uploading = create();
        QCOMPARE(append(uploading, 0, "abc").result(), http::status::no_content);
        QVERIFY(std::filesystem::exists(partPath(uploading.id)));
        QCOMPARE(call(http::verb::delete_, "/api/v1/shares/" + uploading.id, {},
                      {{"Authorization", bearer(uploading.ownerToken)}})
                     .result(),
                 http::status::no_content);
        QVERIFY(!std::filesystem::exists(partPath(uploading.id)));
    }

    void expiryAndSweep() {
        std::string content;
        advanceClock({});
        const Share share = ready(content, 1, 2);
        const Share uploading = create(StreamEncryptor::ciphertextSize(100), 1, 2);
        QCOMPARE(append(uploading, 0, "abc").result(), http::status::no_content);
        const std::uint64_t before = usage();
        m_sweeper->sweepOnce(*m_redis); // nothing is due yet
        QVERIFY(std::filesystem::exists(blobPath(share.id)));
        advanceClock(std::chrono::milliseconds(2100));
        // Expired at once for every endpoint, though the keys stay until the sweeper comes.
        QCOMPARE(errorOf(call(http::verb::get, "/api/v1/shares/" + share.id)), "expired");
        QCOMPARE(errorOf(call(http::verb::post, "/api/v1/shares/" + share.id + "/challenge")), "expired");
        QCOMPARE(errorOf(append(uploading, 3, "def")), "expired");
        m_sweeper->sweepOnce(*m_redis);
        for (const Share* s : {&share, &uploading}) {
            QCOMPARE(redisGet({"EXISTS", keys::share(s->id)}), "0");
            QCOMPARE(redisGet({"GET", keys::gone(s->id)}), "expired");
            QCOMPARE(redisGet({"ZSCORE", keys::kExpiry, s->id}), "(nil)");
            QVERIFY(!std::filesystem::exists(blobPath(s->id)));
            QVERIFY(!std::filesystem::exists(partPath(s->id)));
        }
        QCOMPARE(usage(), before - quotaOf(share) - quotaOf(uploading));
        QVERIFY(m_metrics->render().find("ots_shares_swept_total 0") == std::string::npos);
    }

    void liveTicketOutlivesExpiryThenLapses() {
        m_config.ticketLifetime = std::chrono::seconds(3);
        advanceClock({});
        std::string content;
        const Share share = ready(content, 2, 2);
        const std::string ticket(bodyOf(prove(share, "reservations")).at("ticket").as_string());
        advanceClock(std::chrono::milliseconds(2100));
        m_sweeper->sweepOnce(*m_redis);
        // Expired, but the running download keeps its blob until its ticket lapses.
        QCOMPARE(errorOf(call(http::verb::get, "/api/v1/shares/" + share.id)), "expired");
        QVERIFY(std::holds_alternative<DownloadPlan>(download(share, ticket)));
        QVERIFY(std::filesystem::exists(blobPath(share.id)));
        advanceClock(std::chrono::milliseconds(1200));
        m_sweeper->sweepOnce(*m_redis);
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "0");
        QVERIFY(!std::filesystem::exists(blobPath(share.id)));
        QCOMPARE(redisGet({"GET", keys::gone(share.id)}), "expired");
    }

    void lapsedTicketOfLastDownloadDeletesShare() {
        m_config.ticketLifetime = std::chrono::seconds(1);
        advanceClock({});
        std::string content;
        const Share share = ready(content, 1);
        const std::string ticket(bodyOf(prove(share, "reservations")).at("ticket").as_string());
        Bytes ticketBytes(32);
        QVERIFY(base64url::decodeInto(ticket, ticketBytes));
        QVERIFY(redisGet({"ZSCORE", keys::kTicketExpiry, share.id + ":" + tokenHash(ticketBytes)}) !=
                "(nil)");
        advanceClock(std::chrono::milliseconds(1200));
        QCOMPARE(errorOf(std::get<Response>(download(share, ticket))), "unauthorized");
        const std::uint64_t before = usage();
        m_sweeper->sweepOnce(*m_redis);
        QCOMPARE(redisGet({"EXISTS", keys::share(share.id)}), "0");
        QCOMPARE(redisGet({"GET", keys::gone(share.id)}), "downloaded");
        QVERIFY(!std::filesystem::exists(blobPath(share.id)));
        QCOMPARE(usage(), before - quotaOf(share));
        QCOMPARE(redisGet({"ZSCORE", keys::kTicketExpiry, share.id + ":" + tokenHash(ticketBytes)}), "(nil)");
    }

    void quotaIsEnforcedAndReleased() {
        const std::uint64_t size = StreamEncryptor::ciphertextSize(70'000);
        m_config.storageQuota = usage() + size + size / 2;
        const Share first = create(size);
        QVERIFY(!first.id.empty());
        Share second;
        const Response full =
            call(http::verb::post, "/api/v1/shares", json::serialize(createBody(size, 3600, 1, second)));
        QCOMPARE(full.result(), http::status::insufficient_storage);
        QCOMPARE(errorOf(full), "storage_full");
        QCOMPARE(call(http::verb::delete_, "/api/v1/shares/" + first.id, {},
                      {{"Authorization", bearer(first.ownerToken)}})
                     .result(),
                 http::status::no_content);
        QVERIFY(!create(size).id.empty());
    }

    void jsonMediaType_data() {
        QTest::addColumn<QString>("contentType");
        QTest::addColumn<bool>("json");
        QTest::newRow("plain") << "application/json" << true;
        QTest::newRow("any case") << "Application/JSON" << true;
        QTest::newRow("charset") << "application/json; charset=utf-8" << true;
        QTest::newRow("no space before parameter") << "application/json;charset=UTF-8" << true;
        QTest::newRow("space before semicolon") << "application/json ; charset=utf-8" << true;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("text/plain") << "text/plain" << false;
        QTest::newRow("form") << "application/x-www-form-urlencoded" << false;
        QTest::newRow("multipart") << "multipart/form-data; boundary=x" << false;
        QTest::newRow("longer") << "application/jsonx" << false;
        QTest::newRow("suffix type") << "application/ld+json" << false;
        QTest::newRow("in a parameter") << "text/plain; x=application/json" << false;
        QTest::newRow("offset stream") << "application/offset+octet-stream" << false;
    }

    void jsonMediaType() {
        QFETCH(QString, contentType);
        QFETCH(bool, json);
        QCOMPARE(Api::isJsonMediaType(contentType.toStdString()), json);
    }

    void postsMustBeJson() {
        // 415 before anything is counted or looked up: a create limit of 1 is still unspent afterwards.
        m_client = "198.51.100.20";
        m_config.createsPerMinutePerIp = 1;
        Share share;
        const std::string body =
            json::serialize(createBody(StreamEncryptor::ciphertextSize(100), 60, 1, share));
        for (const char* type : {"text/plain", "", "application/jsonx", "multipart/form-data; boundary=b"}) {
            const Response refused = call(http::verb::post, "/api/v1/shares", body, {{"Content-Type", type}});
            QCOMPARE(refused.result(), http::status::unsupported_media_type);
            QCOMPARE(errorOf(refused), "unsupported_media_type");
        }
        // Two Content-Type fields: which one counts is not for the relay to guess.
        RequestHeader twice =
            makeHeader(http::verb::post, "/api/v1/shares", {{"Content-Type", "application/json"}});
        twice.insert(http::field::content_type, "text/plain");
        const RequestContext context{m_client, "req-415", m_client};
        QCOMPARE(m_api->handleJson(m_api->route(twice), twice, body, context, *m_redis).result(),
                 http::status::unsupported_media_type);
        const ReplyPtr windows = m_redis->command({"KEYS", "{ots}:rl:create:198.51.100.20:*"});
        QCOMPARE(ReplyView(windows.get()).size(), std::size_t{0});
        QCOMPARE(call(http::verb::post, "/api/v1/shares", body).result(), http::status::created);

        // Every other POST endpoint; GET, HEAD and DELETE need no Content-Type.
        m_config.createsPerMinutePerIp = 100'000;
        std::string content;
        const Share ready = this->ready(content);
        for (const char* action :
             {"/complete", "/challenge", "/metadata", "/reservations", "/finish", "/unlock"}) {
            const Response refused =
                call(http::verb::post, "/api/v1/shares/" + ready.id + action, "{}",
                     {{"Content-Type", "text/plain"}, {"Authorization", bearer(ready.ownerToken)}});
            QCOMPARE(errorOf(refused), "unsupported_media_type");
        }
        QCOMPARE(call(http::verb::get, "/api/v1/shares/" + ready.id).result(), http::status::ok);
        m_client = "192.0.2.1";
    }

    void rateLimits() {
        m_client = "198.51.100.7";
        m_config.createsPerMinutePerIp = 3;
        m_config.proofsPerMinutePerIp = 2;
        // Fixed one-minute windows: the limit is reached within the window, or within the next if the
        // loop happens to cross a minute boundary, so 2·limit + 1 tries always meet a 429.
        const auto firstRefusal = [this](const std::function<Response()>& attempt, int limit) {
            for (int i = 0; i <= 2 * limit; ++i) {
                Response response = attempt();
                if (response.result() == http::status::too_many_requests)
                    return std::optional<Response>(std::move(response));
            }
            return std::optional<Response>();
        };
        const auto limited = firstRefusal(
            [this] {
                Share extra;
                return call(http::verb::post, "/api/v1/shares",
                            json::serialize(createBody(StreamEncryptor::ciphertextSize(100), 60, 1, extra)));
            },
            3);
        QVERIFY(limited.has_value());
        QCOMPARE(errorOf(*limited), "rate_limited");
        const int retryAfter = std::stoi(std::string((*limited)[http::field::retry_after]));
        QVERIFY(retryAfter >= 1 && retryAfter <= 60);

        m_client = "198.51.100.8";
        m_config.createsPerMinutePerIp = 100;
        std::string content;
        const Share share = ready(content);
        m_client = "198.51.100.9";
        const auto proofLimited = firstRefusal(
            [&] { return call(http::verb::post, "/api/v1/shares/" + share.id + "/challenge"); }, 2);
        QVERIFY(proofLimited.has_value());
        QCOMPARE(errorOf(*proofLimited), "rate_limited");
        const ReplyPtr windows = m_redis->command({"KEYS", "{ots}:rl:proof:198.51.100.9:*"});
        QVERIFY(ReplyView(windows.get()).size() >= 1);
        const std::string window(ReplyView(windows.get())[0].string());
        const std::int64_t ttl = std::stoll(redisGet({"TTL", window}));
        QVERIFY(ttl > 0 && ttl <= 60);
        m_client = "192.0.2.1";
    }

    void uploadTokenRequired() {
        m_config.uploadTokens = {"first-token", "second-token"};
        Share share;
        const std::string body =
            json::serialize(createBody(StreamEncryptor::ciphertextSize(100), 60, 1, share));
        QCOMPARE(errorOf(call(http::verb::post, "/api/v1/shares", body)), "unauthorized");
        QCOMPARE(errorOf(call(http::verb::post, "/api/v1/shares", body,
                              {{"Authorization", bearer("first-tokem")}})),
                 "unauthorized");
        QCOMPARE(call(http::verb::post, "/api/v1/shares", body, {{"Authorization", bearer("second-token")}})
                     .result(),
                 http::status::created);
    }

    void redisDownIsUnavailable() {
        Config config = m_config;
        config.redisPort = test::RedisServer::freeLoopbackPort();
        config.redisTimeout = std::chrono::milliseconds(300);
        RedisConnection dead(config);
        QVERIFY(!dead.ping());
        const RequestHeader header = makeHeader(http::verb::get, "/api/v1/shares/AAAAAAAAAAAAAAAAAAAAAA");
        const Response response =
            m_api->handleJson(m_api->route(header), header, {}, {m_client, "x", m_client}, dead);
        QCOMPARE(response.result(), http::status::service_unavailable);
        QCOMPARE(errorOf(response), "unavailable");
        QCOMPARE(response[http::field::retry_after], "1");
        QVERIFY(m_metrics->render().find("ots_redis_errors_total 0") == std::string::npos);
        const RequestHeader ready = makeHeader(http::verb::get, "/readyz");
        QCOMPARE(m_api->handleReadyz(ready, dead).result(), http::status::service_unavailable);
        QCOMPARE(m_api->handleReadyz(ready, *m_redis).result(), http::status::ok);
        QCOMPARE(
            m_api->handleJson(m_api->route(ready), ready, {}, {m_client, "x", m_client}, *m_redis).result(),
            http::status::ok);
    }

    void startupScanRemovesOnlyOrphanedPartialFiles() {
        const std::string orphan = "BBBBBBBBBBBBBBBBBBBBBA";
        {
            QFile file(QString::fromStdString(partPath(orphan).string()));
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("left over");
        }
        const std::filesystem::path foreign =
            std::filesystem::path(m_data.path().toStdString()) / "uploads" / "not-an-id.part";
        {
            QFile file(QString::fromStdString(foreign.string()));
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        const Share live = create();
        QCOMPARE(append(live, 0, "abc").result(), http::status::no_content);
        std::string content;
        const Share done = ready(content);
        m_sweeper->startupScan(*m_redis);
        QVERIFY(!std::filesystem::exists(partPath(orphan)));
        QVERIFY(std::filesystem::exists(foreign));
        QVERIFY(std::filesystem::exists(partPath(live.id)));
        QVERIFY(std::filesystem::exists(blobPath(done.id)));
        std::filesystem::remove(foreign);
    }

    void sharesAreCountedByState() {
        const Share uploading = create();
        std::string content;
        const Share locked = ready(content, 1, 3600, true);
        for (int i = 0; i < 5; ++i)
            QCOMPARE(prove(locked, "metadata", false).result(), http::status::forbidden);
        m_sweeper->sweepOnce(*m_redis);
        const std::string text = m_metrics->render();
        const auto gauge = [&text](const std::string& state) {
            const std::string name = "ots_shares{state=\"" + state + "\"} ";
            const auto at = text.find(name);
            return at == std::string::npos ? -1 : std::stoll(text.substr(at + name.size()));
        };
        const auto count = [this](const std::string& state) {
            long long n = 0;
            std::string cursor = "0";
            do {
                const ReplyPtr reply =
                    m_redis->command({"SCAN", cursor, "MATCH", "ots:{*}:share", "COUNT", "1000"});
                const ReplyView view(reply.get());
                cursor = std::string(view[0].string());
                for (std::size_t i = 0; i < view[1].size(); ++i) {
                    const std::string key(view[1][i].string());
                    const bool isLocked = std::stoll(redisGet({"HGET", key, "attempts"})) >=
                                          std::stoll(redisGet({"HGET", key, "maxAttempts"}));
                    const std::string stored = redisGet({"HGET", key, "state"});
                    const std::string actual = stored == "uploading" ? stored : isLocked ? "locked" : "ready";
                    n += actual == state ? 1 : 0;
                }
            } while (cursor != "0");
            return n;
        };
        for (const std::string state : {"uploading", "ready", "locked"}) {
            QCOMPARE(gauge(state), count(state));
            QVERIFY(gauge(state) > 0);
        }
    }

    void staticEndpoints() {
        const Response health = call(http::verb::get, "/healthz");
        QCOMPARE(health.result(), http::status::ok);
        QCOMPARE(health.body(), "ok\n");

        const Response metrics = call(http::verb::get, "/metrics");
        QCOMPARE(metrics.result(), http::status::ok);
        for (const char* name :
             {"ots_http_requests_total", "ots_http_bytes_received_total", "ots_http_bytes_sent_total",
              "ots_http_connections_active", "ots_shares{state=\"ready\"}",
              "ots_proof_verifications_total{result=\"valid\"}", "ots_attempts_refused_total",
              "ots_shares_locked_total", "ots_redis_errors_total", "ots_shares_swept_total"})
            QVERIFY2(metrics.body().find(name) != std::string::npos, name);
        m_metrics->requestFinished(Endpoint::ShareInfo, 200);
        QVERIFY(m_metrics->render().find("ots_http_requests_total{route=\"share_info\",status=\"200\"} 1") !=
                std::string::npos);

        // The receiver page and its files (tst_relay_receiver checks them over sockets, header by header).
        const Response page = call(http::verb::get, "/s/AAAAAAAAAAAAAAAAAAAAAA");
        QCOMPARE(page.result(), http::status::ok);
        QCOMPARE(page[http::field::content_type], "text/html; charset=utf-8");
        QCOMPARE(page["X-Content-Type-Options"], "nosniff");
        QCOMPARE(page["Content-Security-Policy"], receiver::contentSecurityPolicy());
        QCOMPARE(page.body(), receiver::page().bytes);
        const Response head = call(http::verb::head, "/s/AAAAAAAAAAAAAAAAAAAAAA");
        QCOMPARE(head.result(), http::status::ok);
        QVERIFY(head.body().empty());
        QCOMPARE(head[http::field::content_length], std::to_string(page.body().size()));
        QCOMPARE(head["Content-Security-Policy"], receiver::contentSecurityPolicy());
        for (const receiver::WebFile& file : receiver::webFiles()) {
            const Response served = call(http::verb::get, "/web/" + std::string(file.name));
            QCOMPARE(served.result(), http::status::ok);
            QCOMPARE(served[http::field::content_type], file.contentType);
            QVERIFY(served.body() == file.bytes);
            QVERIFY(!file.bytes.empty());
        }
        QCOMPARE(call(http::verb::get, "/web/nothing.js").result(), http::status::not_found);
        QCOMPARE(call(http::verb::get, "/").body(), page.body());
    }

    // Every script (relay/lua/, composed with its preludes) compiles in the real Redis and is cached
    // under the SHA-1 the relay names it by in EVALSHA: a Lua syntax error fails here, by name.
    void everyScriptLoadsIntoRedis() {
        std::set<std::string_view> names;
        for (const Script* script : scripts::all()) {
            const std::string name(script->name);
            QVERIFY2(names.insert(script->name).second, ("two scripts named " + name).c_str());
            // Both variants: the production clock and the test clock (test-clock = true).
            QVERIFY(script->sha1 != script->testClockSha1);
            for (const auto& [source, sha1] : {std::pair{&script->source, &script->sha1},
                                               std::pair{&script->testClockSource, &script->testClockSha1}}) {
                const ReplyPtr reply = m_redis->command({"SCRIPT", "LOAD", *source}, true);
                if (reply->type == REDIS_REPLY_ERROR)
                    QFAIL((name + ": " + std::string(reply->str, reply->len)).c_str());
                const ReplyView view(reply.get());
                QVERIFY2(view.isString(), name.c_str());
                QCOMPARE(std::string(view.string()), *sha1);
            }
            // Only the test clock reads the offset key.
            QVERIFY2(script->source.find(keys::kTestClockOffset) == std::string::npos, name.c_str());
            QVERIFY2(script->testClockSource.find(keys::kTestClockOffset) != std::string::npos, name.c_str());
        }
        QVERIFY(!names.empty());
    }

    void cleanupTestCase() {
        m_redis.reset();
        m_redisServer.stop();
    }

private:
    using Json = json::object;
    Json ownerStatus(const Share& share) {
        const Response response = call(http::verb::get, "/api/v1/shares/" + share.id + "/owner", {},
                                       {{"Authorization", bearer(share.ownerToken)}});
        return bodyOf(response);
    }
};

QTEST_GUILESS_MAIN(TestApi)
#include "tst_api.moc"
