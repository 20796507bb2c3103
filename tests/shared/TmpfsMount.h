#pragma once

// A small tmpfs of its own for a test that needs a real disk to be full: mounted on a fresh folder
// with mount(8) (the tests run as root in CI; anything else fails loudly instead of skipping), unmounted
// when the object goes. fill() takes every free byte with one file, free() gives it back.

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <sys/statvfs.h>
#include <unistd.h>

namespace ots::test {

class TmpfsMount {
public:
    explicit TmpfsMount(qint64 bytes) {
        if (::geteuid() != 0) {
            m_error = QStringLiteral("mounting a tmpfs needs root (CI runs the tests as root)");
            return;
        }
        if (!m_folder.isValid()) {
            m_error = QStringLiteral("no temporary folder for the mount point");
            return;
        }
        QProcess mount;
        mount.start(QStringLiteral("mount"),
                    {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                     QStringLiteral("size=%1,mode=0755").arg(bytes), QStringLiteral("tmpfs"),
                     m_folder.path()});
        if (!mount.waitForFinished(20'000) || mount.exitStatus() != QProcess::NormalExit ||
            mount.exitCode() != 0) {
            m_error = QStringLiteral("mount -t tmpfs failed: %1")
                          .arg(QString::fromLocal8Bit(mount.readAllStandardError()));
            return;
        }
        m_mounted = true;
    }
    ~TmpfsMount() {
        if (!m_mounted)
            return;
        QProcess umount;
        umount.start(QStringLiteral("umount"), {QStringLiteral("-l"), m_folder.path()});
        umount.waitForFinished(20'000);
    }
    TmpfsMount(const TmpfsMount&) = delete;
    TmpfsMount& operator=(const TmpfsMount&) = delete;

    [[nodiscard]] bool ok() const { return m_mounted; }
    [[nodiscard]] QByteArray error() const { return m_error.toUtf8(); }
    [[nodiscard]] QString path() const { return m_folder.path(); }
    [[nodiscard]] QString filePath(const QString& name) const { return m_folder.filePath(name); }

    [[nodiscard]] qint64 usedBytes() const {
        struct statvfs info {};
        if (::statvfs(QFile::encodeName(m_folder.path()).constData(), &info) != 0)
            return -1;
        return static_cast<qint64>(info.f_blocks - info.f_bfree) * static_cast<qint64>(info.f_frsize);
    }

    /// Writes one file until the file system refuses more; true when it is full.
    bool fill() {
        QFile filler(fillerPath());
        if (!filler.open(QIODevice::WriteOnly))
            return false;
        const QByteArray block(qsizetype{64} * 1024, 'x');
        while (filler.write(block) == block.size() && filler.flush()) {
        }
        filler.close();
        return true;
    }
    void free() { QFile::remove(fillerPath()); }

private:
    [[nodiscard]] QString fillerPath() const { return m_folder.filePath(QStringLiteral(".filler")); }

    QTemporaryDir m_folder;
    QString m_error;
    bool m_mounted = false;
};

} // namespace ots::test
