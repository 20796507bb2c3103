#pragma once

// A throw-away self-signed certificate (P-256, valid one day) from the openssl command, for tests that
// speak TLS: `commonName` is its CN, `subjectAltName` (e.g. "IP:127.0.0.1") its only alternative name.

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QStringList>

namespace ots::test {

/// Writes the certificate and its key (PEM); empty on success, else what went wrong.
inline QByteArray makeTestCertificate(const QString& commonName, const QString& subjectAltName,
                                      const QString& certificatePath, const QString& keyPath) {
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("ec"), QStringLiteral("-pkeyopt"),
                   QStringLiteral("ec_paramgen_curve:P-256"), QStringLiteral("-nodes"),
                   QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=") + commonName, QStringLiteral("-addext"),
                   QStringLiteral("subjectAltName=") + subjectAltName, QStringLiteral("-keyout"), keyPath,
                   QStringLiteral("-out"), certificatePath});
    if (!openssl.waitForFinished(30'000))
        return "openssl did not finish: " + openssl.errorString().toUtf8();
    if (openssl.exitStatus() != QProcess::NormalExit || openssl.exitCode() != 0)
        return "openssl failed: " + openssl.readAllStandardError();
    return {};
}

} // namespace ots::test
