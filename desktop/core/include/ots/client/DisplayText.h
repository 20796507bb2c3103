#pragma once

// Text that came from outside (a relay's answer, a sender's note or file names, a text share) made
// safe to show to a person: nothing in it can act on a terminal or disguise itself.

#include <QString>
#include <QStringView>

#include <cstdint>

namespace ots::client {

/// Whether line feeds and tabs stay as they are (a multi-line note) or become escapes too.
enum class LineBreaks { Escape, Keep };

/// The longest text visibleText() returns by default, in UTF-16 units: enough for any path (4096
/// bytes) or note line, small enough that laying it out costs nothing.
constexpr qsizetype kVisibleTextLimit = 8192;

/// `text` with every control character (C0, DEL, C1 such as CSI U+009B), every format character
/// (Unicode category Cf: bidi controls such as U+202E, zero-width characters, the soft hyphen),
/// the line and paragraph separators U+2028/U+2029 and every unpaired surrogate replaced by a
/// visible escape: `\x1b`, `\u202e`, `\U000e0041`. A backslash stays a backslash. Longer results
/// than maxChars are cut at a character boundary and end in "…".
[[nodiscard]] QString visibleText(QStringView text, LineBreaks lineBreaks = LineBreaks::Escape,
                                  qsizetype maxChars = kVisibleTextLimit);

/// Whether visibleText() escapes this code point (line feed and tab included).
[[nodiscard]] bool isInvisible(char32_t codePoint);

/// "1 h", "7 days" … for people.
[[nodiscard]] QString formatDuration(std::int64_t seconds);
/// "512 B", "1.5 MiB" … (binary units, one decimal)
[[nodiscard]] QString formatBytes(std::uint64_t bytes);

} // namespace ots::client
