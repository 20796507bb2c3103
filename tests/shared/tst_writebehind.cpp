// WriteBehind (shared/src/WriteBehind.h): the receive's file writer on a second thread. The file gets
// exactly the bytes given, in order, however they are cut; a small file never starts the thread; a
// failing disk is reported with its errno by write() or finish(), and discard() leaves the file alone.

#include "../../shared/src/WriteBehind.h"
#include "TestUtil.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <cstdio>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>

using namespace ots;
using namespace ots::test;

namespace {

std::FILE* openForWriting(const QString& path) {
    return std::fopen(QFile::encodeName(path).constData(), "wbx");
}

/// The bytes of the file at `path`, or a null array when it cannot be read.
QByteArray readWhole(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// Writes `data` as a whole new file at `path` through `writer`, which must already be idle.
bool writeWhole(WriteBehind& writer, const QString& path, const QByteArray& data) {
    std::FILE* file = openForWriting(path);
    if (file == nullptr)
        return false;
    writer.begin(file);
    const bool written = writer.write(view(data)) && writer.finish();
    return std::fclose(file) == 0 && written;
}

/// Threads of this process (entries of /proc/self/task).
int threadCount() {
    int count = 0;
    if (DIR* tasks = ::opendir("/proc/self/task")) {
        while (const dirent* entry = ::readdir(tasks))
            count += entry->d_name[0] != '.' ? 1 : 0;
        ::closedir(tasks);
    }
    return count;
}

/// Whether the file system of `dir` accepts direct I/O: a file opened there with O_DIRECT.
bool takesDirectIo(const QString& dir) {
    const QByteArray probe = QFile::encodeName(dir + QStringLiteral("/probe"));
    const int fd = ::open(probe.constData(), O_WRONLY | O_CREAT | O_EXCL | O_DIRECT, 0600);
    if (fd < 0)
        return false;
    ::close(fd);
    ::unlink(probe.constData());
    return true;
}

} // namespace

class TestWriteBehind : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void exactBytesWhateverTheCuts_data() {
        QTest::addColumn<qsizetype>("size");
        QTest::addColumn<qsizetype>("piece");
        const qsizetype buffer = qsizetype(WriteBehind::kBufferBytes);
        QTest::newRow("empty") << qsizetype(0) << qsizetype(1);
        QTest::newRow("one byte") << qsizetype(1) << qsizetype(1);
        QTest::newRow("just under a buffer") << buffer - 1 << qsizetype(4096);
        QTest::newRow("exactly a buffer") << buffer << buffer;
        QTest::newRow("a buffer and one") << buffer + 1 << qsizetype(65511);
        // More than every buffer together: the caller must wait for the writer (back-pressure).
        QTest::newRow("many buffers, odd pieces")
            << 3 * qsizetype(WriteBehind::kBuffers) * buffer + 12345 << qsizetype(65511);
        QTest::newRow("many buffers, pieces larger than a buffer")
            << 2 * qsizetype(WriteBehind::kBuffers) * buffer + 7 << 3 * buffer + 5;
    }

    void exactBytesWhateverTheCuts() {
        QFETCH(qsizetype, size);
        QFETCH(qsizetype, piece);
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QByteArray data = pattern(size);
        const QString path = dir.filePath(QStringLiteral("out"));
        std::FILE* file = openForWriting(path);
        QVERIFY(file != nullptr);
        {
            WriteBehind writer;
            writer.begin(file);
            for (qsizetype at = 0; at < size; at += piece)
                QVERIFY(writer.write(view(data.mid(at, piece))));
            QVERIFY(writer.finish());
            QCOMPARE(writer.error(), 0);
        }
        QCOMPARE(std::fclose(file), 0);
        const QByteArray written = readWhole(path);
        QCOMPARE(written.size(), size);
        QVERIFY(written == data);
    }

    void oneWriterForManyFiles() {
        // An unpacker reuses one writer for every file of a share.
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        WriteBehind writer;
        for (int i = 0; i < 5; ++i) {
            const QByteArray data = pattern(qsizetype(WriteBehind::kBufferBytes) * (i + 1) + i * 1000).mid(i);
            const QString path = dir.filePath(QString::number(i));
            QVERIFY(writeWhole(writer, path, data));
            QVERIFY(readWhole(path) == data);
        }
    }

