#pragma once

// The relay's test clock from a test's side: a relay started with test-clock = true (arguments())
// takes Redis' time plus the milliseconds in {ots}:test:clock-offset as now, so an expiry test advances
// that offset instead of sleeping. Constructing one sets the offset to 0; destroying it removes the key
// (relays on the same Redis without the test clock never read it). The key always carries a TTL.

#include "RelayProcess.h"

#include <QString>
#include <QStringList>

namespace ots::relaytest {

class TestClock {
public:
    static constexpr const char* kOffsetKey = "{ots}:test:clock-offset";

    explicit TestClock(quint16 redisPort)
        : m_port(redisPort) {
        write();
    }
    ~TestClock() { redisCli(m_port, {QStringLiteral("DEL"), QString::fromLatin1(kOffsetKey)}); }
    TestClock(const TestClock&) = delete;
    TestClock& operator=(const TestClock&) = delete;

    /// What a relay needs on its command line to follow this clock.
    [[nodiscard]] static QStringList arguments() {
        return {QStringLiteral("--test-clock"), QStringLiteral("true")};
    }

    /// Moves every test-clock relay's now on by this many seconds.
    void advance(qint64 seconds) {
        m_offsetMs += seconds * 1000;
        write();
    }

private:
    void write() const {
        redisCli(m_port, {QStringLiteral("SET"), QString::fromLatin1(kOffsetKey), QString::number(m_offsetMs),
                          QStringLiteral("EX"), QString::number(kTtlSeconds)});
    }

    static constexpr qint64 kTtlSeconds = 24 * 3600;
    quint16 m_port;
    qint64 m_offsetMs = 0;
};

} // namespace ots::relaytest
