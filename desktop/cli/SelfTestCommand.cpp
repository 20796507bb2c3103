#include "SelfTestCommand.h"

#include "ots/Crypto.h"
#include "ots/ShareArchive.h"
#include "ots/StreamEncryptor.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace {

namespace fs = std::filesystem;

// Compares two trees entry by entry and byte by byte; returns the first difference, or empty.
QString compareTrees(const fs::path& expected, const fs::path& actual) {
    if (fs::is_directory(expected) != fs::is_directory(actual))
        return QStringLiteral("%1: file/folder mismatch").arg(QString::fromStdString(actual.string()));
    if (!fs::is_directory(expected)) {
        std::ifstream a(expected, std::ios::binary);
        std::ifstream b(actual, std::ios::binary);
        std::vector<char> x(1 << 16);
        std::vector<char> y(1 << 16);
        while (a && b) {
            a.read(x.data(), std::streamsize(x.size()));
            b.read(y.data(), std::streamsize(y.size()));
            if (a.gcount() != b.gcount() || !std::equal(x.begin(), x.begin() + a.gcount(), y.begin()))
                return QStringLiteral("%1: content differs").arg(QString::fromStdString(actual.string()));
        }
        return {};
    }
    std::vector<fs::path> left;
    std::vector<fs::path> right;
    for (const auto& e : fs::directory_iterator(expected))
        left.push_back(e.path().filename());
    for (const auto& e : fs::directory_iterator(actual))
        right.push_back(e.path().filename());
    std::sort(left.begin(), left.end());
    std::sort(right.begin(), right.end());
    if (left != right)
        return QStringLiteral("%1: different entries").arg(QString::fromStdString(actual.string()));
    for (const auto& name : left)
        if (QString diff = compareTrees(expected / name, actual / name); !diff.isEmpty())
            return diff;
    return {};
}

QString megabytes(std::uint64_t bytes) {
    return QString::number(double(bytes) / 1e6, 'f', 1) + QStringLiteral(" MB");
}

QString rate(std::uint64_t bytes, qint64 ms) {
    return QString::number(double(bytes) / 1e3 / double(std::max<qint64>(ms, 1)), 'f', 0) +
           QStringLiteral(" MB/s");
}

bool writeSample(const QString& dir) {
    // A little of everything the container carries: nesting, an empty folder and file, non-ASCII names.
    QDir root(dir);
    if (!root.mkpath(QStringLiteral("sample/Unterordner/leer")))
        return false;
    const QList<std::pair<QString, QByteArray>> files{
        {QStringLiteral("sample/api-key.txt"), QByteArrayLiteral("sk_live_this_is_what_you_would_share\n")},
        {QStringLiteral("sample/Unterordner/Grüße.txt"), QByteArrayLiteral("Gr\xc3\xbc\xc3\x9f"
                                                                           "e\n")},
        {QStringLiteral("sample/Unterordner/empty.bin"), QByteArray()},
        {QStringLiteral("sample/random-3MiB.bin"), QByteArray(3 << 20, '\0')},
    };
    for (const auto& [name, content] : files) {
        QFile f(root.filePath(name));
        QByteArray data = content;
        if (data.size() == (3 << 20))
            ots::randomBytes({reinterpret_cast<std::uint8_t*>(data.data()), std::size_t(data.size())});
        if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
            return false;
    }
    return true;
}

} // namespace

