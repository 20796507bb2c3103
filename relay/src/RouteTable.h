#pragma once

// The relay's routes in one table: which method and path go to which endpoint, the handler that
// answers it and the label its requests carry in the metrics and the log.

#include "Api.h"
#include "handlers/Exchange.h"

#include <span>
#include <string_view>

namespace ots::relay {

struct RouteEntry {
    http::verb method;
    /// The path, literal but for at most one "{id}": one path segment, the share id; or ending in
    /// "{file}": the rest of the path, which must name one of receiver::webFiles() exactly.
    std::string_view pattern;
    RouteKind kind;
    Endpoint endpoint;
    /// Null for the body-streaming kinds (Upload, Download): the session drives those through
    /// Api::beginUpload/finishUpload and Api::beginDownload.
    handlers::Handler handler;
    const char* label; ///< low-cardinality metrics label, e.g. "share_info"
    /// The handler works on the share "{id}" names: a malformed id still reaches the endpoint, with an
    /// empty Route::shareId, and is answered 400 bad_share_id. Without it an "{id}" admits only
    /// well-formed ids and is not kept (a receiver page only exists for well-formed links).
    bool needsId;
};

[[nodiscard]] std::span<const RouteEntry> routeTable() noexcept;
/// The first row for endpoint, or null (Endpoint::None).
[[nodiscard]] const RouteEntry* routeFor(Endpoint endpoint) noexcept;
/// The route for method and path (without its query).
[[nodiscard]] Route matchRoute(http::verb method, std::string_view path);

} // namespace ots::relay
