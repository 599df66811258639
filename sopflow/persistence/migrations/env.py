"""Alembic environment: runs sopflow's migrations against the configured URL."""

from alembic import context
from sqlalchemy import create_engine, pool

from sopflow.persistence.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run migrations in a transaction on a fresh connection."""
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None  # set by sopflow.persistence.db before it runs the migrations
    engine = create_engine(url, poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
