#include "InfoCommand.h"

#include "ExitCodes.h"
#include "Terminal.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/Settings.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QEventLoop>

namespace ots::cli {

using client::ClientError;

namespace {

const QString kInfoCommand = QStringLiteral("info");

} // namespace

int InfoCommand::run(const QStringList& arguments) {
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Shows what the relay tells anyone about the share LINK points to: its state, encrypted\n"
        "size, expiry, the downloads left and whether it needs a password. This never uses a\n"
        "download or a password attempt, and never decrypts anything."));
    parser.addOption({QStringLiteral("json"), QStringLiteral("Print one JSON object.")});
    parser.addPositionalArgument(QStringLiteral("link"), QStringLiteral("The share's link."),
                                 QStringLiteral("LINK"));
    if (const auto done =
            m_output.parse(parser, arguments, kInfoCommand, QStringLiteral("ots info [options] LINK")))
        return *done;
    const QStringList positional = parser.positionalArguments();
    if (positional.size() != 1)
        return m_output.usage(QStringLiteral("'ots info' needs exactly one LINK"), kInfoCommand);

    client::ReceiveOptions options;
    options.link = positional.first();
    client::ReceiveJob job(options);
    QEventLoop loop;
    int exitCode = ExitFailure;

    QObject::connect(&job, &client::ReceiveJob::inspected, &loop, [&](const client::ShareInfo& info) {
        if (m_output.json()) {
            QJsonObject object{{QStringLiteral("ok"), true},
                               {QStringLiteral("id"), info.id},
                               {QStringLiteral("state"), info.state},
                               {QStringLiteral("size"), static_cast<qint64>(info.size)},
                               {QStringLiteral("expiresAt"), static_cast<qint64>(info.expiresAt)},
                               {QStringLiteral("downloadsLeft"), info.downloadsLeft},
                               {QStringLiteral("passwordRequired"), info.passwordRequired}};
            if (info.passwordRequired)
                object.insert(QStringLiteral("attemptsLeft"), info.attemptsLeft);
            m_output.jsonResult(object);
        } else {
            const qint64 left = info.expiresAt - QDateTime::currentSecsSinceEpoch();
            m_output.result(QStringLiteral("Share:          %1").arg(info.id));
            m_output.result(QStringLiteral("State:          %1").arg(info.state));
            m_output.result(
                QStringLiteral("Size:           %1 (encrypted)").arg(client::formatBytes(info.size)));
            m_output.result(QStringLiteral("Expires:        %1 (in %2)")
                                .arg(QDateTime::fromSecsSinceEpoch(info.expiresAt).toString(Qt::ISODate),
                                     client::formatDuration(qMax<qint64>(left, 0))));
            m_output.result(QStringLiteral("Downloads left: %1").arg(info.downloadsLeft));
            m_output.result(
                info.passwordRequired
                    ? QStringLiteral("Password:       required (%1 attempts left)").arg(info.attemptsLeft)
                    : QStringLiteral("Password:       none (the link alone opens it)"));
        }
        exitCode = ExitOk;
        loop.quit();
    });
    QObject::connect(&job, &client::ReceiveJob::failed, &loop, [&](const ClientError& error) {
        exitCode = m_output.fail(error);
        loop.quit();
    });
    QObject::connect(&job, &client::ReceiveJob::cancelled, &loop, [&] {
        exitCode = ExitCancelled;
        loop.quit();
    });
    Terminal::setInterruptHandler([&] { job.cancel(); });
    job.inspect();
    loop.exec();
    Terminal::exitOnInterrupt();
    return exitCode;
}

} // namespace ots::cli
