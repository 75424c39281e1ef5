"""Baseline: the schema of release 0.1.0 (commit 22f8fc6), every table of the store.

A 0.1.0 store (these tables, no version table) is stamped at this revision by ``matcher db
upgrade`` rather than running it; an empty database runs it when the revisions are applied from
scratch (the test that compares the revisions with ``matcher.records.store.metadata``).

Revision ID: 0001
Revises:
Create Date: 2026-12-07 21:05:37.882474
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_checkpoints",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.Column("anchor", sa.Boolean(), nullable=False),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    op.create_table(
        "batch_results",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("query_id", sa.String(length=64), nullable=False),
        sa.Column("rank", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shard", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("run_id", "direction", "query_id", "rank"),
    )
    with op.batch_alter_table("batch_results", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_results_item_id"), ["item_id"], unique=False)

    op.create_table(
        "batch_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("k", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=False),
        sa.Column("index_versions", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.String(length=32), nullable=False),
        sa.Column("committed_at", sa.String(length=32), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("run_id"),
    )
    with op.batch_alter_table("batch_runs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_batch_runs_status"), ["status"], unique=False)

    op.create_table(
        "batch_shards",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("direction", sa.String(length=32), nullable=False),
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("query_ids", sa.JSON(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("done_at", sa.String(length=32), nullable=True),
        sa.Column("pairs", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("run_id", "direction", "shard"),
    )
    op.create_table(
        "candidates",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("main_kldb", sa.String(length=5), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_candidates_main_kldb"), ["main_kldb"], unique=False)
        batch_op.create_index(batch_op.f("ix_candidates_source"), ["source"], unique=False)

    op.create_table(
        "change_log",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("record_id", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=16), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
    )
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_change_log_record_id"), ["record_id"], unique=False)

    op.create_table(
        "contact_requests",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("pseudonym", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=False),
        sa.Column("requested_at", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("answered_by", sa.String(length=64), nullable=True),
        sa.Column("answered_at", sa.String(length=32), nullable=True),
        sa.Column("decline_reason", sa.String(length=32), nullable=True),
        sa.Column("proposal_id", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_requests_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_requests_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_requests_vacancy_id"), ["vacancy_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("given_by", sa.String(length=64), nullable=False),
        sa.Column("given_at", sa.String(length=32), nullable=False),
        sa.Column("model_version", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_feedback_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_feedback_vacancy_id"), ["vacancy_id"], unique=False)

    op.create_table(
        "measures",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_measures_type"), ["type"], unique=False)

    op.create_table(
        "proposals",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", sa.Date(), nullable=False),
        sa.Column("outcome", sa.String(length=32), nullable=False),
        sa.Column("outcome_at", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_proposals_candidate_id"), ["candidate_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_proposals_vacancy_id"), ["vacancy_id"], unique=False)

    op.create_table(
        "protected_attributes",
        sa.Column("candidate_id", sa.String(length=64), nullable=False),
        sa.Column("gender", sa.String(length=1), nullable=True),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("citizenship_group", sa.String(length=16), nullable=True),
        sa.Column("severe_disability", sa.Boolean(), nullable=True),
        sa.PrimaryKeyConstraint("candidate_id"),
    )
    op.create_table(
        "vacancies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("kldb", sa.String(length=5), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("ags", sa.String(length=8), nullable=False),
        sa.Column("posted_at", sa.Date(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancies_kldb"), ["kldb"], unique=False)
        batch_op.create_index(batch_op.f("ix_vacancies_status"), ["status"], unique=False)

    op.create_table(
        "vacancy_aliases",
        sa.Column("alias_id", sa.String(length=64), nullable=False),
        sa.Column("vacancy_id", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("alias_id"),
    )
    with op.batch_alter_table("vacancy_aliases", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vacancy_aliases_vacancy_id"), ["vacancy_id"], unique=False)

    op.create_table(
        "web_sessions",
        sa.Column("id_sha256", sa.String(length=64), nullable=False),
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("csrf", sa.String(length=64), nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("seen_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id_sha256"),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
    with op.batch_alter_table("vacancy_aliases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancy_aliases_vacancy_id"))

    op.drop_table("vacancy_aliases")
    with op.batch_alter_table("vacancies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vacancies_status"))
        batch_op.drop_index(batch_op.f("ix_vacancies_kldb"))

    op.drop_table("vacancies")
    op.drop_table("protected_attributes")
    with op.batch_alter_table("proposals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_proposals_vacancy_id"))
        batch_op.drop_index(batch_op.f("ix_proposals_candidate_id"))

    op.drop_table("proposals")
    with op.batch_alter_table("measures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_measures_type"))

    op.drop_table("measures")
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_vacancy_id"))
        batch_op.drop_index(batch_op.f("ix_feedback_candidate_id"))

    op.drop_table("feedback")
    with op.batch_alter_table("contact_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_requests_vacancy_id"))
        batch_op.drop_index(batch_op.f("ix_contact_requests_status"))
        batch_op.drop_index(batch_op.f("ix_contact_requests_candidate_id"))

    op.drop_table("contact_requests")
    with op.batch_alter_table("change_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_change_log_record_id"))

    op.drop_table("change_log")
    with op.batch_alter_table("candidates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_candidates_source"))
        batch_op.drop_index(batch_op.f("ix_candidates_main_kldb"))

    op.drop_table("candidates")
    op.drop_table("batch_shards")
    with op.batch_alter_table("batch_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_runs_status"))

    op.drop_table("batch_runs")
    with op.batch_alter_table("batch_results", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_batch_results_item_id"))

    op.drop_table("batch_results")
    op.drop_table("audit_checkpoints")
