// The one-node Ceph cluster the S3 tests use (CephCluster.h): it starts on loopback, its gateway
// answers S3, its bucket index can be read independently of any S3 client, two run at once, and no
// daemon outlives stop() or a test process that dies.

#include "CephCluster.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QProcess>
#include <QTest>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdio>

using ots::test::CephCluster;

namespace {

/// True when no process has this PID any more.
bool gone(qint64 pid) {
    return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

/// Polls until every PID is gone (a SIGKILLed orphan is reaped by init, not at once).
bool allGone(const QList<qint64>& pids, int milliseconds) {
    const QDeadlineTimer deadline(milliseconds);
    for (;;) {
        if (std::all_of(pids.begin(), pids.end(), gone))
            return true;
        if (deadline.hasExpired())
            return false;
        QThread::msleep(50);
    }
}

constexpr char crashChildVariable[] = "OTS_CEPH_CRASH_CHILD";

} // namespace

class TestCephCluster : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(m_cluster.start(), qPrintable(m_cluster.errorString()));
        qInfo("Ceph cluster (mon, OSD, radosgw) up with an S3 user and a bucket in %.1f s",
              static_cast<double>(m_cluster.startMilliseconds()) / 1000.0);
        QCOMPARE(m_cluster.pids().size(), 3);
        QVERIFY(m_cluster.endpoint().startsWith(QLatin1String("http://127.0.0.1:")));
        QVERIFY(!m_cluster.accessKeyId().isEmpty());
        QVERIFY(!m_cluster.secretAccessKey().isEmpty());
    }

    void gatewayAnswersS3Errors() {
        // Anonymous requests: the private bucket refuses, an unknown one does not exist.
        const CephCluster::Answer refused =
            m_cluster.request("GET", QLatin1Char('/') + m_cluster.bucket(), {}, {}, true);
        QCOMPARE(refused.status, 403);
        QVERIFY2(refused.body.contains("<Code>AccessDenied</Code>"), refused.body.constData());
        const CephCluster::Answer missing =
            m_cluster.request("GET", QStringLiteral("/no-such-bucket"), {}, {}, true);
        QCOMPARE(missing.status, 404);
        QVERIFY2(missing.body.contains("<Code>NoSuchBucket</Code>"), missing.body.constData());
        // Signed with the user's keys (SigV4), the same bucket lists.
        const CephCluster::Answer listed = m_cluster.request("GET", QLatin1Char('/') + m_cluster.bucket());
        QCOMPARE(listed.status, 200);
        QVERIFY2(listed.body.contains("<ListBucketResult"), listed.body.constData());
    }

    void newBucketIsEmpty() {
        const auto objects = m_cluster.objects(m_cluster.bucket());
        QVERIFY2(objects.has_value(), qPrintable(m_cluster.errorString()));
        QVERIFY(objects->isEmpty());
        const auto uploads = m_cluster.multipartUploads(m_cluster.bucket());
        QVERIFY2(uploads.has_value(), qPrintable(m_cluster.errorString()));
        QVERIFY(uploads->isEmpty());
        QVERIFY(!m_cluster.objects(QStringLiteral("no-such-bucket")).has_value());
    }

    void indexShowsObjectsAndMultipartUploads() {
        const QString bucket = m_cluster.bucket();
        const auto objectPath = [&bucket](const QString& key) {
            return QStringLiteral("/%1/%2").arg(bucket, key);
        };
        const auto initiate = [&](const QString& key) {
            const QByteArray body =
                m_cluster.request("POST", objectPath(key), {{QStringLiteral("uploads"), {}}}).body;
            const qsizetype start = body.indexOf("<UploadId>") + 10;
            return QString::fromUtf8(body.mid(start, body.indexOf("</UploadId>") - start));
        };
        const auto uploadPart = [&](const QString& key, const QString& uploadId) {
            const CephCluster::Answer answer = m_cluster.request(
                "PUT", objectPath(key),
                {{QStringLiteral("partNumber"), QStringLiteral("1")}, {QStringLiteral("uploadId"), uploadId}},
                QByteArray(1024, 'x'));
            const qsizetype start = answer.headers.toLower().indexOf("\r\netag: ") + 8;
            return answer.status == 200
                       ? answer.headers.mid(start, answer.headers.indexOf("\r\n", start) - start).trimmed()
                       : QByteArray();
        };

        const QString plainKey = QStringLiteral("ots/b/plain.object");
        QCOMPARE(m_cluster.request("PUT", objectPath(plainKey), {}, "hello").status, 200);
        const QString abortedKey = QStringLiteral("ots/b/aborted.upload");
        const QString abortedId = initiate(abortedKey);
        QVERIFY(!abortedId.isEmpty());
        QVERIFY(!uploadPart(abortedKey, abortedId).isEmpty());
        const QString completedKey = QStringLiteral("ots/b/completed.upload");
        const QString completedId = initiate(completedKey);
        QVERIFY(!completedId.isEmpty());
        const QByteArray etag = uploadPart(completedKey, completedId);
        QVERIFY(!etag.isEmpty());

        using Uploads = QList<CephCluster::MultipartUpload>;
        QCOMPARE(m_cluster.objects(bucket), std::optional<QStringList>(QStringList{plainKey}));
        QCOMPARE(m_cluster.multipartUploads(bucket),
                 std::optional<Uploads>(Uploads{{abortedKey, abortedId}, {completedKey, completedId}}));

        // Completed: an object, no longer an upload (its part is the object's now).
        const QByteArray completion = "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>" +
                                      etag + "</ETag></Part></CompleteMultipartUpload>";
        QCOMPARE(m_cluster
                     .request("POST", objectPath(completedKey), {{QStringLiteral("uploadId"), completedId}},
                              completion)
                     .status,
                 200);
        QCOMPARE(m_cluster.objects(bucket), std::optional<QStringList>(QStringList{completedKey, plainKey}));
        QCOMPARE(m_cluster.multipartUploads(bucket),
                 std::optional<Uploads>(Uploads{{abortedKey, abortedId}}));

        // Aborted and deleted: nothing left in the index.
        QCOMPARE(
            m_cluster.request("DELETE", objectPath(abortedKey), {{QStringLiteral("uploadId"), abortedId}})
                .status,
            204);
        QCOMPARE(m_cluster.request("DELETE", objectPath(plainKey)).status, 204);
        QCOMPARE(m_cluster.request("DELETE", objectPath(completedKey)).status, 204);
        QCOMPARE(m_cluster.objects(bucket), std::optional<QStringList>(QStringList{}));
        QCOMPARE(m_cluster.multipartUploads(bucket), std::optional<Uploads>(Uploads{}));
    }

    void twoClustersRunAtOnce() {
        CephCluster second;
        QVERIFY2(second.start(), qPrintable(second.errorString()));
        qInfo("A second cluster beside the first up in %.1f s",
              static_cast<double>(second.startMilliseconds()) / 1000.0);
        QVERIFY(second.rgwPort() != m_cluster.rgwPort());
        QVERIFY(second.folder() != m_cluster.folder());
        QVERIFY(second.accessKeyId() != m_cluster.accessKeyId());
        // Each gateway serves its own cluster: an object put into one is absent from the other.
        const QString key = QLatin1Char('/') + second.bucket() + QStringLiteral("/only-in-second");
        QCOMPARE(second.request("PUT", key, {}, "2").status, 200);
        QCOMPARE(second.request("GET", key).body, QByteArray("2"));
        QCOMPARE(m_cluster.request("GET", key).status, 404);
        QCOMPARE(m_cluster.objects(m_cluster.bucket())->size(), 0);
        QCOMPARE(second.objects(second.bucket())->size(), 1);

        const QList<qint64> pids = second.pids();
        const QString folder = second.folder();
        second.stop();
        QVERIFY(allGone(pids, 1000));
        QVERIFY(!QFileInfo::exists(folder));
        QVERIFY(second.pids().isEmpty());
        // The first cluster is untouched.
        QCOMPARE(m_cluster.request("GET", QLatin1Char('/') + m_cluster.bucket()).status, 200);
    }

    void stopLeavesNoProcessNorFolder() {
        const QList<qint64> pids = m_cluster.pids();
        QCOMPARE(pids.size(), 3);
        const QString folder = m_cluster.folder();
        QVERIFY(QFileInfo::exists(folder));
        m_cluster.stop();
        QVERIFY(allGone(pids, 1000));
        QVERIFY(!QFileInfo::exists(folder));
        m_cluster.stop(); // twice is harmless
    }

    void daemonsDieWithACrashedTest() {
        // This program again, as a child that starts a cluster, prints its PIDs and folder, and is killed.
        QProcess child;
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QLatin1String(crashChildVariable), QStringLiteral("1"));
        child.setProcessEnvironment(environment);
        child.start(QCoreApplication::applicationFilePath(), {});
        QVERIFY(child.waitForFinished(120'000));
        QCOMPARE(child.exitStatus(), QProcess::CrashExit);
        const QList<QByteArray> lines = child.readAllStandardOutput().trimmed().split('\n');
        QVERIFY2(lines.size() == 2, child.readAllStandardError().constData());
        QList<qint64> pids;
        for (const QByteArray& pid : lines.first().split(' '))
            pids.append(pid.toLongLong());
        QCOMPARE(pids.size(), 3);
        QVERIFY2(allGone(pids, 5000), "a Ceph daemon outlived the test process that started it");
        // The folder is left behind by a crash; the next start() (here: its cleanup alone) removes it.
        const QString folder = QString::fromUtf8(lines.last());
        QVERIFY(folder.contains(QLatin1String("ots-ceph-")));
        QVERIFY(QFileInfo::exists(folder + QStringLiteral("/ceph.conf")));
        CephCluster::removeStaleFolders();
        QVERIFY2(!QFileInfo::exists(folder), qPrintable(folder));
    }

private:
    CephCluster m_cluster;
};

/// The crash child of daemonsDieWithACrashedTest, or the tests.
int main(int argc, char** argv) {
    if (qEnvironmentVariableIsSet(crashChildVariable)) {
        QCoreApplication app(argc, argv);
        auto* cluster = new CephCluster; // never destroyed: the process dies with the cluster running
        if (!cluster->start()) {
            qWarning("%s", qPrintable(cluster->errorString()));
            return 1;
        }
        QStringList pids;
        for (const qint64 pid : cluster->pids())
            pids.append(QString::number(pid));
        std::printf("%s\n%s\n", qPrintable(pids.join(QLatin1Char(' '))), qPrintable(cluster->folder()));
        std::fflush(stdout);
        ::raise(SIGKILL); // as ctest ends a test past its timeout
        return 1;
    }
    QCoreApplication app(argc, argv);
    TestCephCluster test;
    return QTest::qExec(&test, argc, argv);
}

#include "tst_ceph_cluster.moc"
