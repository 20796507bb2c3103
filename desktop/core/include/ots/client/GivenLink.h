#pragma once

// The form of a share's link that the app hands to a sender (copied, shown, put in the QR code).
// The web form (https://HOST/s/<id>#<secret>) opens in any browser, through the relay's web page; the
// app form (onetimeshare://HOST/s/<id>#<secret>, SPEC.md §2.1) opens only in the OneTimeShare app, so
// the page the relay serves never sees the secret. Settings::appOnlyLinks chooses between them.

#include <QString>

namespace ots::client {

struct GivenLink {
    QString text;         ///< the link to hand out (a secret)
    bool appForm = false; ///< text is the app form (onetimeshare://…)
    /// The app form was asked for, but the share has none (an https relay on a loopback host, SPEC.md
    /// §2.1): text is the web link, and the person should be told so.
    bool appFormUnavailable = false;

    /// The link to hand out for webLink (a link as SendResult::link or ShareHistory::link give it): its
    /// app form when appOnly is set and the share has one, otherwise webLink itself. A text that is not
    /// a valid link is returned as it is (appFormUnavailable when appOnly).
    [[nodiscard]] static GivenLink forLink(const QString& webLink, bool appOnly);
};

} // namespace ots::client
