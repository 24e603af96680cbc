"""The app's preferences: idle lock, clipboard clearing, the marking new records start with,
the analyst name new workspaces are prefilled with, backups, the retention review period of
new records by thematic (MoPI), and the recent workspaces list.

OK writes the settings file at once (atomically); if that fails (a read-only folder, a full
disk) the dialog says so and stays open, and the settings in use are left as they were.
Cancel changes nothing."""

from __future__ import annotations

import copy
import dataclasses
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from toexdesk import APP_NAME, config
from toexdesk.core.enums import Marking, Thematic
from toexdesk.ui.style import MessageLabel


def _spin(name: str, tip: str, low: int, high: int, value: int, suffix: str) -> QSpinBox:
    box = QSpinBox()
    box.setRange(low, high)
    box.setValue(min(max(value, low), high))
    box.setSuffix(suffix)
    box.setAccessibleName(name)
    box.setToolTip(tip)
    return box


def _save_problem(exc: OSError) -> str:
    if isinstance(exc, PermissionError):
        return "the folder is read-only or this account may not write there"
    if exc.strerror:
        return exc.strerror[0].lower() + exc.strerror[1:]
    return type(exc).__name__


class SettingsDialog(QDialog):
    """Edits ``settings`` in place when accepted (and saves them); leaves it alone otherwise.

    ``path`` is where to save (the settings file in the app's data folder by default)."""

    def __init__(
        self, settings: config.Settings, parent: QWidget | None = None, path: Path | None = None
    ):
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — settings")
        self.settings = settings
        self._path = path
        self.lock_minutes = _spin(
            "Lock after idle minutes",
            "Hide the workspace and ask for the passphrase after this long without "
            "keyboard or mouse input (1 to 240 minutes)",
            1,
            240,
            settings.auto_lock_minutes,
            " min",
        )
        self.clipboard_seconds = _spin(
            "Clear copied text after seconds",
            "Text copied from a workspace leaves the clipboard after this long, unless "
            "something else was copied meanwhile (5 to 600 seconds)",
            5,
            600,
            settings.clipboard_clear_seconds,
            " s",
        )
        self.marking = QComboBox()
        self.marking.setAccessibleName("Default protective marking")
        self.marking.setToolTip(
            "The Government Security Classification new tasks and sources start with"
        )
        for member in Marking:
            self.marking.addItem(member.label, member.value)
        self.marking.setCurrentIndex(max(self.marking.findData(settings.default_marking), 0))
        self.analyst = QLineEdit(settings.analyst_name)
        self.analyst.setAccessibleName("Analyst name")
        self.analyst.setMaxLength(config.MAX_ANALYST_NAME)
        self.analyst.setPlaceholderText(config.os_user_name() or "Your name")
        self.analyst.setToolTip(
            "Used to prefill the analyst of new workspaces (recorded with every audit "
            "event); left empty, the Windows user name is used"
        )
        self.backup_on_close = QCheckBox("Back up when the workspace &closes")
        self.backup_on_close.setChecked(settings.backup_on_close)
        self.backup_on_close.setToolTip(
            "An encrypted, integrity-checked copy each time a workspace closes after changes"
        )
        self.backups_to_keep = _spin(
            "Backups to keep",
            "How many automatic backups of each workspace to keep (the oldest go first)",
            1,
            100,
            settings.backups_to_keep,
            "",
        )
        self.backup_folder = QLineEdit(settings.backup_folder)
        self.backup_folder.setAccessibleName("Backup folder")
        self.backup_folder.setPlaceholderText("A folder per workspace in the data folder")
        self.backup_folder.setToolTip(
            "Where automatic backups go, e.g. a network drive; empty: the app's data folder"
        )
        self.recent = QListWidget()
        self.recent.setAccessibleName("Recent workspaces")
        self.recent.setToolTip("The workspaces offered when TOEX Desk starts")
        self.recent.setMinimumHeight(self.fontMetrics().lineSpacing() * 6)
        for entry in settings.recent_workspaces:
            item = QListWidgetItem(entry)
            item.setData(Qt.ItemDataRole.UserRole, entry)
            self.recent.addItem(item)
        self.remove_button = QPushButton("&Remove")
        self.remove_button.setAccessibleName("Remove from recent workspaces")
        self.remove_button.setToolTip(
            "Take the selected workspace off the list (the file itself is not touched)"
        )
        self.remove_button.clicked.connect(self.remove_selected)
        self.clear_button = QPushButton("&Clear all")
        self.clear_button.setAccessibleName("Clear all recent workspaces")
        self.clear_button.setToolTip("Empty the list (no file is touched)")
        self.clear_button.clicked.connect(self.clear_recent)
        self.recent.currentRowChanged.connect(self._update_buttons)
        if self.recent.count():
            self.recent.setCurrentRow(0)
        months = config.clean_review_months(settings.review_months)
        self.review_months: dict[str, QSpinBox] = {}
        for thematic in Thematic:
            self.review_months[thematic.value] = _spin(
                f"Review period for {thematic.label}",
                f"New {thematic.label.lower()} tasks and their sources are due for their "
                "retention review (MoPI) this many months after they are recorded",
                config.MIN_REVIEW_MONTHS,
                config.MAX_REVIEW_MONTHS,
                months[thematic.value],
                " months",
            )
        self.location = QLineEdit(config.storage_summary())
        self.location.setReadOnly(True)
        self.location.setCursorPosition(0)
        self.location.setAccessibleName("Where settings and logs are kept")
        self.location.setToolTip(self.location.text())
        self.message = MessageLabel(name="Settings message")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setToolTip("Save these settings and close")
        ok.setAccessibleName("Save settings")
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setToolTip("Close without changing anything")
        cancel.setAccessibleName("Cancel")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self._lay_out()
        self._update_buttons()
        self.lock_minutes.setFocus()

    def _lay_out(self) -> None:
        form = QFormLayout()
        rows = (
            ("&Lock after idle:", self.lock_minutes),
            ("Clear copied &text after:", self.clipboard_seconds),
            ("Default &marking:", self.marking),
            ("&Analyst name:", self.analyst),
            ("&Keep backups:", self.backups_to_keep),
            ("Backup f&older:", self.backup_folder),
        )
        for text, widget in rows:
            form.addRow(self._label(text, widget), widget)
        form.addRow("", self.backup_on_close)
        recent_buttons = QVBoxLayout()
        recent_buttons.addWidget(self.remove_button)
        recent_buttons.addWidget(self.clear_button)
        recent_buttons.addStretch()
        recent_row = QHBoxLayout()
        recent_row.addWidget(self.recent, 1)
        recent_row.addLayout(recent_buttons)
        form.addRow(self._label("Recent &workspaces:", self.recent), recent_row)
        review = QGroupBox("Retention review of new records after (MoPI)")
        review_form = QFormLayout(review)
        for thematic in Thematic:
            review_form.addRow(f"{thematic.label}:", self.review_months[thematic.value])
        form.addRow(review)
        form.addRow(self._label("Data &folder:", self.location), self.location)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)
        # Wide enough for a typical path at the user's font size.
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 80)

    @staticmethod
    def _label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)  # Alt + the underlined letter moves to the field
        return label

    # -- recent list ---------------------------------------------------------------------
    def recent_entries(self) -> list[str]:
        return [
            self.recent.item(row).data(Qt.ItemDataRole.UserRole)
            for row in range(self.recent.count())
        ]

    def remove_selected(self) -> None:
        row = self.recent.currentRow()
        if row < 0:
            return
        self.recent.takeItem(row)
        if self.recent.count():
            self.recent.setCurrentRow(min(row, self.recent.count() - 1))
        self._update_buttons()
        (self.recent if self.recent.count() else self.analyst).setFocus()

    def clear_recent(self) -> None:
        self.recent.clear()
        self._update_buttons()
        self.analyst.setFocus()  # the buttons are disabled now: keep focus somewhere useful

    def _update_buttons(self, *_args) -> None:
        self.remove_button.setEnabled(self.recent.currentRow() >= 0)
        self.clear_button.setEnabled(self.recent.count() > 0)

    # -- OK / Cancel ---------------------------------------------------------------------
    def edited(self) -> config.Settings:
        """The settings as the dialog shows them (the settings in use are not changed)."""
        return dataclasses.replace(
            copy.deepcopy(self.settings),
            auto_lock_minutes=self.lock_minutes.value(),
            clipboard_clear_seconds=self.clipboard_seconds.value(),
            default_marking=self.marking.currentData(),
            analyst_name=config.clean_analyst_name(self.analyst.text()),
            recent_workspaces=self.recent_entries(),
            backup_on_close=self.backup_on_close.isChecked(),
            backups_to_keep=self.backups_to_keep.value(),
            backup_folder=self.backup_folder.text().strip(),
            review_months={code: box.value() for code, box in self.review_months.items()},
        )

    def accept(self) -> None:
        new = self.edited()
        try:
            config.save_settings(new, self._path)
        except OSError as exc:
            folder = (self._path or config.settings_path()).parent
            self.message.show_error(
                f"The settings could not be saved in {folder}: {_save_problem(exc)}. "
                "Nothing was changed. Choose Cancel to go on with the settings as they were."
            )
            return
        for item in dataclasses.fields(config.Settings):
            setattr(self.settings, item.name, getattr(new, item.name))
        super().accept()
