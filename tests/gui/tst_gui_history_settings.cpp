// The History and Settings pages against a real redis-server and this build's ots-relay, offscreen:
// a sent share is listed; after a real receive, a refresh shows it downloaded (and the tray tells);
// Delete revokes it on the relay; Unlock reopens a locked share; the settings persist, the upload
// token goes to the secret store, "Test connection" tells a working relay from a closed port, and
// the theme switch changes the palette. Every History action is also driven from the keyboard. With
// "Copy app-only links" on, History copies the onetimeshare:// form of the link it keeps.

#include "HistoryModel.h"
#include "HistoryPage.h"
#include "RelayProcess.h"
#include "SettingsPage.h"
#include "Theme.h"
#include "TrayIcon.h"
#include "ots/Crypto.h"
#include "ots/ShareLink.h"
#include "ots/client/ReceiveJob.h"
#include "ots/client/RelayClient.h"
#include "ots/client/SecretStore.h"
#include "ots/client/SendJob.h"
#include "ots/client/Settings.h"
#include "ots/client/ShareHistory.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDateTime>
#include <QHostAddress>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeView>

#include <memory>

using ots::client::ErrorKind;
using ots::client::HistoryEntry;
using ots::client::SendResult;
using ots::client::Settings;
using ots::client::ShareHistory;
using ots::gui::HistoryModel;
using ots::gui::HistoryPage;
using ots::gui::SettingsPage;
using ots::gui::Theme;
using ots::relaytest::RelayFixture;
using ots::relaytest::TestShare;

namespace {

constexpr int kWaitMs = 30'000;

template <typename T>
T* child(QObject* parent, const char* name) {
    T* found = parent->findChild<T*>(QString::fromLatin1(name));
    if (found == nullptr)
        qWarning("no child named %s", name);
    return found;
}

} // namespace

class TestGuiHistorySettings : public QObject {
    Q_OBJECT

    RelayFixture m_fixture;
    QTemporaryDir m_configDir;
    QString m_relayUrl;
    std::unique_ptr<Settings> m_settings;
    std::unique_ptr<ShareHistory> m_history;

    // A real text share made by SendJob and recorded in the history, as the Send page does.
    SendResult sendText(const QByteArray& text, int maxDownloads = 1) {
        ots::client::SendOptions options;
        options.relay = QUrl(m_relayUrl);
        options.text = text;
        options.maxDownloads = maxDownloads;
        options.expiresIn = 3600;
        ots::client::SendJob job(options);
        QSignalSpy finished(&job, &ots::client::SendJob::finished);
        QSignalSpy failed(&job, &ots::client::SendJob::failed);
        job.start();
        if (!QTest::qWaitFor([&] { return !finished.isEmpty() || !failed.isEmpty(); }, kWaitMs) ||
            !failed.isEmpty()) {
            qWarning("send failed: %s", qPrintable(job.error().message));
            return {};
        }
        if (!m_history->add(job.result()).ok())
            return {};
        return job.result();
    }

    // Shows page in its own active window, so that focus and shortcuts behave as for a person.
    static bool showActive(QWidget& page) {
        page.resize(1000, 640);
        page.show();
        QApplication::setActiveWindow(&page);
        return QTest::qWaitForWindowExposed(&page) && QTest::qWaitForWindowActive(&page);
    }

    static QString stateShown(HistoryPage& page, const QString& id) {
        auto* view = page.findChild<QTreeView*>(QStringLiteral("historyView"));
        auto* model = qobject_cast<HistoryModel*>(view->model());
        const int row = model->rowOf(id);
        return row < 0 ? QString() : model->index(row, HistoryModel::StateColumn).data().toString();
    }

    static bool waitIdle(HistoryPage& page) {
        return QTest::qWaitFor([&] { return !page.busy(); }, kWaitMs);
    }

    // Shows page (which refreshes it), waits for the refresh and selects the share id.
    static bool showAndSelect(HistoryPage& page, const QString& id) {
        QSignalSpy refreshed(&page, &HistoryPage::refreshFinished);
        return showActive(page) && refreshed.wait(kWaitMs) && page.selectShare(id) && waitIdle(page);
    }

