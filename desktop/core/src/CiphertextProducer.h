#pragma once

// The encrypting side of an upload: a std::thread that runs packer → StreamEncryptor into a BytePipe.
// To resume at byte `skip` it encrypts from the start with a clone of the pristine encryptor (so the
// bytes are identical to the first run) and drops the first `skip` bytes locally: they are already on
// the relay and are never sent twice.

#include "BytePipe.h"
#include "ots/ContainerPacker.h"
#include "ots/Result.h"
#include "ots/StreamEncryptor.h"

#include <atomic>
#include <cstdint>
#include <thread>

namespace ots::client {

class CiphertextProducer {
public:
    /// packer and pipe must outlive the producer. Starts the thread at once.
    CiphertextProducer(const ContainerPacker& packer, StreamEncryptor encryptor, std::uint64_t skip,
                       BytePipe& pipe);
    ~CiphertextProducer(); ///< stop()
    CiphertextProducer(const CiphertextProducer&) = delete;
    CiphertextProducer& operator=(const CiphertextProducer&) = delete;

    /// Makes the thread give up (aborts the pipe) and joins it.
    void stop();
    /// Joins the thread without aborting (after the reader has taken everything).
    void join();

    /// After join()/stop(): the error that ended production, if any. An abort by the reader is not one.
    [[nodiscard]] const Status& status() const noexcept { return m_status; }

private:
    void run(StreamEncryptor encryptor);

    const ContainerPacker& m_packer;
    BytePipe& m_pipe;
    std::uint64_t m_skip;
    std::atomic<bool> m_stopped{false};
    Status m_status;
    std::thread m_thread;
};

} // namespace ots::client
