// transfer_bench: the desktop engine's own throughput. It starts its own redis-server and this build's
// ots-relay on free loopback ports (a temporary folder for everything), writes a file of pseudo-random
// bytes, then sends it with ots::client::SendJob and receives it with ots::client::ReceiveJob into
// an empty folder, timing each, and checks that the received file is byte-identical. Built, not run
// by ctest:
//
//   build/tests/bench/transfer_bench [--mib N] [--dir DIR] [--relay PATH] [--rounds R]
//
// --mib N (default 1024): size of the file. --dir DIR: where the temporary folder goes (the file, the
// relay's copy and the received copy: about 3 × N MiB). --relay PATH: the ots-relay to run (default:
// this build's). --rounds R (default 3): each figure is the best of R, measured in turns.
//
// Two references are measured in the same run, over the same number of bytes:
//   (a) the v1 format in memory: StreamEncryptor then StreamDecryptor over the payload, 1 MiB at a
//       time. Reference (a) is the combined encrypt-then-decrypt rate, bytes / (encrypt time + decrypt
//       time): every byte of a transfer is encrypted by the sender and decrypted by the receiver, so
//       that is what the format costs the end-to-end figure. Send is held against the encrypt rate
//       alone and receive against the decrypt rate alone, the work each of them does.
//   (b) a raw loopback TCP copy of the bytes through a plain socket pair, the receiving side
//       checking them as it reads (as relay_bench does).
//   (c) for context, not part of the target: a raw file write, the bytes written 1 MiB at a time to
//       a new file in the folder the receive saves into, then fsync'd. A receive must put every byte
//       on disk durably (the share may be burnt by then), so this machine's disk bounds it too; the
//       receive's ratio against it is printed beside the target ratio.
// Printed: send MB/s (start → finished: keys, create, read + encrypt + upload, complete), receive MB/s
// (inspect → finished: info, proof, reserve, download + verify + decrypt + unpack to disk), and the
// end-to-end rate bytes / (send time + receive time), each next to the lower of its format rate and
// (b), and their ratio. Target: every ratio ≥ 0.60; the exit status is 1 if any is missed, 2 if the
// run could not be made (set-up failure, a failed transfer, different bytes).

#include "BenchArguments.h"
#include "JobRuns.h"
#include "LocalRelay.h"
#include "ScratchDir.h"
#include "ots/Crypto.h"
#include "ots/KeySchedule.h"
#include "ots/StreamDecryptor.h"
#include "ots/StreamEncryptor.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <sodium.h>

#include <algorithm>
#include <arpa/inet.h>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <netinet/in.h>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

constexpr double kTarget = 0.60;
constexpr std::size_t kBlock = std::size_t{1} << 20;
constexpr std::size_t kWritebackStep = std::size_t{16} << 20;

struct Options {
    std::uint64_t mib = 1024;
    std::string dir;
    std::string relay = OTS_RELAY_BINARY;
    int rounds = 3;
};

[[noreturn]] void fail(const std::string& what) {
    throw std::runtime_error(what);
}

double secondsSince(Clock::time_point since) {
    return std::chrono::duration<double>(Clock::now() - since).count();
}

double mbPerSecond(std::uint64_t bytes, double seconds) {
    return double(bytes) / 1e6 / seconds;
}

/// A socket file descriptor, closed when it goes.
class Socket {
public:
    explicit Socket(int fd = -1)
        : m_fd(fd) {}
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    ~Socket() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    [[nodiscard]] int fd() const noexcept { return m_fd; }

private:
    int m_fd;
};

class TransferBench {
public:
    explicit TransferBench(Options options)
        : m_options(std::move(options))
        , m_scratch(m_options.dir, "transfer_bench")
        , m_bytes(m_options.mib << 20) {}

