// GroupSync (relay/src/GroupSync.h), the group commit of the local blob store's folder fsyncs: every
// caller gets the outcome of an fsync that began after its call, concurrent callers share fsyncs, and
// a failing fsync fails every caller it served. On a real folder and a real pipe; no mocks.

#include "GroupSync.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using ots::relay::GroupSync;

namespace {

/// A folder descriptor, closed at the end of the scope.
struct Folder {
    explicit Folder(const QString& path)
        : fd(::open(path.toLocal8Bit().constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {}
    Folder(const Folder&) = delete;
    Folder& operator=(const Folder&) = delete;
    ~Folder() {
        if (fd >= 0)
            ::close(fd);
    }
    int fd;
};

/// Runs `count` threads that each create a file in folder and then call sync() together; how many got
/// true.
int createAndSyncTogether(GroupSync& sync, const QString& folder, int count) {
    std::atomic<int> ready{0};
    std::atomic<int> succeeded{0};
    std::vector<std::thread> threads;
    threads.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count; ++i)
        threads.emplace_back([&, i] {
            const std::string path = (folder + QStringLiteral("/f") + QString::number(i)).toStdString();
            const int file = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
            if (file >= 0)
                ::close(file);
            ++ready;
            while (ready.load() < count)
                std::this_thread::yield();
            if (file >= 0 && sync.sync())
                ++succeeded;
        });
    for (std::thread& thread : threads)
        thread.join();
    return succeeded.load();
}

} // namespace

class TestGroupSync : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void eachCallAfterAnotherRunsItsOwnFsync() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const Folder folder(dir.path());
        QVERIFY(folder.fd >= 0);
        GroupSync sync(folder.fd);
        for (int i = 0; i < 3; ++i)
            QVERIFY(sync.sync());
        // A finished fsync may have begun before the next caller's change: never reused.
        QCOMPARE(sync.fsyncs(), std::uint64_t{3});
    }

    void concurrentCallersShareFsyncs() {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const Folder folder(dir.path());
        QVERIFY(folder.fd >= 0);
        GroupSync sync(folder.fd);
        constexpr int kCallers = 16;
        QCOMPARE(createAndSyncTogether(sync, dir.path(), kCallers), kCallers);
        // At least one fsync, never more than one per caller (how many share depends on timing).
        QVERIFY(sync.fsyncs() >= 1);
        QVERIFY(sync.fsyncs() <= std::uint64_t{kCallers});
        qInfo("%d concurrent callers, %llu fsyncs", kCallers, static_cast<unsigned long long>(sync.fsyncs()));
    }

    void failedFsyncFailsEveryCallerItServed() {
        // fsync(2) of a pipe fails (EINVAL): every caller must hear it, none may report durable.
        int ends[2] = {-1, -1};
        QCOMPARE(::pipe2(ends, O_CLOEXEC), 0);
        GroupSync sync(ends[0]);
        std::atomic<int> succeeded{0};
        std::vector<std::thread> threads;
        threads.reserve(8);
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&] {
                if (sync.sync())
                    ++succeeded;
            });
        for (std::thread& thread : threads)
            thread.join();
        ::close(ends[0]);
        ::close(ends[1]);
        QCOMPARE(succeeded.load(), 0);
        QVERIFY(sync.fsyncs() >= 1);
    }
};

QTEST_GUILESS_MAIN(TestGroupSync)
#include "tst_group_sync.moc"
