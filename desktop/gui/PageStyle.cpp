#include "PageStyle.h"

#include <QCoreApplication>
#include <QFont>
#include <QIcon>
#include <QLabel>
#include <QLayout>
#include <QMessageBox>
#include <QPalette>
#include <QPushButton>

namespace ots::gui {

QLabel* plainLabel(const QString& text, QWidget* parent) {
    auto* label = new QLabel(parent);
    label->setTextFormat(Qt::PlainText);
    label->setText(text);
    return label;
}

QLabel* pageHeading(const QString& text, QWidget* parent) {
    auto* label = plainLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.8);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    label->setAccessibleName(text);
    return label;
}

QLabel* sectionHeading(const QString& text, QWidget* parent) {
    auto* label = plainLabel(text, parent);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 1.25);
    font.setWeight(QFont::DemiBold);
    label->setFont(font);
    return label;
}

QLabel* hintLabel(const QString& text, QWidget* parent) {
    auto* label = plainLabel(text, parent);
    label->setWordWrap(true);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

void applyPageMargins(QLayout* layout) {
    layout->setContentsMargins(36, 28, 36, 24);
    layout->setSpacing(14);
}

QLabel* errorLabel(QWidget* parent) {
    auto* label = plainLabel({}, parent);
    label->setWordWrap(true);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setObjectName(QStringLiteral("errorLabel"));
    label->setStyleSheet(QStringLiteral("QLabel#errorLabel { color: #d13438; }"));
    label->hide();
    return label;
}

void showError(QLabel* label, const QString& text) {
    label->setText(text);
    label->setVisible(!text.isEmpty());
}

QPushButton* makeButton(const QString& text, QWidget* parent, const QString& icon) {
    auto* button = new QPushButton(text, parent);
    button->setAutoDefault(true); // Enter presses a focused button, as Space does
    if (!icon.isEmpty())
        button->setIcon(QIcon(icon));
    return button;
}

QMessageBox* deleteShareQuestion(const QString& shareName, const QString& objectName, QWidget* parent) {
    auto* question = new QMessageBox(
        QMessageBox::Warning, QCoreApplication::translate("ots::gui::PageStyle", "Delete this share?"),
        QCoreApplication::translate("ots::gui::PageStyle",
                                    "Delete “%1” on the relay now? The link stops working at once for "
                                    "everyone who has it. This cannot be undone.")
            .arg(shareName),
        QMessageBox::Yes | QMessageBox::Cancel, parent);
    question->setObjectName(objectName);
    question->setTextFormat(Qt::PlainText);
    question->button(QMessageBox::Yes)->setText(QCoreApplication::translate("ots::gui::PageStyle", "Delete"));
    question->setDefaultButton(QMessageBox::Cancel);
    question->setWindowModality(Qt::WindowModal);
    question->setAttribute(Qt::WA_DeleteOnClose);
    return question;
}

} // namespace ots::gui
