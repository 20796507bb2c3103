// SystemdNotify: the sd_notify datagram without libsystemd. A test socket stands in for systemd's,
// both as a path and in the abstract namespace ('@'), and receives exactly the state sent.

#include "SystemdNotify.h"

#include <QTemporaryDir>
#include <QTest>

#include <array>
#include <cstddef>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using ots::relay::SystemdNotify;

namespace {

/// A datagram socket bound like systemd's notification socket.
class NotifySocket {
public:
    explicit NotifySocket(const std::string& name) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        std::memcpy(static_cast<void*>(address.sun_path), name.data(), name.size());
        if (name.front() == '@')
            address.sun_path[0] = '\0';
        const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size());
        m_bound =
            m_fd >= 0 && ::bind(m_fd, reinterpret_cast<const sockaddr*>(&address), length) == 0; // NOLINT
    }
    NotifySocket(const NotifySocket&) = delete;
    NotifySocket& operator=(const NotifySocket&) = delete;
    ~NotifySocket() {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    [[nodiscard]] bool bound() const { return m_bound; }
    /// The next datagram, or "" when none arrives.
    [[nodiscard]] std::string receive() const {
        std::array<char, 512> buffer{};
        const ssize_t received = ::recv(m_fd, buffer.data(), buffer.size(), MSG_DONTWAIT);
        return received < 0 ? std::string() : std::string(buffer.data(), static_cast<std::size_t>(received));
    }

private:
    int m_fd = -1;
    bool m_bound = false;
};

} // namespace

class TestSystemdNotify : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pathSocketReceivesTheState() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const std::string path = dir.filePath(QStringLiteral("notify")).toStdString();
        const NotifySocket socket(path);
        QVERIFY(socket.bound());
        const auto sent = SystemdNotify::notify("READY=1\nSTATUS=serving", path);
        QVERIFY(sent.ok());
        QVERIFY(*sent);
        QCOMPARE(socket.receive(), std::string("READY=1\nSTATUS=serving"));
    }

    void abstractSocketReceivesTheState() {
        const std::string name = "@ots-test-notify-" + std::to_string(::getpid());
        const NotifySocket socket(name);
        QVERIFY(socket.bound());
        const auto sent = SystemdNotify::notify("STOPPING=1", name);
        QVERIFY(sent.ok());
        QCOMPARE(socket.receive(), std::string("STOPPING=1"));
    }

    void environmentNamesTheSocket() {
        QTemporaryDir dir;
        const std::string path = dir.filePath(QStringLiteral("env-notify")).toStdString();
        const NotifySocket socket(path);
        QVERIFY(socket.bound());
        qputenv("NOTIFY_SOCKET", QByteArray::fromStdString(path));
        const auto sent = SystemdNotify::notify("READY=1");
        qunsetenv("NOTIFY_SOCKET");
        QVERIFY(sent.ok());
        QVERIFY(*sent);
        QCOMPARE(socket.receive(), std::string("READY=1"));
    }

    void withoutSystemdNothingIsSent() {
        qunsetenv("NOTIFY_SOCKET");
        const auto sent = SystemdNotify::notify("READY=1");
        QVERIFY(sent.ok());
        QVERIFY(!*sent);
    }

    void badAddressesFail() {
        QVERIFY(!SystemdNotify::notify("READY=1", "relative/socket").ok());
        QVERIFY(!SystemdNotify::notify("READY=1", "/" + std::string(200, 'x')).ok());
        QTemporaryDir dir;
        // Nobody listens there: the send fails and says so.
        const auto missing =
            SystemdNotify::notify("READY=1", dir.filePath(QStringLiteral("none")).toStdString());
        QVERIFY(!missing.ok());
        QVERIFY(!missing.error().detail.empty());
    }
};

QTEST_GUILESS_MAIN(TestSystemdNotify)
#include "tst_systemd_notify.moc"
