#include "SingleInstance.h"

#include "ots/client/Settings.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QDeadlineTimer>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

#include <optional>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#endif

namespace ots::gui {
namespace {

constexpr quint32 kMagic = 0x4f545331; // "OTS1"
constexpr char kAck = '\x06';
constexpr int kProbeTimeoutMs = 500;

#ifdef Q_OS_UNIX

/// The user id of the process at the other end of a connected local socket; nullopt when unknown.
std::optional<uid_t> peerUid(const QLocalSocket& socket) {
    const auto fd = static_cast<int>(socket.socketDescriptor());
    if (fd < 0)
        return std::nullopt;
#ifdef Q_OS_LINUX
    ucred credentials{};
    socklen_t length = sizeof credentials;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 || length != sizeof credentials)
        return std::nullopt;
    return credentials.uid;
#else
    uid_t uid = 0;
    gid_t gid = 0;
    if (::getpeereid(fd, &uid, &gid) != 0)
        return std::nullopt;
    return uid;
#endif
}

/// Empty when folder is a real folder (not a symbolic link) owned by this user that nobody else may
/// enter; otherwise why not.
QString whyNotPrivate(const QString& folder) {
    if (!QDir::isAbsolutePath(folder))
        return QStringLiteral("it is not an absolute path");
    struct stat info {};
    if (::lstat(QFile::encodeName(folder).constData(), &info) != 0)
        return QStringLiteral("it does not exist");
    if (S_ISLNK(info.st_mode))
        return QStringLiteral("it is a symbolic link");
    if (!S_ISDIR(info.st_mode))
        return QStringLiteral("it is not a folder");
    if (info.st_uid != ::geteuid())
        return QStringLiteral("it belongs to another user (uid %1)").arg(info.st_uid);
    if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0)
        return QStringLiteral("others may use it (mode %1)")
            .arg(info.st_mode & 07777, 4, 8, QLatin1Char('0'));
    return {};
}

/// $XDG_RUNTIME_DIR when it is private, else $TMPDIR/onetimeshare-<uid> (made 0700 if missing) when
/// that is; empty when neither is. *problem: what was passed over or refused.
QString privateFolder(QString* problem) {
    QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    QString passedOver;
    if (!runtime.isEmpty()) {
        const QString why = whyNotPrivate(runtime);
        if (why.isEmpty())
            return runtime;
        passedOver = QStringLiteral("XDG_RUNTIME_DIR (%1) is not used: %2. ").arg(runtime, why);
    }
    QString fallback = QDir(QDir::tempPath()).filePath(QStringLiteral("onetimeshare-%1").arg(::geteuid()));
    ::mkdir(QFile::encodeName(fallback).constData(), S_IRWXU); // an existing one is checked below
    const QString why = whyNotPrivate(fallback);
    if (why.isEmpty()) {
        *problem = passedOver;
        return fallback;
    }
    *problem = passedOver + QStringLiteral("The folder %1 is not used: %2. Set XDG_RUNTIME_DIR to a folder "
                                           "only you can use (mode 0700).")
                                .arg(fallback, why);
    return {};
}

#endif

} // namespace

SingleInstance::SingleInstance(const QString& socketPath, QObject* parent)
    : QObject(parent)
    , m_pathProblem()
    , m_socketPath(socketPath.isEmpty() ? defaultSocketPath(&m_pathProblem) : socketPath) {}

SingleInstance::~SingleInstance() {
    if (m_server != nullptr)
        m_server->close();
}

QString SingleInstance::socketName() {
    // The home folder and the config folder in the hash: a test with its own OTS_CONFIG_DIR gets its
    // own socket.
    const QByteArray where = (QDir::homePath() + QLatin1Char('\n') + client::configDirectory()).toUtf8();
    const QByteArray hash = QCryptographicHash::hash(where, QCryptographicHash::Sha256).toHex().left(12);
    return QStringLiteral("onetimeshare-%1.socket").arg(QString::fromLatin1(hash));
}

QString SingleInstance::defaultSocketPath(QString* problem) {
    QString ignored;
    QString& why = problem != nullptr ? *problem : ignored;
    why.clear();
#ifdef Q_OS_UNIX
    const QString folder = privateFolder(&why);
    return folder.isEmpty() ? QString() : QDir(folder).filePath(socketName());
#else
    // A named pipe, made with UserAccessOption (only this user may open it).
    return socketName() + QLatin1Char('-') + qEnvironmentVariable("USERNAME");
#endif
}

