// `ots`: the OneTimeShare command-line client.

#include "CommandOutput.h"
#include "ExitCodes.h"
#include "GetCommand.h"
#include "HistoryCommand.h"
#include "InfoCommand.h"
#include "OwnerCommand.h"
#include "SelfTestCommand.h"
#include "SendCommand.h"
#include "Terminal.h"
#include "ots/Crypto.h"
#include "ots/client/ClientError.h"
#include "ots/client/LinkInput.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>
#include <vector>

namespace {

using ots::cli::CommandOutput;

const QString kDescription = QStringLiteral(
    "OneTimeShare command-line client: end-to-end encrypted, expiring, one-time links for files,\n"
    "folders and texts.\n"
    "\n"
    "Commands:\n"
    "  send [PATH...]      Encrypt and upload files, folders or a text; print the link.\n"
    "  get LINK            Download, verify and unpack a share (or print a text share).\n"
    "  info LINK           Show a share's public state; uses no download and no attempt.\n"
    "  status LINK-or-ID   Ask the relay for the state of a share you sent.\n"
    "  delete LINK-or-ID   Delete a share you sent from the relay.\n"
    "  unlock LINK-or-ID   Unlock a share you sent that is locked after wrong passwords.\n"
    "  history             List the shares you sent.\n"
    "  selftest [PATH...]  Run the cryptographic self-tests, then encrypt PATHs (or a sample)\n"
    "                      and decrypt them again, comparing every byte.\n"
    "\n"
    "Run 'ots COMMAND --help' for a command's options. Passwords are never taken from the command\n"
    "line: they are asked for on the terminal without echo, or read with --password-fd N.\n"
    "Environment: OTS_CONFIG_DIR moves settings and history; OTS_SECRET_STORE=file|keychain chooses\n"
    "where owner tokens are kept.\n");

} // namespace

int main(int argc, char** argv) {
    std::vector<char*> received(argv, argv + argc); // the kernel's copy, before Qt sees it
    QCoreApplication app(argc, argv);
    // The arguments as text, then no link secret left in /proc/<pid>/cmdline for the whole download.
    const QStringList arguments = QCoreApplication::arguments();
    ots::client::linkinput::scrubArguments(static_cast<int>(received.size()), received.data());
    QCoreApplication::setApplicationName(QStringLiteral("ots"));
    QCoreApplication::setApplicationVersion(QStringLiteral(OTS_VERSION));
    QTextStream out(stdout);
    QTextStream err(stderr);
    CommandOutput output;
    ots::cli::Terminal::exitOnInterrupt();

    QCommandLineParser parser;
    parser.setApplicationDescription(kDescription + QLatin1Char('\n') + ots::cli::exitCodeHelp());
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("The command to run."),
                                 QStringLiteral("COMMAND [options]"));
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    if (const auto done = output.parse(parser, arguments, {}, QStringLiteral("ots COMMAND [options]")))
        return *done;
    if (parser.isSet(QStringLiteral("version"))) {
        output.result(QStringLiteral("ots ") + QCoreApplication::applicationVersion());
        return ots::cli::ExitOk;
    }

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        return output.usage(QStringLiteral("No command given"), {});
    const QString& command = args.first();
    if (command == QLatin1String("selftest")) {
        QCommandLineParser sub;
        sub.setApplicationDescription(
            QStringLiteral("Encrypt and decrypt PATHs (or a generated sample) locally."));
        if (const auto done = output.parse(sub, args, command, QStringLiteral("ots selftest [PATH...]")))
            return *done;
        return SelfTestCommand(out, err).run(sub.positionalArguments());
    }

    using ots::cli::OwnerCommand;
    const bool known = command == QLatin1String("send") || command == QLatin1String("get") ||
                       command == QLatin1String("info") || command == QLatin1String("status") ||
                       command == QLatin1String("delete") || command == QLatin1String("unlock") ||
                       command == QLatin1String("history");
    if (!known)
        return output.usage(QStringLiteral("unknown command '%1'").arg(command), {});

    // The cryptography proves itself before any key is derived or any byte is encrypted.
    if (const auto status = ots::initialize(); !status)
        return output.fail(ots::client::ClientError::fromOts(status.error()));

    if (command == QLatin1String("send"))
        return ots::cli::SendCommand(output).run(args);
    if (command == QLatin1String("get"))
        return ots::cli::GetCommand(output).run(args);
    if (command == QLatin1String("info"))
        return ots::cli::InfoCommand(output).run(args);
    if (command == QLatin1String("history"))
        return ots::cli::HistoryCommand(output).run(args);
    if (command == QLatin1String("delete"))
        return OwnerCommand(output, OwnerCommand::Action::Delete).run(args);
    if (command == QLatin1String("unlock"))
        return OwnerCommand(output, OwnerCommand::Action::Unlock).run(args);
    return OwnerCommand(output, OwnerCommand::Action::Status).run(args);
}
