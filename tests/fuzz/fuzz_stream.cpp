// libFuzzer target for the stream decryptor and header parser.
// Input byte 0 picks a mode:
//   even: the rest is ciphertext, fed to the decryptor in pieces sized by byte 1; the header parser
//         must round-trip (parse, serialise, compare bytes) whatever it accepts;
//   odd:  the rest is a payload: encrypt it, flip the byte named by bytes 1–2 unless that is zero,
//         and decrypt. Untouched it must round-trip exactly; touched it must be rejected.

#include "ots/Crypto.h"
#include "ots/StreamDecryptor.h"
#include "ots/StreamEncryptor.h"
#include "ots/StreamHeader.h"

#include <cstdlib>
#include <cstring>
#include <optional>

using namespace ots;

namespace {

const ShareKeys& fuzzKeys() {
    static const ShareKeys keys = [] {
        if (!initialize().ok())
            std::abort();
        SecretBuffer secret(format::kLinkSecretBytes);
        std::memset(secret.data(), 0x42, secret.size());
        auto derived = ShareKeys::fromLinkSecret(secret);
        if (!derived.ok())
            std::abort();
        return std::move(derived).value();
    }();
    return keys;
}

void decryptRaw(ByteView input, std::size_t piece) {
    if (input.size() >= format::kStreamHeaderBytes) {
        auto header = StreamHeader::parse(input.first(format::kStreamHeaderBytes));
        if (header.ok()) {
            const auto again = header->serialize();
            if (std::memcmp(again.data(), input.data(), again.size()) != 0)
                std::abort();
        }
    }
    auto dec = StreamDecryptor::create(fuzzKeys());
    if (!dec.ok())
        std::abort();
    const ByteSink sink = [](ByteView) { return Status{}; };
    Status status;
    for (std::size_t at = 0; at < input.size() && status.ok(); at += piece)
        status = dec->push(input.subspan(at, std::min(piece, input.size() - at)), sink);
    if (status.ok())
        status = dec->finish();
    // A random input cannot authenticate under the fuzz key.
    if (status.ok() && !input.empty())
        std::abort();
}

void roundTrip(ByteView payload, std::size_t flipAt) {
    auto enc = StreamEncryptor::create(fuzzKeys(), payload.size());
    if (!enc.ok())
        std::abort();
    Bytes ciphertext(enc->header().begin(), enc->header().end());
    const ByteSink collect = [&](ByteView frame) {
        ciphertext.insert(ciphertext.end(), frame.begin(), frame.end());
        return Status{};
    };
    if (!enc->push(payload, collect).ok() || !enc->finish(collect).ok())
        std::abort();
    if (ciphertext.size() != StreamEncryptor::ciphertextSize(payload.size()))
        std::abort();
    const bool tampered = flipAt != 0;
    if (tampered)
        ciphertext[flipAt % ciphertext.size()] ^= 0x01;

    auto dec = StreamDecryptor::create(fuzzKeys());
    Bytes plain;
    const ByteSink out = [&](ByteView data) {
        plain.insert(plain.end(), data.begin(), data.end());
        return Status{};
    };
    Status status = dec->push(ciphertext, out);
    if (status.ok())
        status = dec->finish();
    if (tampered == status.ok())
        std::abort();
    if (!tampered && (plain.size() != payload.size() ||
                      (!payload.empty() && std::memcmp(plain.data(), payload.data(), payload.size()) != 0)))
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 3)
        return 0;
    const ByteView input(data, size);
    if ((data[0] & 1) == 0)
        decryptRaw(input.subspan(2), std::size_t{data[1]} * 97 + 1);
    else
        roundTrip(input.subspan(3), std::size_t{data[1]} | (std::size_t{data[2]} << 8));
    return 0;
}
