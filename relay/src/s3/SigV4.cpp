#include "s3/SigV4.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <ctime>
#include <map>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdexcept>

namespace ots::relay::s3 {

namespace {

using Digest = std::array<unsigned char, 32>;

Digest hmacSha256(std::string_view key, std::string_view data) {
    Digest out{};
    unsigned int size = 0;
    if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
             reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data(),
             &size) == nullptr ||
        size != out.size())
        throw std::runtime_error("HMAC-SHA256 failed");
    return out;
}

std::string_view view(const Digest& digest) {
    return {reinterpret_cast<const char*>(digest.data()), digest.size()};
}

/// Trims the value and collapses every run of spaces and tabs inside it into one space.
std::string canonicalHeaderValue(std::string_view value) {
    std::string out;
    bool pendingSpace = false;
    for (const char c : value) {
        if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
            pendingSpace = !out.empty();
            continue;
        }
        if (pendingSpace)
            out += ' ';
        pendingSpace = false;
        out += c;
    }
    return out;
}

/// Lower-case names in order, each with its values (trimmed, in the order sent) joined by ','.
std::map<std::string, std::string> canonicalHeaderMap(const SignableRequest& request) {
    std::map<std::string, std::string> headers;
    for (const auto& [name, value] : request.headers) {
        std::string lower(name);
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        auto [it, inserted] = headers.try_emplace(std::move(lower), canonicalHeaderValue(value));
        if (!inserted)
            it->second += ',' + canonicalHeaderValue(value);
    }
    return headers;
}

std::string credentialScope(const SigningScope& scope) {
    return scope.amzDate.substr(0, 8) + '/' + scope.region + '/' + scope.service + "/aws4_request";
}

} // namespace

std::string SigV4::uriEncode(std::string_view text, bool keepSlash) {
    static constexpr std::string_view digits = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (const char c : text) {
        const auto byte = static_cast<unsigned char>(c);
        const bool unreserved = (byte >= 'A' && byte <= 'Z') || (byte >= 'a' && byte <= 'z') ||
                                (byte >= '0' && byte <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (unreserved || (keepSlash && c == '/')) {
            out += c;
        } else {
            out += '%';
            out += digits[byte >> 4U];
            out += digits[byte & 0x0FU];
        }
    }
    return out;
}

std::string SigV4::canonicalQuery(const SignableRequest& request) {
    std::vector<std::pair<std::string, std::string>> encoded;
    encoded.reserve(request.query.size());
    for (const auto& [name, value] : request.query)
        encoded.emplace_back(uriEncode(name, false), uriEncode(value, false));
    std::sort(encoded.begin(), encoded.end());
    std::string out;
    for (const auto& [name, value] : encoded) {
        if (!out.empty())
            out += '&';
        out += name;
        out += '=';
        out += value;
    }
    return out;
}

std::string SigV4::requestTarget(const SignableRequest& request) {
    std::string target = request.path.empty() ? std::string("/") : uriEncode(request.path, true);
    if (const std::string query = canonicalQuery(request); !query.empty())
        target += '?' + query;
    return target;
}

std::string SigV4::signedHeaders(const SignableRequest& request) {
    std::string out;
    for (const auto& [name, value] : canonicalHeaderMap(request)) {
        if (!out.empty())
            out += ';';
        out += name;
    }
    return out;
}

std::string SigV4::canonicalRequest(const SignableRequest& request) {
    std::string out = request.method + '\n';
    out += request.path.empty() ? std::string("/") : uriEncode(request.path, true);
    out += '\n';
    out += canonicalQuery(request) + '\n';
    for (const auto& [name, value] : canonicalHeaderMap(request)) {
        out += name;
        out += ':';
        out += value;
        out += '\n';
    }
    out += '\n';
    out += signedHeaders(request) + '\n';
    out += request.payloadHash;
    return out;
}

std::string SigV4::stringToSign(const SignableRequest& request, const SigningScope& scope) {
    return "AWS4-HMAC-SHA256\n" + scope.amzDate + '\n' + credentialScope(scope) + '\n' +
           sha256Hex(canonicalRequest(request));
}

std::string SigV4::sign(SignableRequest& request, const Credentials& credentials, const SigningScope& scope) {
    if (!credentials.sessionToken.empty())
        request.headers.emplace_back("x-amz-security-token", credentials.sessionToken);
    std::string secret = "AWS4" + credentials.secretAccessKey;
    Digest key = hmacSha256(secret, scope.amzDate.substr(0, 8));
    OPENSSL_cleanse(secret.data(), secret.size());
    key = hmacSha256(view(key), scope.region);
    key = hmacSha256(view(key), scope.service);
    key = hmacSha256(view(key), "aws4_request");
    const Digest signature = hmacSha256(view(key), stringToSign(request, scope));
    OPENSSL_cleanse(key.data(), key.size());
    return "AWS4-HMAC-SHA256 Credential=" + credentials.accessKeyId + '/' + credentialScope(scope) +
           ", SignedHeaders=" + signedHeaders(request) +
           ", Signature=" + hex(signature.data(), signature.size());
}

std::string SigV4::sha256Hex(std::string_view data) {
    Digest digest{};
    unsigned int size = 0;
    if (EVP_Digest(data.data(), data.size(), digest.data(), &size, EVP_sha256(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed");
    return hex(digest.data(), size);
}

std::string SigV4::hex(const unsigned char* data, std::size_t size) {
    static constexpr std::string_view digits = "0123456789abcdef";
    std::string out;
    out.reserve(size * 2);
    for (std::size_t i = 0; i < size; ++i) {
        out += digits[data[i] >> 4U];
        out += digits[data[i] & 0x0FU];
    }
    return out;
}

std::string SigV4::amzDate(std::chrono::system_clock::time_point time) {
    const std::time_t seconds = std::chrono::system_clock::to_time_t(time);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    std::array<char, 17> text{};
    std::strftime(text.data(), text.size(), "%Y%m%dT%H%M%SZ", &utc);
    return text.data();
}

} // namespace ots::relay::s3
