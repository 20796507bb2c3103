#pragma once

// The one-line progress display on standard error ("Uploading  42%  12.3 MB/s  ETA 0:12"), redrawn in
// place at most ten times a second. Shown only when standard error is a terminal, so logs and
// scripts never see carriage returns.

#include <QElapsedTimer>
#include <QString>

namespace ots::cli {

class ProgressLine {
public:
    explicit ProgressLine(bool enabled);
    ~ProgressLine();
    ProgressLine(const ProgressLine&) = delete;
    ProgressLine& operator=(const ProgressLine&) = delete;

    void update(const QString& label, quint64 done, quint64 total, double bytesPerSecond, qint64 etaSeconds);
    /// Clears the line, so the next message starts on an empty line.
    void clear();

private:
    bool m_enabled;
    bool m_shown = false;
    qsizetype m_width = 0;
    QElapsedTimer m_sinceDraw;
};

} // namespace ots::cli
