#include "LeaseRegistry.h"

#include "ShareStore.h"

#include <sodium.h>

#include <array>
#include <cstdint>

namespace ots::relay {

LeaseRegistry::LeaseRegistry()
    : m_incarnation([] {
        std::array<std::uint8_t, 8> random{};
        randombytes_buf(random.data(), random.size());
        return toHex(random);
    }()) {}

LeaseRegistry& LeaseRegistry::instance() {
    static LeaseRegistry registry;
    return registry;
}

std::string LeaseRegistry::ownPrefix(const Config& config) const {
    return leaseOwnerPrefix(config) + m_incarnation + "-";
}

std::string LeaseRegistry::start(const Config& config) {
    std::array<std::uint8_t, 16> random{};
    randombytes_buf(random.data(), random.size());
    std::string value = ownPrefix(config) + toHex(random);
    std::lock_guard lock(m_mutex);
    m_running.insert(value);
    return value;
}

void LeaseRegistry::ended(const std::string& value) {
    std::lock_guard lock(m_mutex);
    m_running.erase(value);
}

void LeaseRegistry::abandoned(std::string id, const std::string& value) {
    std::lock_guard lock(m_mutex);
    m_running.erase(value);
    m_abandoned.emplace_back(std::move(id), value);
}

bool LeaseRegistry::isStale(std::string_view value, const Config& config) const {
    if (!value.starts_with(ownPrefix(config)))
        return false;
    std::lock_guard lock(m_mutex);
    return !m_running.contains(value);
}

std::vector<std::pair<std::string, std::string>> LeaseRegistry::takeAbandoned() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_abandoned, {});
}

void LeaseRegistry::keepAbandoned(std::vector<std::pair<std::string, std::string>> leases) {
    std::lock_guard lock(m_mutex);
    for (auto& lease : leases)
        m_abandoned.push_back(std::move(lease));
}

std::size_t LeaseRegistry::runningCount() const {
    std::lock_guard lock(m_mutex);
    return m_running.size();
}

} // namespace ots::relay
