#include "JobMailbox.h"

#include <QCoreApplication>
#include <QEvent>

#include <utility>

namespace ots::client {

namespace {

class CallEvent : public QEvent {
public:
    static QEvent::Type type() {
        static const auto registered = static_cast<QEvent::Type>(QEvent::registerEventType());
        return registered;
    }
    explicit CallEvent(std::function<void()> fn)
        : QEvent(type())
        , m_fn(std::move(fn)) {}
    void run() const { m_fn(); }

private:
    std::function<void()> m_fn;
};

} // namespace

JobMailbox::JobMailbox(QObject* parent)
    : QObject(parent) {}

void JobMailbox::post(std::function<void()> fn) {
    QCoreApplication::postEvent(this, new CallEvent(std::move(fn)));
}

bool JobMailbox::event(QEvent* event) {
    if (event->type() == CallEvent::type()) {
        static_cast<CallEvent*>(event)->run();
        return true;
    }
    return QObject::event(event);
}

} // namespace ots::client
