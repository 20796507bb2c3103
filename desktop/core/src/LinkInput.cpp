#include "ots/client/LinkInput.h"

#include <QFile>

#include <cstring>
#include <string_view>

namespace ots::client::linkinput {

namespace {
constexpr qsizetype kMaxLineBytes = 4096;
constexpr std::string_view kPlaceholder = "[link]";
} // namespace

Outcome<QString> readLine(int fd) {
    const QString where =
        fd == 0 ? QStringLiteral("standard input") : QStringLiteral("file descriptor %1").arg(fd);
    QFile input;
    // Unbuffered: one byte per read, so nothing after the line is taken from the descriptor.
    if (fd < 0 || !input.open(fd, QIODevice::ReadOnly | QIODevice::Unbuffered, QFileDevice::DontCloseHandle))
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("Cannot read the link from %1: it is not open.").arg(where));
    QByteArray line;
    char c = 0;
    while (input.getChar(&c) && c != '\n') {
        line.append(c);
        if (line.size() > kMaxLineBytes)
            return ClientError::make(
                ErrorKind::Usage, QStringLiteral("usage"),
                QStringLiteral("The line read from %1 is longer than any link: pass the link alone on one "
                               "line.")
                    .arg(where));
    }
    const QString link = QString::fromUtf8(line).trimmed();
    if (link.isEmpty())
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("No link was read from %1: pass the link on one line, e.g. "
                                                "'ots get - < link.txt'.")
                                     .arg(where));
    return link;
}

bool holdsLinkSecret(const char* argument) noexcept {
    if (argument == nullptr)
        return false;
    const std::string_view text(argument);
    const std::size_t scheme = text.find("://");
    return scheme != std::string_view::npos && text.find('#', scheme) != std::string_view::npos;
}

void scrubArguments(int argc, char** argv) noexcept {
    for (int i = 1; i < argc; ++i) {
        char* argument = argv[i];
        if (!holdsLinkSecret(argument))
            continue;
        const std::size_t length = std::strlen(argument);
        std::memset(argument, 0, length);
        if (length >= kPlaceholder.size())
            std::memcpy(argument, kPlaceholder.data(), kPlaceholder.size());
    }
}

} // namespace ots::client::linkinput
