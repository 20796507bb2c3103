#include "SendCommand.h"

#include "ExitCodes.h"
#include "ProgressLine.h"
#include "Terminal.h"
#include "ots/client/GivenLink.h"
#include "ots/client/Passphrase.h"
#include "ots/client/SecretStore.h"
#include "ots/client/SendJob.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDirIterator>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>

#include <cstdio>
#include <cstdlib>

namespace ots::cli {

using client::ClientError;
using client::ErrorKind;
using client::Outcome;

namespace {

const QString kSendCommand = QStringLiteral("send");

// Where ShareHistory and the settings dialog keep the relay's upload token (a credential).
const QString kUploadTokenKey = QStringLiteral("upload-token");

Outcome<int> parseFd(const QString& text) {
    bool ok = false;
    const int fd = text.toInt(&ok);
    if (!ok || fd < 0)
        return ClientError::make(ErrorKind::Usage, QStringLiteral("usage"),
                                 QStringLiteral("'%1' is not a file descriptor number.").arg(text));
    return fd;
}

Outcome<QString> readPassword(const QCommandLineParser& parser, CommandOutput& output, QString& generated) {
    const bool prompt = parser.isSet(QStringLiteral("password"));
    const bool fromFd = parser.isSet(QStringLiteral("password-fd"));
    const bool passphrase = parser.isSet(QStringLiteral("passphrase"));
    if (int(prompt) + int(fromFd) + int(passphrase) > 1)
        return ClientError::make(
            ErrorKind::Usage, QStringLiteral("usage"),
            QStringLiteral("Use only one of --password, --password-fd and --passphrase."));
    if (passphrase) {
        generated = client::generatePassphrase();
        return generated;
    }
    if (fromFd) {
        const auto fd = parseFd(parser.value(QStringLiteral("password-fd")));
        if (!fd.ok())
            return fd.error();
        auto line = Terminal::readLine(fd.value());
        if (line.ok() && line.value().isEmpty())
            return ClientError::make(
                ErrorKind::Usage, QStringLiteral("usage"),
                QStringLiteral("The password read from file descriptor %1 is empty.").arg(fd.value()));
        return line;
    }
    if (!prompt)
        return QString();
    if (!Terminal::canPrompt())
        return ClientError::make(
            ErrorKind::Usage, QStringLiteral("usage"),
            QStringLiteral("--password needs a terminal to ask on. Pass the password with "
                           "--password-fd N, or use --passphrase."));
    for (;;) {
        auto first = Terminal::promptSecret(QStringLiteral("Password for the share: "));
        if (!first.ok())
            return first;
        if (first.value().isEmpty()) {
            output.info(QStringLiteral("ots: the password must not be empty; try again."));
            continue;
        }
        const auto strength = client::passwordStrength(first.value());
        if (strength == client::PasswordStrength::Weak)
            output.info(QStringLiteral("ots: this password is weak (easy to guess); consider --passphrase."));
        auto second = Terminal::promptSecret(QStringLiteral("Repeat the password: "));
        if (!second.ok())
            return second;
        if (first.value() == second.value())
            return first;
        output.info(QStringLiteral("ots: the two passwords differ; try again."));
    }
}

Outcome<QByteArray> readStandardInput() {
    QFile input;
    if (!input.open(stdin, QIODevice::ReadOnly))
        return ClientError::make(ErrorKind::LocalIo, QStringLiteral("io"),
                                 QStringLiteral("Could not read the text from standard input."));
    QByteArray text = input.readAll();
    if (input.error() != QFileDevice::NoError)
        return ClientError::make(
            ErrorKind::LocalIo, QStringLiteral("io"),
            QStringLiteral("Could not read the text from standard input: %1").arg(input.errorString()));
    return text;
}

// The plaintext bytes the person chose (files below folders included), for the summary line.
std::uint64_t inputBytes(const client::SendOptions& options) {
    if (options.text)
        return static_cast<std::uint64_t>(options.text->size());
    std::uint64_t total = 0;
    for (const QString& path : options.paths) {
        const QFileInfo info(path);
        if (!info.isDir()) {
            total += static_cast<std::uint64_t>(info.size());
            continue;
        }
        QDirIterator files(path, QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
        while (files.hasNext()) {
            files.next();
            total += static_cast<std::uint64_t>(files.fileInfo().size());
        }
    }
    return total;
}

QString describeDownloads(int downloads) {
    return downloads == 1 ? QStringLiteral("1 download") : QStringLiteral("%1 downloads").arg(downloads);
}

} // namespace

int SendCommand::run(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Encrypts files, folders or a text on this computer, uploads the ciphertext to the relay and prints\n"
        "the link on standard output. Anyone with the link (and the password, if one is set) can download\n"
        "it, as often as --downloads allows, until it expires. Progress and messages go to standard error.\n"
        "With '-' as the only PATH, or --text -, the text is read from standard input."));
    parser.addOptions({
        {QStringLiteral("password"),
         QStringLiteral("Ask for a password (twice, without echo) on the terminal.")},
        {QStringLiteral("passphrase"),
         QStringLiteral("Protect the share with a generated 150-bit passphrase, shown on standard error.")},
        {QStringLiteral("password-fd"),
         QStringLiteral("Read the password as one line from file descriptor N."), QStringLiteral("N")},
        {QStringLiteral("downloads"),
         QStringLiteral("How many downloads the link allows (default from settings)."), QStringLiteral("N")},
        {QStringLiteral("expires"),
         QStringLiteral(
             "Time until the share expires: 90s, 15m, 1h, 7d, 2w or seconds (default from settings)."),
         QStringLiteral("DURATION")},
        {QStringLiteral("relay"),
         QStringLiteral("The relay to upload to, e.g. https://relay.example (default from "
                        "settings)."),
         QStringLiteral("URL")},
        {QStringLiteral("upload-token-fd"),
         QStringLiteral("Read the relay's upload token from file descriptor N (default: the stored token)."),
         QStringLiteral("N")},
        {QStringLiteral("note"), QStringLiteral("A note for the recipient, encrypted with the share."),
         QStringLiteral("TEXT")},
        {QStringLiteral("text"), QStringLiteral("Share TEXT (or standard input for '-') instead of files."),
         QStringLiteral("TEXT")},
        {QStringLiteral("app-link"),
         QStringLiteral("Print the app-only link (onetimeshare://…): it opens only in the OneTimeShare "
                        "app, never in a browser, so the relay's web page does not see it. (--json has "
                        "both: link, and appLink when the relay has an app-only form.)")},
        {QStringLiteral("json"), QStringLiteral("Print one JSON object with the link, id and expiry.")},
    });
    parser.addPositionalArgument(QStringLiteral("paths"), QStringLiteral("Files and folders to share."),
                                 QStringLiteral("[PATH...]"));
    if (const auto done = m_output.parse(parser, arguments, kSendCommand,
                                         QStringLiteral("ots send [options] PATH... | --text TEXT | -")))
        return *done;

