#include "ots/ContainerParser.h"

#include <algorithm>
#include <cstring>

namespace ots {

ContainerParser::ContainerParser(ContainerHandler& handler, PathRules rules)
    : m_handler(handler)
    , m_rules(rules)
    , m_wanted(format::kContainerHeaderBytes)
    , m_nodes(1) {
    m_buffer.reserve(format::kEntryFixedBytes + format::kMaxPathBytes);
}

Status ContainerParser::push(ByteView data) {
    if (m_error.code != Errc::None)
        return m_error;
    while (!data.empty()) {
        if (Status status = step(data); !status.ok()) {
            m_error = status.error();
            return m_error;
        }
    }
    return {};
}

Status ContainerParser::finish() {
    if (m_error.code == Errc::None && m_state != State::End)
        m_error = Error{Errc::ContainerTruncated, {}};
    if (m_error.code != Errc::None)
        return m_error;
    return {};
}

bool ContainerParser::complete() const noexcept {
    return m_error.code == Errc::None && m_state == State::End;
}

Status ContainerParser::step(ByteView& data) {
    if (m_state == State::End)
        return Errc::ContainerTrailingData;

    if (m_state == State::Content) {
        // Content goes straight to the handler: memory stays flat whatever the file size.
        const auto length = static_cast<std::size_t>(std::min<std::uint64_t>(m_contentLeft, data.size()));
        OTS_TRY(m_handler.onData(data.first(length)));
        data = data.subspan(length);
        m_contentLeft -= length;
        return m_contentLeft == 0 ? endEntry() : Status{};
    }

    const std::size_t length = std::min(m_wanted - m_buffer.size(), data.size());
    m_buffer.insert(m_buffer.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(length));
    data = data.subspan(length);
    if (m_buffer.size() < m_wanted)
        return {};

    if (m_state == State::Header)
        return headerComplete();
    if (m_state == State::EntryType)
        return typeComplete();
    if (m_state == State::EntryFixed)
        return fixedPartComplete();
    return pathComplete(); // the last state that buffers
}

Status ContainerParser::headerComplete() {
    const std::uint8_t* header = m_buffer.data();
    if (std::memcmp(header, format::kContainerMagic, sizeof format::kContainerMagic) != 0)
        return Errc::ContainerBadMagic;
    if (header[4] != format::kContainerVersion)
        return Errc::ContainerUnsupportedVersion;
    // Reserved bytes must be zero so a later version can give them a meaning old readers refuse.
    if (header[5] != 0 || header[6] != 0 || header[7] != 0)
        return Error{Errc::ContainerMalformed, "reserved header bytes are not zero"};
    m_buffer.clear();
    m_state = State::EntryType;
    m_wanted = 1;
    return {};
}

Status ContainerParser::typeComplete() {
    if (m_buffer[0] == format::kEntryEnd) {
        m_state = State::End;
        return {};
    }
    m_state = State::EntryFixed;
    m_wanted = format::kEntryFixedBytes;
    return {};
}

Status ContainerParser::fixedPartComplete() {
    const std::uint8_t* fixed = m_buffer.data();
    const std::uint8_t type = fixed[0];
    if (type == format::kEntrySymlinkReserved)
        return Errc::EntryLinkNotAllowed;
    if (type != format::kEntryDirectory && type != format::kEntryFile)
        return Error{Errc::EntryUnknownType, "type " + std::to_string(type)};
    if (fixed[1] != 0)
        return Error{Errc::ContainerMalformed, "entry flags are not zero"};

    m_entry.type = static_cast<EntryType>(type);
    m_entry.mode = static_cast<std::uint32_t>(loadLe(fixed + 2, 4));
    m_entry.size = loadLe(fixed + 6, 8);
    m_entry.mtime = static_cast<std::int64_t>(loadLe(fixed + 14, 8));
    const auto pathBytes = static_cast<std::uint16_t>(loadLe(fixed + 22, 2));

    if ((m_entry.mode & ~format::kModeMask) != 0)
        return Errc::EntryBadMode;
    if (m_entry.type == EntryType::Directory && m_entry.size != 0)
        return Error{Errc::ContainerMalformed, "a directory entry has content"};
    if (pathBytes == 0)
        return Errc::PathEmpty;
    if (pathBytes > format::kMaxPathBytes)
        return Errc::PathTooLong;
    m_totalPathBytes += pathBytes;
    if (m_totalPathBytes > format::kMaxTotalPathBytes)
        return Errc::ContainerTooManyEntries;

    m_state = State::EntryPath;
    m_wanted = format::kEntryFixedBytes + pathBytes;
    return {};
}

Status ContainerParser::pathComplete() {
    m_entry.path.assign(m_buffer.begin() + format::kEntryFixedBytes, m_buffer.end());
    OTS_TRY(validateEntryPath(m_entry.path, m_rules));
    OTS_TRY(recordPath(m_entry));
    OTS_TRY(m_handler.onEntry(m_entry));
    m_buffer.clear();
    if (m_entry.type == EntryType::File && m_entry.size > 0) {
        m_state = State::Content;
        m_contentLeft = m_entry.size;
        return {};
    }
    return endEntry();
}

Status ContainerParser::endEntry() {
    OTS_TRY(m_handler.onEntryEnd());
    m_buffer.clear();
    m_state = State::EntryType;
    m_wanted = 1;
    return {};
}

Status ContainerParser::recordPath(const ContainerEntry& entry) {
    const std::string key = duplicateKey(entry.path, m_rules);
    std::string_view rest = key;
    std::size_t node = 0;
    for (std::size_t slash = rest.find('/'); slash != std::string_view::npos; slash = rest.find('/')) {
        const std::string_view name = rest.substr(0, slash);
        const auto& children = m_nodes[node].children;
        if (const auto found = children.find(name); found != children.end()) {
            if (m_nodes[found->second].kind == NodeKind::File)
                return Error{Errc::PathConflict, entry.path};
            node = found->second;
        } else {
            OTS_TRY(addNode(node, name, NodeKind::ImpliedDirectory));
            node = m_nodes.size() - 1;
        }
        rest = rest.substr(slash + 1);
    }

    const NodeKind kind = entry.type == EntryType::File ? NodeKind::File : NodeKind::Directory;
    const auto& children = m_nodes[node].children;
    const auto found = children.find(rest);
    if (found == children.end())
        return addNode(node, rest, kind);
    PathNode& existing = m_nodes[found->second];
    // Naming a folder that a deeper path already implied is how a writer may give it its mode.
    if (existing.kind == NodeKind::ImpliedDirectory && kind == NodeKind::Directory) {
        existing.kind = NodeKind::Directory;
        return {};
    }
    const bool sameType = (existing.kind == NodeKind::File) == (kind == NodeKind::File);
    return Error{sameType ? Errc::PathDuplicate : Errc::PathConflict, entry.path};
}

Status ContainerParser::addNode(std::size_t parent, std::string_view name, NodeKind kind) {
    // Implied folders count too: each one is a directory the unpacker creates.
    if (m_nodes.size() > format::kMaxEntries)
        return Errc::ContainerTooManyEntries;
    m_nodes[parent].children.emplace(name, m_nodes.size());
    m_nodes.push_back(PathNode{kind, {}});
    return {};
}

} // namespace ots
