#pragma once

// One request as an endpoint's handler sees it, and the handler's type: the route table
// (RouteTable.h) names one handler per endpoint, Api runs it.

#include "Api.h"

#include <cstdint>
#include <string>

namespace ots::relay {

class ShareStore;

namespace handlers {

struct Exchange {
    const Config& config;
    BlobStore& blobs;
    Metrics& metrics;
    const RequestHeader& header;
    const RequestContext& context;
    const Route& route;
    const std::string& body;
    /// Null in Api::handleStatic: what it runs may not wait for Redis (it may run on the I/O thread).
    RedisConnection* redis;
    ShareStore* store;             ///< over *redis, for the JSON endpoints; null with it
    Api::AfterAnswer* afterAnswer; ///< see Api::handleJson
    std::uint64_t redisBudget;     ///< Api::redisBudget() when the request came in

    [[nodiscard]] const std::string& id() const noexcept { return route.shareId; }
};

using Handler = Response (*)(const Exchange&);

} // namespace handlers
} // namespace ots::relay
