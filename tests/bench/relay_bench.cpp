// relay_bench: load generator for ots-relay. It starts its own redis-server and ots-relay (free
// loopback ports, a temporary folder), then measures over 127.0.0.1:
//   - public info (GET of one ready share) and create (POST of valid bodies): requests/s, p50 and p99
//     latency with 64 concurrent keep-alive connections;
//   - upload and download MB/s of one ~1 GiB blob, next to a raw loopback TCP copy of the same bytes
//     (a plain socket pair) measured in the same run;
//   - the relay's peak RSS (VmHWM) during 32 concurrent 256 MiB uploads.
// With --store s3 the relay keeps its blobs in an S3 bucket: a one-node Ceph cluster with its S3
// gateway that the bench starts itself (tests/relay/CephCluster.h, on loopback). Upload (append and
// complete) and download are then measured next to the same bytes PUT and GET directly to the same
// gateway in the same run, by the relay's S3 client (the same SigV4 and SHA-256 work per byte) and by
// curl --aws-sigv4. Download's reference is the faster GET of the two; upload's is our client's PUT
// (curl sends UNSIGNED-PAYLOAD, less work per byte than the relay's signed parts: printed beside it).
// Built, not run by ctest:
//
//   build/tests/bench/relay_bench [--mib N] [--seconds S] [--connections C] [--uploads K]
//                                 [--store local|s3] [--relay PATH] [--dir DIR] [--relay-arg ARG]...
//
// --mib N (default 1024): size of the single blob; each concurrent upload is N/4 MiB (256 by default;
// N/16 through S3).
// --seconds S (default 5): length of each requests/s phase (after a 0.5 s warm-up).
// --relay-arg ARG: passed on to ots-relay (repeat it, e.g. --relay-arg --io-threads --relay-arg 4).
// Targets (on the 2-core reference machine, Redis on the same box): info ≥ 20,000 req/s, create ≥
// 5,000/s, upload and download ≥ 0.70 of the raw loopback copy (s3: ≥ 0.80 of the direct PUT and GET),
// relay peak RSS ≤ 64 MiB. Each figure is printed next to its target as a ratio; the exit status is 1
// if any target is missed.

#include "CephCluster.h"
#include "RelayBenchKit.h" // first: it silences GCC's -Wnull-dereference inside Asio and libstdc++
#include "s3/S3Client.h"
#include "s3/S3Connector.h"

#include <QCoreApplication>
#include <QProcess>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using namespace ots::bench;

namespace {

constexpr double kInfoTarget = 20'000;
constexpr double kCreateTarget = 5'000;
constexpr double kTransferTarget = 0.70;
constexpr double kS3TransferTarget = 0.80;
constexpr double kRssTargetMiB = 64;
constexpr int kRounds = 3;

struct Options : RelayOptions {
    std::uint64_t mib = 1024;
    double seconds = 5;
    unsigned connections = 64;
    unsigned uploads = 32;
    bool s3 = false;
};

class Bench {
public:
    explicit Bench(Options options)
        : m_options(std::move(options)) {}
    Bench(const Bench&) = delete;
    Bench& operator=(const Bench&) = delete;

