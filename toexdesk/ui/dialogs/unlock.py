"""The start-up dialog: unlock a recent workspace, open another, or create a new one.

Unlocking and creating run off the UI thread (key derivation takes a noticeable moment).
A wrong passphrase is said in the dialog, which stays open for another try; the file is not
touched. "Remember on this computer" is offered only when the operating system has a secure
credential store; otherwise the box is disabled and its tooltip says why."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from toexdesk import APP_NAME, config
from toexdesk.core import errors
from toexdesk.core.store import keys
from toexdesk.core.store.engine import Workspace, create_workspace, open_workspace
from toexdesk.ui.style import MessageLabel
from toexdesk.ui.workers import run_op

FILE_FILTER = "TOEX workspaces (*.toex)"
log = logging.getLogger(__name__)


def _message_label(name: str) -> MessageLabel:
    label = MessageLabel(name=name)
    label.setObjectName("message")
    return label


def _label(text: str, buddy: QWidget) -> QLabel:
    label = QLabel(text)
    label.setBuddy(buddy)  # Alt + the underlined letter moves to the field
    return label


def _password_field(name: str) -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class UnlockDialog(QDialog):
    """Returns an open Workspace in ``self.workspace`` when accepted."""

    workspace_opened = Signal(object)

    def __init__(
        self, settings: config.Settings, parent: QWidget | None = None, keyring_backend=None
    ):
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME} — open a workspace")
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 90)
        self.settings = settings
        self.workspace: Workspace | None = None
        self._backend = keyring_backend
        self._busy = False
        self.pages = QStackedWidget()
        self.pages.addWidget(self._build_unlock_page())
        self.pages.addWidget(self._build_create_page())
        layout = QVBoxLayout(self)
        layout.addWidget(self.pages)
        self._fill_recent()
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.show_create)
        QShortcut(QKeySequence.StandardKey.Open, self, activated=self.browse)
        self._check_remember()

    # -- building ----------------------------------------------------------------------
    def _build_unlock_page(self) -> QWidget:
        page = QWidget()
        self.recent = QListWidget()
        self.recent.setAccessibleName("Recent workspaces")
        self.recent.setToolTip("Workspaces opened before; Enter moves to the passphrase")
        self.recent.currentItemChanged.connect(self._recent_changed)
        self.recent.itemActivated.connect(lambda _item: self.passphrase.setFocus())
        self.browse_button = QPushButton("&Open another…")
        self.browse_button.setToolTip("Choose a workspace file (Ctrl+O)")
        self.browse_button.clicked.connect(self.browse)
        self.new_button = QPushButton("&New workspace…")
        self.new_button.setToolTip("Create a new encrypted workspace (Ctrl+N)")
        self.new_button.clicked.connect(self.show_create)
        self.path_label = QLabel("Choose a workspace.")
        self.path_label.setWordWrap(True)
        self.path_label.setAccessibleName("Chosen workspace")
        self.passphrase = _password_field("Passphrase")
        self.passphrase.setToolTip("The workspace's passphrase; Enter unlocks")
        self.passphrase.returnPressed.connect(self.unlock)
        self.remember = QCheckBox("&Remember on this computer")
        self.remember.setEnabled(False)
        self.remember.setToolTip("Checking the credential store…")
        self.unlock_message = _message_label("Unlock message")
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setToolTip("Open the chosen workspace with this passphrase")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.unlock)

        buttons = QHBoxLayout()
        buttons.addWidget(self.browse_button)
        buttons.addWidget(self.new_button)
        buttons.addStretch()
        form = QFormLayout()
        form.addRow("Workspace:", self.path_label)
        form.addRow(_label("&Passphrase:", self.passphrase), self.passphrase)
        form.addRow("", self.remember)
        layout = QVBoxLayout(page)
        layout.addWidget(_label("Recent &workspaces", self.recent))
        layout.addWidget(self.recent)
        layout.addLayout(buttons)
        layout.addLayout(form)
        layout.addWidget(self.unlock_message)
        row = QHBoxLayout()
        row.addStretch()
        row.addWidget(self.unlock_button)
        layout.addLayout(row)
        return page

    def _build_create_page(self) -> QWidget:
        page = QWidget()
        self.new_path = QLineEdit()
        self.new_path.setAccessibleName("New workspace file")
        self.new_path.setToolTip("Where to save the new workspace (a .toex file)")
        choose = QPushButton("C&hoose…")
        choose.setAccessibleName("Choose where to save the new workspace")
        choose.setToolTip("Pick the folder and file name")
        choose.clicked.connect(self._choose_new_path)
        where = QHBoxLayout()
        where.addWidget(self.new_path)
        where.addWidget(choose)
        self.analyst = QLineEdit(config.default_analyst(self.settings))
        self.analyst.setAccessibleName("Analyst name")
        self.analyst.setMaxLength(config.MAX_ANALYST_NAME)
        self.analyst.setToolTip(
            "Recorded with every event in the audit trail (the default is in Settings)"
        )
        self.new_passphrase = _password_field("New passphrase")
        self.new_passphrase.setToolTip("At least 12 characters; a few unrelated words work well")
        self.new_passphrase.textChanged.connect(self._strength_changed)
        self.confirm = _password_field("Repeat the passphrase")
        self.confirm.setToolTip("The same passphrase again, to catch a typing slip")
        self.strength = QProgressBar()
        self.strength.setRange(0, 4)
        self.strength.setTextVisible(True)
        self.strength.setAccessibleName("Passphrase strength")
        self.strength.setToolTip("How hard the passphrase would be to guess")
        self._strength_changed("")
        self.create_message = _message_label("Create message")
        back = QPushButton("&Back")
        back.setToolTip("Back to the list of workspaces")
        back.clicked.connect(self.show_unlock)
        self.create_button = QPushButton("C&reate")
        self.create_button.setToolTip("Create the encrypted workspace and open it")
        self.create_button.clicked.connect(self.create)
        form = QFormLayout(page)
        form.addRow(_label("&File:", self.new_path), where)
        form.addRow(_label("&Analyst name:", self.analyst), self.analyst)
        form.addRow(_label("&Passphrase:", self.new_passphrase), self.new_passphrase)
        form.addRow("Strength:", self.strength)
        form.addRow(_label("Rep&eat:", self.confirm), self.confirm)
        form.addRow(self.create_message)
        row = QHBoxLayout()
        row.addWidget(back)
        row.addStretch()
        row.addWidget(self.create_button)
        form.addRow(row)
        return page

    # -- state -------------------------------------------------------------------------
    def _fill_recent(self) -> None:
        self.recent.clear()
        for entry in self.settings.recent_workspaces:
            path = Path(entry)
            item = QListWidgetItem(f"{path.name}  —  {path.parent}")
            item.setData(Qt.ItemDataRole.UserRole, str(path))
            if not path.exists():
                item.setText(f"{item.text()}  (not found)")
                item.setToolTip("The file is not there now (a disconnected drive?)")
            self.recent.addItem(item)
        if self.recent.count():
            self.recent.setCurrentRow(0)

    def _recent_changed(self, item: QListWidgetItem | None, _previous=None) -> None:
        self.selected_path = Path(item.data(Qt.ItemDataRole.UserRole)) if item else None
        self.path_label.setText(str(self.selected_path) if item else "Choose a workspace.")
        self.unlock_message.clear()
        self.passphrase.clear()
        self.remember.setChecked(False)
        self._recall()

    selected_path: Path | None = None

    def _check_remember(self) -> None:
        def apply(result) -> None:
            backend, support = result
            self._backend = backend if support.available else None
            self.remember.setEnabled(support.available)
            self.remember.setToolTip(support.reason)
            if not support.available:
                self.remember.setChecked(False)
            self._recall()

        def failed(_exc: BaseException) -> None:
            reason = "The credential store could not be checked."
            apply((None, keys.RememberSupport(False, reason, "")))

        def load(_op):
            backend = keys.load_keyring()
            return backend, keys.remember_support(backend)

        if self._backend is not None:
            apply((self._backend, keys.remember_support(self._backend)))
        else:  # loading the keyring can take a second: never on the UI thread
            run_op(self, "", load, apply, failed, progress=False)

    def _recall(self) -> None:
        """Fill in a remembered passphrase for the selected workspace."""
        if self._backend is None or self.selected_path is None:
            return
        remembered = keys.recall_passphrase(self.selected_path, self._backend)
        if remembered:
            self.passphrase.setText(remembered)
            self.remember.setChecked(True)

    def _strength_changed(self, text: str) -> None:
        score, words = keys.passphrase_strength(text)
        self.strength.setValue(score)
        self.strength.setFormat(words if text else "Enter a passphrase")

    def _set_busy(self, busy: bool, message: str = "") -> None:
        self._busy = busy
        for widget in (
            self.unlock_button,
            self.create_button,
            self.passphrase,
            self.new_passphrase,
            self.confirm,
            self.recent,
            self.browse_button,
            self.new_button,
        ):
            widget.setEnabled(not busy)
        if message:
            self._show(
                self.unlock_message if self.pages.currentIndex() == 0 else self.create_message,
                message,
                error=False,
            )

    def _show(self, label: MessageLabel, text: str, *, error: bool) -> None:
        # "Error:" starts the text: colour is never the only signal.
        if error:
            label.show_error(text)
        else:
            label.show_info(text)

    # -- actions -----------------------------------------------------------------------
    def show_create(self) -> None:
        self.pages.setCurrentIndex(1)
        self.new_path.setFocus()

    def show_unlock(self) -> None:
        self.pages.setCurrentIndex(0)

    def browse(self) -> None:
        start = str(self.selected_path.parent) if self.selected_path else str(Path.home())
        chosen, _ = QFileDialog.getOpenFileName(self, "Open a workspace", start, FILE_FILTER)
        if chosen:
            self.choose_path(Path(chosen))

    def choose_path(self, path: Path) -> None:
        self.settings.add_recent(path)
        self._fill_recent()
        self.passphrase.setFocus()

    def _choose_new_path(self) -> None:
        chosen, _ = QFileDialog.getSaveFileName(
            self, "New workspace", str(Path.home()), FILE_FILTER
        )
        if chosen:
            path = Path(chosen)
            self.new_path.setText(str(path if path.suffix else path.with_suffix(".toex")))

    def unlock(self) -> None:
        if self._busy:
            return
        path, passphrase = self.selected_path, self.passphrase.text()
        if path is None:
            self._show(self.unlock_message, "Choose a workspace first.", error=True)
            return
        if not passphrase:
            self._show(self.unlock_message, "Enter the passphrase.", error=True)
            return
        remember = self._backend is not None and self.remember.isChecked()
        self._set_busy(True, "Unlocking…")
        run_op(
            self,
            "Unlocking…",
            lambda op: open_workspace(path, passphrase),
            lambda ws: self._opened(ws, passphrase if remember else None),
            lambda exc: self._failed(self.unlock_message, exc),
            progress=False,
        )

    def create(self) -> None:
        if self._busy:
            return
        text = self.new_path.text().strip()
        if not text:
            self._show(self.create_message, "Choose where to save the workspace.", error=True)
            return
        path = Path(text)
        if not path.suffix:
            path = path.with_suffix(".toex")
        passphrase, analyst = self.new_passphrase.text(), self.analyst.text()
        if passphrase != self.confirm.text():
            self._show(self.create_message, "The two passphrases differ.", error=True)
            return
        try:
            keys.check_new_passphrase(passphrase)
        except errors.PassphraseRejected as exc:
            self._show(self.create_message, str(exc), error=True)
            return
        self._set_busy(True, "Creating the encrypted workspace…")
        run_op(
            self,
            "Creating…",
            lambda op: create_workspace(path, passphrase, analyst),
            lambda ws: self._opened(ws, None),
            lambda exc: self._failed(self.create_message, exc),
            progress=False,
        )

    def _opened(self, ws: Workspace, remember_passphrase: str | None) -> None:
        self._set_busy(False)
        if self._backend is not None:
            if remember_passphrase is not None:
                keys.remember_passphrase(ws.path, remember_passphrase, self._backend)
            else:  # unticked: whatever was remembered goes
                keys.forget_passphrase(ws.path, self._backend)
        self.settings.add_recent(ws.path)
        self.passphrase.clear()
        self.new_passphrase.clear()
        self.confirm.clear()
        self.workspace = ws
        self.workspace_opened.emit(ws)
        self.accept()

    def _failed(self, label: MessageLabel, exc: BaseException) -> None:
        self._set_busy(False)
        if isinstance(exc, errors.ToexError):
            self._show(label, str(exc), error=True)
        else:
            config.log_exception(log, "unlock failed", exc)
            self._show(
                label, f"Something went wrong ({type(exc).__name__}); see the log.", error=True
            )
        field = self.passphrase if label is self.unlock_message else self.new_passphrase
        field.selectAll()
        field.setFocus()
