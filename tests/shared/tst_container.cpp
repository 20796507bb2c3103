// The container (SPEC.md §6): encoding, the push parser and every rejection, the packer on real
// files, and the unpacker's staging, commit, name-clash and leave-nothing-behind rules.

#include "ots/Container.h"
#include "ots/ContainerPacker.h"
#include "ots/ContainerParser.h"
#include "ots/ContainerUnpacker.h"
#include "ots/Format.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>

using namespace ots;
namespace fs = std::filesystem;

Q_DECLARE_METATYPE(ots::PathRules)
Q_DECLARE_METATYPE(ots::Errc)

namespace {

constexpr qsizetype kKiB = 1024;

QByteArray nameOf(Errc code) {
    const std::string_view name = errorName(code);
    return QByteArray(name.data(), static_cast<qsizetype>(name.size()));
}

// QVERIFY2 evaluates its message even when the check passes.
template <typename R>
std::string why(const R& result) {
    return result.ok() ? std::string() : describe(result.error());
}

QByteArray toQByteArray(const Bytes& bytes) {
    return QByteArray(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size()));
}

ByteView viewOf(const QByteArray& bytes) {
    return ByteView(reinterpret_cast<const std::uint8_t*>(bytes.constData()),
                    static_cast<std::size_t>(bytes.size()));
}

fs::path pathOf(const QTemporaryDir& dir) {
    return fs::path(dir.path().toStdString());
}

// --- building payloads ----------------------------------------------------------------------------

struct Item {
    EntryType type;
    std::string path;
    QByteArray content;
    std::uint32_t mode = 0644;
    std::int64_t mtime = 1700000000;
};

Item file(std::string path, QByteArray content = {}, std::uint32_t mode = 0644) {
    return Item{EntryType::File, std::move(path), std::move(content), mode};
}
Item folder(std::string path) {
    return Item{EntryType::Directory, std::move(path), {}, 0755};
}

QByteArray entryBytes(const Item& item) {
    const ContainerEntry entry{item.type, item.path, item.mode,
                               static_cast<std::uint64_t>(item.content.size()), item.mtime};
    return toQByteArray(container::encodeEntry(entry)) + item.content;
}

QByteArray header() {
    return toQByteArray(container::encodeHeader());
}
QByteArray endMarker() {
    return toQByteArray(container::encodeEnd());
}

QByteArray payload(const std::vector<Item>& items) {
    QByteArray out = header();
    for (const Item& item : items)
        out += entryBytes(item);
    return out + endMarker();
}

QByteArray randomBytes(qsizetype size, char seed) {
    QByteArray out(size, Qt::Uninitialized);
    std::uint32_t state = static_cast<std::uint8_t>(seed) + 1U;
    for (char& c : out) {
        state = state * 1664525U + 1013904223U;
        c = static_cast<char>(state >> 24);
    }
    return out;
}

// --- observing the parser -------------------------------------------------------------------------

// Writes every event as a line, so that two runs compare with one QCOMPARE that shows the difference.
class Recorder final : public ContainerHandler {
public:
    Status onEntry(const ContainerEntry& entry) override {
        m_log += QByteArray(entry.type == EntryType::File ? "file " : "dir ") + entry.path.c_str() +
                 " mode " + QByteArray::number(entry.mode, 8) + " size " + QByteArray::number(entry.size) +
                 " mtime " + QByteArray::number(entry.mtime) + "\n";
        m_contentLeft = entry.size;
        return {};
    }
    Status onData(ByteView data) override {
        if (data.size() > m_contentLeft)
            return Error{Errc::InvalidArgument, "more data than the entry size"};
        m_contentLeft -= data.size();
        m_log += "  data " +
                 QByteArray(reinterpret_cast<const char*>(data.data()), static_cast<qsizetype>(data.size()))
                     .toHex() +
                 "\n";
        return {};
    }
    Status onEntryEnd() override {
        if (m_contentLeft != 0)
            return Error{Errc::InvalidArgument, "entry ended early"};
        m_log += "end\n";
        return {};
    }

    // Data lines are merged so that the log does not depend on how the input was split.
    QByteArray log() const {
        QByteArray merged;
        bool inData = false;
        for (const QByteArray& line : m_log.split('\n')) {
            if (line.startsWith("  data ")) {
                merged += (inData ? QByteArray() : QByteArray("  data ")) + line.mid(7);
                inData = true;
                continue;
            }
            if (inData)
                merged += "\n";
            inData = false;
            if (!line.isEmpty())
                merged += line + "\n";
        }
        return merged;
    }

private:
    QByteArray m_log;
    std::uint64_t m_contentLeft = 0;
};

struct ParseOutcome {
    Errc code = Errc::None;
    std::string detail;
    QByteArray log;
};

// Feeds bytes in pieces of `piece` bytes (0: all at once), then finishes.
ParseOutcome parse(const QByteArray& bytes, PathRules rules = PathRules::Posix, qsizetype piece = 0) {
    Recorder recorder;
    ContainerParser parser(recorder, rules);
    const qsizetype step = piece == 0 ? std::max<qsizetype>(bytes.size(), 1) : piece;
    Status status;
    for (qsizetype offset = 0; offset < bytes.size() && status.ok(); offset += step)
        status = parser.push(viewOf(bytes.mid(offset, step)));
    if (status.ok())
        status = parser.finish();
    return ParseOutcome{status.code(), status.ok() ? std::string() : status.error().detail, recorder.log()};
}

