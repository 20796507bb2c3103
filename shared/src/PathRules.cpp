#include "ots/PathRules.h"

#include "ots/Format.h"

#include <array>
#include <cstdint>

namespace ots {

namespace {

bool appliesWindowsRules(PathRules rules) noexcept {
#ifdef _WIN32
    return rules != PathRules::Posix;
#else
    return rules == PathRules::Windows;
#endif
}

bool foldsCase(PathRules rules) noexcept {
#if defined(_WIN32) || defined(__APPLE__)
    return rules != PathRules::Posix;
#else
    return rules == PathRules::Windows;
#endif
}

char asciiLower(char c) noexcept {
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Decodes the UTF-8 sequence at text[pos] into codePoint and returns its length, or 0 if it is not
// the shortest encoding of a Unicode scalar value. Overlong forms and surrogates are refused because
// they would give one name two byte spellings, and file systems disagree about what they mean.
std::size_t decodeUtf8(std::string_view text, std::size_t pos, std::uint32_t& codePoint) noexcept {
    const auto lead = static_cast<unsigned char>(text[pos]);
    std::size_t length = 0;
    std::uint32_t smallest = 0;
    if (lead < 0x80) {
        codePoint = lead;
        return 1;
    }
    if ((lead & 0xE0U) == 0xC0U) {
        length = 2;
        smallest = 0x80;
        codePoint = lead & 0x1FU;
    } else if ((lead & 0xF0U) == 0xE0U) {
        length = 3;
        smallest = 0x800;
        codePoint = lead & 0x0FU;
    } else if ((lead & 0xF8U) == 0xF0U) {
        length = 4;
        smallest = 0x10000;
        codePoint = lead & 0x07U;
    } else {
        return 0;
    }
    if (text.size() - pos < length)
        return 0;
    for (std::size_t i = 1; i < length; ++i) {
        const auto next = static_cast<unsigned char>(text[pos + i]);
        if ((next & 0xC0U) != 0x80U)
            return 0;
        codePoint = (codePoint << 6) | (next & 0x3FU);
    }
    if (codePoint < smallest || codePoint > 0x10FFFF || (codePoint >= 0xD800 && codePoint <= 0xDFFF))
        return 0;
    return length;
}

// Unicode's general category Cf (format characters), Unicode 15.1: bidi controls (U+202A–U+202E,
// U+2066–U+2069, U+200E/U+200F, U+061C), zero-width characters, the soft hyphen, the byte order
// mark, tags and the like. None is visible, so each can make a name read as something it is not.
bool isFormatCharacter(std::uint32_t codePoint) noexcept {
    struct Range {
        std::uint32_t first;
        std::uint32_t last;
    };
    constexpr std::array<Range, 21> kFormat = {{
        {0x00AD, 0x00AD},   {0x0600, 0x0605},   {0x061C, 0x061C},   {0x06DD, 0x06DD},   {0x070F, 0x070F},
        {0x0890, 0x0891},   {0x08E2, 0x08E2},   {0x180E, 0x180E},   {0x200B, 0x200F},   {0x202A, 0x202E},
        {0x2060, 0x2064},   {0x2066, 0x206F},   {0xFEFF, 0xFEFF},   {0xFFF9, 0xFFFB},   {0x110BD, 0x110BD},
        {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3}, {0x1D173, 0x1D17A}, {0xE0001, 0xE0001},
        {0xE0020, 0xE007F},
    }};
    for (const Range& range : kFormat) {
        if (codePoint >= range.first && codePoint <= range.last)
            return true;
    }
    return false;
}

bool isWindowsForbidden(std::uint32_t codePoint) noexcept {
    // ':' also rules out drive prefixes ("C:") and NTFS alternate data streams ("a:stream").
    constexpr std::string_view kForbidden = "<>:\"|?*";
    return codePoint < 0x80 && kForbidden.find(static_cast<char>(codePoint)) != std::string_view::npos;
}

// Win32 maps these names to devices in every folder, with any extension and with trailing spaces
// before it ("nul.txt", "COM1 .log"); the set is the one Python's ntpath.isreserved checks.
bool isWindowsReservedName(std::string_view component) {
    std::string_view base = component.substr(0, component.find('.'));
    while (!base.empty() && base.back() == ' ')
        base.remove_suffix(1);
    std::string lower(base);
    for (char& c : lower)
        c = asciiLower(c);

    constexpr std::array<std::string_view, 6> kDevices = {"con", "prn", "aux", "nul", "conin$", "conout$"};
    for (std::string_view device : kDevices) {
        if (lower == device)
            return true;
    }
    const std::string_view name = lower;
    if (name.size() < 4 || (name.substr(0, 3) != "com" && name.substr(0, 3) != "lpt"))
        return false;
    const std::string_view number = name.substr(3);
    // Superscript one, two and three count as digits to Win32 here.
    return (number.size() == 1 && number[0] >= '1' && number[0] <= '9') || number == "\xC2\xB9" ||
           number == "\xC2\xB2" || number == "\xC2\xB3";
}

// Whether any code point of `path` (valid UTF-8 by then) satisfies `predicate`.
template <typename Predicate>
bool anyCodePoint(std::string_view path, Predicate predicate) noexcept {
    for (std::size_t pos = 0; pos < path.size();) {
        std::uint32_t codePoint = 0;
        const std::size_t length = decodeUtf8(path, pos, codePoint);
        if (predicate(codePoint))
            return true;
        pos += length;
    }
    return false;
}

// Whether any '/'-separated component of `path` satisfies `predicate`.
template <typename Predicate>
bool anyComponent(std::string_view path, Predicate predicate) {
    for (std::size_t start = 0;;) {
        const std::size_t slash = path.find('/', start);
        if (predicate(path.substr(start, slash - start)))
            return true;
        if (slash == std::string_view::npos)
            return false;
        start = slash + 1;
    }
}

bool isValidUtf8(std::string_view path) noexcept {
    for (std::size_t pos = 0; pos < path.size();) {
        std::uint32_t codePoint = 0;
        const std::size_t length = decodeUtf8(path, pos, codePoint);
        if (length == 0)
            return false;
        pos += length;
    }
    return true;
}

// SPEC §6.3: each rule over the whole path, in the order of the tables (the portable rules, then the
// Windows rules), so the first rule a path breaks decides its error wherever in the path that is: every
// reader, in any language, reports the same name for the same path.
Errc check(std::string_view path, bool windows) {
    if (path.empty())
        return Errc::PathEmpty;
    if (path.size() > format::kMaxPathBytes ||
        anyComponent(path, [](std::string_view c) { return c.size() > format::kMaxComponentBytes; }))
        return Errc::PathTooLong;
    if (path.front() == '/')
        return Errc::PathAbsolute;
    if (path.find('\0') != std::string_view::npos)
        return Errc::PathNul;
    if (!isValidUtf8(path))
        return Errc::PathInvalidUtf8;
    if (anyCodePoint(path, [](std::uint32_t c) { return c < 0x20 || (c >= 0x7F && c <= 0x9F); }))
        return Errc::PathControlCharacter;
    if (anyCodePoint(path, isFormatCharacter))
        return Errc::PathFormatCharacter;
    if (path.find('\\') != std::string_view::npos)
        return Errc::PathBackslash;
    if (anyComponent(path, [](std::string_view c) { return c.empty(); }))
        return Errc::PathEmptyComponent;
    if (anyComponent(path, [](std::string_view c) { return c == "." || c == ".."; }))
        return Errc::PathTraversal;
    if (!windows)
        return Errc::None;
    if (anyCodePoint(path, isWindowsForbidden))
        return Errc::PathInvalidCharacter;
    if (anyComponent(path, isWindowsReservedName))
        return Errc::PathReservedName;
    // Win32 strips these silently, so "a." would land on "a" and bypass the duplicate check.
    if (anyComponent(path, [](std::string_view c) { return c.back() == '.' || c.back() == ' '; }))
        return Errc::PathTrailingDotOrSpace;
    return Errc::None;
}

} // namespace

Status validateEntryPath(std::string_view path, PathRules rules) {
    if (const Errc code = check(path, appliesWindowsRules(rules)); code != Errc::None)
        return Error{code, std::string(path)};
    return {};
}

std::string duplicateKey(std::string_view path, PathRules rules) {
    std::string key(path);
    if (foldsCase(rules)) {
        for (char& c : key)
            c = asciiLower(c);
    }
    return key;
}

std::filesystem::path toFileSystemPath(std::string_view entryPath) {
    return std::filesystem::path(
        std::u8string_view(reinterpret_cast<const char8_t*>(entryPath.data()), entryPath.size()));
}

std::string toUtf8(const std::filesystem::path& path) {
    const std::u8string text = path.u8string();
    return std::string(reinterpret_cast<const char*>(text.data()), text.size());
}

} // namespace ots
