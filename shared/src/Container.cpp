#include "ots/Container.h"

#include <cassert>

namespace ots::container {

Bytes encodeHeader() {
    Bytes out(std::begin(format::kContainerMagic), std::end(format::kContainerMagic));
    out.push_back(format::kContainerVersion);
    out.resize(format::kContainerHeaderBytes, 0);
    return out;
}

Bytes encodeEntry(const ContainerEntry& entry) {
    // The length field is 16 bits; callers validate paths (at most kMaxPathBytes) first.
    assert(entry.path.size() <= 0xFFFF);
    Bytes out;
    out.reserve(format::kEntryFixedBytes + entry.path.size());
    out.push_back(static_cast<std::uint8_t>(entry.type));
    out.push_back(0); // flags
    appendLe(out, entry.mode, 4);
    appendLe(out, entry.size, 8);
    appendLe(out, static_cast<std::uint64_t>(entry.mtime), 8);
    appendLe(out, entry.path.size(), 2);
    out.insert(out.end(), entry.path.begin(), entry.path.end());
    return out;
}

Bytes encodeEnd() {
    return Bytes{format::kEntryEnd};
}

std::uint64_t payloadSize(std::span<const ContainerEntry> entries) noexcept {
    std::uint64_t total = format::kContainerHeaderBytes + 1; // header and end marker
    for (const ContainerEntry& entry : entries) {
        total += format::kEntryFixedBytes + entry.path.size();
        if (entry.type == EntryType::File)
            total += entry.size;
    }
    return total;
}

} // namespace ots::container
