// libFuzzer target for the container parser (SPEC.md §6). Every input is parsed twice, whole and in
// pieces whose size comes from its first byte; both runs must agree. Whatever the parser accepts
// must satisfy what the unpacker relies on, and, the format being canonical, re-encode to the input.

#include "ots/Container.h"
#include "ots/ContainerParser.h"
#include "ots/PathRules.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>

namespace {

using namespace ots;

void require(bool condition) {
    if (!condition)
        std::abort();
}

class InvariantChecker final : public ContainerHandler {
public:
    explicit InvariantChecker(PathRules rules)
        : m_rules(rules) {}

    Status onEntry(const ContainerEntry& entry) override {
        require(!m_inEntry);
        require(validateEntryPath(entry.path, m_rules).ok());
        require((entry.mode & ~format::kModeMask) == 0);
        require(entry.type == EntryType::File || entry.size == 0);
        m_inEntry = true;
        m_contentLeft = entry.size;
        const Bytes encoded = container::encodeEntry(entry);
        m_events.insert(m_events.end(), encoded.begin(), encoded.end());
        return {};
    }

    Status onData(ByteView data) override {
        require(m_inEntry);
        require(!data.empty() && data.size() <= m_contentLeft);
        m_contentLeft -= data.size();
        m_events.insert(m_events.end(), data.begin(), data.end());
        return {};
    }

    Status onEntryEnd() override {
        require(m_inEntry && m_contentLeft == 0);
        m_inEntry = false;
        return {};
    }

    /// The entries and contents seen so far, encoded again.
    [[nodiscard]] const Bytes& events() const noexcept { return m_events; }

private:
    PathRules m_rules;
    bool m_inEntry = false;
    std::uint64_t m_contentLeft = 0;
    Bytes m_events;
};

struct Outcome {
    Errc code = Errc::None;
    std::string detail;
    Bytes events;
};

Outcome parse(ByteView input, std::size_t piece, PathRules rules) {
    InvariantChecker checker(rules);
    ContainerParser parser(checker, rules);
    Status status;
    for (std::size_t offset = 0; offset < input.size() && status.ok(); offset += piece)
        status = parser.push(input.subspan(offset, std::min(piece, input.size() - offset)));
    if (status.ok())
        status = parser.finish();
    require(parser.complete() == status.ok());
    if (!status.ok()) // a failed parser stays failed, with the same error
        require(parser.push(input.first(std::min<std::size_t>(input.size(), 1))).code() == status.code());
    return Outcome{status.code(), status.ok() ? std::string() : status.error().detail, checker.events()};
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const ByteView input(data, size);
    const std::uint8_t control = size > 0 ? data[0] : 0;
    const PathRules rules = (control & 0x80U) != 0 ? PathRules::Windows : PathRules::Posix;
    const std::size_t piece = (control & 0x3FU) + 1U;

    const Outcome whole = parse(input, std::max<std::size_t>(size, 1), rules);
    const Outcome pieces = parse(input, piece, rules);
    require(whole.code == pieces.code);
    require(whole.detail == pieces.detail);
    require(whole.events == pieces.events);

    if (whole.code == Errc::None) {
        Bytes rebuilt = container::encodeHeader();
        rebuilt.insert(rebuilt.end(), whole.events.begin(), whole.events.end());
        const Bytes end = container::encodeEnd();
        rebuilt.insert(rebuilt.end(), end.begin(), end.end());
        require(rebuilt == Bytes(input.begin(), input.end()));
    }
    return 0;
}
