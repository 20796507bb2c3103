#include "SentLedger.h"

#include <QCryptographicHash>

namespace ots::client {

std::optional<SentLedger> SentLedger::restore(std::uint64_t sentBytes, QByteArray digests) {
    const std::uint64_t blocks = (sentBytes + kBlockBytes - 1) / kBlockBytes;
    if (static_cast<std::uint64_t>(digests.size()) != blocks * kDigestBytes)
        return std::nullopt;
    SentLedger ledger;
    ledger.m_sentBytes = sentBytes;
    ledger.m_digests = std::move(digests);
    return ledger;
}

QByteArray SentLedger::digest(QByteArrayView bytes) {
    return QCryptographicHash::hash(bytes, QCryptographicHash::Blake2b_256);
}

bool SentLedger::matches(std::uint64_t index, QByteArrayView bytes) const {
    const auto at = static_cast<qsizetype>(index) * kDigestBytes;
    if (at + kDigestBytes > m_digests.size())
        return false;
    return QByteArrayView(m_digests).sliced(at, kDigestBytes) == digest(bytes);
}

void SentLedger::record(std::uint64_t index, QByteArrayView bytes, std::uint64_t end) {
    const auto at = static_cast<qsizetype>(index) * kDigestBytes;
    if (m_digests.size() < at + kDigestBytes)
        m_digests.resize(at + kDigestBytes);
    const QByteArray sum = digest(bytes);
    std::copy(sum.begin(), sum.end(), m_digests.begin() + at);
    m_sentBytes = end;
}

} // namespace ots::client
