// format_bench: throughput of the v1 stream format against raw crypto_secretstream over the same
// bytes in the same run, the Argon2id cost at the default parameters, and the memory a long stream
// needs. Built, not run by ctest:
//
//   build/tests/bench/format_bench [--mib N] [--stream-gib G]
//
// --mib N (default 1024): payload of the format-versus-raw comparison, held in memory; 0 skips it.
// --stream-gib G (default 0): also stream G GiB through encryptor and decryptor without keeping
//   it, and print the peak RSS (run with --mib 0 to see the streaming footprint alone).
// The format must reach at least 0.9 of raw secretstream in both directions (exit status 1 if not).

#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/StreamDecryptor.h"
#include "ots/StreamEncryptor.h"

#include <sodium.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <vector>

using namespace ots;
using Clock = std::chrono::steady_clock;

namespace {

constexpr std::size_t kBlock = 1 << 20; // the caller hands the format 1 MiB at a time
constexpr double kLimit = 0.90;

double seconds(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}
double mbPerSecond(std::uint64_t bytes, double secs) {
    return double(bytes) / 1e6 / secs;
}
long peakRssKiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

struct Buffers {
    std::vector<std::uint8_t> payload;
    std::vector<std::uint8_t> formatCipher;
    std::vector<std::uint8_t> rawCipher;
};

double formatEncrypt(const ShareKeys& keys, Buffers& b) {
    const auto start = Clock::now();
    auto enc = StreamEncryptor::create(keys, b.payload.size());
    if (!enc.ok())
        std::abort();
    b.formatCipher.clear();
    b.formatCipher.insert(b.formatCipher.end(), enc->header().begin(), enc->header().end());
    const ByteSink sink = [&](ByteView frame) {
        b.formatCipher.insert(b.formatCipher.end(), frame.begin(), frame.end());
        return Status{};
    };
    for (std::size_t at = 0; at < b.payload.size(); at += kBlock)
        if (!enc->push(ByteView(b.payload).subspan(at, std::min(kBlock, b.payload.size() - at)), sink).ok())
            std::abort();
    if (!enc->finish(sink).ok())
        std::abort();
    return seconds(start);
}

double formatDecrypt(const ShareKeys& keys, const Buffers& b) {
    const auto start = Clock::now();
    auto dec = StreamDecryptor::create(keys);
    std::uint64_t out = 0;
    const ByteSink sink = [&](ByteView data) {
        out += data.size();
        return Status{};
    };
    for (std::size_t at = 0; at < b.formatCipher.size(); at += kBlock)
        if (!dec->push(ByteView(b.formatCipher).subspan(at, std::min(kBlock, b.formatCipher.size() - at)),
                       sink)
                 .ok())
            std::abort();
    if (!dec->finish().ok() || out != b.payload.size())
        std::abort();
    return seconds(start);
}

// The same bytes through bare crypto_secretstream: 64 KiB messages, the last one FINAL. Like the
// format, each message is sealed into a frame buffer and handed on (appended to the output), so both
// sides pay for the same output path and the ratio shows what the format itself costs.
double rawEncrypt(const unsigned char* key, Buffers& b) {
    const auto start = Clock::now();
    crypto_secretstream_xchacha20poly1305_state st;
    const std::size_t chunk = format::kChunkPlainBytes;
    const std::size_t chunks = (b.payload.size() + chunk - 1) / chunk;
    b.rawCipher.clear();
    b.rawCipher.resize(crypto_secretstream_xchacha20poly1305_HEADERBYTES);
    crypto_secretstream_xchacha20poly1305_init_push(&st, b.rawCipher.data(), key);
    std::vector<unsigned char> frame(chunk + crypto_secretstream_xchacha20poly1305_ABYTES);
    for (std::size_t i = 0; i < chunks; ++i) {
        const std::size_t n = std::min(chunk, b.payload.size() - i * chunk);
        unsigned long long written = 0;
        crypto_secretstream_xchacha20poly1305_push(
            &st, frame.data(), &written, b.payload.data() + i * chunk, n, nullptr, 0,
            i + 1 == chunks ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                            : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
        b.rawCipher.insert(b.rawCipher.end(), frame.begin(),
                           frame.begin() + static_cast<std::ptrdiff_t>(written));
    }
    return seconds(start);
}

double rawDecrypt(const unsigned char* key, const Buffers& b) {
    const auto start = Clock::now();
    crypto_secretstream_xchacha20poly1305_state st;
    if (crypto_secretstream_xchacha20poly1305_init_pull(&st, b.rawCipher.data(), key) != 0)
        std::abort();
    std::vector<unsigned char> plain(format::kChunkPlainBytes);
    const std::size_t frame = format::kChunkPlainBytes + crypto_secretstream_xchacha20poly1305_ABYTES;
    const unsigned char* in = b.rawCipher.data() + crypto_secretstream_xchacha20poly1305_HEADERBYTES;
    const unsigned char* end = b.rawCipher.data() + b.rawCipher.size();
    std::uint64_t out = 0;
    const ByteSink sink = [&](ByteView data) {
        out += data.size();
        return Status{};
    };
    while (in < end) {
        const std::size_t n = std::min<std::size_t>(frame, static_cast<std::size_t>(end - in));
        unsigned char tag = 0;
        unsigned long long plainSize = 0;
        if (crypto_secretstream_xchacha20poly1305_pull(&st, plain.data(), &plainSize, &tag, in, n, nullptr,
                                                       0) != 0 ||
            !sink(ByteView(plain.data(), static_cast<std::size_t>(plainSize))).ok())
            std::abort();
        in += n;
    }
    if (out != b.payload.size())
        std::abort();
    return seconds(start);
}

void streamOnly(const ShareKeys& keys, std::uint64_t total) {
    // Encrypt and decrypt `total` bytes without storing them: memory must stay at a few MiB.
    std::vector<std::uint8_t> block(kBlock, 0x5a);
    auto enc = StreamEncryptor::create(keys, total);
    auto dec = StreamDecryptor::create(keys);
    std::uint64_t received = 0;
    const ByteSink count = [&](ByteView data) {
        received += data.size();
        return Status{};
    };
    const ByteSink toDec = [&](ByteView frame) { return dec->push(frame, count); };
    const long before = peakRssKiB();
    const auto start = Clock::now();
    if (!toDec(enc->header()).ok())
        std::abort();
    for (std::uint64_t sent = 0; sent < total; sent += kBlock)
        if (!enc->push(ByteView(block).first(
                           static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, total - sent))),
                       toDec)
                 .ok())
            std::abort();
    if (!enc->finish(toDec).ok() || !dec->finish().ok() || received != total)
        std::abort();
    std::printf(
        "stream %.1f GiB encrypt+decrypt: %.0f MB/s, peak RSS %.1f MiB (grew %.1f MiB during the stream)\n",
        double(total) / double(1ull << 30), mbPerSecond(total, seconds(start)), double(peakRssKiB()) / 1024.0,
        double(peakRssKiB() - before) / 1024.0);
}

} // namespace

