#pragma once

// One window per user: the first launch listens on a local socket (QLocalServer); a later launch
// (`onetimeshare LINK`, a clicked onetimeshare:// link) hands its arguments to it and exits.
//
// The socket lives in a folder only this user can enter: $XDG_RUNTIME_DIR, or when that is unset or
// not private, $TMPDIR/onetimeshare-<uid> made 0700 — each used only after checking that it is a real
// folder (not a symbolic link), owned by this user, with no access for group or others. Both ends
// check who is on the other side (SO_PEERCRED): the running window drops connections from other
// users, and a launch sends nothing to a socket that another user listens on — it starts as a window
// of its own instead, taking the name over. A socket left behind by a crashed instance is taken over.
// The link never appears in the socket's name, and errorString() never contains it.

#include <QObject>
#include <QStringList>

class QLocalServer;
class QLocalSocket;

namespace ots::gui {

class SingleInstance : public QObject {
    Q_OBJECT
public:
    /// socketPath: empty means defaultSocketPath().
    explicit SingleInstance(const QString& socketPath = {}, QObject* parent = nullptr);
    ~SingleInstance() override;

    /// "<private folder>/onetimeshare-<hash of the home and config folders>.socket": one per user and
    /// per OTS_CONFIG_DIR. Empty, with the reason in *problem, when no private folder can be had;
    /// *problem also tells when $XDG_RUNTIME_DIR was passed over.
    [[nodiscard]] static QString defaultSocketPath(QString* problem = nullptr);
    /// The socket's name in that folder: "onetimeshare-<hash>.socket".
    [[nodiscard]] static QString socketName();
    [[nodiscard]] const QString& socketPath() const noexcept { return m_socketPath; }

    /// Hands arguments to a running instance of this user; true when it confirmed receipt within
    /// timeoutMs. Nothing is sent to a socket that another user listens on (errorString() says so).
    [[nodiscard]] bool sendToRunning(const QStringList& arguments, int timeoutMs = 3000);
    /// Becomes the running instance; false (see errorString()) when the socket cannot be made.
    [[nodiscard]] bool listen();
    [[nodiscard]] bool isListening() const;
    /// Why $XDG_RUNTIME_DIR or the fallback folder was passed over (for the log); empty when all is well.
    [[nodiscard]] const QString& folderNotice() const noexcept { return m_pathProblem; }
    /// What went wrong or was refused last (for the log); never holds an argument.
    [[nodiscard]] const QString& errorString() const noexcept { return m_error; }

Q_SIGNALS:
    /// Another launch's arguments (without the program name).
    void argumentsReceived(const QStringList& arguments);

private:
    void acceptConnections();
    void readFrom(QLocalSocket* socket);

    QString m_pathProblem; // before m_socketPath: the constructor fills both at once
    QString m_socketPath;
    QLocalServer* m_server = nullptr;
    QString m_error;
};

} // namespace ots::gui
