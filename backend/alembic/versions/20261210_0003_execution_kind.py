"""strategy_executions.kind: "backtest" (one result) or "sweep" (a grid of parameters), for filtering runs

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-10 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_executions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("kind", sa.String(length=16), server_default="backtest", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("strategy_executions", schema=None) as batch_op:
        batch_op.drop_column("kind")
