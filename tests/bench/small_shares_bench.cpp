// small_shares_bench: how many small durable shares per second does ots-relay take through the local
// store, next to what the disk does for the same durable writes without a relay? It starts its own
// redis-server and this build's ots-relay (free loopback ports, a temporary folder) and, for each
// client count N (10 and 30 by default), runs in turn:
//   (a) the reference: N threads, each in a loop writing one share's bytes (1 MiB) to a new file in a
//       folder next to the relay's data folder (the same file system), fdatasync, rename to its final
//       name, fsync of the folder: durable files per second;
//   (b) the relay: N client threads, each in a loop doing what `ots send` does for a small file — create
//       (POST), one PATCH of the whole 1 MiB body, complete (POST) — each request on a new loopback
//       connection: shares per second, the p50 and p99 of a share's three requests together, and the
//       relay's CPU per share from /proc/PID/stat (user and kernel separately), and the clients' own
//       (they share the machine's cores with the relay and Redis).
// Every file and share stays until the end of the run: on ext4 without a journal, files deleted in
// the last minutes make new files slower to create (the inode allocator skips recently freed inodes),
// so a clean-up between phases would slow the phase after it. Each phase needs about its rate × S MiB
// of disk, all of them together about 15 GiB with the defaults. Built, not run by ctest:
//
//   build/tests/bench/small_shares_bench [--clients 10,30] [--seconds S] [--mib M]
//                                        [--relay PATH] [--dir DIR] [--relay-arg ARG]...
//
// --seconds S (default 5): length of each phase (after a 1 s warm-up that is not counted).
// --mib M (default 1): a share's size (the largest v1 stream of at most M MiB).
// --dir DIR: where the temporary folder goes (the file system measured); default the system's.
// Target (issue 16): relay shares/s ≥ 0.5 of the reference's files/s at the same N. Each figure is
// printed next to the reference as a ratio; exit status 1 if the target is missed, 2 if the run could
// not be made. The whole run takes about 4 × (S + 1) s plus the clean-ups.

#include "RelayBenchKit.h"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <exception>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

using namespace ots::bench;

namespace {

constexpr double kTarget = 0.5;
constexpr double kWarmUpSeconds = 1.0;

struct Options : RelayOptions {
    std::vector<unsigned> clients{10, 30};
    double seconds = 5;
    std::uint64_t mib = 1;
};

/// utime and stime of a process in seconds (fields 14 and 15 of /proc/PID/stat).
struct CpuTimes {
    double user = 0;
    double kernel = 0;
};

CpuTimes cpuTimes(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    std::getline(stat, text);
    // The command name (field 2) may hold spaces; the fields after it start past its ')'.
    const std::size_t close = text.rfind(')');
    if (close == std::string::npos)
        fail("cannot read /proc/" + std::to_string(pid) + "/stat");
    std::istringstream fields(text.substr(close + 2));
    std::string field;
    CpuTimes times;
    const double tick = static_cast<double>(::sysconf(_SC_CLK_TCK));
    for (int index = 3; fields >> field; ++index) {
        if (index == 14)
            times.user = std::strtod(field.c_str(), nullptr) / tick;
        if (index == 15) {
            times.kernel = std::strtod(field.c_str(), nullptr) / tick;
            return times;
        }
    }
    fail("short /proc/" + std::to_string(pid) + "/stat");
}

/// What one phase measured: operations counted after the warm-up, their latencies, the time.
struct PhaseResult {
    std::uint64_t operations = 0;
    double seconds = 0;
    std::vector<std::uint32_t> latenciesUs;
    [[nodiscard]] double rate() const { return seconds > 0 ? double(operations) / seconds : 0; }
};

/// Runs `threads` threads, each calling step(thread, index) in a loop until the phase ends; the
/// operations that end after the warm-up and before the end count, with their latencies. step returns
/// false to stop (an error the caller keeps); an exception from it ends the phase and is rethrown.
template <class Step>
PhaseResult runPhase(unsigned threads, double seconds, Step step) {
    const auto start = Clock::now();
    const auto countFrom =
        start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(kWarmUpSeconds));
    const auto end =
        countFrom + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(seconds));
    std::vector<std::vector<std::uint32_t>> latencies(threads);
    std::vector<std::thread> workers;
    std::mutex errorMutex;
    std::exception_ptr error;
    std::atomic<bool> stop{false};
    workers.reserve(threads);
    for (unsigned t = 0; t < threads; ++t)
        workers.emplace_back([&, t] {
            try {
                for (std::uint64_t index = 0; !stop; ++index) {
                    const auto began = Clock::now();
                    if (began >= end || !step(t, index))
                        return;
                    const auto ended = Clock::now();
                    if (ended > countFrom && ended <= end)
                        latencies[t].push_back(static_cast<std::uint32_t>(
                            std::chrono::duration_cast<std::chrono::microseconds>(ended - began).count()));
                }
            } catch (...) {
                const std::lock_guard lock(errorMutex);
                if (!error)
                    error = std::current_exception();
                stop = true;
            }
        });
    for (std::thread& worker : workers)
        worker.join();
    if (error)
        std::rethrow_exception(error);
    PhaseResult result;
    result.seconds = seconds;
    for (auto& own : latencies)
        result.latenciesUs.insert(result.latenciesUs.end(), own.begin(), own.end());
    std::sort(result.latenciesUs.begin(), result.latenciesUs.end());
    result.operations = result.latenciesUs.size();
    return result;
}

