#include "handlers/Handlers.h"
#include "handlers/Support.h"

#include <boost/json.hpp>

#include <algorithm>

namespace ots::relay::handlers {

namespace {

json::object publicInfo(std::string_view id, const StatusOutcome& status) {
    json::object info;
    info["id"] = id;
    info["state"] = status.locked() && status.state == "ready" ? "locked" : status.state;
    info["size"] = status.size;
    info["expiresAt"] = status.expiresAt;
    info["downloadsLeft"] = status.maxDownloads - std::min(status.reserved, status.maxDownloads);
    info["passwordRequired"] = !status.kdfJson.empty();
    info["attemptsLeft"] = status.maxAttempts - std::min(status.attempts, status.maxAttempts);
    if (status.kdfJson.empty()) {
        info["kdf"] = nullptr;
    } else {
        boost::system::error_code error;
        json::value kdf = json::parse(status.kdfJson, error);
        if (error || !kdf.is_object())
            throw RedisError("a share's stored KDF parameters are not a JSON object");
        info["kdf"] = std::move(kdf);
    }
    return info;
}

json::object ownerInfo(std::string_view id, const StatusOutcome& status) {
    json::object info = publicInfo(id, status);
    info["uploadOffset"] = status.offset;
    info["downloadsReserved"] = status.reserved;
    info["downloadsFinished"] = status.finished;
    info["locked"] = status.locked();
    return info;
}

} // namespace

Response shareInfo(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    const std::string& id = exchange.id();
    const auto status = exchange.store->status(id, "");
    if (auto failure = commonFailure(header, status))
        return *failure;
    return jsonResponse(header, http::status::ok, publicInfo(id, status));
}

Response ownerStatus(const Exchange& exchange) {
    auto status = statusForOwner(exchange);
    if (auto* refused = std::get_if<Response>(&status))
        return std::move(*refused);
    return jsonResponse(exchange.header, http::status::ok,
                        ownerInfo(exchange.id(), std::get<StatusOutcome>(status)));
}

Response deleteShare(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    const std::string& id = exchange.id();
    const auto owner = bearerToken(header);
    if (!owner)
        return unauthorized(header);
    exchange.store->scheduleCleanup(id); // as for finish (Download.cpp): a crash before the blob's removal
    const auto removed = exchange.store->remove(id, tokenHash(*owner));
    if (auto failure = commonFailure(header, removed))
        return *failure;
    if (!removed.ok())
        return unexpectedOutcome(header);
    // Removed before the answer: the owner who revokes a share is told it is gone once its
    // ciphertext has left this disk.
    removeShareFiles(exchange, nullptr);
    return noContent(header);
}

Response unlock(const Exchange& exchange) {
    const RequestHeader& header = exchange.header;
    const std::string& id = exchange.id();
    const auto owner = bearerToken(header);
    if (!owner)
        return unauthorized(header);
    const std::string ownerHash = tokenHash(*owner);
    const auto unlocked = exchange.store->unlock(id, ownerHash);
    if (auto failure = commonFailure(header, unlocked))
        return *failure;
    if (!unlocked.ok())
        return unexpectedOutcome(header);
    const auto status = exchange.store->status(id, ownerHash);
    if (auto failure = commonFailure(header, status))
        return *failure;
    return jsonResponse(header, http::status::ok, ownerInfo(id, status));
}

} // namespace ots::relay::handlers
