#include "CiphertextProducer.h"

#include "ots/ShareArchive.h"

#include <algorithm>
#include <utility>

namespace ots::client {

CiphertextProducer::CiphertextProducer(const ContainerPacker& packer, StreamEncryptor encryptor,
                                       std::uint64_t skip, BytePipe& pipe)
    : m_packer(packer)
    , m_pipe(pipe)
    , m_skip(skip)
    , m_thread([this, enc = std::move(encryptor)]() mutable { run(std::move(enc)); }) {}

CiphertextProducer::~CiphertextProducer() {
    stop();
}

void CiphertextProducer::run(StreamEncryptor encryptor) {
    std::uint64_t toSkip = m_skip;
    const ByteSink sink = [&](ByteView bytes) -> Status {
        if (toSkip > 0) {
            const auto dropped = static_cast<std::size_t>(std::min<std::uint64_t>(toSkip, bytes.size()));
            toSkip -= dropped;
            bytes = bytes.subspan(dropped);
        }
        if (!bytes.empty() && !m_pipe.write(bytes))
            return Error{Errc::InvalidArgument, "upload stopped"};
        return {};
    };
    Status result = encryptContainer(m_packer, std::move(encryptor), sink);
    if (!m_stopped.load())
        m_status = std::move(result);
    // The reader sees the end of the stream, or (after an error) an early end it reports as a failure.
    m_pipe.close();
}

void CiphertextProducer::stop() {
    m_stopped.store(true);
    m_pipe.abort();
    join();
}

void CiphertextProducer::join() {
    if (m_thread.joinable())
        m_thread.join();
}

} // namespace ots::client