    int run() {
        try {
            return measure();
        } catch (const std::exception&) {
            // The relay's own account of what went wrong, before its folder goes.
            std::fprintf(stderr, "relay_bench: the relay's log ends with:\n%s\n",
                         m_stack.logTail(3000).c_str());
            throw;
        }
    }

private:
    int measure() {
        std::vector<std::string> relayArgs = m_options.relayArgs;
        if (m_options.s3) {
            if (!m_ceph.start())
                fail("the Ceph cluster did not start: " + m_ceph.errorString().toStdString());
            std::printf("relay_bench: Ceph cluster with RGW at %s up in %lld ms\n",
                        m_ceph.endpoint().toStdString().c_str(),
                        static_cast<long long>(m_ceph.startMilliseconds()));
            // The secret reaches the relay through its environment, never its arguments.
            ::setenv("OTS_RELAY_S3_SECRET_ACCESS_KEY", m_ceph.secretAccessKey().toStdString().c_str(), 1);
            relayArgs.insert(relayArgs.begin(),
                             {"--blob-store", "s3", "--s3-endpoint", m_ceph.endpoint().toStdString(),
                              "--s3-bucket", m_ceph.bucket().toStdString(), "--s3-access-key-id",
                              m_ceph.accessKeyId().toStdString()});
        }
        m_stack.start(m_options.relay, m_options.dir, "relay_bench", relayArgs);
        m_api.emplace(m_stack.endpoint());
        bool ok = true;
        std::printf("relay_bench: %u cores, %s, %u connections, %.1f s per phase\n",
                    std::thread::hardware_concurrency(), m_options.relay.c_str(), m_options.connections,
                    m_options.seconds);

        const Share info = m_api->createReady(4225);
        ok &= report("public info", loadPhase(getRequest("/api/v1/shares/" + info.id), 200), kInfoTarget);
        ok &= report("create", loadPhase(createRequest(4225), 201), kCreateTarget);

        const std::uint64_t blob = streamSizeAtMost(m_options.mib << 20);
        m_data.resize(blob);
        randombytes_buf(m_data.data(), m_data.size());
        // Loopback throughput on a shared 2-core machine varies from run to run: each figure is the
        // best of kRounds, taken in turns (reference, upload, download), so neither side gets the quiet
        // moment.
        double raw = 0;
        double directUp = 0;   // our client, payload signed as the relay signs it over http
        double curlUp = 0;     // curl, UNSIGNED-PAYLOAD: less work per byte than the relay's
        double directDown = 0; // the faster of our client and curl (a GET is the same work for both)
        double up = 0;
        double down = 0;
        for (int round = 0; round < kRounds; ++round) {
            if (m_options.s3) {
                const DirectS3 direct = directS3(blob);
                directUp = std::max(directUp, mbPerSecond(blob, direct.put));
                curlUp = std::max(curlUp, mbPerSecond(blob, direct.curlPut));
                directDown = std::max(directDown, mbPerSecond(blob, direct.get));
            } else {
                raw = std::max(raw, mbPerSecond(blob, rawLoopbackCopy(blob)));
            }
            const Share big = m_api->create(blob);
            const auto upStart = Clock::now();
            (void)m_api->upload(big, m_data.data(), blob);
            // Through S3 the complete is part of storing the blob (the last part, CompleteMultipartUpload).
            m_api->complete(big);
            up = std::max(up, mbPerSecond(blob, secondsSince(upStart)));
            down = std::max(
                down, mbPerSecond(blob, m_api->download(big, m_api->reserve(big), m_data.data(), blob)));
            m_api->remove(big);
        }
        if (m_options.s3) {
            std::printf(
                "direct S3 PUT       %7.1f MiB: %9.1f MB/s signed (curl unsigned: %.1f MB/s)  GET %9.1f "
                "MB/s  (best of %d, as below)\n",
                double(blob) / (1 << 20), directUp, curlUp, directDown, kRounds);
            std::printf("             upload = %.2f of curl's unsigned PUT (for context: no payload hash)\n",
                        up / curlUp);
            ok &= reportTransfer("upload", blob, up, directUp, "direct S3 PUT", kS3TransferTarget);
            ok &= reportTransfer("download", blob, down, directDown, "direct S3 GET", kS3TransferTarget);
        } else {
            std::printf("raw loopback copy   %7.1f MiB: %9.1f MB/s  (best of %d, as below)\n",
                        double(blob) / (1 << 20), raw, kRounds);
            ok &= reportTransfer("upload", blob, up, raw, "raw loopback", kTransferTarget);
            ok &= reportTransfer("download", blob, down, raw, "raw loopback", kTransferTarget);
        }

        // Through S3 a sixteenth each (64 MiB by default): 32 × 256 MiB would not fit the one-node
        // cluster's 10 GiB store next to what its garbage collector has not reclaimed yet.
        ok &= concurrentUploads(streamSizeAtMost((m_options.mib << 20) / (m_options.s3 ? 16 : 4)));

        std::printf("relay_bench: %s\n", ok ? "all targets met" : "TARGET MISSED");
        return ok ? 0 : 1;
    }

    struct LoadResult {
        std::uint64_t completed = 0;
        std::uint64_t errors = 0;
        std::string firstError;
        std::vector<std::uint32_t> latencyUs;
        double seconds = 0;
    };

    http::request<http::string_body> getRequest(const std::string& target) const {
        http::request<http::string_body> req{http::verb::get, target, 11};
        req.set(http::field::host, "127.0.0.1");
        return req;
    }

