// soak_bench: a bounded soak of ots-relay with mixed traffic. It starts its own redis-server and this
// build's ots-relay (free loopback ports, a temporary folder; --sweep-interval 1s, --min-expiry 3s,
// generous rate limits) and runs --workers threads (6) for --minutes M (15) over 127.0.0.1. Each
// worker, again and again:
//   - creates a share of a random v1 stream size between 1 KiB and 4 MiB (log-uniform; the smallest
//     v1 stream is 4,225 bytes) of random bytes with maxDownloads 1–3, uploads it — 5 % of uploads are
//     cut mid-body by closing the socket and resumed from the offset HEAD reports — and completes it;
//   - downloads it until the relay refuses a further reservation (so one attempt beyond the limit),
//     in a quarter of the shares with a second thread racing for the same reservations; 5 % of the
//     downloads are cut mid-body and resumed with Range on the same ticket; each one is hashed
//     (BLAKE2b) against the bytes sent, finished, and its ticket tried once more after finish;
//   - one iteration in ten instead creates a share with the shortest allowed expiry that nobody
//     downloads: its blob must be gone from the data folder within 10 s of its expiry.
// Per share it tracks the content hash, the tickets granted and the downloads finished. At the end:
// shares created/completed/downloaded/expired, dropped connections, lost shares (completed and live
// but not downloadable, or bytes that differ) and double-served shares (more tickets or finished
// downloads than maxDownloads, or a finished ticket that still serves bytes) — both must be 0; the
// relay's RSS and open descriptors after a warm-up (10 % of the run, 10–60 s) and at the end, both
// taken with the traffic paused, growth as a ratio next to its limit (see kRssSlack and kFdSlack);
// blobs or partial uploads left in the data folder after a final sweep (must be 0). Built, not run
// by ctest:
//
//   build/tests/bench/soak_bench [--minutes M] [--workers W] [--relay PATH] [--dir DIR] [--relay-arg ARG]...
//
// Exit status 1 if a limit is missed, 2 if the run could not be made. A watchdog kills the relay
// (by its PID) if the run is more than two minutes past its planned end, so the soak always ends.

#include "RelayBenchKit.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace ots::bench;

namespace {

/// Growth allowed between the start and end samples, both taken with no traffic running. RSS: the
/// relay's allocator (glibc malloc, one arena per thread) keeps freed memory for reuse, and which
/// pieces of its arenas stay touched depends on the last mix of transfers, so a quarter of the
/// start figure plus 8 MiB is noise; a leak of 100 bytes a request would pass that within a
/// 15-minute soak (several hundred thousand requests). Descriptors: the expiry checker may have one
/// request open and the sweeper a folder, so 8 more at the end is noise; a leaked descriptor per
/// share would be hundreds.
constexpr double kRssFactor = 1.25;
constexpr double kRssSlackMiB = 8;
constexpr long kFdSlack = 8;
constexpr int kSweepIntervalSeconds = 1;
constexpr int kMinExpirySeconds = 3;
/// An expired share's blob must be gone this long after its expiry (a few sweeps).
constexpr int kExpiryGraceSeconds = 10;
constexpr double kDropShare = 0.05;
constexpr double kRaceShare = 0.25;
constexpr double kExpiringShare = 0.10;
constexpr std::uint64_t kSmallestSize = 1024;
constexpr std::uint64_t kLargestSize = std::uint64_t{4} << 20;
/// Patience for a resumed upload to find the relay's lease of the cut append released.
constexpr auto kResumePatience = std::chrono::seconds(20);

struct Options : RelayOptions {
    double minutes = 15;
    unsigned workers = 6;
};

using Hash = std::array<std::uint8_t, crypto_generichash_BYTES>;

Hash hashOf(const std::vector<std::uint8_t>& bytes) {
    Hash hash{};
    crypto_generichash(hash.data(), hash.size(), bytes.data(), bytes.size(), nullptr, 0);
    return hash;
}

std::filesystem::path blobPath(const std::filesystem::path& dataDir, const std::string& id) {
    return dataDir / "blobs" / id.substr(0, 2) / id.substr(2, 2) / id;
}

std::int64_t unixNowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::int64_t unixNow() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

/// What a share went through; one per share, shared by the threads that race for it.
struct Record {
    Share share;
    unsigned maxDownloads = 1;
    Hash hash{};
    std::vector<std::uint8_t> data;
    std::atomic<unsigned> tickets{0};
    std::atomic<unsigned> finished{0};
    std::atomic<unsigned> badDownloads{0}; ///< failed, or bytes that differ
    std::atomic<unsigned> staleServed{0};  ///< a finished ticket that still served content
    std::mutex problemMutex;
    std::string problem;

