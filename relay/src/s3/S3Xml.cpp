#include "s3/S3Xml.h"

#include <cstdint>

namespace ots::relay::s3 {

namespace {

constexpr int maxXmlDepth = 16;
constexpr std::size_t maxXmlElements = 200000;

class XmlReader {
public:
    explicit XmlReader(std::string_view text)
        : m_text(text) {}

    std::optional<XmlElement> document() {
        skipSpace();
        if (startsWith("<?xml")) {
            const std::size_t end = m_text.find("?>", m_pos);
            if (end == std::string_view::npos)
                return std::nullopt;
            m_pos = end + 2;
        }
        skipMisc();
        XmlElement root;
        if (!element(root, 0))
            return std::nullopt;
        skipMisc();
        if (m_pos != m_text.size())
            return std::nullopt;
        return root;
    }

private:
    bool startsWith(std::string_view prefix) const { return m_text.substr(m_pos).starts_with(prefix); }

    void skipSpace() {
        while (m_pos < m_text.size() && (m_text[m_pos] == ' ' || m_text[m_pos] == '\t' ||
                                         m_text[m_pos] == '\r' || m_text[m_pos] == '\n'))
            ++m_pos;
    }

    /// Whitespace and comments between elements.
    bool skipMisc() {
        for (;;) {
            skipSpace();
            if (!startsWith("<!--"))
                return true;
            const std::size_t end = m_text.find("-->", m_pos + 4);
            if (end == std::string_view::npos)
                return false;
            m_pos = end + 3;
        }
    }

    static bool nameChar(char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-' || c == '.' || c == ':';
    }

    std::string_view name() {
        const std::size_t start = m_pos;
        while (m_pos < m_text.size() && nameChar(m_text[m_pos]))
            ++m_pos;
        return m_text.substr(start, m_pos - start);
    }

    /// After '<': name, attributes (checked, dropped), then '>' or "/>" (selfClosing).
    bool startTag(XmlElement& out, bool& selfClosing) {
        out.name = name();
        if (out.name.empty())
            return false;
        for (;;) {
            skipSpace();
            if (m_pos >= m_text.size())
                return false;
            if (m_text[m_pos] == '>') {
                ++m_pos;
                selfClosing = false;
                return true;
            }
            if (startsWith("/>")) {
                m_pos += 2;
                selfClosing = true;
                return true;
            }
            if (name().empty())
                return false;
            skipSpace();
            if (m_pos >= m_text.size() || m_text[m_pos] != '=')
                return false;
            ++m_pos;
            skipSpace();
            if (m_pos >= m_text.size() || (m_text[m_pos] != '"' && m_text[m_pos] != '\''))
                return false;
            const std::size_t end = m_text.find(m_text[m_pos], m_pos + 1);
            if (end == std::string_view::npos)
                return false;
            m_pos = end + 1;
        }
    }

    static void appendUtf8(std::string& out, std::uint32_t code) {
        if (code < 0x80) {
            out += static_cast<char>(code);
        } else if (code < 0x800) {
            out += static_cast<char>(0xC0U | (code >> 6U));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        } else if (code < 0x10000) {
            out += static_cast<char>(0xE0U | (code >> 12U));
            out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        } else {
            out += static_cast<char>(0xF0U | (code >> 18U));
            out += static_cast<char>(0x80U | ((code >> 12U) & 0x3FU));
            out += static_cast<char>(0x80U | ((code >> 6U) & 0x3FU));
            out += static_cast<char>(0x80U | (code & 0x3FU));
        }
    }

    /// After '&': one reference, up to and including ';'.
    bool reference(std::string& out) {
        const std::size_t end = m_text.find(';', m_pos);
        if (end == std::string_view::npos || end - m_pos > 10)
            return false;
        const std::string_view entity = m_text.substr(m_pos, end - m_pos);
        m_pos = end + 1;
        if (entity == "lt")
            out += '<';
        else if (entity == "gt")
            out += '>';
        else if (entity == "amp")
            out += '&';
        else if (entity == "quot")
            out += '"';
        else if (entity == "apos")
            out += '\'';
        else if (entity.size() > 1 && entity[0] == '#') {
            const bool hexadecimal = entity[1] == 'x';
            const std::string_view digits = entity.substr(hexadecimal ? 2 : 1);
            if (digits.empty())
                return false;
            std::uint32_t code = 0;
            for (const char c : digits) {
                std::uint32_t digit = 0;
                if (c >= '0' && c <= '9')
                    digit = static_cast<std::uint32_t>(c - '0');
                else if (hexadecimal && c >= 'a' && c <= 'f')
                    digit = static_cast<std::uint32_t>(c - 'a' + 10);
                else if (hexadecimal && c >= 'A' && c <= 'F')
                    digit = static_cast<std::uint32_t>(c - 'A' + 10);
                else
                    return false;
                code = code * (hexadecimal ? 16U : 10U) + digit;
                if (code > 0x10FFFF)
                    return false;
            }
            if (code == 0 || (code >= 0xD800 && code <= 0xDFFF))
                return false;
            appendUtf8(out, code);
        } else {
            return false;
        }
        return true;
    }

    /// After the element's '<'.
    bool element(XmlElement& out, int depth) {
        if (depth > maxXmlDepth || ++m_elements > maxXmlElements)
            return false;
        if (m_pos >= m_text.size() || m_text[m_pos] != '<')
            return false;
        ++m_pos;
        bool selfClosing = false;
        if (!startTag(out, selfClosing))
            return false;
        if (selfClosing)
            return true;
        while (m_pos < m_text.size()) {
            const char c = m_text[m_pos];
            if (c == '&') {
                ++m_pos;
                if (!reference(out.text))
                    return false;
            } else if (c != '<') {
                out.text += c;
                ++m_pos;
            } else if (startsWith("</")) {
                m_pos += 2;
                if (name() != out.name)
                    return false;
                skipSpace();
                if (m_pos >= m_text.size() || m_text[m_pos] != '>')
                    return false;
                ++m_pos;
                return true;
            } else if (startsWith("<![CDATA[")) {
                const std::size_t end = m_text.find("]]>", m_pos + 9);
                if (end == std::string_view::npos)
                    return false;
                out.text += m_text.substr(m_pos + 9, end - m_pos - 9);
                m_pos = end + 3;
            } else if (startsWith("<!--")) {
                if (!skipMisc())
                    return false;
            } else if (startsWith("<!") || startsWith("<?")) {
                return false;
            } else {
                out.children.emplace_back();
                if (!element(out.children.back(), depth + 1))
                    return false;
            }
        }
        return false;
    }

    std::string_view m_text;
    std::size_t m_pos = 0;
    std::size_t m_elements = 0;
};

} // namespace

std::optional<XmlElement> XmlElement::parse(std::string_view document) {
    return XmlReader(document).document();
}

} // namespace ots::relay::s3