    int run() {
        try {
            return measure();
        } catch (const std::exception&) {
            std::fprintf(stderr, "transfer_bench: the relay's log ends with:\n%s\n",
                         m_relay.logTail().c_str());
            throw;
        }
    }

private:
    int measure() {
        setUp();
        std::printf("transfer_bench: %u cores, %s, a %.1f MiB file in %s, best of %d\n",
                    std::thread::hardware_concurrency(), m_options.relay.c_str(), double(m_bytes) / (1 << 20),
                    m_scratch.path().c_str(), m_options.rounds);
        std::fflush(stdout);

        double encrypt = 1e30;
        double decrypt = 1e30;
        double combined = 1e30;
        double raw = 1e30;
        double fileWrite = 1e30;
        double send = 1e30;
        double receive = 1e30;
        double download = 1e30;
        double endToEnd = 1e30;
        for (int round = 0; round < m_options.rounds; ++round) {
            raw = std::min(raw, rawLoopbackCopy());
            fileWrite = std::min(fileWrite, rawFileWrite());
            const auto [enc, dec] = formatRoundTrip();
            encrypt = std::min(encrypt, enc);
            decrypt = std::min(decrypt, dec);
            combined = std::min(combined, enc + dec);
            const auto [sent, received, downloaded] = transfer(round);
            send = std::min(send, sent);
            receive = std::min(receive, received);
            download = std::min(download, downloaded);
            endToEnd = std::min(endToEnd, sent + received);
        }

        const double formatRate = mbPerSecond(m_bytes, combined);
        const double rawRate = mbPerSecond(m_bytes, raw);
        const double writeRate = mbPerSecond(m_bytes, fileWrite);
        const double decryptRate = mbPerSecond(m_bytes, decrypt);
        std::printf("(a) v1 format in memory: encrypt %8.1f MB/s, decrypt %8.1f MB/s, encrypt-then-decrypt "
                    "%8.1f MB/s\n",
                    mbPerSecond(m_bytes, encrypt), decryptRate, formatRate);
        std::printf("(b) raw loopback TCP copy: %8.1f MB/s\n", rawRate);
        std::printf("(c) raw file write + fsync in the receive folder (context only): %8.1f MB/s\n",
                    writeRate);
        const double reference = std::min(formatRate, rawRate);
        std::printf("reference min(a, b) = %.1f MB/s (%s)\n", reference,
                    formatRate <= rawRate ? "the format's encrypt-then-decrypt rate"
                                          : "the raw loopback copy");
        // Each direction against what it does: send encrypts, receive decrypts; both against the
        // raw loopback copy when that is lower.
        bool ok = report("send", mbPerSecond(m_bytes, send), std::min(mbPerSecond(m_bytes, encrypt), rawRate),
                         "encrypt");
        ok &= report("receive", mbPerSecond(m_bytes, receive), std::min(decryptRate, rawRate), "decrypt");
        std::printf("             (download → verified file on disk: %.1f MB/s; against (c), the disk: ratio "
                    "%.2f)\n",
                    mbPerSecond(m_bytes, download), mbPerSecond(m_bytes, receive) / writeRate);
        ok &= report("send+receive", mbPerSecond(m_bytes, endToEnd), reference, "encrypt-then-decrypt");
        std::printf("transfer_bench: %s\n", ok ? "all targets met" : "TARGET MISSED");
        return ok ? 0 : 1;
    }

    bool report(const char* what, double mbps, double reference, const char* referenceName) const {
        const double ratio = mbps / reference;
        const bool ok = ratio >= kTarget;
        std::printf(
            "%-12s %7.1f MiB: %8.1f MB/s  reference %8.1f MB/s (%s or loopback, the lower)  ratio %.2f   "
            "target >= %.2f  %s\n",
            what, double(m_bytes) / (1 << 20), mbps, reference, referenceName, ratio, kTarget,
            ok ? "ok" : "MISSED");
        return ok;
    }

    void setUp() {
        const std::filesystem::path root = m_scratch.path();
        std::filesystem::create_directories(root / "config");
        std::filesystem::create_directories(root / "input");
        std::filesystem::create_directories(root / "relay-data");
        // The jobs must never touch the user's own settings or keychain.
        ::setenv("OTS_CONFIG_DIR", (root / "config").c_str(), 1);
        ::setenv("OTS_SECRET_STORE", "file", 1);

        m_input = root / "input" / "transfer_bench.bin";
        ots::bench::ScratchDir::writePseudoRandomFile(m_input, m_bytes);
        m_data.resize(m_bytes);
        std::FILE* file = std::fopen(m_input.c_str(), "rb");
        if (file == nullptr || std::fread(m_data.data(), 1, m_data.size(), file) != m_data.size())
            fail("cannot read back " + m_input.string());
        std::fclose(file);
        m_cipher.reserve(ots::StreamEncryptor::ciphertextSize(m_bytes));

        auto keys = ots::ShareKeys::fromLinkSecret(ots::generateLinkSecret());
        if (!keys.ok())
            fail("the key schedule failed");
        m_keys.emplace(std::move(keys).value());

        const std::uint64_t maxSize = 2 * m_bytes + (std::uint64_t{64} << 20);
        m_relay.start(QString::fromStdString(m_options.relay),
                      QString::fromStdString((root / "relay-data").string()),
                      QString::fromStdString((root / "relay.log").string()),
                      {QStringLiteral("--max-size"), QString::number(maxSize),
                       QStringLiteral("--storage-quota"), QString::number(2 * maxSize)});
    }

