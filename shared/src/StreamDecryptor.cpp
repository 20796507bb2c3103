#include "ots/StreamDecryptor.h"

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

bool allZero(const std::uint8_t* data, std::size_t size) noexcept {
    std::uint8_t acc = 0;
    for (std::size_t i = 0; i < size; ++i)
        acc |= data[i];
    return acc == 0;
}
} // namespace

StreamDecryptor::StreamDecryptor(const ShareKeys& keys)
    : m_keys(&keys)
    , m_state(sizeof(crypto_secretstream_xchacha20poly1305_state))
    , m_plain(format::kChunkPlainBytes) {
    m_pending.reserve(format::kChunkFrameBytes);
}

Result<StreamDecryptor> StreamDecryptor::create(const ShareKeys& keys) {
    if (!isInitialized())
        return Errc::NotInitialized;
    return StreamDecryptor(keys);
}

Status StreamDecryptor::fail(Status error) {
    m_phase = Phase::Failed;
    m_error = error.error();
    m_pending.clear();
    m_pending.shrink_to_fit();
    sodium_memzero(m_state.data(), m_state.size());
    sodium_memzero(m_plain.data(), m_plain.size());
    return error;
}

std::size_t StreamDecryptor::currentFrameSize() const noexcept {
    return format::kChunkIndexBytes + layout::chunkPlainSize(m_header.paddedSize, m_nextIndex) +
           format::kChunkTagBytes;
}

Status StreamDecryptor::acceptHeader() {
    auto parsed = StreamHeader::parse(m_pending);
    if (!parsed.ok())
        return parsed.error();
    m_header = parsed.value();

    // Commitment first: it depends on the key alone, so a mismatch means the key is wrong, whereas a
    // MAC failure under the right key means the header was altered.
    const auto commitment = layout::commitment(*m_keys);
    if (sodium_memcmp(commitment.data(), m_header.commitment.data(), commitment.size()) != 0)
        return Errc::StreamWrongKey;
    const auto mac = layout::headerMac(*m_keys, m_pending.data());
    if (sodium_memcmp(mac.data(), m_header.mac.data(), mac.size()) != 0)
        return Errc::StreamHeaderTampered;

    // Authenticated from here on: what is wrong now was written wrong, not altered.
    if (!allZero(m_header.reserved.data(), m_header.reserved.size()))
        return Error{Errc::StreamMalformed, "reserved header bytes are not zero"};
    if (m_header.paddedSize < format::kMinPaddedBytes ||
        m_header.paddedSize > padding::paddedSize(format::kMaxPayloadBytes))
        return Error{Errc::StreamMalformed, "padded size out of range"};
    if (crypto_secretstream_xchacha20poly1305_init_pull(stateOf(m_state), m_header.secretstreamHeader.data(),
                                                        m_keys->streamKey().data()) != 0)
        return Errc::StreamHeaderTampered;

    m_chunks = layout::chunkCount(m_header.paddedSize);
    m_expectedCiphertext = format::kStreamHeaderBytes +
                           m_chunks * (format::kChunkIndexBytes + format::kChunkTagBytes) +
                           m_header.paddedSize;
    m_phase = Phase::Chunks;
    m_pending.clear();
    return {};
}

