#include "Terminal.h"

#include <QCoreApplication>
#include <QMetaObject>
#include <QSocketNotifier>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#if defined(Q_OS_UNIX)
#include <fcntl.h>
#include <termios.h>
#include <unistd.h>
#elif defined(Q_OS_WIN)
#include <io.h>
#include <windows.h>
#else
#error "Terminal.cpp needs a port for this platform (terminal, no-echo prompt, interrupt signals)"
#endif

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;
using client::Outcome;

namespace {

std::atomic<bool> g_interrupted{false};
std::function<void()>& interruptCallback() {
    static std::function<void()> callback;
    return callback;
}

void runInterruptCallback() {
    if (const auto& callback = interruptCallback())
        callback();
}

ClientError noTerminal() {
    return ClientError::make(
        ErrorKind::Usage, QStringLiteral("usage"),
        QStringLiteral("There is no terminal to ask for a password on. Pass the password "
                       "on a file descriptor with --password-fd N instead."));
}

ClientError cancelledPrompt() {
    return ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                             QStringLiteral("Cancelled at the password prompt."));
}

// Strips one trailing "\n" or "\r\n".
QString withoutLineEnd(std::string& line) {
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r'))
        line.pop_back();
    QString text = QString::fromStdString(line);
    std::fill(line.begin(), line.end(), '\0');
    return text;
}

} // namespace

#if defined(Q_OS_UNIX)

namespace {

int g_signalPipe[2] = {-1, -1};
QSocketNotifier* g_notifier = nullptr; // owned by the application object

extern "C" void onSignal(int /*signal*/) {
    g_interrupted.store(true);
    const int savedErrno = errno;
    if (g_signalPipe[1] >= 0) {
        const char byte = 1;
        [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
    }
    errno = savedErrno;
}

void installSignals(bool on) {
    struct sigaction action {};
    sigemptyset(&action.sa_mask);
    // No SA_RESTART: a read() blocked at the password prompt returns EINTR, so Ctrl-C ends it.
    action.sa_flags = 0;
    action.sa_handler = on ? onSignal : SIG_DFL;
    ::sigaction(SIGINT, &action, nullptr);
    ::sigaction(SIGTERM, &action, nullptr);
}

// Restores the terminal's settings when the prompt ends, however it ends.
class EchoOff {
public:
    explicit EchoOff(int fd)
        : m_fd(fd) {
        if (::tcgetattr(fd, &m_saved) != 0)
            return;
        termios quiet = m_saved;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        quiet.c_lflag |= ICANON;
        m_active = ::tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
    }
    ~EchoOff() {
        if (m_active)
            ::tcsetattr(m_fd, TCSAFLUSH, &m_saved);
    }
    EchoOff(const EchoOff&) = delete;
    EchoOff& operator=(const EchoOff&) = delete;

private:
    int m_fd;
    termios m_saved{};
    bool m_active = false;
};

// Reads up to a newline; false on EOF before any byte, on an error, or on an interrupt.
bool readLineFrom(int fd, std::string& line, bool stopOnInterrupt) {
    line.clear();
    for (;;) {
        char c = 0;
        const ssize_t got = ::read(fd, &c, 1);
        if (got < 0 && errno == EINTR) {
            if (stopOnInterrupt && g_interrupted.load())
                return false;
            continue;
        }
        if (got < 0)
            return false;
        if (got == 0)
            return !line.empty();
        if (c == '\n')
            return true;
        line.push_back(c);
        if (line.size() > 4096)
            return false;
    }
}

} // namespace

bool Terminal::isTerminal(Stream stream) {
    const int fd = stream == Stream::Input    ? STDIN_FILENO
                   : stream == Stream::Output ? STDOUT_FILENO
                                              : STDERR_FILENO;
    return ::isatty(fd) == 1;
}

bool Terminal::canPrompt() {
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return false;
    ::close(fd);
    return true;
}

Outcome<QString> Terminal::promptSecret(const QString& prompt) {
    const int fd = ::open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return noTerminal();
    const QByteArray promptBytes = prompt.toUtf8();
    std::string line;
    bool ok = false;
    {
        const EchoOff echoOff(fd);
        if (::write(fd, promptBytes.constData(), static_cast<size_t>(promptBytes.size())) >= 0)
            ok = readLineFrom(fd, line, true);
        [[maybe_unused]] const ssize_t newline = ::write(fd, "\n", 1); // the user's Enter was not echoed
    }
    ::close(fd);
    if (g_interrupted.load())
        return cancelledPrompt();
    if (!ok)
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("No password was entered."));
    return withoutLineEnd(line);
}

