#pragma once

// Result<T>: a value or an ots::Error. std::expected would do, but clang 14 (which builds the fuzzers)
// cannot see libstdc++'s <expected>, so this small, portable type stands in for it.

#include "ots/Error.h"

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

namespace ots {

template <typename T>
class [[nodiscard]] Result {
public:
    Result(T value)
        : m_state(std::in_place_index<0>, std::move(value)) {} // NOLINT(google-explicit-constructor)
    Result(Error error)
        : m_state(std::in_place_index<1>, std::move(error)) {} // NOLINT(google-explicit-constructor)
    Result(Errc code)
        : m_state(std::in_place_index<1>, Error{code, {}}) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_state.index() == 0; }
    explicit operator bool() const noexcept { return ok(); }

    [[nodiscard]] T& value() & {
        assert(ok());
        return std::get<0>(m_state);
    }
    [[nodiscard]] const T& value() const& {
        assert(ok());
        return std::get<0>(m_state);
    }
    [[nodiscard]] T&& value() && {
        assert(ok());
        return std::get<0>(std::move(m_state));
    }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }

    [[nodiscard]] const Error& error() const {
        assert(!ok());
        return std::get<1>(m_state);
    }
    [[nodiscard]] Errc code() const noexcept {
        const Error* error = std::get_if<1>(&m_state);
        return error == nullptr ? Errc::None : error->code;
    }

private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error)) {} // NOLINT(google-explicit-constructor)
    Result(Errc code)
        : m_error(Error{code, {}}) {} // NOLINT(google-explicit-constructor)

    [[nodiscard]] bool ok() const noexcept { return m_error.code == Errc::None; }
    explicit operator bool() const noexcept { return ok(); }
    [[nodiscard]] const Error& error() const { return m_error; }
    [[nodiscard]] Errc code() const noexcept { return m_error.code; }

private:
    Error m_error{Errc::None, {}};
};

using Status = Result<void>;

} // namespace ots

// Propagates an error from an expression returning a Result: OTS_TRY(stream.push(data));
#define OTS_TRY(expr)                                                                                        \
    do {                                                                                                     \
        if (auto ots_try_result_ = (expr); !ots_try_result_.ok())                                            \
            return ots_try_result_.error();                                                                  \
    } while (false)
