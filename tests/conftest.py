"""Plugins and fixtures for the whole suite; each module says what it adds."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from control_plane.store import Store

pytest_plugins = [
    "tests.plugins.isolated",
    "tests.plugins.keystone_prebuild",
    "tests.plugins.timing",
    # The session-wide Keystone, one for every directory (a conftest per directory importing the
    # fixture would start one Keystone each).
    "tests.fixtures.keystone",
]


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    """An empty SQLite database under tmp_path (tests/store runs on PostgreSQL as well)."""
    return f"sqlite+aiosqlite:///{tmp_path / 'state' / 'podgate.db'}"


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[Store]:
    """A migrated store on an empty database, closed after the test."""
    opened = await Store.open(store_url)
    yield opened
    await opened.close()
