#include "RelayReplies.h"

#include "ots/MetadataEnvelope.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonValue>
#include <QSet>

#include <algorithm>
#include <limits>
#include <utility>
#include <vector>

namespace ots::client::replies {

namespace {

/// Reads the fields of one JSON object, remembering whether every one had the required type.
class FieldReader {
public:
    explicit FieldReader(QJsonObject object)
        : m_object(std::move(object)) {}

    [[nodiscard]] bool ok() const noexcept { return m_ok; }
    [[nodiscard]] const QJsonObject& object() const noexcept { return m_object; }

    std::int64_t integer(QLatin1String key, std::int64_t min, std::int64_t max) {
        const QJsonValue value = m_object.value(key);
        constexpr qint64 kNotIntegral = std::numeric_limits<qint64>::min();
        const qint64 number = value.isDouble() ? value.toInteger(kNotIntegral) : kNotIntegral;
        if (number == kNotIntegral || number < min || number > max) {
            m_ok = false;
            return 0;
        }
        return number;
    }
    int smallInt(QLatin1String key) {
        return static_cast<int>(integer(key, 0, std::numeric_limits<int>::max()));
    }
    std::uint64_t unsignedInt(QLatin1String key) {
        return static_cast<std::uint64_t>(integer(key, 0, kMaxJsonInteger));
    }
    std::uint32_t uint32(QLatin1String key) {
        return static_cast<std::uint32_t>(integer(key, 0, std::numeric_limits<std::uint32_t>::max()));
    }
    bool boolean(QLatin1String key) {
        const QJsonValue value = m_object.value(key);
        if (!value.isBool()) {
            m_ok = false;
            return false;
        }
        return value.toBool();
    }
    QString string(QLatin1String key) {
        const QJsonValue value = m_object.value(key);
        if (!value.isString()) {
            m_ok = false;
            return {};
        }
        return value.toString();
    }
    QByteArray base64Url(QLatin1String key, qsizetype bytes) {
        auto decoded = base64UrlDecode(string(key), bytes);
        if (!decoded) {
            m_ok = false;
            return {};
        }
        return std::move(*decoded);
    }
    /// A base64url token kept as its text (owner token, ticket), checked for length and spelling.
    QString token(QLatin1String key, qsizetype bytes) {
        QString text = string(key);
        if (!base64UrlDecode(text, bytes)) {
            m_ok = false;
            return {};
        }
        return text;
    }
    void require(bool condition) { m_ok = m_ok && condition; }

private:
    QJsonObject m_object;
    bool m_ok = true;
};

/// The text of a JSON string token (quotes included) that QJsonDocument has already accepted.
QString stringToken(QByteArrayView token) {
    const QByteArrayView inner = token.sliced(1, token.size() - 2);
    if (!inner.contains('\\'))
        return QString::fromUtf8(inner);
    // Escapes: let the same parser that accepted the document spell the key out.
    const QJsonDocument document =
        QJsonDocument::fromJson(QByteArray("[") + token.toByteArray() + QByteArray("]"));
    return document.array().at(0).toString();
}

/// Whether any object in `text` names a key twice. QJsonDocument keeps one of them silently, so
/// "the relay said X" would depend on which; such an answer is not the relay's. Runs only over text
/// QJsonDocument accepted, so strings and nesting are all that needs following.
bool hasDuplicateKeys(QByteArrayView text) {
    struct Level {
        bool object = false;
        bool expectKey = false;
        QSet<QString> keys;
    };
    std::vector<Level> levels;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '"') {
            const qsizetype start = i;
            for (++i; i < text.size() && text[i] != '"'; ++i) {
                if (text[i] == '\\')
                    ++i;
            }
            if (i >= text.size())
                return true; // cannot happen for accepted JSON; refuse rather than guess
            if (!levels.empty() && levels.back().object && levels.back().expectKey) {
                Level& level = levels.back();
                const QString key = stringToken(text.sliced(start, i - start + 1));
                if (level.keys.contains(key))
                    return true;
                level.keys.insert(key);
                level.expectKey = false;
            }
        } else if (c == '{') {
            levels.push_back(Level{true, true, {}});
        } else if (c == '[') {
            levels.push_back(Level{false, false, {}});
        } else if (c == '}' || c == ']') {
            if (!levels.empty())
                levels.pop_back();
        } else if (c == ',' && !levels.empty() && levels.back().object) {
            levels.back().expectKey = true;
        }
    }
    return false;
}

