"""A line for tags: comma-separated names, completing the word being typed from the tags
already in the workspace."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QStringListModel, Qt
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget


class TagEdit(QLineEdit):
    def __init__(self, known: Iterable[str] = (), parent: QWidget | None = None):
        super().__init__(parent)
        self.setPlaceholderText("Tags, separated by commas")
        self.setToolTip(
            "Short labels to group records, e.g. an operation name; separate them with commas"
        )
        self._completer = QCompleter(QStringListModel(sorted(known)), self)
        self._completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self._completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self._completer.setWidget(self)
        self._completer.activated.connect(self._complete)
        self.textEdited.connect(self._typed)

    def tags(self) -> tuple[str, ...]:
        return tuple(part.strip() for part in self.text().split(",") if part.strip())

    def set_tags(self, tags: Iterable[str]) -> None:
        self.setText(", ".join(tags))

    def _current_word(self) -> str:
        return self.text()[: self.cursorPosition()].rsplit(",", 1)[-1].lstrip()

    def _typed(self, _text: str) -> None:
        word = self._current_word()
        if not word:
            self._completer.popup().hide()
            return
        self._completer.setCompletionPrefix(word)
        if self._completer.completionCount():
            self._completer.complete()

    def _complete(self, name: str) -> None:
        """Replace the word being typed by the chosen tag."""
        before = self.text()[: self.cursorPosition()]
        after = self.text()[self.cursorPosition() :]
        head = before.rsplit(",", 1)[0] + ", " if "," in before else ""
        self.setText(f"{head}{name}, {after.lstrip(', ')}".rstrip(", ") + ", ")
        self.setCursorPosition(len(head) + len(name) + 2)
