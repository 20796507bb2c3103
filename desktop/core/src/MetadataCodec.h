#pragma once

// The metadata plaintext (SPEC.md §5.1): the JSON object a sender seals into the metadata envelope and
// a receiver shows before downloading — kind, entry list (shortened for huge trees), counts, total
// size and the note. The container stays authoritative: nothing here decides what is written to disk.

#include "ots/Container.h"
#include "ots/client/ClientError.h"
#include "ots/client/ReceiveJob.h"

#include <QByteArray>
#include <QString>

#include <cstddef>
#include <vector>

namespace ots::client {

class MetadataCodec {
public:
    /// The entry list stops (and "truncated" is set) before its JSON would pass this many bytes.
    static constexpr std::size_t kEntryListBudget = std::size_t{256} * 1024;
    /// The longest note a sender accepts, in UTF-8 bytes.
    static constexpr std::size_t kMaxNoteBytes = std::size_t{16} * 1024;

    /// What a sender's metadata says about these container entries.
    [[nodiscard]] static ShareMetadata describe(const std::vector<ContainerEntry>& entries, bool isText,
                                                const QString& note);
    /// The compact UTF-8 JSON of §5.1.
    [[nodiscard]] static QByteArray encode(const ShareMetadata& metadata);
    /// Parses strictly (SPEC.md §5.1): a byte order mark, a missing or mistyped known field, an integer
    /// field not spelled as digits or beyond 2^53 - 1 (counts beyond 1 000 000), or a text share that
    /// does not describe exactly one file is metadata.malformed; v other than 1 is
    /// metadata.unsupported_version; unknown fields are ignored.
    [[nodiscard]] static Outcome<ShareMetadata> decode(const QByteArray& json);

    /// "report.pdf", "photos (3 items)", "report.pdf and 2 more", or "Text".
    [[nodiscard]] static QString displayName(const std::vector<ContainerEntry>& entries, bool isText);
};

} // namespace ots::client