std::optional<KdfInfo> parseKdf(const QJsonObject& object) {
    FieldReader reader(object);
    KdfInfo kdf;
    kdf.salt = reader.base64Url(QLatin1String("salt"), kSaltBytes);
    kdf.iterations = reader.uint32(QLatin1String("iterations"));
    kdf.memoryKiB = reader.uint32(QLatin1String("memoryKiB"));
    kdf.parallelism = reader.uint32(QLatin1String("parallelism"));
    reader.require(kdf.iterations > 0 && kdf.memoryKiB > 0 && kdf.parallelism > 0);
    if (!reader.ok())
        return std::nullopt;
    return kdf;
}

} // namespace

QByteArray base64UrlEncode(const QByteArray& bytes) {
    return bytes.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
}

std::optional<QByteArray> base64UrlDecode(const QString& text, qsizetype bytes) {
    const qsizetype expectedLength = (bytes * 4 + 2) / 3;
    if (text.size() != expectedLength)
        return std::nullopt;
    const QByteArray latin = text.toLatin1();
    auto decoded =
        QByteArray::fromBase64Encoding(latin, QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals |
                                                  QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != bytes || base64UrlEncode(decoded.decoded) != latin)
        return std::nullopt;
    return std::move(decoded.decoded);
}

std::optional<QByteArray> base64Decode(const QString& text) {
    const QByteArray latin = text.toLatin1();
    auto decoded = QByteArray::fromBase64Encoding(latin, QByteArray::Base64Encoding |
                                                             QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.toBase64() != latin)
        return std::nullopt;
    return std::move(decoded.decoded);
}

bool isShareId(const QString& id) {
    return base64UrlDecode(id, kShareIdBytes).has_value();
}

std::optional<std::uint64_t> parseDecimal(const QByteArray& text) {
    if (text.isEmpty() || text.size() > 19)
        return std::nullopt;
    std::uint64_t value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return std::nullopt;
        value = value * 10 + static_cast<std::uint64_t>(c - '0');
    }
    return value;
}

std::optional<ContentRange> parseContentRange(const QByteArray& header) {
    const QByteArray prefix = "bytes ";
    if (!header.startsWith(prefix))
        return std::nullopt;
    const QByteArray rest = header.mid(prefix.size());
    const qsizetype dash = rest.indexOf('-');
    const qsizetype slash = rest.indexOf('/');
    if (dash <= 0 || slash <= dash + 1)
        return std::nullopt;
    const auto start = parseDecimal(rest.left(dash));
    const auto end = parseDecimal(rest.mid(dash + 1, slash - dash - 1));
    const auto total = parseDecimal(rest.mid(slash + 1));
    if (!start || !end || !total || *start > *end || *end >= *total)
        return std::nullopt;
    return ContentRange{*start, *end, *total};
}

std::optional<QJsonObject> parseObject(const QByteArray& body) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject() || hasDuplicateKeys(body))
        return std::nullopt;
    return document.object();
}

std::optional<ErrorBody> parseErrorBody(const QByteArray& body) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    const QJsonValue code = object->value(QLatin1String("error"));
    if (!code.isString() || !object->value(QLatin1String("message")).isString())
        return std::nullopt;
    ErrorBody error;
    error.code = code.toString();
    const QJsonValue left = object->value(QLatin1String("attemptsLeft"));
    if (left.isDouble())
        error.attemptsLeft =
            static_cast<int>(std::clamp<qint64>(left.toInteger(-1), -1, std::numeric_limits<int>::max()));
    const auto bound = [&](QLatin1String key) -> std::int64_t {
        const QJsonValue value = object->value(key);
        const qint64 number = value.isDouble() ? value.toInteger(-1) : -1;
        return number >= 0 && number <= kMaxJsonInteger ? number : -1;
    };
    error.max = bound(QLatin1String("max"));
    error.min = bound(QLatin1String("min"));
    if (error.min > error.max)
        error.min = error.max = -1;
    const QString field = object->value(QLatin1String("field")).toString();
    for (const char* known : {"size", "expiresIn", "maxDownloads"}) {
        if (field == QLatin1String(known))
            error.field = field;
    }
    return error;
}

