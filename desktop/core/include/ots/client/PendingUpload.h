#pragma once

// An upload that stopped before it was complete but whose share still waits on the relay: everything
// a later SendJob needs to continue it from the relay's offset, also after a restart of the program
// (PendingUploadStore keeps it: the secrets in the SecretStore, the rest in a private file).
//
// The link secret, the password and the owner token are secrets; the stream header (the first bytes
// on the relay), the inputs' identity and the ledger of what was handed out are not.

#include "ots/client/RelayClient.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <cstdint>
#include <optional>

namespace ots::client {

struct PendingUpload {
    QUrl relay;
    QString shareId;
    QString ownerToken; ///< a secret
    QString linkSecret; ///< a secret, base64url
    QString password;   ///< a secret; empty when the share has none
    std::optional<KdfInfo> kdf;
    QByteArray streamHeader;        ///< the ciphertext's first bytes (SPEC.md §4.1)
    QStringList paths;              ///< the inputs, or
    std::optional<QByteArray> text; ///< a text share's text (kept in memory only, never stored)
    QString textName;
    /// BLAKE2b-256 of every listed entry's type, path, mode, size and modification time: a resume
    /// that lists the inputs differently starts a new share.
    QByteArray inputIdentity;
    std::uint64_t payloadBytes = 0;
    std::uint64_t ciphertextBytes = 0;
    /// The ledger of what left this computer (SentLedger): its end and block digests.
    std::uint64_t sentBytes = 0;
    QByteArray sentDigests;
    std::int64_t expiresAt = 0;
    int maxDownloads = 1;

    [[nodiscard]] bool isText() const noexcept { return text.has_value(); }
};

} // namespace ots::client
