// The link grammar (SPEC.md §2): every accepted spelling with its canonical form, one row per
// rejection asserting the exact error code, round trips through the web and app forms, make(), and
// the loopback rule that decides where plain http is allowed.

#include "ots/Crypto.h"
#include "ots/Error.h"
#include "ots/Format.h"
#include "ots/SecretBuffer.h"
#include "ots/ShareLink.h"

#include <QByteArray>
#include <QTest>

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

using ots::Errc;
using ots::ShareLink;
using Transport = ots::ShareLink::Transport;

Q_DECLARE_METATYPE(ots::Errc)
Q_DECLARE_METATYPE(ots::ShareLink::Transport)

namespace ots {
// Found by argument-dependent lookup from QCOMPARE, so a failure prints "link.bad_host", not a number.
char* toString(Errc code) {
    const std::string_view name = errorName(code);
    return qstrdup(QByteArray(name.data(), static_cast<qsizetype>(name.size())).constData());
}
char* toString(ShareLink::Transport transport) {
    return qstrdup(transport == ShareLink::Transport::Http ? "Http" : "Https");
}
} // namespace ots

namespace {

// Share id: the bytes 00 01 … 0f. Secret: SHA-256("test") (FIPS 180-4), chosen because its
// base64url spelling holds both '-' and '_', the two characters where base64url and base64 differ.
const QByteArray kIdText = QByteArrayLiteral("AAECAwQFBgcICQoLDA0ODw");
constexpr std::array<std::uint8_t, 16> kIdBytes{0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                                0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f};
const QByteArray kSecretText = QByteArrayLiteral("n4bQgYhMfWWaL-qgxVrQFaO_TxsrC4Is0V1sFbDwCgg");
constexpr std::array<std::uint8_t, 32> kSecretBytes{
    0x9f, 0x86, 0xd0, 0x81, 0x88, 0x4c, 0x7d, 0x65, 0x9a, 0x2f, 0xea, 0xa0, 0xc5, 0x5a, 0xd0, 0x15,
    0xa3, 0xbf, 0x4f, 0x1b, 0x2b, 0x0b, 0x82, 0x2c, 0xd1, 0x5d, 0x6c, 0x15, 0xb0, 0xf0, 0x0a, 0x08};

// The standard-alphabet (RFC 4648 §4) spelling of the same secret.
const QByteArray kSecretStandardBase64 = QByteArrayLiteral("n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg");

std::string_view view(const QByteArray& bytes) {
    return {bytes.constData(), static_cast<std::size_t>(bytes.size())};
}

QByteArray toQ(std::string_view text) {
    return {text.data(), static_cast<qsizetype>(text.size())};
}

/// origin + "/s/<id>#<secret>" with the standard test id and secret.
QByteArray share(const QByteArray& origin) {
    return origin + "/s/" + kIdText + "#" + kSecretText;
}

QByteArray withPath(const QByteArray& path) {
    return "https://relay.example" + path + "#" + kSecretText;
}

QByteArray withId(const QByteArray& id) {
    return withPath("/s/" + id);
}

QByteArray withFragment(const QByteArray& fragment) {
    return "https://relay.example/s/" + kIdText + fragment;
}

QByteArray repeated(char c, qsizetype count) {
    return QByteArray(count, c);
}

constexpr qsizetype kHttpsPrefixChars = 8; // "https://"
constexpr qsizetype kHttpPrefixChars = 7;  // "http://"

void verifySameLink(const ShareLink& actual, const ShareLink& expected) {
    QCOMPARE(actual.transport(), expected.transport());
    QCOMPARE(toQ(actual.host()), toQ(expected.host()));
    QCOMPARE(actual.port(), expected.port());
    QVERIFY(actual.shareId() == expected.shareId());
    QVERIFY(actual.secret().equals(expected.secret().span()));
}

struct ValidRow {
    const char* name;
    QByteArray input;
    Transport transport;
    QByteArray host;
    std::uint16_t port;
    QByteArray canonical; ///< toWebUrl() of the parsed link
};

std::vector<ValidRow> validRows() {
    const QByteArray label63 = repeated('a', 63);
    const QByteArray name253 =
        label63 + "." + repeated('b', 63) + "." + repeated('c', 63) + "." + repeated('d', 61);
    return {
        {"https", share("https://relay.example"), Transport::Https, "relay.example", 0,
         share("https://relay.example")},
        {"https with port", share("https://relay.example:8443"), Transport::Https, "relay.example", 8443,
         share("https://relay.example:8443")},
        {"https default port folded", share("https://relay.example:443"), Transport::Https, "relay.example",
         0, share("https://relay.example")},
        {"https port 80 kept", share("https://relay.example:80"), Transport::Https, "relay.example", 80,
         share("https://relay.example:80")},
        {"lowest port", share("https://relay.example:1"), Transport::Https, "relay.example", 1,
         share("https://relay.example:1")},
        {"highest port", share("https://relay.example:65535"), Transport::Https, "relay.example", 65535,
         share("https://relay.example:65535")},
        {"app scheme", share("onetimeshare://relay.example"), Transport::Https, "relay.example", 0,
         share("https://relay.example")},
        {"app scheme with port", share("onetimeshare://relay.example:8443"), Transport::Https,
         "relay.example", 8443, share("https://relay.example:8443")},
        {"app scheme default port folded", share("onetimeshare://relay.example:443"), Transport::Https,
         "relay.example", 0, share("https://relay.example")},
        {"upper-case scheme and host", share("HTTPS://RELAY.Example"), Transport::Https, "relay.example", 0,
         share("https://relay.example")},
        {"mixed-case app scheme", share("OneTimeShare://Relay.Example:8443"), Transport::Https,
         "relay.example", 8443, share("https://relay.example:8443")},
        {"http to 127.0.0.1", share("http://127.0.0.1:8080"), Transport::Http, "127.0.0.1", 8080,
         share("http://127.0.0.1:8080")},
        {"app scheme to 127.0.0.1 means http", share("onetimeshare://127.0.0.1:8080"), Transport::Http,
         "127.0.0.1", 8080, share("http://127.0.0.1:8080")},
        {"app scheme to localhost, http default port folded", share("onetimeshare://LOCALHOST:80"),
         Transport::Http, "localhost", 0, share("http://localhost")},
        {"app scheme to localhost, port 443 kept", share("onetimeshare://localhost:443"), Transport::Http,
         "localhost", 443, share("http://localhost:443")},
        {"app scheme to [0::1] means http", share("onetimeshare://[0::1]:8080"), Transport::Http, "::1", 8080,
         share("http://[::1]:8080")},
        {"app scheme to IPv4-mapped loopback means https", share("onetimeshare://[::ffff:127.0.0.1]"),
         Transport::Https, "::ffff:127.0.0.1", 0, share("https://[::ffff:127.0.0.1]")},
        {"app scheme to a look-alike name means https", share("onetimeshare://127.0.0.1.nip.io"),
         Transport::Https, "127.0.0.1.nip.io", 0, share("https://127.0.0.1.nip.io")},
        {"https to 127.0.0.1", share("https://127.0.0.1:8443"), Transport::Https, "127.0.0.1", 8443,
         share("https://127.0.0.1:8443")},
        {"http to top of 127/8", share("http://127.255.255.254"), Transport::Http, "127.255.255.254", 0,
         share("http://127.255.255.254")},
        {"http to localhost", share("http://localhost"), Transport::Http, "localhost", 0,
         share("http://localhost")},
        {"http upper-case localhost, default port folded", share("HTTP://LOCALHOST:80"), Transport::Http,
         "localhost", 0, share("http://localhost")},
        {"http port 443 kept", share("http://localhost:443"), Transport::Http, "localhost", 443,
         share("http://localhost:443")},
        {"http to [::1]", share("http://[::1]:8080"), Transport::Http, "::1", 8080,
         share("http://[::1]:8080")},
        {"http to [0:0:0:0:0:0:0:1]", share("http://[0:0:0:0:0:0:0:1]"), Transport::Http, "::1", 0,
         share("http://[::1]")},
        {"http to [0000::0001]", share("http://[0000::0001]"), Transport::Http, "::1", 0,
         share("http://[::1]")},
        {"https to IPv4", share("https://192.0.2.1"), Transport::Https, "192.0.2.1", 0,
         share("https://192.0.2.1")},
        {"https to 0.0.0.0", share("https://0.0.0.0:8443"), Transport::Https, "0.0.0.0", 8443,
         share("https://0.0.0.0:8443")},
        {"IPv6 upper-case", share("https://[2001:DB8::1]:8443"), Transport::Https, "2001:db8::1", 8443,
         share("https://[2001:db8::1]:8443")},
        {"IPv6 leading zeros dropped", share("https://[2001:0db8:0000:0000:0000:0000:0000:0001]"),
         Transport::Https, "2001:db8::1", 0, share("https://[2001:db8::1]")},
        {"IPv6 first of equal zero runs compressed", share("https://[2001:db8:0:0:1:0:0:1]"),
         Transport::Https, "2001:db8::1:0:0:1", 0, share("https://[2001:db8::1:0:0:1]")},
        {"IPv6 longest zero run compressed", share("https://[2001:0:0:1:0:0:0:1]"), Transport::Https,
         "2001:0:0:1::1", 0, share("https://[2001:0:0:1::1]")},
        {"IPv6 single zero group spelled out", share("https://[2001:db8::1:1:1:1:1]"), Transport::Https,
         "2001:db8:0:1:1:1:1:1", 0, share("https://[2001:db8:0:1:1:1:1:1]")},
        {"IPv6 trailing compression", share("https://[1:2:3:4:5:6:7::]"), Transport::Https, "1:2:3:4:5:6:7:0",
         0, share("https://[1:2:3:4:5:6:7:0]")},
        {"IPv6 unspecified", share("https://[::]"), Transport::Https, "::", 0, share("https://[::]")},
        {"IPv4-mapped IPv6", share("https://[::FFFF:192.0.2.1]"), Transport::Https, "::ffff:192.0.2.1", 0,
         share("https://[::ffff:192.0.2.1]")},
        {"IPv4-mapped IPv6 written in hex", share("https://[::ffff:c000:201]"), Transport::Https,
         "::ffff:192.0.2.1", 0, share("https://[::ffff:192.0.2.1]")},
        {"IPv6 dotted tail outside the mapped range", share("https://[64:ff9b::192.0.2.1]"), Transport::Https,
         "64:ff9b::c000:201", 0, share("https://[64:ff9b::c000:201]")},
        {"surrounding whitespace", "  " + share("https://relay.example") + "\n", Transport::Https,
         "relay.example", 0, share("https://relay.example")},
        {"tabs, CR and LF around", "\t\r\n " + share("onetimeshare://relay.example") + "\r\n\v\f",
         Transport::Https, "relay.example", 0, share("https://relay.example")},
        {"whitespace beyond the length limit", repeated(' ', 3000) + share("https://relay.example"),
         Transport::Https, "relay.example", 0, share("https://relay.example")},
        {"single-label host", share("https://relay"), Transport::Https, "relay", 0, share("https://relay")},
        {"punycode host", share("https://xn--rseau-bsa.example"), Transport::Https, "xn--rseau-bsa.example",
         0, share("https://xn--rseau-bsa.example")},
        {"numeric labels before a name", share("https://127.0.0.1.example"), Transport::Https,
         "127.0.0.1.example", 0, share("https://127.0.0.1.example")},
        {"hyphen inside a label", share("https://my-relay.example"), Transport::Https, "my-relay.example", 0,
         share("https://my-relay.example")},
        {"63-character label", share("https://" + label63 + ".example"), Transport::Https,
         label63 + ".example", 0, share("https://" + label63 + ".example")},
        {"253-character name", share("https://" + name253), Transport::Https, name253, 0,
         share("https://" + name253)},
    };
}

struct RejectRow {
    const char* name;
    QByteArray input;
    Errc code;
};

std::vector<RejectRow> rejectRows() {
    const QByteArray name254 =
        repeated('a', 63) + "." + repeated('b', 63) + "." + repeated('c', 63) + "." + repeated('d', 62);
    const QByteArray idWithPlus = "-----_8+AAECAwQFBgcICQ";
    const QByteArray idWithSlash = "+++++/8+AAECAwQFBgcICQ"; // standard base64 of -----_8-AAECAwQFBgcICQ
    return {
        {"empty", "", Errc::LinkEmpty},
        {"only whitespace", " \t\r\n ", Errc::LinkEmpty},

        {"2049 characters", "https://" + repeated('a', 2041), Errc::LinkTooLong},
        {"2049 characters inside whitespace", "  https://" + repeated('a', 2041) + "  ", Errc::LinkTooLong},

        {"ftp", share("ftp://relay.example"), Errc::LinkBadScheme},
        {"wss", share("wss://relay.example"), Errc::LinkBadScheme},
        {"no scheme", share("relay.example"), Errc::LinkBadScheme},
        {"scheme-relative", share("//relay.example"), Errc::LinkBadScheme},
        {"single slash", share("https:/relay.example"), Errc::LinkBadScheme},
        {"no slashes", share("https:relay.example"), Errc::LinkBadScheme},
        {"app scheme without slashes", share("onetimeshare:relay.example"), Errc::LinkBadScheme},
        {"backslashes", "https:\\\\relay.example\\s\\" + kIdText + "#" + kSecretText, Errc::LinkBadScheme},
        {"scheme with extra letter", share("httpss://relay.example"), Errc::LinkBadScheme},
        {"scheme prefix", share("xhttps://relay.example"), Errc::LinkBadScheme},
        {"space inside scheme", share("ht tps://relay.example"), Errc::LinkBadScheme},
        {"control character before scheme", "\x01" + share("https://relay.example"), Errc::LinkBadScheme},
        {"NUL before scheme", QByteArray(1, '\0') + share("https://relay.example"), Errc::LinkBadScheme},
        {"empty scheme", share("://relay.example"), Errc::LinkBadScheme},

        {"http to private IPv4", share("http://10.0.0.1"), Errc::LinkInsecureHttp},
        {"http to a DNS name", share("http://relay.example"), Errc::LinkInsecureHttp},
        {"upper-case http to a DNS name", share("HTTP://relay.example:8080"), Errc::LinkInsecureHttp},
        {"http to a loopback look-alike name", share("http://127.0.0.1.evil.com"), Errc::LinkInsecureHttp},
        {"http to a localhost subdomain", share("http://localhost.evil.com"), Errc::LinkInsecureHttp},
        {"http to 128.0.0.1", share("http://128.0.0.1"), Errc::LinkInsecureHttp},
        {"http to 0.0.0.0", share("http://0.0.0.0"), Errc::LinkInsecureHttp},
        {"http to [::2]", share("http://[::2]"), Errc::LinkInsecureHttp},
        {"http to [::]", share("http://[::]"), Errc::LinkInsecureHttp},
        {"http to IPv4-mapped loopback", share("http://[::ffff:127.0.0.1]"), Errc::LinkInsecureHttp},

        {"user and password", share("https://user:pass@relay.example"), Errc::LinkHasUserInfo},
        {"host disguised as user", share("https://relay.example@evil.example"), Errc::LinkHasUserInfo},
        {"empty userinfo", share("https://@relay.example"), Errc::LinkHasUserInfo},
        {"userinfo before loopback http", share("http://localhost@evil.example"), Errc::LinkHasUserInfo},
        {"userinfo before IPv6", share("https://user@[::1]"), Errc::LinkHasUserInfo},

        {"empty host", share("https://"), Errc::LinkBadHost},
        {"empty host with port", share("https://:8443"), Errc::LinkBadHost},
        {"empty label", share("https://relay..example"), Errc::LinkBadHost},
        {"leading dot", share("https://.relay.example"), Errc::LinkBadHost},
        {"trailing dot", share("https://relay.example."), Errc::LinkBadHost},
        {"label starting with hyphen", share("https://-relay.example"), Errc::LinkBadHost},
        {"label ending with hyphen", share("https://relay-.example"), Errc::LinkBadHost},
        {"underscore", share("https://relay_1.example"), Errc::LinkBadHost},
        {"percent-encoded host", share("https://rel%61y.example"), Errc::LinkBadHost},
        {"64-character label", share("https://" + repeated('a', 64) + ".example"), Errc::LinkBadHost},
        {"254-character name", share("https://" + name254), Errc::LinkBadHost},
        {"2048 characters (host too long, not link)", "https://" + repeated('a', 2040), Errc::LinkBadHost},
        {"UTF-8 host", share("https://r\xc3\xa9seau.example"), Errc::LinkBadHost},
        {"space in host", share("https://re lay.example"), Errc::LinkBadHost},
        {"tab in host", share("https://re\tlay.example"), Errc::LinkBadHost},
        {"backslash in host", share("https://relay.example\\evil.example"), Errc::LinkBadHost},
        {"IPv4 part above 255", share("https://256.1.1.1"), Errc::LinkBadHost},
        {"IPv4 leading zero", share("https://01.2.3.4"), Errc::LinkBadHost},
        {"IPv4 leading zero in last part", share("https://127.0.0.01"), Errc::LinkBadHost},
        {"IPv4 with three parts", share("https://127.1"), Errc::LinkBadHost},
        {"IPv4 with five parts", share("https://1.2.3.4.5"), Errc::LinkBadHost},
        {"IPv4 in hex", share("https://0x7f.0.0.1"), Errc::LinkBadHost},
        {"hex last label", share("https://relay.0x10"), Errc::LinkBadHost},
        {"decimal number host", share("https://2130706433"), Errc::LinkBadHost},
        {"IPv6 without brackets", share("https://::1"), Errc::LinkBadHost},
        {"IPv6 without brackets, with port", share("https://2001:db8::1:8443"), Errc::LinkBadHost},
        {"unclosed bracket", share("https://[::1"), Errc::LinkBadHost},
        {"characters after bracket", share("https://[::1]x"), Errc::LinkBadHost},
        {"empty brackets", share("https://[]"), Errc::LinkBadHost},
        {"IPv4 in brackets", share("https://[127.0.0.1]"), Errc::LinkBadHost},
        {"IPvFuture", share("https://[v1.fe]"), Errc::LinkBadHost},
        {"IPv6 zone id", share("https://[fe80::1%25eth0]"), Errc::LinkBadHost},
        {"IPv6 two compressions", share("https://[1::2::3]"), Errc::LinkBadHost},
        {"IPv6 nine groups", share("https://[1:2:3:4:5:6:7:8:9]"), Errc::LinkBadHost},
        {"IPv6 seven groups", share("https://[1:2:3:4:5:6:7]"), Errc::LinkBadHost},
        {"IPv6 eight groups and compression", share("https://[1:2:3:4::5:6:7:8]"), Errc::LinkBadHost},
        {"IPv6 five hex digits", share("https://[12345::1]"), Errc::LinkBadHost},
        {"IPv6 non-hex digit", share("https://[::g]"), Errc::LinkBadHost},
        {"IPv6 leading single colon", share("https://[:1::2]"), Errc::LinkBadHost},
        {"IPv6 trailing single colon", share("https://[1::2:]"), Errc::LinkBadHost},
        {"IPv6 triple colon", share("https://[1:::2]"), Errc::LinkBadHost},
        {"IPv6 dotted tail with leading zero", share("https://[::1.2.3.04]"), Errc::LinkBadHost},
        {"IPv6 dotted tail not last", share("https://[::1.2.3.4:5]"), Errc::LinkBadHost},
        {"IPv6 dotted tail too many groups", share("https://[1:2:3:4:5:6:7:1.2.3.4]"), Errc::LinkBadHost},
        {"IPv6 dotted tail with three parts", share("https://[::ffff:1.2.3]"), Errc::LinkBadHost},
        {"brackets in a name", share("https://relay[1].example"), Errc::LinkBadHost},

        {"empty port", share("https://relay.example:"), Errc::LinkBadPort},
        {"port 0", share("https://relay.example:0"), Errc::LinkBadPort},
        {"port 65536", share("https://relay.example:65536"), Errc::LinkBadPort},
        {"port 99999", share("https://relay.example:99999"), Errc::LinkBadPort},
        {"port with leading zero", share("https://relay.example:08443"), Errc::LinkBadPort},
        {"port with six digits", share("https://relay.example:000443"), Errc::LinkBadPort},
        {"port with a letter", share("https://relay.example:84a3"), Errc::LinkBadPort},
        {"port with a sign", share("https://relay.example:+443"), Errc::LinkBadPort},
        {"negative port", share("https://relay.example:-1"), Errc::LinkBadPort},
        {"space before port", share("https://relay.example: 443"), Errc::LinkBadPort},
        {"empty port after IPv6", share("https://[::1]:"), Errc::LinkBadPort},
        {"two ports after IPv6", share("https://[::1]:80:90"), Errc::LinkBadPort},
        {"letters as port after IPv6", share("https://[::1]:abc"), Errc::LinkBadPort},

        {"no path", "https://relay.example#" + kSecretText, Errc::LinkBadPath},
        {"root path", withPath("/"), Errc::LinkBadPath},
        {"share prefix without id", withPath("/s/"), Errc::LinkBadPath},
        {"no slash after s", withPath("/s"), Errc::LinkBadPath},
        {"other prefix", withPath("/x/" + kIdText), Errc::LinkBadPath},
        {"upper-case S", withPath("/S/" + kIdText), Errc::LinkBadPath},
        {"long prefix", withPath("/share/" + kIdText), Errc::LinkBadPath},
        {"extra leading segment", withPath("/api/s/" + kIdText), Errc::LinkBadPath},
        {"trailing slash", withPath("/s/" + kIdText + "/"), Errc::LinkBadPath},
        {"double slash before s", withPath("//s/" + kIdText), Errc::LinkBadPath},
        {"double slash before id", withPath("/s//" + kIdText), Errc::LinkBadPath},
        {"extra segment", withPath("/s/" + kIdText + "/extra"), Errc::LinkBadPath},
        {"dot segment", withPath("/s/./" + kIdText), Errc::LinkBadPath},
        {"dot-dot segment", withPath("/x/../s/" + kIdText), Errc::LinkBadPath},
        {"dot segment as id", withId("."), Errc::LinkBadPath},
        {"dot-dot segment as id", withId(".."), Errc::LinkBadPath},
        {"percent-encoded id character", withId("%41" + kIdText.mid(1)), Errc::LinkBadPath},
        {"percent-encoded slash", withPath("/s%2F" + kIdText), Errc::LinkBadPath},
        {"space inside id", withId(kIdText.left(10) + " " + kIdText.mid(11)), Errc::LinkBadPath},
        {"control character inside id", withId(kIdText.left(10) + "\x7f" + kIdText.mid(11)),
         Errc::LinkBadPath},
        {"standard base64 '/' in id", withId(idWithSlash), Errc::LinkBadPath},
        {"query without path", "https://relay.example?x=1#" + kSecretText, Errc::LinkBadPath},

        {"query", withPath("/s/" + kIdText + "?utm_source=mail"), Errc::LinkHasQuery},
        {"empty query", withPath("/s/" + kIdText + "?"), Errc::LinkHasQuery},
        {"query without fragment", "https://relay.example/s/" + kIdText + "?x", Errc::LinkHasQuery},

        {"id non-canonical last character", withId("AAECAwQFBgcICQoLDA0ODx"), Errc::LinkBadShareId},
        {"id of 21 characters", withId(kIdText.left(21)), Errc::LinkBadShareId},
        {"id of 23 characters", withId(kIdText + "A"), Errc::LinkBadShareId},
        {"id padded with '='", withId(kIdText + "=="), Errc::LinkBadShareId},
        {"standard base64 '+' in id", withId(idWithPlus), Errc::LinkBadShareId},
        {"id with '.'", withId(kIdText.left(21) + "."), Errc::LinkBadShareId},
        {"id in hex", withId("000102030405060708090a0b0c0d0e0f"), Errc::LinkBadShareId},
        {"secret in place of id", withId(kSecretText), Errc::LinkBadShareId},

        {"no fragment", "https://relay.example/s/" + kIdText, Errc::LinkMissingSecret},
        {"empty fragment", withFragment("#"), Errc::LinkMissingSecret},
        {"empty fragment before whitespace", withFragment("#  \n"), Errc::LinkMissingSecret},

        {"secret non-canonical last character", withFragment("#" + kSecretText.left(42) + "h"),
         Errc::LinkBadSecret},
        {"secret of 42 characters", withFragment("#" + kSecretText.left(42)), Errc::LinkBadSecret},
        {"secret of 44 characters", withFragment("#" + kSecretText + "A"), Errc::LinkBadSecret},
        {"secret padded with '='", withFragment("#" + kSecretText + "="), Errc::LinkBadSecret},
        {"secret in standard base64", withFragment("#" + kSecretStandardBase64), Errc::LinkBadSecret},
        {"standard base64 '+' in secret",
         withFragment("#" + kSecretText.left(13) + "+" + kSecretText.mid(14)), Errc::LinkBadSecret},
        {"standard base64 '/' in secret",
         withFragment("#" + kSecretText.left(23) + "/" + kSecretText.mid(24)), Errc::LinkBadSecret},
        {"percent-encoded secret character", withFragment("#%6E" + kSecretText.mid(1)), Errc::LinkBadSecret},
        {"second '#'", withFragment("##" + kSecretText), Errc::LinkBadSecret},
        {"query after secret", withFragment("#" + kSecretText + "?x=1"), Errc::LinkBadSecret},
        {"space inside secret", withFragment("#" + kSecretText.left(20) + " " + kSecretText.mid(21)),
         Errc::LinkBadSecret},
        {"control character inside secret",
         withFragment("#" + kSecretText.left(20) + "\x1b" + kSecretText.mid(21)), Errc::LinkBadSecret},
        {"id in place of secret", withFragment("#" + kIdText), Errc::LinkBadSecret},
    };
}

constexpr std::array kLinkCodes{Errc::LinkEmpty,        Errc::LinkTooLong,       Errc::LinkBadScheme,
                                Errc::LinkInsecureHttp, Errc::LinkHasUserInfo,   Errc::LinkBadHost,
                                Errc::LinkBadPort,      Errc::LinkBadPath,       Errc::LinkHasQuery,
                                Errc::LinkBadShareId,   Errc::LinkMissingSecret, Errc::LinkBadSecret};

ots::SecretBuffer testSecret() {
    return ots::SecretBuffer::fromBytes(kSecretBytes);
}

} // namespace

