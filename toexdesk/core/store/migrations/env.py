"""Alembic environment: always run in-process on a connection the engine factory made."""

from alembic import context

from toexdesk.core.model import Base
from toexdesk.core.store.migrations import include_name

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite alters tables by copy-and-move
    transactional_ddl=True,
    include_name=include_name,
)
with context.begin_transaction():
    context.run_migrations()
