// client_memory_bench: the desktop engine's memory while it moves a big file. It starts its own
// redis-server and this build's ots-relay on free loopback ports, writes a file of real pseudo-random
// bytes (never a sparse file: every byte is on disk and must be read, encrypted, sent, received,
// decrypted and written), then sends it with ots::client::SendJob in one child process and receives
// it with ots::client::ReceiveJob in another (this program again, started with fork and exec in a
// hidden child mode; the link travels over a pipe, never in argv). Each child's peak RSS is its
// ru_maxrss as returned by wait4(). The received file is compared byte for byte with the sent one.
// Built, not run by ctest:
//
//   build/tests/bench/client_memory_bench [--gib N] [--dir DIR] [--relay PATH]
//
// --gib N (default 4): size of the file in GiB. --dir DIR: where the temporary folder goes; it must
// have room for about 3 × N GiB (the file, the relay's copy, the received copy) — checked first.
// --relay PATH: the ots-relay to run (default: this build's).
// Target: peak RSS ≤ 100 MiB for the send and for the receive, each printed next to the target as a
// ratio with the time it took; the exit status is 1 if either is missed, 2 if the run could not be
// made (no room, set-up failure, a failed transfer, different bytes). The temporary folder is removed
// whatever ends the run (Ctrl-C included).

#include "BenchArguments.h"
#include "JobRuns.h"
#include "LocalRelay.h"
#include "ScratchDir.h"
#include "ots/Crypto.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QString>
#include <QUrl>

#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>
#include <sys/resource.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <utility>
#include <vector>

using Clock = std::chrono::steady_clock;

namespace {

constexpr double kTargetMiB = 100;
const char* const kChildSend = "--child-send";
const char* const kChildReceive = "--child-receive";

volatile std::sig_atomic_t g_stop = 0;

extern "C" void onStopSignal(int /*signal*/) {
    g_stop = 1;
}

struct Options {
    std::uint64_t gib = 4;
    std::string dir;
    std::string relay = OTS_RELAY_BINARY;
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

double gibOf(std::uint64_t bytes) {
    return double(bytes) / double(std::uint64_t{1} << 30);
}

/// "VmRSS" or "VmHWM" of this process in KiB; -1 if unreadable.
long ownStatusKiB(const std::string& field) {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line))
        if (line.rfind(field + ":", 0) == 0)
            return std::strtol(line.c_str() + field.size() + 1, nullptr, 10);
    return -1;
}

// Child modes ---------------------------------------------------------------------------------------
// Standard output carries the results for the parent, one per line; failures go to standard error
// with exit status 1. The parent bounds the time, so the jobs get a day.

constexpr std::chrono::milliseconds kChildTimeout{24L * 3600 * 1000};

/// --child-send RELAY_URL FILE: prints the link, then the process's own VmHWM in KiB.
int childSend(const char* relay, const char* path) {
    ots::client::SendOptions options;
    options.relay = QUrl(QString::fromUtf8(relay));
    options.paths = {QString::fromUtf8(path)};
    options.expiresIn = 3600;
    options.maxDownloads = 1;
    const ots::bench::SendRun run = ots::bench::runSendJob(options, kChildTimeout);
    if (!run.error.empty()) {
        std::fprintf(stderr, "client_memory_bench (send): %s\n", run.error.c_str());
        return 1;
    }
    std::printf("%s\n%ld\n", run.result.link.toUtf8().constData(), ownStatusKiB("VmHWM"));
    return 0;
}

/// --child-receive OUTPUT_DIR, the link on standard input: prints the process's own VmHWM in KiB.
int childReceive(const char* outputDir) {
    std::string link;
    if (!std::getline(std::cin, link) || link.empty()) {
        std::fprintf(stderr, "client_memory_bench (receive): no link on standard input\n");
        return 1;
    }
    const ots::bench::ReceiveRun run =
        ots::bench::runReceiveJob(QString::fromStdString(link), QString::fromUtf8(outputDir), kChildTimeout);
    if (!run.error.empty()) {
        std::fprintf(stderr, "client_memory_bench (receive): %s\n", run.error.c_str());
        return 1;
    }
    std::printf("%ld\n", ownStatusKiB("VmHWM"));
    return 0;
}

