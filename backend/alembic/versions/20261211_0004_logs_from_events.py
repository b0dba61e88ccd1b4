"""strategy_executions.execution_logs dropped: an execution's log lines are its events' messages (stored once)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-11 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("strategy_executions", schema=None) as batch_op:
        batch_op.drop_column("execution_logs")


def downgrade() -> None:
    json_type = sa.JSON().with_variant(JSONB(), "postgresql")
    with op.batch_alter_table("strategy_executions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("execution_logs", json_type, nullable=False, server_default="[]"))
    # Refill each execution's log from its events.
    if op.get_bind().dialect.name == "postgresql":
        lines = "SELECT jsonb_agg(message ORDER BY seq) FROM execution_events WHERE execution_id = e.id"
        op.execute(f"UPDATE strategy_executions e SET execution_logs = COALESCE(({lines}), '[]'::jsonb)")
    else:
        lines = (
            "SELECT json_group_array(message) FROM (SELECT message FROM execution_events "
            "WHERE execution_id = strategy_executions.id ORDER BY seq)"
        )
        op.execute(f"UPDATE strategy_executions SET execution_logs = COALESCE(({lines}), '[]')")