const std::vector<Item> kTree = {
    folder("docs"),
    file("docs/readme.txt", "hello, world\n"),
    file("docs/empty.txt"),
    folder("docs/empty folder"),
    file("docs/sub/implied/parent.bin", randomBytes(3000, 1)),
    file("big.bin", randomBytes(200 * kKiB + 7, 2), 0600),
    file("run.sh", "#!/bin/sh\necho hi\n", 0755),
    file("r\xc3\xa9sum\xc3\xa9.pdf", randomBytes(100, 3)),
};

// --- file-system helpers --------------------------------------------------------------------------

void writeFile(const fs::path& path, const QByteArray& content) {
    std::ofstream out(path, std::ios::binary);
    out.write(content.constData(), static_cast<std::streamsize>(content.size()));
}

QByteArray readFile(const fs::path& path) {
    QFile file(QString::fromStdString(path.string()));
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("<unreadable>");
}

// Everything under root, recursively: names, kinds, permissions, link targets and file bytes.
QByteArray snapshot(const fs::path& root, bool withPermissions = true) {
    std::map<std::string, QByteArray> lines;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator(); ++it) {
        const fs::file_status status = it->symlink_status();
        QByteArray line;
        if (withPermissions)
            line += " perms " + QByteArray::number(static_cast<int>(status.permissions()), 8);
        if (fs::is_symlink(status))
            line += " link " + QByteArray::fromStdString(fs::read_symlink(it->path()).string());
        else if (fs::is_directory(status))
            line += " dir";
        else
            line += " file " + readFile(it->path()).toHex();
        lines[fs::relative(it->path(), root).string()] = line;
    }
    QByteArray out;
    for (const auto& [name, line] : lines)
        out += QByteArray::fromStdString(name) + line + "\n";
    return out;
}

// Names and bytes only: received modes differ from the sender's on purpose.
QByteArray snapshotOfTopLevel(const std::vector<fs::path>& paths) {
    QByteArray out;
    for (const fs::path& path : paths) {
        out += QByteArray::fromStdString(path.filename().string()) +
               (fs::is_directory(path) ? " dir\n" : " file\n");
        if (fs::is_directory(path))
            out += snapshot(path, false);
        else
            out += readFile(path).toHex() + "\n";
    }
    return out;
}

std::vector<fs::path> stagingFolders(const fs::path& target) {
    std::vector<fs::path> found;
    for (const auto& entry : fs::directory_iterator(target)) {
        if (entry.path().filename().string().starts_with(".ots-partial-"))
            found.push_back(entry.path());
    }
    return found;
}

QByteArray packToBytes(const ContainerPacker& packer, Status* status = nullptr) {
    QByteArray out;
    const Status result = packer.write([&](ByteView bytes) -> Status {
        out.append(reinterpret_cast<const char*>(bytes.data()), static_cast<qsizetype>(bytes.size()));
        return {};
    });
    if (status != nullptr)
        *status = result;
    return out;
}

struct UnpackOutcome {
    Errc code = Errc::None;
    std::vector<fs::path> paths;
};

// What a receive job does: parse into an unpacker, commit only if the whole payload parsed.
UnpackOutcome unpack(const QByteArray& bytes, const fs::path& target, qsizetype piece = 64 * kKiB) {
    auto unpacker = ContainerUnpacker::create(target, PathRules::Posix);
    if (!unpacker)
        return {unpacker.code(), {}};
    ContainerParser parser(**unpacker, PathRules::Posix);
    for (qsizetype offset = 0; offset < bytes.size(); offset += piece) {
        if (const Status status = parser.push(viewOf(bytes.mid(offset, piece))); !status.ok())
            return {status.code(), {}};
    }
    if (const Status status = parser.finish(); !status.ok())
        return {status.code(), {}};
    auto committed = (*unpacker)->commit();
    if (!committed)
        return {committed.code(), {}};
    return {Errc::None, *committed};
}

// A path of exactly `length` bytes made of 200-byte components, so only the total length is at fault.
std::string pathOfLength(std::size_t length) {
    std::string path;
    while (path.size() < length)
        path += (path.empty() ? "" : "/") + std::string(200, 'p');
    path.resize(length);
    if (path.back() == '/')
        path.back() = 'q';
    return path;
}

} // namespace