    // (a): the payload through StreamEncryptor into memory, then the ciphertext through StreamDecryptor.
    std::pair<double, double> formatRoundTrip() {
        const auto encryptStart = Clock::now();
        auto enc = ots::StreamEncryptor::create(*m_keys, m_bytes);
        if (!enc.ok())
            fail("StreamEncryptor::create failed");
        m_cipher.assign(enc->header().begin(), enc->header().end());
        const ots::ByteSink toCipher = [&](ots::ByteView frame) {
            m_cipher.insert(m_cipher.end(), frame.begin(), frame.end());
            return ots::Status{};
        };
        for (std::size_t at = 0; at < m_data.size(); at += kBlock)
            if (!enc->push(ots::ByteView(m_data).subspan(at, std::min(kBlock, m_data.size() - at)), toCipher)
                     .ok())
                fail("StreamEncryptor::push failed");
        if (!enc->finish(toCipher).ok())
            fail("StreamEncryptor::finish failed");
        const double encryptSeconds = secondsSince(encryptStart);

        const auto decryptStart = Clock::now();
        auto dec = ots::StreamDecryptor::create(*m_keys);
        if (!dec.ok())
            fail("StreamDecryptor::create failed");
        std::uint64_t out = 0;
        const ots::ByteSink count = [&](ots::ByteView data) {
            out += data.size();
            return ots::Status{};
        };
        for (std::size_t at = 0; at < m_cipher.size(); at += kBlock)
            if (!dec->push(ots::ByteView(m_cipher).subspan(at, std::min(kBlock, m_cipher.size() - at)), count)
                     .ok())
                fail("StreamDecryptor::push failed");
        if (!dec->finish().ok() || out != m_bytes)
            fail("the format round trip did not give the payload back");
        return {encryptSeconds, secondsSince(decryptStart)};
    }

    // (b): the bytes through a plain loopback socket pair; the reader compares them as they arrive.
    double rawLoopbackCopy() {
        Socket listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        socklen_t length = sizeof(address);
        if (listener.fd() < 0 ||
            ::bind(listener.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
            ::listen(listener.fd(), 1) != 0 ||
            ::getsockname(listener.fd(), reinterpret_cast<sockaddr*>(&address), &length) != 0)
            fail(std::string("raw loopback copy: cannot listen: ") + std::strerror(errno));

        const auto start = Clock::now();
        std::string writerError;
        std::thread writer([&] {
            Socket out(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
            if (::connect(out.fd(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
                writerError = std::string("cannot connect: ") + std::strerror(errno);
                return;
            }
            std::size_t at = 0;
            while (at < m_data.size()) {
                const ssize_t n = ::send(out.fd(), m_data.data() + at, m_data.size() - at, MSG_NOSIGNAL);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    writerError = std::string("send: ") + std::strerror(errno);
                    return;
                }
                at += static_cast<std::size_t>(n);
            }
        });
        Socket in(::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC));
        std::vector<std::uint8_t> buffer(kBlock);
        std::size_t at = 0;
        bool same = in.fd() >= 0;
        while (same && at < m_data.size()) {
            const ssize_t n = ::recv(in.fd(), buffer.data(), std::min(buffer.size(), m_data.size() - at), 0);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            same = std::memcmp(buffer.data(), m_data.data() + at, static_cast<std::size_t>(n)) == 0;
            at += static_cast<std::size_t>(n);
        }
        const double seconds = secondsSince(start);
        writer.join();
        if (!writerError.empty())
            fail("raw loopback copy: " + writerError);
        if (!same || at != m_data.size())
            fail("raw loopback copy: the bytes read differ from those written");
        return seconds;
    }

    // (c): the bytes into a new file next to where the receive saves, 1 MiB per write, write-back
    // started every 16 MiB and fsync at the end, as a careful receiver writes (ContainerUnpacker does
    // the same). Earlier dirty data is flushed first, untimed, so it is not charged to this write.
    double rawFileWrite() {
        const std::filesystem::path path = m_scratch.path() / "raw-write.bin";
        ::sync();
        const auto start = Clock::now();
        const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0)
            fail("raw file write: cannot create " + path.string() + ": " + std::strerror(errno));
        std::size_t at = 0;
        std::string error;
        while (error.empty() && at < m_data.size()) {
            const ssize_t n = ::write(fd, m_data.data() + at, std::min(kBlock, m_data.size() - at));
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) {
                error = std::string("write: ") + std::strerror(errno);
                break;
            }
            at += static_cast<std::size_t>(n);
            if (at % kWritebackStep < static_cast<std::size_t>(n))
                (void)::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
        }
        if (error.empty() && ::fsync(fd) != 0)
            error = std::string("fsync: ") + std::strerror(errno);
        ::close(fd);
        const double seconds = secondsSince(start);
        std::filesystem::remove(path);
        if (!error.empty())
            fail("raw file write: " + error);
        return seconds;
    }

