"""Detached processes: recorded by PID, stopped with their children, recycled PIDs left alone."""

import signal
import sys
import time
from pathlib import Path

from realcloud import procs

# A parent that starts a child and both sleep: stopping must take the child too.
PARENT = [
    sys.executable,
    "-c",
    "import subprocess, sys, time;"
    "c = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']);"
    "print(c.pid, flush=True); time.sleep(60)",
]


def child_pid(log: Path) -> int:
    deadline = time.monotonic() + 10
    while not log.read_text().strip():
        assert time.monotonic() < deadline, "the parent never printed its child's pid"
        time.sleep(0.05)
    return int(log.read_text().split()[0])


def pid_alive(pid: int) -> bool:
    try:
        state = (Path("/proc") / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def test_stop_takes_the_whole_group_and_forgets_the_pid_file(tmp_path: Path) -> None:
    pids, logs = tmp_path / "pids", tmp_path / "logs"
    running = procs.start("sleeper", PARENT, pids=pids, logs=logs)
    child = child_pid(logs / "sleeper.log")
    assert procs.recorded(pids) == [running]
    assert procs.alive(running) and pid_alive(child)
    rss, pss = procs.memory([running])["sleeper"]
    assert 0 < pss <= rss

    assert procs.stop(running, pids) is True
    assert not procs.alive(running)
    deadline = time.monotonic() + 5
    while pid_alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not pid_alive(child)
    assert procs.recorded(pids) == []
    assert procs.stop(running, pids) is False  # already gone


def test_a_recycled_pid_is_not_taken_for_the_recorded_process(tmp_path: Path) -> None:
    pids = tmp_path / "pids"
    running = procs.start("sleeper", PARENT, pids=pids, logs=tmp_path / "logs")
    try:
        impostor = procs.Running("sleeper", running.pid, running.started + 1, signal.SIGTERM)
        assert not procs.alive(impostor)
        assert procs.stop(impostor, pids) is False
        assert procs.alive(running)
    finally:
        procs.stop(running, pids)
