#pragma once

// One ranged GET (bytes=first-(first+count-1)) of an S3 object, read in order on an Asio executor without
// blocking it: the S3 store's BlobRead. The connection is made at the first asyncRead, on that executor
// (plain TCP or TLS as the endpoint says), and the body is handed on as it arrives, one caller's buffer
// at a time, so memory stays bounded (a 64 KiB read buffer) whatever the range's size. Any failure, and
// an answer that is not exactly the promised range, ends the reader with EIO; failure() says why, for the
// log. Not thread-safe: all calls, and its destruction, on the executor's thread.

#include "s3/S3Connector.h"

#include <boost/asio/any_io_executor.hpp>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace ots::relay::s3 {

class S3RangeReader {
public:
    S3RangeReader(std::shared_ptr<const S3Connector> connector, std::string key, std::uint64_t first,
                  std::uint64_t count);
    /// Closes the connection; a pending asyncRead then never calls its `done`.
    ~S3RangeReader();
    S3RangeReader(const S3RangeReader&) = delete;
    S3RangeReader& operator=(const S3RangeReader&) = delete;

    /// Reads the next up-to-buffer.size() bytes of the range; done(error, bytes) runs on `executor`
    /// (the same one every time), never inline. error: 0 or EIO. bytes 0 with error 0: the range is
    /// all delivered. One read at a time; `buffer` must stay valid until `done` runs.
    void asyncRead(boost::asio::any_io_executor executor, std::span<char> buffer,
                   std::function<void(int error, std::size_t bytes)> done);

    /// Why the reader failed (empty when it did not): status or network error, never a secret.
    [[nodiscard]] std::string failure() const;
    /// Bytes delivered so far.
    [[nodiscard]] std::uint64_t delivered() const noexcept;

    class State;

private:
    std::shared_ptr<State> m_state;
};

} // namespace ots::relay::s3
