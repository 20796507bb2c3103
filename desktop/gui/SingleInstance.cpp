#include "SingleInstance.h"

#include "ots/client/Settings.h"

#include <QCryptographicHash>
#include <QDataStream>
#include <QDeadlineTimer>
#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>

namespace ots::gui {
namespace {

constexpr quint32 kMagic = 0x4f545331; // "OTS1"
constexpr char kAck = '\x06';

QString currentUserName() {
    QString user = qEnvironmentVariable("USER");
    if (user.isEmpty())
        user = qEnvironmentVariable("USERNAME");
    if (user.isEmpty())
        user = QDir::home().dirName();
    QString safe;
    for (const QChar c : user)
        safe += (c.isLetterOrNumber() && c.unicode() < 128) || c == QLatin1Char('_') || c == QLatin1Char('-')
                    ? c
                    : QLatin1Char('_');
    return safe.left(32);
}

} // namespace

SingleInstance::SingleInstance(const QString& serverName, QObject* parent)
    : QObject(parent)
    , m_serverName(serverName.isEmpty() ? defaultServerName() : serverName) {}

SingleInstance::~SingleInstance() {
    if (m_server != nullptr)
        m_server->close();
}

QString SingleInstance::defaultServerName() {
    // The home folder and the config folder in the hash: a second account with the same login name on
    // another machine sharing /tmp, and a test with its own OTS_CONFIG_DIR, each get their own socket.
    const QByteArray where = (QDir::homePath() + QLatin1Char('\n') + client::configDirectory()).toUtf8();
    const QByteArray hash = QCryptographicHash::hash(where, QCryptographicHash::Sha256).toHex().left(12);
    return QStringLiteral("onetimeshare-%1-%2").arg(currentUserName(), QString::fromLatin1(hash));
}

bool SingleInstance::sendToRunning(const QStringList& arguments, int timeoutMs) const {
    const QDeadlineTimer deadline(timeoutMs);
    QLocalSocket socket;
    socket.connectToServer(m_serverName);
    if (!socket.waitForConnected(static_cast<int>(deadline.remainingTime())))
        return false;
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
    if (m_server == nullptr) {
        m_server = new QLocalServer(this);
        m_server->setSocketOptions(QLocalServer::UserAccessOption);
        connect(m_server, &QLocalServer::newConnection, this, &SingleInstance::acceptConnections);
    }
    // Ask first: with access options Qt creates the socket aside and renames it into place, which would
    // silently take the name from a window that is running.
    {
        QLocalSocket probe;
        probe.connectToServer(m_serverName);
        if (probe.waitForConnected(500)) {
            probe.abort();
            m_error = tr("Another OneTimeShare window is already running for this user.");
            return false;
        }
    }
    if (m_server->listen(m_serverName))
        return true;
    if (m_server->serverError() == QAbstractSocket::AddressInUseError) {
        // Left behind by an instance that crashed: nobody answered above, so take it over.
        QLocalServer::removeServer(m_serverName);
        if (m_server->listen(m_serverName))
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
