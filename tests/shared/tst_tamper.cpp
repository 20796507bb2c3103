// Tampering with a real share: a byte flipped at many positions of the ciphertext (header fields,
// chunk indices, first, middle and last chunk bodies, every tag byte) and the ciphertext cut at
// many lengths. Every variant must be rejected, none may yield a payload, and extraction into a
// folder must leave that folder exactly as empty as it was.

#include "TestUtil.h"
#include "ots/Crypto.h"
#include "ots/ShareArchive.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <optional>
#include <sys/resource.h>

using namespace ots;
using namespace ots::test;

namespace {

constexpr qsizetype kHeader = qsizetype(format::kStreamHeaderBytes);
constexpr qsizetype kFrame = qsizetype(format::kChunkFrameBytes);
constexpr qsizetype kTag = qsizetype(format::kChunkTagBytes);

void writeFile(const QString& path, const QByteArray& content) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        qFatal("cannot write fixture");
}

} // namespace

class TestTamper : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() {
        QVERIFY(initialize().ok());
        m_keys.emplace(keysFromFreshSecret());
        QVERIFY(m_source.isValid());
        // A small tree whose container spans four chunks, so there is a first, middle and last chunk.
        QVERIFY(QDir(m_source.path()).mkpath(QStringLiteral("share/nested")));
        writeFile(m_source.filePath(QStringLiteral("share/a.bin")), pattern(100'000));
        writeFile(m_source.filePath(QStringLiteral("share/nested/b.txt")), QByteArrayLiteral("hello\n"));
        writeFile(m_source.filePath(QStringLiteral("share/nested/c.bin")), pattern(120'000));

        auto packer = ContainerPacker::fromPaths({m_source.filePath(QStringLiteral("share")).toStdString()});
        QVERIFY(packer.ok());
        const ByteSink sink = [this](ByteView bytes) {
            m_ciphertext.append(toQ(bytes));
            return Status{};
        };
        QVERIFY(encryptContainer(*packer, *m_keys, sink).ok());
        QCOMPARE(m_ciphertext.size(), qsizetype(StreamEncryptor::ciphertextSize(packer->payloadSize())));
        m_chunks = (m_ciphertext.size() - kHeader + kFrame - 1) / kFrame;
        QCOMPARE(m_chunks, qsizetype(4));

        // The untouched ciphertext extracts completely.
        QTemporaryDir target;
        auto files = extract(m_ciphertext, target.path(), 4096);
        QVERIFY2(files.ok(), files.ok() ? "" : describe(files.error()).c_str());
        QCOMPARE(listTree(target.path()),
                 QStringList({QStringLiteral("share"), QStringLiteral("share/a.bin"),
                              QStringLiteral("share/nested"), QStringLiteral("share/nested/b.txt"),
                              QStringLiteral("share/nested/c.bin")}));
    }

    void flippedByte_data() {
        QTest::addColumn<qsizetype>("position");
        // Every header byte: magic, version, reserved, padded size, commitment, secretstream header, MAC.
        for (qsizetype i = 0; i < kHeader; ++i)
            QTest::newRow(qPrintable(QStringLiteral("header %1").arg(i))) << i;
        for (qsizetype c = 0; c < m_chunks; ++c) {
            const qsizetype start = kHeader + c * kFrame;
            const qsizetype end = std::min(start + kFrame, m_ciphertext.size());
            QList<qsizetype> positions{start,     start + 7,   start + 8,
                                       start + 9, start + 100, (start + end) / 2};
            for (qsizetype t = end - kTag; t < end; ++t) // tag byte, MAC bytes
                positions << t;
            positions << end - kTag - 1;
            for (qsizetype p : positions)
                QTest::newRow(qPrintable(QStringLiteral("chunk %1 byte %2").arg(c).arg(p - start))) << p;
        }
    }

    void flippedByte() {
        QFETCH(qsizetype, position);
        for (char mask : {char(0x01), char(0x80)}) {
            QByteArray bad = m_ciphertext;
            bad[position] = char(bad[position] ^ mask);
            expectRejected(bad);
        }
    }

    void truncated_data() {
        QTest::addColumn<qsizetype>("length");
        QList<qsizetype> lengths{0, 1, 3, 4, 5, kHeader - 1, kHeader, kHeader + 1, kHeader + 8};
        for (qsizetype c = 0; c < m_chunks; ++c) {
            const qsizetype start = kHeader + c * kFrame;
            lengths << start + kFrame / 2 << start + kFrame - 1 << start + kFrame;
        }
        for (qsizetype step = 1; step < m_ciphertext.size(); step += 9973)
            lengths << step;
        lengths << m_ciphertext.size() - 1;
        for (qsizetype length : lengths)
            if (length < m_ciphertext.size())
                QTest::newRow(qPrintable(QString::number(length))) << length;
    }

    void truncated() {
        QFETCH(qsizetype, length);
        expectRejected(m_ciphertext.left(length));
    }

    void trailingAndReordered() {
        expectRejected(m_ciphertext + QByteArray(1, '\0'));
        expectRejected(m_ciphertext + m_ciphertext.right(kFrame));
        QByteArray swapped = m_ciphertext;
        swapped.replace(kHeader + kFrame, kFrame, m_ciphertext.mid(kHeader + 2 * kFrame, kFrame));
        swapped.replace(kHeader + 2 * kFrame, kFrame, m_ciphertext.mid(kHeader + kFrame, kFrame));
        expectRejected(swapped);
        QByteArray duplicated = m_ciphertext;
        duplicated.replace(kHeader + kFrame, kFrame, m_ciphertext.mid(kHeader, kFrame));
        expectRejected(duplicated);
    }

    void wrongKey() { expectRejected(m_ciphertext, keysFromFreshSecret()); }

    void diskFullLeavesNothing() {
        // The file-size limit makes every write past 64 KiB fail, as a full disk would: extraction must
        // fail with a clear error and leave nothing behind.
        QTemporaryDir target;
        rlimit previous{};
        QCOMPARE(getrlimit(RLIMIT_FSIZE, &previous), 0);
        const auto oldHandler = std::signal(SIGXFSZ, SIG_IGN);
        rlimit limited = previous;
        limited.rlim_cur = 64 * 1024;
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &limited), 0);
        auto files = extract(m_ciphertext, target.path(), 4096);
        QCOMPARE(setrlimit(RLIMIT_FSIZE, &previous), 0);
        std::signal(SIGXFSZ, oldHandler);
        QVERIFY(!files.ok());
        QCOMPARE(files.code(), Errc::IoDiskFull);
        QVERIFY(listTree(target.path()).isEmpty());
    }

private:
    Result<std::vector<std::filesystem::path>> extract(const QByteArray& ciphertext, const QString& target,
                                                       qsizetype piece, const ShareKeys* keys = nullptr) {
        auto extractor = ShareExtractor::create(keys ? *keys : *m_keys, target.toStdString());
        if (!extractor.ok())
            return extractor.error();
        for (qsizetype at = 0; at < ciphertext.size(); at += piece) {
            if (auto pushed = (*extractor)->push(view(ciphertext.mid(at, piece))); !pushed.ok())
                return pushed.error();
        }
        return (*extractor)->finish();
    }

    void expectRejected(const QByteArray& ciphertext, const ShareKeys& keys) {
        // The raw stream never yields a complete payload ...
        const Decrypted raw = decrypt(keys, ciphertext, 5000);
        QVERIFY(!raw.status.ok());
        // ... and extraction leaves the folder empty, whether the bytes come at once or in pieces.
        for (qsizetype piece : {qsizetype(1) << 30, qsizetype(4096)}) {
            QTemporaryDir target;
            QVERIFY(target.isValid());
            auto files = extract(ciphertext, target.path(), piece, &keys);
            QVERIFY(!files.ok());
            QVERIFY2(listTree(target.path()).isEmpty(),
                     qPrintable(listTree(target.path()).join(QLatin1Char(' '))));
        }
    }
    void expectRejected(const QByteArray& ciphertext) { expectRejected(ciphertext, *m_keys); }

    QTemporaryDir m_source;
    std::optional<ShareKeys> m_keys; // after initialize()
    QByteArray m_ciphertext;
    qsizetype m_chunks = 0;
};

QTEST_GUILESS_MAIN(TestTamper)
#include "tst_tamper.moc"
