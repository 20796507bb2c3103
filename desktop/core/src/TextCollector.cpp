#include "TextCollector.h"

#include <cstring>
#include <string>
#include <utility>

namespace ots::client {

TextCollector::TextCollector(std::size_t maxBytes)
    : m_maxBytes(maxBytes) {}

TextCollector::~TextCollector() {
    wipe();
}

Result<std::unique_ptr<TextCollector>> TextCollector::create(const ShareKeys& keys, std::size_t maxBytes) {
    auto decryptor = StreamDecryptor::create(keys);
    if (!decryptor.ok())
        return decryptor.error();
    std::unique_ptr<TextCollector> collector(new TextCollector(maxBytes));
    collector->m_decryptor.emplace(std::move(decryptor).value());
    collector->m_parser = std::make_unique<ContainerParser>(*collector);
    return collector;
}

void TextCollector::wipe() noexcept {
    // The text may be a secret (that is what text shares are for): do not leave it in freed memory.
    if (!m_text.isEmpty())
        std::memset(m_text.data(), 0, static_cast<std::size_t>(m_text.size()));
    m_text.clear();
}

Status TextCollector::push(ByteView ciphertext) {
    auto pushed = m_decryptor->push(ciphertext, [this](ByteView payload) { return m_parser->push(payload); });
    if (!pushed.ok())
        wipe();
    return pushed;
}

Result<QByteArray> TextCollector::finish() {
    Status ended = m_decryptor->finish();
    if (ended.ok())
        ended = m_parser->finish();
    if (!ended.ok()) {
        wipe();
        return ended.error();
    }
    return std::exchange(m_text, QByteArray());
}

Status TextCollector::onEntry(const ContainerEntry& entry) {
    if (++m_entries > 1 || entry.type != EntryType::File)
        return Error{Errc::ContainerMalformed, "a text share holds exactly one file"};
    if (entry.size > m_maxBytes)
        return Error{Errc::ContainerMalformed, "the text is larger than the " + std::to_string(m_maxBytes) +
                                                   " bytes its description allows"};
    m_text.reserve(static_cast<qsizetype>(entry.size));
    return {};
}

Status TextCollector::onData(ByteView data) {
    m_text.append(reinterpret_cast<const char*>(data.data()), static_cast<qsizetype>(data.size()));
    return {};
}

Status TextCollector::onEntryEnd() {
    return {};
}

} // namespace ots::client
