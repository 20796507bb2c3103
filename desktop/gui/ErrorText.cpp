#include "ErrorText.h"

namespace ots::gui {

using client::ClientError;
using client::ErrorKind;

QString ErrorText::join(const QString& what, const QString& next) {
    QString text = what.trimmed();
    if (text.isEmpty())
        text = tr("Something went wrong.");
    if (!text.endsWith(QLatin1Char('.')) && !text.endsWith(QLatin1Char('!')) &&
        !text.endsWith(QLatin1Char('?')))
        text += QLatin1Char('.');
    if (!next.isEmpty())
        text += QLatin1Char(' ') + next;
    return text;
}

QString ErrorText::nextStep(const ClientError& error) {
    switch (error.kind) {
    case ErrorKind::RateLimited:
        return error.retryAfterSeconds > 0
                   ? (error.retryAfterSeconds == 1
                          ? tr("Wait a second and try again.")
                          : tr("Wait %1 seconds and try again.").arg(error.retryAfterSeconds))
                   : tr("Wait a minute and try again.");
    case ErrorKind::StorageFull:
        return tr("The relay is out of space; try again later or use a smaller file.");
    case ErrorKind::LocalIo:
        return tr("Check that the files can be read and that the folder has free space, then try again.");
    case ErrorKind::Internal:
        return tr("Please try again; if it happens again, report it with what you did.");
    default:
        return {};
    }
}

QString ErrorText::forSend(const ClientError& error) {
    switch (error.kind) {
    case ErrorKind::TooLarge:
        return join(error.message,
                    tr("Split it into smaller shares or ask the relay's operator for a higher limit."));
    case ErrorKind::Usage:
        // A file whose name cannot be sent: the message names it and says to rename it.
        if (error.code.startsWith(QLatin1String("path.")))
            return join(error.message, {});
        return join(error.message, tr("Change the options above and try again."));
    // The relay's own message already says what to do; on this page the relay is the one in Settings.
    case ErrorKind::Network:
    case ErrorKind::RelayUnavailable:
    case ErrorKind::Unauthorized:
        return join(error.message, tr("The relay is set in Settings (Ctrl+4)."));
    case ErrorKind::RelayRejected:
        return join(error.message, {});
    default:
        return join(error.message, nextStep(error));
    }
}

QString ErrorText::forReceive(const ClientError& error) {
    switch (error.kind) {
    case ErrorKind::BadLink:
        return join(tr("This is not a complete OneTimeShare link."),
                    tr("Copy the whole link from the message you received, including the part after #."));
    case ErrorKind::NotFound:
        return join(tr("This share does not exist (any more)."),
                    tr("Ask the sender for a new link if you still need the files."));
    case ErrorKind::Expired:
        return join(tr("This share has expired."), tr("Ask the sender to share the files again."));
    case ErrorKind::Deleted:
        if (error.code == QLatin1String("removed"))
            return join(tr("The relay's operator removed this share."),
                        tr("Ask the sender about it if you still need the files."));
        return join(tr("The sender deleted this share."),
                    tr("Ask the sender for a new link if you still need it."));
    case ErrorKind::Downloaded:
        return join(tr("This share has already been downloaded as often as the sender allowed."),
                    tr("Ask the sender to share it again."));
    case ErrorKind::NotReady:
        return join(tr("The sender's upload has not finished yet."), tr("Wait a moment and try again."));
    case ErrorKind::PasswordRequired:
        return join(tr("This share needs a password."), tr("Enter the password the sender gave you."));
    case ErrorKind::WrongPassword:
        if (error.attemptsLeft >= 0)
            return join(tr("That password is not right."),
                        (error.attemptsLeft == 1
                             ? tr("1 attempt left before the share locks.")
                             : tr("%1 attempts left before the share locks.").arg(error.attemptsLeft)));
        return join(tr("That password is not right."), tr("Check it with the sender and try again."));
    case ErrorKind::WrongKey:
        return join(tr("This link is damaged or incomplete."),
                    tr("Copy the whole link again; part of it may be missing or changed."));
    case ErrorKind::Locked:
        return join(tr("Too many wrong passwords: the share is locked."),
                    tr("Ask the sender to unlock it in their History, then try again."));
    case ErrorKind::LocalIo:
        // Checked before anything was reserved: the sentence says what the folder lacks and that
        // nothing was spent.
        if (error.code == QLatin1String("insufficient_space"))
            return error.message;
        if (error.code == QLatin1String("io.disk_full"))
            return join(tr("The disk filled up while the download was being saved, so nothing was kept."),
                        tr("Free some space in the folder, or choose another one."));
        return join(error.message, tr("Check that the folder exists and can be written to."));
    case ErrorKind::Tampered:
        return join(tr("The downloaded data failed its integrity check, so nothing was saved."),
                    tr("Someone may have changed it on the way; ask the sender to share it again."));
    // The relay comes from the link, so Settings has nothing to do with it; the message says what
    // happened and what to do.
    case ErrorKind::Network:
    case ErrorKind::RelayUnavailable:
    case ErrorKind::RelayRejected:
    case ErrorKind::Unauthorized:
        return join(error.message, {});
    default:
        return join(error.message, nextStep(error));
    }
}

} // namespace ots::gui
