#include "SystemdNotify.h"

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace ots::relay {

namespace {

Error notifyError(std::string message) {
    return Error{Errc::IoWriteFailed, std::move(message)};
}

} // namespace

Result<bool> SystemdNotify::notify(std::string_view state) {
    const char* socketAddress = std::getenv("NOTIFY_SOCKET"); // NOLINT(concurrency-mt-unsafe): read-only use
    return notify(state, socketAddress == nullptr ? std::string_view{} : std::string_view{socketAddress});
}

Result<bool> SystemdNotify::notify(std::string_view state, std::string_view socketAddress) {
    if (socketAddress.empty())
        return false;
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    // An abstract name may use every byte of sun_path; a path needs room for its terminating NUL.
    const bool abstract = socketAddress.front() == '@';
    if (!abstract && socketAddress.front() != '/')
        return notifyError("NOTIFY_SOCKET is neither an absolute path nor an abstract name");
    if (socketAddress.size() > sizeof(address.sun_path) - (abstract ? 0 : 1))
        return notifyError("NOTIFY_SOCKET is too long");
    std::memcpy(static_cast<void*>(address.sun_path), socketAddress.data(), socketAddress.size());
    if (abstract)
        address.sun_path[0] = '\0';
    const auto length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + socketAddress.size());

    const int socket = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (socket < 0)
        return notifyError(std::string("cannot create the notification socket: ") + std::strerror(errno));
    const ssize_t sent = ::sendto(socket, state.data(), state.size(), MSG_NOSIGNAL,
                                  reinterpret_cast<const sockaddr*>(&address), // NOLINT: the sockets API
                                  length);
    const int sendErrno = errno;
    ::close(socket);
    if (sent < 0)
        return notifyError(std::string("cannot notify systemd: ") + std::strerror(sendErrno));
    if (static_cast<std::size_t>(sent) != state.size())
        return notifyError("the notification to systemd was cut short");
    return true;
}

} // namespace ots::relay
