"""Named staff (issue 22): people and their hashed tokens, who made a contact request (and their
teams), who recorded a proposal's outcome, and what a web session knows of its person (teams, how
they signed in, the reasons given for other teams' job seekers).

Every change adds: no row of 0.1.0 changes. A web session of 0.1.0 named a role token, not a
person, and has no teams now: a caseworker's reaches no job seeker until they sign in again.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-07 22:15:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("teams", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "staff_tokens",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("staff_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.Column("expires_at", sa.String(length=32), nullable=False),
        sa.Column("revoked_at", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("sha256"),
    )
    with op.batch_alter_table("staff_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_tokens_staff_id"), ["staff_id"], unique=False)
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("requester_teams", sa.String(length=400), nullable=True))
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recorded_by", sa.String(length=64), nullable=True))
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("teams", sa.String(length=400), nullable=True))
        batch_op.add_column(sa.Column("via", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("reasons", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("web_sessions", schema=None) as batch_op:
        batch_op.drop_column("reasons")
        batch_op.drop_column("via")
        batch_op.drop_column("teams")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_column("recorded_by")
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.drop_column("requester_teams")
    with op.batch_alter_table("staff_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_tokens_staff_id"))
    op.drop_table("staff_tokens")
    op.drop_table("staff")
