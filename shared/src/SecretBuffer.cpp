#include "ots/SecretBuffer.h"

#include <sodium.h>

#include <cstring>
#include <new>
#include <utility>

namespace ots {

SecretBuffer::SecretBuffer(std::size_t size)
    : m_size(size) {
    if (size == 0)
        return;
    // sodium_malloc needs the page size that sodium_init records; sodium_init is idempotent and cheap
    // after the first call, and a key may be held before ots::initialize() ran its self-tests.
    if (sodium_init() < 0)
        throw std::bad_alloc();
    m_data = static_cast<std::uint8_t*>(sodium_malloc(size));
    if (m_data == nullptr) {
        m_size = 0;
        throw std::bad_alloc();
    }
    sodium_memzero(m_data, size);
}

SecretBuffer SecretBuffer::fromBytes(std::span<const std::uint8_t> bytes) {
    SecretBuffer buffer(bytes.size());
    if (buffer.m_data != nullptr) // null exactly when bytes is empty
        std::memcpy(buffer.m_data, bytes.data(), bytes.size());
    return buffer;
}

SecretBuffer::~SecretBuffer() {
    release();
}

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : m_data(std::exchange(other.m_data, nullptr))
    , m_size(std::exchange(other.m_size, 0)) {}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
        release();
        m_data = std::exchange(other.m_data, nullptr);
        m_size = std::exchange(other.m_size, 0);
    }
    return *this;
}

SecretBuffer SecretBuffer::clone() const {
    return fromBytes(span());
}

bool SecretBuffer::equals(std::span<const std::uint8_t> other) const noexcept {
    if (other.size() != m_size)
        return false;
    if (m_size == 0)
        return true;
    return sodium_memcmp(m_data, other.data(), m_size) == 0;
}

void SecretBuffer::release() noexcept {
    if (m_data != nullptr)
        sodium_free(m_data); // sodium_free zeroes before unmapping
    m_data = nullptr;
    m_size = 0;
}

} // namespace ots
