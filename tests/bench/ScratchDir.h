#pragma once

// A temporary folder for one benchmark run (mkdtemp under a base folder the user may choose),
// removed with everything in it when the object goes, whatever ended the run. Also the file chores
// the client benchmarks share: free space, big files of pseudo-random bytes, byte-for-byte compares.

#include <sodium.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <sys/statvfs.h>
#include <unistd.h>
#include <vector>

namespace ots::bench {

class ScratchDir {
public:
    /// Creates base/prefix.XXXXXX; base empty = the system's temporary folder. Throws on failure.
    ScratchDir(const std::string& base, const std::string& prefix) {
        const std::string parent = base.empty() ? std::filesystem::temp_directory_path().string() : base;
        std::string pattern = parent + "/" + prefix + ".XXXXXX";
        if (::mkdtemp(pattern.data()) == nullptr)
            throw std::runtime_error("cannot create a temporary folder in " + parent + ": " +
                                     std::strerror(errno));
        m_path = pattern;
    }
    ScratchDir(const ScratchDir&) = delete;
    ScratchDir& operator=(const ScratchDir&) = delete;
    ~ScratchDir() {
        std::error_code ignored;
        std::filesystem::remove_all(m_path, ignored);
    }

    [[nodiscard]] const std::filesystem::path& path() const noexcept { return m_path; }

    /// Bytes an unprivileged user may still write on the file system holding path.
    [[nodiscard]] static std::uint64_t freeBytes(const std::filesystem::path& path) {
        struct statvfs info {};
        if (::statvfs(path.c_str(), &info) != 0)
            throw std::runtime_error("cannot read the free space of " + path.string() + ": " +
                                     std::strerror(errno));
        return static_cast<std::uint64_t>(info.f_bavail) * static_cast<std::uint64_t>(info.f_frsize);
    }

    /// Writes `bytes` pseudo-random bytes (ChaCha20 from a fresh random seed, 1 MiB at a time: real
    /// data on disk, not a sparse file) to path. `stop`, when set, is polled between blocks and
    /// ends the write with an exception (an interrupted run).
    static void writePseudoRandomFile(const std::filesystem::path& path, std::uint64_t bytes,
                                      const volatile std::sig_atomic_t* stop = nullptr) {
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
        std::vector<unsigned char> block(kBlock);
        unsigned char seed[randombytes_SEEDBYTES];
        randombytes_buf(seed, sizeof seed);
        std::uint64_t written = 0;
        std::string error;
        for (std::uint64_t index = 0; written < bytes && error.empty(); ++index) {
            if (stop != nullptr && *stop != 0) {
                error = "interrupted";
                break;
            }
            // One seed per block: the first 8 seed bytes carry the block number.
            unsigned char blockSeed[randombytes_SEEDBYTES];
            std::memcpy(blockSeed, seed, sizeof seed);
            for (unsigned i = 0; i < 8; ++i)
                blockSeed[i] = static_cast<unsigned char>(blockSeed[i] ^ ((index >> (8 * i)) & 0xff));
            const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(kBlock, bytes - written));
            randombytes_buf_deterministic(block.data(), n, blockSeed);
            std::size_t at = 0;
            while (at < n) {
                const ssize_t put = ::write(fd, block.data() + at, n - at);
                if (put < 0 && errno == EINTR)
                    continue;
                if (put <= 0) {
                    error = std::strerror(errno);
                    break;
                }
                at += static_cast<std::size_t>(put);
            }
            written += at;
        }
        sodium_memzero(seed, sizeof seed);
        if (::close(fd) != 0 && error.empty())
            error = std::strerror(errno);
        if (!error.empty())
            throw std::runtime_error("cannot write " + path.string() + ": " + error);
    }

    /// Empty when both files hold the same bytes; otherwise a sentence saying where they differ.
    [[nodiscard]] static std::string compareFiles(const std::filesystem::path& expected,
                                                  const std::filesystem::path& actual) {
        const int a = ::open(expected.c_str(), O_RDONLY | O_CLOEXEC);
        const int b = ::open(actual.c_str(), O_RDONLY | O_CLOEXEC);
        std::string verdict;
        if (a < 0 || b < 0)
            verdict = "cannot open " + (a < 0 ? expected : actual).string() + ": " + std::strerror(errno);
        std::vector<unsigned char> left(kBlock);
        std::vector<unsigned char> right(kBlock);
        std::uint64_t offset = 0;
        while (verdict.empty()) {
            const ssize_t l = readFull(a, left.data(), left.size());
            const ssize_t r = readFull(b, right.data(), right.size());
            if (l < 0 || r < 0) {
                verdict = "cannot read " + (l < 0 ? expected : actual).string() + ": " + std::strerror(errno);
                break;
            }
            const std::size_t common = static_cast<std::size_t>(std::min(l, r));
            if (std::memcmp(left.data(), right.data(), common) != 0) {
                const auto [where, ignored] = std::mismatch(
                    left.begin(), left.begin() + static_cast<std::ptrdiff_t>(common), right.begin());
                verdict = actual.string() + " differs from " + expected.string() + " at byte " +
                          std::to_string(offset + static_cast<std::uint64_t>(where - left.begin()));
                break;
            }
            if (l != r) {
                verdict = actual.string() + " has " + (r < l ? "fewer" : "more") + " bytes than " +
                          expected.string() + " (they differ from byte " + std::to_string(offset + common) +
                          " on)";
                break;
            }
            if (l == 0)
                break;
            offset += common;
        }
        if (a >= 0)
            ::close(a);
        if (b >= 0)
            ::close(b);
        return verdict;
    }

private:
    static constexpr std::size_t kBlock = std::size_t{1} << 20;

    /// Reads until size bytes or end of file; -1 on an error.
    static ssize_t readFull(int fd, unsigned char* data, std::size_t size) {
        std::size_t at = 0;
        while (at < size) {
            const ssize_t got = ::read(fd, data + at, size - at);
            if (got < 0 && errno == EINTR)
                continue;
            if (got < 0)
                return -1;
            if (got == 0)
                break;
            at += static_cast<std::size_t>(got);
        }
        return static_cast<ssize_t>(at);
    }

    std::filesystem::path m_path;
};

} // namespace ots::bench
