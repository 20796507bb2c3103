#pragma once

// What the window says when something fails: the client's sentence (what happened) plus, where it
// helps, what to do next in this window. Never a bare code.

#include "ots/client/ClientError.h"

#include <QCoreApplication>
#include <QString>

namespace ots::gui {

class ErrorText {
    Q_DECLARE_TR_FUNCTIONS(ErrorText)
public:
    /// For a failed send.
    [[nodiscard]] static QString forSend(const ots::client::ClientError& error);
    /// For a failed inspect, unlock or download.
    [[nodiscard]] static QString forReceive(const ots::client::ClientError& error);

private:
    /// The part both share: relay, network and disk problems.
    [[nodiscard]] static QString nextStep(const ots::client::ClientError& error);
    [[nodiscard]] static QString join(const QString& what, const QString& next);
};

} // namespace ots::gui
