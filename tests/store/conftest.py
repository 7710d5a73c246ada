"""Every store test runs on SQLite and on a throwaway PostgreSQL database (`store_url` here
overrides the suite's SQLite one, so tests/conftest.py's `store` opens either)."""

from collections.abc import AsyncIterator

import pytest

from control_plane.model import Pod
from control_plane.store import Store
from tests.fixtures.postgres import fresh_database, postgres_url  # noqa: F401 (fixture)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def store_url(request: pytest.FixtureRequest, store_url: str) -> AsyncIterator[str]:
    """An empty database URL: the suite's SQLite one, or a new PostgreSQL database."""
    if request.param == "sqlite":
        yield store_url
        return
    async with fresh_database(request.getfixturevalue("postgres_url")) as url:
        yield url


@pytest.fixture
async def pods(store: Store) -> tuple[Pod, Pod, Pod]:
    """pod1 and pod2 in az1, pod3 in az2."""
    return (
        await store.create_pod(Pod(name="pod1", az_name="az1", endpoints={"compute": "http://1"})),
        await store.create_pod(Pod(name="pod2", az_name="az1", endpoints={"compute": "http://2"})),
        await store.create_pod(Pod(name="pod3", az_name="az2", endpoints={"compute": "http://3"})),
    )