/// Writes all of data to fd; false (errno set) on an error.
bool writeAll(int fd, const std::uint8_t* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(fd, data, size);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
    return true;
}

class Bench {
public:
    explicit Bench(Options options)
        : m_options(std::move(options)) {}

    RelayStack& stack() { return m_stack; }

    int run() {
        m_stack.start(m_options.relay, m_options.dir, "small_shares_bench", m_options.relayArgs);
        m_api.emplace(m_stack.endpoint());
        m_data.resize(streamSizeAtMost(m_options.mib << 20));
        randombytes_buf(m_data.data(), m_data.size());
        std::printf("small_shares_bench: %u cores, %s, %zu-byte shares, %.1f s per phase, data folder %s\n",
                    std::thread::hardware_concurrency(), m_options.relay.c_str(), m_data.size(),
                    m_options.seconds, m_stack.dataDir().c_str());
        bool ok = true;
        for (const unsigned clients : m_options.clients) {
            const CpuTimes ownBefore = cpuTimes(::getpid());
            const std::uint64_t filesBefore = m_referenceFiles;
            const PhaseResult reference = referencePhase(clients);
            const CpuTimes ownAfter = cpuTimes(::getpid());
            const double files = double(std::max<std::uint64_t>(m_referenceFiles - filesBefore, 1));
            std::printf(
                "%2u threads  reference  %7.1f files/s   p50 %6.2f ms  p99 %6.2f ms  (write + fdatasync "
                "+ rename + directory fsync)\n",
                clients, reference.rate(), percentileMs(reference.latenciesUs, 0.5),
                percentileMs(reference.latenciesUs, 0.99));
            std::printf("            reference CPU per file %.3f ms (user %.3f ms, kernel %.3f ms)\n",
                        1000 * (ownAfter.user - ownBefore.user + ownAfter.kernel - ownBefore.kernel) / files,
                        1000 * (ownAfter.user - ownBefore.user) / files,
                        1000 * (ownAfter.kernel - ownBefore.kernel) / files);
            const CpuTimes before = cpuTimes(m_stack.relayPid());
            const CpuTimes clientsBefore = cpuTimes(::getpid());
            const PhaseResult relay = relayPhase(clients);
            const CpuTimes clientsAfter = cpuTimes(::getpid());
            const CpuTimes after = cpuTimes(m_stack.relayPid());
            // The CPU of the whole phase, warm-up included, over the shares that completed in it.
            const double shares = double(std::max<std::uint64_t>(m_phaseShares.load(), 1));
            const double ratio = reference.rate() > 0 ? relay.rate() / reference.rate() : 0;
            const bool met = ratio >= kTarget;
            ok &= met;
            std::printf("%2u clients relay      %7.1f shares/s  p50 %6.2f ms  p99 %6.2f ms  = %.2f of the "
                        "reference   target >= %.2f  %s\n",
                        clients, relay.rate(), percentileMs(relay.latenciesUs, 0.5),
                        percentileMs(relay.latenciesUs, 0.99), ratio, kTarget, met ? "ok" : "MISSED");
            std::printf("            relay CPU per share %.3f ms (user %.3f ms, kernel %.3f ms) over %.0f "
                        "shares\n",
                        1000 * (after.user - before.user + after.kernel - before.kernel) / shares,
                        1000 * (after.user - before.user) / shares,
                        1000 * (after.kernel - before.kernel) / shares, shares);
            // The load generator runs on the same cores: what it takes is not the relay's to spend.
            std::printf(
                "            clients' CPU per share %.3f ms (this process: three requests, the 1 MiB send)\n",
                1000 * (clientsAfter.user - clientsBefore.user + clientsAfter.kernel - clientsBefore.kernel) /
                    shares);
        }
        removeShares();
        std::filesystem::remove_all(referenceFolder());
        std::printf("small_shares_bench: %s\n", ok ? "all targets met" : "TARGET MISSED");
        return ok ? 0 : 1;
    }

private:
    [[nodiscard]] std::filesystem::path referenceFolder() const {
        return m_stack.dataDir().parent_path() / "reference";
    }

