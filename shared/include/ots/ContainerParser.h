#pragma once

// A push parser for the container payload: bytes go in as they are decrypted, entry events come
// out. It holds at most one entry header in memory, whatever the content size. It validates every
// path (PathRules), rejects links and unknown types, duplicates and file/folder conflicts.

#include "ots/Bytes.h"
#include "ots/Container.h"
#include "ots/PathRules.h"

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace ots {

class ContainerHandler {
public:
    virtual ~ContainerHandler() = default;
    virtual Status onEntry(const ContainerEntry& entry) = 0;
    /// Content of the current file entry, in order; the sizes add up to entry.size.
    virtual Status onData(ByteView data) = 0;
    /// The current file entry's content is complete (also called for empty files and directories).
    virtual Status onEntryEnd() = 0;
};

class ContainerParser {
public:
    explicit ContainerParser(ContainerHandler& handler, PathRules rules = PathRules::Native);

    /// Feeds payload bytes. After an error the parser stays failed and returns that error again.
    [[nodiscard]] Status push(ByteView data);
    /// The payload has ended: succeeds only if the end marker was seen and nothing followed it.
    [[nodiscard]] Status finish();
    [[nodiscard]] bool complete() const noexcept;

private:
    enum class State { Header, EntryType, EntryFixed, EntryPath, Content, End };

    // One node per name the container creates on disk, explicit or implied by a deeper path. A tree
    // keeps memory proportional to the bytes of the paths, where a set of every parent prefix of
    // every path would be quadratic in the path length.
    enum class NodeKind : std::uint8_t { File, Directory, ImpliedDirectory };
    struct PathNode {
        NodeKind kind = NodeKind::ImpliedDirectory;
        std::map<std::string, std::size_t, std::less<>> children;
    };

    [[nodiscard]] Status step(ByteView& data);
    [[nodiscard]] Status headerComplete();
    [[nodiscard]] Status typeComplete();
    [[nodiscard]] Status fixedPartComplete();
    [[nodiscard]] Status pathComplete();
    [[nodiscard]] Status recordPath(const ContainerEntry& entry);
    [[nodiscard]] Status addNode(std::size_t parent, std::string_view name, NodeKind kind);
    [[nodiscard]] Status endEntry();

    ContainerHandler& m_handler;
    PathRules m_rules;
    State m_state = State::Header;
    Bytes m_buffer;         // the container header or the entry header being assembled
    std::size_t m_wanted;   // size m_buffer must reach before it can be parsed
    ContainerEntry m_entry; // the entry whose content is passing through
    std::uint64_t m_contentLeft = 0;
    std::size_t m_totalPathBytes = 0;
    std::vector<PathNode> m_nodes; // [0] is the root
    Error m_error;
};

} // namespace ots
