#include "Theme.h"

#include <QApplication>
#include <QGuiApplication>
#include <QStyle>
#include <QStyleFactory>
#include <QWidget>

namespace ots::gui {

namespace {

using ThemeKind = ots::client::Settings::Theme;

// The palette the platform gave the application before any theme was applied; "follow system"
// decides from it, and the platform's own palette is restored-from when the system is light.
QPalette& systemPalette() {
    static QPalette palette = QGuiApplication::palette();
    return palette;
}

ThemeKind& current() {
    static ThemeKind theme = ThemeKind::Light;
    return theme;
}

// Blue accent with enough contrast for white text (light) and on a dark window (dark).
const QColor kAccentLight(0x1f, 0x6f, 0xd1);
const QColor kAccentDark(0x4d, 0x9b, 0xf0);

void setBoth(QPalette& palette, QPalette::ColorRole role, const QColor& active, const QColor& disabled) {
    palette.setColor(QPalette::Active, role, active);
    palette.setColor(QPalette::Inactive, role, active);
    palette.setColor(QPalette::Disabled, role, disabled);
}

} // namespace

bool Theme::systemPrefersDark() {
    const QPalette& palette = systemPalette();
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

QPalette Theme::lightPalette() {
    QPalette palette;
    const QColor window(0xf4, 0xf5, 0xf7);
    const QColor base(0xff, 0xff, 0xff);
    const QColor text(0x1c, 0x1e, 0x21);
    const QColor disabledText(0x8a, 0x8f, 0x98);
    setBoth(palette, QPalette::Window, window, window);
    setBoth(palette, QPalette::WindowText, text, disabledText);
    setBoth(palette, QPalette::Base, base, QColor(0xee, 0xef, 0xf1));
    setBoth(palette, QPalette::AlternateBase, QColor(0xf7, 0xf8, 0xfa), QColor(0xee, 0xef, 0xf1));
    setBoth(palette, QPalette::ToolTipBase, QColor(0x2b, 0x2e, 0x33), QColor(0x2b, 0x2e, 0x33));
    setBoth(palette, QPalette::ToolTipText, QColor(0xf4, 0xf5, 0xf7), QColor(0xf4, 0xf5, 0xf7));
    setBoth(palette, QPalette::PlaceholderText, QColor(0x6b, 0x71, 0x7b), disabledText);
    setBoth(palette, QPalette::Text, text, disabledText);
    setBoth(palette, QPalette::Button, QColor(0xe9, 0xeb, 0xee), QColor(0xee, 0xef, 0xf1));
    setBoth(palette, QPalette::ButtonText, text, disabledText);
    setBoth(palette, QPalette::BrightText, QColor(0xc6, 0x28, 0x28), QColor(0xc6, 0x28, 0x28));
    setBoth(palette, QPalette::Light, QColor(0xff, 0xff, 0xff), QColor(0xff, 0xff, 0xff));
    setBoth(palette, QPalette::Midlight, QColor(0xe2, 0xe4, 0xe8), QColor(0xe2, 0xe4, 0xe8));
    setBoth(palette, QPalette::Mid, QColor(0xc3, 0xc7, 0xce), QColor(0xc3, 0xc7, 0xce));
    setBoth(palette, QPalette::Dark, QColor(0x9a, 0xa0, 0xa9), QColor(0x9a, 0xa0, 0xa9));
    setBoth(palette, QPalette::Shadow, QColor(0x5f, 0x64, 0x6c), QColor(0x5f, 0x64, 0x6c));
    setBoth(palette, QPalette::Highlight, kAccentLight, QColor(0xc3, 0xc7, 0xce));
    setBoth(palette, QPalette::HighlightedText, QColor(0xff, 0xff, 0xff), disabledText);
    setBoth(palette, QPalette::Link, kAccentLight, disabledText);
    setBoth(palette, QPalette::LinkVisited, QColor(0x6f, 0x42, 0xc1), disabledText);
    return palette;
}

QPalette Theme::darkPalette() {
    QPalette palette;
    // Fields are a little lighter than the window, so that their edges show on a dark background.
    const QColor window(0x1e, 0x20, 0x24);
    const QColor base(0x27, 0x2a, 0x30);
    const QColor text(0xe8, 0xea, 0xed);
    const QColor disabledText(0x7a, 0x80, 0x89);
    setBoth(palette, QPalette::Window, window, window);
    setBoth(palette, QPalette::WindowText, text, disabledText);
    setBoth(palette, QPalette::Base, base, QColor(0x22, 0x24, 0x28));
    setBoth(palette, QPalette::AlternateBase, QColor(0x2d, 0x31, 0x37), QColor(0x22, 0x24, 0x28));
    setBoth(palette, QPalette::ToolTipBase, QColor(0xe8, 0xea, 0xed), QColor(0xe8, 0xea, 0xed));
    setBoth(palette, QPalette::ToolTipText, QColor(0x1c, 0x1e, 0x21), QColor(0x1c, 0x1e, 0x21));
    setBoth(palette, QPalette::PlaceholderText, QColor(0x9a, 0xa0, 0xa9), disabledText);
    setBoth(palette, QPalette::Text, text, disabledText);
    setBoth(palette, QPalette::Button, QColor(0x34, 0x38, 0x3f), QColor(0x26, 0x28, 0x2d));
    setBoth(palette, QPalette::ButtonText, text, disabledText);
    setBoth(palette, QPalette::BrightText, QColor(0xff, 0x6b, 0x6b), QColor(0xff, 0x6b, 0x6b));
    setBoth(palette, QPalette::Light, QColor(0x3a, 0x3e, 0x45), QColor(0x3a, 0x3e, 0x45));
    setBoth(palette, QPalette::Midlight, QColor(0x33, 0x36, 0x3c), QColor(0x33, 0x36, 0x3c));
    setBoth(palette, QPalette::Mid, QColor(0x45, 0x49, 0x51), QColor(0x45, 0x49, 0x51));
    setBoth(palette, QPalette::Dark, QColor(0x12, 0x13, 0x16), QColor(0x12, 0x13, 0x16));
    setBoth(palette, QPalette::Shadow, QColor(0x08, 0x09, 0x0a), QColor(0x08, 0x09, 0x0a));
    setBoth(palette, QPalette::Highlight, kAccentDark, QColor(0x45, 0x49, 0x51));
    setBoth(palette, QPalette::HighlightedText, QColor(0x0b, 0x0c, 0x0e), disabledText);
    setBoth(palette, QPalette::Link, kAccentDark, disabledText);
    setBoth(palette, QPalette::LinkVisited, QColor(0xb3, 0x92, 0xf0), disabledText);
    return palette;
}

void Theme::apply(ots::client::Settings::Theme theme) {
    (void)systemPalette(); // remember the platform's palette before the first change
    ThemeKind shown = theme;
    if (theme == ThemeKind::System)
        shown = systemPrefersDark() ? ThemeKind::Dark : ThemeKind::Light;
    current() = shown;
    if (QApplication::style()->name().compare(QLatin1String("fusion"), Qt::CaseInsensitive) != 0)
        if (QStyle* fusion = QStyleFactory::create(QStringLiteral("Fusion")))
            QApplication::setStyle(fusion);
    QApplication::setPalette(shown == ThemeKind::Dark ? darkPalette() : lightPalette());
    // Style sheets resolve palette(...) once, when they are applied: apply them again so that
    // widgets styled that way take the new colours at once, like all the others.
    const QList<QWidget*> widgets = QApplication::allWidgets();
    for (QWidget* widget : widgets) {
        const QString sheet = widget->styleSheet();
        if (sheet.isEmpty())
            continue;
        widget->setStyleSheet(QString());
        widget->setStyleSheet(sheet);
    }
}

ots::client::Settings::Theme Theme::effective() {
    return current();
}

QColor Theme::accent() {
    return current() == ThemeKind::Dark ? kAccentDark : kAccentLight;
}

QColor Theme::successColor() {
    return current() == ThemeKind::Dark ? QColor(0x5c, 0xd6, 0x8a) : QColor(0x1a, 0x7f, 0x37);
}

QColor Theme::errorColor() {
    return current() == ThemeKind::Dark ? QColor(0xff, 0x7b, 0x72) : QColor(0xc6, 0x28, 0x28);
}

} // namespace ots::gui