    http::request<http::string_body> createRequest(std::uint64_t size) const {
        http::request<http::string_body> req{http::verb::post, "/api/v1/shares", 11};
        req.set(http::field::host, "127.0.0.1");
        req.set(http::field::content_type, "application/json");
        req.body() = m_api->createBody(size);
        req.prepare_payload();
        return req;
    }

    // Requests/s -----------------------------------------------------------------------------------

    static asio::awaitable<void> loadWorker(tcp::endpoint endpoint,
                                            const http::request<http::string_body>& req, unsigned expected,
                                            Clock::time_point measureFrom, Clock::time_point until,
                                            LoadResult& result) {
        auto executor = co_await asio::this_coro::executor;
        while (Clock::now() < until) {
            tcp::socket socket(executor);
            try {
                co_await socket.async_connect(endpoint, asio::use_awaitable);
                socket.set_option(tcp::no_delay(true));
                beast::flat_buffer buffer;
                bool keepAlive = true;
                while (keepAlive && Clock::now() < until) {
                    const auto start = Clock::now();
                    co_await http::async_write(socket, req, asio::use_awaitable);
                    http::response<http::string_body> res;
                    co_await http::async_read(socket, buffer, res, asio::use_awaitable);
                    const auto end = Clock::now();
                    keepAlive = res.keep_alive();
                    if (start < measureFrom || end > until)
                        continue;
                    ++result.completed;
                    result.latencyUs.push_back(static_cast<std::uint32_t>(
                        std::chrono::duration_cast<std::chrono::microseconds>(end - start).count()));
                    if (res.result_int() != expected) {
                        ++result.errors;
                        if (result.firstError.empty())
                            result.firstError = "HTTP " + std::to_string(res.result_int()) + " " + res.body();
                    }
                }
            } catch (const std::exception& error) {
                ++result.errors;
                if (result.firstError.empty())
                    result.firstError = error.what();
            }
        }
    }

    LoadResult loadPhase(const http::request<http::string_body>& req, unsigned expected) {
        asio::io_context io(1);
        LoadResult result;
        const auto measureFrom = Clock::now() + std::chrono::milliseconds(500);
        const auto until = measureFrom + std::chrono::duration_cast<Clock::duration>(
                                             std::chrono::duration<double>(m_options.seconds));
        for (unsigned i = 0; i < m_options.connections; ++i)
            asio::co_spawn(io, loadWorker(m_stack.endpoint(), req, expected, measureFrom, until, result),
                           asio::detached);
        io.run();
        result.seconds = m_options.seconds;
        return result;
    }

    static bool report(const char* what, LoadResult result, double target) {
        std::sort(result.latencyUs.begin(), result.latencyUs.end());
        const double rate = double(result.completed) / result.seconds;
        const bool ok = rate >= target && result.errors == 0;
        std::printf("%-12s %9.0f req/s  p50 %6.2f ms  p99 %6.2f ms   target >= %.0f/s  ratio %.2f  %s\n",
                    what, rate, percentileMs(result.latencyUs, 0.50), percentileMs(result.latencyUs, 0.99),
                    target, rate / target, ok ? "ok" : "MISSED");
        if (result.errors != 0)
            std::printf("             %llu errors, first: %s\n",
                        static_cast<unsigned long long>(result.errors), result.firstError.c_str());
        return ok;
    }

    // Transfers ------------------------------------------------------------------------------------

    static double mbPerSecond(std::uint64_t bytes, double seconds) { return double(bytes) / 1e6 / seconds; }

    static bool reportTransfer(const char* what, std::uint64_t bytes, double mbps, double referenceMbps,
                               const char* reference, double target) {
        const double ratio = mbps / referenceMbps;
        const bool ok = ratio >= target;
        std::printf("%-12s %7.1f MiB: %9.1f MB/s  = %.2f of %s   target >= %.2f  %s\n", what,
                    double(bytes) / (1 << 20), mbps, ratio, reference, target, ok ? "ok" : "MISSED");
        return ok;
    }

    /// Seconds to PUT the bench's bytes to the gateway (one streamed request from a file, as the relay
    /// sends its parts) and to GET them back, with the relay's own S3 client.
    struct DirectS3 {
        double put = 0;     ///< seconds, our client (payload signed)
        double curlPut = 0; ///< seconds, curl (UNSIGNED-PAYLOAD)
        double get = 0;     ///< seconds, the faster of the two
    };