    void note(const std::string& what) {
        const std::lock_guard lock(problemMutex);
        if (problem.empty())
            problem = what;
    }
};

struct Counters {
    std::atomic<std::uint64_t> created{0};
    std::atomic<std::uint64_t> completed{0};
    std::atomic<std::uint64_t> downloaded{0}; ///< shares whose every allowed download finished
    std::atomic<std::uint64_t> downloads{0};  ///< downloads finished
    std::atomic<std::uint64_t> refusedBeyond{0};
    std::atomic<std::uint64_t> races{0};
    std::atomic<std::uint64_t> expiringCreated{0};
    std::atomic<std::uint64_t> expired{0};
    std::atomic<std::uint64_t> notExpired{0};
    std::atomic<std::uint64_t> latestExpiryMs{0}; ///< the longest an expired blob was seen after its expiry
    std::atomic<std::uint64_t> droppedUploads{0};
    std::atomic<std::uint64_t> droppedDownloads{0};
    std::atomic<std::uint64_t> lost{0};
    std::atomic<std::uint64_t> doubleServed{0};
    std::atomic<std::uint64_t> errors{0};
    std::atomic<std::uint64_t> bytesUp{0};
    std::atomic<std::uint64_t> bytesDown{0};
    std::mutex messageMutex;
    std::vector<std::string> messages; ///< the first few problems, for the report

    void report(const std::string& what) {
        const std::lock_guard lock(messageMutex);
        if (messages.size() < 10)
            messages.push_back(what);
    }
};

/// An expiring share waiting for its blob to go.
struct Expiring {
    std::string id;
    std::int64_t expiresAt = 0;
};

class Soak {
public:
    Soak(Options options, RelayStack& stack)
        : m_options(std::move(options))
        , m_stack(stack) {}

    int run() {
        std::vector<std::string> relayArgs{"--sweep-interval", std::to_string(kSweepIntervalSeconds) + "s",
                                           "--min-expiry",     std::to_string(kMinExpirySeconds) + "s",
                                           "--log-level",      "warn"};
        relayArgs.insert(relayArgs.end(), m_options.relayArgs.begin(), m_options.relayArgs.end());
        m_stack.start(m_options.relay, m_options.dir, "soak_bench", relayArgs);
        m_api.emplace(m_stack.endpoint());
        const pid_t relay = m_stack.relayPid();
        const double total = m_options.minutes * 60;
        const double warmUp = std::clamp(total / 10, 10.0, 60.0);
        const auto plannedEnd =
            Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(total));
        std::printf(
            "soak_bench: %u cores, %s, %u workers, %.1f min (%.0f s warm-up), sweep %d s, min expiry %d s\n",
            std::thread::hardware_concurrency(), m_options.relay.c_str(), m_options.workers,
            m_options.minutes, warmUp, kSweepIntervalSeconds, kMinExpirySeconds);
        std::fflush(stdout);

        std::thread watchdog([this, relay, plannedEnd] {
            std::unique_lock lock(m_doneMutex);
            if (!m_doneSignal.wait_until(lock, plannedEnd + std::chrono::minutes(2),
                                         [this] { return m_done; })) {
                std::fprintf(stderr,
                             "soak_bench: still running two minutes after the planned end; killing "
                             "the relay (pid %d)\n",
                             relay);
                ::kill(relay, SIGKILL);
            }
        });
        std::thread checker([this] { checkExpiries(); });
        const auto finish = [&] {
            {
                const std::lock_guard lock(m_doneMutex);
                m_done = true;
            }
            m_doneSignal.notify_all();
            checker.join();
            watchdog.join();
        };

