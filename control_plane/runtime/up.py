"""`podgate up`: the control plane and Envoy in the foreground, stopped together."""

import asyncio
import logging
import os
import signal
import sys

from control_plane.auth.tokens import ADMIN_TOKEN_FILE
from control_plane.runtime.envoy import envoy_command, wait_envoy_ready
from control_plane.runtime.serve import serve
from control_plane.settings import Settings

log = logging.getLogger("podgate.up")


async def up(settings: Settings) -> int:
    """Serve, start Envoy once the control plane listens, print where to go; 1 if Envoy dies."""
    stop = asyncio.Event()
    envoy: asyncio.subprocess.Process | None = None
    watcher: asyncio.Task[None] | None = None
    failed = False

    async def start_envoy() -> None:
        nonlocal envoy, watcher
        envoy = await asyncio.create_subprocess_exec(*envoy_command(settings))
        watcher = asyncio.create_task(_watch(envoy))
        await wait_envoy_ready(settings.envoy.admin_port)
        _print_ready(settings, envoy.pid)

    async def _watch(proc: asyncio.subprocess.Process) -> None:
        nonlocal failed
        code = await proc.wait()
        if not stop.is_set():
            log.error("envoy exited", extra={"returncode": code})
            failed = True
            stop.set()

    try:
        await serve(settings, ready=start_envoy, stop=stop)
    finally:
        stop.set()
        if envoy is not None and envoy.returncode is None:
            envoy.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(envoy.wait(), 10)
            except TimeoutError:
                envoy.kill()
        if watcher is not None:
            await watcher
    return 1 if failed else 0


def _print_ready(settings: Settings, envoy_pid: int) -> None:
    host = settings.envoy.host
    scheme = "http" if settings.envoy.tls_cert_file is None else "https"
    print(
        f"Podgate ready (pid {os.getpid()}, envoy pid {envoy_pid})\n"
        f"  compute API  {scheme}://{host}:{settings.envoy.compute_port}/v2.1\n"
        f"  volume API   {scheme}://{host}:{settings.envoy.volume_port}/v3\n"
        f"  network API  {scheme}://{host}:{settings.envoy.network_port}/v2.0\n"
        f"  admin gRPC   {settings.grpc_target}"
        f"  (admin token: {settings.state_dir / ADMIN_TOKEN_FILE} or PODGATE_ADMIN_TOKEN)\n"
        f"  Envoy admin  http://127.0.0.1:{settings.envoy.admin_port}\n"
        "Press Ctrl-C to stop.",
        flush=True,
    )
    sys.stdout.flush()
