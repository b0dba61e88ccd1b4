"""custom_indicators: each user's library of saved custom indicators

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-13 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "custom_indicators",
        sa.Column("id", sa.String(length=40), primary_key=True),
        sa.Column("user_id", sa.String(length=40), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("name_key", sa.String(length=40), nullable=False),
        sa.Column("formula", sa.String(length=500), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("user_id", "name_key", name="uq_custom_indicators_user_name"),
    )
    op.create_index("ix_custom_indicators_user_id", "custom_indicators", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_custom_indicators_user_id", table_name="custom_indicators")
    op.drop_table("custom_indicators")
