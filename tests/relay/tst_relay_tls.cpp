// Native TLS: the relay started with a certificate and key serves HTTPS, refuses plaintext on the
// same port, and refuses to start with half a TLS configuration.

#include "RedisServer.h"
#include "TestCertificate.h"

#include <QProcess>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslSocket>
#include <QTemporaryDir>
#include <QTest>

#ifndef OTS_RELAY_BINARY
#error "OTS_RELAY_BINARY must name the ots-relay executable"
#endif

using ots::test::RedisServer;

class TestRelayTls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_redis.start());
        // A throw-away self-signed certificate for 127.0.0.1.
        const QByteArray made = ots::test::makeTestCertificate(
            QStringLiteral("127.0.0.1"), QStringLiteral("IP:127.0.0.1"), certificate(), key());
        QVERIFY2(made.isEmpty(), made.constData());
    }

    void servesHttps() {
        const quint16 port = RedisServer::freeLoopbackPort();
        QProcess relay;
        relay.start(QStringLiteral(OTS_RELAY_BINARY), arguments(port, true));
        QVERIFY(relay.waitForStarted());

        QByteArray answer;
        const QDeadlineTimer deadline(15'000);
        while (answer.isEmpty() && !deadline.hasExpired() && relay.state() == QProcess::Running) {
            QSslSocket socket;
            QSslConfiguration tls = socket.sslConfiguration();
            tls.setCaCertificates(QSslCertificate::fromPath(certificate()));
            socket.setSslConfiguration(tls);
            socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
            if (!socket.waitForEncrypted(1000)) {
                QTest::qWait(100);
                continue;
            }
            socket.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
            while (socket.waitForReadyRead(3000))
                answer += socket.readAll();
            answer += socket.readAll();
        }
        QVERIFY2(answer.startsWith("HTTP/1.1 200"), answer.constData());
        QVERIFY(answer.contains("ok"));

        // Plaintext HTTP on the TLS port never gets an HTTP answer.
        QTcpSocket plain;
        plain.connectToHost(QStringLiteral("127.0.0.1"), port);
        QVERIFY(plain.waitForConnected(3000));
        plain.write("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        QByteArray plainAnswer;
        while (plain.waitForReadyRead(2000))
            plainAnswer += plain.readAll();
        QVERIFY(!plainAnswer.startsWith("HTTP/1.1"));

        relay.terminate();
        QVERIFY(relay.waitForFinished(15'000));
        QCOMPARE(relay.exitCode(), 0);
    }

    void halfConfigurationRefused() {
        QProcess relay;
        QStringList args = arguments(RedisServer::freeLoopbackPort(), false);
        args << QStringLiteral("--tls-certificate") << certificate();
        relay.start(QStringLiteral(OTS_RELAY_BINARY), args);
        QVERIFY(relay.waitForFinished(15'000));
        QCOMPARE(relay.exitCode(), 2);
        QVERIFY(relay.readAllStandardError().contains("tls"));
    }

private:
    QString certificate() const { return m_dir.filePath(QStringLiteral("cert.pem")); }
    QString key() const { return m_dir.filePath(QStringLiteral("key.pem")); }

    QStringList arguments(quint16 port, bool tls) const {
        QStringList args{QStringLiteral("--listen"),     QStringLiteral("127.0.0.1:%1").arg(port),
                         QStringLiteral("--redis-port"), QString::number(m_redis.port()),
                         QStringLiteral("--data-dir"),   m_dir.filePath(QStringLiteral("data"))};
        if (tls)
            args << QStringLiteral("--tls-certificate") << certificate()
                 << QStringLiteral("--tls-private-key") << key();
        return args;
    }

    QTemporaryDir m_dir;
    RedisServer m_redis;
};

QTEST_GUILESS_MAIN(TestRelayTls)
#include "tst_relay_tls.moc"
