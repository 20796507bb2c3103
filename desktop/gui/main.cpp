// onetimeshare: the desktop window. `onetimeshare [LINK]`; a second launch hands its link to the
// window already running for this user (SingleInstance) and exits.

#include "MainWindow.h"
#include "SingleInstance.h"
#include "Theme.h"
#include "ots/Crypto.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QIcon>

#include <cstdio>

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("OneTimeShare"));
    QApplication::setApplicationDisplayName(QStringLiteral("OneTimeShare"));
    QApplication::setOrganizationName(QStringLiteral("OneTimeShare"));
    QApplication::setApplicationVersion(QStringLiteral(OTS_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("onetimeshare"));
    Q_INIT_RESOURCE(onetimeshare);
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/icons/app.svg")));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "End-to-end encrypted one-time file sharing: the desktop window."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addPositionalArgument(
        QStringLiteral("link"),
        QApplication::translate("main", "A share link to open in Receive (optional)."),
        QStringLiteral("[link]"));
    parser.process(app);
    const QStringList links = parser.positionalArguments();

    if (const auto status = ots::initialize(); !status) {
        std::fprintf(stderr, "onetimeshare: %s\n",
                     qPrintable(ots::client::ClientError::fromOts(status.error()).message));
        return 1;
    }

    // A window already runs for this user: hand it the link and let it take over.
    ots::gui::SingleInstance instance;
    if (instance.sendToRunning(links))
        return 0;
    if (!instance.listen())
        std::fprintf(stderr, "onetimeshare: %s\n", qPrintable(instance.errorString()));

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
