#pragma once

// The application's look: Fusion with a light or a dark palette and one accent colour. "Follow
// system" decides from the platform palette's window lightness (Qt 6.4 has no colorScheme()).

#include "ots/client/Settings.h"

#include <QColor>
#include <QPalette>

namespace ots::gui {

class Theme {
public:
    /// Applies theme to the whole application (style, palette) and remembers it.
    static void apply(ots::client::Settings::Theme theme);
    /// The theme actually shown: Light or Dark (System resolved).
    [[nodiscard]] static ots::client::Settings::Theme effective();
    [[nodiscard]] static QPalette lightPalette();
    [[nodiscard]] static QPalette darkPalette();
    /// The accent colour of the theme shown (links, highlights, the primary button).
    [[nodiscard]] static QColor accent();
    /// Colours for good/bad state texts in the theme shown.
    [[nodiscard]] static QColor successColor();
    [[nodiscard]] static QColor errorColor();
    /// true when the platform's own palette is dark.
    [[nodiscard]] static bool systemPrefersDark();
};

} // namespace ots::gui
