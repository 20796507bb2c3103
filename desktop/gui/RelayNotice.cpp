#include "RelayNotice.h"

#include "BackgroundTask.h"
#include "PageStyle.h"
#include "Theme.h"
#include "ots/client/Settings.h"

#include <QEvent>
#include <QFutureWatcher>
#include <QHBoxLayout>
#include <QIcon>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrentRun>

namespace ots::gui {

using client::ClientError;

RelayNotice::RelayNotice(client::Settings* settings, QWidget* parent)
    : QFrame(parent)
    , m_settings(settings) {
    setObjectName(QStringLiteral("relayNotice"));
    setFrameShape(QFrame::StyledPanel);
    setAccessibleName(tr("Relay notice"));
    auto* layout = new QHBoxLayout(this);
    layout->setContentsMargins(14, 10, 14, 10);
    layout->setSpacing(12);
    auto* icon = plainLabel({}, this);
    icon->setPixmap(QIcon(QStringLiteral(":/icons/warning.svg")).pixmap(24, 24));
    layout->addWidget(icon, 0, Qt::AlignTop);

    auto* text = new QVBoxLayout;
    text->setSpacing(4);
    m_title = sectionHeading({}, this);
    m_title->setTextFormat(Qt::PlainText);
    m_message = new QLabel(this);
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    m_message->setTextInteractionFlags(Qt::TextSelectableByMouse);
    text->addWidget(m_title);
    text->addWidget(m_message);
    layout->addLayout(text, 1);

    m_setUp = makeButton(tr("Set &up a relay…"), this, QStringLiteral(":/icons/settings.svg"));
    m_setUp->setToolTip(tr("Enter the relay's address and upload token in Settings and test them"));
    m_checkAgain = makeButton(tr("Check &again"), this, QStringLiteral(":/icons/refresh.svg"));
    layout->addWidget(m_checkAgain, 0, Qt::AlignVCenter);
    layout->addWidget(m_setUp, 0, Qt::AlignVCenter);
    connect(m_setUp, &QPushButton::clicked, this, &RelayNotice::setUpRequested);
    connect(m_checkAgain, &QPushButton::clicked, this, &RelayNotice::check);
    hide();
}

void RelayNotice::check() {
    const int generation = ++m_generation;
    m_state = State::Checking;
    m_checkAgain->setEnabled(false);
    const QUrl url = m_settings->relayUrl();
    // Not the history pool: a slow relay must not hold up the history.
    auto* watcher = new QFutureWatcher<ClientError>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation == m_generation)
            showResult(watcher->result());
    });
    watcher->setFuture(QtConcurrent::run([url] { return checkRelay(url, quickCheckRetry()); }));
}

void RelayNotice::showResult(const ClientError& error) {
    ++m_generation; // this outcome is the newest
    m_checkAgain->setEnabled(true);
    if (error.ok()) {
        m_state = State::Answering;
        hide();
        Q_EMIT checked(error);
        return;
    }
    const QString address = m_settings->relayUrl().toString();
    if (!m_settings->relayConfigured()) {
        m_state = State::NotSetUp;
        m_title->setText(tr("No relay is set up yet"));
        m_message->setText(tr("Shares are uploaded to a relay, and none answers at %1, the address used "
                              "until you choose one. Set up a relay (its address and, if it needs one, "
                              "its upload token) before choosing what to send.")
                               .arg(address));
    } else {
        m_state = State::NotAnswering;
        m_title->setText(tr("The relay does not answer"));
        // The message names the address already.
        m_message->setText(error.message + QLatin1Char(' ') +
                           tr("Start the relay or set up another one before choosing what to send."));
    }
    paintTitle();
    show();
    Q_EMIT checked(error);
}

void RelayNotice::paintTitle() {
    QPalette palette = m_title->palette();
    palette.setColor(QPalette::WindowText, Theme::errorColor());
    m_title->setPalette(palette);
}

void RelayNotice::changeEvent(QEvent* event) {
    QFrame::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        paintTitle(); // the theme changed: the title's red follows it
}

} // namespace ots::gui
