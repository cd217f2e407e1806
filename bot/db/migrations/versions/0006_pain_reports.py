"""one pain stream: every pain report as one row, backfilled; how each routine felt

Revision ID: 0006_pain_reports
Revises: 0005
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from alembic import op

revision = "0006_pain_reports"
down_revision = "0005"
branch_labels = None
depends_on = None

# Everything already told is copied in, each with the time it was told and the day it is about.
_MORNINGS = """
INSERT INTO pain_reports (user_id, at, local_date, kind, value, source)
SELECT m.user_id, m.at, m.local_date, 'morning', m.pain,
       CASE WHEN EXISTS (
           SELECT 1 FROM pushes p
           WHERE p.user_id = m.user_id AND p.local_date = m.local_date AND p.kind = 'check'
       ) THEN 'rest_day_question' ELSE 'morning_question' END
FROM morning_pain m
"""
_ENDS = """
INSERT INTO pain_reports (user_id, at, local_date, kind, value, source, routine_id)
SELECT r.user_id, COALESCE(r.ended_at, r.updated_at), r.local_date, 'end', r.end_pain,
       'end_question', r.id
FROM routines r
WHERE r.end_pain IS NOT NULL
"""
_DURING = """
INSERT INTO pain_reports (user_id, at, local_date, kind, value, source, routine_id, exercise_id)
SELECT e.user_id, COALESCE(e.pain_at, e.at, r.updated_at), e.local_date, 'during', e.pain,
       'hurt', e.routine_id, e.exercise_id
FROM exercise_records e JOIN routines r ON r.id = e.routine_id
WHERE e.pain IS NOT NULL
"""


def upgrade() -> None:
    op.create_table(
        "pain_reports",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("value", sa.SmallInteger(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column(
            "routine_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("exercise_id", sa.String(length=40), nullable=True),
        sa.CheckConstraint("value BETWEEN 0 AND 10", name=op.f("ck_pain_reports_value_range")),
        sa.ForeignKeyConstraint(
            ["routine_id"],
            ["routines.id"],
            name=op.f("fk_pain_reports_routine_id_routines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_pain_reports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pain_reports")),
    )
    with op.batch_alter_table("pain_reports", schema=None) as batch_op:
        batch_op.create_index("ix_pain_reports_user_id_at", ["user_id", "at"], unique=False)
    with op.batch_alter_table("routines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("feel", sa.String(length=8), nullable=True))
        batch_op.add_column(sa.Column("feel_at", sa.DateTime(timezone=True), nullable=True))
    _backfill()


def _backfill() -> None:
    """Copy what is stored today: baselines, morning answers, end pains, exercise pains."""
    bind = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.BigInteger()),
        sa.column("baseline_pain", sa.SmallInteger()),
        sa.column("onboarded_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("tz", sa.String()),
    )
    reports = sa.table(
        "pain_reports",
        sa.column("user_id", sa.BigInteger()),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("local_date", sa.Date()),
        sa.column("kind", sa.String()),
        sa.column("value", sa.SmallInteger()),
        sa.column("source", sa.String()),
    )
    rows = bind.execute(
        sa.select(
            users.c.id, users.c.baseline_pain, users.c.onboarded_at, users.c.created_at, users.c.tz
        ).where(users.c.baseline_pain.is_not(None))
    ).all()
    baselines = []
    for user_id, pain, onboarded_at, created_at, tz in rows:
        # The baseline was told during onboarding: its end is the best time on record.
        at = _utc(onboarded_at or created_at)
        baselines.append(
            {
                "user_id": user_id,
                "at": at,
                "local_date": at.astimezone(_zone(tz)).date(),
                "kind": "baseline",
                "value": pain,
                "source": "onboarding",
            }
        )
    if baselines:
        op.bulk_insert(reports, baselines)
    for statement in (_MORNINGS, _ENDS, _DURING):
        bind.execute(sa.text(statement))


def _utc(value: datetime) -> datetime:
    # SQLite hands stored times back naive; they are UTC.
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def downgrade() -> None:
    with op.batch_alter_table("pain_reports", schema=None) as batch_op:
        batch_op.drop_index("ix_pain_reports_user_id_at")
    op.drop_table("pain_reports")
    # ALTER TABLE ... DROP COLUMN, never a copy of the table: on SQLite dropping the old copy
    # would cascade to every exercise record and timer of the routines.
    with op.batch_alter_table("routines", schema=None, recreate="never") as batch_op:
        batch_op.drop_column("feel_at")
        batch_op.drop_column("feel")