std::optional<CreatedShare> parseCreated(const QByteArray& body, std::uint64_t declaredSize) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    FieldReader reader(*object);
    CreatedShare created;
    created.id = reader.string(QLatin1String("id"));
    reader.require(isShareId(created.id));
    created.ownerToken = reader.token(QLatin1String("ownerToken"), kTokenBytes);
    created.expiresAt = reader.integer(QLatin1String("expiresAt"), 0, kMaxJsonInteger);
    created.uploadOffset = reader.unsignedInt(QLatin1String("uploadOffset"));
    reader.require(created.uploadOffset <= declaredSize);
    if (!reader.ok())
        return std::nullopt;
    return created;
}

bool parseCompleted(const QByteArray& body) {
    const auto object = parseObject(body);
    return object && object->value(QLatin1String("state")) == QJsonValue(QStringLiteral("ready"));
}

std::optional<ShareInfo> parseShareInfo(const QByteArray& body, const QString& id, bool owner) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    FieldReader reader(*object);
    ShareInfo info;
    info.id = reader.string(QLatin1String("id"));
    reader.require(info.id == id);
    info.state = reader.string(QLatin1String("state"));
    reader.require(info.state == QLatin1String("uploading") || info.state == QLatin1String("ready") ||
                   info.state == QLatin1String("locked"));
    info.size = reader.unsignedInt(QLatin1String("size"));
    info.expiresAt = reader.integer(QLatin1String("expiresAt"), 0, kMaxJsonInteger);
    info.downloadsLeft = reader.smallInt(QLatin1String("downloadsLeft"));
    info.passwordRequired = reader.boolean(QLatin1String("passwordRequired"));
    info.attemptsLeft = reader.smallInt(QLatin1String("attemptsLeft"));
    const QJsonValue kdf = object->value(QLatin1String("kdf"));
    if (kdf.isObject()) {
        info.kdf = parseKdf(kdf.toObject());
        reader.require(info.kdf.has_value());
    } else {
        reader.require(kdf.isNull());
    }
    // The key schedule needs the parameters exactly when there is a password.
    reader.require(info.passwordRequired == info.kdf.has_value());
    if (owner) {
        info.uploadOffset = reader.unsignedInt(QLatin1String("uploadOffset"));
        info.downloadsReserved = reader.smallInt(QLatin1String("downloadsReserved"));
        info.downloadsFinished = reader.smallInt(QLatin1String("downloadsFinished"));
        info.locked = reader.boolean(QLatin1String("locked"));
        reader.require(info.uploadOffset <= info.size);
    }
    if (!reader.ok())
        return std::nullopt;
    return info;
}

std::optional<Challenge> parseChallenge(const QByteArray& body) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    FieldReader reader(*object);
    Challenge challenge;
    challenge.nonce = reader.base64Url(QLatin1String("nonce"), kNonceBytes);
    challenge.expiresIn = reader.smallInt(QLatin1String("expiresIn"));
    if (!reader.ok())
        return std::nullopt;
    return challenge;
}

std::optional<QByteArray> parseMetadata(const QByteArray& body) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    const QJsonValue value = object->value(QLatin1String("metadata"));
    auto envelope = value.isString() ? base64Decode(value.toString()) : std::nullopt;
    if (!envelope || envelope->size() < kMinEnvelopeBytes ||
        static_cast<std::size_t>(envelope->size()) > ots::metadata::maxEnvelopeBytes())
        return std::nullopt;
    return envelope;
}

std::optional<Reservation> parseReservation(const QByteArray& body) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    FieldReader reader(*object);
    Reservation reservation;
    reservation.ticket = reader.token(QLatin1String("ticket"), kTokenBytes);
    reservation.size = reader.unsignedInt(QLatin1String("size"));
    reservation.expiresIn = reader.smallInt(QLatin1String("expiresIn"));
    if (!reader.ok())
        return std::nullopt;
    return reservation;
}

std::optional<int> parseFinish(const QByteArray& body) {
    const auto object = parseObject(body);
    if (!object)
        return std::nullopt;
    FieldReader reader(*object);
    const int downloadsLeft = reader.smallInt(QLatin1String("downloadsLeft"));
    if (!reader.ok())
        return std::nullopt;
    return downloadsLeft;
}

} // namespace ots::client::replies
