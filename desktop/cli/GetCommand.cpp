#include "GetCommand.h"

#include "ExitCodes.h"
#include "ProgressLine.h"
#include "Terminal.h"
#include "ots/client/DisplayText.h"
#include "ots/client/LinkInput.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/SecretStore.h"
#include "ots/client/Settings.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QEventLoop>
#include <QJsonArray>

#include <cstdlib>

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;

namespace {

const QString kGetCommand = QStringLiteral("get");
constexpr int kListedEntries = 20;
constexpr qsizetype kNoteChars = 16384; ///< a sender's note is at most 16 KiB (SPEC.md §5.1)

QString attemptsText(int attemptsLeft) {
    if (attemptsLeft < 0)
        return {};
    return attemptsLeft == 1 ? QStringLiteral("1 attempt left")
                             : QStringLiteral("%1 attempts left").arg(attemptsLeft);
}

void listContents(const CommandOutput& output, const client::ShareMetadata& metadata) {
    if (metadata.isText) {
        output.info(QStringLiteral("A text of %1.").arg(client::formatBytes(metadata.totalBytes)));
    } else {
        output.info(QStringLiteral("%1 file(s) and %2 folder(s), %3:")
                        .arg(metadata.fileCount)
                        .arg(metadata.folderCount)
                        .arg(client::formatBytes(metadata.totalBytes)));
        qsizetype shown = 0;
        for (const auto& entry : metadata.entries) {
            if (shown++ == kListedEntries)
                break;
            // The sender's list, not checked against the path rules: escaped, one line each.
            const QString path = client::visibleText(entry.path, client::LineBreaks::Escape, 1024);
            if (entry.isFolder)
                output.info(QStringLiteral("  %1/").arg(path));
            else
                output.info(QStringLiteral("  %1  (%2)").arg(path, client::formatBytes(entry.size)));
        }
        const qsizetype total = metadata.fileCount + metadata.folderCount;
        if (total > shown || metadata.listTruncated)
            output.info(QStringLiteral("  … and %1 more").arg(qMax<qsizetype>(total - shown, 1)));
    }
    if (!metadata.note.isEmpty()) {
        // Every line of the note indented under its heading, so none can pass for a line of ots.
        output.info(QStringLiteral("Note from the sender:"));
        const QString note = client::visibleText(metadata.note, client::LineBreaks::Keep, kNoteChars);
        for (const QString& line : note.split(QLatin1Char('\n')))
            output.info(QStringLiteral("  | ") + line);
    }
}

QString heldUntilText(const QDateTime& until) {
    return until.toLocalTime().toString(until.daysTo(QDateTime::currentDateTime()) == 0
                                            ? QStringLiteral("HH:mm")
                                            : QStringLiteral("yyyy-MM-dd HH:mm"));
}

QJsonObject metadataToJson(const client::ShareMetadata& metadata) {
    QJsonArray entries;
    for (const auto& entry : metadata.entries)
        entries.append(QJsonObject{{QStringLiteral("path"), entry.path},
                                   {QStringLiteral("size"), static_cast<qint64>(entry.size)},
                                   {QStringLiteral("isFolder"), entry.isFolder}});
    QJsonObject object{{QStringLiteral("isText"), metadata.isText},
                       {QStringLiteral("fileCount"), metadata.fileCount},
                       {QStringLiteral("folderCount"), metadata.folderCount},
                       {QStringLiteral("totalBytes"), static_cast<qint64>(metadata.totalBytes)},
                       {QStringLiteral("entries"), entries},
                       {QStringLiteral("listTruncated"), metadata.listTruncated}};
    if (!metadata.note.isEmpty())
        object.insert(QStringLiteral("note"), metadata.note);
    return object;
}

/// The link to download: the LINK argument, or read from standard input ("-") or from --link-fd N,
/// which keep it out of shell history and the process list.
client::Outcome<QString> linkToGet(const QCommandLineParser& parser) {
    const QStringList positional = parser.positionalArguments();
    const bool fromFd = parser.isSet(QStringLiteral("link-fd"));
    if (positional.size() != (fromFd ? 0 : 1))
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 fromFd ? QStringLiteral("'ots get --link-fd N' takes no LINK argument")
                                        : QStringLiteral("'ots get' needs exactly one LINK (or '-')"));
    if (!fromFd && positional.first() != QLatin1String("-"))
        return positional.first();
    int fd = 0;
    if (fromFd) {
        bool ok = false;
        fd = parser.value(QStringLiteral("link-fd")).toInt(&ok);
        if (!ok || fd < 0)
            return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                     QStringLiteral("--link-fd needs a file descriptor number"));
    }
    return client::linkinput::readLine(fd);
}

} // namespace

