#pragma once

// Which upload leases this relay process is using right now (SPEC §10.13).

#include "Config.h"

#include <cstddef>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ots::relay {

/// The upload leases (`ots:{id}:lease`, SPEC §10.13 §10.2) this relay process holds. Every lease value
/// it writes is `leaseOwnerPrefix + INCARNATION + "-" + random hex`, INCARNATION drawn once per process.
/// A lease is "running" from before its begin script until its end script has answered (or failed), so
/// a lease in Redis that carries this incarnation but is not running here belongs to an append or
/// complete whose end never reached Redis (Redis failed or was killed): it is stale, and this process
/// takes it over at once instead of refusing the owner's resume for the lease's hour. Leases whose
/// release failed are also queued for the sweeper, which deletes them (compare-and-delete) as soon as
/// Redis answers again, so that other relays sharing the Redis can resume the upload too. A lease of
/// another incarnation is never taken over here: another live relay may be streaming into it.
class LeaseRegistry {
public:
    [[nodiscard]] static LeaseRegistry& instance();

    /// A fresh lease value for this process, registered as running.
    [[nodiscard]] std::string start(const Config& config);
    /// Its end script answered: the lease is released in Redis (or was taken over), no longer running.
    void ended(const std::string& value);
    /// Its end script failed: no longer running, and to be deleted from Redis by the sweeper.
    void abandoned(std::string id, const std::string& value);
    /// A lease of this process (this incarnation) that no request of this process is using.
    [[nodiscard]] bool isStale(std::string_view value, const Config& config) const;
    /// Every value written by this incarnation starts with this.
    [[nodiscard]] std::string ownPrefix(const Config& config) const;
    /// The abandoned leases (id, value), handed over to the caller.
    [[nodiscard]] std::vector<std::pair<std::string, std::string>> takeAbandoned();
    /// Gives back what takeAbandoned() handed out and could not be released.
    void keepAbandoned(std::vector<std::pair<std::string, std::string>> leases);
    [[nodiscard]] std::size_t runningCount() const;

private:
    LeaseRegistry();
    const std::string m_incarnation;
    mutable std::mutex m_mutex;
    std::set<std::string, std::less<>> m_running;
    std::vector<std::pair<std::string, std::string>> m_abandoned;
};

} // namespace ots::relay