class TestShareLink : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(ots::initialize().ok()); }

    void parsesValidLinks_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<quint16>("port");
        QTest::addColumn<QByteArray>("canonical");
        for (const ValidRow& row : validRows())
            QTest::newRow(row.name) << row.input << row.transport << row.host << row.port << row.canonical;
    }

    void parsesValidLinks() {
        QFETCH(QByteArray, input);
        QFETCH(Transport, transport);
        QFETCH(QByteArray, host);
        QFETCH(quint16, port);
        QFETCH(QByteArray, canonical);

        const auto link = ShareLink::parse(view(input));
        QCOMPARE(link.code(), Errc::None);
        QCOMPARE(link->transport(), transport);
        QCOMPARE(toQ(link->host()), host);
        QCOMPARE(link->port(), port);
        QVERIFY(link->shareId() == kIdBytes);
        QCOMPARE(toQ(link->shareIdText()), kIdText);
        QVERIFY(link->secret().equals(kSecretBytes));
        QCOMPARE(toQ(link->toWebUrl()), canonical);
    }

    void roundTrips_data() { parsesValidLinks_data(); }

    void roundTrips() {
        QFETCH(QByteArray, input);
        QFETCH(Transport, transport);
        QFETCH(QByteArray, canonical);

        const auto link = ShareLink::parse(view(input));
        QVERIFY(link.ok());

        const std::string web = link->toWebUrl();
        const auto fromWeb = ShareLink::parse(web);
        QCOMPARE(fromWeb.code(), Errc::None);
        verifySameLink(*fromWeb, *link);
        QCOMPARE(toQ(fromWeb->toWebUrl()), toQ(web));

        // The app form means http for a loopback host and https otherwise (SPEC.md §2.1), so an https
        // relay on a loopback host keeps its web URL.
        const std::string app = link->toAppUrl();
        if (transport == Transport::Http)
            QCOMPARE(toQ(app), "onetimeshare://" + canonical.mid(kHttpPrefixChars));
        else if (ShareLink::isLoopbackHost(link->host()))
            QCOMPARE(toQ(app), toQ(web));
        else
            QCOMPARE(toQ(app), "onetimeshare://" + canonical.mid(kHttpsPrefixChars));
        const auto fromApp = ShareLink::parse(app);
        QCOMPARE(fromApp.code(), Errc::None);
        verifySameLink(*fromApp, *link);
        QCOMPARE(toQ(fromApp->toWebUrl()), toQ(web));

        // format(parse(canonical)) == canonical
        const auto fromCanonical = ShareLink::parse(view(canonical));
        QCOMPARE(fromCanonical.code(), Errc::None);
        QCOMPARE(toQ(fromCanonical->toWebUrl()), canonical);
    }

    void rejects_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<Errc>("code");
        for (const RejectRow& row : rejectRows())
            QTest::newRow(row.name) << row.input << row.code;
    }

    void rejects() {
        QFETCH(QByteArray, input);
        QFETCH(Errc, code);

        const auto link = ShareLink::parse(view(input));
        QCOMPARE(link.code(), code);
        // The error names the problem, never the secret it was handed.
        const QByteArray described = toQ(ots::describe(link.error()));
        QVERIFY(!described.contains(kSecretText));
        QVERIFY(!described.contains(kSecretStandardBase64));
    }

    void rejectionTableCoversEveryLinkCode() {
        const std::vector<RejectRow> rows = rejectRows();
        for (Errc code : kLinkCodes) {
            const bool covered = std::any_of(rows.begin(), rows.end(),
                                             [code](const RejectRow& row) { return row.code == code; });
            QVERIFY2(covered, errorName(code).data());
        }
    }

    void linkErrorsHaveNamesAndMessages() {
        std::vector<std::string_view> names;
        for (Errc code : kLinkCodes) {
            const std::string_view name = ots::errorName(code);
            const std::string_view message = ots::errorMessage(code);
            QVERIFY(name.substr(0, 5) == "link.");
            QVERIFY(name.size() > 5);
            QVERIFY(!message.empty());
            QVERIFY(message.find(view(kSecretText)) == std::string_view::npos);
            QVERIFY(std::find(names.begin(), names.end(), name) == names.end());
            names.push_back(name);
        }
    }

    void alphabetEdges_data() {
        QTest::addColumn<QByteArray>("id");
        QTest::addColumn<QByteArray>("secret");
        QTest::addColumn<quint8>("idByte");
        QTest::addColumn<quint8>("secretByte");
        QTest::newRow("all zero") << repeated('A', 22) << repeated('A', 43) << quint8{0x00} << quint8{0x00};
        QTest::newRow("all ones") << repeated('_', 21) + "w" << repeated('_', 42) + "8" << quint8{0xff}
                                  << quint8{0xff};
    }

    void alphabetEdges() {
        QFETCH(QByteArray, id);
        QFETCH(QByteArray, secret);
        QFETCH(quint8, idByte);
        QFETCH(quint8, secretByte);

        const QByteArray input = "https://relay.example/s/" + id + "#" + secret;
        const auto link = ShareLink::parse(view(input));
        QCOMPARE(link.code(), Errc::None);
        for (std::uint8_t b : link->shareId())
            QCOMPARE(b, idByte);
        for (std::uint8_t b : link->secret().span())
            QCOMPARE(b, secretByte);
        QCOMPARE(toQ(link->toWebUrl()), input);
    }

    void relayBaseUrl_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("base");
        QTest::newRow("https") << share("https://relay.example") << QByteArray("https://relay.example");
        QTest::newRow("https with port")
            << share("https://Relay.Example:8443") << QByteArray("https://relay.example:8443");
        QTest::newRow("https default port")
            << share("https://relay.example:443") << QByteArray("https://relay.example");
        QTest::newRow("app scheme") << share("onetimeshare://relay.example:8443")
                                    << QByteArray("https://relay.example:8443");
        QTest::newRow("http loopback") << share("http://localhost") << QByteArray("http://localhost");
        QTest::newRow("app scheme loopback")
            << share("onetimeshare://127.0.0.1:8080") << QByteArray("http://127.0.0.1:8080");
        QTest::newRow("http IPv6 loopback") << share("http://[0::1]:8080") << QByteArray("http://[::1]:8080");
        QTest::newRow("https IPv6") << share("https://[2001:db8::1]") << QByteArray("https://[2001:db8::1]");
    }

    void relayBaseUrl() {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, base);

        const auto link = ShareLink::parse(view(input));
        QVERIFY(link.ok());
        QCOMPARE(toQ(link->relayBaseUrl()), base);
        QVERIFY(link->toWebUrl().rfind(link->relayBaseUrl() + "/s/", 0) == 0);
    }

    void isLoopbackHost_data() {
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<bool>("loopback");
        QTest::newRow("localhost") << QByteArray("localhost") << true;
        QTest::newRow("LOCALHOST") << QByteArray("LOCALHOST") << true;
        QTest::newRow("127.0.0.1") << QByteArray("127.0.0.1") << true;
        QTest::newRow("127.1.2.3") << QByteArray("127.1.2.3") << true;
        QTest::newRow("127.255.255.255") << QByteArray("127.255.255.255") << true;
        QTest::newRow("::1") << QByteArray("::1") << true;
        QTest::newRow("[::1]") << QByteArray("[::1]") << true;
        QTest::newRow("0:0:0:0:0:0:0:1") << QByteArray("0:0:0:0:0:0:0:1") << true;
        QTest::newRow("[0:0:0::1]") << QByteArray("[0:0:0::1]") << true;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("localhost.") << QByteArray("localhost.") << false;
        QTest::newRow("localhost.evil.com") << QByteArray("localhost.evil.com") << false;
        QTest::newRow("127.0.0.1.evil.com") << QByteArray("127.0.0.1.evil.com") << false;
        QTest::newRow("126.255.255.255") << QByteArray("126.255.255.255") << false;
        QTest::newRow("128.0.0.1") << QByteArray("128.0.0.1") << false;
        QTest::newRow("10.0.0.1") << QByteArray("10.0.0.1") << false;
        QTest::newRow("127.1") << QByteArray("127.1") << false;
        QTest::newRow("0177.0.0.1") << QByteArray("0177.0.0.1") << false;
        QTest::newRow("::2") << QByteArray("::2") << false;
        QTest::newRow("::") << QByteArray("::") << false;
        QTest::newRow("::ffff:127.0.0.1") << QByteArray("::ffff:127.0.0.1") << false;
        QTest::newRow("[::1") << QByteArray("[::1") << false;
        QTest::newRow("::1%lo") << QByteArray("::1%lo") << false;
    }

    void isLoopbackHost() {
        QFETCH(QByteArray, host);
        QFETCH(bool, loopback);
        QCOMPARE(ShareLink::isLoopbackHost(view(host)), loopback);
    }

    void make_data() {
        QTest::addColumn<Transport>("transport");
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<quint16>("port");
        QTest::addColumn<Errc>("code");
        QTest::addColumn<QByteArray>("expectedHost");
        QTest::addColumn<quint16>("expectedPort");
        QTest::addColumn<QByteArray>("expectedWebUrl");

        const auto ok = [](const char* name, Transport transport, const char* host, quint16 port,
                           const char* expectedHost, quint16 expectedPort, const QByteArray& origin) {
            QTest::newRow(name) << transport << QByteArray(host) << port << Errc::None
                                << QByteArray(expectedHost) << expectedPort << share(origin);
        };
        const auto fails = [](const char* name, Transport transport, const char* host, Errc code) {
            QTest::newRow(name) << transport << QByteArray(host) << quint16{0} << code << QByteArray()
                                << quint16{0} << QByteArray();
        };
        ok("name", Transport::Https, "relay.example", 8443, "relay.example", 8443,
           "https://relay.example:8443");
        ok("upper-case name", Transport::Https, "Relay.Example", 0, "relay.example", 0,
           "https://relay.example");
        ok("https default port folded", Transport::Https, "relay.example", 443, "relay.example", 0,
           "https://relay.example");
        ok("http default port folded", Transport::Http, "localhost", 80, "localhost", 0, "http://localhost");
        ok("http port 443 kept", Transport::Http, "127.0.0.1", 443, "127.0.0.1", 443, "http://127.0.0.1:443");
        ok("IPv4", Transport::Https, "192.0.2.1", 0, "192.0.2.1", 0, "https://192.0.2.1");
        ok("IPv6 without brackets", Transport::Https, "2001:DB8:0:0:0:0:0:1", 8443, "2001:db8::1", 8443,
           "https://[2001:db8::1]:8443");
        ok("http to IPv6 loopback", Transport::Http, "0:0:0:0:0:0:0:1", 8080, "::1", 8080,
           "http://[::1]:8080");
        fails("empty host", Transport::Https, "", Errc::LinkBadHost);
        fails("IPv6 with brackets", Transport::Https, "[::1]", Errc::LinkBadHost);
        fails("host with port", Transport::Https, "relay.example:8443", Errc::LinkBadHost);
        fails("host with path", Transport::Https, "relay.example/s", Errc::LinkBadHost);
        fails("trailing dot", Transport::Https, "relay.example.", Errc::LinkBadHost);
        fails("URL as host", Transport::Https, "https://relay.example", Errc::LinkBadHost);
        fails("userinfo in host", Transport::Https, "user@relay.example", Errc::LinkBadHost);
        fails("IPv4 with leading zero", Transport::Https, "127.0.0.01", Errc::LinkBadHost);
        fails("http to a DNS name", Transport::Http, "relay.example", Errc::LinkInsecureHttp);
        fails("http to 10.0.0.1", Transport::Http, "10.0.0.1", Errc::LinkInsecureHttp);
        fails("http to IPv4-mapped loopback", Transport::Http, "::ffff:127.0.0.1", Errc::LinkInsecureHttp);
    }

    void make() {
        QFETCH(Transport, transport);
        QFETCH(QByteArray, host);
        QFETCH(quint16, port);
        QFETCH(Errc, code);
        QFETCH(QByteArray, expectedHost);
        QFETCH(quint16, expectedPort);
        QFETCH(QByteArray, expectedWebUrl);

        const auto link = ShareLink::make(transport, host.toStdString(), port, kIdBytes, testSecret());
        QCOMPARE(link.code(), code);
        if (!link.ok())
            return;
        QCOMPARE(link->transport(), transport);
        QCOMPARE(toQ(link->host()), expectedHost);
        QCOMPARE(link->port(), expectedPort);
        QCOMPARE(toQ(link->toWebUrl()), expectedWebUrl);

        const auto reparsed = ShareLink::parse(link->toWebUrl());
        QCOMPARE(reparsed.code(), Errc::None);
        verifySameLink(*reparsed, *link);
        const auto fromApp = ShareLink::parse(link->toAppUrl());
        QCOMPARE(fromApp.code(), Errc::None);
        verifySameLink(*fromApp, *link);
    }

    void makeRefusesWrongSecretSize_data() {
        QTest::addColumn<int>("size");
        QTest::newRow("empty") << 0;
        QTest::newRow("31 bytes") << 31;
        QTest::newRow("33 bytes") << 33;
    }

    void makeRefusesWrongSecretSize() {
        QFETCH(int, size);
        auto link = ShareLink::make(Transport::Https, "relay.example", 0, kIdBytes,
                                    ots::SecretBuffer(static_cast<std::size_t>(size)));
        QCOMPARE(link.code(), Errc::InvalidArgument);
    }

    void maximalLinkFitsTheLimit() {
        // The longest link the grammar can produce: a 253-character name, a five-digit port, the app scheme.
        const QByteArray name =
            repeated('a', 63) + "." + repeated('b', 63) + "." + repeated('c', 63) + "." + repeated('d', 61);
        const QByteArray input = share("onetimeshare://" + name + ":65535");
        QVERIFY(static_cast<std::size_t>(input.size()) <= ots::format::kMaxLinkLength);
        QCOMPARE(ShareLink::parse(view(input)).code(), Errc::None);
    }
};

QTEST_GUILESS_MAIN(TestShareLink)
#include "tst_sharelink.moc"
