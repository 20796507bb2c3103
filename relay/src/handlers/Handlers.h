#pragma once

// One handler per endpoint, grouped in files by concern. RouteTable.cpp says which method and path
// go to which of them; Api checks what every request shares (share id, Content-Type) and catches
// BadRequest and RedisError. The body-streaming endpoints (PATCH blob, GET content) have no handler
// here: Api::beginUpload/finishUpload (Upload.cpp) and Api::beginDownload (Download.cpp) serve them.

#include "handlers/Exchange.h"

namespace ots::relay::handlers {

// ShareCreate.cpp
[[nodiscard]] Response createShare(const Exchange& exchange);

// Upload.cpp
[[nodiscard]] Response uploadOffset(const Exchange& exchange);
[[nodiscard]] Response completeUpload(const Exchange& exchange);

// Proofs.cpp
[[nodiscard]] Response challenge(const Exchange& exchange);
[[nodiscard]] Response metadata(const Exchange& exchange);
[[nodiscard]] Response reserve(const Exchange& exchange);

// Download.cpp
[[nodiscard]] Response finishDownload(const Exchange& exchange);

// Owner.cpp
[[nodiscard]] Response shareInfo(const Exchange& exchange);
[[nodiscard]] Response ownerStatus(const Exchange& exchange);
[[nodiscard]] Response deleteShare(const Exchange& exchange);
[[nodiscard]] Response unlock(const Exchange& exchange);

// Operations.cpp
[[nodiscard]] Response healthz(const Exchange& exchange);
[[nodiscard]] Response readyz(const Exchange& exchange);
[[nodiscard]] Response metricsText(const Exchange& exchange);

// Receiver.cpp
[[nodiscard]] Response receiverPage(const Exchange& exchange);
[[nodiscard]] Response webFile(const Exchange& exchange);

} // namespace ots::relay::handlers