    PhaseResult referencePhase(unsigned threads) {
        const std::filesystem::path folder = referenceFolder() / std::to_string(threads);
        std::filesystem::create_directories(folder);
        std::vector<FileHandle> folders;
        for (unsigned t = 0; t < threads; ++t)
            folders.emplace_back(::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
        std::atomic<bool> failed{false};
        std::string error;
        PhaseResult result = runPhase(threads, m_options.seconds, [&](unsigned t, std::uint64_t index) {
            const std::string name = std::to_string(t) + "-" + std::to_string(index);
            const std::filesystem::path temporary = folder / (name + ".tmp");
            const FileHandle file(::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
            if (file.fd < 0 || !writeAll(file.fd, m_data.data(), m_data.size()) ||
                ::fdatasync(file.fd) != 0 || ::rename(temporary.c_str(), (folder / name).c_str()) != 0 ||
                folders[t].fd < 0 || ::fsync(folders[t].fd) != 0) {
                if (!failed.exchange(true))
                    error = std::strerror(errno);
                return false;
            }
            ++m_referenceFiles;
            return true;
        });
        folders.clear();
        if (failed)
            fail("reference write failed: " + error);
        return result;
    }

    PhaseResult relayPhase(unsigned clients) {
        m_shares.resize(std::max<std::size_t>(m_shares.size(), clients));
        m_phaseShares = 0;
        return runPhase(clients, m_options.seconds, [&](unsigned t, std::uint64_t) {
            Share share = m_api->create(m_data.size());
            m_api->upload(share, m_data.data(), m_data.size());
            m_api->complete(share);
            m_shares[t].push_back(std::move(share));
            ++m_phaseShares;
            return true;
        });
    }

    /// Deletes the run's shares (the relay removes their blobs), one thread per client.
    void removeShares() {
        std::vector<std::thread> removers;
        for (std::vector<Share>& own : m_shares)
            removers.emplace_back([this, &own] {
                for (const Share& share : own)
                    m_api->remove(share);
            });
        for (std::thread& remover : removers)
            remover.join();
        m_shares.clear();
    }

    /// A descriptor closed with the handle.
    struct FileHandle {
        explicit FileHandle(int descriptor)
            : fd(descriptor) {}
        FileHandle(FileHandle&& other) noexcept
            : fd(std::exchange(other.fd, -1)) {}
        FileHandle(const FileHandle&) = delete;
        FileHandle& operator=(const FileHandle&) = delete;
        FileHandle& operator=(FileHandle&&) = delete;
        ~FileHandle() {
            if (fd >= 0)
                ::close(fd);
        }
        int fd;
    };

    Options m_options;
    RelayStack m_stack;
    std::optional<ShareApi> m_api;
    std::vector<std::uint8_t> m_data;
    std::vector<std::vector<Share>> m_shares;
    std::atomic<std::uint64_t> m_phaseShares{0};
    std::atomic<std::uint64_t> m_referenceFiles{0};
};

std::vector<unsigned> parseCounts(const std::string& text) {
    std::vector<unsigned> counts;
    std::istringstream list(text);
    std::string item;
    while (std::getline(list, item, ',')) {
        const unsigned long count = std::strtoul(item.c_str(), nullptr, 10);
        if (count == 0 || count > 1000)
            fail("--clients takes counts of 1…1000 separated by commas");
        counts.push_back(static_cast<unsigned>(count));
    }
    if (counts.empty())
        fail("--clients takes counts of 1…1000 separated by commas");
    return counts;
}

} // namespace

int main(int argc, char** argv) {
    Options options;
    std::optional<Bench> bench;
    return benchMain("small_shares_bench", nullptr, [&] {
        parseArguments(
            argc, argv, "small_shares_bench", options, [&](const std::string& arg, const auto& value) {
                if (arg == "--clients")
                    options.clients = parseCounts(value());
                else if (arg == "--seconds")
                    options.seconds = std::max(0.5, std::strtod(value().c_str(), nullptr));
                else if (arg == "--mib")
                    options.mib = std::max<std::uint64_t>(1, std::strtoull(value().c_str(), nullptr, 10));
                else
                    return false;
                return true;
            });
        bench.emplace(options);
        try {
            return bench->run();
        } catch (const std::exception&) {
            std::fprintf(stderr, "small_shares_bench: the relay's log ends with:\n%s\n",
                         bench->stack().logTail(3000).c_str());
            throw;
        }
    });
}
