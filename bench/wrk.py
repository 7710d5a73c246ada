"""Running wrk (one thread, our Lua script) and reading its JSON summary line."""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Load", "WrkResult", "ensure_wrk", "parse_summary", "run_wrk"]

SCRIPT = Path(__file__).with_name("lua") / "load.lua"


@dataclass(frozen=True, slots=True)
class Load:
    """What one wrk run sends: method, path prefix + ids (or one path), body, connections."""

    url: str
    prefix: str
    ids_file: Path | None = None
    once: bool = False
    method: str = "GET"
    body: str | None = None
    connections: int = 16
    # Extra request headers, "Name: value" each (wrk -H), such as a Keystone token.
    headers: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WrkResult:
    """wrk's summary: completed requests, the run's duration, errors, latency, and whether a
    once-only id list ran out (then the duration is wrong: wrk still counts all of -d)."""

    requests: int
    duration_s: float
    status_errors: int
    socket_errors: int
    p50_ms: float
    p99_ms: float
    exhausted: bool = False

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def parse_summary(output: str) -> WrkResult:
    """The WRKJSON line our script's done() prints; ValueError when wrk printed none."""
    for line in output.splitlines():
        if line.startswith("WRKJSON "):
            data = json.loads(line.removeprefix("WRKJSON "))
            return WrkResult(
                requests=data["requests"],
                duration_s=data["duration_us"] / 1e6,
                status_errors=data["status_errors"],
                socket_errors=data["socket_errors"],
                p50_ms=data["p50_us"] / 1000,
                p99_ms=data["p99_us"] / 1000,
                exhausted=bool(data.get("exhausted")),
            )
    raise ValueError(f"no wrk summary in its output:\n{output}")


def ensure_wrk() -> str:
    """wrk from PATH, installed from Debian's package when missing (root or `sudo -n`)."""
    found = shutil.which("wrk")
    if found:
        return found
    install = ["apt-get", "install", "-y", "-q", "wrk"]
    if os.geteuid() != 0:
        install = ["sudo", "-n", *install]
    result = subprocess.run(install, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        update = [*install[: install.index("apt-get")], "apt-get", "update", "-q"]
        subprocess.run(update, capture_output=True, check=False)
        result = subprocess.run(install, capture_output=True, text=True, check=False)
    found = shutil.which("wrk")
    if result.returncode != 0 or not found:
        raise SystemExit(
            "wrk is not installed and could not be installed (needs root or passwordless sudo):\n"
            f"  {' '.join(install)}\n{result.stderr.strip()}"
        )
    return found


def run_wrk(wrk: str, load: Load, seconds: float) -> WrkResult:
    """One wrk run of `load` for `seconds` (less when a once-only id list runs out)."""
    argv = [
        wrk,
        "-t1",
        f"-c{load.connections}",
        f"-d{max(1, round(seconds))}s",
        "--latency",
        *(arg for header in load.headers for arg in ("-H", header)),
        "--timeout",
        "10s",
        "-s",
        str(SCRIPT),
        load.url,
        "--",
        load.method,
        load.prefix,
        str(load.ids_file) if load.ids_file else "-",
        "1" if load.once else "0",
        load.body or "-",
    ]
    result = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=seconds + 60)
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed ({result.returncode}): {result.stderr.strip()}")
    return parse_summary(result.stdout)
