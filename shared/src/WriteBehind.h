#pragma once

// Writes a file on a second thread while the caller goes on producing its bytes.
//
// A receive decrypts every byte and then writes it: on a machine where putting a page into the page
// cache costs about as much as decrypting it, doing both on one thread halves the speed. Here the
// caller copies its bytes into one of a few fixed buffers and goes back to decrypting; a writer thread
// empties full buffers into the file. Memory stays at kBuffers × kBufferBytes, whatever the file size:
// when every buffer is waiting to be written, the caller waits (back-pressure).
//
// Where the file system allows it, a file that fills a buffer is written with direct I/O (O_DIRECT):
// the writer hands whole, aligned buffers to the disk and skips the page cache, whose copy would cost
// the two cores as much as the decryption. The last, partial buffer is written through the page cache
// as usual, and finish()'s caller syncs the whole file. Where direct I/O is refused (tmpfs, other
// systems), or a direct write fails with EINVAL, everything goes through the page cache instead.
//
// Small files never start the thread: until the first buffer fills, everything stays in that buffer
// and finish() writes it from the caller's thread. Errors of the writer thread are kept (the first
// one's errno) and reported by the next write() or by finish(); what was queued after a failure is
// dropped. The buffers are wiped when they go: they hold received plaintext.

#include "ots/Bytes.h"

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace ots {

class WriteBehind {
public:
    static constexpr std::size_t kBuffers = 4;
    static constexpr std::size_t kBufferBytes = std::size_t{1} << 20;

    WriteBehind() = default;
    /// Drops whatever is queued and stops the thread; the file, if any, is the caller's to close.
    ~WriteBehind();
    WriteBehind(const WriteBehind&) = delete;
    WriteBehind& operator=(const WriteBehind&) = delete;

    /// Starts a new file: every write() goes to `file` until finish() or discard(). `file` is new and
    /// empty, opened for writing, with nothing written through it yet (the writes go to its descriptor,
    /// past stdio's buffer, from offset 0). The caller keeps owning `file` and must not touch it in
    /// between.
    void begin(std::FILE* file) noexcept;

    /// Queues a copy of `data`. False if a write has failed (then error() is its errno).
    [[nodiscard]] bool write(ByteView data);

    /// Waits until everything queued is in the file, then writes what is left. False on any failure
    /// since begin(); error() tells which. Does not flush or sync: the caller does, on its thread.
    [[nodiscard]] bool finish();

    /// Drops what is queued and waits until the writer no longer touches the file.
    void discard() noexcept;

    /// errno of the first failed write since begin(), 0 if none.
    [[nodiscard]] int error() const noexcept;

    /// Whether the current file's full buffers go to the disk with direct I/O (false before the first
    /// buffer fills, after finish() and where the file system refuses it).
    [[nodiscard]] bool directIo() const noexcept;

private:
    void startThread();
    void run();
    /// Writes `size` bytes of buffer `index` to the file; on failure records errno. Caller holds no lock.
    [[nodiscard]] int writeOut(std::size_t index, std::size_t size) noexcept;
    /// Waits (lock held) until the writer has nothing queued and is not writing.
    void waitIdle(std::unique_lock<std::mutex>& lock);
    /// A free buffer for the caller to fill, waiting for the writer if none is free.
    [[nodiscard]] std::size_t takeFree(std::unique_lock<std::mutex>& lock);

    struct Piece {
        std::size_t buffer;
        std::size_t size;
    };

    struct AlignedDelete {
        void operator()(std::uint8_t* memory) const noexcept;
    };
    using Buffer = std::unique_ptr<std::uint8_t[], AlignedDelete>;

    /// Leaves direct I/O for the rest of the file (caller holds the lock, the writer is idle).
    void leaveDirectIo() noexcept;

    std::vector<Buffer> m_buffers; // allocated on first use, aligned for direct I/O, reused for every file
    std::FILE* m_file = nullptr;
    std::size_t m_filling = 0;     // index of the buffer the caller is filling
    std::size_t m_filled = 0;      // bytes in it
    std::int64_t m_sinceFlush = 0; // bytes written since the last writeback start (writer thread only)

    mutable std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<Piece> m_queue;       // full buffers waiting for the writer, oldest first
    std::vector<std::size_t> m_free; // buffers nobody uses
    bool m_writing = false;          // the writer is writing a piece it took from the queue
    bool m_stop = false;
    int m_error = 0;
    bool m_direct = false;      // full buffers of this file are written with direct I/O
    bool m_directTried = false; // this file's first full buffer decided m_direct
    std::thread m_thread;
};

} // namespace ots
