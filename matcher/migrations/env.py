"""Alembic's environment for the store: run by :mod:`matcher.schema` on a connection it opened.

The connection arrives through ``config.attributes["connection"]`` inside a transaction that
``matcher.schema`` holds (and commits); there is no ``alembic.ini`` and no offline mode.
"""

from __future__ import annotations

from alembic import context

from matcher.schema import VERSION_TABLE, full_metadata

metadata = full_metadata()

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the migrations through `matcher db upgrade` (matcher.schema), not the alembic CLI")

context.configure(
    connection=connection,
    target_metadata=metadata,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things: batch mode copies the table, on PostgreSQL it is plain ALTER.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
