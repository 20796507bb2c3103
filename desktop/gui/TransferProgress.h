#pragma once

// The progress view of a transfer: what is moving, a bar, "42 % · 12.3 MiB/s · about 2 min left",
// and a Cancel button. A transfer that stopped but can go on shows Resume and Discard instead.

#include <QWidget>

class QLabel;
class QProgressBar;
class QPushButton;

namespace ots::gui {

class TransferProgress : public QWidget {
    Q_OBJECT
public:
    explicit TransferProgress(QWidget* parent = nullptr);

    /// A new transfer: the heading, an indeterminate bar and "detail" under it, Cancel enabled.
    void start(const QString& heading, const QString& detail);
    void setDetail(const QString& detail);
    void setProgress(quint64 done, quint64 total, double bytesPerSecond, qint64 etaSeconds);
    /// Nothing moves for now (the relay is away): the numbers keep the amount, without speed or time left.
    void setWaiting();
    /// Cancel was pressed: the button is disabled while the job winds down.
    void setCancelling();
    /// The transfer stopped but can continue: detail says why, Resume and Discard replace Cancel.
    void setPaused(const QString& detail);
    /// Resume or Discard was pressed: both wait while that happens.
    void setPausedBusy(const QString& numbers);

    [[nodiscard]] QPushButton* cancelButton() const noexcept { return m_cancel; }
    [[nodiscard]] QPushButton* resumeButton() const noexcept { return m_resume; }
    [[nodiscard]] QPushButton* discardButton() const noexcept { return m_discard; }
    [[nodiscard]] QLabel* detailLabel() const noexcept { return m_detail; }
    [[nodiscard]] int percent() const;

    /// "about 2 min left", "less than a minute left", "" when unknown.
    [[nodiscard]] static QString etaText(qint64 seconds);

Q_SIGNALS:
    void cancelRequested();
    void resumeRequested();
    void discardRequested();

private:
    QLabel* m_heading = nullptr;
    QLabel* m_detail = nullptr;
    QProgressBar* m_bar = nullptr;
    QLabel* m_numbers = nullptr;
    QPushButton* m_cancel = nullptr;
    QPushButton* m_resume = nullptr;
    quint64 m_done = 0;
    quint64 m_total = 0;
    QPushButton* m_discard = nullptr;
};

} // namespace ots::gui
