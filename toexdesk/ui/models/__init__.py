"""Table models for the panes: one lazy table model and one sort/filter proxy per pane.

The models read frozen dataclasses from the services; they never hold an ORM session.
"""

from toexdesk.ui.models.columns import Column
from toexdesk.ui.models.findings import FindingTableModel
from toexdesk.ui.models.lazy import ID_ROLE, SORT_ROLE, LazyTableModel
from toexdesk.ui.models.proxy import PaneProxy, TaskFilterProxy
from toexdesk.ui.models.sources import SourceTableModel
from toexdesk.ui.models.tasks import TaskTableModel

__all__ = [
    "ID_ROLE",
    "SORT_ROLE",
    "Column",
    "FindingTableModel",
    "LazyTableModel",
    "PaneProxy",
    "SourceTableModel",
    "TaskFilterProxy",
    "TaskTableModel",
]
