#pragma once

// What the GUI tests share: a real redis-server and this build's ots-relay (RelayFixture), a private
// config folder (OTS_CONFIG_DIR, the file secret store), Settings pointing at the relay, a
// ShareHistory, and the real MainWindow shown at 1280×800 on the offscreen platform. Plus simulated
// drops and small file helpers.

#include "MainWindow.h"
#include "RelayProcess.h"
#include "ots/Crypto.h"
#include "ots/client/SecretStore.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QDir>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QMimeData>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

#include <memory>

/// The icons live in ots_gui's resources, a static library: pull them in (outside any namespace).
inline void initGuiResources() {
    Q_INIT_RESOURCE(onetimeshare);
}

namespace ots::guitest {

inline QByteArray randomBytes(qsizetype size) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator* generator = QRandomGenerator::global();
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = static_cast<char>(generator->bounded(256));
    return bytes;
}

inline bool writeFile(const QString& path, const QByteArray& bytes) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly) && file.write(bytes) == bytes.size();
}

inline QByteArray readFile(const QString& path) {
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// Files of a tree (relative path → content); folders map to a null array.
inline QMap<QString, QByteArray> snapshot(const QString& dir) {
    QMap<QString, QByteArray> out;
    const QStringList all = ots::test::listTree(dir);
    for (const QString& path : all) {
        const QString full = QDir(dir).filePath(path);
        out.insert(path, QFileInfo(full).isDir() ? QByteArray() : readFile(full));
    }
    return out;
}

/// Drags urls onto target and drops them there, as a file manager would; true when the drop was taken.
inline bool dropUrls(QWidget* target, const QList<QUrl>& urls) {
    QMimeData mime;
    mime.setUrls(urls);
    const QPoint centre = target->rect().center();
    QDragEnterEvent enter(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &enter);
    if (!enter.isAccepted())
        return false;
    QDragMoveEvent move(centre, Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &move);
    QDropEvent drop(QPointF(centre), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
    QApplication::sendEvent(target, &drop);
    return drop.isAccepted();
}

/// Every ots:{id}:share key on the relay's Redis (one per share that exists).
inline QList<QByteArray> shareRecords(quint16 redisPort) {
    return ots::relaytest::redisKeys(redisPort, QStringLiteral("ots:{*}:share"));
}

class GuiHarness {
    // First, so that they are removed last (after the window, the history and the relay).
    QTemporaryDir m_configDir;
    QTemporaryDir m_work;
    int m_counter = 0;

public:
    /// Starts Redis and the relay, points the settings at it and shows the window.
    [[nodiscard]] bool start(QString* error) {
        initGuiResources();
        if (!m_configDir.isValid() || !m_work.isValid()) {
            *error = QStringLiteral("no temporary folder");
            return false;
        }
        qputenv("OTS_CONFIG_DIR", m_configDir.path().toUtf8());
        qputenv("OTS_SECRET_STORE", "file");
        if (!ots::initialize()) {
            *error = QStringLiteral("ots::initialize failed");
            return false;
        }
        if (!fixture.start()) {
            *error = QString::fromUtf8(fixture.error());
            return false;
        }
        settings = std::make_unique<ots::client::Settings>();
        settings->setRelayUrl(relayUrl());
        settings->setCopyLinkOnFinish(true);
        settings->sync();
        history = std::make_unique<ots::client::ShareHistory>(
            m_configDir.path(), ots::client::SecretStore::openFile(m_configDir.path()));
        window = std::make_unique<ots::gui::MainWindow>(settings.get(), history.get());
        window->resize(1280, 800);
        window->show();
        if (!QTest::qWaitForWindowExposed(window.get())) {
            *error = QStringLiteral("the window was not shown");
            return false;
        }
        window->activateWindow();
        return true;
    }

    [[nodiscard]] QUrl relayUrl() const {
        return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(fixture.relay.port()));
    }
    /// A new empty folder under the test's work folder.
    [[nodiscard]] QString freshDir(const QString& name) {
        const QString path = m_work.filePath(QStringLiteral("%1-%2").arg(name).arg(++m_counter));
        QDir().mkpath(path);
        return path;
    }
    [[nodiscard]] QString configDir() const { return m_configDir.path(); }

    ots::relaytest::RelayFixture fixture;
    std::unique_ptr<ots::client::Settings> settings;
    std::unique_ptr<ots::client::ShareHistory> history;
    std::unique_ptr<ots::gui::MainWindow> window;
};

} // namespace ots::guitest
