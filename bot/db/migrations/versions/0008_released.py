"""timers remember whether the end of their hold was announced

Revision ID: 0008_released
Revises: 0007_replied
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_released"
down_revision = "0007_replied"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Timers already there were announced by a version that did so in the same breath.
    with op.batch_alter_table("routine_timers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("released", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("routine_timers", schema=None) as batch_op:
        batch_op.drop_column("released")
