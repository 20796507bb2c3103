#pragma once

// Keeping share links out of the process list: a link read from standard input or from a file
// descriptor (`ots get -`, `--link-fd N`) never appears in /proc/<pid>/cmdline or in shell history,
// and a link that did come as an argument is overwritten in the process's own argument memory as
// soon as it has been copied, so /proc/<pid>/cmdline (and `ps`) stop showing its secret.

#include "ots/client/ClientError.h"

#include <QString>

namespace ots::client::linkinput {

/// Reads one line (at most 4096 bytes, without its line ending and surrounding white space) from an
/// open file descriptor, e.g. 0 or a pipe. Reads nothing past the line, so what follows (a password
/// on the next line) stays for the next reader. Usage error when nothing could be read.
[[nodiscard]] Outcome<QString> readLine(int fd);

/// True for an argument that carries a link secret: a URL ("…://…") with a fragment ("#…").
[[nodiscard]] bool holdsLinkSecret(const char* argument) noexcept;

/// Overwrites, in place, every argument from argv[1] on that holdsLinkSecret(): "[link]" followed by
/// NUL bytes, so the process's command line no longer holds the link. argv must be the array main()
/// received (the memory the kernel shows as /proc/<pid>/cmdline), not a copy; copy what is needed
/// (QCoreApplication::arguments()) before calling this.
void scrubArguments(int argc, char** argv) noexcept;

} // namespace ots::client::linkinput
