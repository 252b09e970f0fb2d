"""The review inbox: trainers' decisions on misunderstood messages.

Revision ID: 0005_review
Revises: 0004_staffpages_followup
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_review"
down_revision: str | None = "0004_staffpages_followup"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite does not enforce foreign keys here (no PRAGMA foreign_keys): a trigger does the cascade,
# so erasing or expiring a conversation takes its decision rows with it.
SQLITE_TRIGGER = """
    CREATE TRIGGER conversations_review_delete AFTER DELETE ON conversations BEGIN
        DELETE FROM review_decisions WHERE conversation_id = old.conversation_id;
    END"""


def upgrade() -> None:
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("intent", sa.String(100), nullable=True),
        sa.Column("reference", sa.String(255), nullable=True),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.func.now(),
                  nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_review_decisions"),
        sa.UniqueConstraint("event_id", name="uq_review_decisions_event_id"),
        sa.ForeignKeyConstraint(
            ["conversation_id"], ["conversations.conversation_id"],
            name="fk_review_decisions_conversation_id", ondelete="CASCADE",
        ),
    )
    op.create_index("ix_review_decisions_conversation_id", "review_decisions",
                    ["conversation_id"])
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS conversations_review_delete")
    op.drop_index("ix_review_decisions_conversation_id", table_name="review_decisions")
    op.drop_table("review_decisions")