Outcome<QString> Terminal::readLine(int fd) {
    std::string line;
    if (!readLineFrom(fd, line, true)) {
        if (g_interrupted.load())
            return cancelledPrompt();
        return ClientError::make(
            ErrorKind::Usage, QStringLiteral("usage"),
            QStringLiteral("Could not read a line from file descriptor %1 (is it open?).").arg(fd));
    }
    return withoutLineEnd(line);
}

void Terminal::setInterruptHandler(std::function<void()> onInterrupt) {
    const bool on = static_cast<bool>(onInterrupt);
    interruptCallback() = std::move(onInterrupt);
    if (on && g_signalPipe[0] < 0 && ::pipe(g_signalPipe) == 0) {
        for (const int fd : g_signalPipe) {
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
        }
        g_notifier =
            new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, QCoreApplication::instance());
        QObject::connect(g_notifier, &QSocketNotifier::activated, g_notifier, [] {
            char buffer[16];
            while (::read(g_signalPipe[0], buffer, sizeof(buffer)) > 0) {
            }
            runInterruptCallback();
        });
    }
    installSignals(on);
}

#elif defined(Q_OS_WIN)

namespace {

BOOL WINAPI onConsoleControl(DWORD type) {
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT && type != CTRL_CLOSE_EVENT)
        return FALSE;
    g_interrupted.store(true);
    // The handler runs on a thread of its own: hand the work to the event loop.
    if (QCoreApplication* app = QCoreApplication::instance())
        QMetaObject::invokeMethod(
            app, [] { runInterruptCallback(); }, Qt::QueuedConnection);
    return TRUE;
}

} // namespace

bool Terminal::isTerminal(Stream stream) {
    const int fd = stream == Stream::Input ? 0 : stream == Stream::Output ? 1 : 2;
    return _isatty(fd) != 0;
}

bool Terminal::canPrompt() {
    const HANDLE input = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0, nullptr);
    if (input == INVALID_HANDLE_VALUE)
        return false;
    CloseHandle(input);
    return true;
}

Outcome<QString> Terminal::promptSecret(const QString& prompt) {
    const HANDLE input = CreateFileW(L"CONIN$", GENERIC_READ | GENERIC_WRITE,
                                     FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0, nullptr);
    const HANDLE output = CreateFileW(L"CONOUT$", GENERIC_READ | GENERIC_WRITE,
                                      FILE_SHARE_READ | FILE_SHARE_WRITE, nullptr, OPEN_EXISTING, 0, nullptr);
    if (input == INVALID_HANDLE_VALUE || output == INVALID_HANDLE_VALUE) {
        if (input != INVALID_HANDLE_VALUE)
            CloseHandle(input);
        if (output != INVALID_HANDLE_VALUE)
            CloseHandle(output);
        return noTerminal();
    }
    DWORD written = 0;
    const std::wstring promptText = prompt.toStdWString();
    WriteConsoleW(output, promptText.c_str(), static_cast<DWORD>(promptText.size()), &written, nullptr);
    DWORD mode = 0;
    GetConsoleMode(input, &mode);
    SetConsoleMode(input, (mode & ~static_cast<DWORD>(ENABLE_ECHO_INPUT)) | ENABLE_LINE_INPUT);
    std::wstring line(4096, L'\0');
    DWORD read = 0;
    const BOOL ok = ReadConsoleW(input, line.data(), static_cast<DWORD>(line.size()), &read, nullptr);
    SetConsoleMode(input, mode);
    WriteConsoleW(output, L"\r\n", 2, &written, nullptr);
    CloseHandle(input);
    CloseHandle(output);
    if (g_interrupted.load())
        return cancelledPrompt();
    if (!ok)
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("No password was entered."));
    line.resize(read);
    std::string utf8 = QString::fromStdWString(line).toStdString();
    std::fill(line.begin(), line.end(), L'\0');
    return withoutLineEnd(utf8);
}

Outcome<QString> Terminal::readLine(int fd) {
    std::string line;
    for (;;) {
        char c = 0;
        const int got = _read(fd, &c, 1);
        if (got < 0)
            return ClientError::make(
                ErrorKind::Usage, QStringLiteral("usage"),
                QStringLiteral("Could not read a line from file descriptor %1 (is it open?).").arg(fd));
        if (got == 0 || c == '\n')
            break;
        line.push_back(c);
    }
    return withoutLineEnd(line);
}

void Terminal::setInterruptHandler(std::function<void()> onInterrupt) {
    const bool on = static_cast<bool>(onInterrupt);
    interruptCallback() = std::move(onInterrupt);
    SetConsoleCtrlHandler(onConsoleControl, on ? TRUE : FALSE);
}

#endif

void Terminal::exitOnInterrupt() {
    setInterruptHandler([] { std::_Exit(130); });
}

bool Terminal::interrupted() {
    return g_interrupted.load();
}

} // namespace ots::cli