    DirectS3 directS3(std::uint64_t bytes) {
        namespace s3 = ots::relay::s3;
        s3::S3Config config;
        config.endpoint = m_ceph.endpoint().toStdString();
        config.bucket = m_ceph.bucket().toStdString();
        config.credentials = {m_ceph.accessKeyId().toStdString(), m_ceph.secretAccessKey().toStdString(), {}};
        auto connector = s3::S3Connector::create(config);
        if (!connector)
            fail("S3: " + connector.error().describe());
        auto client = connector.value()->makeClient();
        const std::filesystem::path file = m_stack.dataDir() / "direct-s3.bin";
        const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            fail("cannot create " + file.string());
        for (std::uint64_t done = 0; done < bytes;) {
            const ssize_t n = ::pwrite(fd, m_data.data() + done, bytes - done, static_cast<off_t>(done));
            if (n <= 0)
                fail("cannot write " + file.string());
            done += static_cast<std::uint64_t>(n);
        }
        const auto putStart = Clock::now();
        auto put = client->putObject("direct-s3.bin", s3::S3Body{{}, fd, 0, bytes});
        const double putSeconds = secondsSince(putStart);
        ::close(fd);
        if (!put)
            fail("direct S3 PUT: " + put.error().describe());
        const auto getStart = Clock::now();
        auto got = client->getObject("direct-s3.bin", static_cast<std::size_t>(bytes));
        double getSeconds = secondsSince(getStart);
        if (!got || got.value().size() != bytes || std::memcmp(got.value().data(), m_data.data(), bytes) != 0)
            fail("direct S3 GET did not bring the bytes back");
        got = s3::S3Error{}; // the GiB goes before curl's turn
        (void)client->deleteObject("direct-s3.bin");
        // curl's own SigV4 (an S3 client that is not ours) on the same file. For GET the faster of the two
        // is the reference, so a slow client of ours cannot make the relay look good. curl's PUT sends
        // UNSIGNED-PAYLOAD (no SHA-256 of the body); the relay signs its bodies over http as our client
        // does, so the upload target is measured against our client and curl's PUT is printed beside it.
        const double curlPut = curlS3("upload-file = \"" + file.string() + "\"\n");
        getSeconds = std::min(getSeconds, curlS3("output = \"/dev/null\"\n"));
        (void)client->deleteObject("direct-s3.bin");
        std::filesystem::remove(file);
        return {putSeconds, curlPut, getSeconds};
    }

    /// Seconds for one curl request to direct-s3.bin (signed by curl's --aws-sigv4); `action` is the
    /// curl config line that makes it a PUT or a GET. The credentials reach curl on its stdin, never
    /// in its arguments.
    double curlS3(const std::string& action) {
        QProcess curl;
        curl.setProgram(QStringLiteral("curl"));
        curl.setArguments({QStringLiteral("--silent"), QStringLiteral("--show-error"),
                           QStringLiteral("--fail"), QStringLiteral("--config"), QStringLiteral("-")});
        const std::string config = "url = \"" + m_ceph.endpoint().toStdString() + '/' +
                                   m_ceph.bucket().toStdString() + "/direct-s3.bin\"\n" +
                                   "aws-sigv4 = \"aws:amz:us-east-1:s3\"\n" +
                                   "header = \"x-amz-content-sha256: UNSIGNED-PAYLOAD\"\n" + "user = \"" +
                                   m_ceph.accessKeyId().toStdString() + ':' +
                                   m_ceph.secretAccessKey().toStdString() + "\"\n" + action;
        const auto start = Clock::now();
        curl.start();
        curl.write(config.data(), static_cast<qint64>(config.size()));
        curl.closeWriteChannel();
        if (!curl.waitForFinished(600'000) || curl.exitStatus() != QProcess::NormalExit ||
            curl.exitCode() != 0)
            fail("curl against the gateway failed: " + curl.readAllStandardError().toStdString());
        return secondsSince(start);
    }

    // The same bytes through a plain loopback socket pair: what the relay is measured against.
    double rawLoopbackCopy(std::uint64_t bytes) {
        asio::io_context io;
        tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::address_v4::loopback(), 0));
        const auto start = Clock::now();
        std::string writerError;
        std::thread writer([&] {
            try {
                asio::io_context writerIo;
                tcp::socket out(writerIo);
                out.connect(acceptor.local_endpoint());
                asio::write(out, asio::buffer(m_data.data(), bytes));
            } catch (const std::exception& error) {
                writerError = error.what();
            }
        });
        tcp::socket in = acceptor.accept();
        readAndCompare(in, m_data.data(), bytes);
        const double seconds = secondsSince(start);
        writer.join();
        if (!writerError.empty())
            fail("raw loopback copy: " + writerError);
        return seconds;
    }

