#include "Metrics.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"

#include <sodium.h>

#include <algorithm>
#include <optional>
#include <vector>

namespace ots::relay::handlers {

namespace {

std::string randomHex(std::size_t bytes) {
    std::vector<std::uint8_t> buffer(bytes);
    randomBytes(buffer);
    return toHex(buffer);
}

// A public key as stored in the share hash; anything but 32 bytes means Redis holds something no
// create wrote (answered like a Redis failure, never trusted).
AuthPublicKey storedPublicKey(std::string_view stored) {
    AuthPublicKey key{};
    if (stored.size() != key.size())
        throw RedisError("a share's stored public key has the wrong length");
    std::copy(stored.begin(), stored.end(), key.begin());
    return key;
}

std::string standardBase64(std::string_view bytes) {
    std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
    sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                      bytes.size(), sodium_base64_VARIANT_ORIGINAL);
    out.pop_back();
    return out;
}

/// Metadata and reservations: the same two-step proof, then the metadata or a download ticket.
Response proveAccess(const Exchange& exchange, bool forDownload) {
    const RequestHeader& header = exchange.header;
    if (auto refused = refuseClient(exchange, "proof", exchange.config.proofsPerMinutePerIp))
        return *refused;
    const std::string& id = exchange.id();
    const json::object request = parseObject(exchange.body);
    const auto nonce = requireBase64Url<format::kChallengeNonceBytes>(request, "nonce");
    const auto signature = requireBase64Url<format::kSignatureBytes>(request, "signature");
    const auto linkSignature = requireBase64Url<format::kSignatureBytes>(request, "linkSignature");
    // A download's ticket is chosen by the client (§10.6), so a retry whose first answer was lost to a
    // failure finds the same reservation instead of spending a second download.
    std::optional<Token> ticket;
    if (forDownload)
        ticket = requireBase64Url<kTokenBytes>(request, "ticket");
    const std::string ticketHash = ticket ? tokenHash(*ticket) : std::string();
    ShareId idBytes{};
    if (!base64url::decodeInto(id, idBytes))
        return badShareId(header);

    // Step one counts nothing: only a holder of the link (S) gets past the link signature. A
    // stranger who knows the id can neither lock nor probe the share; the nonce is spent.
    const auto begun = exchange.store->proofBegin(id, toHex(nonce), ticketHash);
    if (auto failure = commonFailure(header, begun))
        return *failure;
    switch (begun.verdict) {
    case Verdict::Ok:
        break;
    case Verdict::NotReady:
        return Api::error(header, http::status::conflict, "not_ready", "The upload is not complete yet.");
    case Verdict::ChallengeInvalid:
        return Api::error(header, http::status::gone, "challenge_invalid",
                          "The challenge is unknown, used or expired; ask for a new one.");
    case Verdict::NoDownloadsLeft:
        return Api::error(header, http::status::gone, "no_downloads_left",
                          "Every allowed download of this share is taken.");
    default:
        return unexpectedOutcome(header);
    }
    const AuthPublicKey linkKey = storedPublicKey(begun.linkPublicKey);
    if (!verifyLinkProof(linkKey, idBytes, nonce, linkSignature)) {
        exchange.store->spendNonce(id, toHex(nonce));
        exchange.metrics.linkProofRejected();
        return Api::error(header, http::status::forbidden, "link_invalid",
                          "The link does not verify: it is damaged or incomplete.");
    }

    // Step two spends the nonce and, for a password share only, reserves an attempt before the
    // password proof is checked. Without a password the link secret is the whole key (256
    // bits): nothing to count, and such a share never locks.
    const std::string attemptId = randomHex(16);
    const auto attempt = exchange.store->attemptBegin(id, toHex(nonce), attemptId, begun.passwordRequired);
    if (auto failure = commonFailure(header, attempt))
        return *failure;
    switch (attempt.verdict) {
    case Verdict::Ok:
        break;
    case Verdict::ChallengeInvalid:
        return Api::error(header, http::status::gone, "challenge_invalid",
                          "The challenge is unknown, used or expired; ask for a new one.");
    case Verdict::Locked:
        exchange.metrics.attemptRefused();
        return Api::error(header, http::status::locked, "locked",
                          "Too many wrong passwords: the share is locked until its owner unlocks it.");
    case Verdict::Busy: {
        // Every attempt left is being checked right now; one of them may refund it.
        exchange.metrics.attemptRefused();
        Response busy = Api::error(header, http::status::too_many_requests, "rate_limited",
                                   "Other proofs for this share are being checked; retry in a second.");
        busy.set(http::field::retry_after, "1");
        return busy;
    }
    default:
        return unexpectedOutcome(header);
    }
    const bool valid = verifyDownloadProof(storedPublicKey(begun.authPublicKey), idBytes, nonce, signature);
    exchange.metrics.proofVerified(valid);
    if (!valid) {
        if (!begun.passwordRequired)
            return Api::error(header, http::status::forbidden, "proof_invalid", "The proof does not verify.");
        const auto failed = exchange.store->attemptFail(id, attemptId);
        if (auto failure = commonFailure(header, failed))
            return *failure;
        // The failure that reaches the limit is the one that locked the share.
        if (failed.attempts == failed.maxAttempts)
            exchange.metrics.shareLocked();
        json::object extra;
        extra["attemptsLeft"] = failed.maxAttempts - std::min(failed.attempts, failed.maxAttempts);
        return errorWith(header, http::status::forbidden, "proof_invalid",
                         "The proof does not verify: the password is wrong.", std::move(extra));
    }
    if (!forDownload) {
        const auto refunded = exchange.store->attemptRefund(id, attemptId);
        if (auto failure = commonFailure(header, refunded))
            return *failure;
        if (!refunded.ok())
            return unexpectedOutcome(header);
        json::object reply;
        reply["metadata"] = standardBase64(refunded.metadata);
        return jsonResponse(header, http::status::ok, reply);
    }
    exchange.store->scheduleTicket(id, ticketHash);
    const auto reserved = exchange.store->reserve(id, ticketHash, attemptId);
    if (!reserved.ok())
        exchange.store->unscheduleTicket(id, ticketHash);
    if (auto failure = commonFailure(header, reserved))
        return *failure;
    if (reserved.verdict == Verdict::NoDownloadsLeft)
        return Api::error(header, http::status::gone, "no_downloads_left",
                          "Every allowed download of this share is taken.");
    if (!reserved.ok())
        return unexpectedOutcome(header);
    json::object reply;
    reply["ticket"] = base64url::encode(*ticket);
    reply["size"] = reserved.size;
    // Whole seconds the ticket has left, rounded down so that a client never counts on a second more.
    reply["expiresIn"] = reserved.lapsesInMs / 1000;
    return jsonResponse(header, reserved.held ? http::status::ok : http::status::created, reply);
}

} // namespace

Response challenge(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    if (auto refused = refuseClient(exchange, "proof", exchange.config.proofsPerMinutePerIp))
        return *refused;
    ChallengeNonce nonce{};
    randomBytes(nonce);
    const auto issued = exchange.store->challenge(exchange.id(), toHex(nonce));
    if (auto failure = commonFailure(header, issued))
        return *failure;
    if (issued.verdict == Verdict::NotReady)
        return Api::error(header, http::status::conflict, "not_ready", "The upload is not complete yet.");
    if (issued.verdict == Verdict::Locked)
        return Api::error(header, http::status::locked, "locked",
                          "Too many wrong proofs: the share is locked until its owner unlocks it.");
    if (!issued.ok())
        return unexpectedOutcome(header);
    json::object reply;
    reply["nonce"] = base64url::encode(nonce);
    reply["expiresIn"] = exchange.config.challengeLifetime.count();
    return jsonResponse(header, http::status::ok, reply);
}

Response metadata(const Exchange& exchange) {
    return proveAccess(exchange, false);
}

Response reserve(const Exchange& exchange) {
    return proveAccess(exchange, true);
}

} // namespace ots::relay::handlers
