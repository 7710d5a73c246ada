"""/ready and /live on the control plane's metrics port, for load balancers: ready while the
gRPC port serves and the store answers; a database that refuses connections turns it 503
within the staleness bound, and its return turns it back."""

import asyncio
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from harness.gateway import Gateway
from harness.procs import wait_for
from tests.fixtures.postgres import _execute, fresh_database_for, postgres_url  # noqa: F401

pytestmark = pytest.mark.e2e

# serve.py pings every 5 s and calls the store stale after 15 s.
_TURN_S = 40


def _get(gateway: Gateway, path: str) -> tuple[int, str]:
    url = f"http://127.0.0.1:{gateway.metrics_port}{path}"
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


@contextmanager
def _started(root: Path, **env: str) -> Iterator[Gateway]:
    gateway = Gateway(state_dir=root / "state", extra_env=env)
    gateway.state_dir.mkdir(parents=True)
    try:
        gateway.start_control_plane()
        yield gateway
    finally:
        gateway.stop()


def _until(gateway: Gateway, status: int) -> None:
    wait_for(lambda: _get(gateway, "/ready")[0] == status, timeout=_TURN_S, what=f"{status}")


def test_ready_and_live_beside_metrics(tmp_path: Path) -> None:
    with _started(tmp_path) as gateway:
        _until(gateway, 200)
        assert _get(gateway, "/ready") == (200, "ready\n")
        assert _get(gateway, "/live") == (200, "live\n")
        status, text = _get(gateway, "/metrics")
        assert status == 200 and "podgate_routings_stored" in text


@pytest.mark.postgres
def test_a_database_refusing_connections_makes_it_unready_then_ready_again(
    postgres_url: str,  # noqa: F811 (fixture)
    tmp_path: Path,
) -> None:
    with fresh_database_for(postgres_url) as url:
        parsed = make_url(url)
        name = parsed.database

        def admin(sql: str) -> None:
            asyncio.run(_execute(parsed.port, "postgres", sql, host=parsed.host))

        with _started(tmp_path, PODGATE_DB_URL=url) as gateway:
            _until(gateway, 200)
            admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
            admin(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname='{name}'")
            try:
                _until(gateway, 503)
                reason = _get(gateway, "/ready")[1]
                assert reason.startswith("the store has not answered for "), reason
                assert _get(gateway, "/live") == (200, "live\n")
            finally:
                admin(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
            _until(gateway, 200)
            log = (gateway.state_dir / "control-plane.log").read_text()
            assert "store not answering" in log and "store answering again" in log
