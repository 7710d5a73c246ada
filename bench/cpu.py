"""CPU time of processes from /proc: what a scenario cost the control plane and Envoy."""

import os
from collections.abc import Iterable
from pathlib import Path

__all__ = ["cpu_seconds", "descendants", "parse_stat"]

_TICKS = os.sysconf("SC_CLK_TCK")


def parse_stat(text: str) -> tuple[int, int]:
    """(parent pid, utime + stime ticks) from one /proc/<pid>/stat line.

    The command name (field 2) may hold spaces and parentheses, so fields are counted from
    the last `)`.
    """
    fields = text[text.rindex(")") + 2 :].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _stat(pid: int) -> tuple[int, int] | None:
    try:
        return parse_stat(Path(f"/proc/{pid}/stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def descendants(root: int, exclude: Iterable[int] = ()) -> set[int]:
    """`root` and every process below it, leaving out the subtrees of `exclude`."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            parents[int(entry.name)] = stat[0]
    skipped = set(exclude)
    found = {root} - skipped
    grew = True
    while grew:
        grew = False
        for pid, parent in parents.items():
            if parent in found and pid not in found and pid not in skipped:
                found.add(pid)
                grew = True
    return found


def cpu_seconds(pids: Iterable[int]) -> dict[int, float]:
    """utime + stime so far of each live process, in seconds."""
    times = {}
    for pid in pids:
        stat = _stat(pid)
        if stat is not None:
            times[pid] = stat[1] / _TICKS
    return times