class TestContainer : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // --- encoding ---------------------------------------------------------------------------------

    void encodesTheDocumentedLayout() {
        QCOMPARE(header(), QByteArray("OTSC\x01\x00\x00\x00", 8));
        QCOMPARE(endMarker(), QByteArray(1, '\0'));
        const ContainerEntry entry{EntryType::File, "a/b.txt", 0644, 0x0102030405060708ULL, -2};
        const QByteArray expected = QByteArray("\x02\x00", 2) + QByteArray("\xa4\x01\x00\x00", 4) +
                                    QByteArray("\x08\x07\x06\x05\x04\x03\x02\x01", 8) +
                                    QByteArray("\xfe\xff\xff\xff\xff\xff\xff\xff", 8) +
                                    QByteArray("\x07\x00", 2) + "a/b.txt";
        QCOMPARE(toQByteArray(container::encodeEntry(entry)), expected);
    }

    void payloadSizeMatchesEncoding() {
        std::vector<ContainerEntry> entries;
        entries.reserve(kTree.size());
        for (const Item& item : kTree)
            entries.push_back(
                {item.type, item.path, item.mode, static_cast<std::uint64_t>(item.content.size()), 0});
        QCOMPARE(container::payloadSize(entries), static_cast<std::uint64_t>(payload(kTree).size()));
        QCOMPARE(container::payloadSize({}), std::uint64_t{9});
    }

    // --- parsing ----------------------------------------------------------------------------------

    void roundTrip() {
        const ParseOutcome outcome = parse(payload(kTree));
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::None));
        QByteArray expected;
        for (const Item& item : kTree) {
            expected += QByteArray(item.type == EntryType::File ? "file " : "dir ") + item.path.c_str() +
                        " mode " + QByteArray::number(item.mode, 8) + " size " +
                        QByteArray::number(item.content.size()) + " mtime " + QByteArray::number(item.mtime) +
                        "\n";
            if (!item.content.isEmpty())
                expected += "  data " + item.content.toHex() + "\n";
            expected += "end\n";
        }
        QCOMPARE(outcome.log, expected);
    }

    void splitDoesNotMatter_data() {
        QTest::addColumn<qsizetype>("piece");
        for (qsizetype piece : {1, 2, 7, 24, 25, 4096, 65536})
            QTest::addRow("%d bytes", static_cast<int>(piece)) << piece;
    }

    void splitDoesNotMatter() {
        QFETCH(qsizetype, piece);
        const QByteArray bytes = payload(kTree);
        const ParseOutcome whole = parse(bytes);
        const ParseOutcome pieces = parse(bytes, PathRules::Posix, piece);
        QCOMPARE(nameOf(pieces.code), nameOf(Errc::None));
        QCOMPARE(pieces.log, whole.log);
    }

    void accepts_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<PathRules>("rules");
        QTest::newRow("empty container") << payload({}) << PathRules::Posix;
        QTest::newRow("folder named after its implied creation")
            << payload({file("a/b"), folder("a")}) << PathRules::Posix;
        QTest::newRow("folder before its children")
            << payload({folder("a"), file("a/b")}) << PathRules::Posix;
        QTest::newRow("case differs under posix rules")
            << payload({file("A.txt"), file("a.txt")}) << PathRules::Posix;
        QTest::newRow("windows-only names under posix rules")
            << payload({file("nul.txt"), file("a:b"), file("dot.")}) << PathRules::Posix;
        QTest::newRow("mode 0777") << payload({file("x", "1", 0777)}) << PathRules::Posix;
        QTest::newRow("path of 4096 bytes") << payload({file(pathOfLength(4096))}) << PathRules::Posix;
    }

    void accepts() {
        QFETCH(QByteArray, bytes);
        QFETCH(PathRules, rules);
        QCOMPARE(nameOf(parse(bytes, rules).code), nameOf(Errc::None));
        QCOMPARE(nameOf(parse(bytes, rules, 1).code), nameOf(Errc::None));
    }

    void rejects_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<PathRules>("rules");
        QTest::addColumn<Errc>("expected");

        const QByteArray ok = payload({file("a.txt", "x")});
        QByteArray badMagic = ok;
        badMagic[3] = 'X';
        QTest::newRow("bad magic") << badMagic << PathRules::Posix << Errc::ContainerBadMagic;
        QTest::newRow("stream magic")
            << QByteArray("OTSS\x01\x00\x00\x00\x00", 9) << PathRules::Posix << Errc::ContainerBadMagic;
        for (char version : {'\x00', '\x02', '\xff'}) {
            QByteArray bytes = ok;
            bytes[4] = version;
            QTest::addRow("version %d", static_cast<int>(static_cast<unsigned char>(version)))
                << bytes << PathRules::Posix << Errc::ContainerUnsupportedVersion;
        }
        for (int reserved = 5; reserved < 8; ++reserved) {
            QByteArray bytes = ok;
            bytes[reserved] = '\x01';
            QTest::addRow("reserved byte %d", reserved)
                << bytes << PathRules::Posix << Errc::ContainerMalformed;
        }

        const auto withEntryByte = [](const Item& item, int offset, char value) {
            QByteArray entry = entryBytes(item);
            entry[offset] = value;
            return header() + entry + endMarker();
        };
        QTest::newRow("symlink type")
            << withEntryByte(file("link"), 0, '\x03') << PathRules::Posix << Errc::EntryLinkNotAllowed;
        QTest::newRow("unknown type 4")
            << withEntryByte(file("x"), 0, '\x04') << PathRules::Posix << Errc::EntryUnknownType;
        QTest::newRow("unknown type 255")
            << withEntryByte(file("x"), 0, '\xff') << PathRules::Posix << Errc::EntryUnknownType;
        QTest::newRow("flags set") << withEntryByte(file("x"), 1, '\x01') << PathRules::Posix
                                   << Errc::ContainerMalformed;
        QTest::newRow("setuid mode") << payload({file("x", "1", 04755)}) << PathRules::Posix
                                     << Errc::EntryBadMode;
        QTest::newRow("file type bits in mode")
            << payload({file("x", "1", 0100644)}) << PathRules::Posix << Errc::EntryBadMode;
        QTest::newRow("directory with size")
            << header() + toQByteArray(container::encodeEntry({EntryType::Directory, "d", 0755, 1, 0})) +
                   "x" + endMarker()
            << PathRules::Posix << Errc::ContainerMalformed;
        QTest::newRow("path length 0") << payload({file("")}) << PathRules::Posix << Errc::PathEmpty;
        QTest::newRow("path 4097 bytes")
            << payload({file(pathOfLength(4097))}) << PathRules::Posix << Errc::PathTooLong;
        QTest::newRow("component 256 bytes")
            << payload({file(std::string(256, 'f'))}) << PathRules::Posix << Errc::PathTooLong;
        QTest::newRow("traversal") << payload({file("ok"), file("../evil")}) << PathRules::Posix
                                   << Errc::PathTraversal;
        QTest::newRow("absolute") << payload({file("/etc/passwd")}) << PathRules::Posix << Errc::PathAbsolute;
        QTest::newRow("invalid utf8")
            << payload({file("a\xc0\xaf")}) << PathRules::Posix << Errc::PathInvalidUtf8;
        QTest::newRow("windows reserved name")
            << payload({file("docs/nul.txt")}) << PathRules::Windows << Errc::PathReservedName;
        QTest::newRow("duplicate file")
            << payload({file("a", "1"), file("a", "2")}) << PathRules::Posix << Errc::PathDuplicate;
        QTest::newRow("duplicate folder")
            << payload({folder("d"), folder("d")}) << PathRules::Posix << Errc::PathDuplicate;
        QTest::newRow("duplicate nested file")
            << payload({file("d/a"), folder("d"), file("d/a")}) << PathRules::Posix << Errc::PathDuplicate;
        QTest::newRow("case duplicate under windows rules")
            << payload({file("Report.PDF"), file("report.pdf")}) << PathRules::Windows << Errc::PathDuplicate;
        QTest::newRow("case duplicate via folder under windows rules")
            << payload({file("Dir/a"), file("dir/A")}) << PathRules::Windows << Errc::PathDuplicate;
        QTest::newRow("conflict: file used as a folder")
            << payload({file("a"), file("a/b")}) << PathRules::Posix << Errc::PathConflict;
        QTest::newRow("conflict: file used as a deep folder")
            << payload({file("a/b"), file("a/b/c/d")}) << PathRules::Posix << Errc::PathConflict;
        QTest::newRow("conflict: folder then file")
            << payload({folder("a"), file("a")}) << PathRules::Posix << Errc::PathConflict;
        QTest::newRow("conflict: implied folder then file")
            << payload({file("a/b"), file("a")}) << PathRules::Posix << Errc::PathConflict;
        QTest::newRow("conflict: file then folder")
            << payload({file("a"), folder("a")}) << PathRules::Posix << Errc::PathConflict;
        QTest::newRow("trailing byte") << ok + "x" << PathRules::Posix << Errc::ContainerTrailingData;
        QTest::newRow("second end marker")
            << ok + endMarker() << PathRules::Posix << Errc::ContainerTrailingData;
        QTest::newRow("second container") << ok + ok << PathRules::Posix << Errc::ContainerTrailingData;
        QTest::newRow("empty input") << QByteArray() << PathRules::Posix << Errc::ContainerTruncated;
    }

    void rejects() {
        QFETCH(QByteArray, bytes);
        QFETCH(PathRules, rules);
        QFETCH(Errc, expected);
        const ParseOutcome whole = parse(bytes, rules);
        QCOMPARE(nameOf(whole.code), nameOf(expected));
        const ParseOutcome byteByByte = parse(bytes, rules, 1);
        QCOMPARE(nameOf(byteByByte.code), nameOf(expected));
        QCOMPARE(byteByByte.detail, whole.detail);
        QCOMPARE(byteByByte.log, whole.log);
    }

    // Implied folders count: each is a directory the unpacker would create. Deep paths reach the
    // limit with a payload of only 2 MB.
    void tooManyEntries() {
        Recorder recorder;
        ContainerParser parser(recorder, PathRules::Posix);
        QVERIFY(parser.push(viewOf(header())).ok());
        std::string deep;
        for (int i = 0; i < 2046; ++i)
            deep += "/a";
        const std::size_t nodesPerEntry = 2047;
        Status status;
        std::size_t entries = 0;
        while (status.ok() && entries <= format::kMaxEntries / nodesPerEntry) {
            const std::string top = std::to_string(1000 + entries++);
            status = parser.push(viewOf(entryBytes(folder(top + deep))));
        }
        QCOMPARE(nameOf(status.code()), nameOf(Errc::ContainerTooManyEntries));
        QCOMPARE(entries, format::kMaxEntries / nodesPerEntry + 1);
    }

    void pathErrorsNameThePath() {
        const ParseOutcome outcome = parse(payload({file("a/b"), file("a/b/c")}));
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::PathConflict));
        QCOMPARE(outcome.detail, std::string("a/b/c"));
    }

    void truncatedAtEveryLength() {
        const QByteArray bytes =
            payload({folder("d"), file("d/f.txt", "content"), file("e"), file("g", "12")});
        for (qsizetype length = 0; length < bytes.size(); ++length) {
            const ParseOutcome outcome = parse(bytes.left(length));
            if (outcome.code != Errc::ContainerTruncated)
                QFAIL(qPrintable(QStringLiteral("prefix of %1 bytes gave %2")
                                     .arg(length)
                                     .arg(QString::fromLatin1(nameOf(outcome.code)))));
        }
        QCOMPARE(nameOf(parse(bytes).code), nameOf(Errc::None));
    }

    void failureIsSticky() {
        Recorder recorder;
        ContainerParser parser(recorder, PathRules::Posix);
        const QByteArray bytes = payload({file("../x")});
        const Status first = parser.push(viewOf(bytes));
        QCOMPARE(nameOf(first.code()), nameOf(Errc::PathTraversal));
        const Status again = parser.push(viewOf(payload({})));
        QCOMPARE(nameOf(again.code()), nameOf(Errc::PathTraversal));
        QCOMPARE(again.error().detail, first.error().detail);
        QCOMPARE(nameOf(parser.finish().code()), nameOf(Errc::PathTraversal));
        QVERIFY(!parser.complete());
    }

    void trailingDataInALaterPush() {
        Recorder recorder;
        ContainerParser parser(recorder, PathRules::Posix);
        QVERIFY(parser.push(viewOf(payload({file("a", "1")}))).ok());
        QVERIFY(parser.complete());
        QVERIFY(parser.push({}).ok());
        QCOMPARE(nameOf(parser.push(viewOf(QByteArray(1, '\0'))).code()),
                 nameOf(Errc::ContainerTrailingData));
        QCOMPARE(nameOf(parser.finish().code()), nameOf(Errc::ContainerTrailingData));
        QVERIFY(!parser.complete());
    }

    void handlerErrorsStopTheParser() {
        class Failing final : public ContainerHandler {
        public:
            Status onEntry(const ContainerEntry&) override { return {}; }
            Status onData(ByteView) override { return Error{Errc::IoDiskFull, "x"}; }
            Status onEntryEnd() override { return {}; }
        } failing;
        ContainerParser parser(failing, PathRules::Posix);
        QCOMPARE(nameOf(parser.push(viewOf(payload({file("a", "1")}))).code()), nameOf(Errc::IoDiskFull));
        QCOMPARE(nameOf(parser.finish().code()), nameOf(Errc::IoDiskFull));
    }

    // --- packer -----------------------------------------------------------------------------------

    void packAndUnpackARealTree() {
        QTemporaryDir source;
        QTemporaryDir target;
        QVERIFY(source.isValid() && target.isValid());
        const fs::path src = pathOf(source);
        fs::create_directories(src / "folder" / toFileSystemPath("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e"));
        fs::create_directories(src / "folder" / "nested" / "deeper");
        fs::create_directories(src / "folder" / "empty folder");
        writeFile(
            src / "folder" /
                toFileSystemPath("\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb.txt"),
            "\xd0\xbf\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82\n");
        writeFile(src / "folder" / "nested" / "deeper" / toFileSystemPath("\xf0\x9f\x94\x91.txt"), "key");
        writeFile(src / "folder" / "nested" / "big.bin", randomBytes(300 * kKiB + 11, 4));
        writeFile(src / "top.txt", "hello");
        writeFile(src / "empty.bin", {});
        writeFile(src / "run.sh", "#!/bin/sh\n");
        fs::permissions(src / "run.sh",
                        fs::perms::owner_all | fs::perms::group_read | fs::perms::others_read);
        writeFile(src / toFileSystemPath("r\xc3\xa9sum\xc3\xa9.pdf"), randomBytes(5000, 5));
        const fs::file_time_type mtime =
            std::chrono::file_clock::from_sys(std::chrono::sys_seconds{std::chrono::seconds{1600000000}});
        fs::last_write_time(src / "top.txt", mtime);

        const std::vector<fs::path> inputs = {src / "top.txt", src / "folder", src / "run.sh",
                                              src / "empty.bin",
                                              src / toFileSystemPath("r\xc3\xa9sum\xc3\xa9.pdf")};
        auto packer = ContainerPacker::fromPaths(inputs);
        QVERIFY2(packer.ok(), why(packer).c_str());

        std::vector<std::string> paths;
        for (const ContainerEntry& entry : packer->entries())
            paths.push_back(entry.path);
        const std::vector<std::string> expectedPaths = {
            "top.txt",
            "folder",
            "folder/empty folder",
            "folder/nested",
            "folder/nested/big.bin",
            "folder/nested/deeper",
            "folder/nested/deeper/\xf0\x9f\x94\x91.txt",
            "folder/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
            "folder/\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e/\xd1\x84\xd0\xb0\xd0\xb9\xd0\xbb.txt",
            "run.sh",
            "empty.bin",
            "r\xc3\xa9sum\xc3\xa9.pdf",
        };
        QCOMPARE(paths, expectedPaths);
        QCOMPARE(packer->entries()[0].mtime, std::int64_t{1600000000});
        QCOMPARE(packer->entries()[9].mode, std::uint32_t{0744});

        std::vector<std::uint64_t> progress;
        QByteArray bytes;
        const Status written = packer->write(
            [&](ByteView data) -> Status {
                bytes.append(reinterpret_cast<const char*>(data.data()), static_cast<qsizetype>(data.size()));
                return {};
            },
            [&](std::uint64_t done) { progress.push_back(done); });
        QVERIFY2(written.ok(), why(written).c_str());
        QCOMPARE(static_cast<std::uint64_t>(bytes.size()), packer->payloadSize());
        QVERIFY(std::is_sorted(progress.begin(), progress.end()));
        QCOMPARE(progress.back(), packer->payloadSize());
        QCOMPARE(packToBytes(*packer), bytes); // deterministic

        const fs::path dst = pathOf(target);
        const UnpackOutcome outcome = unpack(bytes, dst, 1000);
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::None));
        std::vector<fs::path> expectedFinal;
        expectedFinal.reserve(inputs.size());
        for (const fs::path& input : inputs)
            expectedFinal.push_back(dst / input.filename());
        QCOMPARE(outcome.paths, expectedFinal);

        QCOMPARE(snapshotOfTopLevel(outcome.paths), snapshotOfTopLevel(inputs));
        QVERIFY(stagingFolders(dst).empty());
        QCOMPARE(std::distance(fs::directory_iterator(dst), fs::directory_iterator()), std::ptrdiff_t{5});

        // Received content is private whatever the sender's modes; the owner-exec bit survives.
        QCOMPARE(fs::status(dst / "top.txt").permissions(), fs::perms::owner_read | fs::perms::owner_write);
        QCOMPARE(fs::status(dst / "run.sh").permissions(), fs::perms::owner_all);
        QCOMPARE(fs::status(dst / "folder").permissions(), fs::perms::owner_all);
        QCOMPARE(fs::status(dst / "folder" / "empty folder").permissions(), fs::perms::owner_all);
        QCOMPARE(fs::last_write_time(dst / "top.txt"), mtime);
        const auto folderTime =
            std::chrono::floor<std::chrono::seconds>(fs::last_write_time(src / "folder" / "nested"));
        QCOMPARE(std::chrono::floor<std::chrono::seconds>(fs::last_write_time(dst / "folder" / "nested")),
                 folderTime);
    }

    void packsText() {
        const ContainerPacker packer = ContainerPacker::fromText("message.txt", "the secret");
        QCOMPARE(packer.entries().size(), std::size_t{1});
        QCOMPARE(packer.entries()[0].mode, std::uint32_t{0600});
        const QByteArray bytes = packToBytes(packer);
        QCOMPARE(static_cast<std::uint64_t>(bytes.size()), packer.payloadSize());
        QVERIFY(parse(bytes).log.contains("file message.txt mode 600 size 10"));
        QVERIFY(parse(bytes).log.contains(QByteArray("the secret").toHex()));

        const ContainerPacker large =
            ContainerPacker::fromText("large.txt", std::string(std::size_t{200} * 1024, 'z'));
        QCOMPARE(nameOf(parse(packToBytes(large), PathRules::Posix, 4093).code), nameOf(Errc::None));
    }

    void packerRejects_data() {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<Errc>("expected");
        QTest::newRow("symlink input") << QStringLiteral("link") << Errc::IoUnsupportedFileType;
        QTest::newRow("symlink inside a folder") << QStringLiteral("dir") << Errc::IoUnsupportedFileType;
        QTest::newRow("dangling symlink inside a folder")
            << QStringLiteral("dangling") << Errc::IoUnsupportedFileType;
        QTest::newRow("missing input") << QStringLiteral("missing") << Errc::IoNotFound;
        QTest::newRow("same name twice") << QStringLiteral("twice") << Errc::PathDuplicate;
        QTest::newRow("same input twice") << QStringLiteral("same") << Errc::PathDuplicate;
        QTest::newRow("no input") << QStringLiteral("none") << Errc::InvalidArgument;
        QTest::newRow("name with a backslash") << QStringLiteral("backslash") << Errc::PathBackslash;
    }

    void packerRejects() {
        QFETCH(QString, scenario);
        QFETCH(Errc, expected);
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        fs::create_directories(root / "dir" / "sub");
        fs::create_directories(root / "other");
        fs::create_directories(root / "dangling");
        writeFile(root / "dir" / "sub" / "f.txt", "x");
        writeFile(root / "other" / "f.txt", "y");
        writeFile(root / "plain.txt", "z");
        fs::create_symlink(root / "plain.txt", root / "link");
        fs::create_symlink(root / "plain.txt", root / "dir" / "sub" / "zz-link");
        fs::create_symlink(root / "nowhere", root / "dangling" / "gone");
        writeFile(root / "back\\slash", "w");

        const std::map<QString, std::vector<fs::path>> inputs = {
            {QStringLiteral("link"), {root / "plain.txt", root / "link"}},
            {QStringLiteral("dir"), {root / "dir"}},
            {QStringLiteral("dangling"), {root / "dangling"}},
            {QStringLiteral("missing"), {root / "plain.txt", root / "absent.txt"}},
            {QStringLiteral("twice"), {root / "dir" / "sub" / "f.txt", root / "other" / "f.txt"}},
            {QStringLiteral("same"), {root / "plain.txt", root / "." / "plain.txt"}},
            {QStringLiteral("none"), {}},
            {QStringLiteral("backslash"), {root / "back\\slash"}},
        };
        const auto packer = ContainerPacker::fromPaths(inputs.at(scenario));
        QCOMPARE(nameOf(packer.code()), nameOf(expected));
        if (scenario == QStringLiteral("dir"))
            QCOMPARE(packer.error().detail, (root / "dir" / "sub" / "zz-link").string());
        if (scenario == QStringLiteral("twice"))
            QVERIFY(packer.error().detail.find("f.txt") != std::string::npos);
    }

    void packerNamesFoldersByTheirName() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        fs::create_directories(root / "photos");
        writeFile(root / "photos" / "a.jpg", "jpg");
        const auto packer =
            ContainerPacker::fromPaths({root / "photos" / "", root / "photos" / "sub" / ".."});
        QCOMPARE(nameOf(packer.code()), nameOf(Errc::PathDuplicate)); // both mean "photos"
        const auto single = ContainerPacker::fromPaths({root / "photos" / ""});
        QVERIFY(single.ok());
        QCOMPARE(single->entries()[0].path, std::string("photos"));
    }

    void fileChangedWhilePacking_data() {
        QTest::addColumn<qsizetype>("newSize");
        QTest::newRow("grew") << 70 * kKiB;
        QTest::newRow("grew by one byte") << 64 * kKiB + 1;
        QTest::newRow("shrank") << qsizetype{10};
        QTest::newRow("emptied") << qsizetype{0};
    }

    void fileChangedWhilePacking() {
        QFETCH(qsizetype, newSize);
        QTemporaryDir dir;
        const fs::path path = pathOf(dir) / "changing.bin";
        writeFile(path, randomBytes(64 * kKiB, 6));
        const auto packer = ContainerPacker::fromPaths({path});
        QVERIFY(packer.ok());
        writeFile(path, randomBytes(newSize, 7));
        Status status;
        const QByteArray bytes = packToBytes(*packer, &status);
        QCOMPARE(nameOf(status.code()), nameOf(Errc::IoFileChanged));
        QCOMPARE(status.error().detail, path.string());
        // Never more content than the entry announced, so the payload stays parseable up to the error.
        QVERIFY(static_cast<std::uint64_t>(bytes.size()) < packer->payloadSize());
    }

    void sinkErrorsAreReturnedAsIs() {
        const ContainerPacker packer =
            ContainerPacker::fromText("a.txt", std::string(std::size_t{100} * 1024, 'a'));
        int calls = 0;
        const Status status = packer.write([&](ByteView) -> Status {
            return ++calls == 3 ? Status(Error{Errc::StreamTooLarge, "from the sink"}) : Status();
        });
        QCOMPARE(nameOf(status.code()), nameOf(Errc::StreamTooLarge));
        QCOMPARE(status.error().detail, std::string("from the sink"));
        QCOMPARE(calls, 3);
    }

    // --- unpacker ---------------------------------------------------------------------------------

    void unpackerNeedsAnExistingFolder() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        writeFile(root / "file", "x");
        QCOMPARE(nameOf(ContainerUnpacker::create(root / "missing").code()), nameOf(Errc::IoNotFound));
        QCOMPARE(nameOf(ContainerUnpacker::create(root / "file").code()), nameOf(Errc::IoTargetNotDirectory));
    }

    void stagingFolderIsPrivateAndTemporary() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        {
            auto unpacker = ContainerUnpacker::create(root, PathRules::Posix);
            QVERIFY(unpacker.ok());
            const std::vector<fs::path> staging = stagingFolders(root);
            QCOMPARE(staging.size(), std::size_t{1});
            const std::string name = staging[0].filename().string();
            QCOMPARE(name.size(), std::string(".ots-partial-").size() + 16);
            QVERIFY(name.find_first_not_of("0123456789abcdef", 13) == std::string::npos);
            QCOMPARE(fs::status(staging[0]).permissions(), fs::perms::owner_all);
            auto second = ContainerUnpacker::create(root, PathRules::Posix);
            QVERIFY(second.ok());
            QCOMPARE(stagingFolders(root).size(), std::size_t{2});
        }
        QVERIFY(fs::is_empty(root));
    }

    void neverOverwrites() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        writeFile(root / "x.txt", "old x");
        writeFile(root / "x (2).txt", "old x2");
        writeFile(root / ".env", "old env");
        fs::create_directories(root / "d");
        writeFile(root / "d" / "inner", "old inner");
        fs::create_symlink(root / "nowhere", root / "y");
        writeFile(root / "plain", "old plain");
        const QByteArray before = snapshot(root);

        const UnpackOutcome outcome =
            unpack(payload({file("x.txt", "new x"), file(".env", "new env"), file("d/inner", "new inner"),
                            file("y", "new y"), file("plain", "new plain"), file("fresh.txt", "fresh")}),
                   root);
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::None));
        const std::vector<fs::path> expected = {root / "x (3).txt", root / ".env (2)",  root / "d (2)",
                                                root / "y (2)",     root / "plain (2)", root / "fresh.txt"};
        QCOMPARE(outcome.paths, expected);
        QCOMPARE(readFile(root / "x (3).txt"), QByteArray("new x"));
        QCOMPARE(readFile(root / "d (2)" / "inner"), QByteArray("new inner"));
        QCOMPARE(readFile(root / "y (2)"), QByteArray("new y"));
        for (const fs::path& path : expected)
            fs::remove_all(path);
        QCOMPARE(snapshot(root), before);
    }

    void failuresLeaveTheTargetAsItWas_data() {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<Errc>("expected");
        const std::vector<Item> written = {folder("docs"), file("docs/a.txt", randomBytes(100 * kKiB, 8)),
                                           file("b.txt", "b")};
        const auto with = [&](std::vector<Item> more) {
            std::vector<Item> items = written;
            items.insert(items.end(), more.begin(), more.end());
            return payload(items);
        };
        QTest::newRow("traversal after files") << with({file("../evil", "e")}) << Errc::PathTraversal;
        QTest::newRow("absolute after files") << with({file("/tmp/evil", "e")}) << Errc::PathAbsolute;
        QTest::newRow("duplicate after files") << with({file("docs/a.txt", "again")}) << Errc::PathDuplicate;
        QTest::newRow("conflict after files") << with({file("b.txt/c", "c")}) << Errc::PathConflict;
        QTest::newRow("link after files") << [&] {
            QByteArray bytes = with({file("link", "target")});
            bytes[bytes.size() - 1 - 6 - 4 - 24] = '\x03';
            return bytes;
        }() << Errc::EntryLinkNotAllowed;
        const QByteArray complete = with({});
        QTest::newRow("truncated inside a file")
            << complete.left(complete.size() / 2) << Errc::ContainerTruncated;
        QTest::newRow("truncated before the end marker")
            << complete.left(complete.size() - 1) << Errc::ContainerTruncated;
        QTest::newRow("trailing data") << complete + "!" << Errc::ContainerTrailingData;
    }

    void failuresLeaveTheTargetAsItWas() {
        QFETCH(QByteArray, bytes);
        QFETCH(Errc, expected);
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        writeFile(root / "b.txt", "existing");
        fs::create_directories(root / "docs");
        const QByteArray before = snapshot(root);
        const UnpackOutcome outcome = unpack(bytes, root, 4096);
        QCOMPARE(nameOf(outcome.code), nameOf(expected));
        QCOMPARE(snapshot(root), before);
    }

    void unrepresentableTimesAreIgnored() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        Item early = file("early", "1");
        early.mtime = std::numeric_limits<std::int64_t>::min();
        Item late = folder("late");
        late.mtime = std::numeric_limits<std::int64_t>::max();
        Item before1970 = file("before1970", "2");
        before1970.mtime = -86400;
        const UnpackOutcome outcome = unpack(payload({early, late, before1970}), root);
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::None));
        QCOMPARE(
            std::chrono::file_clock::to_sys(fs::last_write_time(root / "before1970")).time_since_epoch(),
            std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(-86400)));
    }

    // SPEC.md §6.5: applied from -2^31 to 2^32 - 1 seconds inclusive, ignored just outside.
    void mtimeRangeBoundaries() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        const std::int64_t values[] = {ContainerUnpacker::kEarliestMtime - 1,
                                       ContainerUnpacker::kEarliestMtime, ContainerUnpacker::kLatestMtime,
                                       ContainerUnpacker::kLatestMtime + 1};
        QCOMPARE(ContainerUnpacker::kEarliestMtime, std::int64_t{-2147483648});
        QCOMPARE(ContainerUnpacker::kLatestMtime, std::int64_t{4294967295});
        std::vector<Item> items;
        for (std::size_t i = 0; i < std::size(values); ++i) {
            items.push_back(file("f" + std::to_string(i), "x"));
            items.back().mtime = values[i];
        }
        const auto before = std::chrono::system_clock::now() - std::chrono::minutes(1);
        const UnpackOutcome outcome = unpack(payload(items), root);
        QCOMPARE(nameOf(outcome.code), nameOf(Errc::None));
        const auto secondsOf = [&](std::size_t i) {
            return std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::file_clock::to_sys(fs::last_write_time(root / ("f" + std::to_string(i)))) -
                std::chrono::sys_seconds{});
        };
        QCOMPARE(secondsOf(1).count(), values[1]);
        QCOMPARE(secondsOf(2).count(), values[2]);
        for (std::size_t i : {std::size_t{0}, std::size_t{3}}) {
            const auto kept =
                std::chrono::file_clock::to_sys(fs::last_write_time(root / ("f" + std::to_string(i))));
            QVERIFY(kept > before);
        }
    }

    // SPEC.md §6.5: where " (N)" goes when a name is taken.
    void numberedNames_data() {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("isFolder");
        QTest::addColumn<int>("number");
        QTest::addColumn<QString>("expected");
        const auto row = [](const char* name, bool isFolder, int number, const char* expected) {
            QTest::addRow("%s%s %d", name, isFolder ? "/" : "", number)
                << QString::fromUtf8(name) << isFolder << number << QString::fromUtf8(expected);
        };
        row("report.pdf", false, 1, "report.pdf");
        row("report.pdf", false, 2, "report (2).pdf");
        row("report.pdf", false, 10000, "report (10000).pdf");
        row("x.tar.gz", false, 2, "x.tar (2).gz");
        row(".env", false, 2, ".env (2)");
        row("a.", false, 2, "a. (2)");
        row("a.b.", false, 2, "a.b. (2)");
        row("..x", false, 2, ". (2).x");
        row("README", false, 3, "README (3)");
        row("photos.2024", true, 2, "photos.2024 (2)");
        row(".config", true, 2, ".config (2)");
        row("r\xc3\xa9sum\xc3\xa9.txt", false, 2, "r\xc3\xa9sum\xc3\xa9 (2).txt");
    }

    void numberedNames() {
        QFETCH(QString, name);
        QFETCH(bool, isFolder);
        QFETCH(int, number);
        QFETCH(QString, expected);
        QCOMPARE(
            QString::fromStdString(ContainerUnpacker::numberedName(name.toStdString(), isFolder, number)),
            expected);
    }

    void abortLeavesTheTargetAsItWas() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        writeFile(root / "keep.txt", "keep");
        const QByteArray before = snapshot(root);
        auto unpacker = ContainerUnpacker::create(root, PathRules::Posix);
        QVERIFY(unpacker.ok());
        ContainerParser parser(**unpacker, PathRules::Posix);
        const QByteArray bytes = payload({folder("d"), file("d/x", "1234"), file("y", randomBytes(5000, 9))});
        QVERIFY(parser.push(viewOf(bytes.left(bytes.size() - 100))).ok()); // stops inside "y"
        QVERIFY(snapshot(root) != before);
        (*unpacker)->abort();
        QCOMPARE(snapshot(root), before);
        QCOMPARE(nameOf((*unpacker)->commit().code()), nameOf(Errc::InvalidArgument));
    }

    void failedCommitMovesEverythingBack() {
        QTemporaryDir dir;
        const fs::path root = pathOf(dir);
        writeFile(root / "keep.txt", "keep");
        const QByteArray before = snapshot(root);
        {
            auto unpacker = ContainerUnpacker::create(root, PathRules::Posix);
            QVERIFY(unpacker.ok());
            ContainerParser parser(**unpacker, PathRules::Posix);
            QVERIFY(parser
                        .push(viewOf(
                            payload({file("a", "1"), folder("b"), file("b/c", "2"), file("keep.txt", "3")})))
                        .ok());
            QVERIFY(parser.finish().ok());
            // Make the second rename fail: its source is gone.
            const std::vector<fs::path> staging = stagingFolders(root);
            QCOMPARE(staging.size(), std::size_t{1});
            fs::remove_all(staging[0] / "b");
            const auto committed = (*unpacker)->commit();
            QCOMPARE(nameOf(committed.code()), nameOf(Errc::IoCommitFailed));
            QCOMPARE(committed.error().detail, std::string("b"));
            QVERIFY(!fs::exists(root / "a"));
        }
        QCOMPARE(snapshot(root), before);
    }
};

QTEST_GUILESS_MAIN(TestContainer)
#include "tst_container.moc"