    bool concurrentUploads(std::uint64_t each) {
        std::vector<Share> shares;
        for (unsigned i = 0; i < m_options.uploads; ++i)
            shares.push_back(m_api->create(each));
        // Peak RSS from here on: writing 5 to clear_refs resets VmHWM (Linux ≥ 4.0).
        const long lifetimePeak = procStatusKiB(m_stack.relayPid(), "VmHWM");
        {
            std::ofstream clear("/proc/" + std::to_string(m_stack.relayPid()) + "/clear_refs");
            clear << "5";
        }
        std::atomic<bool> done{false};
        long sampledPeak = 0;
        std::thread sampler([&] {
            while (!done.load()) {
                sampledPeak = std::max(sampledPeak, procStatusKiB(m_stack.relayPid(), "VmRSS"));
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        });
        const auto start = Clock::now();
        std::vector<std::thread> uploaders;
        std::vector<std::string> errors(shares.size());
        for (std::size_t i = 0; i < shares.size(); ++i)
            uploaders.emplace_back([this, &shares, &errors, i, each] {
                try {
                    m_api->upload(shares[i], m_data.data(), each);
                } catch (const std::exception& error) {
                    errors[i] = error.what();
                }
            });
        for (std::thread& uploader : uploaders)
            uploader.join();
        const double seconds = secondsSince(start);
        done = true;
        sampler.join();
        for (const std::string& error : errors)
            if (!error.empty())
                fail("concurrent upload: " + error);
        const long peak = std::max(procStatusKiB(m_stack.relayPid(), "VmHWM"), sampledPeak);
        for (const Share& share : shares)
            m_api->remove(share);

        const double peakMiB = double(peak) / 1024;
        const bool ok = peak > 0 && peakMiB <= kRssTargetMiB;
        std::printf(
            "%u concurrent uploads of %.1f MiB: %.1f MB/s in all; relay peak RSS %.1f MiB   target <= %.0f "
            "MiB  ratio %.2f  %s\n",
            m_options.uploads, double(each) / (1 << 20), mbPerSecond(each * m_options.uploads, seconds),
            peakMiB, kRssTargetMiB, peakMiB / kRssTargetMiB, ok ? "ok" : "MISSED");
        std::printf("             (relay VmHWM over the whole run before this phase: %.1f MiB)\n",
                    double(lifetimePeak) / 1024);
        return ok;
    }

    Options m_options;
    ots::test::CephCluster m_ceph; ///< with --store s3; stopped after the relay (declared before it)
    RelayStack m_stack;
    std::optional<ShareApi> m_api;
    std::vector<std::uint8_t> m_data;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    parseArguments(argc, argv, "relay_bench", options, [&](const std::string& arg, const auto& value) {
        if (arg == "--mib")
            options.mib = std::stoull(value());
        else if (arg == "--seconds")
            options.seconds = std::stod(value());
        else if (arg == "--connections")
            options.connections = static_cast<unsigned>(std::stoul(value()));
        else if (arg == "--uploads")
            options.uploads = static_cast<unsigned>(std::stoul(value()));
        else if (arg == "--store") {
            const std::string store = value();
            if (store != "local" && store != "s3")
                fail("--store must be local or s3");
            options.s3 = store == "s3";
        } else
            return false;
        return true;
    });
    if (options.mib < 4 || options.connections == 0 || options.uploads == 0 || options.seconds <= 0)
        fail("--mib must be at least 4; --connections, --uploads and --seconds above 0");
    return options;
}

} // namespace

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv); // CephCluster's QProcess children
    return benchMain("relay_bench", nullptr, [&] {
        Bench bench(parseOptions(argc, argv));
        return bench.run();
    });
}
