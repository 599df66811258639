"""Database engine, sessions and the one transaction of each engine command."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session, sessionmaker

from sopflow.errors import SchemaOutdated

if TYPE_CHECKING:
    from alembic.config import Config

    from sopflow.settings import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
_AFTER_COMMIT_KEY = "sopflow.after_commit"
UPGRADE_COMMAND = "sopflow db upgrade"


@dataclass(frozen=True)
class SchemaStatus:
    """The database's Alembic revision against the newest one this code ships."""

    current: str | None
    head: str

    @property
    def at_head(self) -> bool:
        """Whether the schema is exactly at the newest revision."""
        return self.current == self.head


class Database:
    """Owns the SQLAlchemy engine; hands out read sessions and write units of work.

    On SQLite every write transaction starts with ``BEGIN IMMEDIATE`` so writers queue
    on the database lock instead of failing half-way; on PostgreSQL the engine locks the
    case row (``SELECT ... FOR UPDATE``) inside the unit of work.
    """

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        if self.is_sqlite:
            connect_args = {"timeout": 60, "check_same_thread": False}
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.engine: Engine = create_engine(url, connect_args=connect_args, pool_pre_ping=not self.is_sqlite)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._read = sessionmaker(self.engine, expire_on_commit=False)
        self._write = sessionmaker(self.engine.execution_options(sopflow_write=True), expire_on_commit=False)

    @contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """Yield a session in one write transaction: commit on success, roll back on any error."""
        with self._write.begin() as session:
            yield session

    @contextmanager
    def reading(self) -> Iterator[Session]:
        """Yield a session for read-only queries."""
        with self._read() as session:
            yield session

    def upgrade(self) -> None:
        """Bring the schema to the newest Alembic revision (``sopflow db upgrade``)."""
        from alembic import command  # Alembic only where the schema is looked at (a CLI run starts faster)

        command.upgrade(alembic_config(self.url), "head")

    def schema_status(self) -> SchemaStatus:
        """Return the database's current revision (None when empty) and the head revision."""
        from alembic.runtime.migration import MigrationContext

        with self.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        return SchemaStatus(current=current, head=head_revision())

    def check_at_head(self) -> SchemaStatus:
        """Refuse to run on a schema that is not at the newest revision.

        Every long-running entry point (``sopflow serve``, ``webapp.wsgi``, workers) calls
        this at start instead of migrating. Raises SchemaOutdated naming ``sopflow db upgrade``.
        """
        status = self.schema_status()
        if status.at_head:
            return status
        where = self.engine.url.render_as_string(hide_password=True)
        if status.current is None:
            message = f"Basis data {where} belum berisi skema sopflow (revisi terbaru {status.head})."
        elif status.current in known_revisions():
            message = f"Skema basis data {where} masih revisi {status.current}; revisi terbaru {status.head}."
        else:
            message = (
                f"Skema basis data {where} berada di revisi {status.current} yang tidak dikenal versi sopflow ini "
                f"(revisi terbaru yang dikenal {status.head}); pasang versi sopflow yang sesuai."
            )
            raise SchemaOutdated(message)
        raise SchemaOutdated(f"{message} Jalankan `{UPGRADE_COMMAND}` terlebih dahulu.")

    def ping(self) -> None:
        """Run ``SELECT 1`` on a pooled connection (pre-pinged, so a restarted server is reconnected).

        Raises one of :data:`DATABASE_ERRORS` when the database cannot be reached.
        """
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1")).scalar_one()

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


#: exception classes that may mean the database is unreachable (see :func:`is_connection_error`)
DATABASE_ERRORS: tuple[type[Exception], ...] = (
    sa_exc.DBAPIError,
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    psycopg.Error,
)


def is_connection_error(exc: BaseException) -> bool:
    """Tell whether ``exc`` means the database cannot be reached (as opposed to a bad statement)."""
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    if isinstance(exc, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return True
    return isinstance(exc, psycopg.OperationalError | psycopg.InterfaceError)


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Call ``callback`` once the session's transaction has committed (never after a rollback)."""
    session.info.setdefault(_AFTER_COMMIT_KEY, []).append(callback)


@event.listens_for(Session, "after_commit")
def _run_after_commit(session: Session) -> None:
    for callback in session.info.pop(_AFTER_COMMIT_KEY, []):
        callback()


@event.listens_for(Session, "after_soft_rollback")
def _drop_after_commit(session: Session, _previous: Any) -> None:
    session.info.pop(_AFTER_COMMIT_KEY, None)


def open_database(settings: Settings, migrate: bool | None = None) -> Database:
    """Open the configured database for a CLI command or a long-running process.

    ``migrate`` defaults to ``settings.embedded``: the embedded SQLite default is upgraded
    for the user (``make run`` stays one command); otherwise the schema must already be at
    head (:meth:`Database.check_at_head`, SchemaOutdated) — nothing migrates by itself.
    """
    db = Database(settings.database_url)
    try:
        if settings.embedded if migrate is None else migrate:
            db.upgrade()
        else:
            db.check_at_head()
    except BaseException:
        db.dispose()
        raise
    return db


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest Alembic revision shipped with this code."""
    from alembic.script import ScriptDirectory

    heads = ScriptDirectory.from_config(alembic_config("sqlite://")).get_heads()
    if len(heads) != 1:
        raise SchemaOutdated(f"Migrasi sopflow memiliki {len(heads)} revisi ujung ({', '.join(heads)}); harus satu.")
    return heads[0]


@lru_cache(maxsize=1)
def known_revisions() -> frozenset[str]:
    """Every Alembic revision shipped with this code."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return frozenset(rev.revision for rev in script.walk_revisions())


def alembic_config(url: str) -> Config:
    """Return an Alembic config pointing at sopflow's migrations and ``url``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=60000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("sopflow_write")
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")
