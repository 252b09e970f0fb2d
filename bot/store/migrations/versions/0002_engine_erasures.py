"""Erasures: the fact of a deletion (a hash of the sender id and the time).

Revision ID: 0002_engine_erasures
Revises: 0001
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_engine_erasures"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "erasures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sender_hash", sa.String(64), nullable=False),
        sa.Column("erased_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_erasures"),
    )
    op.create_index("ix_erasures_sender_hash", "erasures", ["sender_hash"])


def downgrade() -> None:
    op.drop_index("ix_erasures_sender_hash", table_name="erasures")
    op.drop_table("erasures")
