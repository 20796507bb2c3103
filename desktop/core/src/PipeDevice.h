#pragma once

// The upload body: a sequential, read-only QIODevice over a BytePipe, read by BlobUpload (the PATCH
// transport of RelayClient::appendBlob) in the thread the device lives in. It never blocks: with
// nothing buffered it returns 0 bytes, and emits readyRead (queued into its own thread) as soon as the
// producer puts data into the empty pipe, as Qt expects a slow sequential source to behave. It ends after
// `limit` bytes, so one pipe can feed several requests (the upload is sent in segments).

#include <QEvent>
#include <QIODevice>

#include <atomic>

namespace ots::client {

class BytePipe;

class PipeDevice : public QIODevice {
public:
    /// pipe must outlive the device. Opens the device read-only; it ends after limit bytes.
    PipeDevice(BytePipe& pipe, qint64 limit, QObject* parent = nullptr);
    ~PipeDevice() override;
    PipeDevice(const PipeDevice&) = delete;
    PipeDevice& operator=(const PipeDevice&) = delete;

    [[nodiscard]] bool isSequential() const override { return true; }
    [[nodiscard]] qint64 bytesAvailable() const override;
    [[nodiscard]] bool atEnd() const override;
    /// A pipe cannot rewind: Qt asks before re-sending a request on a fresh connection, and the answer
    /// "no" fails the request, which the job then resumes from the relay's offset.
    bool reset() override { return false; }

protected:
    bool event(QEvent* event) override;
    qint64 readData(char* data, qint64 maxSize) override;
    qint64 writeData(const char* data, qint64 maxSize) override;

private:
    static QEvent::Type wakeEventType();
    /// Thread-safe: schedules wake() in the device's thread (once until it ran).
    void postWake();
    void wake();

    BytePipe& m_pipe;
    qint64 m_remaining;
    std::atomic<bool> m_wakePending{false};
    bool m_endSignalled = false;
};

} // namespace ots::client
