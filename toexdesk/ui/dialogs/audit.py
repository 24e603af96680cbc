"""The audit trail of one record, and a check of the whole chain."""

from __future__ import annotations

import json

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from toexdesk.core.services import workspace as ws_svc
from toexdesk.core.store.engine import Workspace
from toexdesk.ui.workers import run_op

HEADERS = (
    "No.",
    "When (local time)",
    "Analyst",
    "Account",
    "Action",
    "Record",
    "What",
    "Justification",
    "Recipient",
)


def _what(details: str) -> str:
    try:
        data = json.loads(details or "{}")
    except ValueError:
        return details
    if not isinstance(data, dict):
        return str(data)
    parts = []
    for key, value in data.items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        parts.append(f"{key.replace('_', ' ')}: {text}")
    return "; ".join(parts)


class AuditDialog(QDialog):
    def __init__(
        self,
        ws: Workspace,
        record_type: str,
        record_id: int,
        label: str,
        parent: QWidget | None = None,
    ):
        super().__init__(parent)
        self.ws = ws
        self.setWindowTitle(f"Audit trail — {label}")
        em = self.fontMetrics().averageCharWidth()
        self.resize(em * 140, self.fontMetrics().lineSpacing() * 24)
        events = ws_svc.audit_events(ws, record_type, record_id)
        self.table = QTableWidget(len(events), len(HEADERS))
        self.table.setAccessibleName(f"Audit events of {label}")
        self.table.setHorizontalHeaderLabels(HEADERS)
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table; arrows move in it
        for row, e in enumerate(events):
            cells = (
                str(e.seq),
                e.at.astimezone().strftime("%Y-%m-%d %H:%M:%S"),
                e.analyst,
                e.os_user,
                e.action.capitalize(),
                e.record_ref,
                _what(e.details),
                e.justification,
                e.recipient,
            )
            for column, text in enumerate(cells):
                self.table.setItem(row, column, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        self.verify_button = QPushButton("Verify the whole chain")
        self.verify_button.setToolTip(
            "Check every page's HMAC, the structure and the audit chain; name the first bad event"
        )
        self.verify_button.clicked.connect(self.verify)
        self.result = QLabel(f"{len(events)} events for {label}.")
        self.result.setWordWrap(True)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        row = QHBoxLayout()
        row.addWidget(self.verify_button)
        row.addWidget(self.result, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table)
        layout.addLayout(row)
        layout.addWidget(buttons)

    def verify(self) -> None:
        self.verify_button.setEnabled(False)
        self.result.setText("Verifying…")
        ws = self.ws
        run_op(
            self,
            "Verifying the workspace…",
            lambda op: ws_svc.verify(ws),
            self._verified,
            self._failed,
            cancellable=False,
        )

    def _verified(self, report: ws_svc.VerifyReport) -> None:
        self.verify_button.setEnabled(True)
        if report.ok:
            self.result.setText(
                f"OK: every page checks out and the chain of "
                f"{report.chain.events:,} events verifies."
            )
        else:
            first = report.integrity[0] if report.integrity else report.chain.problems[0].message
            self.result.setText(f"Problem: {first}")

    def _failed(self, exc: BaseException) -> None:
        self.verify_button.setEnabled(True)
        self.result.setText(f"Problem: {exc}")
