#pragma once

// The Send page's notice about the relay, shown before anything is chosen: on a first run (no relay
// saved, and nothing answers at the default address) or when the saved relay does not answer. It says
// which address was tried and what happened, and offers "Set up a relay" (Settings, with the address
// field focused: address, upload token, Test connection) and "Check again". Hidden while the relay
// answers. The check is RelayClient::checkConnection in a worker thread, never on the GUI thread.

#include "ots/client/ClientError.h"

#include <QFrame>

class QLabel;
class QPushButton;

namespace ots::client {
class Settings;
} // namespace ots::client

namespace ots::gui {

class RelayNotice : public QFrame {
    Q_OBJECT
public:
    enum class State { Unchecked, Checking, Answering, NotSetUp, NotAnswering };
    Q_ENUM(State)

    explicit RelayNotice(ots::client::Settings* settings, QWidget* parent = nullptr);

    [[nodiscard]] State state() const noexcept { return m_state; }
    [[nodiscard]] QLabel* messageLabel() const noexcept { return m_message; }
    [[nodiscard]] QPushButton* setUpButton() const noexcept { return m_setUp; }
    [[nodiscard]] QPushButton* checkAgainButton() const noexcept { return m_checkAgain; }

public Q_SLOTS:
    /// Checks the relay in Settings now (a check still running is superseded).
    void check();
    /// Shows the outcome of a check made elsewhere (the one before a send) for the relay in Settings.
    void showResult(const ots::client::ClientError& error);

Q_SIGNALS:
    /// "Set up a relay" was pressed.
    void setUpRequested();
    /// A check finished; state() tells how.
    void checked(ots::client::ClientError error);

protected:
    void changeEvent(QEvent* event) override;

private:
    void paintTitle();

    ots::client::Settings* m_settings;
    State m_state = State::Unchecked;
    int m_generation = 0;
    QLabel* m_title = nullptr;
    QLabel* m_message = nullptr;
    QPushButton* m_setUp = nullptr;
    QPushButton* m_checkAgain = nullptr;
};

} // namespace ots::gui