// The parent ----------------------------------------------------------------------------------------

/// A pipe whose ends are closed when it goes (both marked close-on-exec).
class Pipe {
public:
    Pipe() {
        if (::pipe2(m_fds, O_CLOEXEC) != 0)
            fail(std::string("cannot create a pipe: ") + std::strerror(errno));
    }
    Pipe(const Pipe&) = delete;
    Pipe& operator=(const Pipe&) = delete;
    ~Pipe() {
        closeRead();
        closeWrite();
    }
    [[nodiscard]] int readEnd() const noexcept { return m_fds[0]; }
    [[nodiscard]] int writeEnd() const noexcept { return m_fds[1]; }
    void closeRead() { closeEnd(0); }
    void closeWrite() { closeEnd(1); }

private:
    void closeEnd(int end) {
        if (m_fds[end] >= 0)
            ::close(m_fds[end]);
        m_fds[end] = -1;
    }
    int m_fds[2] = {-1, -1};
};

/// This program in a child mode, started with fork and exec (not posix_spawn: a vfork-style spawn
/// would charge the parent's own peak RSS to the child's ru_maxrss). Killed and reaped by its PID if
/// it is still running when the object goes.
class ChildRun {
public:
    ChildRun(const std::vector<std::string>& argv, int stdinFd, int stdoutFd) {
        std::vector<char*> args;
        args.reserve(argv.size() + 1);
        for (const std::string& arg : argv)
            args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        m_pid = ::fork();
        if (m_pid < 0)
            fail(std::string("cannot fork: ") + std::strerror(errno));
        if (m_pid == 0) {
            // Only async-signal-safe calls between fork and exec.
            if ((stdinFd >= 0 && ::dup2(stdinFd, 0) < 0) || ::dup2(stdoutFd, 1) < 0)
                ::_exit(127);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
    }
    ChildRun(const ChildRun&) = delete;
    ChildRun& operator=(const ChildRun&) = delete;
    ~ChildRun() {
        if (m_pid > 0) {
            ::kill(m_pid, SIGKILL);
            ::waitpid(m_pid, nullptr, 0);
        }
    }

    /// Waits for the end (killing the child past the deadline or on Ctrl-C); its peak RSS in KiB.
    long wait(Clock::time_point deadline, const char* what) {
        int status = 0;
        rusage usage{};
        while (true) {
            const pid_t done = ::wait4(m_pid, &status, WNOHANG, &usage);
            if (done == m_pid)
                break;
            if (done < 0 && errno != EINTR)
                fail(std::string("wait4: ") + std::strerror(errno));
            if (g_stop != 0)
                fail(std::string("interrupted during the ") + what);
            if (Clock::now() > deadline)
                fail(std::string("the ") + what + " did not end in time; stopped it");
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        m_pid = -1;
        if (WIFSIGNALED(status))
            fail(std::string("the ") + what + " child died of signal " + std::to_string(WTERMSIG(status)));
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            fail(std::string("the ") + what + " failed (see its message above)");
        return usage.ru_maxrss;
    }

private:
    pid_t m_pid = -1;
};

/// Everything a child wrote to the pipe's read end (after the write end is closed).
std::vector<std::string> readLines(int fd) {
    std::string text;
    char buffer[4096];
    while (true) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        text.append(buffer, static_cast<std::size_t>(n));
    }
    std::vector<std::string> lines;
    std::size_t start = 0;
    for (std::size_t end = text.find('\n'); end != std::string::npos; end = text.find('\n', start)) {
        lines.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return lines;
}

std::string selfPath() {
    std::error_code error;
    const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
    if (error)
        fail("cannot find this program's own path: " + error.message());
    return self.string();
}

class MemoryBench {
public:
    explicit MemoryBench(Options options)
        : m_options(std::move(options))
        , m_bytes(m_options.gib << 30)
        , m_scratch(checkedBase(m_options.dir, m_bytes), "client_memory_bench") {}

    int run() {
        try {
            return measure();
        } catch (const std::exception&) {
            std::fprintf(stderr, "client_memory_bench: the relay's log ends with:\n%s\n",
                         m_relay.logTail().c_str());
            throw;
        }
    }

private:
    /// The folder to work in, once it has room for the file, the relay's copy and the received copy.
    static std::string checkedBase(const std::string& dir, std::uint64_t bytes) {
        std::string base = dir.empty() ? std::filesystem::temp_directory_path().string() : dir;
        const std::uint64_t need = 3 * bytes + (std::uint64_t{512} << 20);
        const std::uint64_t free = ots::bench::ScratchDir::freeBytes(base);
        if (free < need) {
            char message[400];
            std::snprintf(
                message, sizeof message,
                "%s has %.1f GiB free, but a %.1f GiB run needs about %.1f GiB there (the file, the "
                "relay's copy and the received copy); choose another place with --dir or a "
                "smaller --gib",
                base.c_str(), gibOf(free), gibOf(bytes), gibOf(need));
            fail(message);
        }
        return base;
    }

    int measure() {
        const std::filesystem::path root = m_scratch.path();
        std::filesystem::create_directories(root / "config");
        std::filesystem::create_directories(root / "input");
        std::filesystem::create_directories(root / "relay-data");
        std::filesystem::create_directories(root / "received");
        // The children inherit these: they must never touch the user's own settings or keychain.
        ::setenv("OTS_CONFIG_DIR", (root / "config").c_str(), 1);
        ::setenv("OTS_SECRET_STORE", "file", 1);

        const std::uint64_t maxSize = 2 * m_bytes + (std::uint64_t{64} << 20);
        m_relay.start(QString::fromStdString(m_options.relay),
                      QString::fromStdString((root / "relay-data").string()),
                      QString::fromStdString((root / "relay.log").string()),
                      {QStringLiteral("--max-size"), QString::number(maxSize),
                       QStringLiteral("--storage-quota"), QString::number(2 * maxSize)});

        const std::filesystem::path input = root / "input" / "client_memory_bench.bin";
        const auto writeStart = Clock::now();
        ots::bench::ScratchDir::writePseudoRandomFile(input, m_bytes, &g_stop);
        const double writeSeconds = secondsSince(writeStart);
        std::printf(
            "client_memory_bench: %u cores, %s; a %.1f GiB file of pseudo-random bytes written in %.1f s "
            "(%.0f MB/s) in %s\n",
            std::thread::hardware_concurrency(), m_options.relay.c_str(), gibOf(m_bytes), writeSeconds,
            mbPerSecond(m_bytes, writeSeconds), root.c_str());
        std::fflush(stdout);

        // Generous: even a slow machine moves more than 2 MB/s over loopback.
        const auto allowed = std::chrono::seconds(120 + static_cast<std::int64_t>(m_bytes / 2'000'000));
        const std::string self = selfPath();
        const long parentRss = ownStatusKiB("VmRSS");

        // Send: the link comes back on the child's standard output.
        Pipe sendOut;
        const auto sendStart = Clock::now();
        ChildRun sender({self, kChildSend, m_relay.url().toString().toStdString(), input.string()}, -1,
                        sendOut.writeEnd());
        sendOut.closeWrite();
        const long sendPeak = sender.wait(sendStart + allowed, "send");
        const double sendSeconds = secondsSince(sendStart);
        const std::vector<std::string> sendLines = readLines(sendOut.readEnd());
        if (sendLines.size() != 2 || sendLines[0].empty())
            fail("the send child did not report a link");

        // Receive: the link goes in on the child's standard input.
        const std::filesystem::path outDir = root / "received";
        Pipe receiveIn;
        Pipe receiveOut;
        const auto receiveStart = Clock::now();
        ChildRun receiver({self, kChildReceive, outDir.string()}, receiveIn.readEnd(), receiveOut.writeEnd());
        receiveIn.closeRead();
        receiveOut.closeWrite();
        const std::string linkLine = sendLines[0] + "\n";
        if (::write(receiveIn.writeEnd(), linkLine.data(), linkLine.size()) !=
            static_cast<ssize_t>(linkLine.size()))
            fail(std::string("cannot hand the link to the receive child: ") + std::strerror(errno));
        receiveIn.closeWrite();
        const long receivePeak = receiver.wait(receiveStart + allowed, "receive");
        const double receiveSeconds = secondsSince(receiveStart);
        const std::vector<std::string> receiveLines = readLines(receiveOut.readEnd());

        const auto compareStart = Clock::now();
        verify(input, outDir);
        const double compareSeconds = secondsSince(compareStart);

        bool ok = report("send", sendPeak, sendSeconds);
        ok &= report("receive", receivePeak, receiveSeconds);
        std::printf("received file identical to the sent one (compared in %.1f s)\n", compareSeconds);
        std::printf(
            "(peak RSS = the child's ru_maxrss from wait4(); the children's own VmHWM: send %.1f MiB, "
            "receive %.1f MiB; this process had %.1f MiB resident when it forked them: a forked child's "
            "ru_maxrss starts from there)\n",
            double(std::strtol(sendLines[1].c_str(), nullptr, 10)) / 1024,
            receiveLines.empty() ? -1.0 : double(std::strtol(receiveLines[0].c_str(), nullptr, 10)) / 1024,
            double(parentRss) / 1024);
        std::printf("client_memory_bench: %s\n", ok ? "all targets met" : "TARGET MISSED");
        return ok ? 0 : 1;
    }

    void verify(const std::filesystem::path& input, const std::filesystem::path& outDir) const {
        std::vector<std::filesystem::path> entries;
        for (const auto& entry : std::filesystem::directory_iterator(outDir))
            entries.push_back(entry.path());
        if (entries.size() != 1 || entries.front().filename() != input.filename())
            fail("the receive left " + std::to_string(entries.size()) + " entries in " + outDir.string() +
                 ", not the one file " + input.filename().string());
        const std::string difference = ots::bench::ScratchDir::compareFiles(input, entries.front());
        if (!difference.empty())
            fail(difference);
    }

    bool report(const char* what, long peakKiB, double seconds) const {
        const double peakMiB = double(peakKiB) / 1024;
        const bool ok = peakKiB > 0 && peakMiB <= kTargetMiB;
        std::printf("%-8s %7.1f MiB in %6.1f s (%6.1f MB/s): client peak RSS %6.1f MiB   target <= %.0f MiB  "
                    "ratio %.2f  %s\n",
                    what, double(m_bytes) / (1 << 20), seconds, mbPerSecond(m_bytes, seconds), peakMiB,
                    kTargetMiB, peakMiB / kTargetMiB, ok ? "ok" : "MISSED");
        return ok;
    }

    Options m_options;
    std::uint64_t m_bytes;
    ots::bench::ScratchDir m_scratch; // removed last: after the relay has stopped
    ots::bench::LocalRelay m_relay;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    ots::bench::forEachArgument(argc, argv, "client_memory_bench",
                                [&](const std::string& arg, const auto& value) {
                                    if (arg == "--gib")
                                        options.gib = std::stoull(value());
                                    else if (arg == "--dir")
                                        options.dir = value();
                                    else if (arg == "--relay")
                                        options.relay = value();
                                    else
                                        return false;
                                    return true;
                                });
    if (options.gib < 1 || options.gib > 1024)
        fail("--gib must be 1…1024");
    return options;
}

} // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    const bool childSendMode = argc == 4 && std::strcmp(argv[1], kChildSend) == 0;
    const bool childReceiveMode = argc == 3 && std::strcmp(argv[1], kChildReceive) == 0;
    const QCoreApplication app(argc, argv);
    if (!ots::initialize().ok()) {
        std::fprintf(stderr, "client_memory_bench: crypto self-tests failed\n");
        return 2;
    }
    if (childSendMode)
        return childSend(argv[2], argv[3]);
    if (childReceiveMode)
        return childReceive(argv[2]);

    // Ctrl-C or SIGTERM end the run through the normal path, so the temporary folder goes.
    struct sigaction action {};
    action.sa_handler = onStopSignal;
    sigemptyset(&action.sa_mask);
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
    try {
        MemoryBench bench(parseOptions(argc, argv));
        return bench.run();
    } catch (const std::exception& error) {
        std::fprintf(stderr, "client_memory_bench: %s\n", error.what());
        return 2;
    }
}
