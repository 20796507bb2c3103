#include "CommandOutput.h"

#include "ExitCodes.h"
#include "Terminal.h"
#include "ots/client/DisplayText.h"

#include <QCommandLineParser>
#include <QJsonDocument>

#include <cstdio>
#include <limits>

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;

namespace {

void write(std::FILE* stream, const QByteArray& bytes) {
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stream);
    std::fflush(stream);
}

/// The longest line for people; every message is far shorter, so this only bounds outside text.
constexpr qsizetype kMaxLine = qsizetype{1} << 20;

/// A line for people: nothing in it can act on a terminal (ESC, CSI, OSC, BEL …) or reorder what is
/// shown (bidi controls); line feeds and tabs stay, the callers put outside text in escaped already.
QByteArray forPeople(const QString& line) {
    return client::visibleText(line, client::LineBreaks::Keep, kMaxLine).toUtf8();
}

/// JSON text with every invisible character (C1 controls, bidi and other format characters, line
/// separators) written as a \u escape: the same JSON value, but inert when it lands on a terminal.
/// QJsonDocument already escapes C0 controls; compact JSON has no raw line breaks of its own.
QByteArray inertJson(const QByteArray& json) {
    const QString text = QString::fromUtf8(json);
    QString out;
    out.reserve(text.size());
    const auto escape = [&out](char16_t unit) {
        out += QStringLiteral("\\u%1").arg(static_cast<uint>(unit), 4, 16, QLatin1Char('0'));
    };
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text[i];
        if (c.isHighSurrogate() && i + 1 < text.size() && text[i + 1].isLowSurrogate()) {
            if (client::isInvisible(QChar::surrogateToUcs4(c, text[i + 1]))) {
                escape(c.unicode());
                escape(text[i + 1].unicode());
            } else {
                out += c;
                out += text[i + 1];
            }
            ++i;
        } else if (client::isInvisible(c.unicode())) {
            escape(c.unicode());
        } else {
            out += c;
        }
    }
    return out.toUtf8();
}

} // namespace

void CommandOutput::info(const QString& line) const {
    write(stderr, forPeople(line) + '\n');
}

void CommandOutput::result(const QString& line) const {
    write(stdout, forPeople(line) + '\n');
}

void CommandOutput::resultBytes(const QByteArray& bytes) const {
    // To a pipe or a file the text is the sender's exact bytes (scripts rely on that); on a terminal it
    // is shown like every other outside text, escaped.
    if (Terminal::isTerminal(Terminal::Stream::Output))
        write(stdout, client::visibleText(QString::fromUtf8(bytes), client::LineBreaks::Keep,
                                          std::numeric_limits<qsizetype>::max())
                          .toUtf8());
    else
        write(stdout, bytes);
}

void CommandOutput::jsonResult(const QJsonObject& object) const {
    write(stdout, inertJson(QJsonDocument(object).toJson(QJsonDocument::Compact)) + '\n');
}

QJsonObject errorToJson(const ClientError& error) {
    QJsonObject object{{QStringLiteral("kind"), client::errorKindName(error.kind)},
                       {QStringLiteral("code"), error.code},
                       {QStringLiteral("message"), error.message},
                       {QStringLiteral("exitCode"), exitCodeFor(error.kind)}};
    if (error.attemptsLeft >= 0)
        object.insert(QStringLiteral("attemptsLeft"), error.attemptsLeft);
    if (error.httpStatus != 0)
        object.insert(QStringLiteral("httpStatus"), error.httpStatus);
    return object;
}

int CommandOutput::fail(const ClientError& error) const {
    QString message = error.message.trimmed();
    if (message.isEmpty())
        message = QStringLiteral("Failed (%1).").arg(error.code);
    if ((error.kind == ErrorKind::WrongPassword || error.kind == ErrorKind::Locked) &&
        error.attemptsLeft >= 0 && !message.contains(QLatin1String("attempt"), Qt::CaseInsensitive))
        message += error.attemptsLeft == 1 ? QStringLiteral(" 1 attempt left.")
                                           : QStringLiteral(" %1 attempts left.").arg(error.attemptsLeft);
    info(QStringLiteral("ots: ") + message);
    if (m_json)
        jsonResult({{QStringLiteral("ok"), false}, {QStringLiteral("error"), errorToJson(error)}});
    return exitCodeFor(error.kind);
}

int CommandOutput::usage(const QString& sentence, const QString& command) const {
    const QString help =
        command.isEmpty() ? QStringLiteral("ots --help") : QStringLiteral("ots %1 --help").arg(command);
    QString text = sentence.trimmed();
    if (!text.endsWith(QLatin1Char('.')))
        text += QLatin1Char('.');
    return fail(ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                  QStringLiteral("%1 Run '%2' for help.").arg(text, help)));
}

std::optional<int> CommandOutput::parse(QCommandLineParser& parser, const QStringList& arguments,
                                        const QString& command, const QString& usageLine) {
    const QCommandLineOption help = parser.addHelpOption();
    const bool parsed = parser.parse(arguments);
    if (parser.optionNames().contains(QStringLiteral("json")))
        m_json = parser.isSet(QStringLiteral("json"));
    if (!parsed)
        return usage(parser.errorText(), command);
    if (parser.isSet(help)) {
        // Qt's first line names the executable's path; ours names the command as typed.
        QString text = parser.helpText();
        const qsizetype firstLineEnd = text.indexOf(QLatin1Char('\n'));
        text = QStringLiteral("Usage: ") + usageLine + text.mid(firstLineEnd);
        write(stdout, text.toUtf8());
        return ExitOk;
    }
    return std::nullopt;
}

} // namespace ots::cli
