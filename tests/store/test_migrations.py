"""Store lifecycle: migrations, restarts and the schema's own guarantees."""

import sqlite3
from argparse import Namespace
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy.ext.asyncio import create_async_engine

from control_plane.model import Pod, ResourceType, Routing
from control_plane.store import Store
from control_plane.store.tables import Base

ALEMBIC_INI = Path(__file__).parents[2] / "control_plane" / "store" / "alembic.ini"


def _diff(connection: sa.Connection) -> list[object]:
    return compare_metadata(MigrationContext.configure(connection), Base.metadata)


async def test_migrations_build_exactly_the_declared_tables(store_url: str) -> None:
    await (await Store.open(store_url)).close()
    engine = create_async_engine(store_url)
    try:
        async with engine.connect() as connection:
            assert await connection.run_sync(_diff) == []
            version = await connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    finally:
        await engine.dispose()
    assert version == "0005"


async def test_reopening_keeps_data_and_migrating_again_is_harmless(store_url: str) -> None:
    store = await Store.open(store_url)
    pod = await store.create_pod(Pod(name="p", az_name="az1", endpoints={"compute": "http://c"}))
    binding = await store.create_binding("proj", "p")
    routing = await store.put_routing(Routing("vm1", ResourceType.SERVER, "proj", "p"))
    await store.close()
    for _ in range(2):
        store = await Store.open(store_url)
        try:
            assert await store.list_pods() == [pod]
            assert await store.list_bindings() == [binding]
            assert await store.list_routings() == [routing]
        finally:
            await store.close()


async def test_sqlite_store_creates_its_directory(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "podgate.db"
    await (await Store.open(f"sqlite+aiosqlite:///{path}")).close()
    assert path.is_file()


async def test_schema_refuses_a_second_active_binding(store_url: str, store: Store) -> None:
    pod = await store.create_pod(Pod(name="p", az_name="az1"))
    engine = create_async_engine(store_url)
    insert = sa.text(
        "INSERT INTO pod_bindings (id, project_id, az_name, pod_id, active, created_at,"
        " updated_at) VALUES (:id, 'proj', 'az1', :pod, :active, :now, :now)"
    )
    now = pod.created_at
    try:
        async with engine.begin() as connection:
            for n in range(3):
                values = {"id": f"old{n}", "pod": pod.id, "active": False, "now": now}
                await connection.execute(insert, values)
            await connection.execute(insert, {"id": "a", "pod": pod.id, "active": True, "now": now})
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as connection:
                values = {"id": "b", "pod": pod.id, "active": True, "now": now}
                await connection.execute(insert, values)
    finally:
        await engine.dispose()


async def test_sqlite_store_enforces_foreign_keys(tmp_path: Path) -> None:
    store = await Store.open(f"sqlite+aiosqlite:///{tmp_path / 'podgate.db'}")
    try:
        await store.create_pod(Pod(name="p", az_name="az1"))
        engine = store._engine
        with pytest.raises(sa.exc.IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(
                    sa.text(
                        "INSERT INTO resource_routings (resource_id, resource_type, project_id,"
                        " pod_id, created_at, updated_at) VALUES ('x', 'server', 'p', 'missing',"
                        " '2025-01-01', '2025-01-01')"
                    )
                )
    finally:
        await store.close()


def test_pods_from_before_the_tls_flag_stay_verified(tmp_path: Path) -> None:
    # In process (the command line's own test: tests/integration/test_alembic_cli.py).
    config = Config(str(ALEMBIC_INI))
    config.cmd_opts = Namespace(x=[f"url=sqlite+aiosqlite:///{tmp_path / 'podgate.db'}"])
    command.upgrade(config, "0001")
    with sqlite3.connect(tmp_path / "podgate.db") as db:
        db.execute(
            "INSERT INTO pods (id, name, az_name, pod_az_name, dc_name, state, created_at,"
            " updated_at) VALUES ('1', 'old', 'az1', '', '', 'ENABLED', '2025-01-01',"
            " '2025-01-01')"
        )
    command.upgrade(config, "head")
    with sqlite3.connect(tmp_path / "podgate.db") as db:
        assert db.execute("SELECT tls_insecure FROM pods WHERE name = 'old'").fetchall() == [(0,)]
