#pragma once

// The encrypting side of an upload: a std::thread that runs packer → StreamEncryptor into a BytePipe.
// To resume at byte `skip` it encrypts from the start with a clone of the pristine encryptor (so the
// bytes are identical to the first run) and drops the first `skip` bytes locally: they are already on
// the relay and are never sent twice.
//
// Every byte the ledger says was handed out before is checked against it, block by block, before any
// byte of that block leaves: a file changed in place since would otherwise send another ciphertext
// under the same keystream where the relay may have seen the first one. A mismatch ends production
// with IoFileChanged, as the packer does for a file whose size changed. Bytes past the ledger's end
// are recorded in it as they go into the pipe.

#include "BytePipe.h"
#include "SentLedger.h"
#include "ots/ContainerPacker.h"
#include "ots/Result.h"
#include "ots/StreamEncryptor.h"

#include <atomic>
#include <cstdint>
#include <thread>

namespace ots::client {

class CiphertextProducer {
public:
    /// packer, ledger and pipe must outlive the producer; the ledger is the producer's until join()
    /// or stop() returns. Starts the thread at once.
    CiphertextProducer(const ContainerPacker& packer, StreamEncryptor encryptor, std::uint64_t skip,
                       SentLedger& ledger, BytePipe& pipe);
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
    /// The sink of the encryptor: checks, records, drops what the relay has, sends the rest.
    [[nodiscard]] Status take(ByteView bytes);
    /// Writes what of the current block up to offset `to` is not out yet and lies at or past m_skip.
    [[nodiscard]] bool release(std::uint64_t blockStart, std::uint64_t to);

    const ContainerPacker& m_packer;
    SentLedger& m_ledger;
    BytePipe& m_pipe;
    std::uint64_t m_checkEnd = 0;  ///< the ledger's end when this run started: checked up to there
    std::uint64_t m_position = 0;  ///< stream bytes seen so far
    std::uint64_t m_handedOut = 0; ///< stream bytes dropped (the relay has them) or in the pipe
    std::uint64_t m_released = 0;  ///< bytes of the current block already dropped or written
    QByteArray m_block;            ///< the current block's bytes so far
    std::uint64_t m_skip;
    std::atomic<bool> m_stopped{false};
    Status m_status;
    std::thread m_thread;
};

} // namespace ots::client
