// ots-relay: the OneTimeShare relay. Loads the configuration, runs the cryptographic self-tests,
// sweeps what a previous run left behind, then serves until SIGTERM/SIGINT and drains.
// Exit codes (also in --help): 0 clean stop, 1 start-up failure, 2 invalid configuration.
// `ots-relay admin …` runs the operator's tools instead (AdminCommand) and exits.

#include "AdminCommand.h"
#include "Api.h"
#include "BlobStoreFactory.h"
#include "ConfigLoader.h"
#include "HttpServer.h"
#include "Log.h"
#include "Metrics.h"
#include "RedisAudit.h"
#include "RedisConnection.h"
#include "Sweeper.h"
#include "SystemdNotify.h"
#include "WorkerPool.h"
#include "ots/Crypto.h"
#include "ots/Error.h"

#include <charconv>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <mutex>
#include <stop_token>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

extern char** environ;

#ifndef OTS_RELAY_VERSION
#define OTS_RELAY_VERSION "unknown"
#endif

namespace {

using namespace ots::relay;

std::map<std::string, std::string> processEnvironment() {
    std::map<std::string, std::string> environment;
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
        const std::string_view text(*entry);
        const std::size_t equals = text.find('=');
        if (equals != std::string_view::npos)
            environment.emplace(std::string(text.substr(0, equals)), std::string(text.substr(equals + 1)));
    }
    return environment;
}

int configError(const std::string& message) {
    std::cerr << "ots-relay: " << message << "\n(see ots-relay --help)\n";
    return ConfigLoader::kExitBadConfig;
}

/// Tells systemd about start-up and shutdown when it started us; a failure is logged, not fatal.
void notifySystemd(std::string_view state) {
    if (const auto sent = SystemdNotify::notify(state); !sent)
        Log::warn("cannot notify systemd", {{"error", sent.error().detail}});
}

/// Redis' maxmemory, for the Redis budget (Api::redisBudget). A Redis that refuses CONFIG (renamed in
/// a hardened set-up) leaves the last value: set redis-memory-budget there instead.
void refreshRedisMaxMemory(RedisConnection& redis, Api& api) {
    try {
        const ReplyPtr reply = redis.command({"CONFIG", "GET", "maxmemory"});
        const ReplyView view(reply.get());
        if (view.isArray() && view.size() == 2) {
            const std::string text(view[1].string());
            std::uint64_t bytes = 0;
            const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), bytes);
            if (error == std::errc{} && end == text.data() + text.size())
                api.setRedisMaxMemory(bytes);
        }
    } catch (const RedisError&) {
        // Down, or CONFIG refused: the next pass tries again.
    }
}

/// The sweeper's own thread with its own Redis connection, so sweeping never waits for (or delays)
/// request work. If Redis was down at start-up, the start-up scan runs as soon as it answers.
void runSweeper(const std::stop_token& stop, const Config& config, Sweeper& sweeper, Api& api,
                bool startupScanDone) {
    RedisConnection redis(config);
    std::mutex mutex;
    std::condition_variable_any wake;
    while (!stop.stop_requested()) {
        try {
            if (!startupScanDone && redis.ping()) {
                sweeper.startupScan(redis);
                startupScanDone = true;
                Log::info("start-up scan done");
            }
            if (startupScanDone) {
                refreshRedisMaxMemory(redis, api);
                sweeper.sweepOnce(redis);
            }
        } catch (const std::exception& e) {
            Log::error("sweep failed", {{"error", e.what()}});
        }
        std::unique_lock lock(mutex);
        wake.wait_for(lock, stop, config.sweepInterval, [] { return false; });
    }
}

