#include "ots/ShareArchive.h"

#include "ots/StreamEncryptor.h"

#include <utility>

namespace ots {

Status encryptContainer(const ContainerPacker& packer, const ShareKeys& keys, const ByteSink& out,
                        const std::function<void(std::uint64_t)>& progress) {
    auto encryptor = StreamEncryptor::create(keys, packer.payloadSize());
    if (!encryptor.ok())
        return encryptor.error();
    return encryptContainer(packer, std::move(encryptor).value(), out, progress);
}

Status encryptContainer(const ContainerPacker& packer, StreamEncryptor encryptor, const ByteSink& out,
                        const std::function<void(std::uint64_t)>& progress) {
    if (encryptor.payloadSize() != packer.payloadSize())
        return Error{Errc::InvalidArgument, "the encryptor was made for another payload size"};
    OTS_TRY(out(encryptor.header()));
    OTS_TRY(packer.write([&](ByteView payload) { return encryptor.push(payload, out); }, progress));
    return encryptor.finish(out);
}

Result<std::unique_ptr<ShareExtractor>>
ShareExtractor::create(const ShareKeys& keys, const std::filesystem::path& targetDir, PathRules rules) {
    auto decryptor = StreamDecryptor::create(keys);
    if (!decryptor.ok())
        return decryptor.error();
    auto unpacker = ContainerUnpacker::create(targetDir, rules);
    if (!unpacker.ok())
        return unpacker.error();
    std::unique_ptr<ShareExtractor> extractor(new ShareExtractor());
    extractor->m_decryptor.emplace(std::move(decryptor).value());
    extractor->m_unpacker = std::move(unpacker).value();
    extractor->m_parser = std::make_unique<ContainerParser>(*extractor->m_unpacker, rules);
    return extractor;
}

Status ShareExtractor::failed(Status error) {
    if (m_error.ok())
        m_error = std::move(error);
    abort();
    return m_error;
}

Status ShareExtractor::push(ByteView ciphertext) {
    if (!m_error.ok())
        return m_error;
    auto pushed = m_decryptor->push(ciphertext, [this](ByteView payload) { return m_parser->push(payload); });
    if (!pushed.ok())
        return failed(pushed);
    return {};
}

Result<std::vector<std::filesystem::path>> ShareExtractor::finish() {
    if (!m_error.ok())
        return m_error.error();
    if (auto streamEnd = m_decryptor->finish(); !streamEnd.ok())
        return failed(streamEnd).error();
    if (auto containerEnd = m_parser->finish(); !containerEnd.ok())
        return failed(containerEnd).error();
    auto committed = m_unpacker->commit();
    if (!committed.ok())
        return failed(committed.error()).error();
    return committed;
}

void ShareExtractor::abort() noexcept {
    if (m_unpacker)
        m_unpacker->abort();
}

} // namespace ots
