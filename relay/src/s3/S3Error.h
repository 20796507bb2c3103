#pragma once

// What an S3 operation answers: a value or an S3Error. S3's own errors keep the HTTP status and S3's
// error code (NoSuchKey, SignatureDoesNotMatch, ...); failures below HTTP have status 0 and a code of
// ours (ConnectFailed, Timeout, TlsFailed, ConnectionLost, BadResponse, ResponseTooLarge, FileReadFailed).
// Text from the server is data: S3Client keeps it printable and short. No secret is ever in it.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ots::relay::s3 {

struct S3Error {
    unsigned httpStatus = 0; ///< 0 when no HTTP answer was read
    std::string code;
    std::string message;

    [[nodiscard]] bool is(std::string_view errorCode) const noexcept { return code == errorCode; }
    /// "S3 403 SignatureDoesNotMatch: The request signature we calculated does not match ..." for logs.
    [[nodiscard]] std::string describe() const {
        std::string text = "S3 ";
        if (httpStatus != 0)
            text += std::to_string(httpStatus) + ' ';
        text += code;
        if (!message.empty())
            text += ": " + message;
        return text;
    }
};

template <typename T>
class [[nodiscard]] S3Result {
public:
    S3Result(T value) // NOLINT(google-explicit-constructor)
        : m_state(std::in_place_index<0>, std::move(value)) {}
    S3Result(S3Error error) // NOLINT(google-explicit-constructor)
        : m_state(std::in_place_index<1>, std::move(error)) {}

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
    [[nodiscard]] const S3Error& error() const {
        assert(!ok());
        return std::get<1>(m_state);
    }

private:
    std::variant<T, S3Error> m_state;
};

/// Success without a value.
struct S3Done {};
using S3Status = S3Result<S3Done>;

} // namespace ots::relay::s3
