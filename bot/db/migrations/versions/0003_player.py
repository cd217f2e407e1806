"""routine player: routines, exercise records, timers

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-21 04:53:36.852924
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routines",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.SmallInteger(), nullable=False),
        sa.Column("left_ms", sa.Integer(), nullable=True),
        sa.Column("back_phase", sa.String(length=12), nullable=True),
        sa.Column("hurt_kind", sa.String(length=16), nullable=True),
        sa.Column("stopped", sa.Boolean(), nullable=False),
        sa.Column("minutes_planned", sa.SmallInteger(), nullable=False),
        sa.Column("short", sa.Boolean(), nullable=False),
        sa.Column("gentle", sa.Boolean(), nullable=False),
        sa.Column("pain_used", sa.SmallInteger(), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=True),
        sa.Column("timer_id", sa.BigInteger(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_pain", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_routines_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routines")),
    )
    with op.batch_alter_table("routines", schema=None) as batch_op:
        batch_op.create_index(
            "ix_routines_user_id_local_date", ["user_id", "local_date"], unique=False
        )
        batch_op.create_index(
            "uq_routines_open_user",
            ["user_id"],
            unique=True,
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )

    op.create_table(
        "exercise_records",
        sa.Column(
            "routine_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("idx", sa.SmallInteger(), autoincrement=False, nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("local_date", sa.Date(), nullable=False),
        sa.Column("exercise_id", sa.String(length=40), nullable=False),
        sa.Column("dose", sa.JSON(), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("outcome", sa.String(length=8), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("pain_kind", sa.String(length=16), nullable=True),
        sa.Column("pain", sa.SmallInteger(), nullable=True),
        sa.Column("pain_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["routine_id"],
            ["routines.id"],
            name=op.f("fk_exercise_records_routine_id_routines"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_exercise_records_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("routine_id", "idx", name=op.f("pk_exercise_records")),
    )
    with op.batch_alter_table("exercise_records", schema=None) as batch_op:
        batch_op.create_index(
            "ix_exercise_records_user_id_local_date", ["user_id", "local_date"], unique=False
        )

    op.create_table(
        "routine_timers",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "routine_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=False),
        sa.Column("segment", sa.SmallInteger(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("seconds", sa.Integer(), nullable=False),
        sa.Column("run_ms", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("fired_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["routine_id"],
            ["routines.id"],
            name=op.f("fk_routine_timers_routine_id_routines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routine_timers")),
    )
    with op.batch_alter_table("routine_timers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_routine_timers_routine_id"), ["routine_id"], unique=False
        )
        batch_op.create_index("ix_routine_timers_status_due_at", ["status", "due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("routine_timers", schema=None) as batch_op:
        batch_op.drop_index("ix_routine_timers_status_due_at")
        batch_op.drop_index(batch_op.f("ix_routine_timers_routine_id"))

    op.drop_table("routine_timers")
    with op.batch_alter_table("exercise_records", schema=None) as batch_op:
        batch_op.drop_index("ix_exercise_records_user_id_local_date")

    op.drop_table("exercise_records")
    with op.batch_alter_table("routines", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_routines_open_user",
            sqlite_where=sa.text("status = 'open'"),
            postgresql_where=sa.text("status = 'open'"),
        )
        batch_op.drop_index("ix_routines_user_id_local_date")

    op.drop_table("routines")
