// The later sections of tests/data/vectors_v1.json (see gen_vectors_sections.h). Every expected
// outcome below is written down from SPEC.md, not taken from the implementation: the generator
// checks the implementation against it and stops if they disagree, so a vector never records a bug.

#include "gen_vectors_sections.h"

#include "TestUtil.h"
#include "VectorUtil.h"
#include "ots/Base64Url.h"
#include "ots/Container.h"
#include "ots/ContainerParser.h"
#include "ots/Error.h"
#include "ots/KeySchedule.h"
#include "ots/MetadataEnvelope.h"
#include "ots/Padding.h"
#include "ots/ShareLink.h"
#include "ots/StreamEncryptor.h"

#include <QByteArray>
#include <QJsonArray>
#include <QString>
#include <sodium.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace ots::vectors {

namespace {

using ots::test::EntryLog;
using ots::test::secretFromSeed;
using ots::test::toQ;
using ots::test::view;

[[noreturn]] void disagree(const QString& section, const QString& name, const std::string& got) {
    std::fprintf(stderr, "%s / %s: the implementation gives %s, the spec says otherwise\n",
                 qPrintable(section), qPrintable(name), got.c_str());
    std::exit(1);
}

QString b64(const QByteArray& bytes) {
    return QString::fromLatin1(bytes.toBase64());
}

ShareKeys keysFromSeed(std::uint8_t seed) {
    auto keys = ShareKeys::fromLinkSecret(secretFromSeed(seed));
    if (!keys.ok())
        std::abort();
    return std::move(keys).value();
}

QString secretText(std::uint8_t seed) {
    return QString::fromStdString(base64url::encode(secretFromSeed(seed).span()));
}

QByteArray le(std::uint64_t value, int bytes) {
    QByteArray out;
    for (int i = 0; i < bytes; ++i)
        out += static_cast<char>((value >> (8 * i)) & 0xff);
    return out;
}

// --- links (SPEC.md §2) ----------------------------------------------------------------------------

QJsonObject linkSection() {
    const QString id = QStringLiteral("AAECAwQFBgcICQoLDA0ODw"); // bytes 00..0f
    const QString secret = secretText(0x11);
    const QString tail = QStringLiteral("/s/") + id + QLatin1Char('#') + secret;

    struct Valid {
        const char* name;
        QString input;
        const char* transport;
        const char* host;
        int port;
        QString webUrl;
        QString appUrl;
        const char* relayBaseUrl;
    };
    const std::vector<Valid> valid = {
        {"canonical https", QStringLiteral("https://relay.example") + tail, "https", "relay.example", 0,
         QStringLiteral("https://relay.example") + tail,
         QStringLiteral("onetimeshare://relay.example") + tail, "https://relay.example"},
        {"whitespace, case and default port",
         QStringLiteral(" \tHTTPS://Relay.Example:443") + tail + QStringLiteral("\r\n"), "https",
         "relay.example", 0, QStringLiteral("https://relay.example") + tail,
         QStringLiteral("onetimeshare://relay.example") + tail, "https://relay.example"},
        {"app scheme with a port", QStringLiteral("onetimeshare://relay.example:8443") + tail, "https",
         "relay.example", 8443, QStringLiteral("https://relay.example:8443") + tail,
         QStringLiteral("onetimeshare://relay.example:8443") + tail, "https://relay.example:8443"},
        {"http to 127.0.0.1", QStringLiteral("http://127.0.0.1:8080") + tail, "http", "127.0.0.1", 8080,
         QStringLiteral("http://127.0.0.1:8080") + tail,
         QStringLiteral("onetimeshare://127.0.0.1:8080") + tail, "http://127.0.0.1:8080"},
        {"http to localhost, default port", QStringLiteral("http://LOCALHOST:80") + tail, "http", "localhost",
         0, QStringLiteral("http://localhost") + tail, QStringLiteral("onetimeshare://localhost") + tail,
         "http://localhost"},
        {"http to ::1 spelled out", QStringLiteral("http://[0:0:0:0:0:0:0:1]:8080") + tail, "http", "::1",
         8080, QStringLiteral("http://[::1]:8080") + tail, QStringLiteral("onetimeshare://[::1]:8080") + tail,
         "http://[::1]:8080"},
        {"app scheme to 127.0.0.1 means http", QStringLiteral("onetimeshare://127.0.0.1:8080") + tail, "http",
         "127.0.0.1", 8080, QStringLiteral("http://127.0.0.1:8080") + tail,
         QStringLiteral("onetimeshare://127.0.0.1:8080") + tail, "http://127.0.0.1:8080"},
        {"app scheme to localhost, http default port", QStringLiteral("OneTimeShare://LocalHost:80") + tail,
         "http", "localhost", 0, QStringLiteral("http://localhost") + tail,
         QStringLiteral("onetimeshare://localhost") + tail, "http://localhost"},
        {"app scheme to localhost, port 443 kept", QStringLiteral("onetimeshare://localhost:443") + tail,
         "http", "localhost", 443, QStringLiteral("http://localhost:443") + tail,
         QStringLiteral("onetimeshare://localhost:443") + tail, "http://localhost:443"},
        {"app scheme to ::1 means http", QStringLiteral("onetimeshare://[::1]:8080") + tail, "http", "::1",
         8080, QStringLiteral("http://[::1]:8080") + tail, QStringLiteral("onetimeshare://[::1]:8080") + tail,
         "http://[::1]:8080"},
        {"https to a loopback host has no app form", QStringLiteral("https://127.0.0.1:8443") + tail, "https",
         "127.0.0.1", 8443, QStringLiteral("https://127.0.0.1:8443") + tail,
         QStringLiteral("https://127.0.0.1:8443") + tail, "https://127.0.0.1:8443"},
        {"app scheme to IPv4-mapped loopback means https",
         QStringLiteral("onetimeshare://[::ffff:127.0.0.1]") + tail, "https", "::ffff:127.0.0.1", 0,
         QStringLiteral("https://[::ffff:127.0.0.1]") + tail,
         QStringLiteral("onetimeshare://[::ffff:127.0.0.1]") + tail, "https://[::ffff:127.0.0.1]"},
        {"IPv6 in RFC 5952 form", QStringLiteral("https://[2001:DB8:0:0:1:0:0:1]") + tail, "https",
         "2001:db8::1:0:0:1", 0, QStringLiteral("https://[2001:db8::1:0:0:1]") + tail,
         QStringLiteral("onetimeshare://[2001:db8::1:0:0:1]") + tail, "https://[2001:db8::1:0:0:1]"},
        {"IPv4-mapped IPv6", QStringLiteral("https://[::FFFF:c000:0201]:65535") + tail, "https",
         "::ffff:192.0.2.1", 65535, QStringLiteral("https://[::ffff:192.0.2.1]:65535") + tail,
         QStringLiteral("onetimeshare://[::ffff:192.0.2.1]:65535") + tail,
         "https://[::ffff:192.0.2.1]:65535"},
    };
    QJsonArray validJson;
    for (const Valid& v : valid) {
        auto parsed = ShareLink::parse(v.input.toStdString());
        if (!parsed.ok())
            disagree(QStringLiteral("links"), QString::fromLatin1(v.name),
                     std::string(errorName(parsed.code())));
        const bool http = parsed->transport() == ShareLink::Transport::Http;
        if (QString::fromLatin1(http ? "http" : "https") != QLatin1String(v.transport) ||
            parsed->host() != v.host || parsed->port() != v.port ||
            QString::fromStdString(parsed->toWebUrl()) != v.webUrl ||
            QString::fromStdString(parsed->toAppUrl()) != v.appUrl ||
            parsed->relayBaseUrl() != v.relayBaseUrl || QString::fromStdString(parsed->shareIdText()) != id)
            disagree(QStringLiteral("links"), QString::fromLatin1(v.name), parsed->toWebUrl());
        validJson.append(QJsonObject{{QStringLiteral("name"), QString::fromLatin1(v.name)},
                                     {QStringLiteral("input"), v.input},
                                     {QStringLiteral("transport"), QString::fromLatin1(v.transport)},
                                     {QStringLiteral("host"), QString::fromLatin1(v.host)},
                                     {QStringLiteral("port"), v.port},
                                     {QStringLiteral("shareId"), id},
                                     {QStringLiteral("secret"), secret},
                                     {QStringLiteral("webUrl"), v.webUrl},
                                     {QStringLiteral("appUrl"), v.appUrl},
                                     {QStringLiteral("relayBaseUrl"), QString::fromLatin1(v.relayBaseUrl)}});
    }

    const QString https = QStringLiteral("https://relay.example");
    const QString canonical = https + tail;
    const QString idSuffix = QLatin1Char('#') + secret;
    struct Invalid {
        const char* name;
        QString input;
        Errc error;
    };
    const std::vector<Invalid> invalid = {
        {"empty", QString(), Errc::LinkEmpty},
        {"whitespace only", QStringLiteral(" \t\r\n\v\f"), Errc::LinkEmpty},
        {"2049 octets", canonical + QString(2049 - canonical.size(), QLatin1Char('A')), Errc::LinkTooLong},
        {"2049 octets of anything", QString(2049, QLatin1Char('x')), Errc::LinkTooLong},
        {"ftp scheme", QStringLiteral("ftp://relay.example") + tail, Errc::LinkBadScheme},
        {"one slash", QStringLiteral("https:/relay.example") + tail, Errc::LinkBadScheme},
        {"no scheme", QStringLiteral("relay.example") + tail, Errc::LinkBadScheme},
        {"user info", QStringLiteral("https://relay.example@evil.example") + tail, Errc::LinkHasUserInfo},
        {"user info before a bad scheme is a bad scheme", QStringLiteral("ftp://u@relay.example") + tail,
         Errc::LinkBadScheme},
        {"underscore in host", QStringLiteral("https://relay_1.example") + tail, Errc::LinkBadHost},
        {"short IPv4 form", QStringLiteral("https://127.1") + tail, Errc::LinkBadHost},
        {"numeric last label", QStringLiteral("https://relay.123") + tail, Errc::LinkBadHost},
        {"trailing dot", QStringLiteral("https://relay.example.") + tail, Errc::LinkBadHost},
        {"IPv6 without brackets", QStringLiteral("https://::1") + tail, Errc::LinkBadHost},
        {"text after the closing bracket", QStringLiteral("https://[::1]x") + tail, Errc::LinkBadHost},
        {"IPv6 zone id", QStringLiteral("https://[fe80::1%25eth0]") + tail, Errc::LinkBadHost},
        {"port 0", QStringLiteral("https://relay.example:0") + tail, Errc::LinkBadPort},
        {"port 65536", QStringLiteral("https://relay.example:65536") + tail, Errc::LinkBadPort},
        {"port with a leading zero", QStringLiteral("https://relay.example:0443") + tail, Errc::LinkBadPort},
        {"letters as port after IPv6", QStringLiteral("https://[::1]:abc") + tail, Errc::LinkBadPort},
        {"empty port", QStringLiteral("https://relay.example:") + tail, Errc::LinkBadPort},
        {"http to a remote host", QStringLiteral("http://relay.example") + tail, Errc::LinkInsecureHttp},
        {"http to a look-alike name", QStringLiteral("http://127.0.0.1.evil.example") + tail,
         Errc::LinkInsecureHttp},
        {"http to IPv4-mapped loopback", QStringLiteral("http://[::ffff:127.0.0.1]") + tail,
         Errc::LinkInsecureHttp},
        {"bad port before insecure http", QStringLiteral("http://relay.example:0") + tail, Errc::LinkBadPort},
        {"no path", https + idSuffix, Errc::LinkBadPath},
        {"other prefix", https + QStringLiteral("/x/") + id + idSuffix, Errc::LinkBadPath},
        {"upper-case S", https + QStringLiteral("/S/") + id + idSuffix, Errc::LinkBadPath},
        {"nothing after /s/", https + QStringLiteral("/s/") + idSuffix, Errc::LinkBadPath},
        {"dot segment as id", https + QStringLiteral("/s/.") + idSuffix, Errc::LinkBadPath},
        {"dot-dot segment as id", https + QStringLiteral("/s/..") + idSuffix, Errc::LinkBadPath},
        {"dot segment before id", https + QStringLiteral("/s/./") + id + idSuffix, Errc::LinkBadPath},
        {"trailing slash", https + QStringLiteral("/s/") + id + QStringLiteral("/") + idSuffix,
         Errc::LinkBadPath},
        {"percent-encoding in id", https + QStringLiteral("/s/%41") + id.mid(1) + idSuffix,
         Errc::LinkBadPath},
        {"bad path before query", https + QStringLiteral("/x/") + id + QStringLiteral("?q") + idSuffix,
         Errc::LinkBadPath},
        {"query", https + QStringLiteral("/s/") + id + QStringLiteral("?utm_source=mail") + idSuffix,
         Errc::LinkHasQuery},
        {"empty query", https + QStringLiteral("/s/") + id + QStringLiteral("?") + idSuffix,
         Errc::LinkHasQuery},
        {"id with non-zero unused bits", https + QStringLiteral("/s/AAECAwQFBgcICQoLDA0ODx") + idSuffix,
         Errc::LinkBadShareId},
        {"id of 21 characters", https + QStringLiteral("/s/") + id.left(21) + idSuffix, Errc::LinkBadShareId},
        {"id padded with =", https + QStringLiteral("/s/") + id + QStringLiteral("==") + idSuffix,
         Errc::LinkBadShareId},
        {"id with a dot among other characters",
         https + QStringLiteral("/s/") + id.left(21) + QStringLiteral(".") + idSuffix, Errc::LinkBadShareId},
        {"no fragment", https + QStringLiteral("/s/") + id, Errc::LinkMissingSecret},
        {"empty fragment", https + QStringLiteral("/s/") + id + QStringLiteral("#"), Errc::LinkMissingSecret},
        {"secret of 42 characters", https + QStringLiteral("/s/") + id + QLatin1Char('#') + secret.left(42),
         Errc::LinkBadSecret},
        {"secret with non-zero unused bits",
         https + QStringLiteral("/s/") + id + QLatin1Char('#') + secret.left(42) + QStringLiteral("p"),
         Errc::LinkBadSecret},
        {"secret padded with =", canonical + QStringLiteral("="), Errc::LinkBadSecret},
        {"second #", canonical + QStringLiteral("#"), Errc::LinkBadSecret},
    };
    QJsonArray invalidJson;
    for (const Invalid& v : invalid) {
        const auto parsed = ShareLink::parse(v.input.toStdString());
        const Errc got = parsed.ok() ? Errc::None : parsed.code();
        if (got != v.error)
            disagree(QStringLiteral("links"), QString::fromLatin1(v.name),
                     ots::test::outcomeName(got).toStdString());
        invalidJson.append(QJsonObject{{QStringLiteral("name"), QString::fromLatin1(v.name)},
                                       {QStringLiteral("input"), v.input},
                                       {QStringLiteral("error"), ots::test::outcomeName(v.error)}});
    }
    return {{QStringLiteral("description"),
             QStringLiteral(
                 "SPEC.md §2. valid: input parses to these fields (port 0 = the scheme's default; "
                 "shareId and secret in canonical base64url) and prints as webUrl, appUrl and "
                 "relayBaseUrl. invalid: input is refused with error, the first failing step of §2.3.")},
            {QStringLiteral("valid"), validJson},
            {QStringLiteral("invalid"), invalidJson}};
}

// --- containers (SPEC.md §6) -----------------------------------------------------------------------

QByteArray containerHeader(char version = 1, char reserved = 0) {
    return QByteArrayLiteral("OTSC") + QByteArray(1, version) + QByteArray(1, reserved) + QByteArray(2, '\0');
}

QByteArray rawEntry(std::uint8_t type, std::uint8_t flags, std::uint32_t mode, std::uint64_t size,
                    std::int64_t mtime, const QByteArray& path, const QByteArray& content = {},
                    std::uint64_t pathLength = ~std::uint64_t{0}) {
    const std::uint64_t length =
        pathLength == ~std::uint64_t{0} ? static_cast<std::uint64_t>(path.size()) : pathLength;
    return QByteArray(1, static_cast<char>(type)) + QByteArray(1, static_cast<char>(flags)) + le(mode, 4) +
           le(size, 8) + le(static_cast<std::uint64_t>(mtime), 8) + le(length, 2) + path + content;
}

QByteArray fileEntry(const QByteArray& path, const QByteArray& content = {}, std::uint32_t mode = 0644) {
    return rawEntry(2, 0, mode, static_cast<std::uint64_t>(content.size()), 1700000000, path, content);
}

QByteArray folderEntry(const QByteArray& path) {
    return rawEntry(1, 0, 0755, 0, 1700000000, path);
}

const QByteArray kEnd(1, '\0');

QJsonObject containerSection() {
    struct Case {
        const char* name;
        QByteArray bytes;
        PathRules rules;
        Errc expected;
    };
    const QByteArray h = containerHeader();
    const auto posix = PathRules::Posix;
    const auto windows = PathRules::Windows;
    const std::vector<Case> cases = {
        {"empty container", h + kEnd, posix, Errc::None},
        {"one file", h + fileEntry("hello.txt", "hello") + kEnd, posix, Errc::None},
        {"folder, file and empty folder",
         h + folderEntry("docs") + fileEntry("docs/a.txt", "a", 0755) + folderEntry("empty") + kEnd, posix,
         Errc::None},
        {"implied folder listed later",
         h + fileEntry("a/b/c.txt", "c") + folderEntry("a/b") + folderEntry("a") + kEnd, posix, Errc::None},
        {"UTF-8 names",
         h + fileEntry("r\xc3\xa9sum\xc3\xa9.pdf", "pdf") + fileEntry("\xe6\x97\xa5\xe8\xa8\x98") + kEnd,
         posix, Errc::None},
        {"names differing in case (posix)", h + fileEntry("A") + fileEntry("a") + kEnd, posix, Errc::None},
        {"names Windows refuses (posix)",
         h + fileEntry("a:b") + fileEntry("nul.txt") + fileEntry("x.") + kEnd, posix, Errc::None},
        {"negative mtime", h + rawEntry(2, 0, 0600, 0, -86400, "old") + kEnd, posix, Errc::None},
        {"bad magic", QByteArrayLiteral("OTSX") + h.mid(4) + kEnd, posix, Errc::ContainerBadMagic},
        {"stream magic", QByteArrayLiteral("OTSS") + h.mid(4) + kEnd, posix, Errc::ContainerBadMagic},
        {"version 2", containerHeader(2) + kEnd, posix, Errc::ContainerUnsupportedVersion},
        {"reserved byte set", containerHeader(1, 1) + kEnd, posix, Errc::ContainerMalformed},
        {"flags set", h + rawEntry(2, 1, 0644, 0, 0, "f") + kEnd, posix, Errc::ContainerMalformed},
        {"folder with content", h + rawEntry(1, 0, 0755, 1, 0, "d", "x") + kEnd, posix,
         Errc::ContainerMalformed},
        {"symbolic link", h + rawEntry(3, 0, 0777, 0, 0, "l") + kEnd, posix, Errc::EntryLinkNotAllowed},
        {"type 4", h + rawEntry(4, 0, 0644, 0, 0, "x") + kEnd, posix, Errc::EntryUnknownType},
        {"setuid bit", h + fileEntry("x", {}, 04755) + kEnd, posix, Errc::EntryBadMode},
        {"order: link before flags", h + rawEntry(3, 1, 0777, 0, 0, "l") + kEnd, posix,
         Errc::EntryLinkNotAllowed},
        {"order: flags before mode", h + rawEntry(2, 1, 04755, 0, 0, "x") + kEnd, posix,
         Errc::ContainerMalformed},
        {"order: mode before path", h + rawEntry(2, 0, 01644, 0, 0, "") + kEnd, posix, Errc::EntryBadMode},
        {"path length 0", h + rawEntry(2, 0, 0644, 0, 0, "") + kEnd, posix, Errc::PathEmpty},
        {"path length 4097, refused before the path is read", h + rawEntry(2, 0, 0644, 0, 0, {}, {}, 4097),
         posix, Errc::PathTooLong},
        {"component of 256 bytes", h + fileEntry(QByteArray(256, 'a')) + kEnd, posix, Errc::PathTooLong},
        {"absolute path", h + fileEntry("/etc/passwd") + kEnd, posix, Errc::PathAbsolute},
        {"order: absolute before backslash", h + fileEntry("/a\\b") + kEnd, posix, Errc::PathAbsolute},
        {"NUL in path", h + fileEntry(QByteArray("a\0b", 3)) + kEnd, posix, Errc::PathNul},
        {"overlong slash",
         h +
             fileEntry("a\xc0\xaf"
                       "b") +
             kEnd,
         posix, Errc::PathInvalidUtf8},
        {"surrogate", h + fileEntry("\xed\xa0\x80") + kEnd, posix, Errc::PathInvalidUtf8},
        {"control character", h + fileEntry("a\x1b[31m") + kEnd, posix, Errc::PathControlCharacter},
        {"DEL", h + fileEntry("a\x7f") + kEnd, posix, Errc::PathControlCharacter},
        {"C1 control CSI",
         h +
             fileEntry("a\xc2\x9b"
                       "31m") +
             kEnd,
         posix, Errc::PathControlCharacter},
        {"right-to-left override",
         h +
             fileEntry("invoice\xe2\x80\xae"
                       "fdp.exe") +
             kEnd,
         posix, Errc::PathFormatCharacter},
        {"zero width space",
         h +
             fileEntry("a\xe2\x80\x8b"
                       "b") +
             kEnd,
         posix, Errc::PathFormatCharacter},
        {"byte order mark",
         h +
             fileEntry("\xef\xbb\xbf"
                       "a") +
             kEnd,
         posix, Errc::PathFormatCharacter},
        {"soft hyphen",
         h +
             fileEntry("pay\xc2\xad"
                       "pal") +
             kEnd,
         posix, Errc::PathFormatCharacter},
        {"first strong isolate in a folder", h + folderEntry("d\xe2\x81\xa8") + kEnd, posix,
         Errc::PathFormatCharacter},
        {"backslash", h + fileEntry("..\\evil") + kEnd, posix, Errc::PathBackslash},
        {"empty component", h + fileEntry("a//b") + kEnd, posix, Errc::PathEmptyComponent},
        {"trailing slash", h + folderEntry("a/") + kEnd, posix, Errc::PathEmptyComponent},
        {"dot-dot", h + fileEntry("../evil") + kEnd, posix, Errc::PathTraversal},
        {"dot inside", h + fileEntry("a/./b") + kEnd, posix, Errc::PathTraversal},
        {"colon (windows)", h + fileEntry("a:b") + kEnd, windows, Errc::PathInvalidCharacter},
        {"drive prefix (windows)", h + fileEntry("C:x") + kEnd, windows, Errc::PathInvalidCharacter},
        {"device name (windows)", h + fileEntry("nul.txt") + kEnd, windows, Errc::PathReservedName},
        {"device name with two extensions (windows)", h + fileEntry("d/COM1.tar.gz") + kEnd, windows,
         Errc::PathReservedName},
        {"order: device name before trailing dot (windows)", h + fileEntry("con.") + kEnd, windows,
         Errc::PathReservedName},
        {"trailing dot (windows)", h + fileEntry("x.") + kEnd, windows, Errc::PathTrailingDotOrSpace},
        // §6.3 checks each rule over the whole path in the tables' order: the earlier rule wins even
        // where a later one breaks first, reading left to right.
        {"order: a long component after a backslash", h + fileEntry("a\\b/" + QByteArray(256, 'c')) + kEnd,
         posix, Errc::PathTooLong},
        {"order: NUL after invalid UTF-8", h + fileEntry(QByteArray("\xff\0", 2)) + kEnd, posix,
         Errc::PathNul},
        {"order: a control character after a format character",
         h +
             fileEntry("\xe2\x80\xae"
                       "a\x01") +
             kEnd,
         posix, Errc::PathControlCharacter},
        {"order: traversal before a Windows character (windows)", h + fileEntry("a:b/..") + kEnd, windows,
         Errc::PathTraversal},
        {"order: device name before an earlier trailing dot (windows)", h + fileEntry("a./con") + kEnd,
         windows, Errc::PathReservedName},
        {"trailing space (windows)", h + folderEntry("x ") + kEnd, windows, Errc::PathTrailingDotOrSpace},
        {"two files", h + fileEntry("x") + fileEntry("x") + kEnd, posix, Errc::PathDuplicate},
        {"names differing in case (windows)", h + fileEntry("A") + fileEntry("a") + kEnd, windows,
         Errc::PathDuplicate},
        {"two folder entries", h + folderEntry("d") + folderEntry("d") + kEnd, posix, Errc::PathDuplicate},
        {"implied folder listed twice", h + fileEntry("d/f") + folderEntry("d") + folderEntry("d") + kEnd,
         posix, Errc::PathDuplicate},
        {"file as a parent", h + fileEntry("x") + fileEntry("x/y") + kEnd, posix, Errc::PathConflict},
        {"file where a folder was implied", h + fileEntry("d/f") + fileEntry("d") + kEnd, posix,
         Errc::PathConflict},
        {"file where a folder was listed", h + folderEntry("d") + fileEntry("d") + kEnd, posix,
         Errc::PathConflict},
        {"folder where a file was", h + fileEntry("x") + folderEntry("x") + kEnd, posix, Errc::PathConflict},
        {"file and folder differing in case (windows)", h + fileEntry("X") + folderEntry("x") + kEnd, windows,
         Errc::PathConflict},
        {"header only", h, posix, Errc::ContainerTruncated},
        {"cut inside the fixed part", h + fileEntry("x").left(10), posix, Errc::ContainerTruncated},
        {"cut inside the content", h + fileEntry("x", "hello").chopped(2), posix, Errc::ContainerTruncated},
        {"no end marker", h + fileEntry("x", "hello"), posix, Errc::ContainerTruncated},
        {"empty input", QByteArray(), posix, Errc::ContainerTruncated},
        {"byte after the end marker", h + kEnd + kEnd, posix, Errc::ContainerTrailingData},
    };
    QJsonArray casesJson;
    for (const Case& c : cases) {
        EntryLog log;
        ContainerParser parser(log, c.rules);
        Status status = parser.push(view(c.bytes));
        if (status.ok())
            status = parser.finish();
        const Errc got = status.ok() ? Errc::None : status.code();
        if (got != c.expected)
            disagree(QStringLiteral("containers"), QString::fromLatin1(c.name),
                     ots::test::outcomeName(got).toStdString());
        QJsonObject o{{QStringLiteral("name"), QString::fromLatin1(c.name)},
                      {QStringLiteral("rules"),
                       c.rules == windows ? QStringLiteral("windows") : QStringLiteral("posix")},
                      {QStringLiteral("bytes"), b64(c.bytes)},
                      {QStringLiteral("expected"), ots::test::outcomeName(c.expected)}};
        if (c.expected == Errc::None)
            o[QStringLiteral("entries")] = log.entries();
        casesJson.append(o);
    }

    // Too large to store: built by the reader from this description.
    const QJsonObject tooMany{
        {QStringLiteral("name"), QStringLiteral("1 000 001 folders")},
        {QStringLiteral("rules"), QStringLiteral("posix")},
        {QStringLiteral("generate"),
         QJsonObject{
             {QStringLiteral("folders"), 1000001},
             {QStringLiteral("rule"),
              QStringLiteral("the container header, then folder entries (type 1, flags 0, mode 0755, size 0, "
                             "mtime 0) whose paths are the decimal numbers 0, 1, 2, ... without leading "
                             "zeros, then the end marker")}}},
        {QStringLiteral("expected"), ots::test::outcomeName(Errc::ContainerTooManyEntries)}};
    casesJson.append(tooMany);

    return {
        {QStringLiteral("description"),
         QStringLiteral("SPEC.md §6.1-6.3. bytes is a whole container payload (base64), parsed under rules "
                        "'posix' (the portable rules, duplicate key = the path) or 'windows' (portable and "
                        "Windows rules, ASCII A-Z folded in the duplicate key). expected is 'ok', with the "
                        "entries in order (content in base64 for files), or the error the first broken rule "
                        "of §6.2 gives. A case with 'generate' instead of 'bytes' is built as described.")},
        {QStringLiteral("cases"), casesJson}};
}

// --- Padmé and stream sizes (SPEC.md §4.3, §10.13) -----------------------------------------------------

QJsonObject padmeSection() {
    struct PadmeCase {
        std::uint64_t x;
        std::uint64_t padme;
    };
    const std::vector<PadmeCase> padmeCases = {
        {0, 0},
        {1, 1},
        {2, 2},
        {3, 3},
        {5, 5},
        {9, 10},
        {17, 18},
        {100, 104},
        {1000, 1024},
        {4096, 4096},
        {4097, 4352},
        {65536, 65536},
        {65537, 67584},
        {150008, 151552},
        {1048577, 1081344},
        {(std::uint64_t{1} << 50) + 8, (std::uint64_t{1} << 50) + (std::uint64_t{1} << 44)},
    };
    QJsonArray padmeJson;
    for (const PadmeCase& c : padmeCases) {
        if (padding::padme(c.x) != c.padme)
            disagree(QStringLiteral("padme"), QString::number(c.x), std::to_string(padding::padme(c.x)));
        padmeJson.append(QJsonObject{{QStringLiteral("x"), static_cast<qint64>(c.x)},
                                     {QStringLiteral("padme"), static_cast<qint64>(c.padme)}});
    }
    const std::uint64_t lengths[] = {0,     1,      4088,    4089,       65528,
                                     65529, 150000, 1048576, 1000000000, std::uint64_t{1} << 50};
    QJsonArray sizesJson;
    for (const std::uint64_t length : lengths) {
        const std::uint64_t padded = std::max<std::uint64_t>(padding::padme(8 + length), 4096);
        const std::uint64_t chunks = (padded + format::kChunkPlainBytes - 1) / format::kChunkPlainBytes;
        const std::uint64_t ciphertext = 104 + 25 * chunks + padded;
        if (padding::paddedSize(length) != padded || StreamEncryptor::ciphertextSize(length) != ciphertext ||
            !StreamEncryptor::isValidCiphertextSize(ciphertext))
            disagree(QStringLiteral("padme"), QString::number(length),
                     std::to_string(padding::paddedSize(length)));
        sizesJson.append(QJsonObject{{QStringLiteral("payloadLength"), static_cast<qint64>(length)},
                                     {QStringLiteral("paddedSize"), static_cast<qint64>(padded)},
                                     {QStringLiteral("ciphertextSize"), static_cast<qint64>(ciphertext)}});
    }
    // Sizes no v1 stream has: the relay refuses them at create (§10.13).
    const std::uint64_t invalidSizes[] = {0, 104, 4224, 4226, 4480, 4482};
    QJsonArray invalidJson;
    for (const std::uint64_t size : invalidSizes) {
        if (StreamEncryptor::isValidCiphertextSize(size))
            disagree(QStringLiteral("padme"), QString::number(size), "a valid ciphertext size");
        invalidJson.append(static_cast<qint64>(size));
    }
    return {{QStringLiteral("description"),
             QStringLiteral("SPEC.md §4.3. padme: Padmé(x). sizes: payload length L, padded size "
                            "P = max(Padmé(8 + L), 4096) and ciphertext size 104 + 25·⌈P/65536⌉ + P. "
                            "invalidCiphertextSizes: sizes no v1 stream has (§10.13).")},
            {QStringLiteral("padme"), padmeJson},
            {QStringLiteral("sizes"), sizesJson},
            {QStringLiteral("invalidCiphertextSizes"), invalidJson}};
}

// --- KDF limits (SPEC.md §3.2) ---------------------------------------------------------------------

QJsonObject kdfSection() {
    struct Case {
        const char* name;
        int passwordBytes;
        std::uint32_t t, m, p;
        Errc expected;
    };
    const std::vector<Case> cases = {
        {"defaults", 28, 3, 65536, 4, Errc::None},
        {"floor", 1, 3, 65536, 1, Errc::None},
        {"ceiling", 4096, 64, 4194304, 64, Errc::None},
        {"t below the floor", 8, 2, 65536, 4, Errc::KdfParamsTooWeak},
        {"m below the floor", 8, 3, 65535, 4, Errc::KdfParamsTooWeak},
        {"p below the floor", 8, 3, 65536, 0, Errc::KdfParamsTooWeak},
        {"t above the ceiling", 8, 65, 65536, 4, Errc::KdfParamsTooCostly},
        {"m above the ceiling", 8, 3, 4194305, 4, Errc::KdfParamsTooCostly},
        {"p above the ceiling", 8, 3, 65536, 65, Errc::KdfParamsTooCostly},
        {"too weak and too costly: too weak", 8, 1, 8388608, 4, Errc::KdfParamsTooWeak},
        {"p 0 and t above the ceiling: too weak", 8, 65, 65536, 0, Errc::KdfParamsTooWeak},
        {"empty password", 0, 3, 65536, 4, Errc::PasswordEmpty},
        {"password of 4097 bytes", 4097, 3, 65536, 4, Errc::InvalidArgument},
        {"password checked before parameters", 0, 1, 65536, 4, Errc::PasswordEmpty},
    };
    const SecretBuffer secret = secretFromSeed(0x11);
    QJsonArray casesJson;
    for (const Case& c : cases) {
        Argon2Params params;
        params.iterations = c.t;
        params.memoryKiB = c.m;
        params.parallelism = c.p;
        Errc got = Errc::None;
        if (c.expected != Errc::None) {
            const auto keys = ShareKeys::fromPassword(
                secret, std::string(static_cast<std::size_t>(c.passwordBytes), 'a'), params);
            got = keys.ok() ? Errc::None : keys.code();
        } else if (!params.validate().ok() || c.passwordBytes < 1 || c.passwordBytes > 4096) {
            got = Errc::InvalidArgument;
        }
        if (got != c.expected)
            disagree(QStringLiteral("kdfLimits"), QString::fromLatin1(c.name),
                     ots::test::outcomeName(got).toStdString());
        casesJson.append(QJsonObject{{QStringLiteral("name"), QString::fromLatin1(c.name)},
                                     {QStringLiteral("passwordBytes"), c.passwordBytes},
                                     {QStringLiteral("iterations"), static_cast<qint64>(c.t)},
                                     {QStringLiteral("memoryKiB"), static_cast<qint64>(c.m)},
                                     {QStringLiteral("parallelism"), static_cast<qint64>(c.p)},
                                     {QStringLiteral("expected"), ots::test::outcomeName(c.expected)}});
    }
    return {{QStringLiteral("description"),
             QStringLiteral(
                 "SPEC.md §3.2. The password is passwordBytes octets 0x61 ('a'); the link secret does "
                 "not matter. expected: the error the checks of §3.2 report, in their order, or 'ok' "
                 "when the password and parameters pass them (Argon2id itself is not run for these).")},
            {QStringLiteral("cases"), casesJson}};
}

// --- metadata plaintext (SPEC.md §5.1) ---------------------------------------------------------------

QJsonObject metadataPlaintextSection() {
    const QString files = QStringLiteral(
        R"({"v":1,"kind":"files","entries":[{"path":"photos","type":"folder"},{"path":"photos/beach.jpg","type":"file","size":123456}],"fileCount":1,"folderCount":1,"totalBytes":123456,"truncated":false,"note":"see you"})");
    const auto withField = [&](const char* from, const char* to) {
        QString json = files;
        json.replace(QString::fromLatin1(from), QString::fromLatin1(to));
        return json;
    };
    const QString text = QStringLiteral(
        R"({"v":1,"kind":"text","entries":[{"path":"message.txt","type":"file","size":12}],"fileCount":1,"folderCount":0,"totalBytes":12,"truncated":false})");
    const auto textWith = [&](const char* from, const char* to) {
        QString json = text;
        json.replace(QString::fromLatin1(from), QString::fromLatin1(to));
        return json;
    };
    struct Case {
        const char* name;
        QString json;
        const char* expected;
    };
    const char* malformed = "metadata.malformed";
    const std::vector<Case> cases = {
        {"files", files, "ok"},
        {"text", text, "ok"},
        {"no note, whitespace between tokens",
         QStringLiteral(" { \"v\" : 1 , \"kind\":\"files\", \"entries\":[] ,"
                        "\"fileCount\":0,\"folderCount\":0,\"totalBytes\":0,"
                        "\"truncated\":true } "),
         "ok"},
        {"largest integers",
         withField("\"size\":123456", "\"size\":9007199254740991")
             .replace(QStringLiteral("\"totalBytes\":123456"),
                      QStringLiteral("\"totalBytes\":9007199254740991"))
             .replace(QStringLiteral("\"fileCount\":1"), QStringLiteral("\"fileCount\":1000000")),
         "ok"},
        {"unknown fields, fractions in them", withField("\"v\":1,", "\"v\":1,\"future\":1.5,\"more\":[1e3],"),
         "ok"},
        {"v 2", withField("\"v\":1", "\"v\":2"), "metadata.unsupported_version"},
        {"v 1.0", withField("\"v\":1", "\"v\":1.0"), malformed},
        {"v spelled with an escape, 1.0", withField("\"v\":1", "\"\\u0076\":1.0"), malformed},
        {"size 2^53", withField("\"size\":123456", "\"size\":9007199254740992"), malformed},
        {"totalBytes 2^53 + 1", withField("\"totalBytes\":123456", "\"totalBytes\":9007199254740993"),
         malformed},
        {"size 1.0", withField("\"size\":123456", "\"size\":1.0"), malformed},
        {"size 123456.0", withField("\"size\":123456", "\"size\":123456.0"), malformed},
        {"fileCount 1e0", withField("\"fileCount\":1", "\"fileCount\":1e0"), malformed},
        {"folderCount -0", withField("\"folderCount\":1", "\"folderCount\":-0"), malformed},
        {"fileCount -1", withField("\"fileCount\":1", "\"fileCount\":-1"), malformed},
        {"fileCount 1000001", withField("\"fileCount\":1", "\"fileCount\":1000001"), malformed},
        {"size as a string", withField("\"size\":123456", "\"size\":\"123456\""), malformed},
        {"byte order mark", QChar(0xfeff) + files, malformed},
        {"missing truncated", withField(",\"truncated\":false", ""), malformed},
        {"note not a string", withField("\"note\":\"see you\"", "\"note\":7"), malformed},
        {"unknown kind", withField("\"kind\":\"files\"", "\"kind\":\"archive\""), malformed},
        {"empty path", withField("\"path\":\"photos\"", "\"path\":\"\""), malformed},
        {"unknown type", withField("\"type\":\"folder\"", "\"type\":\"link\""), malformed},
        {"not an object", QStringLiteral("[1]"), malformed},
        {"text with two entries",
         textWith("}],", "},{\"path\":\"b.txt\",\"type\":\"file\",\"size\":0}],")
             .replace(QStringLiteral("\"fileCount\":1"), QStringLiteral("\"fileCount\":2")),
         malformed},
        {"text with a folder entry",
         textWith(R"({"path":"message.txt","type":"file","size":12})",
                  R"({"path":"message.txt","type":"folder"})"),
         malformed},
        {"text with no entries", textWith(R"({"path":"message.txt","type":"file","size":12})", ""),
         malformed},
        {"text with folderCount 1", textWith("\"folderCount\":0", "\"folderCount\":1"), malformed},
        {"text truncated", textWith("\"truncated\":false", "\"truncated\":true"), malformed},
        {"text totalBytes not its size", textWith("\"totalBytes\":12", "\"totalBytes\":13"), malformed},
    };
    QJsonArray casesJson;
    for (const Case& c : cases)
        casesJson.append(QJsonObject{{QStringLiteral("name"), QString::fromLatin1(c.name)},
                                     {QStringLiteral("json"), c.json},
                                     {QStringLiteral("expected"), QString::fromLatin1(c.expected)}});
    return {{QStringLiteral("description"),
             QStringLiteral(
                 "SPEC.md §5.1. json: the plaintext, as the UTF-8 encoding of this string. expected: "
                 "'ok' or the error a receiver reports. Checked by tests/desktop/core/tst_metadatacodec "
                 "(the reference parser is part of the desktop client).")},
            {QStringLiteral("cases"), casesJson}};
}

// --- metadata envelopes (SPEC.md §5) ---------------------------------------------------------------

QByteArray sealRaw(const ShareKeys& keys, const QByteArray& padded) {
    QByteArray envelope(1 + 24 + padded.size() + 16, '\0');
    auto* out = reinterpret_cast<unsigned char*>(envelope.data());
    out[0] = 1;
    for (int i = 0; i < 24; ++i)
        out[1 + i] = static_cast<unsigned char>(0x70 + i);
    const QByteArray ad = QByteArrayLiteral("onetimeshare/v1/metadata") + QByteArray(1, '\x01');
    unsigned long long sealed = 0;
    crypto_aead_xchacha20poly1305_ietf_encrypt(
        out + 25, &sealed, reinterpret_cast<const unsigned char*>(padded.constData()),
        static_cast<unsigned long long>(padded.size()),
        reinterpret_cast<const unsigned char*>(ad.constData()), static_cast<unsigned long long>(ad.size()),
        nullptr, out + 1, keys.metadataKey().data());
    return envelope;
}

QJsonObject metadataEnvelopeSection() {
    const ShareKeys keys = keysFromSeed(0x11);
    const QByteArray json = QByteArrayLiteral("{\"v\":1}");
    const auto padTo = [&](const QByteArray& body, qsizetype size) {
        QByteArray padded = body + QByteArray(1, '\x80');
        return padded + QByteArray(size - padded.size(), '\0');
    };
    struct Case {
        const char* name;
        QByteArray envelope;    // used when fillLength is 0
        std::size_t fillLength; // otherwise: firstByte then zeros up to this length
        char firstByte;
        Errc expected;
        QByteArray plaintext;
    };
    const std::size_t max = metadata::maxEnvelopeBytes();
    const std::vector<Case> cases = {
        {"padded to 256", sealRaw(keys, padTo(json, 256)), 0, 0, Errc::None, json},
        {"empty plaintext", sealRaw(keys, padTo({}, 256)), 0, 0, Errc::None, {}},
        {"255 bytes of JSON fill one block", sealRaw(keys, padTo(QByteArray(255, ' '), 256)), 0, 0,
         Errc::None, QByteArray(255, ' ')},
        {"empty input", {}, 0, 0, Errc::MetadataTruncated, {}},
        {"296 bytes", QByteArray(1, '\x01') + QByteArray(295, '\0'), 0, 0, Errc::MetadataTruncated, {}},
        {"version 2 is reported before the length",
         QByteArray(1, '\x02') + QByteArray(9, '\0'),
         0,
         0,
         Errc::MetadataUnsupportedVersion,
         {}},
        {"one byte above the maximum", {}, max + 1, 1, Errc::MetadataTooLarge, {}},
        {"version 2 above the maximum", {}, max + 1, 2, Errc::MetadataUnsupportedVersion, {}},
        {"the maximum size is read and authenticated", {}, max, 1, Errc::MetadataAuthFailed, {}},
        {"plaintext of 300 bytes", sealRaw(keys, padTo(json, 300)), 0, 0, Errc::MetadataMalformed, {}},
        {"no padding marker", sealRaw(keys, QByteArray(256, '\0')), 0, 0, Errc::MetadataMalformed, {}},
        {"non-zero byte after the marker",
         sealRaw(keys, padTo(json, 256).replace(json.size() + 1, 1, "\x01")),
         0,
         0,
         Errc::MetadataMalformed,
         {}},
        {"a whole block of padding too many",
         sealRaw(keys, padTo(json, 512)),
         0,
         0,
         Errc::MetadataMalformed,
         {}},
    };
    QJsonArray casesJson;
    for (const Case& c : cases) {
        QByteArray envelope = c.envelope;
        if (c.fillLength != 0) {
            envelope = QByteArray(static_cast<qsizetype>(c.fillLength), '\0');
            envelope[0] = c.firstByte;
        }
        const auto opened = metadata::open(keys, view(envelope));
        const Errc got = opened.ok() ? Errc::None : opened.code();
        if (got != c.expected || (opened.ok() && toQ(*opened) != c.plaintext))
            disagree(QStringLiteral("metadataEnvelopes"), QString::fromLatin1(c.name),
                     ots::test::outcomeName(got).toStdString());
        QJsonObject o{{QStringLiteral("name"), QString::fromLatin1(c.name)},
                      {QStringLiteral("linkSecret"), secretText(0x11)},
                      {QStringLiteral("expected"), ots::test::outcomeName(c.expected)}};
        if (c.fillLength != 0)
            o[QStringLiteral("envelopeFill")] =
                QJsonObject{{QStringLiteral("firstByte"), static_cast<int>(c.firstByte)},
                            {QStringLiteral("length"), static_cast<qint64>(c.fillLength)}};
        else
            o[QStringLiteral("envelope")] = b64(envelope);
        if (c.expected == Errc::None)
            o[QStringLiteral("plaintext")] = b64(c.plaintext);
        casesJson.append(o);
    }
    return {{QStringLiteral("description"),
             QStringLiteral(
                 "SPEC.md §5. envelope: base64, or envelopeFill: firstByte followed by zero bytes up to "
                 "length. Opened with the metadata key of linkSecret; expected 'ok' with the unpadded "
                 "plaintext (base64), or the error of the first failing check of §5.")},
            {QStringLiteral("cases"), casesJson}};
}

// --- authenticated but malformed streams (SPEC.md §4.4 steps 3-5) ---------------------------------------

// A stream built by hand with the right keys, so everything authenticates and only the layout is wrong.
QByteArray craftStream(const ShareKeys& keys, std::uint64_t paddedSize, const QByteArray& plain,
                       char reserved, bool finalTagOnLast, bool finalTagOnFirst) {
    QByteArray header = QByteArrayLiteral("OTSS") + QByteArray(1, '\x01') + QByteArray(1, reserved) +
                        QByteArray(2, '\0') + le(paddedSize, 8);
    unsigned char commitment[32];
    crypto_generichash(commitment, sizeof commitment,
                       reinterpret_cast<const unsigned char*>(format::kCommitLabel.data()),
                       format::kCommitLabel.size(), keys.commitKey().data(), keys.commitKey().size());
    header += QByteArray(reinterpret_cast<const char*>(commitment), 32);
    crypto_secretstream_xchacha20poly1305_state state;
    unsigned char ssHeader[crypto_secretstream_xchacha20poly1305_HEADERBYTES];
    crypto_secretstream_xchacha20poly1305_init_push(&state, ssHeader, keys.streamKey().data());
    header += QByteArray(reinterpret_cast<const char*>(ssHeader), sizeof ssHeader);
    unsigned char mac[32];
    crypto_generichash(mac, sizeof mac, reinterpret_cast<const unsigned char*>(header.constData()),
                       static_cast<std::size_t>(header.size()), keys.headerMacKey().data(),
                       keys.headerMacKey().size());
    header += QByteArray(reinterpret_cast<const char*>(mac), 32);

    QByteArray out = header;
    const qsizetype chunk = static_cast<qsizetype>(format::kChunkPlainBytes);
    const qsizetype chunks = (plain.size() + chunk - 1) / chunk;
    for (qsizetype i = 0; i < chunks; ++i) {
        const QByteArray piece = plain.mid(i * chunk, chunk);
        const QByteArray index = le(static_cast<std::uint64_t>(i), 8);
        const bool last = i == chunks - 1;
        const bool isFinal = last ? finalTagOnLast : (i == 0 && finalTagOnFirst);
        QByteArray sealed(piece.size() + 17, '\0');
        crypto_secretstream_xchacha20poly1305_push(
            &state, reinterpret_cast<unsigned char*>(sealed.data()), nullptr,
            reinterpret_cast<const unsigned char*>(piece.constData()),
            static_cast<unsigned long long>(piece.size()),
            reinterpret_cast<const unsigned char*>(index.constData()), 8,
            isFinal ? crypto_secretstream_xchacha20poly1305_TAG_FINAL
                    : crypto_secretstream_xchacha20poly1305_TAG_MESSAGE);
        out += index + sealed;
    }
    return out;
}

QJsonObject streamMalformedSection() {
    const ShareKeys keys = keysFromSeed(0x11);
    const auto padded = [](std::uint64_t length, qsizetype size) {
        return le(length, 8) + ots::test::pattern(static_cast<qsizetype>(length)) +
               QByteArray(size - 8 - static_cast<qsizetype>(length), '\0');
    };
    QByteArray dirtyPadding = padded(5, 4096);
    dirtyPadding[100] = '\x01';
    struct Case {
        const char* name;
        const char* description;
        QByteArray ciphertext;
        const char* outcome;
    };
    const std::vector<Case> cases = {
        {"control: crafted and well formed", "5 bytes, built by hand the way the encryptor builds them",
         craftStream(keys, 4096, padded(5, 4096), 0, true, false), "success"},
        {"padding byte not zero", "byte 100 of the padded plaintext is 1",
         craftStream(keys, 4096, dirtyPadding, 0, true, false), "payload failure"},
        {"length does not match the padded size", "L = 5 in a stream of P = 8192 (Padmé gives 4096)",
         craftStream(keys, 8192, padded(5, 8192), 0, true, false), "payload failure"},
        {"length beyond the padded size", "L = 5000 in a stream of P = 4096",
         craftStream(keys, 4096, le(5000, 8) + QByteArray(4088, '\0'), 0, true, false), "payload failure"},
        {"reserved header byte set", "byte 5 of the header is 1, under a valid header MAC",
         craftStream(keys, 4096, padded(5, 4096), 1, true, false), "header failure"},
        {"padded size below 4096", "P = 2048, one chunk of 2048 bytes",
         craftStream(keys, 2048, padded(5, 2048), 0, true, false), "header failure"},
        {"last chunk without FINAL", "the only chunk carries TAG_MESSAGE",
         craftStream(keys, 4096, padded(5, 4096), 0, false, false), "payload failure"},
        {"FINAL before the last chunk", "chunk 0 of 2 carries TAG_FINAL",
         craftStream(keys, 67584, padded(65529, 67584), 0, true, true), "payload failure"},
    };
    QJsonArray casesJson;
    for (const Case& c : cases) {
        const bool success = std::strcmp(c.outcome, "success") == 0;
        const ots::test::Decrypted result = ots::test::decrypt(keys, c.ciphertext, 0);
        const Errc got = result.status.ok() ? Errc::None : result.status.code();
        if (got != (success ? Errc::None : Errc::StreamMalformed))
            disagree(QStringLiteral("streamMalformed"), QString::fromLatin1(c.name),
                     ots::test::outcomeName(got).toStdString());
        QJsonObject o{{QStringLiteral("name"), QString::fromLatin1(c.name)},
                      {QStringLiteral("description"), QString::fromLatin1(c.description)},
                      {QStringLiteral("linkSecret"), secretText(0x11)},
                      {QStringLiteral("expected"), QString::fromLatin1(c.outcome)},
                      {QStringLiteral("ciphertext"), b64(c.ciphertext)}};
        if (success)
            o[QStringLiteral("payloadPatternLength")] = 5;
        else
            o[QStringLiteral("error")] = ots::test::outcomeName(Errc::StreamMalformed);
        casesJson.append(o);
    }
    return {
        {QStringLiteral("description"),
         QStringLiteral("SPEC.md §4.4 steps 3-5: streams built by hand under the right keys, so every MAC "
                        "verifies and only the layout is wrong. Same fields as the stream vectors.")},
        {QStringLiteral("cases"), casesJson}};
}

// randombytes_buf_deterministic under a key that changes with every call: a fixed, seedable stream.
std::uint64_t g_randomCalls = 0;

void deterministicBuf(void* buffer, std::size_t size) {
    unsigned char key[randombytes_SEEDBYTES];
    const unsigned char label[] = "ots test vectors";
    unsigned char input[sizeof label + 8];
    std::memcpy(input, label, sizeof label);
    for (int i = 0; i < 8; ++i)
        input[sizeof label + static_cast<std::size_t>(i)] =
            static_cast<unsigned char>(g_randomCalls >> (8 * i));
    ++g_randomCalls;
    crypto_generichash(key, sizeof key, input, sizeof input, nullptr, 0);
    randombytes_buf_deterministic(buffer, size, key);
}

std::uint32_t deterministicRandom() {
    std::uint32_t value = 0;
    deterministicBuf(&value, sizeof value);
    return value;
}

const char* deterministicName() {
    return "ots-test-vectors";
}

randombytes_implementation g_deterministic = {
    deterministicName, deterministicRandom, nullptr, nullptr, deterministicBuf, nullptr,
};

} // namespace

void useDeterministicRandomness() {
    randombytes_set_implementation(&g_deterministic);
}

std::vector<std::pair<QString, QJsonObject>> laterSections() {
    return {{QStringLiteral("links"), linkSection()},
            {QStringLiteral("containers"), containerSection()},
            {QStringLiteral("padme"), padmeSection()},
            {QStringLiteral("kdfLimits"), kdfSection()},
            {QStringLiteral("metadataPlaintext"), metadataPlaintextSection()},
            {QStringLiteral("metadataEnvelopes"), metadataEnvelopeSection()},
            {QStringLiteral("streamMalformed"), streamMalformedSection()}};
}

} // namespace ots::vectors
