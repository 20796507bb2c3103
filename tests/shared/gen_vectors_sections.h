#pragma once

// The sections of tests/data/vectors_v1.json that follow the key schedule, stream and metadata ones:
// links, containers, Padmé sizes, KDF limits, the metadata plaintext, metadata envelopes and
// authenticated but malformed streams. Written by gen_vectors after the older sections, in this order.

#include <QJsonObject>
#include <QString>

#include <utility>
#include <vector>

namespace ots::vectors {

/// Makes libsodium's randombytes (nonces, secretstream headers) a fixed sequence, so that running the
/// generator twice writes the same file. Call before ots::initialize(). Only ever for test vectors.
void useDeterministicRandomness();

/// (top-level name, section) in the order they appear in the file.
[[nodiscard]] std::vector<std::pair<QString, QJsonObject>> laterSections();

} // namespace ots::vectors
