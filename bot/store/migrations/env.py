"""Alembic environment: our tables only. Rasa owns `events` in the same database."""

from logging.config import fileConfig

from alembic import context
from sqlalchemy import Connection

from bot.settings import load_settings
from bot.store import account_models  # noqa: F401  (registers the staff tables on Base)
from bot.store.database import create_store_engine
from bot.store.models import Base

config = context.config
if config.config_file_name is not None:
    fileConfig(config.config_file_name, disable_existing_loggers=False)


def database_url() -> str:
    return config.get_main_option("sqlalchemy.url") or load_settings().database_url


# PostgreSQL-only expression index (migration 0004), not expressible in the shared models.
UNMODELLED_INDEXES = {"ix_outcomes_text_danish"}


def include_name(name: str | None, type_: str, parent_names: object) -> bool:
    # Without this, autogenerate would propose dropping Rasa's tables.
    if type_ == "index" and name in UNMODELLED_INDEXES:
        return False
    return type_ != "table" or name in Base.metadata.tables


def configure(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        include_name=include_name,
        compare_type=True,
        render_as_batch=connection.dialect.name == "sqlite",
    )


def run_offline() -> None:
    context.configure(
        url=database_url(),
        target_metadata=Base.metadata,
        include_name=include_name,
        literal_binds=True,
        render_as_batch=database_url().startswith("sqlite"),
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    shared = config.attributes.get("connection")
    if shared is not None:  # bot.store.migrate() owns the connection and its transaction
        configure(shared)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_store_engine(database_url())
    try:
        with engine.connect() as connection:
            configure(connection)
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
