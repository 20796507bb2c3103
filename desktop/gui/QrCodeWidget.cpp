#include "QrCodeWidget.h"

#include <QPainter>
#include <qrencode.h>

#include <algorithm>
#include <cmath>

namespace ots::gui {

QrCodeWidget::QrCodeWidget(QWidget* parent)
    : QWidget(parent) {
    setSizePolicy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    setAccessibleName(tr("QR code of the link"));
}

bool QrCodeWidget::setText(const QString& text) {
    m_text = text;
    m_size = 0;
    m_modules.clear();
    bool encoded = text.isEmpty();
    if (!text.isEmpty()) {
        const QByteArray utf8 = text.toUtf8();
        QRcode* code = QRcode_encodeString8bit(utf8.constData(), 0, QR_ECLEVEL_M);
        if (code != nullptr) {
            m_size = code->width;
            m_modules.resize(qsizetype(m_size) * m_size);
            for (qsizetype i = 0; i < m_modules.size(); ++i)
                m_modules[i] = (code->data[i] & 1U) != 0;
            QRcode_free(code);
            encoded = true;
        }
    }
    updateGeometry();
    update();
    return encoded;
}

bool QrCodeWidget::isDark(int x, int y) const {
    if (x < 0 || y < 0 || x >= m_size || y >= m_size)
        return false;
    return m_modules.at(qsizetype(y) * m_size + x);
}

QImage QrCodeWidget::toImage(int scale) const {
    if (m_size == 0 || scale < 1)
        return {};
    const int side = (m_size + 2 * kQuietZone) * scale;
    QImage image(side, side, QImage::Format_RGB32);
    image.fill(Qt::white);
    QPainter painter(&image);
    for (int y = 0; y < m_size; ++y)
        for (int x = 0; x < m_size; ++x)
            if (isDark(x, y))
                painter.fillRect((x + kQuietZone) * scale, (y + kQuietZone) * scale, scale, scale, Qt::black);
    return image;
}

QSize QrCodeWidget::sizeHint() const {
    return {220, 220};
}

QSize QrCodeWidget::minimumSizeHint() const {
    const int side = m_size == 0 ? 120 : std::max(120, (m_size + 2 * kQuietZone) * 2);
    return {side, side};
}

void QrCodeWidget::paintEvent(QPaintEvent* /*event*/) {
    QPainter painter(this);
    if (m_size == 0)
        return;
    // Work in device pixels: every module is a whole number of them, so no edge is ever blurred.
    const double ratio = devicePixelRatioF();
    const int widthPx = static_cast<int>(std::floor(width() * ratio));
    const int heightPx = static_cast<int>(std::floor(height() * ratio));
    const int total = m_size + 2 * kQuietZone;
    const int module = std::max(1, std::min(widthPx, heightPx) / total);
    const int side = module * total;
    const int left = (widthPx - side) / 2;
    const int top = (heightPx - side) / 2;

    painter.scale(1.0 / ratio, 1.0 / ratio);
    painter.setRenderHint(QPainter::Antialiasing, false);
    painter.fillRect(left, top, side, side,
                     Qt::white); // a QR code needs its light background, even in dark mode
    for (int y = 0; y < m_size; ++y)
        for (int x = 0; x < m_size; ++x)
            if (isDark(x, y))
                painter.fillRect(left + (x + kQuietZone) * module, top + (y + kQuietZone) * module, module,
                                 module, Qt::black);
}

} // namespace ots::gui
