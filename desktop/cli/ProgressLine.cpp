#include "ProgressLine.h"

#include "ots/client/Settings.h"

#include <cstdio>

namespace ots::cli {

namespace {

QString formatEta(qint64 seconds) {
    if (seconds < 0)
        return QStringLiteral("--:--");
    if (seconds >= 3600)
        return QStringLiteral("%1:%2:%3")
            .arg(seconds / 3600)
            .arg((seconds / 60) % 60, 2, 10, QLatin1Char('0'))
            .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1:%2").arg(seconds / 60).arg(seconds % 60, 2, 10, QLatin1Char('0'));
}

} // namespace

ProgressLine::ProgressLine(bool enabled)
    : m_enabled(enabled) {}

ProgressLine::~ProgressLine() {
    clear();
}

void ProgressLine::update(const QString& label, quint64 done, quint64 total, double bytesPerSecond,
                          qint64 etaSeconds) {
    if (!m_enabled)
        return;
    const bool complete = total > 0 && done >= total;
    if (m_sinceDraw.isValid() && m_sinceDraw.elapsed() < 100 && !complete)
        return;
    m_sinceDraw.start();
    const double percent = total > 0 ? 100.0 * static_cast<double>(done) / static_cast<double>(total) : 100.0;
    const QString line = QStringLiteral("%1 %2%  %3 of %4  %5 MB/s  ETA %6")
                             .arg(label)
                             .arg(percent, 5, 'f', 1)
                             .arg(client::formatBytes(done), client::formatBytes(total))
                             .arg(bytesPerSecond / 1e6, 0, 'f', 1)
                             .arg(formatEta(etaSeconds));
    QString padded = line;
    if (padded.size() < m_width)
        padded += QString(m_width - padded.size(), QLatin1Char(' '));
    m_width = line.size();
    const QByteArray bytes = QByteArray("\r") + padded.toUtf8();
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stderr);
    std::fflush(stderr);
    m_shown = true;
}

void ProgressLine::clear() {
    if (!m_shown)
        return;
    const QByteArray blank = "\r" + QByteArray(m_width, ' ') + "\r";
    std::fwrite(blank.constData(), 1, static_cast<std::size_t>(blank.size()), stderr);
    std::fflush(stderr);
    m_shown = false;
    m_width = 0;
    m_sinceDraw.invalidate();
}

} // namespace ots::cli
