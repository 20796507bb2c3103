// Races the relay must win through its Redis scripts, over real sockets with requests that arrive
// together: proofs without the link count nothing however many arrive, wrong passwords can never get
// more than max-attempts signatures checked, a one-download share
// gives out exactly one ticket, one append at a time, and concurrent creates never share an id.
// Run against the local store and (tst_relay_races_s3) against S3 on Ceph.

#include "RelayClient.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"

#include <QMap>
#include <QSet>
#include <QTest>
#include <QThread>

using namespace ots;
using namespace ots::relaytest;

namespace {

/// "403 proof_invalid" → count, for a readable summary of a batch of responses.
QMap<QByteArray, int> tally(const QList<HttpResponse>& responses) {
    QMap<QByteArray, int> counts;
    for (const HttpResponse& response : responses)
        ++counts[QByteArray::number(response.status) + ' ' + response.errorCode().toLatin1()];
    return counts;
}

/// Sends the requests together, then again (together) those answered 429 "busy" — every attempt
/// left is being checked at that moment, so the relay asks to come back after Retry-After without
/// consuming the nonce — until each has a final answer. rounds counts the rounds that saw a 429;
/// firstRound gets the answers of the first round.
QList<HttpResponse> sendUntilSettled(quint16 port, const QList<HttpRequest>& requests, int* rounds = nullptr,
                                     QList<HttpResponse>* firstRound = nullptr) {
    QList<HttpResponse> responses = sendConcurrently(port, requests);
    if (firstRound != nullptr)
        *firstRound = responses;
    int busyRounds = 0;
    for (int round = 0; round < 20; ++round) {
        QList<qsizetype> busy;
        for (qsizetype i = 0; i < responses.size(); ++i)
            if (responses[i].status == 429)
                busy.append(i);
        if (busy.isEmpty())
            break;
        ++busyRounds;
        for (const qsizetype i : std::as_const(busy))
            if (responses[i].header("retry-after") != "1")
                return responses; // the caller's tally shows the bad 429
        QList<HttpRequest> again;
        for (const qsizetype i : std::as_const(busy))
            again.append(requests[i]);
        QThread::msleep(100); // shorter than Retry-After: the in-flight checks take milliseconds
        const QList<HttpResponse> retried = sendConcurrently(port, again);
        for (qsizetype k = 0; k < busy.size(); ++k)
            responses[busy[k]] = retried[k];
    }
    if (rounds != nullptr)
        *rounds = busyRounds;
    return responses;
}

QByteArray describe(const QMap<QByteArray, int>& counts) {
    QByteArray text;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        text += it.key() + " ×" + QByteArray::number(it.value()) + "; ";
    return text;
}

} // namespace

class TestRelayRaces : public QObject {
    Q_OBJECT

private:
    RelayFixture m_fixture;
    RelayClient m_client{0};

    // count challenges for share, each nonce fresh.
    QList<QByteArray> nonces(const TestShare& share, int count) {
        QList<QByteArray> out;
        for (int i = 0; i < count; ++i) {
            const HttpResponse challenge = m_client.challenge(share.id);
            if (challenge.status != 200) {
                qWarning("challenge: %s", challenge.describe().constData());
                return {};
            }
            out.append(RelayClient::nonceOf(challenge));
        }
        return out;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--max-attempts"), QStringLiteral("5")}), m_fixture.error());
        m_client = m_fixture.client();
    }

    void cleanupTestCase() {
        m_fixture.relay.stop();
        // A clean drain exits 0 (in a sanitizer build, a report at exit would fail it).
        QVERIFY2(m_fixture.relay.exitedCleanly(), m_fixture.relay.log().right(3000).constData());
    }

