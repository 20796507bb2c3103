#include "CommandOutput.h"

#include "ExitCodes.h"

#include <QCommandLineParser>
#include <QJsonDocument>

#include <cstdio>

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;

namespace {

void write(std::FILE* stream, const QByteArray& bytes) {
    std::fwrite(bytes.constData(), 1, static_cast<std::size_t>(bytes.size()), stream);
    std::fflush(stream);
}

} // namespace

void CommandOutput::info(const QString& line) const {
    write(stderr, line.toUtf8() + '\n');
}

void CommandOutput::result(const QString& line) const {
    write(stdout, line.toUtf8() + '\n');
}

void CommandOutput::resultBytes(const QByteArray& bytes) const {
    write(stdout, bytes);
}

void CommandOutput::jsonResult(const QJsonObject& object) const {
    write(stdout, QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
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
