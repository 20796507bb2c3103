#include "BlobStore.h"
#include "Metrics.h"
#include "RedisConnection.h"
#include "handlers/Handlers.h"
#include "handlers/Support.h"

namespace ots::relay::handlers {

Response healthz(const Exchange& exchange) {
    return textResponse(exchange.header, "text/plain; charset=utf-8", "ok\n");
}

Response readyz(const Exchange& exchange) {
    // Readyz asks Redis and the disk: without a connection (Api::handleStatic, which may run on the
    // I/O thread) there is nothing here; the session runs it on a worker through Api::handleReadyz.
    if (exchange.redis == nullptr)
        return notFound(exchange.header);
    if (exchange.redis->ping() && exchange.blobs.writable())
        return healthz(exchange);
    return unavailable(exchange.header);
}

Response metricsText(const Exchange& exchange) {
    return textResponse(exchange.header, "text/plain; version=0.0.4; charset=utf-8",
                        exchange.metrics.render());
}

} // namespace ots::relay::handlers
