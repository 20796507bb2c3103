#pragma once

// The progress view of a transfer: what is moving, a bar, "42 % · 12.3 MiB/s · about 2 min left",
// and a Cancel button.

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
    /// Cancel was pressed: the button is disabled while the job winds down.
    void setCancelling();

    [[nodiscard]] QPushButton* cancelButton() const noexcept { return m_cancel; }
    [[nodiscard]] int percent() const;

    /// "about 2 min left", "less than a minute left", "" when unknown.
    [[nodiscard]] static QString etaText(qint64 seconds);

Q_SIGNALS:
    void cancelRequested();

private:
    QLabel* m_heading = nullptr;
    QLabel* m_detail = nullptr;
    QProgressBar* m_bar = nullptr;
    QLabel* m_numbers = nullptr;
    QPushButton* m_cancel = nullptr;
};

} // namespace ots::gui