int main(int argc, char** argv) {
    std::uint64_t mib = 1024;
    std::uint64_t streamGiB = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i];
        if (flag == "--mib")
            mib = std::strtoull(argv[i + 1], nullptr, 10);
        else if (flag == "--stream-gib")
            streamGiB = std::strtoull(argv[i + 1], nullptr, 10);
    }
    if (!initialize().ok()) {
        std::fputs("self-test failed\n", stderr);
        return 2;
    }
    auto keys = ShareKeys::fromLinkSecret(generateLinkSecret());
    if (!keys.ok())
        return 2;
    unsigned char rawKey[crypto_secretstream_xchacha20poly1305_KEYBYTES];
    crypto_secretstream_xchacha20poly1305_keygen(rawKey);

    bool passed = true;
    if (mib > 0) {
        Buffers b;
        b.payload.resize(mib << 20);
        randombytes_buf(b.payload.data(), b.payload.size());
        b.formatCipher.reserve(StreamEncryptor::ciphertextSize(b.payload.size()));
        b.rawCipher.reserve(StreamEncryptor::ciphertextSize(b.payload.size()));

        // Alternate the runs and keep the best of five, so a noisy neighbour hurts both sides alike.
        double fe = 1e9, fd = 1e9, re = 1e9, rd = 1e9;
        for (int round = 0; round < 5; ++round) {
            re = std::min(re, rawEncrypt(rawKey, b));
            fe = std::min(fe, formatEncrypt(*keys, b));
            rd = std::min(rd, rawDecrypt(rawKey, b));
            fd = std::min(fd, formatDecrypt(*keys, b));
        }
        const std::uint64_t n = b.payload.size();
        const double encRatio = re / fe;
        const double decRatio = rd / fd;
        std::printf("payload %llu MiB, 64 KiB chunks, best of 5\n", static_cast<unsigned long long>(mib));
        std::printf(
            "encrypt: format v1 %8.0f MB/s | raw secretstream %8.0f MB/s | ratio %.3f (limit >= %.2f) %s\n",
            mbPerSecond(n, fe), mbPerSecond(n, re), encRatio, kLimit, encRatio >= kLimit ? "PASS" : "FAIL");
        std::printf(
            "decrypt: format v1 %8.0f MB/s | raw secretstream %8.0f MB/s | ratio %.3f (limit >= %.2f) %s\n",
            mbPerSecond(n, fd), mbPerSecond(n, rd), decRatio, kLimit, decRatio >= kLimit ? "PASS" : "FAIL");
        passed = encRatio >= kLimit && decRatio >= kLimit;
    }

    if (streamGiB > 0)
        streamOnly(*keys, streamGiB << 30);

    const Argon2Params params = Argon2Params::withRandomSalt();
    const auto start = Clock::now();
    auto hardened = ShareKeys::fromPassword(generateLinkSecret(), "correct horse battery staple", params);
    if (!hardened.ok())
        return 2;
    std::printf("argon2id t=%u m=%u MiB p=%u: %.3f s per password\n", params.iterations,
                params.memoryKiB / 1024, params.parallelism, seconds(start));
    sodium_memzero(rawKey, sizeof rawKey);
    return passed ? 0 : 1;
}
