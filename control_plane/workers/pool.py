"""Starts the worker processes, restarts one that dies, stops them all by PID."""

import asyncio
import logging
import signal
import sys

from control_plane.settings import Settings

__all__ = ["WorkerPool", "handover", "taken_over"]

log = logging.getLogger("podgate.workers")

_RESTART_DELAY_S = 1.0
_TOKEN_LINE = b"\n"
_STOP_GRACE_S = 5.0


class WorkerPool:
    """`settings.decision.workers` processes of `python -m control_plane.workers.process`.

    Settings and the link token go to each worker on its stdin (they may hold Keystone
    credentials; command lines and environments are easier to read).
    """

    def __init__(self, settings: Settings, token: str) -> None:
        self._settings = settings
        self._token = token
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

    def pids(self) -> list[int]:
        return [proc.pid for proc in self._procs.values() if proc.returncode is None]

    async def _keep_running(self, index: int) -> None:
        while not self._closing:
            proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "control_plane.workers.process", stdin=asyncio.subprocess.PIPE
            )
            self._procs[index] = proc
            assert proc.stdin is not None
            proc.stdin.write(handover(self._settings, self._token))
            proc.stdin.close()
            log.info("decision worker started", extra={"worker": index, "pid": proc.pid})
            code = await proc.wait()
            if self._closing:
                return
            log.warning("decision worker exited; restarting", extra={"worker": index, "code": code})
            await asyncio.sleep(_RESTART_DELAY_S)


def handover(settings: Settings, token: str) -> bytes:
    """What a worker reads on its stdin: the link token on the first line, then the settings."""
    return token.encode() + _TOKEN_LINE + settings.model_dump_json().encode()


def taken_over(raw: bytes) -> tuple[Settings, str]:
    """The worker's side of `handover`."""
    token, _, settings = raw.partition(_TOKEN_LINE)
    return Settings.model_validate_json(settings), token.decode()