    void smallFilesStartNoThread() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const int before = threadCount();
        QVERIFY(before >= 1);
        WriteBehind writer;
        std::FILE* file = openForWriting(dir.filePath(QStringLiteral("small")));
        QVERIFY(file != nullptr);
        writer.begin(file);
        QVERIFY(writer.write(view(pattern(4096))));
        QCOMPARE(threadCount(), before);
        QVERIFY(writer.finish());
        QCOMPARE(threadCount(), before);
        QCOMPARE(std::fclose(file), 0);
        // A large one does start it.
        file = openForWriting(dir.filePath(QStringLiteral("large")));
        QVERIFY(file != nullptr);
        writer.begin(file);
        QVERIFY(writer.write(view(pattern(qsizetype(WriteBehind::kBufferBytes) + 1))));
        QCOMPARE(threadCount(), before + 1);
        QVERIFY(writer.finish());
        QCOMPARE(std::fclose(file), 0);
    }

    void fullDiskIsReportedWithItsErrno() {
        // /dev/full: every write fails with ENOSPC.
        std::FILE* file = std::fopen("/dev/full", "wb");
        QVERIFY(file != nullptr);
        {
            WriteBehind writer;
            writer.begin(file);
            const QByteArray data = pattern(qsizetype(WriteBehind::kBufferBytes));
            bool refused = false;
            // The writer thread fails on the first buffer; a later write() says so, at the latest once
            // every buffer is used.
            for (std::size_t i = 0; i < 4 * WriteBehind::kBuffers && !refused; ++i)
                refused = !writer.write(view(data));
            QVERIFY(refused || !writer.finish());
            QCOMPARE(writer.error(), ENOSPC);
            QVERIFY(!writer.finish());
            QCOMPARE(writer.error(), ENOSPC);
        }
        std::fclose(file);

        // A small file fails in finish(), written from the caller's thread.
        file = std::fopen("/dev/full", "wb");
        QVERIFY(file != nullptr);
        {
            WriteBehind writer;
            writer.begin(file);
            QVERIFY(writer.write(view(pattern(10))));
            // fwrite may keep a few bytes in the stream's buffer; the flush reports them.
            const bool finished = writer.finish();
            QVERIFY(!finished ? writer.error() == ENOSPC : std::fflush(file) != 0);
        }
        std::fclose(file);
    }

    void directIoWhereTheFileSystemTakesIt_data() {
        QTest::addColumn<QString>("parent");
        // The test's temporary folder (a disk here and in CI) and /dev/shm (tmpfs: no direct I/O on
        // the kernels we ship for); each is held against what the kernel says of it.
        QTest::newRow("temporary folder") << QDir::tempPath();
        QTest::newRow("tmpfs") << QStringLiteral("/dev/shm");
    }

    void directIoWhereTheFileSystemTakesIt() {
        QFETCH(QString, parent);
        QTemporaryDir dir(parent + QStringLiteral("/tst_writebehind-XXXXXX"));
        QVERIFY2(dir.isValid(), qPrintable(parent));
        const bool expected = takesDirectIo(dir.path());
        const QString path = dir.filePath(QStringLiteral("large"));
        const qsizetype buffer = qsizetype(WriteBehind::kBufferBytes);
        const QByteArray data = pattern(5 * buffer + 4097); // a tail that is no whole block
        std::FILE* file = openForWriting(path);
        QVERIFY(file != nullptr);
        {
            WriteBehind writer;
            writer.begin(file);
            QVERIFY(writer.write(view(data.left(buffer - 1))));
            QVERIFY(!writer.directIo()); // not before a buffer is full: a small file stays cached
            QVERIFY(writer.write(view(data.mid(buffer - 1))));
            QCOMPARE(writer.directIo(), expected);
            QVERIFY(writer.finish());
            QVERIFY(!writer.directIo());
        }
        // The caller gets its file back as it gave it: no O_DIRECT left on the descriptor.
        const int flags = ::fcntl(::fileno(file), F_GETFL);
        QVERIFY(flags >= 0);
        QCOMPARE(flags & O_DIRECT, 0);
        QCOMPARE(std::fclose(file), 0);
        QVERIFY(readWhole(path) == data);
    }

    void discardLeavesTheFileAlone() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString path = dir.filePath(QStringLiteral("dropped"));
        std::FILE* file = openForWriting(path);
        QVERIFY(file != nullptr);
        {
            WriteBehind writer;
            writer.begin(file);
            QVERIFY(writer.write(view(pattern(3 * qsizetype(WriteBehind::kBufferBytes) + 5))));
            writer.discard();
            // After discard() the writer no longer touches the file: closing it now is safe.
            QCOMPARE(std::fclose(file), 0);
            // And the writer can go on with another file.
            const QString next = dir.filePath(QStringLiteral("next"));
            const QByteArray data = pattern(2 * qsizetype(WriteBehind::kBufferBytes) + 3);
            QVERIFY(writeWhole(writer, next, data));
            QVERIFY(readWhole(next) == data);
        }
        QVERIFY(QFile::exists(path)); // whatever part of it was written: removing it is the caller's job
    }
};

QTEST_GUILESS_MAIN(TestWriteBehind)
#include "tst_writebehind.moc"
