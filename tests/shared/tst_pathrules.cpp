// Entry path rules (SPEC.md §6.3): every rejection under both rule sets, and the names that must pass.

#include "ots/Format.h"
#include "ots/PathRules.h"

#include <QTest>

#include <string>

using namespace ots;

Q_DECLARE_METATYPE(ots::PathRules)
Q_DECLARE_METATYPE(ots::Errc)

namespace {

QByteArray nameOf(Errc code) {
    const std::string_view name = errorName(code);
    return QByteArray(name.data(), static_cast<qsizetype>(name.size()));
}

// A path of exactly `length` bytes made of 200-byte components, so only the total length is at fault.
QByteArray pathOfLength(qsizetype length) {
    QByteArray path;
    while (path.size() < length)
        path += (path.isEmpty() ? QByteArray() : QByteArray("/")) + QByteArray(200, 'a');
    path.truncate(length);
    if (path.endsWith('/'))
        path[path.size() - 1] = 'b';
    return path;
}

struct Row {
    const char* name;
    QByteArray path;
    Errc expected;
};

// Rejected under every rule set.
const Row kPortableRows[] = {
    {"empty", QByteArray(), Errc::PathEmpty},
    {"total 4097 bytes", pathOfLength(4097), Errc::PathTooLong},
    {"component 256 bytes", QByteArray(256, 'x'), Errc::PathTooLong},
    {"component 256 bytes nested", "dir/" + QByteArray(256, 'x'), Errc::PathTooLong},
    {"absolute", "/etc/passwd", Errc::PathAbsolute},
    {"root only", "/", Errc::PathAbsolute},
    {"nul", QByteArray("a\0b", 3), Errc::PathNul},
    {"nul at end", QByteArray("a.txt\0", 6), Errc::PathNul},
    {"utf8 lone 0xff", "a\xff", Errc::PathInvalidUtf8},
    {"utf8 stray continuation",
     "\x80"
     "abc",
     Errc::PathInvalidUtf8},
    {"utf8 truncated 2-byte", "caf\xc3", Errc::PathInvalidUtf8},
    {"utf8 truncated 3-byte", "\xe6\x97", Errc::PathInvalidUtf8},
    {"utf8 overlong slash 2-byte",
     "a\xc0\xaf"
     "b",
     Errc::PathInvalidUtf8},
    {"utf8 overlong slash 3-byte",
     "a\xe0\x80\xaf"
     "b",
     Errc::PathInvalidUtf8},
    {"utf8 overlong dot 4-byte", "\xf0\x80\x80\xae", Errc::PathInvalidUtf8},
    {"utf8 overlong nul", "a\xc0\x80", Errc::PathInvalidUtf8},
    {"utf8 surrogate high", "\xed\xa0\x80", Errc::PathInvalidUtf8},
    {"utf8 surrogate low", "\xed\xbf\xbf", Errc::PathInvalidUtf8},
    {"utf8 above U+10FFFF", "\xf4\x90\x80\x80", Errc::PathInvalidUtf8},
    {"utf8 five-byte form", "\xf8\x88\x80\x80\x80", Errc::PathInvalidUtf8},
    {"utf8 bad continuation", "\xe6\x41\x41", Errc::PathInvalidUtf8},
    {"control 0x01",
     "a\x01"
     "b",
     Errc::PathControlCharacter},
    {"control newline", "line\nbreak.txt", Errc::PathControlCharacter},
    {"control tab", "a\tb", Errc::PathControlCharacter},
    {"control 0x1f", "a\x1f", Errc::PathControlCharacter},
    {"control del", "a\x7f", Errc::PathControlCharacter},
    {"control C1 CSI",
     "a\xc2\x9b"
     "31m",
     Errc::PathControlCharacter},
    {"control C1 first", "a\xc2\x80", Errc::PathControlCharacter},
    {"control C1 last", "a\xc2\x9f", Errc::PathControlCharacter},
    {"format right-to-left override",
     "invoice\xe2\x80\xae"
     "fdp.exe",
     Errc::PathFormatCharacter},
    {"format left-to-right embedding", "a\xe2\x80\xaa", Errc::PathFormatCharacter},
    {"format pop directional isolate", "a\xe2\x81\xa9", Errc::PathFormatCharacter},
    {"format right-to-left mark", "a\xe2\x80\x8f", Errc::PathFormatCharacter},
    {"format arabic letter mark", "a\xd8\x9c", Errc::PathFormatCharacter},
    {"format zero width space",
     "a\xe2\x80\x8b"
     "b",
     Errc::PathFormatCharacter},
    {"format word joiner", "a\xe2\x81\xa0", Errc::PathFormatCharacter},
    {"format invisible plus", "a\xe2\x81\xa4", Errc::PathFormatCharacter},
    {"format byte order mark",
     "\xef\xbb\xbf"
     "a",
     Errc::PathFormatCharacter},
    {"format soft hyphen",
     "pay\xc2\xad"
     "pal",
     Errc::PathFormatCharacter},
    {"format tag", "a\xf3\xa0\x81\x81", Errc::PathFormatCharacter},
    {"format in a folder", "d\xe2\x80\xae/x", Errc::PathFormatCharacter},
    // SPEC §6.3: each rule over the whole path, in the table's order, wherever in the path it breaks.
    {"rule order: control, then format", "\x01\xe2\x80\xae", Errc::PathControlCharacter},
    {"rule order: format, then control", "\xe2\x80\xae\x01", Errc::PathControlCharacter},
    {"rule order: invalid UTF-8, then NUL", QByteArray("\xff\0", 2), Errc::PathNul},
    {"rule order: backslash, then a long component", "a\\b/" + QByteArray(256, 'c'), Errc::PathTooLong},
    {"rule order: a portable rule before a Windows one", "a:b/..", Errc::PathTraversal},
    {"backslash", "a\\b", Errc::PathBackslash},
    {"backslash traversal", "..\\evil", Errc::PathBackslash},
    {"double slash", "a//b", Errc::PathEmptyComponent},
    {"trailing slash", "a/", Errc::PathEmptyComponent},
    {"trailing slash nested", "a/b/", Errc::PathEmptyComponent},
    {"dot", ".", Errc::PathTraversal},
    {"dot dot", "..", Errc::PathTraversal},
    {"dot dot first", "../x", Errc::PathTraversal},
    {"dot dot middle", "a/../b", Errc::PathTraversal},
    {"dot dot last", "a/b/..", Errc::PathTraversal},
    {"dot first", "./a", Errc::PathTraversal},
    {"dot middle", "a/./b", Errc::PathTraversal},
};

// Rejected only under the Windows rules (accepted under Posix).
const Row kWindowsRows[] = {
    {"less than", "a<b", Errc::PathInvalidCharacter},
    {"greater than", "a>b", Errc::PathInvalidCharacter},
    {"colon", "a:b", Errc::PathInvalidCharacter},
    {"alternate data stream", "file.txt:hidden", Errc::PathInvalidCharacter},
    {"drive prefix", "C:/Windows/x", Errc::PathInvalidCharacter},
    {"bare drive", "C:", Errc::PathInvalidCharacter},
    {"double quote", "say \"hi\"", Errc::PathInvalidCharacter},
    {"pipe", "a|b", Errc::PathInvalidCharacter},
    {"question mark", "why?", Errc::PathInvalidCharacter},
    {"asterisk", "*.txt", Errc::PathInvalidCharacter},
    {"CON", "CON", Errc::PathReservedName},
    {"con lower", "con", Errc::PathReservedName},
    {"PRN", "PRN", Errc::PathReservedName},
    {"AUX nested", "dir/aux/file", Errc::PathReservedName},
    {"NUL with extension", "nul.txt", Errc::PathReservedName},
    {"Nul mixed case", "Nul", Errc::PathReservedName},
    {"COM1 double extension", "COM1.tar.gz", Errc::PathReservedName},
    {"com9", "com9", Errc::PathReservedName},
    {"LPT1", "LPT1", Errc::PathReservedName},
    {"lpt9 with extension", "lpt9.log", Errc::PathReservedName},
    {"COM superscript one", "COM\xc2\xb9", Errc::PathReservedName},
    {"LPT superscript three", "lpt\xc2\xb3.txt", Errc::PathReservedName},
    {"CONIN$", "CONIN$", Errc::PathReservedName},
    {"conout$ with extension", "conout$.txt", Errc::PathReservedName},
    {"reserved with space before extension", "nul .txt", Errc::PathReservedName},
    {"trailing dot", "a.", Errc::PathTrailingDotOrSpace},
    {"trailing space", "a ", Errc::PathTrailingDotOrSpace},
    {"trailing dot on folder", "dir./x", Errc::PathTrailingDotOrSpace},
    {"trailing space on folder", "dir /x", Errc::PathTrailingDotOrSpace},
    {"three dots", "...", Errc::PathTrailingDotOrSpace},
    {"rule order: device name before an earlier trailing dot", "a./con", Errc::PathReservedName},
};

// Accepted under every rule set.
const Row kAcceptedRows[] = {
    {"plain", "report.pdf", Errc::None},
    {"nested", "a/b/c.txt", Errc::None},
    {"accents", "r\xc3\xa9sum\xc3\xa9.pdf", Errc::None},
    {"japanese and cyrillic", "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb.txt",
     Errc::None},
    {"emoji", "\xf0\x9f\x94\x91 keys.txt", Errc::None},
    {"U+10FFFF", "\xf4\x8f\xbf\xbf", Errc::None},
    {"U+FFFD", "\xef\xbf\xbd", Errc::None},
    {"hebrew letters (right-to-left, no control)", "\xd7\xa9\xd7\x9c\xd7\x95\xd7\x9d.txt", Errc::None},
    {"no-break space and U+00A0 neighbours", "a\xc2\xa0\xc2\xa1", Errc::None},
    {"U+202F right after the bidi controls", "a\xe2\x80\xaf", Errc::None},
    {"hidden", ".hidden", Errc::None},
    {"dot dot prefix", "..a", Errc::None},
    {"inner dots", "a..b", Errc::None},
    {"spaces inside", "my file (1).txt", Errc::None},
    {"leading space", " a", Errc::None},
    {"component 255 bytes", QByteArray(255, 'x'), Errc::None},
    {"total 4096 bytes", pathOfLength(4096), Errc::None},
    {"COM10", "COM10", Errc::None},
    {"COM0", "COM0", Errc::None},
    {"console", "console.txt", Errc::None},
    {"nullable", "nullable", Errc::None},
    {"LPT alone", "LPT", Errc::None},
    {"auxiliary", "auxiliary.txt", Errc::None},
    {"con inside a name", "xcon.txt", Errc::None},
    {"reserved as extension", "file.con", Errc::None},
};

} // namespace