        int status = 2;
        try {
            status = soak(relay, warmUp, total);
        } catch (...) {
            finish();
            throw;
        }
        finish();
        return status;
    }

private:
    int soak(pid_t relay, double warmUp, double total) {
        runWorkers(warmUp);
        const long rssStart = quietFigure(relay, "VmRSS");
        const long fdStart = openFileDescriptors(relay);
        const std::uint64_t requestsAtStart = requestCount();
        std::printf(
            "after the %.0f s warm-up: relay VmRSS %.1f MiB, %ld open descriptors; %llu shares so far\n",
            warmUp, double(rssStart) / 1024, fdStart,
            static_cast<unsigned long long>(m_counters.created.load()));
        std::fflush(stdout);

        const auto mainStart = Clock::now();
        runWorkers(total - warmUp);
        const double mainSeconds = secondsSince(mainStart);
        // Every expiring share is checked (or has failed its check) before the end figures.
        const auto expiryWait = Clock::now();
        waitForExpiries();
        std::printf(
            "waited %.1f s for the last expiring shares; the latest blob went %.1f s after its expiry\n",
            secondsSince(expiryWait), double(m_counters.latestExpiryMs.load()) / 1000);
        const long rssEnd = quietFigure(relay, "VmRSS");
        const long fdEnd = openFileDescriptors(relay);
        const long peak = procStatusKiB(relay, "VmHWM");
        const std::uint64_t requests = requestCount() - requestsAtStart;
        // The final sweep: anything the relay should delete is gone after two more passes.
        std::this_thread::sleep_for(std::chrono::seconds(2 * kSweepIntervalSeconds + 1));
        const std::vector<std::string> leftovers = filesIn(m_stack.dataDir());
        if (!m_stack.relayRunning())
            fail("ots-relay exited during the soak");

        const Counters& c = m_counters;
        const auto n = [](const std::atomic<std::uint64_t>& value) {
            return static_cast<unsigned long long>(value.load());
        };
        std::printf("\nshares created %llu (+%llu expiring), completed %llu, downloaded %llu (%llu downloads "
                    "finished, %llu races for one share), expired %llu\n",
                    n(c.created), n(c.expiringCreated), n(c.completed), n(c.downloaded), n(c.downloads),
                    n(c.races), n(c.expired));
        std::printf("reservations refused beyond the limit %llu; dropped connections %llu (uploads %llu, "
                    "downloads %llu); %.1f MB up, %.1f MB down; %llu requests in the measured %.0f s\n",
                    n(c.refusedBeyond), n(c.droppedUploads) + n(c.droppedDownloads), n(c.droppedUploads),
                    n(c.droppedDownloads), double(c.bytesUp) / 1e6, double(c.bytesDown) / 1e6,
                    static_cast<unsigned long long>(requests), mainSeconds);
        for (const std::string& message : m_counters.messages)
            std::printf("  problem: %s\n", message.c_str());

        bool ok = true;
        const auto line = [&ok](const char* what, const std::string& value, const std::string& limit,
                                double ratio, bool met) {
            std::printf("%-44s %14s  %16s  %6.2f  %s\n", what, value.c_str(), limit.c_str(), ratio,
                        met ? "ok" : "MISSED");
            ok &= met;
        };
        std::printf("\n%-44s %14s  %16s  %6s\n", "figure", "value", "limit", "ratio");
        line("lost shares", std::to_string(c.lost), "0", 0, c.lost == 0);
        line("double-served shares", std::to_string(c.doubleServed), "0", 0, c.doubleServed == 0);
        line("expired shares whose blob stayed", std::to_string(c.notExpired), "0", 0, c.notExpired == 0);
        line("unexpected errors", std::to_string(c.errors), "0", 0, c.errors == 0);
        line("shares downloaded / expired (traffic ran)",
             std::to_string(c.downloaded) + " / " + std::to_string(c.expired), ">= 1 / >= 1", 0,
             c.downloaded > 0 && c.expired > 0);
        const double rssLimit = kRssFactor * double(rssStart) / 1024 + kRssSlackMiB;
        char value[64];
        char limit[64];
        std::snprintf(value, sizeof value, "%.1f MiB", double(rssEnd) / 1024);
        std::snprintf(limit, sizeof limit, "%.2fx%.1f+%.0f MiB", kRssFactor, double(rssStart) / 1024,
                      kRssSlackMiB);
        line("relay RSS at the end (start in the limit)", value, limit, double(rssEnd) / 1024 / rssLimit,
             rssStart > 0 && rssEnd > 0 && double(rssEnd) / 1024 <= rssLimit);
        std::printf("%-44s %14.2f  (growth %+.1f MiB, %+.2f KiB per 1,000 requests; peak VmHWM %.1f MiB)\n",
                    "  end / start", double(rssEnd) / double(rssStart), double(rssEnd - rssStart) / 1024,
                    requests ? double(rssEnd - rssStart) * 1000.0 / double(requests) : 0.0,
                    double(peak) / 1024);
        std::snprintf(value, sizeof value, "%ld fds", fdEnd);
        std::snprintf(limit, sizeof limit, "%ld+%ld fds", fdStart, kFdSlack);
        line("relay open descriptors at the end", value, limit, double(fdEnd) / double(fdStart + kFdSlack),
             fdStart > 0 && fdEnd >= 0 && fdEnd <= fdStart + kFdSlack);
        std::string orphans = std::to_string(leftovers.size());
        line("orphan blobs / partial uploads after sweep", orphans, "0", 0, leftovers.empty());
        for (std::size_t i = 0; i < leftovers.size() && i < 5; ++i)
            std::printf("  left: %s\n", leftovers[i].c_str());
        std::printf("soak_bench: %s\n", ok ? "all limits met" : "LIMIT MISSED");
        return ok ? 0 : 1;
    }

