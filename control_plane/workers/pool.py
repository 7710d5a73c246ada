"""Starts the worker processes, restarts one that dies, stops them all by PID."""

import asyncio
import json
import logging
import os
import signal
import sys
from typing import Any

from pydantic import BaseModel, SecretStr

from control_plane.settings import Settings
from control_plane.worker_metrics import WorkerMetrics

__all__ = ["WorkerPool", "handover", "taken_over"]

log = logging.getLogger("podgate.workers")

_RESTART_DELAY_S = 1.0
_LINE = b"\n"
_STOP_GRACE_S = 5.0


class WorkerPool:
    """`settings.decision.workers` processes of `python -m control_plane.runtime.worker`.

    Settings, their secrets and the link token go to each worker on its stdin (they may hold
    Keystone credentials; command lines and environments are easier to read). Their metrics go
    to `metrics`' directory (prometheus-client's multiprocess mode).
    """

    def __init__(self, settings: Settings, token: str) -> None:
        self._settings = settings
        self._token = token
        self.metrics = WorkerMetrics()
        self._tasks: list[asyncio.Task[None]] = []
        self._procs: dict[int, asyncio.subprocess.Process] = {}
        self._closing = False

    async def start(self) -> None:
        for index in range(self._settings.decision.workers):
            self._tasks.append(asyncio.create_task(self._keep_running(index)))

    async def close(self) -> None:
        self._closing = True
        for proc in self._procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for proc in list(self._procs.values()):
            try:
                await asyncio.wait_for(proc.wait(), _STOP_GRACE_S)
            except TimeoutError:
                proc.kill()
                await proc.wait()
        for task in self._tasks:
            task.cancel()
        self.metrics.close()

    def pids(self) -> list[int]:
        return [proc.pid for proc in self._procs.values() if proc.returncode is None]

    async def _keep_running(self, index: int) -> None:
        while not self._closing:
            proc = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "control_plane.runtime.worker",
                stdin=asyncio.subprocess.PIPE,
                env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(self.metrics.path)},
            )
            self._procs[index] = proc
            assert proc.stdin is not None
            proc.stdin.write(handover(self._settings, self._token))
            proc.stdin.close()
            log.info("decision worker started", extra={"worker": index, "pid": proc.pid})
            code = await proc.wait()
            self.metrics.process_gone(proc.pid)
            if self._closing:
                return
            log.warning("decision worker exited; restarting", extra={"worker": index, "code": code})
            await asyncio.sleep(_RESTART_DELAY_S)


def handover(settings: Settings, token: str) -> bytes:
    """What a worker reads on its stdin: the link token, the secrets, then the settings.

    NOTE: model_dump_json() writes every SecretStr as "**********", so the secrets travel on
    a line of their own (dotted setting path -> value) and taken_over() puts them back.
    """
    secrets = json.dumps(_secrets(settings)).encode()
    return _LINE.join((token.encode(), secrets, settings.model_dump_json().encode()))


def taken_over(raw: bytes) -> tuple[Settings, str]:
    """The worker's side of `handover`."""
    token, secrets, settings = raw.split(_LINE, 2)
    data = Settings.model_validate_json(settings).model_dump()
    for path, value in json.loads(secrets).items():
        *parents, name = path.split(".")
        section = data
        for parent in parents:
            section = section[parent]
        section[name] = value
    return Settings.model_validate(data), token.decode()


def _secrets(model: BaseModel, prefix: str = "") -> dict[str, str]:
    """Every SecretStr in `model`, by dotted path, revealed."""
    found: dict[str, str] = {}
    for name in type(model).model_fields:
        value: Any = getattr(model, name)
        if isinstance(value, SecretStr):
            found[prefix + name] = value.get_secret_value()
        elif isinstance(value, BaseModel):
            found.update(_secrets(value, f"{prefix}{name}."))
    return found
