"""Background processes that outlive the command that started them, stopped later by PID.

Each process starts in its own session, so its PID is also its process group: stopping signals
that group, which takes worker children (gunicorn, oslo.service, Erlang) along. The PID file
also holds the process's start time, so a recycled PID is never signalled.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_STOP_TIMEOUT_S = 30.0


class StartError(RuntimeError):
    """A service exited or never became ready; the message ends with its log."""


@dataclass(frozen=True, slots=True)
class Running:
    """A started process as recorded in its PID file."""

    name: str
    pid: int
    started: int
    stop_signal: int = signal.SIGTERM


def start(
    name: str,
    argv: Sequence[str],
    *,
    pids: Path,
    logs: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    user: str | None = None,
    stop_signal: int = signal.SIGTERM,
) -> Running:
    """Start `argv` detached (new session), output to logs/<name>.log, PID to pids/<name>.pid."""
    pids.mkdir(parents=True, exist_ok=True)
    logs.mkdir(parents=True, exist_ok=True)
    as_user: dict[str, Any] = {"user": user, "group": user, "extra_groups": []} if user else {}
    with (logs / f"{name}.log").open("ab") as out:
        popen = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            cwd=cwd,
            start_new_session=True,
            **as_user,
        )
    running = Running(name, popen.pid, _start_time(popen.pid) or 0, stop_signal)
    (pids / f"{name}.pid").write_text(f"{running.pid} {running.started} {stop_signal}\n")
    return running


def recorded(pids: Path) -> list[Running]:
    """Every process with a PID file, oldest first."""
    found = []
    for path in pids.glob("*.pid") if pids.exists() else ():
        pid, started, sig = path.read_text().split()
        found.append(Running(path.stem, int(pid), int(started), int(sig)))
    return sorted(found, key=lambda r: (r.started, r.pid))


def alive(running: Running) -> bool:
    """True while the recorded process (not a recycled PID, not a zombie) exists."""
    return _start_time(running.pid) == running.started and _state(running.pid) not in ("Z", "X")


def stop(running: Running, pids: Path) -> bool:
    """Signal the process group, wait, SIGKILL what lingers; False if it was already gone."""
    return running in stop_all([running], pids)


def stop_all(group: Sequence[Running], pids: Path) -> list[Running]:
    """Stop several at once (each by its own signal); the ones that were still running."""
    living = [r for r in group if alive(r)]
    for running in living:
        _signal_group(running.pid, running.stop_signal)
    deadline = time.monotonic() + _STOP_TIMEOUT_S
    while any(alive(r) for r in living) and time.monotonic() < deadline:
        time.sleep(0.1)
    for running in living:
        if alive(running):
            _signal_group(running.pid, signal.SIGKILL)
    for running in group:
        (pids / f"{running.name}.pid").unlink(missing_ok=True)
    return living


def wait_ready(
    running: Running, check: Callable[[], bool], *, log: Path, timeout: float, what: str
) -> float:
    """Poll `check` until true; StartError if the process dies or time runs out. Seconds taken."""
    begin = time.monotonic()
    while True:
        if not alive(running):
            raise StartError(f"{what} exited:\n{_tail(log)}")
        try:
            if check():
                return time.monotonic() - begin
        except (OSError, ValueError):
            pass
        if time.monotonic() - begin > timeout:
            raise StartError(f"{what} not ready after {timeout:.0f}s:\n{_tail(log)}")
        time.sleep(0.2)


def port_open(port: int, host: str = "127.0.0.1") -> Callable[[], bool]:
    """A check that a TCP connect succeeds."""

    def check() -> bool:
        with socket.create_connection((host, port), timeout=1):
            return True

    return check


def http_answers(url: str) -> Callable[[], bool]:
    """A check that `url` answers below 500 (401 counts: the service is up, wants a token)."""

    def check() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                return resp.status < 500
        except urllib.error.HTTPError as err:
            return err.code < 500

    return check


def memory(roots: Sequence[Running]) -> dict[str, tuple[int, int]]:
    """name → (RSS, PSS) bytes of each recorded process with all its descendants.

    Descendants, not the process group: PostgreSQL backends start sessions of their own. RSS
    counts shared pages once per process; PSS splits them, so PSS sums to what the stack uses.
    """
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None:
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    totals = {}
    for running in roots:
        rss = pss = 0
        todo = [running.pid] if alive(running) else []
        while todo:
            pid = todo.pop()
            todo += children.get(pid, [])
            rss_kb, pss_kb = _rollup(pid)
            rss, pss = rss + rss_kb * 1024, pss + pss_kb * 1024
        totals[running.name] = (rss, pss)
    return totals


def _rollup(pid: int) -> tuple[int, int]:
    """(Rss, Pss) in kB from /proc/<pid>/smaps_rollup; zeros for a process already gone."""
    found = {"Rss:": 0, "Pss:": 0}
    try:
        for line in (Path("/proc") / str(pid) / "smaps_rollup").read_text().splitlines():
            key, _, rest = line.partition(" ")
            if key in found:
                found[key] = int(rest.split()[0])
    except (OSError, ValueError):
        pass
    return found["Rss:"], found["Pss:"]


def _signal_group(pid: int, sig: int) -> None:
    try:
        os.killpg(pid, sig)
    except ProcessLookupError:
        pass


def _stat_fields(pid: int) -> list[str] | None:
    try:
        return (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None


def _start_time(pid: int) -> int | None:
    fields = _stat_fields(pid)
    return int(fields[19]) if fields else None


def _state(pid: int) -> str:
    fields = _stat_fields(pid)
    return fields[0] if fields else "X"


def _tail(log: Path, lines: int = 40) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