class TestPathRules : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void validate_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<PathRules>("rules");
        QTest::addColumn<Errc>("expected");
        for (const Row& row : kPortableRows) {
            QTest::addRow("posix: %s", row.name) << row.path << PathRules::Posix << row.expected;
            QTest::addRow("windows: %s", row.name) << row.path << PathRules::Windows << row.expected;
        }
        for (const Row& row : kWindowsRows) {
            QTest::addRow("windows: %s", row.name) << row.path << PathRules::Windows << row.expected;
            QTest::addRow("posix accepts: %s", row.name) << row.path << PathRules::Posix << Errc::None;
        }
        for (const Row& row : kAcceptedRows) {
            QTest::addRow("posix accepts: %s", row.name) << row.path << PathRules::Posix << row.expected;
            QTest::addRow("windows accepts: %s", row.name) << row.path << PathRules::Windows << row.expected;
        }
    }

    void validate() {
        QFETCH(QByteArray, path);
        QFETCH(PathRules, rules);
        QFETCH(Errc, expected);
        const std::string text(path.constData(), static_cast<std::size_t>(path.size()));
        const Status status = validateEntryPath(text, rules);
        QCOMPARE(nameOf(status.code()), nameOf(expected));
        if (!status.ok())
            QCOMPARE(status.error().detail, text); // the offending path, for the person reading the error
    }

    // Only Linux is built here, where the native rules are the Posix ones.
    void nativeIsPosixOnLinux() {
        QVERIFY(validateEntryPath("a:b").ok());
        QVERIFY(validateEntryPath("nul.txt").ok());
        QCOMPARE(nameOf(validateEntryPath("a/../b").code()), nameOf(Errc::PathTraversal));
        QCOMPARE(duplicateKey("Report.PDF"), std::string("Report.PDF"));
    }

    void duplicateKeys_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<PathRules>("rules");
        QTest::addColumn<QByteArray>("expected");
        QTest::newRow("posix keeps case")
            << QByteArray("Dir/Report.PDF") << PathRules::Posix << QByteArray("Dir/Report.PDF");
        QTest::newRow("windows folds ASCII")
            << QByteArray("Dir/Report.PDF") << PathRules::Windows << QByteArray("dir/report.pdf");
        QTest::newRow("windows keeps non-ASCII bytes")
            << QByteArray("\xc3\x84/R\xc3\xa9sum\xc3\xa9") << PathRules::Windows
            << QByteArray("\xc3\x84/r\xc3\xa9sum\xc3\xa9");
    }

    void duplicateKeys() {
        QFETCH(QByteArray, path);
        QFETCH(PathRules, rules);
        QFETCH(QByteArray, expected);
        const std::string key =
            duplicateKey(std::string(path.constData(), static_cast<std::size_t>(path.size())), rules);
        QCOMPARE(QByteArray(key.data(), static_cast<qsizetype>(key.size())), expected);
    }

    void fileSystemPathRoundTrip() {
        const std::string entry =
            "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x94\x91.pdf";
        const std::filesystem::path path = toFileSystemPath(entry);
        QCOMPARE(toUtf8(path), entry);
        QCOMPARE(toUtf8(path.filename()), std::string("r\xc3\xa9sum\xc3\xa9 \xf0\x9f\x94\x91.pdf"));
    }
};

QTEST_GUILESS_MAIN(TestPathRules)
#include "tst_pathrules.moc"
