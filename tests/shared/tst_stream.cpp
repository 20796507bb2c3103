// The v1 stream format: round trips at every size boundary, exact ciphertext sizes, bounded memory,
// and the encryptor's refusal of a payload that does not match its declared size.

#include "TestUtil.h"
#include "ots/Crypto.h"
#include "ots/Padding.h"
#include "ots/ShareArchive.h"
#include "ots/StreamHeader.h"

#include <QTest>

#include <limits>
#include <sys/resource.h>
#include <vector>

using namespace ots;
using namespace ots::test;

namespace {
long peakRssKiB() {
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}
} // namespace

class TestStream : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { QVERIFY(initialize().ok()); }

    void roundTrip_data() {
        QTest::addColumn<qsizetype>("length");
        const qsizetype chunk = format::kChunkPlainBytes;
        for (qsizetype length : {qsizetype(0), qsizetype(1), qsizetype(4087), qsizetype(4088),
                                 qsizetype(4089), chunk - 9, chunk - 8, chunk - 7, chunk, 2 * chunk - 8,
                                 2 * chunk - 7, 3 * chunk + 12345, qsizetype(1) << 20})
            QTest::newRow(qPrintable(QString::number(length))) << length;
    }

    void roundTrip() {
        QFETCH(qsizetype, length);
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray payload = pattern(length);
        const QByteArray ciphertext = encrypt(keys, payload);
        QCOMPARE(std::uint64_t(ciphertext.size()), StreamEncryptor::ciphertextSize(std::uint64_t(length)));

        auto header = StreamHeader::parse(view(ciphertext.left(format::kStreamHeaderBytes)));
        QVERIFY(header.ok());
        QCOMPARE(header->paddedSize, padding::paddedSize(std::uint64_t(length)));

        for (qsizetype piece : {qsizetype(0), qsizetype(1000), qsizetype(format::kChunkFrameBytes),
                                qsizetype(format::kChunkFrameBytes + 1)}) {
            const Decrypted back = decrypt(keys, ciphertext, piece);
            QVERIFY2(back.status.ok(), describe(back.status.error()).c_str());
            QCOMPARE(back.payload, payload);
        }
    }

    void validCiphertextSizesAreExactlyTheProducedOnes() {
        // Every size up to that of a 300,000-byte payload: valid exactly when some payload produces it.
        constexpr std::uint64_t maxPayload = 300'000;
        const std::uint64_t limit = StreamEncryptor::ciphertextSize(maxPayload);
        std::vector<bool> produced(limit + 1, false);
        for (std::uint64_t length = 0; length <= maxPayload; ++length)
            produced[StreamEncryptor::ciphertextSize(length)] = true;
        for (std::uint64_t size = 0; size <= limit; ++size)
            QVERIFY2(StreamEncryptor::isValidCiphertextSize(size) == produced[size],
                     qPrintable(QString::number(size)));

        const std::uint64_t largest = StreamEncryptor::ciphertextSize(format::kMaxPayloadBytes);
        QVERIFY(StreamEncryptor::isValidCiphertextSize(largest));
        QVERIFY(!StreamEncryptor::isValidCiphertextSize(largest + 1));
        QVERIFY(!StreamEncryptor::isValidCiphertextSize(std::numeric_limits<std::uint64_t>::max()));
    }

    void encryptorPiecesDoNotMatter() {
        // Pushing the payload in odd pieces gives a stream that decrypts to the same bytes.
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray payload = pattern(200'000);
        auto enc = StreamEncryptor::create(keys, std::uint64_t(payload.size()));
        QVERIFY(enc.ok());
        QByteArray ciphertext = toQ(enc->header());
        const ByteSink sink = [&](ByteView frame) {
            ciphertext.append(toQ(frame));
            return Status{};
        };
        for (qsizetype at = 0; at < payload.size(); at += 7777)
            QVERIFY(enc->push(view(payload.mid(at, 7777)), sink).ok());
        QVERIFY(enc->finish(sink).ok());
        const Decrypted back = decrypt(keys, ciphertext);
        QVERIFY(back.status.ok());
        QCOMPARE(back.payload, payload);
    }

    void sizeMismatchRefused() {
        const ShareKeys keys = keysFromFreshSecret();
        const ByteSink discard = [](ByteView) { return Status{}; };
        auto tooMuch = StreamEncryptor::create(keys, 10);
        QVERIFY(tooMuch.ok());
        QCOMPARE(tooMuch->push(view(pattern(11)), discard).code(), Errc::StreamSizeMismatch);
        auto tooLittle = StreamEncryptor::create(keys, 10);
        QVERIFY(tooLittle.ok());
        QVERIFY(tooLittle->push(view(pattern(9)), discard).ok());
        QCOMPARE(tooLittle->finish(discard).code(), Errc::StreamSizeMismatch);
        auto twice = StreamEncryptor::create(keys, 0);
        QVERIFY(twice.ok());
        QVERIFY(twice->finish(discard).ok());
        QCOMPARE(twice->finish(discard).code(), Errc::StreamFinished);
        QCOMPARE(StreamEncryptor::create(keys, format::kMaxPayloadBytes + 1).code(), Errc::StreamTooLarge);
    }

    void sinkErrorStopsEncryption() {
        const ShareKeys keys = keysFromFreshSecret();
        auto enc = StreamEncryptor::create(keys, 300'000);
        QVERIFY(enc.ok());
        const ByteSink full = [](ByteView) { return Status(Errc::IoDiskFull); };
        QCOMPARE(enc->push(view(pattern(300'000)), full).code(), Errc::IoDiskFull);
    }

    void sinkErrorStopsDecryption() {
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray ciphertext = encrypt(keys, pattern(100));
        auto dec = StreamDecryptor::create(keys);
        QVERIFY(dec.ok());
        const ByteSink full = [](ByteView) { return Status(Errc::IoDiskFull); };
        QCOMPARE(dec->push(view(ciphertext), full).code(), Errc::IoDiskFull);
        QCOMPARE(dec->finish().code(), Errc::IoDiskFull); // stays failed
    }

    void sameKeyFreshStream() {
        // Two encryptions of the same payload under the same key share nothing but the commitment.
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray a = encrypt(keys, pattern(1000));
        const QByteArray b = encrypt(keys, pattern(1000));
        QCOMPARE(a.size(), b.size());
        QCOMPARE(a.mid(16, 32), b.mid(16, 32));  // key commitment
        QVERIFY(a.mid(48, 24) != b.mid(48, 24)); // secretstream header
        QVERIFY(a.mid(format::kStreamHeaderBytes) != b.mid(format::kStreamHeaderBytes));
    }

    void cloneRepeatsTheStreamExactly() {
        // A clone taken before the first push restarts the very same stream (an upload resumes by
        // regenerating what the relay already has); a clone taken half-way continues it identically.
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray payload = pattern(3 * qsizetype(format::kChunkPlainBytes) + 777);
        auto original = StreamEncryptor::create(keys, std::uint64_t(payload.size()));
        QVERIFY(original.ok());
        auto pristine = original->clone();
        QVERIFY(pristine.ok());

        const auto run = [&](StreamEncryptor& enc, const QByteArray& part, QByteArray& out, bool end) {
            const ByteSink sink = [&](ByteView frame) {
                out.append(toQ(frame));
                return Status{};
            };
            QVERIFY(enc.push(view(part), sink).ok());
            if (end)
                QVERIFY(enc.finish(sink).ok());
        };
        const qsizetype half = payload.size() / 2 + 5;
        QByteArray first = toQ(original->header());
        run(*original, payload.left(half), first, false);
        auto midway = original->clone();
        QVERIFY(midway.ok());
        QByteArray firstTail;
        run(*original, payload.mid(half), firstTail, true);
        first += firstTail;

        QByteArray second = toQ(pristine->header());
        run(*pristine, payload, second, true);
        QCOMPARE(second, first);

        QByteArray midwayTail;
        run(*midway, payload.mid(half), midwayTail, true);
        QCOMPARE(midwayTail, firstTail);

        const Decrypted back = decrypt(keys, first);
        QVERIFY(back.status.ok());
        QCOMPARE(back.payload, payload);
        QCOMPARE(original->clone().code(), Errc::StreamFinished);
    }

    void resumeFromTheHeaderRepeatsTheStream() {
        // After a restart of the program only the keys and the header (the stream's first bytes, kept
        // with the unfinished upload) are left: resume() regenerates the very same ciphertext, and
        // refuses a header made under other keys, altered, or for another payload size.
        const ShareKeys keys = keysFromFreshSecret();
        const QByteArray payload = pattern(2 * qsizetype(format::kChunkPlainBytes) + 321);
        const auto size = std::uint64_t(payload.size());
        const QByteArray first = encrypt(keys, payload);
        const QByteArray header = first.left(format::kStreamHeaderBytes);

        auto resumed = StreamEncryptor::resume(keys, size, view(header));
        QVERIFY(resumed.ok());
        QByteArray second = toQ(resumed->header());
        const ByteSink sink = [&](ByteView frame) {
            second.append(toQ(frame));
            return Status{};
        };
        QVERIFY(resumed->push(view(payload), sink).ok());
        QVERIFY(resumed->finish(sink).ok());
        QCOMPARE(second, first);

        QCOMPARE(StreamEncryptor::resume(keysFromFreshSecret(), size, view(header)).code(),
                 Errc::StreamWrongKey);
        QByteArray altered = header;
        altered[60] = static_cast<char>(altered[60] ^ 1);
        QCOMPARE(StreamEncryptor::resume(keys, size, view(altered)).code(), Errc::StreamHeaderTampered);
        QCOMPARE(StreamEncryptor::resume(keys, size * 4, view(header)).code(), Errc::StreamMalformed);
        QVERIFY(!StreamEncryptor::resume(keys, size, view(header.left(50))).ok());
    }

    void encryptContainerWithPreparedEncryptor() {
        // encryptContainer with two clones of one encryptor gives byte-identical ciphertext, equal in
        // size to what the one-call form produces; a clone for another payload size is refused.
        const ShareKeys keys = keysFromFreshSecret();
        const ContainerPacker packer = ContainerPacker::fromText("message.txt", std::string(100'000, 'x'));
        auto prepared = StreamEncryptor::create(keys, packer.payloadSize());
        QVERIFY(prepared.ok());
        QByteArray outputs[2];
        for (QByteArray& out : outputs) {
            auto copy = prepared->clone();
            QVERIFY(copy.ok());
            const ByteSink sink = [&](ByteView bytes) {
                out.append(toQ(bytes));
                return Status{};
            };
            QVERIFY(encryptContainer(packer, std::move(copy).value(), sink).ok());
        }
        QCOMPARE(outputs[0], outputs[1]);
        QCOMPARE(std::uint64_t(outputs[0].size()), StreamEncryptor::ciphertextSize(packer.payloadSize()));

        auto other = StreamEncryptor::create(keys, packer.payloadSize() + 1);
        QVERIFY(other.ok());
        const ByteSink discard = [](ByteView) { return Status{}; };
        QCOMPARE(encryptContainer(packer, std::move(other).value(), discard).code(), Errc::InvalidArgument);
    }

    void memoryStaysBounded() {
        // 512 MiB through encryptor and decryptor without keeping it: peak RSS must not grow with the
        // payload (a few MiB of slack for the allocator and sanitizer shadow).
        const ShareKeys keys = keysFromFreshSecret();
        const std::uint64_t total = std::uint64_t{512} << 20;
        const QByteArray block = pattern(1 << 20);
        auto enc = StreamEncryptor::create(keys, total);
        auto dec = StreamDecryptor::create(keys);
        QVERIFY(enc.ok() && dec.ok());
        std::uint64_t received = 0;
        const ByteSink countPlain = [&](ByteView data) {
            received += data.size();
            return Status{};
        };
        const ByteSink toDecryptor = [&](ByteView frame) { return dec->push(frame, countPlain); };
        QVERIFY(toDecryptor(enc->header()).ok());
        const long before = peakRssKiB();
        for (std::uint64_t sent = 0; sent < total; sent += std::uint64_t(block.size()))
            QVERIFY(enc->push(view(block), toDecryptor).ok());
        QVERIFY(enc->finish(toDecryptor).ok());
        QVERIFY(dec->finish().ok());
        QCOMPARE(received, total);
        const long grownKiB = peakRssKiB() - before;
        qInfo("peak RSS grew by %ld KiB over 512 MiB", grownKiB);
        QVERIFY(grownKiB < 8 * 1024);
    }
};

QTEST_GUILESS_MAIN(TestStream)
#include "tst_stream.moc"