    // Clicks Copy for the selected share; what the page then said.
    static QString pressCopy(HistoryPage& page) {
        QSignalSpy finished(&page, &HistoryPage::actionFinished);
        QTest::mouseClick(child<QPushButton>(&page, "historyCopyButton"), Qt::LeftButton);
        return finished.wait(kWaitMs) ? finished.first().first().toString() : QStringLiteral("(no answer)");
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_configDir.isValid());
        qputenv("OTS_CONFIG_DIR", m_configDir.path().toUtf8());
        qputenv("OTS_SECRET_STORE", "file");
        qRegisterMetaType<HistoryEntry>();
        QVERIFY(ots::initialize().ok());
        QVERIFY2(m_fixture.start({QStringLiteral("--max-attempts"), QStringLiteral("2")}), m_fixture.error());
        m_relayUrl = QStringLiteral("http://127.0.0.1:%1").arg(m_fixture.relay.port());
        m_settings = std::make_unique<Settings>();
        QVERIFY2(m_settings->error().ok(), qPrintable(m_settings->error().message));
        m_settings->setRelayUrl(QUrl(m_relayUrl));
        m_history = std::make_unique<ShareHistory>();
        QVERIFY(m_history->loadError().ok());
    }

    void historyListsSentShareAndSeesDownload() {
        const SendResult sent = sendText("the history test's secret");
        QVERIFY(!sent.id.isEmpty());
        HistoryPage page(m_history.get(), m_settings.get());
        ots::gui::TrayIcon tray(m_history.get(), &page);
        QSignalSpy notified(&tray, &ots::gui::TrayIcon::notified);
        QSignalSpy refreshed(&page, &HistoryPage::refreshFinished);
        QVERIFY(showActive(page)); // showing refreshes
        QVERIFY(refreshed.wait(kWaitMs));
        QCOMPARE(stateShown(page, sent.id), HistoryModel::stateText(QStringLiteral("waiting")));
        QVERIFY(page.selectShare(sent.id));
        QCOMPARE(page.selectedEntry().localName, sent.displayName);

        // A real receive of the share uses its one download.
        ots::client::ReceiveJob receive({sent.link, {}, false, {}});
        QSignalSpy ready(&receive, &ots::client::ReceiveJob::metadataReady);
        QSignalSpy received(&receive, &ots::client::ReceiveJob::finished);
        receive.unlock();
        QVERIFY(ready.wait(kWaitMs));
        QTemporaryDir out;
        receive.download(out.path());
        QVERIFY(received.wait(kWaitMs));
        QCOMPARE(receive.result().text, QByteArray("the history test's secret"));

        // F5 on the page asks the relay again.
        auto* view = page.findChild<QTreeView*>(QStringLiteral("historyView"));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_F5);
        QVERIFY(refreshed.wait(kWaitMs));
        QCOMPARE(stateShown(page, sent.id), HistoryModel::stateText(QStringLiteral("downloaded")));
        QCOMPARE(m_history->find(sent.id).value().state, QStringLiteral("downloaded"));
        QCOMPARE(page.selectedEntry().id, sent.id); // the selection survives the refresh
        QTRY_COMPARE_WITH_TIMEOUT(notified.count(), 1, 5000);
        QVERIFY(notified.at(0).at(1).toString().contains(sent.displayName));
        // Nothing to copy, delete or unlock any more; it can still be forgotten.
        QVERIFY(!child<QPushButton>(&page, "historyDeleteButton")->isEnabled());
        QVERIFY(!child<QPushButton>(&page, "historyUnlockButton")->isEnabled());
        QVERIFY(child<QPushButton>(&page, "historyForgetButton")->isEnabled());
    }

    void deleteKeyRevokesAfterConfirmation() {
        const SendResult sent = sendText("to be revoked", 3);
        QVERIFY(!sent.id.isEmpty());
        HistoryPage page(m_history.get(), m_settings.get());
        QSignalSpy refreshed(&page, &HistoryPage::refreshFinished);
        QSignalSpy finished(&page, &HistoryPage::actionFinished);
        QVERIFY(showActive(page));
        QVERIFY(refreshed.wait(kWaitMs));
        QVERIFY(page.selectShare(sent.id));
        finished.clear();
        auto* view = page.findChild<QTreeView*>(QStringLiteral("historyView"));
        view->setFocus();

        // Delete asks first; Escape keeps the share.
        QTest::keyClick(view, Qt::Key_Delete);
        QMessageBox* confirm = nullptr;
        QTRY_VERIFY((confirm = page.findChild<QMessageBox*>(QStringLiteral("historyDeleteConfirm"))) !=
                    nullptr);
        QTRY_VERIFY(confirm->isVisible());
        QTest::keyClick(confirm, Qt::Key_Escape);
        QTRY_VERIFY(page.findChild<QMessageBox*>(QStringLiteral("historyDeleteConfirm")) == nullptr);
        QVERIFY(finished.isEmpty());
        ots::client::RelayClient relay{QUrl(m_relayUrl)};
        QVERIFY(relay.info(sent.id).ok());

        // Delete, then Enter on "Delete". (The window manager gives the page back its activation
        // when the dialog closes; offscreen, the test does.)
        page.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&page));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Delete);
        QTRY_VERIFY((confirm = page.findChild<QMessageBox*>(QStringLiteral("historyDeleteConfirm"))) !=
                    nullptr);
        QTRY_VERIFY(confirm->isVisible());
        confirm->button(QMessageBox::Yes)->setFocus();
        QTest::keyClick(confirm->button(QMessageBox::Yes), Qt::Key_Return);
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(finished.at(0).at(0).toString().contains(QStringLiteral("deleted")),
                 qPrintable(finished.at(0).at(0).toString()));
        QCOMPARE(relay.info(sent.id).error().kind, ErrorKind::Deleted);
        QTRY_COMPARE(stateShown(page, sent.id), HistoryModel::stateText(QStringLiteral("deleted")));
    }

    void unlockReopensLockedShare() {
        TestShare share = TestShare::make({.payloadBytes = 1000,
                                           .expiresIn = 3600,
                                           .maxDownloads = 1,
                                           .password = true}); // only these lock
        QCOMPARE(m_fixture.client().createReady(share).status, 200);
        SendResult sent;
        sent.relayUrl = m_relayUrl;
        sent.id = QString::fromLatin1(share.id);
        sent.ownerToken = QString::fromLatin1(share.ownerToken);
        sent.link = m_relayUrl + QStringLiteral("/s/") + sent.id + QStringLiteral("#not-used-here");
        sent.displayName = QStringLiteral("locked.pdf");
        sent.createdAt = QDateTime::currentSecsSinceEpoch();
        sent.expiresAt = share.expiresAt;
        sent.payloadBytes = 1000;
        QVERIFY(m_history->add(sent).ok());
        const auto stranger = TestShare::strangerKeys();
        for (int attempt = 0; attempt < 2; ++attempt)
            QCOMPARE(m_fixture.client().prove(share, "metadata", stranger.get()).status, 403);
        QCOMPARE(m_fixture.client().prove(share, "metadata").status, 423);

        HistoryPage page(m_history.get(), m_settings.get());
        QSignalSpy refreshed(&page, &HistoryPage::refreshFinished);
        QSignalSpy finished(&page, &HistoryPage::actionFinished);
        QVERIFY(showActive(page));
        QVERIFY(refreshed.wait(kWaitMs));
        QCOMPARE(stateShown(page, sent.id), HistoryModel::stateText(QStringLiteral("locked")));
        QVERIFY(page.selectShare(sent.id));
        finished.clear();

        // Tab from the list reaches Copy, then Unlock; Enter presses it.
        auto* view = page.findChild<QTreeView*>(QStringLiteral("historyView"));
        auto* unlock = child<QPushButton>(&page, "historyUnlockButton");
        QVERIFY(unlock->isEnabled());
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Tab);
        QTRY_COMPARE(QApplication::focusWidget(), child<QPushButton>(&page, "historyCopyButton"));
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
        QTRY_COMPARE(QApplication::focusWidget(), unlock);
        QTest::keyClick(unlock, Qt::Key_Return);
        QVERIFY(finished.wait(kWaitMs));
        QVERIFY2(finished.at(0).at(0).toString().contains(QStringLiteral("unlocked")),
                 qPrintable(finished.at(0).at(0).toString()));
        QCOMPARE(m_fixture.client().prove(share, "metadata").status, 200);
        QTRY_COMPARE(stateShown(page, sent.id), HistoryModel::stateText(QStringLiteral("waiting")));
    }

    void keyboardCopiesLinkAndForgets() {
        const SendResult sent = sendText("copy me again");
        QVERIFY(!sent.id.isEmpty());
        HistoryPage page(m_history.get(), m_settings.get());
        QVERIFY(showAndSelect(page, sent.id));
        QSignalSpy finished(&page, &HistoryPage::actionFinished);

        // Enter on the row puts the link on the clipboard again.
        QGuiApplication::clipboard()->clear();
        auto* view = page.findChild<QTreeView*>(QStringLiteral("historyView"));
        view->setFocus();
        QTest::keyClick(view, Qt::Key_Return);
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(QGuiApplication::clipboard()->text(), sent.link);

        // Tab to Forget and press Enter: the record goes, the share on the relay stays.
        auto* forget = child<QPushButton>(&page, "historyForgetButton");
        forget->setFocus();
        finished.clear();
        QTest::keyClick(forget, Qt::Key_Enter);
        QVERIFY(finished.wait(kWaitMs));
        QCOMPARE(m_history->find(sent.id).error().kind, ErrorKind::NotFound);
        QTRY_COMPARE(stateShown(page, sent.id), QString());
        ots::client::RelayClient relay{QUrl(m_relayUrl)};
        QVERIFY(relay.info(sent.id).ok());
    }

    // History keeps the web link; what Copy puts on the clipboard follows "Copy app-only links": the app
    // form (onetimeshare://, http for this loopback relay by SPEC.md §2.1) of the same share when on,
    // the web link when off.
    void historyCopyFollowsAppOnlySetting() {
        const SendResult sent = sendText("copied in the app's form");
        QVERIFY(!sent.id.isEmpty());
        HistoryPage page(m_history.get(), m_settings.get());
        QVERIFY(showAndSelect(page, sent.id));

        m_settings->setAppOnlyLinks(true);
        QGuiApplication::clipboard()->clear();
        const QString said = pressCopy(page);
        const QString copied = QGuiApplication::clipboard()->text();
        QVERIFY2(
            copied.startsWith(QStringLiteral("onetimeshare://127.0.0.1:%1/s/").arg(m_fixture.relay.port())),
            qPrintable(said));
        QVERIFY2(said.contains(QLatin1String("app-only")), qPrintable(said));
        const auto app = ots::ShareLink::parse(copied.toStdString());
        const auto web = ots::ShareLink::parse(sent.link.toStdString());
        QVERIFY(app.ok() && web.ok());
        QCOMPARE(app->transport(), ots::ShareLink::Transport::Http);
        QCOMPARE(QString::fromStdString(app->shareIdText()), sent.id);
        QVERIFY(app->secret().equals(web->secret().span()));
        const auto entry = m_history->find(sent.id);
        QVERIFY(entry.ok());
        QCOMPARE(m_history->link(entry.value()).value(), sent.link); // what History keeps is unchanged

        m_settings->setAppOnlyLinks(false);
        (void)pressCopy(page);
        QCOMPARE(QGuiApplication::clipboard()->text(), sent.link);
        QVERIFY(sent.link.startsWith(QStringLiteral("http://127.0.0.1:%1/s/").arg(m_fixture.relay.port())));
    }

    // A share on an https relay on this computer has no app form (SPEC.md §2.1: the app form of a
    // loopback host means http): Copy puts the web link on the clipboard and says why in plain words.
    void historyCopySaysWhenThereIsNoAppForm() {
        QTcpServer closed; // a port nobody answers on once closed: the record's relay is never reached
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        SendResult record;
        record.relayUrl = QStringLiteral("https://localhost:%1").arg(port);
        record.id = QStringLiteral("AAECAwQFBgcICQoLDA0ODw");
        record.link = record.relayUrl + QStringLiteral("/s/AAECAwQFBgcICQoLDA0ODw#"
                                                       "ICEiIyQlJicoKSorLC0uLzAxMjM0NTY3ODk6Ozw9Pj8");
        record.ownerToken = QStringLiteral("owner-token-of-a-local-https-relay");
        record.displayName = QStringLiteral("local https.txt");
        record.createdAt = QDateTime::currentSecsSinceEpoch();
        record.expiresAt = record.createdAt + 3600;
        QVERIFY(m_history->add(record).ok());

        HistoryPage page(m_history.get(), m_settings.get());
        QVERIFY(showAndSelect(page, record.id));
        m_settings->setAppOnlyLinks(true);
        const QString said = pressCopy(page);
        m_settings->setAppOnlyLinks(false);
        QCOMPARE(QGuiApplication::clipboard()->text(), record.link);
        QVERIFY2(said.contains(QLatin1String("web link")) && said.contains(QLatin1String("no app-only link")),
                 qPrintable(said));
        QVERIFY(m_history->forget(m_history->find(record.id).value()).ok());
    }

    void settingsPersist() {
        SettingsPage page(m_settings.get());
        QVERIFY(showActive(page));
        QSignalSpy changed(&page, &SettingsPage::settingsChanged);
        QSignalSpy tokenSaved(&page, &SettingsPage::tokenSaved);
        QTRY_VERIFY(!page.busy()); // the token was read

        auto* expiry = child<QComboBox>(&page, "defaultExpiryCombo");
        const int weekIndex = expiry->findData(QVariant::fromValue<qint64>(qint64(7) * 24 * 3600));
        QVERIFY(weekIndex >= 0);
        expiry->setCurrentIndex(weekIndex);
        child<QSpinBox>(&page, "defaultDownloadsSpin")->setValue(5);
        auto* copy = child<QCheckBox>(&page, "copyLinkCheck");
        copy->setChecked(!copy->isChecked());
        const bool copyWanted = copy->isChecked();
        // "Copy app-only links": off by default, named for screen readers, explained in plain words, and
        // reached from the keyboard (Tab from the copy option, Space; Alt+O turns it back off).
        auto* appOnly = child<QCheckBox>(&page, "appOnlyLinksCheck");
        QVERIFY(!appOnly->isChecked());
        QCOMPARE(appOnly->accessibleName(), QStringLiteral("Copy app-only links (onetimeshare://)"));
        const QString explained =
            QStringLiteral("Recipients then need the OneTimeShare app; the link cannot "
                           "be opened in a browser, so the relay's web page never sees it.");
        QCOMPARE(appOnly->accessibleDescription(), explained);
        QCOMPARE(appOnly->toolTip(), explained);
        QVERIFY(child<QLabel>(&page, "appOnlyLinksHint")->isVisible());
        QCOMPARE(child<QLabel>(&page, "appOnlyLinksHint")->text(), explained);
        copy->setFocus();
        QTest::keyClick(copy, Qt::Key_Tab);
        QCOMPARE(QApplication::focusWidget(), appOnly);
        QTest::keyClick(appOnly, Qt::Key_Space);
        QVERIFY(appOnly->isChecked());
        QVERIFY(m_settings->appOnlyLinks());
        QTest::keyClick(appOnly, Qt::Key_O, Qt::AltModifier); // a mnemonic clicks after a short animation
        QTRY_VERIFY(!appOnly->isChecked());
        QVERIFY(!Settings().appOnlyLinks());
        QTest::keyClick(appOnly, Qt::Key_Space);
        QVERIFY(appOnly->isChecked());
        child<QComboBox>(&page, "argonPresetCombo")->setCurrentIndex(1);
        QVERIFY(changed.count() >= 4);

        auto* token = child<QLineEdit>(&page, "uploadTokenEdit");
        QCOMPARE(token->echoMode(), QLineEdit::Password);
        token->setFocus();
        token->setText(QStringLiteral("upload-token-for-tests"));
        QTest::keyClick(token, Qt::Key_Return);
        QVERIFY(tokenSaved.wait(kWaitMs));
        QVERIFY(tokenSaved.at(0).at(0).toBool());

        // Another Settings object reads the file again: everything is there.
        const Settings reread;
        QCOMPARE(reread.defaultExpiresIn(), std::int64_t(7) * 24 * 3600);
        QCOMPARE(reread.defaultMaxDownloads(), 5);
        QCOMPARE(reread.copyLinkOnFinish(), copyWanted);
        QVERIFY(reread.appOnlyLinks());
        QCOMPARE(reread.argonMemoryKiB(), 256u * 1024u);
        QCOMPARE(reread.argonIterations(), 4u);
        QCOMPARE(ots::client::SecretStore::open()->load(QStringLiteral("upload-token")).value(),
                 QStringLiteral("upload-token-for-tests"));
        QFile ini(reread.fileName());
        QVERIFY(ini.open(QIODevice::ReadOnly));
        QVERIFY(!ini.readAll().contains("upload-token-for-tests")); // a credential, not a setting

        // A new page shows what was saved.
        SettingsPage again(m_settings.get());
        QTRY_VERIFY(!again.busy());
        QCOMPARE(child<QLineEdit>(&again, "uploadTokenEdit")->text(),
                 QStringLiteral("upload-token-for-tests"));
        QCOMPARE(child<QSpinBox>(&again, "defaultDownloadsSpin")->value(), 5);
        QCOMPARE(child<QComboBox>(&again, "argonPresetCombo")->currentIndex(), 1);
        QVERIFY(child<QCheckBox>(&again, "appOnlyLinksCheck")->isChecked());
        QCOMPARE(child<QLineEdit>(&again, "relayUrlEdit")->text(), m_relayUrl);

        // An address that is not allowed is refused with a sentence and the old one is kept.
        auto* relay = child<QLineEdit>(&again, "relayUrlEdit");
        relay->setText(QStringLiteral("http://relay.example.org"));
        Q_EMIT relay->editingFinished();
        QTRY_VERIFY(!again.busy());
        QVERIFY(child<QLabel>(&again, "testConnectionResult")->text().contains(QStringLiteral("https://")));
        QCOMPARE(Settings().relayUrl(), QUrl(m_relayUrl));
    }

    void testConnectionReportsBothWays() {
        SettingsPage page(m_settings.get());
        QVERIFY(showActive(page));
        QSignalSpy tested(&page, &SettingsPage::connectionTested);
        auto* relay = child<QLineEdit>(&page, "relayUrlEdit");
        auto* result = child<QLabel>(&page, "testConnectionResult");

        child<QPushButton>(&page, "testConnectionButton")->click();
        QVERIFY(tested.wait(kWaitMs));
        QVERIFY(tested.at(0).at(0).toBool());
        QVERIFY2(result->text().startsWith(QStringLiteral("Connected")), qPrintable(result->text()));

        // Nothing listens on this port: a clear failure, as a sentence, with what to do.
        const quint16 closed = ots::relaytest::freeLoopbackPort();
        relay->setText(QStringLiteral("http://127.0.0.1:%1").arg(closed));
        relay->setFocus();
        QTest::keyClick(relay, Qt::Key_Return); // Enter in the field tests the address
        QVERIFY(tested.wait(kWaitMs));
        QVERIFY(!tested.at(1).at(0).toBool());
        const QString failure = result->text();
        QVERIFY2(failure.endsWith(QLatin1Char('.')) && failure.size() > 40, qPrintable(failure));
        QVERIFY2(failure.contains(QStringLiteral("try again")), qPrintable(failure));
        QVERIFY(!failure.contains(QStringLiteral("Connected")));
        QTRY_VERIFY(!page.busy());
        m_settings->setRelayUrl(QUrl(m_relayUrl)); // the closed port was saved by Enter; put it back
    }

    void themeSwitchChangesPalette() {
        SettingsPage page(m_settings.get());
        auto* theme = child<QComboBox>(&page, "themeCombo");
        theme->setCurrentIndex(theme->findData(static_cast<int>(Settings::Theme::Dark)));
        QCOMPARE(Theme::effective(), Settings::Theme::Dark);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 200);
        QCOMPARE(QApplication::style()->name().toLower(), QStringLiteral("fusion"));
        QCOMPARE(Settings().theme(), Settings::Theme::Dark);

        theme->setCurrentIndex(theme->findData(static_cast<int>(Settings::Theme::Light)));
        QCOMPARE(Theme::effective(), Settings::Theme::Light);
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 200);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() < 80);

        // Follow the system: the offscreen platform's palette is light.
        theme->setCurrentIndex(theme->findData(static_cast<int>(Settings::Theme::System)));
        QCOMPARE(Theme::effective(),
                 Theme::systemPrefersDark() ? Settings::Theme::Dark : Settings::Theme::Light);
        QCOMPARE(Settings().theme(), Settings::Theme::System);
    }
};

int main(int argc, char* argv[]) {
    QApplication app(argc, argv);
    Q_INIT_RESOURCE(onetimeshare);
    TestGuiHistorySettings test;
    QTEST_SET_MAIN_SOURCE_PATH
    return QTest::qExec(&test, argc, argv);
}

#include "tst_gui_history_settings.moc"