    struct TransferTimes {
        double send = 0;
        double receive = 0;
        double download = 0;
    };

    // SendJob of the file, then ReceiveJob into an empty folder; the received file must be identical.
    TransferTimes transfer(int round) {
        // Generous: even a slow machine moves more than 2 MB/s over loopback.
        const auto timeout =
            std::chrono::milliseconds(120'000 + static_cast<std::int64_t>(m_bytes / 2'000'000) * 1000);
        ots::client::SendOptions options;
        options.relay = m_relay.url();
        options.paths = {QString::fromStdString(m_input.string())};
        options.expiresIn = 3600;
        options.maxDownloads = 1;
        const ots::bench::SendRun sent = ots::bench::runSendJob(options, timeout);
        if (!sent.error.empty())
            fail(sent.error);

        const std::filesystem::path outDir = m_scratch.path() / ("received-" + std::to_string(round));
        std::filesystem::create_directories(outDir);
        const ots::bench::ReceiveRun received =
            ots::bench::runReceiveJob(sent.result.link, QString::fromStdString(outDir.string()), timeout);
        if (!received.error.empty())
            fail(received.error);
        verify(received.result, outDir);
        std::filesystem::remove_all(outDir);
        return {sent.seconds, received.seconds, received.downloadSeconds};
    }

    void verify(const ots::client::ReceiveResult& result, const std::filesystem::path& outDir) const {
        if (result.isText || result.savedPaths.size() != 1)
            fail("the receive saved " + std::to_string(result.savedPaths.size()) +
                 " entries, not the one file sent");
        const QFileInfo saved(QDir(QString::fromStdString(outDir.string())), result.savedPaths.front());
        if (saved.fileName().toStdString() != m_input.filename().string())
            fail("the received file is named " + saved.fileName().toStdString() + ", not " +
                 m_input.filename().string());
        const std::string difference =
            ots::bench::ScratchDir::compareFiles(m_input, saved.absoluteFilePath().toStdString());
        if (!difference.empty())
            fail(difference);
    }

    Options m_options;
    ots::bench::ScratchDir m_scratch; // removed last: after the relay has stopped
    ots::bench::LocalRelay m_relay;
    std::uint64_t m_bytes;
    std::filesystem::path m_input;
    std::vector<std::uint8_t> m_data;
    std::vector<std::uint8_t> m_cipher;
    std::optional<ots::ShareKeys> m_keys;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    ots::bench::forEachArgument(argc, argv, "transfer_bench", [&](const std::string& arg, const auto& value) {
        if (arg == "--mib")
            options.mib = std::stoull(value());
        else if (arg == "--dir")
            options.dir = value();
        else if (arg == "--relay")
            options.relay = value();
        else if (arg == "--rounds")
            options.rounds = std::stoi(value());
        else
            return false;
        return true;
    });
    if (options.mib < 1 || options.rounds < 1)
        fail("--mib and --rounds must be at least 1");
    return options;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const QCoreApplication app(argc, argv);
    if (!ots::initialize().ok()) {
        std::fprintf(stderr, "transfer_bench: crypto self-tests failed\n");
        return 2;
    }
    try {
        TransferBench bench(parseOptions(argc, argv));
        return bench.run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "transfer_bench: %s\n", error.what());
        return 2;
    }
}
