#pragma once

// Small helpers that give every page the same look: a page heading, a section heading, a muted hint
// line, the margins and spacing of a page, and its buttons.

#include <QString>

class QLabel;
class QMessageBox;
class QPushButton;
class QLayout;
class QWidget;

namespace ots::gui {

/// A label that shows its text as it is, never as markup (Qt::PlainText): every label of the app is
/// made here or by the helpers below, because any of them may show a file name, a note or a message
/// built around text from outside, and AutoText would render "<img src=…>" as an image.
[[nodiscard]] QLabel* plainLabel(const QString& text, QWidget* parent);

/// The big title at the top of a page ("Send", "Receive").
[[nodiscard]] QLabel* pageHeading(const QString& text, QWidget* parent);
/// A smaller bold heading inside a page ("Your link is ready").
[[nodiscard]] QLabel* sectionHeading(const QString& text, QWidget* parent);
/// A muted, word-wrapped explanation line.
[[nodiscard]] QLabel* hintLabel(const QString& text, QWidget* parent);
/// The page margins and spacing every page uses.
void applyPageMargins(QLayout* layout);
/// A label showing an error sentence (red, word-wrapped, selectable); hidden while empty.
[[nodiscard]] QLabel* errorLabel(QWidget* parent);
/// Shows text in a label made by errorLabel() (hides it when text is empty).
void showError(QLabel* label, const QString& text);
/// A push button that Enter presses while it has the focus (as Space does), with an optional icon
/// (a resource path such as ":/icons/folder.svg").
[[nodiscard]] QPushButton* makeButton(const QString& text, QWidget* parent, const QString& icon = {});
/// The question asked before a share is deleted on the relay (History, the link page): window-modal,
/// plain text, Cancel by default, deleted when closed. Connect to finished(int) (QMessageBox::Yes means
/// delete), then open() it.
[[nodiscard]] QMessageBox* deleteShareQuestion(const QString& shareName, const QString& objectName,
                                               QWidget* parent);

} // namespace ots::gui
