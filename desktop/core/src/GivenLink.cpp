#include "ots/client/GivenLink.h"

#include "ots/ShareLink.h"

#include <string>

namespace ots::client {

GivenLink GivenLink::forLink(const QString& webLink, bool appOnly) {
    GivenLink given;
    given.text = webLink;
    if (!appOnly)
        return given;
    const auto link = ShareLink::parse(webLink.toStdString());
    if (!link.ok()) {
        given.appFormUnavailable = true;
        return given;
    }
    const std::string appUrl = link.value().toAppUrl();
    if (appUrl == link.value().toWebUrl()) { // an https relay on a loopback host: no app form
        given.appFormUnavailable = true;
        return given;
    }
    given.text = QString::fromStdString(appUrl);
    given.appForm = true;
    return given;
}

} // namespace ots::client
