"""Podgate as a user runs it: `podgate up` on free ports, pods added with the `podgate` CLI.

Nothing here knows Podgate's internals: settings go in as PODGATE_* variables, the process tree
is found from the pids `podgate up` prints, and routings are put into the store through its
public API (bench/seed.py). `source` runs Podgate from another source tree (say an exported
commit, to compare two versions); every Podgate process, the seeder included, then imports it.
"""

import os
import random
import re
import subprocess
import sys
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench.cpu import descendants
from harness.procs import Proc, free_port, start, wait_for

__all__ = ["PodSpec", "Podgate", "source_env"]

# -P: the current directory must not shadow `source` (Python 3.11+).
PODGATE = [sys.executable, "-P", "-m", "control_plane"]
_HERE = Path(__file__).resolve().parent.parent
_READY = re.compile(r"Podgate ready \(pid (\d+), envoy pid (\d+)\)")


@dataclass(frozen=True, slots=True)
class PodSpec:
    """A pod as registered: name, user-facing AZ, the pod's own AZ and its compute URL."""

    name: str
    az: str
    pod_az: str
    compute_url: str


@dataclass
class Podgate:
    """One `podgate up` with its own state directory (SQLite) and free loopback ports."""

    state_dir: Path
    concurrency: int = 1
    source: Path | None = None
    decision_workers: int = 0
    # `[fast_path] max_entries`; None: Podgate's default.
    fast_path_cap: int | None = None
    # More PODGATE_* settings (keystone mode: bench/keystone_mode.py).
    extra_env: dict[str, str] = field(default_factory=dict)
    grpc_port: int = field(default_factory=free_port)
    compute_port: int = field(default_factory=free_port)
    envoy_admin_port: int = field(default_factory=free_port)
    base_id: int = field(default_factory=lambda: random.randint(1000, 60000))
    proc: Proc | None = None
    envoy_pid: int = 0

    @property
    def db_url(self) -> str:
        return f"sqlite+aiosqlite:///{self.state_dir.resolve() / 'podgate.db'}"

    @property
    def env(self) -> dict[str, str]:
        return {
            "PODGATE_STATE_DIR": str(self.state_dir),
            "PODGATE_CONTROL_PLANE_GRPC_PORT": str(self.grpc_port),
            "PODGATE_CONTROL_PLANE_METRICS_PORT": str(free_port()),
            "PODGATE_ENVOY_COMPUTE_PORT": str(self.compute_port),
            "PODGATE_ENVOY_VOLUME_PORT": str(free_port()),
            "PODGATE_ENVOY_NETWORK_PORT": str(free_port()),
            "PODGATE_ENVOY_ADMIN_REST_PORT": "0",
            "PODGATE_ENVOY_ADMIN_PORT": str(self.envoy_admin_port),
            "PODGATE_ENVOY_BASE_ID": str(self.base_id),
            "PODGATE_ENVOY_CONCURRENCY": str(self.concurrency),
            "PODGATE_DECISION_WORKERS": str(self.decision_workers),
            # One project at full speed is the point of the benchmark, not a flood to refuse: the
            # rate limit stays on (its cost is measured) with a bucket it never empties.
            "PODGATE_ENVOY_PROJECT_RATE_PER_S": "10000000",
            "PODGATE_ENVOY_PROJECT_BURST": "10000000",
            "PODGATE_SERVER": f"127.0.0.1:{self.grpc_port}",
            **self.extra_env,
            **self.python_env,
        } | (
            {}
            if self.fast_path_cap is None
            else {"PODGATE_FAST_PATH_MAX_ENTRIES": str(self.fast_path_cap)}
        )

    @property
    def python_env(self) -> dict[str, str]:
        """For every Python process that must import this gateway's Podgate."""
        return source_env(self.source, self.state_dir.parent / "podgate-source")

    @property
    def compute_url(self) -> str:
        return f"http://127.0.0.1:{self.compute_port}"

    def up(self) -> None:
        """Start `podgate up` and wait for its ready line (Envoy LIVE)."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = self.state_dir / "podgate-up.log"
        offset = log.stat().st_size if log.exists() else 0
        self.proc = start([*PODGATE, "up"], log=log, env=self.env)
        proc = self.proc

        def ready() -> re.Match[str] | None:
            if not proc.alive():
                raise RuntimeError(f"podgate up exited:\n{proc.output()[offset:]}")
            return _READY.search(proc.output()[offset:])

        match = wait_for(ready, timeout=60, what="podgate up")
        assert isinstance(match, re.Match)
        self.envoy_pid = int(match.group(2))

    def down(self) -> None:
        """Stop `podgate up` (it stops its Envoy); Envoy by PID too if it outlived it."""
        if self.proc is not None:
            self.proc.stop(timeout=15)
        if self.envoy_pid:
            try:
                os.kill(self.envoy_pid, 15)
            except ProcessLookupError:
                pass
        self.proc, self.envoy_pid = None, 0

    def control_plane_pids(self) -> set[int]:
        """The control plane's processes: `podgate up` and its children, Envoy left out."""
        assert self.proc is not None
        return descendants(self.proc.pid, exclude=[self.envoy_pid])

    def ext_proc_streams(self) -> int:
        """Envoy's ext_proc streams started so far (all listeners): calls into Python."""
        url = f"http://127.0.0.1:{self.envoy_admin_port}/stats?filter=ext_proc.streams_started$"
        with urllib.request.urlopen(url, timeout=5) as answer:
            lines = answer.read().decode().splitlines()
        return sum(int(line.rpartition(":")[2]) for line in lines if line.strip())

    def cli(self, *args: str) -> str:
        """Run the `podgate` admin CLI against this control plane."""
        result = subprocess.run(
            [*PODGATE, "--server", f"127.0.0.1:{self.grpc_port}", *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **self.env},
        )
        if result.returncode != 0:
            raise RuntimeError(f"podgate {' '.join(args)}: {result.stderr.strip()}")
        return result.stdout

    def seed(self, project: str, routings: dict[str, str]) -> None:
        """Put server routings (id → pod name) into this gateway's store (bench/seed.py)."""
        path = self.state_dir / "seed.txt"
        path.write_text("".join(f"{rid} {pod}\n" for rid, pod in routings.items()))
        result = subprocess.run(
            [sys.executable, "-P", "-m", "bench.seed", self.db_url, project, str(path)],
            capture_output=True,
            text=True,
            check=False,
            cwd=_HERE,
            env={**os.environ, **self.python_env},
        )
        if result.returncode != 0:
            raise RuntimeError(f"seeding routings failed:\n{result.stderr.strip()}")

    def register(self, pods: Sequence[PodSpec]) -> None:
        for pod in pods:
            self.cli(
                "pod",
                "create",
                pod.name,
                "--az",
                pod.az,
                "--pod-az",
                pod.pod_az,
                "--endpoint",
                f"compute={pod.compute_url}",
            )


def source_env(source: Path | None, shim: Path) -> dict[str, str]:
    """PYTHONPATH that makes a `python -P` process import Podgate from `source` (by default
    the installed one) and bench/ from here.

    `source` has a bench/ of its own, so `shim` mirrors the tree without it (Podgate also reads
    files beside its packages, such as compose/topology.yaml), plus the generated protos.
    """
    if source is None:
        return {"PYTHONPATH": str(_HERE)}
    shim.mkdir(parents=True, exist_ok=True)
    root = source.resolve()
    targets = {entry.name: entry for entry in root.iterdir() if entry.name != "bench"}
    # Every generated package under protos/, so a checkout from before a rename runs too.
    targets |= {p.name: p for p in (root / "protos").iterdir() if (p / "__init__.py").exists()}
    for name, target in targets.items():
        if not (shim / name).exists():
            (shim / name).symlink_to(target, target_is_directory=target.is_dir())
    return {"PYTHONPATH": os.pathsep.join([str(shim), str(_HERE)])}