Status StreamDecryptor::openFrame(const std::uint8_t* frame, std::size_t size, const ByteSink& out) {
    if (loadLe(frame, format::kChunkIndexBytes) != m_nextIndex)
        return Error{Errc::StreamReordered, "chunk " + std::to_string(m_nextIndex)};

    unsigned long long plainSize = 0;
    unsigned char tag = 0;
    if (crypto_secretstream_xchacha20poly1305_pull(
            stateOf(m_state), m_plain.data(), &plainSize, &tag, frame + format::kChunkIndexBytes,
            size - format::kChunkIndexBytes, frame, format::kChunkIndexBytes) != 0)
        return Error{Errc::StreamChunkTampered, "chunk " + std::to_string(m_nextIndex)};

    const bool last = m_nextIndex + 1 == m_chunks;
    const unsigned char expectedTag = last ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                                           : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE;
    if (tag != expectedTag)
        return Error{Errc::StreamMalformed, "unexpected chunk tag"};

    const std::uint8_t* plain = m_plain.data();
    auto available = static_cast<std::size_t>(plainSize);
    const std::uint64_t chunkStart = m_nextIndex * format::kChunkPlainBytes;
    if (m_nextIndex == 0) {
        m_payloadSize = loadLe(plain, format::kLengthPrefixBytes);
        if (m_payloadSize > format::kMaxPayloadBytes ||
            padding::paddedSize(m_payloadSize) != m_header.paddedSize)
            return Error{Errc::StreamMalformed, "payload length does not match the padded size"};
        plain += format::kLengthPrefixBytes;
        available -= format::kLengthPrefixBytes;
    }
    // Payload occupies plaintext offsets [8, 8 + L); the rest of the chunk is padding and must be zero.
    const std::uint64_t payloadEnd = format::kLengthPrefixBytes + m_payloadSize;
    const std::uint64_t offset = std::max<std::uint64_t>(chunkStart, format::kLengthPrefixBytes);
    const std::size_t payloadHere =
        offset >= payloadEnd
            ? 0
            : static_cast<std::size_t>(std::min<std::uint64_t>(available, payloadEnd - offset));
    if (!allZero(plain + payloadHere, available - payloadHere))
        return Error{Errc::StreamMalformed, "non-zero padding"};

    ++m_nextIndex;
    if (last)
        m_phase = Phase::Done;
    if (payloadHere > 0) {
        m_payloadEmitted += payloadHere;
        OTS_TRY(out(ByteView(plain, payloadHere)));
    }
    return {};
}

Status StreamDecryptor::push(ByteView ciphertext, const ByteSink& out) {
    if (m_phase == Phase::Failed)
        return m_error;

    while (!ciphertext.empty()) {
        if (m_phase == Phase::Done)
            return fail(
                Error{Errc::StreamTrailingData, std::to_string(ciphertext.size()) + " bytes after the end"});

        if (m_phase == Phase::Header) {
            const std::size_t take =
                std::min(ciphertext.size(), format::kStreamHeaderBytes - m_pending.size());
            m_pending.insert(m_pending.end(), ciphertext.begin(),
                             ciphertext.begin() + static_cast<std::ptrdiff_t>(take));
            ciphertext = ciphertext.subspan(take);
            // Report a foreign file or a newer version as soon as the bytes that show it arrive.
            if (auto early = StreamHeader::parse(m_pending);
                !early.ok() && early.code() != Errc::StreamTruncated &&
                !(early.code() == Errc::StreamBadMagic && m_pending.size() < sizeof format::kStreamMagic &&
                  std::memcmp(m_pending.data(), format::kStreamMagic, m_pending.size()) == 0))
                return fail(early.error());
            if (m_pending.size() == format::kStreamHeaderBytes) {
                if (auto accepted = acceptHeader(); !accepted.ok())
                    return fail(accepted);
            }
            continue;
        }

        const std::size_t frameSize = currentFrameSize();
        if (m_pending.empty() && ciphertext.size() >= frameSize) {
            // The whole frame is in the caller's buffer: decrypt in place, no copy.
            if (auto opened = openFrame(ciphertext.data(), frameSize, out); !opened.ok())
                return fail(opened);
            ciphertext = ciphertext.subspan(frameSize);
            continue;
        }
        const std::size_t take = std::min(ciphertext.size(), frameSize - m_pending.size());
        m_pending.insert(m_pending.end(), ciphertext.begin(),
                         ciphertext.begin() + static_cast<std::ptrdiff_t>(take));
        ciphertext = ciphertext.subspan(take);
        if (m_pending.size() == frameSize) {
            if (auto opened = openFrame(m_pending.data(), frameSize, out); !opened.ok())
                return fail(opened);
            m_pending.clear();
        }
    }
    return {};
}

Status StreamDecryptor::finish() {
    if (m_phase == Phase::Failed)
        return m_error;
    if (m_phase != Phase::Done) {
        std::string where =
            m_phase == Phase::Header ? "in the header" : "at chunk " + std::to_string(m_nextIndex);
        return fail(Error{Errc::StreamTruncated, "input ended " + where});
    }
    sodium_memzero(m_state.data(), m_state.size());
    return {};
}

} // namespace ots
