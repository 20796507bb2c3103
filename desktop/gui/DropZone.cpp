#include "DropZone.h"

#include "PageStyle.h"

#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFileInfo>
#include <QIcon>
#include <QLabel>
#include <QMimeData>
#include <QPainter>
#include <QPainterPath>
#include <QUrl>
#include <QVBoxLayout>

namespace ots::gui {

DropZone::DropZone(QWidget* parent)
    : QFrame(parent) {
    setAcceptDrops(true);
    setMinimumHeight(240);
    setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
    setAccessibleName(tr("Drop files or folders here to share them"));

    auto* layout = new QVBoxLayout(this);
    layout->setContentsMargins(32, 28, 32, 28);
    layout->setSpacing(10);
    layout->addStretch();

    m_icon = plainLabel({}, this);
    m_icon->setAlignment(Qt::AlignCenter);
    m_icon->setPixmap(QIcon(QStringLiteral(":/icons/send.svg")).pixmap(QSize(56, 56)));
    layout->addWidget(m_icon);

    auto* title = sectionHeading(tr("Drop files or folders here"), this);
    title->setAlignment(Qt::AlignCenter);
    layout->addWidget(title);
    auto* hint = hintLabel(tr("They are encrypted on this computer before anything is uploaded. "
                              "Only the people you give the link to can open them."),
                           this);
    hint->setAlignment(Qt::AlignCenter);
    layout->addWidget(hint);
    layout->addSpacing(6);

    m_content = new QVBoxLayout;
    m_content->setSpacing(8);
    layout->addLayout(m_content);
    layout->addStretch();
}

QStringList DropZone::localPaths(const QMimeData* data) {
    QStringList paths;
    if (data == nullptr || !data->hasUrls())
        return paths;
    for (const QUrl& url : data->urls()) {
        if (!url.isLocalFile())
            continue;
        QString path = url.toLocalFile();
        while (path.size() > 1 && path.endsWith(QLatin1Char('/')))
            path.chop(1); // "folder/" from some file managers: the folder itself
        if (!path.isEmpty() && QFileInfo::exists(path))
            paths << path;
    }
    return paths;
}

void DropZone::dragEnterEvent(QDragEnterEvent* event) {
    if (localPaths(event->mimeData()).isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
    setHighlighted(true);
}

void DropZone::dragMoveEvent(QDragMoveEvent* event) {
    if (localPaths(event->mimeData()).isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
}

void DropZone::dragLeaveEvent(QDragLeaveEvent* event) {
    setHighlighted(false);
    QFrame::dragLeaveEvent(event);
}

void DropZone::dropEvent(QDropEvent* event) {
    setHighlighted(false);
    const QStringList paths = localPaths(event->mimeData());
    if (paths.isEmpty()) {
        event->ignore();
        return;
    }
    event->setDropAction(Qt::CopyAction);
    event->accept();
    Q_EMIT pathsDropped(paths);
}

void DropZone::paintEvent(QPaintEvent* event) {
    QFrame::paintEvent(event);
    QPainter painter(this);
    painter.setRenderHint(QPainter::Antialiasing);
    const QRectF area = QRectF(rect()).adjusted(1.5, 1.5, -1.5, -1.5);
    QPainterPath path;
    path.addRoundedRect(area, 14, 14);
    QColor fill = palette().color(QPalette::Highlight);
    fill.setAlpha(m_highlighted ? 40 : 12);
    painter.fillPath(path, fill);
    QPen pen(m_highlighted ? palette().color(QPalette::Highlight) : palette().color(QPalette::Mid));
    pen.setWidthF(2.0);
    pen.setStyle(m_highlighted ? Qt::SolidLine : Qt::DashLine);
    painter.setPen(pen);
    painter.drawPath(path);
}

void DropZone::setHighlighted(bool on) {
    if (m_highlighted == on)
        return;
    m_highlighted = on;
    update();
}

} // namespace ots::gui