    void concurrentWrongProofs() {
        constexpr int kProofs = 200;
        TestShare share = TestShare::make({.payloadBytes = 20'000, .maxDownloads = 1, .password = true});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);

        // Each proof on its own fresh nonce, signed (validly, by format) with a key that is not the share's.
        const QList<QByteArray> fresh = nonces(share, kProofs);
        QCOMPARE(fresh.size(), qsizetype(kProofs));
        const auto stranger = TestShare::strangerKeys();
        QList<HttpRequest> requests;
        for (const QByteArray& nonce : fresh)
            requests.append(RelayClient::proofRequest(share, "metadata", share.proof(nonce, stranger.get())));

        const double verifiedBefore = m_client.metric("ots_proof_verifications_total");
        const double refusedBefore = m_client.metric("ots_attempts_refused_total");
        const double lockedBefore = m_client.metric("ots_shares_locked_total");
        QVERIFY(verifiedBefore >= 0 && refusedBefore >= 0 && lockedBefore >= 0);

        QList<HttpResponse> firstRound;
        const QList<HttpResponse> responses =
            sendUntilSettled(m_client.port(), requests, nullptr, &firstRound);
        const QMap<QByteArray, int> first = tally(firstRound);
        qInfo("200 wrong proofs: %s", describe(first).constData());
        // Every proof got a clear answer: wrong (an attempt used), locked (refused unverified), or
        // busy (429: every attempt left was being checked; the nonce is kept for a retry).
        QCOMPARE(first.value("403 proof_invalid") + first.value("423 locked") +
                     first.value("429 rate_limited"),
                 kProofs);
        QCOMPARE(first.value("403 proof_invalid"), 5);
        // Retried, the busy ones find the share locked: no sixth signature is ever checked.
        const QMap<QByteArray, int> counts = tally(responses);
        qInfo("after retrying the busy ones: %s", describe(counts).constData());
        QCOMPARE(counts.value("403 proof_invalid"), 5);
        QCOMPARE(counts.value("423 locked"), kProofs - 5);

        // At most max-attempts signatures were ever checked, counted by the relay itself.
        const double verified = m_client.metric("ots_proof_verifications_total") - verifiedBefore;
        QVERIFY2(verified <= 5, QByteArray::number(verified).constData());
        QCOMPARE(verified, 5.0);
        // Refused unverified: every 423 (and every busy 429 on the way) was counted.
        QVERIFY(m_client.metric("ots_attempts_refused_total") - refusedBefore >= double(kProofs - 5));
        QCOMPARE(m_client.metric("ots_shares_locked_total") - lockedBefore, 1.0);

        // Locked, not deleted.
        const HttpResponse info = m_client.info(share.id);
        OTS_EXPECT_STATUS(info, 200);
        QCOMPARE(info.json().value(QStringLiteral("state")).toString(), QStringLiteral("locked"));
        QCOMPARE(info.json().value(QStringLiteral("attemptsLeft")).toInt(-1), 0);
        OTS_EXPECT_ERROR(m_client.challenge(share.id), 423, "locked");
        const HttpResponse owner = m_client.ownerStatus(share);
        OTS_EXPECT_STATUS(owner, 200);
        QCOMPARE(owner.json().value(QStringLiteral("locked")).toBool(false), true);
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));

        // The owner unlocks; the right key then works, for metadata and for the download.
        OTS_EXPECT_STATUS(m_client.unlock(share), 200);
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("state")).toString(),
                 QStringLiteral("ready"));
        const HttpResponse meta = m_client.prove(share, "metadata");
        OTS_EXPECT_STATUS(meta, 200);
        QCOMPARE(QByteArray::fromBase64(meta.json().value(QStringLiteral("metadata")).toString().toLatin1()),
                 share.metadataEnvelope);
        const HttpResponse content = m_client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
    }

    // Strangers who know only the share id (random keys for both signatures), 500 at once against a
    // share with a password and one without: every proof is refused as a damaged link, no attempt is
    // counted, no password proof is verified, neither share locks, and the right link then downloads.
    void concurrentProofsWithoutTheLink() {
        constexpr int kProofs = 500;
        constexpr int kBatch = 125; // connections open at once, below the per-client connection cap
        TestShare withPassword =
            TestShare::make({.payloadBytes = 20'000, .maxDownloads = 1, .password = true, .seed = 1});
        TestShare withoutPassword = TestShare::make({.payloadBytes = 20'000, .maxDownloads = 1, .seed = 2});
        OTS_EXPECT_STATUS(m_client.createReady(withPassword), 200);
        OTS_EXPECT_STATUS(m_client.createReady(withoutPassword), 200);

        const double verifiedBefore = m_client.metric("ots_proof_verifications_total");
        const double rejectedBefore = m_client.metric("ots_link_proofs_rejected_total");
        const double lockedBefore = m_client.metric("ots_shares_locked_total");
        QVERIFY(verifiedBefore >= 0 && rejectedBefore >= 0 && lockedBefore >= 0);

        QMap<QByteArray, int> counts;
        for (TestShare* share : {&withPassword, &withoutPassword}) {
            const QList<QByteArray> fresh = nonces(*share, kProofs);
            QCOMPARE(fresh.size(), qsizetype(kProofs));
            for (int start = 0; start < kProofs; start += kBatch) {
                QList<HttpRequest> requests;
                for (int i = start; i < start + kBatch; ++i) {
                    const auto stranger = TestShare::strangerKeys();
                    requests.append(
                        RelayClient::proofRequest(*share, i % 2 ? "metadata" : "reservations",
                                                  share->proof(fresh[i], stranger.get(), stranger.get())));
                }
                const QMap<QByteArray, int> batch = tally(sendConcurrently(m_client.port(), requests));
                for (auto it = batch.cbegin(); it != batch.cend(); ++it)
                    counts[it.key()] += it.value();
            }
        }
        qInfo("1000 proofs without the link: %s", describe(counts).constData());
        QCOMPARE(counts.value("403 link_invalid"), 2 * kProofs);
        QCOMPARE(m_client.metric("ots_link_proofs_rejected_total") - rejectedBefore, double(2 * kProofs));
        QCOMPARE(m_client.metric("ots_proof_verifications_total"), verifiedBefore);
        QCOMPARE(m_client.metric("ots_shares_locked_total"), lockedBefore);

        for (TestShare* share : {&withPassword, &withoutPassword}) {
            const HttpResponse info = m_client.info(share->id);
            OTS_EXPECT_STATUS(info, 200);
            QCOMPARE(info.json().value(QStringLiteral("state")).toString(), QStringLiteral("ready"));
            QCOMPARE(info.json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);
            QCOMPARE(info.json().value(QStringLiteral("downloadsLeft")).toInt(-1), 1);
            const HttpResponse content = m_client.reserveAndDownload(*share);
            OTS_EXPECT_STATUS(content, 200);
            QVERIFY(content.body == share->ciphertext);
        }
    }

    void concurrentReservations() {
        constexpr int kReservations = 100;
        TestShare share = TestShare::make({.payloadBytes = 500'000, .maxDownloads = 1});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        const QList<QByteArray> fresh = nonces(share, kReservations);
        QCOMPARE(fresh.size(), qsizetype(kReservations));
        QList<HttpRequest> requests;
        for (const QByteArray& nonce : fresh)
            requests.append(RelayClient::proofRequest(share, "reservations", share.proof(nonce)));

        int busyRounds = 0;
        const QList<HttpResponse> responses = sendUntilSettled(m_client.port(), requests, &busyRounds);
        const QMap<QByteArray, int> counts = tally(responses);
        qInfo("100 valid reservations of a one-download share: %s (%d rounds had busy answers)",
              describe(counts).constData(), busyRounds);
        QCOMPARE(counts.value("201 "), 1);
        QCOMPARE(counts.value("410 no_downloads_left"), kReservations - 1);
        QCOMPARE(counts.value("423 locked"), 0);

        QByteArray ticket;
        for (const HttpResponse& response : responses)
            if (response.status == 201)
                ticket = RelayClient::ticketOf(response);
        QCOMPARE(ticket.size(), qsizetype(43));
        // Valid proofs refund their attempt: the share is not locked by a crowd of right answers.
        QCOMPARE(m_client.info(share.id).json().value(QStringLiteral("attemptsLeft")).toInt(-1), 5);

        const HttpResponse content = m_client.download(share.id, ticket);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
        QCOMPARE(m_fixture.stored(share.id).size(), qsizetype(1));
        OTS_EXPECT_STATUS(m_client.finish(share.id, ticket), 200);

        // The blob is gone from disk, the keys from Redis but the tombstone, and info says why.
        QVERIFY(waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));
        OTS_EXPECT_ERROR(m_client.info(share.id), 410, "downloaded");
        QVERIFY(shareKeys(m_fixture.redis.port(), share.id).contains("ots:{" + share.id + "}:gone"));
        QCOMPARE(keysLeftBehind(m_fixture.redis.port(), share.id), QList<QByteArray>{});
    }

    void concurrentReservationsOfSeveral() {
        // maxDownloads 3: exactly three tickets out of 50 simultaneous valid proofs.
        TestShare share = TestShare::make({.payloadBytes = 1000, .maxDownloads = 3});
        OTS_EXPECT_STATUS(m_client.createReady(share), 200);
        QList<HttpRequest> requests;
        for (const QByteArray& nonce : nonces(share, 50))
            requests.append(RelayClient::proofRequest(share, "reservations", share.proof(nonce)));
        QCOMPARE(requests.size(), qsizetype(50));
        const QMap<QByteArray, int> counts = tally(sendUntilSettled(m_client.port(), requests));
        qInfo("50 valid reservations of a three-download share: %s", describe(counts).constData());
        QCOMPARE(counts.value("201 "), 3);
        QCOMPARE(counts.value("410 no_downloads_left"), 47);
    }

    void concurrentAppends() {
        // Twenty appends of the whole body at offset 0 at once: one wins, the others are turned away
        // (409), and the stored bytes are exactly the ciphertext. The body stays below the relay's
        // lingering-close bound (1 MiB): a client that writes a larger refused body before reading
        // can lose the 409 to the reset that follows.
        TestShare share = TestShare::make({.payloadBytes = 600'000});
        OTS_EXPECT_STATUS(m_client.create(share), 201);
        QList<HttpRequest> requests;
        for (int i = 0; i < 20; ++i)
            requests.append(RelayClient::appendRequest(share, 0, share.ciphertext));
        const QList<HttpResponse> responses = sendConcurrently(m_client.port(), requests);
        const QMap<QByteArray, int> counts = tally(responses);
        qInfo("20 concurrent appends: %s", describe(counts).constData());
        QCOMPARE(counts.value("204 "), 1);
        QCOMPARE(counts.value("409 upload_in_progress") + counts.value("409 offset_mismatch"), 19);
        OTS_EXPECT_STATUS(m_client.complete(share), 200);
        const HttpResponse content = m_client.reserveAndDownload(share);
        OTS_EXPECT_STATUS(content, 200);
        QVERIFY(content.body == share.ciphertext);
    }

    void concurrentCreates() {
        QList<HttpRequest> requests;
        QList<TestShare> shares;
        for (int i = 0; i < 100; ++i) {
            shares.append(TestShare::make({}));
            HttpRequest request{"POST", "/api/v1/shares", {}, {}};
            request.json(shares.last().createBody());
            requests.append(request);
        }
        const QList<HttpResponse> responses = sendConcurrently(m_client.port(), requests);
        QSet<QString> ids;
        QSet<QString> tokens;
        for (const HttpResponse& response : responses) {
            OTS_EXPECT_STATUS(response, 201);
            ids.insert(response.json().value(QStringLiteral("id")).toString());
            tokens.insert(response.json().value(QStringLiteral("ownerToken")).toString());
        }
        QCOMPARE(ids.size(), qsizetype(100));
        QCOMPARE(tokens.size(), qsizetype(100));
    }

    void concurrentFinishAndDelete() {
        // The owner deletes while the recipient finishes: both succeed or one is told the share is
        // gone, and afterwards there is one tombstone and no blob.
        for (int round = 0; round < 10; ++round) {
            TestShare share = TestShare::make({.payloadBytes = 1000});
            OTS_EXPECT_STATUS(m_client.createReady(share), 200);
            const HttpResponse reservation = m_client.prove(share, "reservations");
            OTS_EXPECT_STATUS(reservation, 201);
            const QByteArray ticket = RelayClient::ticketOf(reservation);
            const QList<HttpResponse> responses = sendConcurrently(
                m_client.port(),
                {HttpRequest{"POST", RelayClient::sharePath(share.id, "/finish"), {}, {}}.bearer(ticket),
                 HttpRequest{"DELETE", RelayClient::sharePath(share.id), {}, {}}.bearer(share.ownerToken)});
            QVERIFY2(responses[0].status == 200 || responses[0].status == 410 || responses[0].status == 401,
                     responses[0].describe().constData());
            QVERIFY2(responses[1].status == 204 || responses[1].status == 410,
                     responses[1].describe().constData());
            const HttpResponse info = m_client.info(share.id);
            QVERIFY2(info.status == 410 && (info.errorCode() == QStringLiteral("downloaded") ||
                                            info.errorCode() == QStringLiteral("deleted")),
                     info.describe().constData());
            QVERIFY(
                waitUntil([&] { return m_fixture.stored(share.id).isEmpty(); }, m_fixture.storeWaitMs(5000)));
            QVERIFY(shareKeys(m_fixture.redis.port(), share.id).contains("ots:{" + share.id + "}:gone"));
            QCOMPARE(keysLeftBehind(m_fixture.redis.port(), share.id), QList<QByteArray>{});
        }
    }

    void relayStillHealthy() {
        QVERIFY(m_fixture.relay.isRunning());
        OTS_EXPECT_STATUS(m_client.get("/healthz"), 200);
        OTS_EXPECT_STATUS(m_client.get("/readyz"), 200);
    }
};

QTEST_GUILESS_MAIN(TestRelayRaces)
#include "tst_relay_races.moc"
