// `ots`: the OneTimeShare command-line client.

#include "SelfTestCommand.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

int main(int argc, char** argv) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("ots"));
    QCoreApplication::setApplicationVersion(QStringLiteral(OTS_VERSION));
    QTextStream out(stdout);
    QTextStream err(stderr);

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "OneTimeShare command-line client.\n\nCommands:\n"
        "  selftest [PATH...]  Run the cryptographic self-tests, then encrypt PATHs (or a sample)\n"
        "                      and decrypt them again, comparing every byte."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(QStringLiteral("command"), QStringLiteral("The command to run."));
    parser.setOptionsAfterPositionalArgumentsMode(QCommandLineParser::ParseAsPositionalArguments);
    parser.process(app);

    const QStringList args = parser.positionalArguments();
    if (args.isEmpty())
        parser.showHelp(2);
    const QString& command = args.first();
    if (command == QLatin1String("selftest")) {
        QCommandLineParser sub;
        sub.setApplicationDescription(
            QStringLiteral("Encrypt and decrypt PATHs (or a generated sample) locally."));
        sub.addHelpOption();
        sub.addPositionalArgument(QStringLiteral("paths"), QStringLiteral("Files or folders to round-trip."),
                                  QStringLiteral("[PATH...]"));
        sub.process(args);
        return SelfTestCommand(out, err).run(sub.positionalArguments());
    }
    err << "ots: unknown command '" << command << "'. Run 'ots --help'." << Qt::endl;
    return 2;
}
