#include "ots/StreamEncryptor.h"

#include "StreamLayout.h"
#include "ots/Crypto.h"
#include "ots/Padding.h"

#include <sodium.h>

#include <algorithm>
#include <cstring>

namespace ots {

namespace {
crypto_secretstream_xchacha20poly1305_state* stateOf(SecretBuffer& buffer) noexcept {
    return reinterpret_cast<crypto_secretstream_xchacha20poly1305_state*>(buffer.data());
}
} // namespace

StreamEncryptor::StreamEncryptor(std::uint64_t payloadSize, std::uint64_t paddedSize)
    : m_payloadSize(payloadSize)
    , m_paddedSize(paddedSize)
    , m_state(sizeof(crypto_secretstream_xchacha20poly1305_state))
    , m_chunk(format::kChunkPlainBytes)
    , m_frame(format::kChunkFrameBytes) {}

Result<StreamEncryptor> StreamEncryptor::create(const ShareKeys& keys, std::uint64_t payloadSize) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (payloadSize > format::kMaxPayloadBytes)
        return Errc::StreamTooLarge;

    StreamEncryptor enc(payloadSize, padding::paddedSize(payloadSize));
    StreamHeader header;
    header.paddedSize = enc.m_paddedSize;
    header.commitment = layout::commitment(keys);
    crypto_secretstream_xchacha20poly1305_init_push(stateOf(enc.m_state), header.secretstreamHeader.data(),
                                                    keys.streamKey().data());
    enc.m_header = header.serialize();
    const auto mac = layout::headerMac(keys, enc.m_header.data());
    std::memcpy(enc.m_header.data() + StreamHeader::kMacInputBytes, mac.data(), mac.size());

    // The payload length opens the first chunk (SPEC.md §4.3).
    storeLe64(enc.m_chunk.data(), payloadSize);
    enc.m_filled = format::kLengthPrefixBytes;
    return enc;
}

Result<StreamEncryptor> StreamEncryptor::resume(const ShareKeys& keys, std::uint64_t payloadSize,
                                                ByteView header) {
    if (!isInitialized())
        return Errc::NotInitialized;
    if (payloadSize > format::kMaxPayloadBytes)
        return Errc::StreamTooLarge;
    auto parsed = StreamHeader::parse(header);
    if (!parsed.ok())
        return parsed.error();
    const auto commitment = layout::commitment(keys);
    if (sodium_memcmp(commitment.data(), parsed->commitment.data(), commitment.size()) != 0)
        return Errc::StreamWrongKey;
    const auto mac = layout::headerMac(keys, header.data());
    if (sodium_memcmp(mac.data(), parsed->mac.data(), mac.size()) != 0)
        return Errc::StreamHeaderTampered;
    if (parsed->paddedSize != padding::paddedSize(payloadSize))
        return Error{Errc::StreamMalformed, "the header is for another payload size"};

    StreamEncryptor enc(payloadSize, parsed->paddedSize);
    // init_pull derives from (key, header) exactly the state init_push left after drawing that header.
    if (crypto_secretstream_xchacha20poly1305_init_pull(
            stateOf(enc.m_state), parsed->secretstreamHeader.data(), keys.streamKey().data()) != 0)
        return Errc::StreamHeaderTampered;
    std::copy(header.begin(), header.end(), enc.m_header.begin());
    storeLe64(enc.m_chunk.data(), payloadSize);
    enc.m_filled = format::kLengthPrefixBytes;
    return enc;
}

Result<StreamEncryptor> StreamEncryptor::clone() const {
    if (m_finished)
        return Errc::StreamFinished;
    StreamEncryptor copy(m_payloadSize, m_paddedSize);
    copy.m_consumed = m_consumed;
    copy.m_nextIndex = m_nextIndex;
    copy.m_filled = m_filled;
    copy.m_failed = m_failed;
    copy.m_header = m_header;
    copy.m_state = m_state.clone();
    copy.m_chunk = m_chunk.clone();
    return copy;
}

std::uint64_t StreamEncryptor::ciphertextSize(std::uint64_t payloadSize) noexcept {
    const std::uint64_t padded = padding::paddedSize(payloadSize);
    return format::kStreamHeaderBytes +
           layout::chunkCount(padded) * (format::kChunkIndexBytes + format::kChunkTagBytes) + padded;
}

