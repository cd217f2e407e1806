"""handled updates remember whether their reply went out

Revision ID: 0007_replied
Revises: 0006_pain_reports
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_replied"
down_revision = "0006_pain_reports"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows already there were written by a version that replied in the same breath.
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("replied", sa.Boolean(), nullable=False, server_default=sa.true())
        )


def downgrade() -> None:
    with op.batch_alter_table("handled_updates", schema=None) as batch_op:
        batch_op.drop_column("replied")