    client::Settings settings;
    client::SendOptions options;
    options.relay = settings.relayUrl();
    options.expiresIn = settings.defaultExpiresIn();
    options.maxDownloads = settings.defaultMaxDownloads();
    options.argonIterations = settings.argonIterations();
    options.argonMemoryKiB = settings.argonMemoryKiB();
    options.argonParallelism = settings.argonParallelism();

    if (parser.isSet(QStringLiteral("relay"))) {
        options.relay = QUrl(parser.value(QStringLiteral("relay")), QUrl::StrictMode);
        if (!options.relay.isValid() || options.relay.scheme().isEmpty() || options.relay.host().isEmpty())
            return m_output.usage(QStringLiteral("--relay needs a URL such as https://relay.example"),
                                  kSendCommand);
    }
    if (parser.isSet(QStringLiteral("downloads"))) {
        bool ok = false;
        options.maxDownloads = parser.value(QStringLiteral("downloads")).toInt(&ok);
        if (!ok || options.maxDownloads < 1)
            return m_output.usage(QStringLiteral("--downloads needs a whole number of at least 1"),
                                  kSendCommand);
    }
    if (parser.isSet(QStringLiteral("expires"))) {
        options.expiresIn = client::parseDuration(parser.value(QStringLiteral("expires")));
        if (options.expiresIn <= 0)
            return m_output.usage(QStringLiteral("--expires needs a duration such as 90s, 15m, 1h, 7d or 2w"),
                                  kSendCommand);
    }
    options.note = parser.value(QStringLiteral("note"));
    const bool appLinkWanted = parser.isSet(QStringLiteral("app-link"));

    // What to share: a text (given, or from standard input) or paths.
    const QStringList paths = parser.positionalArguments();
    const bool textOption = parser.isSet(QStringLiteral("text"));
    if (textOption && !paths.isEmpty())
        return m_output.usage(QStringLiteral("Share either a text or paths, not both"), kSendCommand);
    if (paths.contains(QStringLiteral("-")) && paths.size() > 1)
        return m_output.usage(QStringLiteral("'-' (text from standard input) cannot be mixed with paths"),
                              kSendCommand);
    if (!textOption && paths.isEmpty())
        return m_output.usage(QStringLiteral("Nothing to send: give PATHs, --text TEXT or '-'"),
                              kSendCommand);
    const bool textFromStdin = (textOption && parser.value(QStringLiteral("text")) == QLatin1String("-")) ||
                               paths == QStringList{QStringLiteral("-")};
    for (const QString& path : paths)
        if (path != QLatin1String("-") && !QFileInfo::exists(path))
            return m_output.fail(ClientError::make(ErrorKind::LocalIo, QStringLiteral("io"),
                                                   QStringLiteral("'%1' does not exist.").arg(path)));

    // Secrets come from the terminal, a file descriptor or the secret store, never from argv.
    if (parser.isSet(QStringLiteral("upload-token-fd"))) {
        const auto fd = parseFd(parser.value(QStringLiteral("upload-token-fd")));
        if (!fd.ok())
            return m_output.fail(fd.error());
        auto token = Terminal::readLine(fd.value());
        if (!token.ok())
            return m_output.fail(token.error());
        options.uploadToken = token.value().trimmed();
    } else {
        const auto store = client::SecretStore::open();
        if (store) {
            auto token = store->load(kUploadTokenKey);
            if (token.ok())
                options.uploadToken = token.value();
        }
    }
    QString generatedPassphrase;
    auto password = readPassword(parser, m_output, generatedPassphrase);
    if (!password.ok())
        return m_output.fail(password.error());
    options.password = password.value();

