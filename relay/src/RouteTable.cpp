#include "RouteTable.h"

#include "ReceiverFiles.h"
#include "ShareStore.h"
#include "handlers/Handlers.h"

#include <array>

namespace ots::relay {

namespace {

constexpr std::string_view kIdSlot = "{id}";
constexpr std::string_view kFileSlot = "{file}";

/// Whether path fits pattern; *id receives the segment that stood for "{id}" (else stays empty).
bool fitsPattern(std::string_view pattern, std::string_view path, std::string_view* id) {
    const auto slot = pattern.find(kIdSlot);
    if (slot == std::string_view::npos)
        return path == pattern;
    const std::string_view before = pattern.substr(0, slot);
    const std::string_view after = pattern.substr(slot + kIdSlot.size());
    if (!path.starts_with(before))
        return false;
    const std::string_view rest = path.substr(before.size());
    const std::string_view segment = rest.substr(0, rest.find('/'));
    if (rest.substr(segment.size()) != after)
        return false;
    // An empty last segment is a trailing slash ("/api/v1/shares/"): nothing there. An empty id before
    // an action ("/api/v1/shares//blob") is a malformed id, as any other.
    if (segment.empty() && after.empty())
        return false;
    *id = segment;
    return true;
}

/// Whether path fits pattern ending in "{file}"; *file receives the file the rest names.
bool fitsFilePattern(std::string_view pattern, std::string_view path, const receiver::WebFile** file) {
    const std::string_view before = pattern.substr(0, pattern.size() - kFileSlot.size());
    if (!path.starts_with(before))
        return false;
    *file = receiver::webFile(path.substr(before.size()));
    return *file != nullptr;
}

} // namespace

std::span<const RouteEntry> routeTable() noexcept {
    using http::verb;
    namespace h = handlers;

    // Readyz is Static but asks Redis: the session runs it on a worker through handleReadyz() (handleJson()
    // forwards it too, for a caller that treats it like the JSON endpoints).
    static constexpr std::array kRoutes{
        // clang-format off
        //         method        pattern                                 kind                 endpoint                  handler             label            needs id
        RouteEntry{verb::post,    "/api/v1/shares",                     RouteKind::Json,     Endpoint::CreateShare,    &h::createShare,    "create_share",  false},
        RouteEntry{verb::get,     "/api/v1/shares/{id}",                RouteKind::Json,     Endpoint::ShareInfo,      &h::shareInfo,      "share_info",    true},
        RouteEntry{verb::head,    "/api/v1/shares/{id}/blob",           RouteKind::Json,     Endpoint::UploadOffset,   &h::uploadOffset,   "upload_offset", true},
        RouteEntry{verb::patch,   "/api/v1/shares/{id}/blob",           RouteKind::Upload,   Endpoint::UploadAppend,   nullptr,            "upload_append", true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/complete",       RouteKind::Json,     Endpoint::Complete,       &h::completeUpload, "complete",      true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/challenge",      RouteKind::Json,     Endpoint::Challenge,      &h::challenge,      "challenge",     true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/metadata",       RouteKind::Json,     Endpoint::Metadata,       &h::metadata,       "metadata",      true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/reservations",   RouteKind::Json,     Endpoint::Reserve,        &h::reserve,        "reserve",       true},
        RouteEntry{verb::get,     "/api/v1/shares/{id}/content",        RouteKind::Download, Endpoint::Download,       nullptr,            "download",      true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/finish",         RouteKind::Json,     Endpoint::FinishDownload, &h::finishDownload, "finish",        true},
        RouteEntry{verb::get,     "/api/v1/shares/{id}/owner",          RouteKind::Json,     Endpoint::OwnerStatus,    &h::ownerStatus,    "owner_status",  true},
        RouteEntry{verb::delete_, "/api/v1/shares/{id}",                RouteKind::Json,     Endpoint::Delete,         &h::deleteShare,    "delete",        true},
        RouteEntry{verb::post,    "/api/v1/shares/{id}/unlock",         RouteKind::Json,     Endpoint::Unlock,         &h::unlock,         "unlock",        true},
        RouteEntry{verb::get,     "/healthz",                           RouteKind::Static,   Endpoint::Healthz,        &h::healthz,        "healthz",       false},
        RouteEntry{verb::get,     "/readyz",                            RouteKind::Static,   Endpoint::Readyz,         &h::readyz,         "readyz",        false},
        RouteEntry{verb::get,     "/metrics",                           RouteKind::Static,   Endpoint::MetricsText,    &h::metricsText,    "metrics",       false},
        RouteEntry{verb::get,     "/",                                  RouteKind::Static,   Endpoint::ReceiverPage,   &h::receiverPage,   "receiver_page", false},
        RouteEntry{verb::get,     "/s/{id}",                            RouteKind::Static,   Endpoint::ReceiverPage,   &h::receiverPage,   "receiver_page", false},
        RouteEntry{verb::head,    "/",                                  RouteKind::Static,   Endpoint::ReceiverPage,   &h::receiverPage,   "receiver_page", false},
        RouteEntry{verb::head,    "/s/{id}",                            RouteKind::Static,   Endpoint::ReceiverPage,   &h::receiverPage,   "receiver_page", false},
        RouteEntry{verb::get,     "/web/{file}",                        RouteKind::Static,   Endpoint::WebFile,        &h::webFile,        "web_file",      false},
        RouteEntry{verb::head,    "/web/{file}",                        RouteKind::Static,   Endpoint::WebFile,        &h::webFile,        "web_file",      false},
        // clang-format on
    };
    return kRoutes;
}

const RouteEntry* routeFor(Endpoint endpoint) noexcept {
    for (const RouteEntry& entry : routeTable())
        if (entry.endpoint == endpoint)
            return &entry;
    return nullptr;
}

Route matchRoute(http::verb method, std::string_view path) {
    Route route;
    bool pathKnown = false;
    for (const RouteEntry& entry : routeTable()) {
        std::string_view id;
        const receiver::WebFile* file = nullptr;
        if (entry.pattern.ends_with(kFileSlot) ? !fitsFilePattern(entry.pattern, path, &file)
                                               : !fitsPattern(entry.pattern, path, &id))
            continue;
        const bool hasId = entry.pattern.find(kIdSlot) != std::string_view::npos;
        if (hasId && !entry.needsId && !isShareIdText(id))
            continue;
        pathKnown = true;
        if (entry.method != method)
            continue;
        route.kind = entry.kind;
        route.endpoint = entry.endpoint;
        route.webFile = file;
        // A malformed id keeps its endpoint with an empty shareId; every handler answers it with 400
        // bad_share_id before touching Redis or the disk.
        if (entry.needsId && isShareIdText(id))
            route.shareId = std::string(id);
        return route;
    }
    if (pathKnown)
        route.kind = RouteKind::MethodNotAllowed;
    return route;
}

const char* Route::label() const noexcept {
    if (const RouteEntry* entry = routeFor(endpoint))
        return entry->label;
    switch (kind) {
    case RouteKind::NotFound:
        return "not_found";
    case RouteKind::MethodNotAllowed:
        return "method_not_allowed";
    default:
        return "other";
    }
}

} // namespace ots::relay
