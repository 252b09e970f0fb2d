"""Staff follow-up: notes, flags, matches, kept/answered_at/step on outcomes, full-text search.

Revision ID: 0004_staffpages_followup
Revises: 0003_staffauth_accounts (0001 before staffauth was merged)
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004_staffpages_followup"
down_revision: str | None = "0003_staffauth_accounts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# SQLite does not enforce foreign keys here (no PRAGMA foreign_keys), so triggers do the
# cascade; they also drop the stemmed search copy with the outcome.
SQLITE_TRIGGERS = {
    "outcomes_followup_delete": """
        CREATE TRIGGER outcomes_followup_delete AFTER DELETE ON outcomes BEGIN
            DELETE FROM outcomes_fts WHERE rowid = old.id;
            DELETE FROM notes WHERE outcome_id = old.id;
            DELETE FROM matches WHERE gift_id = old.id OR possibility_id = old.id;
        END""",
    "conversations_followup_delete": """
        CREATE TRIGGER conversations_followup_delete AFTER DELETE ON conversations BEGIN
            DELETE FROM flags WHERE conversation_id = old.conversation_id;
        END""",
}


FACET_COLUMNS = ("kind", "status", "language", "role", "assignee", "step", "conversation_id",
                 "created_at")


def created_at() -> sa.Column:
    return sa.Column(
        "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    with op.batch_alter_table("outcomes") as batch:
        batch.add_column(sa.Column("kept", sa.Boolean(), nullable=True))
        batch.add_column(sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("step", sa.Integer(), nullable=True))
    if sqlite:
        op.execute("UPDATE outcomes SET step = coalesce(json_extract(details, '$.ladder_step'), "
                   "json_extract(details, '$.profession_step'))")
    else:
        op.execute("UPDATE outcomes SET step = coalesce((details->>'ladder_step')::int, "
                   "(details->>'profession_step')::int)")
    op.create_index("ix_outcomes_created_at", "outcomes", ["created_at"])
    op.create_index("ix_outcomes_updated_at", "outcomes", ["updated_at"])
    op.create_index("ix_outcomes_facets", "outcomes", list(FACET_COLUMNS))
    op.create_table(
        "notes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("outcome_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_notes"),
        sa.ForeignKeyConstraint(
            ["outcome_id"], ["outcomes.id"], name="fk_notes_outcome_id", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_notes_outcome_id", "notes", ["outcome_id"])
    op.create_table(
        "flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("conversation_id", sa.String(255), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("bot_text", sa.Text(), nullable=False),
        sa.Column("user_text", sa.Text(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_flags"),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.conversation_id"],
            name="fk_flags_conversation_id",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_flags_conversation_id", "flags", ["conversation_id"])
    op.create_table(
        "matches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("gift_id", sa.Integer(), nullable=False),
        sa.Column("possibility_id", sa.Integer(), nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        created_at(),
        sa.PrimaryKeyConstraint("id", name="pk_matches"),
        sa.UniqueConstraint("gift_id", "possibility_id", name="uq_matches_gift_id_possibility_id"),
        sa.ForeignKeyConstraint(
            ["gift_id"], ["outcomes.id"], name="fk_matches_gift_id", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["possibility_id"], ["outcomes.id"], name="fk_matches_possibility_id",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_matches_possibility_id", "matches", ["possibility_id"])
    if sqlite:
        # The stemmed copy of each outcome's text (bot/store/search.py keeps it up to date).
        op.execute(
            "CREATE VIRTUAL TABLE outcomes_fts USING fts5("
            "terms, tokenize = \"unicode61 remove_diacritics 0 tokenchars '-'\")"
        )
        for statement in SQLITE_TRIGGERS.values():
            op.execute(statement)
    else:
        op.execute(
            "CREATE INDEX ix_outcomes_text_danish ON outcomes "
            "USING gin (to_tsvector('danish', text))"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS outcomes_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_outcomes_text_danish")
    op.drop_table("matches")
    op.drop_table("flags")
    op.drop_table("notes")
    op.drop_index("ix_outcomes_facets", table_name="outcomes")
    op.drop_index("ix_outcomes_updated_at", table_name="outcomes")
    op.drop_index("ix_outcomes_created_at", table_name="outcomes")
    with op.batch_alter_table("outcomes") as batch:
        batch.drop_column("step")
        batch.drop_column("answered_at")
        batch.drop_column("kept")
