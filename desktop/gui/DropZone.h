#pragma once

// The big area of the Send page that files and folders are dropped on. It accepts local file URLs
// only (a dropped share link goes on to the window, which opens it in Receive) and shows with its
// border when something droppable is over it. The buttons inside it come from the page.

#include <QFrame>
#include <QStringList>

class QLabel;
class QMimeData;
class QVBoxLayout;

namespace ots::gui {

class DropZone : public QFrame {
    Q_OBJECT
public:
    explicit DropZone(QWidget* parent = nullptr);

    /// The layout under the title, where the page puts its buttons.
    [[nodiscard]] QVBoxLayout* contentLayout() const noexcept { return m_content; }
    /// The local paths in a drag's data (files and folders), empty when there are none.
    [[nodiscard]] static QStringList localPaths(const QMimeData* data);

Q_SIGNALS:
    void pathsDropped(const QStringList& paths);

protected:
    void dragEnterEvent(QDragEnterEvent* event) override;
    void dragMoveEvent(QDragMoveEvent* event) override;
    void dragLeaveEvent(QDragLeaveEvent* event) override;
    void dropEvent(QDropEvent* event) override;
    void paintEvent(QPaintEvent* event) override;

private:
    void setHighlighted(bool on);

    QVBoxLayout* m_content = nullptr;
    QLabel* m_icon = nullptr;
    bool m_highlighted = false;
};

} // namespace ots::gui