bool StreamEncryptor::isValidCiphertextSize(std::uint64_t ciphertextBytes) noexcept {
    // size = 104 + 25·n + P with n = ⌈P / 65536⌉. P + 25·n grows strictly with P, so n and then P follow
    // from the size alone; P must be one that §4.3 produces: at least the floor, a fixed point of Padmé
    // (Padmé(8 + L) for L = P − 8), and no larger than the padding of the largest payload.
    constexpr std::uint64_t perChunk = format::kChunkIndexBytes + format::kChunkTagBytes;
    if (ciphertextBytes <= format::kStreamHeaderBytes)
        return false;
    const std::uint64_t framed = ciphertextBytes - format::kStreamHeaderBytes;
    const std::uint64_t chunks =
        (framed + format::kChunkPlainBytes + perChunk - 1) / (format::kChunkPlainBytes + perChunk);
    if (framed <= chunks * perChunk)
        return false;
    const std::uint64_t padded = framed - chunks * perChunk;
    return layout::chunkCount(padded) == chunks && padded >= format::kMinPaddedBytes &&
           padding::padme(padded) == padded && padded <= padding::paddedSize(format::kMaxPayloadBytes);
}

Status StreamEncryptor::sealChunk(const std::uint8_t* plain, std::size_t size, const ByteSink& out) {
    const bool last = m_nextIndex + 1 == layout::chunkCount(m_paddedSize);
    storeLe64(m_frame.data(), m_nextIndex);
    unsigned long long sealed = 0;
    crypto_secretstream_xchacha20poly1305_push(stateOf(m_state), m_frame.data() + format::kChunkIndexBytes,
                                               &sealed, plain, size, m_frame.data(), format::kChunkIndexBytes,
                                               last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                                    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
    ++m_nextIndex;
    return out(ByteView(m_frame.data(), format::kChunkIndexBytes + static_cast<std::size_t>(sealed)));
}

Status StreamEncryptor::push(ByteView payload, const ByteSink& out) {
    if (m_failed)
        return Errc::StreamSizeMismatch;
    if (m_finished)
        return Errc::StreamFinished;
    if (payload.size() > m_payloadSize - m_consumed) {
        m_failed = true;
        return Error{Errc::StreamSizeMismatch, "more payload bytes than declared"};
    }
    m_consumed += payload.size();

    // Every chunk before the last is exactly 64 KiB, and the last one is sealed by finish(), so a chunk
    // is sealed here only once it is full and another chunk follows it.
    const std::uint64_t chunks = layout::chunkCount(m_paddedSize);
    while (!payload.empty()) {
        if (m_filled == 0 && payload.size() >= format::kChunkPlainBytes && m_nextIndex + 1 < chunks) {
            // Whole chunk straight from the caller's buffer: no copy.
            if (auto sealed = sealChunk(payload.data(), format::kChunkPlainBytes, out); !sealed.ok()) {
                m_failed = true;
                return sealed;
            }
            payload = payload.subspan(format::kChunkPlainBytes);
            continue;
        }
        const std::size_t take = std::min(payload.size(), format::kChunkPlainBytes - m_filled);
        std::memcpy(m_chunk.data() + m_filled, payload.data(), take);
        m_filled += take;
        payload = payload.subspan(take);
        if (m_filled == format::kChunkPlainBytes && m_nextIndex + 1 < chunks) {
            if (auto sealed = sealChunk(m_chunk.data(), m_filled, out); !sealed.ok()) {
                m_failed = true;
                return sealed;
            }
            m_filled = 0;
        }
    }
    return {};
}

Status StreamEncryptor::finish(const ByteSink& out) {
    if (m_failed)
        return Errc::StreamSizeMismatch;
    if (m_finished)
        return Errc::StreamFinished;
    if (m_consumed != m_payloadSize) {
        m_failed = true;
        return Error{Errc::StreamSizeMismatch, "fewer payload bytes than declared"};
    }
    // Zero padding up to the padded size, across as many chunks as it takes.
    const std::uint64_t chunks = layout::chunkCount(m_paddedSize);
    while (true) {
        const std::size_t target = layout::chunkPlainSize(m_paddedSize, m_nextIndex);
        std::memset(m_chunk.data() + m_filled, 0, target - m_filled);
        const bool last = m_nextIndex + 1 == chunks;
        if (auto sealed = sealChunk(m_chunk.data(), target, out); !sealed.ok()) {
            m_failed = true;
            return sealed;
        }
        m_filled = 0;
        if (last)
            break;
    }
    m_finished = true;
    sodium_memzero(m_state.data(), m_state.size());
    return {};
}

} // namespace ots
