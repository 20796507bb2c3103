#pragma once

// A strict, small XML reader for S3's answers: elements, attributes (skipped), text with the five named
// entities, numeric references and CDATA. No DTD, no processing instructions but the declaration, bounded
// depth and element count. Anything else is rejected: the answer then counts as malformed.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ots::relay::s3 {

struct XmlElement {
    std::string name;
    std::string text; ///< the element's own character data, entities decoded
    std::vector<XmlElement> children;

    [[nodiscard]] const XmlElement* child(std::string_view childName) const noexcept {
        for (const XmlElement& element : children)
            if (element.name == childName)
                return &element;
        return nullptr;
    }
    /// The text of the first child of that name, empty when there is none.
    [[nodiscard]] std::string childText(std::string_view childName) const {
        const XmlElement* element = child(childName);
        return element == nullptr ? std::string() : element->text;
    }

    /// The root element of a document, or nullopt when it is not well-formed within the limits.
    [[nodiscard]] static std::optional<XmlElement> parse(std::string_view document);
};

} // namespace ots::relay::s3
