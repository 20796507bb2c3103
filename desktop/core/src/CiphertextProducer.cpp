#include "CiphertextProducer.h"

#include "ots/ShareArchive.h"

#include <algorithm>
#include <utility>

namespace ots::client {

CiphertextProducer::CiphertextProducer(const ContainerPacker& packer, StreamEncryptor encryptor,
                                       std::uint64_t skip, SentLedger& ledger, BytePipe& pipe)
    : m_packer(packer)
    , m_ledger(ledger)
    , m_pipe(pipe)
    , m_checkEnd(ledger.sentBytes())
    , m_skip(skip) {
    m_block.reserve(static_cast<qsizetype>(SentLedger::kBlockBytes));
    m_thread = std::thread([this, enc = std::move(encryptor)]() mutable { run(std::move(enc)); });
}

CiphertextProducer::~CiphertextProducer() {
    stop();
}

bool CiphertextProducer::release(std::uint64_t blockStart, std::uint64_t to) {
    const std::uint64_t from = std::max(blockStart + m_released, m_skip);
    if (from < blockStart + to) {
        const ByteView bytes(reinterpret_cast<const std::uint8_t*>(m_block.constData()) + (from - blockStart),
                             static_cast<std::size_t>(blockStart + to - from));
        if (!m_pipe.write(bytes))
            return false;
    }
    m_released = to;
    m_handedOut = blockStart + to;
    return true;
}

Status CiphertextProducer::take(ByteView bytes) {
    constexpr std::uint64_t block = SentLedger::kBlockBytes;
    while (!bytes.empty()) {
        const std::uint64_t inBlock = m_position % block;
        const std::uint64_t blockStart = m_position - inBlock;
        std::uint64_t room = block - inBlock;
        const bool checked = m_position < m_checkEnd;
        if (checked)
            room = std::min(room, m_checkEnd - m_position);
        const auto count = static_cast<std::size_t>(std::min<std::uint64_t>(room, bytes.size()));
        m_block.append(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(count));
        bytes = bytes.subspan(count);
        m_position += count;
        const std::uint64_t filled = inBlock + count;
        if (checked) {
            // Nothing of a checked block leaves before all of it that the ledger knows proved to be
            // what was handed out before.
            if (m_position != m_checkEnd && filled != block)
                continue;
            if (!m_ledger.matches(blockStart / block, m_block))
                return Error{Errc::IoFileChanged, "the input changed since the upload began"};
        }
        if (!release(blockStart, filled))
            return Error{Errc::InvalidArgument, "upload stopped"};
        if (filled == block) {
            if (m_position > m_checkEnd)
                m_ledger.record(blockStart / block, m_block, m_position);
            m_block.resize(0);
            m_released = 0;
        }
    }
    return {};
}

void CiphertextProducer::run(StreamEncryptor encryptor) {
    const ByteSink sink = [this](ByteView bytes) { return take(bytes); };
    Status result = encryptContainer(m_packer, std::move(encryptor), sink);
    // The partial block at the end of what went out (its whole blocks are recorded already).
    if (m_handedOut > m_ledger.sentBytes()) {
        const std::uint64_t blockStart = m_handedOut - m_handedOut % SentLedger::kBlockBytes;
        if (m_handedOut > blockStart)
            m_ledger.record(blockStart / SentLedger::kBlockBytes,
                            QByteArrayView(m_block).first(static_cast<qsizetype>(m_handedOut - blockStart)),
                            m_handedOut);
    }
    if (!m_stopped.load())
        m_status = std::move(result);
    // The reader sees the end of the stream, or (after an error) an early end it reports as a failure.
    m_pipe.close();
}

void CiphertextProducer::stop() {
    m_stopped.store(true);
    m_pipe.abort();
    join();
}

void CiphertextProducer::join() {
    if (m_thread.joinable())
        m_thread.join();
}

} // namespace ots::client