int SelfTestCommand::run(const QStringList& paths) {
    if (auto init = ots::initialize(); !init.ok()) {
        m_err << "ots: " << QString::fromStdString(ots::describe(init.error())) << Qt::endl;
        return 3;
    }
    m_out << "Known-answer tests (BLAKE2b, XChaCha20-Poly1305, Ed25519, Argon2id, crypto_kdf, secretstream): "
             "passed"
          << Qt::endl;

    QTemporaryDir work;
    if (!work.isValid()) {
        m_err << "ots: cannot create a temporary folder" << Qt::endl;
        return 4;
    }
    std::vector<fs::path> inputs;
    if (paths.isEmpty()) {
        if (!writeSample(work.filePath(QStringLiteral("in")))) {
            m_err << "ots: cannot write the sample files" << Qt::endl;
            return 4;
        }
        inputs.push_back(fs::path(work.filePath(QStringLiteral("in/sample")).toStdString()));
        m_out << "No paths given: using a generated sample tree." << Qt::endl;
    }
    for (const QString& p : paths)
        inputs.push_back(fs::path(QFileInfo(p).absoluteFilePath().toStdString()));

    auto packer = ots::ContainerPacker::fromPaths(inputs);
    if (!packer.ok()) {
        m_err << "ots: " << QString::fromStdString(ots::describe(packer.error())) << Qt::endl;
        return 2;
    }
    auto keys = ots::ShareKeys::fromLinkSecret(ots::generateLinkSecret());
    if (!keys.ok())
        return 3;

    const QString cipherPath = work.filePath(QStringLiteral("share.ots"));
    std::FILE* cipher = std::fopen(cipherPath.toLocal8Bit().constData(), "wb");
    if (cipher == nullptr) {
        m_err << "ots: cannot write " << cipherPath << Qt::endl;
        return 4;
    }
    QElapsedTimer timer;
    timer.start();
    const ots::ByteSink toFile = [cipher](ots::ByteView bytes) -> ots::Status {
        if (std::fwrite(bytes.data(), 1, bytes.size(), cipher) != bytes.size())
            return ots::Errc::IoWriteFailed;
        return {};
    };
    const ots::Status encrypted = ots::encryptContainer(*packer, *keys, toFile);
    const bool closed = std::fclose(cipher) == 0;
    const qint64 encryptMs = timer.restart();
    if (!encrypted.ok() || !closed) {
        m_err << "ots: encryption failed: "
              << QString::fromStdString(ots::describe(
                     encrypted.ok() ? ots::Error{ots::Errc::IoWriteFailed, {}} : encrypted.error()))
              << Qt::endl;
        return 4;
    }

    const QString outDir = work.filePath(QStringLiteral("out"));
    QDir().mkpath(outDir);
    auto extractor = ots::ShareExtractor::create(*keys, outDir.toStdString());
    if (!extractor.ok())
        return 4;
    QFile in(cipherPath);
    if (!in.open(QIODevice::ReadOnly))
        return 4;
    while (!in.atEnd()) {
        const QByteArray block = in.read(1 << 20);
        const ots::ByteView view(reinterpret_cast<const std::uint8_t*>(block.constData()),
                                 std::size_t(block.size()));
        if (auto pushed = (*extractor)->push(view); !pushed.ok()) {
            m_err << "ots: decryption failed: " << QString::fromStdString(ots::describe(pushed.error()))
                  << Qt::endl;
            return 1;
        }
    }
    auto placed = (*extractor)->finish();
    const qint64 decryptMs = timer.elapsed();
    if (!placed.ok()) {
        m_err << "ots: decryption failed: " << QString::fromStdString(ots::describe(placed.error()))
              << Qt::endl;
        return 1;
    }
    for (std::size_t i = 0; i < inputs.size(); ++i) {
        const fs::path received = fs::path(outDir.toStdString()) / inputs[i].filename();
        if (QString diff = compareTrees(inputs[i], received); !diff.isEmpty()) {
            m_err << "ots: round trip differs: " << diff << Qt::endl;
            return 1;
        }
    }

    const std::uint64_t payload = packer->payloadSize();
    const std::uint64_t ciphertext = ots::StreamEncryptor::ciphertextSize(payload);
    m_out << "Round trip of " << packer->entries().size() << " entries: identical." << Qt::endl
          << "  payload " << megabytes(payload) << ", ciphertext " << megabytes(ciphertext)
          << " (padded size seen by a relay)" << Qt::endl
          << "  encrypt " << rate(payload, encryptMs) << ", decrypt and unpack " << rate(payload, decryptMs)
          << Qt::endl;
    return 0;
}
