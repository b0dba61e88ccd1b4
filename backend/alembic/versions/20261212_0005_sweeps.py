"""sweeps: a sweep execution's request, reduced result and table

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-11 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from sqlalchemy.dialects import postgresql

from alembic import op

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sweeps",
        sa.Column(
            "execution_id", sa.String(length=40), sa.ForeignKey("strategy_executions.id"), primary_key=True
        ),
        sa.Column("user_id", sa.String(length=40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("request", JSON, nullable=False),
        sa.Column("summary", JSON, nullable=True),
        sa.Column("table_data", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sweeps_user_id", "sweeps", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sweeps_user_id", table_name="sweeps")
    op.drop_table("sweeps")
