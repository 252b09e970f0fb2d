"""Conversations and outcomes.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_DOCUMENT = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def timestamps() -> list[sa.Column]:
    return [
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "conversations",
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("consent", sa.Boolean(), nullable=True),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("language", sa.String(2), nullable=True),
        sa.Column("contact", sa.Text(), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("conversation_id", name="pk_conversations"),
    )
    op.create_table(
        "outcomes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("details", JSON_DOCUMENT, nullable=False),
        sa.Column("language", sa.String(2), nullable=False),
        sa.Column("role", sa.String(16), nullable=True),
        sa.Column("status", sa.String(16), server_default="new", nullable=False),
        sa.Column("assignee", sa.String(255), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source_message_id", sa.String(255), nullable=True),
        *timestamps(),
        sa.PrimaryKeyConstraint("id", name="pk_outcomes"),
        sa.UniqueConstraint(
            "conversation_id",
            "kind",
            "source_message_id",
            name="uq_outcomes_conversation_id_kind_source_message_id",
        ),
    )
    op.create_index("ix_outcomes_conversation_id", "outcomes", ["conversation_id"])
    op.create_index("ix_outcomes_kind_status", "outcomes", ["kind", "status"])


def downgrade() -> None:
    op.drop_index("ix_outcomes_kind_status", table_name="outcomes")
    op.drop_index("ix_outcomes_conversation_id", table_name="outcomes")
    op.drop_table("outcomes")
    op.drop_table("conversations")