int GetCommand::run(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Downloads the share LINK points to, checks that nothing was changed on the way, and unpacks it "
        "into\n"
        "the output folder (the current folder by default). Nothing is written unless every byte verifies.\n"
        "A text share is printed on standard output unless --save-text is given: byte for byte into a pipe\n"
        "or a file; on a terminal with control and invisible formatting characters shown escaped (\\x1b,\n"
        "\\u202e), as every note and file name is. This uses one of the share's downloads; 'ots info LINK'\n"
        "looks without using one.\n"
        "A LINK given as an argument lands in your shell history and, until ots wipes it at start, in\n"
        "the process list of this computer. Give '-' instead of LINK to read the link from standard input\n"
        "(e.g. 'ots get - < link.txt'), or --link-fd N to read it from file descriptor N: both keep\n"
        "the link out of shell history and the process list."));
    parser.addOptions({
        {{QStringLiteral("o"), QStringLiteral("output")},
         QStringLiteral("The folder to save into (created if needed; default: the current folder)."),
         QStringLiteral("DIR")},
        {QStringLiteral("password-fd"),
         QStringLiteral("Read the password as one line from file descriptor N."), QStringLiteral("N")},
        {QStringLiteral("save-text"), QStringLiteral("Save a text share as a file instead of printing it.")},
        {QStringLiteral("json"), QStringLiteral("Print one JSON object describing the result.")},
        {QStringLiteral("link-fd"),
         QStringLiteral("Read the link as one line from file descriptor N (instead of LINK)."),
         QStringLiteral("N")},
    });
    parser.addPositionalArgument(QStringLiteral("link"),
                                 QStringLiteral("The share's link, or '-' to read it from standard input."),
                                 QStringLiteral("LINK"));
    if (const auto done =
            m_output.parse(parser, arguments, kGetCommand, QStringLiteral("ots get [options] LINK")))
        return *done;

    int passwordFd = -1;
    if (parser.isSet(QStringLiteral("password-fd"))) {
        bool ok = false;
        passwordFd = parser.value(QStringLiteral("password-fd")).toInt(&ok);
        if (!ok || passwordFd < 0)
            return m_output.usage(QStringLiteral("--password-fd needs a file descriptor number"),
                                  kGetCommand);
    }
    const QString outputDir =
        QDir(parser.isSet(QStringLiteral("o")) ? parser.value(QStringLiteral("o")) : QDir::currentPath())
            .absolutePath();

    client::ReceiveOptions options;
    const client::Outcome<QString> link = linkToGet(parser);
    if (!link.ok())
        return m_output.usage(link.error().message, kGetCommand);
    options.link = link.value();
    options.saveText = parser.isSet(QStringLiteral("save-text"));
    // A reserved download's ticket is kept in the secret store: running the same command again after a
    // failure (a full disk, a cut connection, Ctrl+C) continues it without using another download.
    options.secrets = [] { return client::SecretStore::open(); };
    client::ReceiveJob job(options);
    ProgressLine progress(Terminal::isTerminal(Terminal::Stream::Error) && !m_output.json());
    QEventLoop loop;
    int exitCode = ExitFailure;
    bool cancelling = false;
    bool passwordFromTerminal = false;

    const auto finishWith = [&](int code) {
        exitCode = code;
        loop.quit();
    };
    // What a failure cost: nothing, while the reserved download is still this computer's.
    const auto sayWhatIsHeld = [&] {
        const QDateTime& until = job.ticketHeldUntil();
        if (!until.isValid() || until <= QDateTime::currentDateTime() || m_output.json())
            return;
        m_output.info(QStringLiteral("ots: the download is still yours until %1: run the same command again "
                                     "to resume it (it uses no further download).")
                          .arg(heldUntilText(until)));
    };
    // Asks for the password (or reads it) and unlocks; false when that already ended the command.
    const auto unlockWithPassword = [&](int attemptsLeft) {
        client::Outcome<QString> password = QString();
        if (passwordFd >= 0) {
            password = Terminal::readLine(passwordFd);
        } else if (Terminal::canPrompt()) {
            passwordFromTerminal = true;
            const QString left = attemptsText(attemptsLeft);
            password = Terminal::promptSecret(left.isEmpty() ? QStringLiteral("Password: ")
                                                             : QStringLiteral("Password (%1): ").arg(left));
        } else {
            password = ClientError::make(
                ErrorKind::PasswordRequired, QStringLiteral("password_required"),
                QStringLiteral("This share needs a password. Run 'ots get' in a terminal to be asked for it, "
                               "or pass it with --password-fd N."));
        }
        if (!password.ok()) {
            finishWith(m_output.fail(password.error()));
            return;
        }
        job.unlock(password.value());
    };

    // inspected() arrives while the inspection step is still winding down; the job accepts unlock()
    // once it has left Inspecting (for NeedPassword, or Idle when the share has no password).
    client::ReceiveJob::State previous = client::ReceiveJob::State::Idle;
    QObject::connect(&job, &client::ReceiveJob::stateChanged, &loop, [&](client::ReceiveJob::State state) {
        const bool inspectionDone = previous == client::ReceiveJob::State::Inspecting;
        previous = state;
        if (!inspectionDone)
            return;
        if (state == client::ReceiveJob::State::NeedPassword)
            unlockWithPassword(job.info().attemptsLeft);
        else if (state == client::ReceiveJob::State::Idle)
            job.unlock();
    });
    QObject::connect(
        &job, &client::ReceiveJob::metadataReady, &loop, [&](const client::ShareMetadata& metadata) {
            if (!m_output.json()) {
                listContents(m_output, metadata);
                if (job.ticketHeldUntil().isValid())
                    m_output.info(QStringLiteral("Continuing the download reserved for this computer "
                                                 "until %1: it uses no further download.")
                                      .arg(heldUntilText(job.ticketHeldUntil())));
            }
            job.download(outputDir);
        });
    QObject::connect(&job, &client::ReceiveJob::progress, &loop,
                     [&](quint64 done, quint64 total, double speed, qint64 eta) {
                         progress.update(QStringLiteral("Downloading"), done, total, speed, eta);
                     });
    QObject::connect(&job, &client::ReceiveJob::retrying, &loop,
                     [&](int attempt, const ClientError& reason, int delayMs) {
                         progress.clear();
                         m_output.info(QStringLiteral("ots: %1 Retrying in %2 s (attempt %3).")
                                           .arg(reason.message)
                                           .arg(qMax(1, (delayMs + 999) / 1000))
                                           .arg(attempt));
                     });
    QObject::connect(&job, &client::ReceiveJob::finished, &loop, [&](const client::ReceiveResult& result) {
        progress.clear();
        if (m_output.json()) {
            QJsonObject object{{QStringLiteral("ok"), true},
                               {QStringLiteral("id"), job.info().id},
                               {QStringLiteral("isText"), result.isText},
                               {QStringLiteral("downloadsLeft"), result.downloadsLeft},
                               {QStringLiteral("outputDir"), outputDir},
                               {QStringLiteral("saved"), QJsonArray::fromStringList(result.savedPaths)},
                               {QStringLiteral("metadata"), metadataToJson(job.metadata())}};
            if (result.isText && !options.saveText)
                object.insert(QStringLiteral("text"), QString::fromUtf8(result.text));
            m_output.jsonResult(object);
        } else {
            if (result.isText && !options.saveText)
                m_output.resultBytes(result.text);
            for (const QString& path : result.savedPaths)
                m_output.info(QStringLiteral("Saved %1").arg(QDir::toNativeSeparators(path)));
            if (result.downloadsLeft > 0)
                m_output.info(
                    result.downloadsLeft == 1
                        ? QStringLiteral("The link allows 1 more download.")
                        : QStringLiteral("The link allows %1 more downloads.").arg(result.downloadsLeft));
        }
        finishWith(ExitOk);
    });
    QObject::connect(&job, &client::ReceiveJob::failed, &loop, [&](const ClientError& error) {
        progress.clear();
        // At a terminal a wrong password may be typed again while the relay still allows attempts.
        if (error.kind == ErrorKind::WrongPassword && passwordFromTerminal && error.attemptsLeft != 0 &&
            job.state() == client::ReceiveJob::State::NeedPassword) {
            const QString left = attemptsText(error.attemptsLeft);
            m_output.info(left.isEmpty() ? QStringLiteral("ots: wrong password.")
                                         : QStringLiteral("ots: wrong password (%1).").arg(left));
            unlockWithPassword(error.attemptsLeft);
            return;
        }
        const int code = m_output.fail(error);
        sayWhatIsHeld();
        finishWith(code);
    });
    QObject::connect(&job, &client::ReceiveJob::cancelled, &loop, [&] {
        progress.clear();
        const int code = m_output.fail(ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                                                         QStringLiteral("Cancelled; nothing was saved.")));
        sayWhatIsHeld();
        finishWith(code);
    });

    Terminal::setInterruptHandler([&] {
        if (cancelling)
            std::_Exit(ExitCancelled);
        cancelling = true;
        progress.clear();
        job.cancel();
    });
    job.inspect();
    loop.exec();
    Terminal::exitOnInterrupt();
    return exitCode;
}

} // namespace ots::cli
