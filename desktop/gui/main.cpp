// onetimeshare: the desktop window. `onetimeshare [LINK]` or `onetimeshare --link-fd N`; a second
// launch hands its link to the window already running for this user (SingleInstance) and exits at
// once. A link given as an argument is wiped from the process's command line as soon as it is read.

#include "MainWindow.h"
#include "SingleInstance.h"
#include "Theme.h"
#include "ots/Crypto.h"
#include "ots/client/LinkInput.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

#include <cstdio>
#include <vector>

int main(int argc, char* argv[]) {
    std::vector<char*> received(argv, argv + argc); // the kernel's copy: Qt may reorder argv
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("OneTimeShare"));
    QApplication::setApplicationDisplayName(QStringLiteral("OneTimeShare"));
    QApplication::setOrganizationName(QStringLiteral("OneTimeShare"));
    QApplication::setApplicationVersion(QStringLiteral(OTS_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("onetimeshare"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QApplication::translate(
        "main", "End-to-end encrypted one-time file sharing: the desktop window.\n"
                "A link given as an argument is wiped from this program's command line at start;\n"
                "--link-fd N keeps it off the command line altogether."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption linkFd(
        QStringLiteral("link-fd"),
        QApplication::translate("main", "Read a share link as one line from file descriptor N."),
        QStringLiteral("N"));
    parser.addOption(linkFd);
    parser.addPositionalArgument(
        QStringLiteral("link"),
        QApplication::translate("main", "A share link to open in Receive (optional)."),
        QStringLiteral("[link]"));
    parser.process(QApplication::arguments());
    // Copied: no link secret stays in /proc/<pid>/cmdline for the rest of the session.
    ots::client::linkinput::scrubArguments(static_cast<int>(received.size()), received.data());
    QStringList links = parser.positionalArguments();
    if (parser.isSet(linkFd)) {
        bool ok = false;
        const int fd = parser.value(linkFd).toInt(&ok);
        const auto link = ots::client::linkinput::readLine(ok ? fd : -1);
        if (!link.ok()) {
            std::fprintf(stderr, "onetimeshare: %s\n", qPrintable(link.error().message));
            return 2;
        }
        links << link.value();
    }

    // A window already runs for this user: hand it the link and let it take over, before anything else.
    ots::gui::SingleInstance instance;
    if (!instance.socketPath().isEmpty() && !instance.folderNotice().isEmpty()) // else listen() says it
        std::fprintf(stderr, "onetimeshare: %s\n", qPrintable(instance.folderNotice()));
    if (instance.sendToRunning(links))
        return 0;
    if (!instance.errorString().isEmpty())
        std::fprintf(stderr, "onetimeshare: %s\n", qPrintable(instance.errorString()));
    if (!instance.listen())
        std::fprintf(stderr, "onetimeshare: %s\n", qPrintable(instance.errorString()));

    if (const auto status = ots::initialize(); !status) {
        std::fprintf(stderr, "onetimeshare: %s\n",
                     qPrintable(ots::client::ClientError::fromOts(status.error()).message));
        return 1;
    }

    Q_INIT_RESOURCE(onetimeshare);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));
    ots::client::Settings settings;
    ots::gui::Theme::apply(settings.theme());
    ots::client::ShareHistory history;

    ots::gui::MainWindow window(&settings, &history);
    QObject::connect(&instance, &ots::gui::SingleInstance::argumentsReceived, &window,
                     &ots::gui::MainWindow::handleArguments);
    window.show();
    if (!links.isEmpty())
        window.handleArguments(links);
    if (settings.error())
        window.showStatus(QApplication::translate("main", "%1 Default settings are used until this is fixed.")
                              .arg(settings.error().message));
    return QApplication::exec();
}