    if (textFromStdin) {
        auto text = readStandardInput();
        if (!text.ok())
            return m_output.fail(text.error());
        options.text = text.value();
    } else if (textOption) {
        options.text = parser.value(QStringLiteral("text")).toUtf8();
    } else {
        options.paths = paths;
    }

    client::SendJob job(options);
    options.password.fill(QLatin1Char('\0'));
    ProgressLine progress(Terminal::isTerminal(Terminal::Stream::Error) && !m_output.json());
    QEventLoop loop;
    int exitCode = ExitFailure;
    bool cancelling = false;

    QObject::connect(&job, &client::SendJob::progress, &loop,
                     [&](quint64 done, quint64 total, double speed, qint64 eta) {
                         progress.update(QStringLiteral("Uploading"), done, total, speed, eta);
                     });
    QObject::connect(&job, &client::SendJob::retrying, &loop,
                     [&](int attempt, const ClientError& reason, int delayMs) {
                         progress.clear();
                         m_output.info(QStringLiteral("ots: %1 Retrying in %2 s (attempt %3).")
                                           .arg(reason.message)
                                           .arg(qMax(1, (delayMs + 999) / 1000))
                                           .arg(attempt));
                     });
    QObject::connect(&job, &client::SendJob::finished, &loop, [&](const client::SendResult& result) {
        progress.clear();
        client::ShareHistory history;
        const ClientError recorded = history.add(result);
        if (m_output.json()) {
            QJsonObject object{
                {QStringLiteral("ok"), true},
                {QStringLiteral("link"), result.link},
                {QStringLiteral("id"), result.id},
                {QStringLiteral("relay"), result.relayUrl},
                {QStringLiteral("name"), result.displayName},
                {QStringLiteral("createdAt"), static_cast<qint64>(result.createdAt)},
                {QStringLiteral("expiresAt"), static_cast<qint64>(result.expiresAt)},
                {QStringLiteral("maxDownloads"), result.maxDownloads},
                {QStringLiteral("passwordProtected"), result.passwordProtected},
                {QStringLiteral("payloadBytes"), static_cast<qint64>(result.payloadBytes)},
                {QStringLiteral("ciphertextBytes"), static_cast<qint64>(result.ciphertextBytes)}};
            if (!result.appLink.isEmpty())
                object.insert(QStringLiteral("appLink"), result.appLink);
            if (!generatedPassphrase.isEmpty())
                object.insert(QStringLiteral("passphrase"), generatedPassphrase);
            if (recorded)
                object.insert(QStringLiteral("historyError"), recorded.message);
            m_output.jsonResult(object);
        } else {
            const auto given = client::GivenLink::forLink(result.link, appLinkWanted);
            m_output.result(given.text);
            if (given.appFormUnavailable)
                m_output.info(
                    QStringLiteral("ots: this is the web link: the relay uses https on this computer "
                                   "(%1), which has no app-only (onetimeshare://) link.")
                        .arg(QUrl(result.relayUrl).host()));
            m_output.info(
                QStringLiteral("Shared %1 (%2) on %3: expires in %4, %5%6.")
                    .arg(result.displayName, client::formatBytes(inputBytes(options)), result.relayUrl,
                         client::formatDuration(result.expiresAt - QDateTime::currentSecsSinceEpoch()),
                         describeDownloads(result.maxDownloads),
                         result.passwordProtected ? QStringLiteral(", password protected") : QString()));
            if (!generatedPassphrase.isEmpty())
                m_output.info(QStringLiteral("Passphrase: %1").arg(generatedPassphrase));
        }
        if (recorded)
            m_output.info(QStringLiteral("ots: the share was made, but it could not be added to your history "
                                         "(so 'ots delete' will not find it): %1")
                              .arg(recorded.message));
        exitCode = ExitOk;
        loop.quit();
    });
    QObject::connect(&job, &client::SendJob::failed, &loop, [&](const ClientError& error) {
        progress.clear();
        exitCode = m_output.fail(error);
        loop.quit();
    });
    QObject::connect(&job, &client::SendJob::cancelled, &loop, [&] {
        progress.clear();
        exitCode =
            m_output.fail(ClientError::make(ErrorKind::Cancelled, QStringLiteral("cancelled"),
                                            QStringLiteral("Cancelled; the unfinished share was deleted "
                                                           "from the relay.")));
        loop.quit();
    });

    Terminal::setInterruptHandler([&] {
        if (cancelling)
            std::_Exit(ExitCancelled); // a second Ctrl-C: stop waiting for the relay
        cancelling = true;
        progress.clear();
        m_output.info(QStringLiteral("ots: cancelling…"));
        job.cancel();
    });
    job.start();
    loop.exec();
    Terminal::exitOnInterrupt();
    return exitCode;
}

} // namespace ots::cli
