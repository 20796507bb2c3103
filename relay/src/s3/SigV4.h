#pragma once

// AWS Signature Version 4 for S3 requests (header-based, payload signed with its SHA-256). Pure
// functions over a request description, so that AWS's published test suite checks each step.
// https://docs.aws.amazon.com/AmazonS3/latest/API/sig-v4-header-based-auth.html

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ots::relay::s3 {

struct Credentials {
    std::string accessKeyId;
    std::string secretAccessKey; ///< never logged, never in an error message
    std::string sessionToken;    ///< optional (temporary credentials): sent as x-amz-security-token
};

/// What a request signs: the scope's date, region and service.
struct SigningScope {
    std::string amzDate; ///< YYYYMMDD'T'HHMMSS'Z', the same as the x-amz-date header
    std::string region;
    std::string service; ///< "s3"
};

/// A request as the signer sees it. Names and values are raw (not percent-encoded).
struct SignableRequest {
    std::string method;
    std::string path; ///< starts with '/'; S3 rule: each segment is URI-encoded once, '/' kept
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers; ///< every header sent; all are signed
    std::string payloadHash;                                  ///< lowercase hex SHA-256 of the body
};

class SigV4 {
public:
    /// RFC 3986 percent-encoding of all but the unreserved characters (A-Z a-z 0-9 - . _ ~), upper-case
    /// hex; '/' is kept when keepSlash.
    [[nodiscard]] static std::string uriEncode(std::string_view text, bool keepSlash);
    /// The path (encoded as above) followed by '?' and the canonical query string when there is one:
    /// what goes on the request line, so that the server decodes exactly what was signed.
    [[nodiscard]] static std::string requestTarget(const SignableRequest& request);
    [[nodiscard]] static std::string canonicalQuery(const SignableRequest& request);
    [[nodiscard]] static std::string signedHeaders(const SignableRequest& request);
    [[nodiscard]] static std::string canonicalRequest(const SignableRequest& request);
    [[nodiscard]] static std::string stringToSign(const SignableRequest& request, const SigningScope& scope);
    /// Adds x-amz-security-token when the credentials carry a session token, then returns the value of
    /// the Authorization header.
    [[nodiscard]] static std::string sign(SignableRequest& request, const Credentials& credentials,
                                          const SigningScope& scope);

    [[nodiscard]] static std::string sha256Hex(std::string_view data);
    [[nodiscard]] static std::string hex(const unsigned char* data, std::size_t size);
    [[nodiscard]] static std::string amzDate(std::chrono::system_clock::time_point time);
    /// SHA-256 of the empty string, the payload hash of a request without body.
    static constexpr std::string_view emptyPayloadHash =
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
};

} // namespace ots::relay::s3
