"""The database engine: SQLite made safe for concurrent writers, and migrations on open."""

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

__all__ = ["IMMEDIATE", "open_engine"]

_ALEMBIC_INI = Path(__file__).with_name("alembic.ini")
# Execution option that makes a SQLite transaction start with BEGIN IMMEDIATE.
IMMEDIATE = "podgate_sqlite_immediate"
# PostgreSQL advisory lock key ("podg") so replicas starting together migrate one at a time.
_MIGRATION_LOCK = 0x706F6467


async def open_engine(url: str) -> AsyncEngine:
    """Connect and migrate to the newest schema; harmless to repeat on every start."""
    engine = _engine(url)
    try:
        async with engine.connect() as connection:
            await connection.execution_options(**{IMMEDIATE: True})
            async with connection.begin():
                await connection.run_sync(_upgrade)
    except BaseException:
        await engine.dispose()
        raise
    return engine


def _engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets its directory, foreign keys, WAL and explicit BEGINs."""
    parsed = sa.make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(parsed, pool_pre_ping=True)
    database = parsed.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(parsed)
    sa.event.listen(engine.sync_engine, "connect", _sqlite_connect)
    sa.event.listen(engine.sync_engine, "begin", _sqlite_begin)
    return engine


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    """Let SQLAlchemy emit BEGIN itself (sqlite3 would skip it before SELECTs and DDL)."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    """Writers take the write lock at BEGIN, so a read-then-write never fails as 'locked'."""
    immediate = connection.get_execution_options().get(IMMEDIATE, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _upgrade(connection: sa.Connection) -> None:
    """Alembic upgrade to head inside the caller's transaction."""
    if connection.dialect.name == "postgresql":
        connection.execute(sa.select(sa.func.pg_advisory_xact_lock(_MIGRATION_LOCK)))
    config = Config(_ALEMBIC_INI)
    config.attributes["connection"] = connection
    command.upgrade(config, "head")