    void runWorkers(double seconds) {
        const auto until = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                              std::chrono::duration<double>(seconds));
        std::vector<std::thread> workers;
        for (unsigned i = 0; i < m_options.workers; ++i)
            workers.emplace_back([this, until] { work(until); });
        for (std::thread& worker : workers)
            worker.join();
    }

    /// A /proc figure of the relay once the traffic has stopped and in-flight work has settled.
    long quietFigure(pid_t relay, const char* field) const {
        std::this_thread::sleep_for(std::chrono::seconds(2));
        return procStatusKiB(relay, field);
    }

    /// Requests the relay counted (ots_http_requests_total summed over its labels); 0 if unreadable.
    std::uint64_t requestCount() const {
        std::uint64_t sum = 0;
        try {
            const std::string metrics = request(m_stack.endpoint(), http::verb::get, "/metrics").body;
            std::size_t at = 0;
            while ((at = metrics.find("\nots_http_requests_total{", at)) != std::string::npos) {
                const std::size_t space = metrics.find(' ', metrics.find('}', at));
                sum += std::strtoull(metrics.c_str() + space + 1, nullptr, 10);
                at = space;
            }
        } catch (const std::exception&) {
        }
        return sum;
    }

    static std::vector<std::string> filesIn(const std::filesystem::path& dataDir) {
        std::vector<std::string> files;
        for (const char* folder : {"blobs", "uploads"}) {
            std::error_code error;
            for (std::filesystem::recursive_directory_iterator it(dataDir / folder, error), end;
                 !error && it != end; it.increment(error))
                if (it->is_regular_file(error))
                    files.push_back(it->path().lexically_relative(dataDir).string());
        }
        return files;
    }

    // One worker ---------------------------------------------------------------------------------

    void work(Clock::time_point until) {
        std::mt19937_64 random(randombytes_random() | (std::uint64_t(randombytes_random()) << 32));
        std::uniform_real_distribution<double> chance(0, 1);
        while (Clock::now() < until && m_stack.relayRunning()) {
            try {
                if (chance(random) < kExpiringShare)
                    expiringShare(random);
                else
                    fullShare(random);
            } catch (const std::exception& error) {
                ++m_counters.errors;
                m_counters.report(error.what());
            }
        }
    }

    static std::uint64_t randomSize(std::mt19937_64& random, std::uint64_t smallest, std::uint64_t largest) {
        std::uniform_real_distribution<double> logSize(std::log(double(smallest)), std::log(double(largest)));
        const auto target = static_cast<std::uint64_t>(std::exp(logSize(random)));
        return streamSizeAtMost(std::max(target, ots::StreamEncryptor::ciphertextSize(0)));
    }

    static std::vector<std::uint8_t> randomBytes(std::uint64_t size) {
        std::vector<std::uint8_t> data(size);
        randombytes_buf(data.data(), data.size());
        return data;
    }

    void fullShare(std::mt19937_64& random) {
        std::uniform_real_distribution<double> chance(0, 1);
        auto record = std::make_shared<Record>();
        record->maxDownloads = std::uniform_int_distribution<unsigned>(1, 3)(random);
        record->data = randomBytes(randomSize(random, kSmallestSize, kLargestSize));
        record->hash = hashOf(record->data);
        record->share = m_api->create(record->data.size(), 3600, record->maxDownloads);
        ++m_counters.created;
        upload(record->share, record->data, chance(random) < kDropShare, random);
        m_api->complete(record->share);
        ++m_counters.completed;

        // From here the share is live and complete: any failure to serve it is a lost share.
        const bool race = chance(random) < kRaceShare;
        const std::uint64_t seed = random();
        std::thread rival;
        if (race) {
            ++m_counters.races;
            rival = std::thread([this, record, seed] { consume(*record, seed ^ 0x5bd1e995); });
        }
        consume(*record, seed);
        if (rival.joinable())
            rival.join();
        judge(*record);
    }

    /// Reservations and downloads until the relay refuses a reservation.
    void consume(Record& record, std::uint64_t seed) {
        std::mt19937_64 random(seed);
        std::uniform_real_distribution<double> chance(0, 1);
        try {
            while (true) {
                const std::optional<std::string> ticket = m_api->tryReserve(record.share, {410});
                if (!ticket) {
                    ++m_counters.refusedBeyond;
                    return;
                }
                ++record.tickets;
                if (!download(record, *ticket, chance(random) < kDropShare, random)) {
                    ++record.badDownloads;
                    continue;
                }
                const Reply finished = request(m_stack.endpoint(), http::verb::post,
                                               "/api/v1/shares/" + record.share.id + "/finish", {}, *ticket);
                if (finished.status != 200) {
                    record.note("finish: HTTP " + std::to_string(finished.status) + " " + finished.body);
                    ++record.badDownloads;
                    continue;
                }
                ++record.finished;
                ++m_counters.downloads;
                // A finished ticket must not serve the content again.
                const ResponseHead again = fetchHead(record.share, *ticket);
                if (again.status == 200 || again.status == 206) {
                    ++record.staleServed;
                    record.note("a finished ticket served HTTP " + std::to_string(again.status));
                }
            }
        } catch (const std::exception& error) {
            ++record.badDownloads;
            record.note(error.what());
        }
    }

    void judge(Record& record) {
        const unsigned tickets = record.tickets.load();
        const unsigned finished = record.finished.load();
        if (tickets > record.maxDownloads || finished > record.maxDownloads || record.staleServed > 0) {
            ++m_counters.doubleServed;
            m_counters.report("double-served " + record.share.id + ": " + std::to_string(tickets) +
                              " tickets, " + std::to_string(finished) + " finished, maxDownloads " +
                              std::to_string(record.maxDownloads) + (record.problem.empty() ? "" : "; ") +
                              record.problem);
        } else if (tickets < record.maxDownloads || finished < record.maxDownloads ||
                   record.badDownloads > 0) {
            ++m_counters.lost;
            m_counters.report("lost " + record.share.id + ": " + std::to_string(tickets) + " tickets, " +
                              std::to_string(finished) + " finished of " +
                              std::to_string(record.maxDownloads) + (record.problem.empty() ? "" : "; ") +
                              record.problem);
        } else {
            ++m_counters.downloaded;
            // Every allowed download finished: the share is gone and says why.
            const Reply info =
                request(m_stack.endpoint(), http::verb::get, "/api/v1/shares/" + record.share.id);
            if (info.status != 410 || info.body.find("downloaded") == std::string::npos) {
                ++m_counters.doubleServed;
                m_counters.report("fully downloaded " + record.share.id + " still answers HTTP " +
                                  std::to_string(info.status) + " " + info.body);
            }
        }
    }

    void expiringShare(std::mt19937_64& random) {
        const std::vector<std::uint8_t> data = randomBytes(randomSize(random, kSmallestSize, 256 << 10));
        const Share share = m_api->create(data.size(), kMinExpirySeconds, 1);
        ++m_counters.expiringCreated;
        upload(share, data, false, random);
        m_api->complete(share);
        if (!std::filesystem::exists(blobPath(m_stack.dataDir(), share.id)))
            fail("the blob of " + share.id + " is not at " + blobPath(m_stack.dataDir(), share.id).string());
        const std::lock_guard lock(m_expiringMutex);
        m_expiring.push_back({share.id, share.expiresAt});
        ++m_queued;
    }

    // Uploads and downloads, with drops -----------------------------------------------------------

    /// The whole body, in one PATCH, or (drop) in one cut short by closing the socket and then
    /// resumed from the offset HEAD reports.
    void upload(const Share& share, const std::vector<std::uint8_t>& data, bool drop,
                std::mt19937_64& random) {
        std::uint64_t offset = 0;
        if (drop) {
            const std::uint64_t cut =
                std::uniform_int_distribution<std::uint64_t>(1, data.size() - 1)(random);
            asio::io_context io;
            tcp::socket socket(io);
            socket.connect(m_stack.endpoint());
            const std::string head = ShareApi::uploadHead(share, 0, data.size());
            const std::array<asio::const_buffer, 2> wire{asio::buffer(head), asio::buffer(data.data(), cut)};
            asio::write(socket, wire);
            socket.close();
            ++m_counters.droppedUploads;
            m_counters.bytesUp += cut;
        }
        const auto deadline = Clock::now() + kResumePatience;
        while (true) {
            if (drop)
                offset = uploadOffset(share);
            const PatchResult result = patch(share, data, offset);
            if (result.status == 204)
                return;
            // The cut append may still hold its lease, or may have advanced the offset since HEAD.
            if (result.status != 409 || Clock::now() > deadline)
                fail("upload of " + share.id + " from " + std::to_string(offset) + ": HTTP " +
                     std::to_string(result.status) + " " + result.body);
            drop = true;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }

    std::uint64_t uploadOffset(const Share& share) const {
        asio::io_context io;
        tcp::socket socket(io);
        socket.connect(m_stack.endpoint());
        asio::write(socket, asio::buffer("HEAD /api/v1/shares/" + share.id +
                                         "/blob HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " +
                                         share.ownerToken + "\r\n\r\n"));
        const ResponseHead head = readResponseHead(socket);
        if (head.status != 204)
            fail("HEAD of " + share.id + ": HTTP " + std::to_string(head.status));
        return std::stoull(head.header("Upload-Offset"));
    }

    struct PatchResult {
        unsigned status = 0;
        std::string body;
    };

    PatchResult patch(const Share& share, const std::vector<std::uint8_t>& data, std::uint64_t offset) {
        asio::io_context io;
        tcp::socket socket(io);
        socket.connect(m_stack.endpoint());
        const std::uint64_t length = data.size() - offset;
        const std::string head = ShareApi::uploadHead(share, offset, length);
        const std::array<asio::const_buffer, 2> wire{asio::buffer(head),
                                                     asio::buffer(data.data() + offset, length)};
        beast::error_code writeError;
        asio::write(socket, wire, writeError); // a refusal may close the connection before the body is in
        beast::flat_buffer buffer;
        http::response<http::string_body> res;
        http::read(socket, buffer, res);
        if (res.result_int() == 204)
            m_counters.bytesUp += length;
        return {res.result_int(), res.body()};
    }

    /// The head of a GET of the content with ticket, without its body.
    ResponseHead fetchHead(const Share& share, const std::string& ticket) const {
        asio::io_context io;
        tcp::socket socket(io);
        socket.connect(m_stack.endpoint());
        asio::write(socket, asio::buffer(ShareApi::downloadHead(share, ticket)));
        return readResponseHead(socket);
    }

    /// The whole content with ticket, hashed; (drop) first a GET cut after a random part of the body,
    /// then the rest with Range. False (with a note) when anything is wrong.
    bool download(Record& record, const std::string& ticket, bool drop, std::mt19937_64& random) {
        const std::uint64_t size = record.share.size;
        std::vector<std::uint8_t> received;
        received.reserve(size);
        if (drop) {
            const std::uint64_t cut = std::uniform_int_distribution<std::uint64_t>(1, size - 1)(random);
            if (!receive(record, ticket, {}, 200, cut, received))
                return false;
            ++m_counters.droppedDownloads;
        }
        const std::string range = drop ? "bytes=" + std::to_string(received.size()) + "-" : std::string();
        if (!receive(record, ticket, range, drop ? 206 : 200, size - received.size(), received))
            return false;
        if (hashOf(received) != record.hash) {
            record.note("downloaded bytes of " + record.share.id + " differ from those uploaded");
            return false;
        }
        m_counters.bytesDown += size;
        return true;
    }

    /// One GET; appends `bytes` body bytes to out and closes (before the end of the body, when it is
    /// longer: a cut download).
    bool receive(Record& record, const std::string& ticket, const std::string& range, unsigned expected,
                 std::uint64_t bytes, std::vector<std::uint8_t>& out) {
        asio::io_context io;
        tcp::socket socket(io);
        socket.connect(m_stack.endpoint());
        asio::write(socket, asio::buffer(ShareApi::downloadHead(record.share, ticket, range)));
        const ResponseHead head = readResponseHead(socket);
        if (head.status != expected) {
            record.note("download of " + record.share.id + (range.empty() ? "" : " (" + range + ")") +
                        ": HTTP " + std::to_string(head.status) + ", expected " + std::to_string(expected));
            return false;
        }
        if (expected == 206) {
            const std::string want = "bytes " + range.substr(6) + std::to_string(record.share.size - 1) +
                                     "/" + std::to_string(record.share.size);
            if (head.header("Content-Range") != want) {
                record.note("Content-Range \"" + head.header("Content-Range") + "\", expected \"" + want +
                            "\"");
                return false;
            }
        }
        const std::size_t early = static_cast<std::size_t>(std::min<std::uint64_t>(head.rest.size(), bytes));
        out.insert(out.end(), head.rest.begin(), head.rest.begin() + static_cast<std::ptrdiff_t>(early));
        std::uint64_t remaining = bytes - early;
        std::vector<std::uint8_t> buffer(std::size_t{256} << 10);
        while (remaining > 0) {
            const std::size_t n = socket.read_some(asio::buffer(
                buffer.data(), static_cast<std::size_t>(std::min<std::uint64_t>(buffer.size(), remaining))));
            out.insert(out.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
            remaining -= n;
        }
        return true;
    }

    // Expiry ---------------------------------------------------------------------------------------

    /// Watches expiring shares: each blob must be gone within kExpiryGraceSeconds of its expiry, and
    /// the share must answer 410.
    void checkExpiries() {
        while (true) {
            {
                std::unique_lock lock(m_doneMutex);
                if (m_doneSignal.wait_for(lock, std::chrono::milliseconds(250), [this] { return m_done; }))
                    return;
            }
            std::vector<Expiring> due;
            {
                const std::lock_guard lock(m_expiringMutex);
                const std::int64_t now = unixNow();
                auto split = std::partition(m_expiring.begin(), m_expiring.end(),
                                            [now](const Expiring& e) { return e.expiresAt > now; });
                due.assign(split, m_expiring.end());
                m_expiring.erase(split, m_expiring.end());
            }
            for (const Expiring& share : due)
                checkExpired(share);
        }
    }

    void checkExpired(const Expiring& share) {
        const bool gone = !std::filesystem::exists(blobPath(m_stack.dataDir(), share.id)) &&
                          !std::filesystem::exists(m_stack.dataDir() / "uploads" / (share.id + ".part"));
        if (gone) {
            Reply info;
            try {
                info = request(m_stack.endpoint(), http::verb::get, "/api/v1/shares/" + share.id);
            } catch (const std::exception& error) {
                info.body = error.what();
            }
            if (info.status == 410 && info.body.find("expired") != std::string::npos) {
                ++m_counters.expired;
                const double late = double(unixNowMs()) / 1000 - double(share.expiresAt);
                std::uint64_t lateMs = static_cast<std::uint64_t>(std::max(0.0, late) * 1000);
                std::uint64_t seen = m_counters.latestExpiryMs.load();
                while (lateMs > seen && !m_counters.latestExpiryMs.compare_exchange_weak(seen, lateMs)) {
                }
            } else {
                ++m_counters.errors;
                m_counters.report("expired share " + share.id + " answers HTTP " +
                                  std::to_string(info.status) + " " + info.body);
            }
            ++m_checked;
            return;
        }
        if (unixNow() > share.expiresAt + kExpiryGraceSeconds) {
            ++m_counters.notExpired;
            m_counters.report("the blob of " + share.id + " is still there " +
                              std::to_string(unixNow() - share.expiresAt) + " s after its expiry");
            ++m_checked;
            return;
        }
        const std::lock_guard lock(m_expiringMutex);
        m_expiring.push_back(share); // not yet: look again on the next round
    }

    void waitForExpiries() {
        const auto deadline =
            Clock::now() + std::chrono::seconds(kMinExpirySeconds + kExpiryGraceSeconds + 5);
        while (Clock::now() < deadline && m_checked.load() < m_queued.load())
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const std::uint64_t unchecked = m_queued.load() - m_checked.load();
        if (unchecked > 0) {
            m_counters.notExpired += unchecked;
            m_counters.report(std::to_string(unchecked) + " expiring shares were never seen to go");
        }
    }

    Options m_options;
    RelayStack& m_stack;
    std::optional<ShareApi> m_api;
    Counters m_counters;
    std::mutex m_expiringMutex;
    std::vector<Expiring> m_expiring;
    std::atomic<std::uint64_t> m_queued{0};  ///< expiring shares handed to the checker
    std::atomic<std::uint64_t> m_checked{0}; ///< … and checked (gone, or failed the check)
    std::mutex m_doneMutex;
    std::condition_variable m_doneSignal;
    bool m_done = false;
};

Options parseOptions(int argc, char** argv) {
    Options options;
    parseArguments(argc, argv, "soak_bench", options, [&](const std::string& arg, const auto& value) {
        if (arg == "--minutes")
            options.minutes = std::stod(value());
        else if (arg == "--workers")
            options.workers = static_cast<unsigned>(std::stoul(value()));
        else
            return false;
        return true;
    });
    if (options.minutes < 0.5 || options.minutes > 24 * 60 || options.workers == 0 || options.workers > 64)
        fail("--minutes must be 0.5…1440 and --workers 1…64");
    return options;
}

} // namespace

int main(int argc, char** argv) {
    RelayStack stack;
    return benchMain("soak_bench", &stack, [&] {
        Soak soak(parseOptions(argc, argv), stack);
        return soak.run();
    });
}
