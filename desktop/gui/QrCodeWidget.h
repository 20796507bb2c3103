#pragma once

// A QR code of a text (the share link), drawn from libqrencode's modules with whole device pixels
// per module, so it stays sharp at any scale factor and scans from a phone held to the screen.

#include <QImage>
#include <QList>
#include <QString>
#include <QWidget>

namespace ots::gui {

class QrCodeWidget : public QWidget {
    Q_OBJECT
public:
    explicit QrCodeWidget(QWidget* parent = nullptr);

    /// Encodes text (error correction M); an empty text clears the code. False when the text does not
    /// fit in a QR code (the widget is then empty).
    bool setText(const QString& text);
    [[nodiscard]] const QString& text() const noexcept { return m_text; }
    /// Modules per side (0 when empty).
    [[nodiscard]] int moduleCount() const noexcept { return m_size; }
    [[nodiscard]] bool isDark(int x, int y) const;
    /// The code with a quiet zone of 4 modules, scale pixels per module (black on white).
    [[nodiscard]] QImage toImage(int scale) const;

    [[nodiscard]] QSize sizeHint() const override;
    [[nodiscard]] QSize minimumSizeHint() const override;

protected:
    void paintEvent(QPaintEvent* event) override;

private:
    static constexpr int kQuietZone = 4;

    QString m_text;
    int m_size = 0;
    QList<bool> m_modules; ///< row-major, m_size × m_size
};

} // namespace ots::gui
