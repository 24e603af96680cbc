"""Before a product leaves the workspace (printed, saved, exported): who receives it, and
why. Both go into the disclosure event of the audit trail."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.enums import Marking


class DisclosureDialog(QDialog):
    def __init__(
        self,
        what: str,
        marking: Marking,
        *,
        recipient: str = "",
        purpose: str = "",
        action: str = "Save",
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.setWindowTitle("Record the disclosure")
        intro = QLabel(
            f"<b>{marking.label}</b> — {what}.<br>Who is it for, and why? This is recorded "
            "in the audit trail with the time and your name."
        )
        intro.setWordWrap(True)
        self.recipient = QLineEdit(recipient)
        self.recipient.setAccessibleName("Recipient")
        self.recipient.setToolTip(
            "The person or team receiving the product, e.g. the tasking analyst"
        )
        self.recipient.setPlaceholderText("e.g. DS A. Example, tasking analyst")
        self.purpose = QPlainTextEdit(purpose)
        self.purpose.setAccessibleName("Purpose")
        self.purpose.setToolTip("Why it is shared: the tasking, meeting or decision it serves")
        self.purpose.setTabChangesFocus(True)
        self.purpose.setMaximumHeight(self.fontMetrics().lineSpacing() * 5)
        self.message = QLabel()
        self.message.setAccessibleName("Message")
        self.message.setWordWrap(True)
        form = QFormLayout()
        recipient_label = QLabel("&Recipient:")
        recipient_label.setBuddy(self.recipient)
        purpose_label = QLabel("&Purpose:")
        purpose_label.setBuddy(self.purpose)
        form.addRow(recipient_label, self.recipient)
        form.addRow(purpose_label, self.purpose)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(action)
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        (self.purpose if recipient else self.recipient).setFocus()

    def values(self) -> tuple[str, str]:
        return self.recipient.text().strip(), self.purpose.toPlainText().strip()

    def _accept(self) -> None:
        recipient, purpose = self.values()
        missing = [
            name for name, value in (("recipient", recipient), ("purpose", purpose)) if not value
        ]
        if missing:
            self.message.setText(f"Error: enter the {' and the '.join(missing)}.")
            (self.recipient if not recipient else self.purpose).setFocus()
            return
        self.accept()
