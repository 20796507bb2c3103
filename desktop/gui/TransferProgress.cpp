#include "TransferProgress.h"

#include "PageStyle.h"
#include "ots/client/Settings.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QVBoxLayout>

#include <algorithm>
#include <cmath>

namespace ots::gui {

TransferProgress::TransferProgress(QWidget* parent)
    : QWidget(parent) {
    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(10);
    m_heading = sectionHeading({}, this);
    m_detail = hintLabel({}, this);
    m_bar = new QProgressBar(this);
    m_bar->setRange(0, 1000);
    m_bar->setTextVisible(false);
    m_bar->setMinimumHeight(14);
    m_numbers = plainLabel({}, this);
    m_numbers->setAccessibleName(tr("Transfer progress"));
    m_cancel = new QPushButton(tr("Cancel"), this);
    m_cancel->setAutoDefault(true);
    connect(m_cancel, &QPushButton::clicked, this, &TransferProgress::cancelRequested);
    m_discard = new QPushButton(tr("Discard"), this);
    m_discard->setToolTip(tr("Delete the unfinished upload on the relay"));
    m_discard->setAutoDefault(true);
    m_discard->hide();
    connect(m_discard, &QPushButton::clicked, this, &TransferProgress::discardRequested);
    m_resume = new QPushButton(tr("Resume"), this);
    m_resume->setToolTip(tr("Continue the upload from where the relay stopped receiving it"));
    m_resume->setAutoDefault(true);
    m_resume->setDefault(true);
    m_resume->hide();
    connect(m_resume, &QPushButton::clicked, this, &TransferProgress::resumeRequested);

    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    buttons->addWidget(m_discard);
    buttons->addWidget(m_resume);
    buttons->addWidget(m_cancel);

    layout->addWidget(m_heading);
    layout->addWidget(m_detail);
    layout->addSpacing(8);
    layout->addWidget(m_bar);
    layout->addWidget(m_numbers);
    layout->addLayout(buttons);
}

void TransferProgress::start(const QString& heading, const QString& detail) {
    m_heading->setText(heading);
    m_detail->setText(detail);
    m_bar->setRange(0, 0); // busy until the first numbers arrive
    m_bar->setValue(0);
    m_done = 0;
    m_total = 0;
    m_numbers->setText(tr("Starting…"));
    m_cancel->setEnabled(true);
    m_cancel->setText(tr("Cancel"));
    m_cancel->show();
    m_resume->hide();
    m_discard->hide();
}

void TransferProgress::setDetail(const QString& detail) {
    m_detail->setText(detail);
}

void TransferProgress::setProgress(quint64 done, quint64 total, double bytesPerSecond, qint64 etaSeconds) {
    m_done = done;
    m_total = total;
    if (total == 0) {
        m_bar->setRange(0, 0);
        return;
    }
    const double fraction = std::clamp(static_cast<double>(done) / static_cast<double>(total), 0.0, 1.0);
    m_bar->setRange(0, 1000);
    m_bar->setValue(static_cast<int>(std::lround(fraction * 1000.0)));
    QStringList parts;
    parts << tr("%1 %").arg(static_cast<int>(std::floor(fraction * 100.0)));
    parts << tr("%1 of %2").arg(client::formatBytes(done), client::formatBytes(total));
    if (bytesPerSecond > 0.0)
        parts << tr("%1/s").arg(client::formatBytes(static_cast<std::uint64_t>(bytesPerSecond)));
    const QString eta = etaText(etaSeconds);
    if (!eta.isEmpty())
        parts << eta;
    m_numbers->setText(parts.join(QStringLiteral("  ·  ")));
}

void TransferProgress::setWaiting() {
    if (m_total > 0)
        setProgress(m_done, m_total, 0.0, -1);
}

void TransferProgress::setCancelling() {
    m_cancel->setEnabled(false);
    m_cancel->setText(tr("Cancelling…"));
    m_numbers->setText(tr("Stopping the transfer and cleaning up…"));
}

void TransferProgress::setPaused(const QString& detail) {
    m_detail->setText(detail);
    if (m_bar->maximum() == 0)
        m_bar->setRange(0, 1000); // not busy: nothing moves until Resume
    m_numbers->setText(m_bar->value() > 0 ? tr("%1 % is on the relay").arg(percent()) : QString());
    m_cancel->hide();
    m_resume->setEnabled(true);
    m_discard->setEnabled(true);
    m_resume->show();
    m_discard->show();
    m_resume->setFocus();
}

void TransferProgress::setPausedBusy(const QString& numbers) {
    m_resume->setEnabled(false);
    m_discard->setEnabled(false);
    m_numbers->setText(numbers);
}

int TransferProgress::percent() const {
    if (m_bar->maximum() <= 0)
        return 0;
    return m_bar->value() / 10;
}

QString TransferProgress::etaText(qint64 seconds) {
    if (seconds < 0)
        return {};
    if (seconds < 60)
        return tr("less than a minute left");
    if (seconds < 3600)
        return tr("about %1 min left").arg((seconds + 30) / 60);
    return tr("about %1 h left").arg((seconds + 1800) / 3600);
}

} // namespace ots::gui
