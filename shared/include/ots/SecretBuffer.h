#pragma once

// SecretBuffer: key material in sodium_malloc'd memory (guard pages, mlock'ed where the OS allows,
// canary-checked) that is zeroed on release. Move-only: a copy must be asked for with clone(), so a
// key never ends up in an ordinary heap block by accident.

#include <cstddef>
#include <cstdint>
#include <span>

namespace ots {

class SecretBuffer {
public:
    SecretBuffer() noexcept = default;
    /// Allocates size zeroed bytes. Throws std::bad_alloc if sodium_malloc fails.
    explicit SecretBuffer(std::size_t size);
    /// Copies bytes into a new secure allocation.
    static SecretBuffer fromBytes(std::span<const std::uint8_t> bytes);
    ~SecretBuffer();

    SecretBuffer(const SecretBuffer&) = delete;
    SecretBuffer& operator=(const SecretBuffer&) = delete;
    SecretBuffer(SecretBuffer&& other) noexcept;
    SecretBuffer& operator=(SecretBuffer&& other) noexcept;

    [[nodiscard]] SecretBuffer clone() const;

    [[nodiscard]] std::uint8_t* data() noexcept { return m_data; }
    [[nodiscard]] const std::uint8_t* data() const noexcept { return m_data; }
    [[nodiscard]] std::size_t size() const noexcept { return m_size; }
    [[nodiscard]] bool empty() const noexcept { return m_size == 0; }
    [[nodiscard]] std::span<std::uint8_t> span() noexcept { return {m_data, m_size}; }
    [[nodiscard]] std::span<const std::uint8_t> span() const noexcept { return {m_data, m_size}; }

    /// Constant-time comparison (sodium_memcmp); buffers of different sizes are unequal.
    [[nodiscard]] bool equals(std::span<const std::uint8_t> other) const noexcept;

private:
    void release() noexcept;

    std::uint8_t* m_data = nullptr;
    std::size_t m_size = 0;
};

} // namespace ots
