#pragma once

// One nginx (Debian's package) run by a test with a shipped recipe: the recipe's text with the test's
// substitutions (each must match, so a changed recipe fails the test instead of being tested half),
// inside a main nginx.conf that keeps every path in one prefix folder. Used by the installer tests
// (nginx_e2e.cpp, fleet_e2e.cpp).

#include "../relay/RelayProcess.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>
#include <QPair>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QString>
#include <QStringList>

#include <csignal>
#include <sys/prctl.h>
#include <unistd.h>

namespace ots::relaytest {

/// One nginx master (and its worker) as a child of the test, in its own prefix folder: the recipe
/// with the test's substitutions, plus a main nginx.conf that keeps every path inside the folder.
class NginxProcess {
public:
    NginxProcess() = default;
    NginxProcess(const NginxProcess&) = delete;
    NginxProcess& operator=(const NginxProcess&) = delete;
    ~NginxProcess() { stop(); }

    /// Writes the configuration from recipe (with replacements, each of which must match) and
    /// starts nginx; waits until the plain port answers. On failure, error() says why.
    [[nodiscard]] bool start(const QString& prefix, const QByteArray& recipe,
                             const QList<QPair<QByteArray, QByteArray>>& replacements, quint16 plainPort) {
        m_prefix = prefix;
        QByteArray site = recipe;
        for (const auto& [from, to] : replacements) {
            if (!site.contains(from)) {
                m_error =
                    QStringLiteral("the recipe no longer contains \"%1\"; update the test's substitutions")
                        .arg(QString::fromUtf8(from));
                return false;
            }
            site.replace(from, to);
        }
        QDir().mkpath(prefix + QStringLiteral("/logs"));
        const QByteArray p = QFile::encodeName(prefix);
        const QByteArray mainConf = "worker_processes 1;\n"
                                    "pid " +
                                    p +
                                    "/nginx.pid;\n"
                                    "events { worker_connections 256; }\n"
                                    "http {\n"
                                    "    client_body_temp_path " +
                                    p + "/body;\n    proxy_temp_path " + p +
                                    "/proxy;\n    fastcgi_temp_path " + p +
                                    "/fastcgi;\n    uwsgi_temp_path " + p + "/uwsgi;\n    scgi_temp_path " +
                                    p + "/scgi;\n    include " + p + "/site.conf;\n}\n";
        if (!writeFile(prefix + QStringLiteral("/site.conf"), site) ||
            !writeFile(prefix + QStringLiteral("/nginx.conf"), mainConf)) {
            m_error = QStringLiteral("cannot write the nginx configuration");
            return false;
        }
        const QString nginx = QStandardPaths::findExecutable(
            QStringLiteral("nginx"), {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/bin")});
        if (nginx.isEmpty()) {
            m_error =
                QStringLiteral("nginx is not installed (Debian package nginx; installer/setup.sh deps)");
            return false;
        }
        m_process.setProgram(nginx);
        m_process.setArguments({QStringLiteral("-p"), prefix + QLatin1Char('/'), QStringLiteral("-c"),
                                prefix + QStringLiteral("/nginx.conf"), QStringLiteral("-e"), errorLogPath(),
                                QStringLiteral("-g"), QStringLiteral("daemon off;")});
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.setStandardOutputFile(prefix + QStringLiteral("/logs/stdout.log"));
        // If the test dies before it can stop nginx, the kernel tells nginx to quit.
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
        m_process.start();
        if (!m_process.waitForStarted(10'000)) {
            m_error = QStringLiteral("nginx did not start: ") + m_process.errorString();
            return false;
        }
        const bool serving = waitUntil(
            [&] {
                if (m_process.state() == QProcess::NotRunning)
                    return true;
                HttpConnection connection(plainPort);
                return connection.connect(500) &&
                       connection.request({"GET", "/healthz", {}, {}}, 2000).status == 200;
            },
            20'000);
        if (!serving || m_process.state() == QProcess::NotRunning) {
            m_error = QStringLiteral("nginx is not serving /healthz on port %1; its error log:\n%2")
                          .arg(plainPort)
                          .arg(QString::fromUtf8(readFile(errorLogPath()).right(3000)));
            return false;
        }
        return true;
    }
    void stop() { stopChild(m_process, true); }
    [[nodiscard]] qint64 pid() const { return m_process.processId(); }

    [[nodiscard]] const QString& error() const { return m_error; }
    [[nodiscard]] QString errorLogPath() const { return m_prefix + QStringLiteral("/logs/error.log"); }
    [[nodiscard]] QString path(const QString& name) const { return m_prefix + QLatin1Char('/') + name; }

    /// A self-signed P-256 certificate for relay.example.org (the recipes' server_name) with openssl;
    /// empty on success, else why not.
    static QString makeCertificate(const QString& certificatePath, const QString& keyPath) {
        QProcess openssl;
        openssl.start(QStringLiteral("openssl"),
                      {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                       QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                       QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                       QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                       QStringLiteral("/CN=relay.example.org"), QStringLiteral("-addext"),
                       QStringLiteral("subjectAltName=DNS:relay.example.org"), QStringLiteral("-keyout"),
                       keyPath, QStringLiteral("-out"), certificatePath});
        if (openssl.waitForFinished(30'000) && openssl.exitStatus() == QProcess::NormalExit &&
            openssl.exitCode() == 0)
            return {};
        return QStringLiteral("openssl req failed: ") + QString::fromUtf8(openssl.readAllStandardError());
    }
    /// The substitutions every shipped site needs on a test machine (the upstream aside): nginx
    /// listens on loopback ports — a plain listener joins the TLS server so the `ots` CLI (http only
    /// to loopback) goes through the very same location blocks — and its certificate (cert.pem,
    /// key.pem), ACME webroot (acme) and logs (nginx/logs/) are in folder.
    static QList<QPair<QByteArray, QByteArray>> siteSubstitutions(quint16 plain, quint16 tls,
                                                                  quint16 redirect, const QString& folder) {
        const auto file = [&folder](const char* name) {
            return QFile::encodeName(folder + QLatin1Char('/') + QString::fromUtf8(name));
        };
        return {
            {"listen 80;", "listen 127.0.0.1:" + QByteArray::number(redirect) + ';'},
            {"listen [::]:80;", ""},
            {"listen 443 ssl;", "listen 127.0.0.1:" + QByteArray::number(tls) +
                                    " ssl;\n    listen 127.0.0.1:" + QByteArray::number(plain) + ';'},
            {"listen [::]:443 ssl;", ""},
            {"/etc/letsencrypt/live/relay.example.org/fullchain.pem", file("cert.pem")},
            {"/etc/letsencrypt/live/relay.example.org/privkey.pem", file("key.pem")},
            {"/var/www/letsencrypt", file("acme")},
            {"/var/log/nginx/", file("nginx/logs/")},
        };
    }

    /// Prepares process to run the `ots` CLI at binary with its own settings folder (folder/config) and
    /// the file secret store, in folder and in its own session (so it never prompts on the terminal
    /// the tests run in).
    static void prepareCli(QProcess& process, const QString& binary, const QStringList& arguments,
                           const QString& folder) {
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("OTS_CONFIG_DIR"), folder + QStringLiteral("/config"));
        environment.insert(QStringLiteral("OTS_SECRET_STORE"), QStringLiteral("file"));
        process.setProcessEnvironment(environment);
        process.setProgram(binary);
        process.setArguments(arguments);
        process.setWorkingDirectory(folder);
        process.setChildProcessModifier([] {
            ::setsid();
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        });
    }

    static bool writeFile(const QString& path, const QByteArray& content) {
        QFile file(path);
        return file.open(QIODevice::WriteOnly | QIODevice::Truncate) && file.write(content) == content.size();
    }
    static QByteArray readFile(const QString& path) {
        QFile file(path);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

private:
    QString m_prefix;
    QProcess m_process;
    QString m_error;
};

} // namespace ots::relaytest