bool SingleInstance::sendToRunning(const QStringList& arguments, int timeoutMs) {
    m_error.clear();
    if (m_socketPath.isEmpty())
        return false;
    const QDeadlineTimer deadline(timeoutMs);
    QLocalSocket socket;
    socket.connectToServer(m_socketPath);
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime())))
        return false;
#ifdef Q_OS_UNIX
    // Who listens is checked before a byte is written: a link goes to this user's window only.
    if (const std::optional<uid_t> uid = peerUid(socket); uid != ::geteuid()) {
        socket.abort();
        m_error = tr("The socket %1 is served by %2, not by this user: nothing was sent to it, and this "
                     "window starts on its own.")
                      .arg(m_socketPath, uid ? tr("user id %1").arg(*uid) : tr("an unknown user"));
        return false;
    }
#endif
    QByteArray message;
    {
        QDataStream out(&message, QIODevice::WriteOnly);
        out.setVersion(QDataStream::Qt_6_4);
        out << kMagic << arguments;
    }
    socket.write(message);
    while (socket.bytesToWrite() > 0)
        if (!socket.waitForBytesWritten(static_cast<int>(deadline.remainingTime())))
            return false;
    while (socket.bytesAvailable() < 1)
        if (!socket.waitForReadyRead(static_cast<int>(deadline.remainingTime())))
            return false;
    char ack = 0;
    const bool confirmed = socket.getChar(&ack) && ack == kAck;
    socket.disconnectFromServer();
    return confirmed;
}

bool SingleInstance::listen() {
    if (isListening())
        return true;
    if (m_socketPath.isEmpty()) {
        m_error = tr("Links opened later cannot be passed to this window: %1").arg(m_pathProblem);
        return false;
    }
    if (m_server == nullptr) {
        m_server = new QLocalServer(this);
#ifndef Q_OS_UNIX
        m_server->setSocketOptions(QLocalServer::UserAccessOption);
#endif
        connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::acceptConnections);
    }
    // Ask first: a window of this user that is running keeps its name.
    {
        QLocalSocket probe;
        probe.connectToServer(m_socketPath);
        if (probe.waitForConnected(kProbeTimeoutMs)) {
#ifdef Q_OS_UNIX
            const bool ours = peerUid(probe) == ::geteuid();
#else
            const bool ours = true;
#endif
            probe.abort();
            if (ours) {
                m_error = tr("Another OneTimeShare window is already running for this user.");
                return false;
            }
            // Someone else's socket in this user's private folder: never used; this window takes the name.
        }
    }
    if (m_server->listen(m_socketPath))
        return true;
    if (m_server->serverError() == QAbstractSocket::AddressInUseError) {
        // Left behind by an instance that crashed, or not ours: take it over.
        QLocalServer::removeServer(m_socketPath);
        if (m_server->listen(m_socketPath))
            return true;
    }
    m_error = tr("Links opened later cannot be passed to this window (%1).").arg(m_server->errorString());
    return false;
}

bool SingleInstance::isListening() const {
    return m_server != nullptr && m_server->isListening();
}

void SingleInstance::acceptConnections() {
    while (QLocalSocket* socket = m_server->nextPendingConnection()) {
#ifdef Q_OS_UNIX
        if (peerUid(*socket) != ::geteuid()) {
            // Another user (root included) reached the socket: nothing they send is read.
            socket->abort();
            socket->deleteLater();
            continue;
        }
#endif
        connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
        connect(socket, &QLocalSocket::readyRead, this, [this, socket] { readFrom(socket); });
        readFrom(socket);
    }
}

void SingleInstance::readFrom(QLocalSocket* socket) {
    QDataStream in(socket);
    in.setVersion(QDataStream::Qt_6_4);
    in.startTransaction();
    quint32 magic = 0;
    QStringList arguments;
    in >> magic >> arguments;
    if (!in.commitTransaction())
        return; // not all of it yet: wait for more
    if (magic != kMagic) {
        socket->abort();
        return;
    }
    socket->putChar(kAck);
    socket->flush();
    Q_EMIT argumentsReceived(arguments);
}

} // namespace ots::gui