int run(const Config& config) {
    if (const ots::Status crypto = ots::initialize(); !crypto) {
        Log::error("cryptographic self-test failed, refusing to start",
                   {{"error", ots::describe(crypto.error())}});
        return ConfigLoader::kExitFailure;
    }

    auto made = makeBlobStore(config);
    if (!made) {
        Log::error("cannot prepare the blob store", {{"error", made.error().detail}});
        return ConfigLoader::kExitFailure;
    }
    const std::unique_ptr<BlobStore> blobs = std::move(*made);
    Metrics metrics;
    Api api(config, *blobs, metrics);
    Sweeper sweeper(config, *blobs, metrics);

    WorkerPool workers(config);
    HttpServer server(config, api, metrics, workers);
    // Bind first: a second relay started by mistake on a taken port must stop before it touches
    // Redis or the data folder.
    if (const ots::Status opened = server.open(); !opened) {
        Log::error("cannot start", {{"error", opened.error().detail}});
        std::cerr << "ots-relay: " << opened.error().detail << '\n';
        return ConfigLoader::kExitFailure;
    }

    // What --check-config says about Redis, in the log: a wrong password is an error an operator
    // must fix, but the relay keeps serving 503 rather than exiting, as for a Redis that is down.
    if (auto audit = RedisAudit::audit(config); !audit) {
        Log::error("cannot log in to Redis; serving 503 until it accepts the relay",
                   {{"error", audit.error().detail}});
    } else {
        for (const std::string& reached : audit->reached)
            Log::info(reached);
        for (const std::string& warning : audit->warnings)
            Log::warn(warning);
    }

    // Before serving: remove partial files of shares that are gone and release the upload leases
    // our previous run held, so interrupted uploads can resume right away.
    bool startupScanDone = false;
    {
        RedisConnection redis(config);
        if (redis.ping()) {
            refreshRedisMaxMemory(redis, api);
            sweeper.startupScan(redis);
            startupScanDone = true;
        } else {
            Log::warn("Redis does not answer; serving 503 until it does", {{"redis", redis.describe()}});
        }
    }

    const auto endpoint = server.localEndpoint();
    const std::string address = endpoint.address().to_string();
    Log::info("ots-relay started", {{"version", OTS_RELAY_VERSION},
                                    {"listen", (endpoint.address().is_v6() ? "[" + address + "]" : address) +
                                                   ":" + std::to_string(endpoint.port())},
                                    {"tls", server.tlsEnabled()},
                                    {"data_dir", config.dataDirectory.string()},
                                    {"redis", config.redisSentinels.empty()
                                                  ? addressText({config.redisHost, config.redisPort})
                                                  : "master " + config.redisMasterName + " via sentinels " +
                                                        ConfigLoader::formatSentinels(config.redisSentinels)},
                                    {"redis_wait_replicas", redisWaitReplicasCount(config)},
                                    {"redis_connections", config.redisConnections},
                                    {"trusted_proxies", config.trustedProxies.size()},
                                    {"upload_tokens", !config.uploadTokens.empty()},
                                    {"open_relay", config.openRelay},
                                    {"test_clock", config.testClock}});
    for (const std::string& warning : ConfigLoader::warnings(config))
        Log::warn(warning);

    std::jthread sweeperThread(
        [&](const std::stop_token& stop) { runSweeper(stop, config, sweeper, api, startupScanDone); });
    // Under systemd (Type=notify) the unit counts as started only now that the socket listens.
    // STOPPING=1 as the drain begins, so systemd waits for it (TimeoutStopSec) rather than for a
    // process it believes is still serving.
    server.setDrainCallback([] { notifySystemd("STOPPING=1\nSTATUS=draining"); });
    notifySystemd("READY=1\nSTATUS=serving");
    server.run();
    // The workers finish what is queued before the server (and the io_contexts their results are
    // posted to) goes away.
    workers.stop();
    sweeperThread.request_stop();
    sweeperThread.join();
    Log::info("ots-relay stopped");
    return ConfigLoader::kExitOk;
}

} // namespace

int main(int argc, char** argv) {
    // A peer that closes mid-write must cost an error code, not the process.
    std::signal(SIGPIPE, SIG_IGN);
    try {
        const std::vector<std::string> args(argv + 1, argv + argc);
        if (!args.empty() && args.front() == "admin")
            return AdminCommand::run({args.begin() + 1, args.end()}, processEnvironment(), std::cout,
                                     std::cerr);
        auto loaded = ConfigLoader::load(args, processEnvironment());
        if (!loaded)
            return configError(loaded.error().detail);
        if (loaded->action == ConfigAction::Help) {
            std::cout << ConfigLoader::helpText();
            return ConfigLoader::kExitOk;
        }
        if (loaded->action == ConfigAction::Version) {
            std::cout << "ots-relay " << OTS_RELAY_VERSION << '\n';
            return ConfigLoader::kExitOk;
        }
        const Config& config = loaded->config;
        if (const ots::Status valid = ConfigLoader::validate(config); !valid)
            return configError(valid.error().detail);
        if (!config.tlsCertificate.empty()) {
            if (auto tls = HttpServer::makeTlsContext(config); !tls)
                return configError(tls.error().detail);
        }
        if (loaded->action == ConfigAction::CheckConfig) {
            auto redisFindings = RedisAudit::audit(config);
            if (!redisFindings)
                return configError(redisFindings.error().detail);
            if (const std::string store = checkBlobStore(config); !store.empty())
                return configError(store);
            std::cout << ConfigLoader::describe(config);
            for (const std::string& reached : redisFindings->reached)
                std::cout << "# " << reached << '\n';
            std::cout << "# configuration OK\n";
            std::vector<std::string> warnings = ConfigLoader::warnings(config);
            warnings.insert(warnings.end(), redisFindings->warnings.begin(), redisFindings->warnings.end());
            for (const std::string& warning : warnings)
                std::cerr << "ots-relay: warning: " << warning << '\n';
            return ConfigLoader::kExitOk;
        }
        if (const auto level = Log::parseLevel(config.logLevel))
            Log::setLevel(*level);
        return run(config);
    } catch (const std::exception& e) {
        Log::error("fatal error", {{"error", e.what()}});
        return ConfigLoader::kExitFailure;
    }
}
