#include "PipeDevice.h"

#include "BytePipe.h"

#include <QCoreApplication>
#include <QEvent>

#include <algorithm>

namespace ots::client {

PipeDevice::PipeDevice(BytePipe& pipe, qint64 limit, QObject* parent)
    : QIODevice(parent)
    , m_pipe(pipe)
    , m_remaining(limit) {
    // The producer thread calls this; the signal must be emitted in the device's own thread.
    m_pipe.setWakeReader([this] { postWake(); });
    open(QIODevice::ReadOnly | QIODevice::Unbuffered);
}

PipeDevice::~PipeDevice() {
    // Pending wake-ups die with this object (posted events are removed on deletion); no new ones may be
    // posted once the pipe stops calling back.
    m_pipe.setWakeReader({});
}

QEvent::Type PipeDevice::wakeEventType() {
    static const auto registered = static_cast<QEvent::Type>(QEvent::registerEventType());
    return registered;
}

void PipeDevice::postWake() {
    if (!m_wakePending.exchange(true))
        QCoreApplication::postEvent(this, new QEvent(wakeEventType()));
}

bool PipeDevice::event(QEvent* event) {
    if (event->type() == wakeEventType()) {
        wake();
        return true;
    }
    return QIODevice::event(event);
}

void PipeDevice::wake() {
    m_wakePending.store(false);
    if (atEnd()) {
        if (!m_endSignalled) {
            m_endSignalled = true;
            Q_EMIT readyRead();
            Q_EMIT readChannelFinished();
        }
        return;
    }
    Q_EMIT readyRead();
}

qint64 PipeDevice::bytesAvailable() const {
    return std::min(static_cast<qint64>(m_pipe.available()), m_remaining) + QIODevice::bytesAvailable();
}

bool PipeDevice::atEnd() const {
    return (m_remaining == 0 || m_pipe.atEnd()) && QIODevice::bytesAvailable() == 0;
}

qint64 PipeDevice::readData(char* data, qint64 maxSize) {
    if (m_remaining == 0)
        return -1;
    const qint64 got = m_pipe.read(data, std::min(maxSize, m_remaining));
    if (got > 0) {
        m_remaining -= got;
        if (m_remaining == 0)
            postWake(); // announces the end from the event loop, not from inside this read
    }
    return got;
}

qint64 PipeDevice::writeData(const char* /*data*/, qint64 /*maxSize*/) {
    return -1;
}

} // namespace ots::client
