#pragma once

// One window per user: the first launch listens on a local socket (QLocalServer) named after the user
// and their config folder; a later launch (`onetimeshare LINK`, a clicked onetimeshare:// link) hands
// its arguments to it and exits. The socket is private to the user (two users never meet), and a
// socket left behind by a crashed instance is taken over.

#include <QObject>
#include <QStringList>

class QLocalServer;
class QLocalSocket;

namespace ots::gui {

class SingleInstance : public QObject {
    Q_OBJECT
public:
    /// serverName: empty means defaultServerName().
    explicit SingleInstance(const QString& serverName = {}, QObject* parent = nullptr);
    ~SingleInstance() override;

    /// "onetimeshare-<user>-<hash of the config folder>": per user, and per OTS_CONFIG_DIR.
    [[nodiscard]] static QString defaultServerName();
    [[nodiscard]] const QString& serverName() const noexcept { return m_serverName; }

    /// Hands arguments to a running instance; true when it confirmed receipt within timeoutMs.
    [[nodiscard]] bool sendToRunning(const QStringList& arguments, int timeoutMs = 3000) const;
    /// Becomes the running instance; false (see errorString()) when the socket cannot be made.
    [[nodiscard]] bool listen();
    [[nodiscard]] bool isListening() const;
    [[nodiscard]] const QString& errorString() const noexcept { return m_error; }

Q_SIGNALS:
    /// Another launch's arguments (without the program name).
    void argumentsReceived(const QStringList& arguments);

private:
    void acceptConnections();
    void readFrom(QLocalSocket* socket);

    QString m_serverName;
    QLocalServer* m_server = nullptr;
    QString m_error;
};

} // namespace ots::gui
