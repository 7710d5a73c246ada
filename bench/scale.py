"""Issue 8's scale measurements: many routings in the store, 100 pods, memory of both halves.

    python -m bench.scale [--quick] [--work-dir DIR] [--out DIR]

Starts on free loopback ports one pod Envoy (a few listeners that every pod's endpoint points
at, bench/pod_envoy.py) and `podgate up` (SQLite), registers the pods through the gRPC admin API,
then for each store size N (0, 100 k, 1 M routings, bulk-inserted into the store's own table
while Podgate is down) restarts Podgate and measures:

- with the fast path at its default cap: start-up time, the time until a new pod (CreatePod) is
  listed by Envoy and routes a create, the time of one fast-path push, GET latency on the fast
  path, and the resident memory of the control plane and of Envoy;
- with `PODGATE_FAST_PATH_MAX_ENTRIES=0` (every GET asks the decision service): latency of GETs
  by id never requested (the decision reads the store) and of the same ids again (its cache);
- at the largest N, once more with a bigger fast path cap: Envoy's and the control plane's
  memory per fast-path entry (the RSS difference between the two caps over the entries added;
  for Envoy also its heap in use, from its admin `/memory`);
- the size of the last route (RDS) push, from the ADS server's log: SotW resends the whole
  known-id table with every change, so this is what each new id costs on the wire.

Latencies are end to end at concurrency 1 (keep-alive client). Prints a table and writes
bench/results/scale.json. Every process it starts is stopped by PID, also on Ctrl-C or error.
"""

import argparse
import http.client
import json
import random
import re
import statistics
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa
from rich.console import Console
from rich.table import Table

from bench.machine import describe
from bench.pod_envoy import PodListener, pod_bootstrap
from bench.podgate import PODGATE, Podgate
from bench.process import find_envoy, stop_on_signals
from control_plane.auth.tokens import ADMIN_TOKEN_FILE
from control_plane.store.tables import PodRow, RoutingRow
from harness.gateway import WithAdminToken
from harness.procs import Proc, free_port, start, wait_for
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc

__all__ = [
    "FULL",
    "QUICK",
    "Plan",
    "latency",
    "median_ms",
    "parse_vm_rss_kib",
    "pod_az",
    "pod_name",
    "routing_id",
    "routing_rows",
    "table_rows",
]

PROJECT = "5ca1e0005ca1e0005ca1e0005ca1e000"
RESULTS = Path(__file__).resolve().parent / "results"
_SERVING = "control plane serving"
_INSERT_CHUNK = 50_000
_POLL_S = 0.002
_PUSH_TIMEOUT_S = 120.0  # pushes may be spaced by their cost (xds runner)
_START_TIMEOUT_S = 180.0
# Envoy answers its admin API on its main thread, which a big route table keeps busy.
_POLL_TIMEOUT_S = 5.0
# The ADS server's line for each push (control_plane/xds/ads.py).
_RDS_PUSH = re.compile(r"push RDS version=\S+ resources=\d+ bytes=(\d+)")


@dataclass(frozen=True, slots=True)
class Plan:
    """What one run measures: store sizes, pods, requests per latency, repeats per timing."""

    levels: tuple[int, ...]
    pods: int
    listeners: int
    requests: int
    repeats: int
    big_cap: int
    default_cap: int = 20_000


FULL = Plan(levels=(0, 100_000, 1_000_000), pods=100, listeners=4, requests=500, repeats=5,
            big_cap=100_000)  # fmt: skip
QUICK = Plan(levels=(0, 2_000, 10_000), pods=20, listeners=2, requests=100, repeats=2,
             big_cap=5_000, default_cap=1_000)  # fmt: skip


# --- pure helpers --------------------------------------------------------------------------


def routing_id(n: int) -> str:
    """The n-th seeded server id: UUID-shaped and in insertion order (ids are never reused)."""
    return f"5ca1e000-0000-4000-8000-{n:012x}"


def pod_name(index: int) -> str:
    return f"pod{index:03d}"


def pod_az(index: int) -> str:
    """Ten AZs; each pod calls its zone as users do, so its routings may take the fast path."""
    return f"az{index % 10}"


def routing_rows(
    first: int, stop: int, pod_ids: Sequence[str], now: datetime
) -> Iterator[dict[str, Any]]:
    """Rows of resource_routings for seeded ids first..stop-1, spread round-robin over pods."""
    for n in range(first, stop):
        yield {
            "resource_id": routing_id(n),
            "resource_type": "server",
            "project_id": PROJECT,
            "pod_id": pod_ids[n % len(pod_ids)],
            "created_at": now,
            "updated_at": now,
        }


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between closest ranks (as numpy's default)."""
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency(seconds: Sequence[float]) -> dict[str, float]:
    """p50, p99 and max of request times in ms, with the count."""
    if not seconds:
        raise ValueError("no samples")
    ordered = sorted(seconds)
    return {
        "requests": len(ordered),
        "p50_ms": _percentile(ordered, 0.50) * 1000,
        "p99_ms": _percentile(ordered, 0.99) * 1000,
        "max_ms": ordered[-1] * 1000,
    }


def median_ms(seconds: Sequence[float]) -> dict[str, Any]:
    """The median of a few timings, in ms, with every sample."""
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "samples_ms": [round(s * 1000, 1) for s in seconds],
    }


def last_rds_push_bytes(log: str) -> int | None:
    """The size of the last route configuration push in an ADS server log, if any."""
    sizes = _RDS_PUSH.findall(log)
    return int(sizes[-1]) if sizes else None


def per_entry(runs: Sequence[Mapping[str, Any]]) -> dict[str, float] | None:
    """Bytes of RSS per fast-path entry, from the fast-path runs with the smallest and largest
    cap at the largest store size (each holds `cap` entries: the store has more routings)."""
    top = max((run["level"] for run in runs), default=0)
    fast = sorted(
        (run for run in runs if run["level"] == top and run["fast_path_cap"] and run["rss_mib"]),
        key=lambda run: run["fast_path_cap"],
    )
    if len(fast) < 2 or fast[-1]["fast_path_cap"] > top:
        return None
    low, high = fast[0], fast[-1]
    entries = high["fast_path_cap"] - low["fast_path_cap"]
    return {
        "entries": entries,
        **{
            f"{half}_bytes": (high["rss_mib"][half] - low["rss_mib"][half]) * 2**20 / entries
            for half in ("envoy", "envoy_heap", "control_plane")
            if half in low["rss_mib"]
        },
    }


def parse_vm_rss_kib(status: str) -> int:
    """VmRSS from /proc/<pid>/status, in KiB (0 for a process without memory, a zombie)."""
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


HEADERS = (
    "routings",
    "fast path cap",
    "start-up s (CP / Envoy LIVE)",
    "miss p50/p99 ms",
    "cached p50/p99 ms",
    "fast path p50/p99 ms",
    "new pod listed / routed ms",
    "fast push ms",
    "RDS push KiB",
    "RSS CP MiB",
    "RSS Envoy MiB",
)


def _pair(numbers: Mapping[str, Any] | None, first: str, second: str, digits: int = 1) -> str:
    if not numbers:
        return "-"
    return f"{numbers[first]:.{digits}f} / {numbers[second]:.{digits}f}"


def _one(numbers: Mapping[str, Any] | None, key: str, digits: int = 0) -> str:
    return "-" if not numbers else f"{numbers[key]:,.{digits}f}"


def table_rows(runs: Sequence[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """One row of text cells per run, matching HEADERS; '-' where a run did not measure it."""
    return [
        (
            f"{run['routings']:,}",
            f"{run['fast_path_cap']:,}",
            _pair(run["startup"], "control_plane_s", "envoy_live_s", 2),
            _pair(run.get("miss"), "p50_ms", "p99_ms", 2),
            _pair(run.get("cached"), "p50_ms", "p99_ms", 2),
            _pair(run.get("fast_path"), "p50_ms", "p99_ms", 2),
            "-"
            if not run.get("new_pod")
            else f"{run['new_pod']['listed']['median_ms']:.0f} / "
            f"{run['new_pod']['routed']['median_ms']:.0f}",
            _one(run.get("push"), "median_ms"),
            "-" if run.get("rds_push_bytes") is None else f"{run['rds_push_bytes'] / 1024:,.0f}",
            _one(run["rss_mib"], "control_plane", 1),
            _one(run["rss_mib"], "envoy", 1),
        )
        for run in runs
    ]


# --- processes -----------------------------------------------------------------------------


@dataclass
class ScaledPodgate(Podgate):
    """Podgate as `podgate serve` and `podgate envoy`, with extra PODGATE_* settings.

    The halves run separately (not `podgate up`) so that each one's start is timed, and so
    that an Envoy busy for seconds with a big route table is waited for, not given up on.
    """

    settings: dict[str, str] = field(default_factory=dict)
    envoy_proc: Proc | None = None

    @property
    def env(self) -> dict[str, str]:
        return {**super().env, **self.settings}

    def start(self) -> dict[str, float]:
        """Seconds until the control plane serves, then until Envoy is LIVE with its config."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        log = self.state_dir / "podgate-serve.log"
        offset = log.stat().st_size if log.exists() else 0
        began = time.perf_counter()
        self.proc = start([*PODGATE, "serve"], log=log, env=self.env)
        proc = self.proc

        def serving() -> bool:
            if not proc.alive():
                raise RuntimeError(f"podgate serve exited:\n{proc.output()[offset:]}")
            return _SERVING in proc.output()[offset:]

        wait_for(serving, timeout=_START_TIMEOUT_S, what="podgate serve")
        served = time.perf_counter()
        self.envoy_proc = start(
            [*PODGATE, "envoy"], log=self.state_dir / "podgate-envoy.log", env=self.env
        )
        self.envoy_pid = self.envoy_proc.pid  # `podgate envoy` execs Envoy
        envoy, admin = self.envoy_proc, self.envoy_admin_port
        wait_for(lambda: _live(envoy, admin), timeout=_START_TIMEOUT_S, what="Envoy LIVE")
        return {"control_plane_s": served - began, "envoy_live_s": time.perf_counter() - served}

    def down(self) -> None:
        if self.envoy_proc is not None:
            self.envoy_proc.stop()
            self.envoy_proc = None
        super().down()


@dataclass
class Rig:
    """Every process of the run, so that one place stops them all by PID."""

    root: Path
    envoy: str
    plan: Plan
    pod_envoy: Proc | None = None
    listeners: list[PodListener] = field(default_factory=list)
    podgate: ScaledPodgate | None = None
    seeded: int = 0

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    def stop(self) -> None:
        if self.podgate is not None:
            self.podgate.down()
            self.podgate = None
        if self.pod_envoy is not None:
            self.pod_envoy.stop()
            self.pod_envoy = None

    def start_pods(self) -> None:
        """One Envoy with a listener per simulated pod endpoint (direct responses only)."""
        self.listeners = [
            PodListener(f"sim{i}", free_port(), "nova") for i in range(self.plan.listeners)
        ]
        admin = free_port()
        path = self.root / "pods.json"
        path.write_text(json.dumps(pod_bootstrap(self.listeners, admin, list_delay_ms=1)))
        argv = [self.envoy, "-c", str(path), "--concurrency", "1", "--use-dynamic-base-id"]
        self.pod_envoy = start([*argv, "--log-level", "error"], log=self.root / "pods.log")
        proc = self.pod_envoy
        wait_for(lambda: _live(proc, admin), timeout=30, what="pod Envoy")

    def compute_url(self, index: int) -> str:
        port = self.listeners[index % len(self.listeners)].port
        return f"http://127.0.0.1:{port}/compute/v2.1"

    def up(self, cap: int) -> dict[str, float]:
        """Start Podgate with fast path cap `cap`; its start-up times."""
        self.podgate = ScaledPodgate(
            self.state_dir, settings={"PODGATE_FAST_PATH_MAX_ENTRIES": str(cap)}
        )
        return self.podgate.start()

    def down(self) -> None:
        if self.podgate is not None:
            self.podgate.down()
            self.podgate = None


def _live(proc: Proc, admin_port: int) -> bool:
    if not proc.alive():
        raise RuntimeError(f"Envoy exited:\n{proc.output()}")
    url = f"http://127.0.0.1:{admin_port}/ready"
    with urllib.request.urlopen(url, timeout=_POLL_TIMEOUT_S) as answer:
        return answer.read().strip() == b"LIVE"


def _admin(podgate: Podgate) -> tuple[grpc.Channel, admin_pb2_grpc.PodAdminStub]:
    """A stub showing the admin token `podgate up` made in its state dir (none when benching
    a source older than the token)."""
    token = podgate.state_dir / ADMIN_TOKEN_FILE
    channel = grpc.insecure_channel(f"127.0.0.1:{podgate.grpc_port}")
    channel = grpc.intercept_channel(channel, WithAdminToken(lambda: token.read_text().strip()))
    return channel, admin_pb2_grpc.PodAdminStub(channel)


def _pod(name: str, az: str, compute_url: str) -> admin_pb2.Pod:
    return admin_pb2.Pod(name=name, az_name=az, pod_az_name=az, endpoints={"compute": compute_url})


def register_pods(rig: Rig) -> None:
    """The plan's pods through the admin API (what `podgate pod create` calls)."""
    assert rig.podgate is not None
    channel, admin = _admin(rig.podgate)
    with channel:
        for index in range(rig.plan.pods):
            pod = _pod(pod_name(index), pod_az(index), rig.compute_url(index))
            admin.CreatePod(admin_pb2.CreatePodRequest(pod=pod), timeout=10)


# --- the store -----------------------------------------------------------------------------


def _engine(rig: Rig) -> sa.Engine:
    return sa.create_engine(f"sqlite:///{rig.state_dir.resolve() / 'podgate.db'}")


def seed_to(rig: Rig, target: int) -> float:
    """Bulk-insert seeded routings until `target` exist (Podgate down); returns seconds."""
    if target <= rig.seeded:
        return 0.0
    began = time.perf_counter()
    engine = _engine(rig)
    try:
        with engine.connect() as connection:
            names = [pod_name(index) for index in range(rig.plan.pods)]
            found = connection.execute(sa.select(PodRow.name, PodRow.id)).all()
            ids = dict(found)
            pod_ids = [ids[name] for name in names]
            rows = routing_rows(rig.seeded, target, pod_ids, datetime.now(UTC))
            while chunk := [row for _, row in zip(range(_INSERT_CHUNK), rows, strict=False)]:
                connection.execute(sa.insert(RoutingRow), chunk)
                connection.commit()
    finally:
        engine.dispose()
    rig.seeded = target
    return time.perf_counter() - began


def stored_routings(rig: Rig) -> int:
    engine = _engine(rig)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.select(sa.func.count()).select_from(RoutingRow)) or 0
    finally:
        engine.dispose()


# --- measurements --------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection to the gateway's compute listener."""

    def __init__(self, port: int) -> None:
        self._connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def close(self) -> None:
        self._connection.close()

    def call(self, method: str, path: str, body: object = None) -> tuple[int, Any]:
        data = None if body is None else json.dumps(body)
        headers = {"content-type": "application/json"} if data else {}
        self._connection.request(method, path, body=data, headers=headers)
        answer = self._connection.getresponse()
        raw = answer.read()
        try:
            return answer.status, json.loads(raw) if raw else None
        except ValueError:
            return answer.status, raw[:200]

    def timed_gets(self, ids: Sequence[str]) -> list[float]:
        """GET each server once in turn; the time of each, failing on any non-200."""
        spent = []
        for resource_id in ids:
            began = time.perf_counter()
            status, body = self.call("GET", f"/v2.1/{PROJECT}/servers/{resource_id}")
            spent.append(time.perf_counter() - began)
            if status != 200:
                raise RuntimeError(f"GET server {resource_id}: HTTP {status} {body}")
        return spent


def _streams(podgate: Podgate) -> int:
    return podgate.ext_proc_streams()


def _create(client: Client, az: str) -> tuple[int, Any]:
    body = {"server": {"name": "scale", "availability_zone": az, "flavorRef": "1", "imageRef": "x"}}
    return client.call("POST", f"/v2.1/{PROJECT}/servers", body)


def fast_path_push(podgate: Podgate, client: Client) -> float:
    """Seconds from a create's answer until its id is served with no ext_proc stream."""
    status, created = _create(client, pod_az(0))
    if status != 202:
        raise RuntimeError(f"create: HTTP {status} {created}")
    began = time.perf_counter()
    path = f"/v2.1/{PROJECT}/servers/{created['server']['id']}"
    while time.perf_counter() - began < _PUSH_TIMEOUT_S:
        before = _streams(podgate)
        status, _ = client.call("GET", path)
        if status == 200 and _streams(podgate) == before:
            return time.perf_counter() - began
        time.sleep(_POLL_S)
    raise RuntimeError("a created server never reached the fast path")


def _envoy_lists(podgate: Podgate, cluster: str) -> bool:
    url = f"http://127.0.0.1:{podgate.envoy_admin_port}/clusters"
    with urllib.request.urlopen(url, timeout=5) as answer:
        return f"\n{cluster}::".encode() in b"\n" + answer.read()


def new_pod(rig: Rig, client: Client, index: int) -> tuple[float, float]:
    """Seconds from CreatePod until Envoy lists its cluster, and until a create in its AZ
    (no other pod has it) is answered by it and the new server is served; then deletes it."""
    assert rig.podgate is not None
    podgate = rig.podgate
    name, az = f"new{index:03d}", f"aznew{index}"
    channel, admin = _admin(podgate)
    with channel:
        began = time.perf_counter()
        pod = _pod(name, az, rig.compute_url(index))
        admin.CreatePod(admin_pb2.CreatePodRequest(pod=pod), timeout=10)
        cluster = f"pod.{name}.compute"
        while not _envoy_lists(podgate, cluster):
            _check_deadline(began, f"Envoy to list {cluster}")
            time.sleep(_POLL_S)
        listed = time.perf_counter() - began
        while True:
            status, created = _create(client, az)
            if status == 202:
                get = client.call("GET", f"/v2.1/{PROJECT}/servers/{created['server']['id']}")
                if get[0] == 200:
                    break
            _check_deadline(began, f"a create in {az} to be routed")
            time.sleep(_POLL_S)
        routed = time.perf_counter() - began
        admin.DeletePod(admin_pb2.DeletePodRequest(name=name, force=True), timeout=10)
    return listed, routed


def _check_deadline(began: float, what: str) -> None:
    if time.perf_counter() - began > _PUSH_TIMEOUT_S:
        raise RuntimeError(f"timed out waiting for {what}")


def rss_mib(pids: Sequence[int] | set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += parse_vm_rss_kib(Path(f"/proc/{pid}/status").read_text())
        except OSError:
            continue
    return round(total / 1024, 1)


def memory(podgate: Podgate) -> dict[str, float]:
    """RSS of both halves, and Envoy's heap in use (what its config holds, without the pages
    its allocator keeps after a push)."""
    url = f"http://127.0.0.1:{podgate.envoy_admin_port}/memory"
    with urllib.request.urlopen(url, timeout=_POLL_TIMEOUT_S) as answer:
        heap = int(json.loads(answer.read())["allocated"])
    return {
        "control_plane": rss_mib(podgate.control_plane_pids()),
        "envoy": rss_mib({podgate.envoy_pid}),
        "envoy_heap": round(heap / 2**20, 1),
    }


def _sample(rig: Rig, count: int, rng: random.Random) -> list[str]:
    """`count` distinct seeded ids drawn over the whole store (never requested before)."""
    return [routing_id(n) for n in rng.sample(range(rig.seeded), count)]


def _newest(rig: Rig, count: int) -> list[str]:
    """Seeded ids the fast path loads at start (the newest)."""
    return [routing_id(n) for n in range(max(rig.seeded - count, 0), rig.seeded)]


@dataclass
class Run:
    """One start of Podgate at one store size: what it measured."""

    level: int
    routings: int
    fast_path_cap: int
    startup: dict[str, float]
    rss_mib: dict[str, float] = field(default_factory=dict)
    miss: dict[str, float] | None = None
    cached: dict[str, float] | None = None
    fast_path: dict[str, float] | None = None
    new_pod: dict[str, Any] | None = None
    push: dict[str, Any] | None = None
    rds_push_bytes: int | None = None


def run_fast_path(rig: Rig, level: int, cap: int, *, new_pods: bool) -> Run:
    """Podgate with a fast path: start-up, new pods, pushes, fast-path latency, memory."""
    plan = rig.plan
    run = Run(level, stored_routings(rig), cap, rig.up(cap))
    assert rig.podgate is not None
    client = Client(rig.podgate.compute_port)
    try:
        if new_pods:
            timings = [new_pod(rig, client, plan.pods + k) for k in range(plan.repeats)]
            run.new_pod = {
                "listed": median_ms([listed for listed, _ in timings]),
                "routed": median_ms([routed for _, routed in timings]),
            }
        run.push = median_ms([fast_path_push(rig.podgate, client) for _ in range(plan.repeats)])
        assert rig.podgate.proc is not None
        run.rds_push_bytes = last_rds_push_bytes(rig.podgate.proc.output())
        known = _newest(rig, min(plan.requests, cap))
        if known:
            before = _streams(rig.podgate)
            run.fast_path = latency(client.timed_gets(known))
            run.fast_path["ext_proc_streams"] = _streams(rig.podgate) - before
        time.sleep(1.0)
        run.rss_mib = memory(rig.podgate)
    finally:
        client.close()
        rig.down()
    return run


def run_decisions(rig: Rig, level: int, rng: random.Random) -> Run:
    """Podgate without a fast path: GETs that miss every cache, the same again, memory."""
    plan = rig.plan
    run = Run(level, stored_routings(rig), 0, rig.up(0))
    assert rig.podgate is not None
    client = Client(rig.podgate.compute_port)
    try:
        ids = _sample(rig, plan.requests, rng)
        before = _streams(rig.podgate)
        run.miss = latency(client.timed_gets(ids))
        between = _streams(rig.podgate)
        run.cached = latency(client.timed_gets(ids))
        run.miss["ext_proc_streams"] = between - before
        run.cached["ext_proc_streams"] = _streams(rig.podgate) - between
        time.sleep(1.0)
        run.rss_mib = memory(rig.podgate)
    finally:
        client.close()
        rig.down()
    return run


def measure(rig: Rig, fills: dict[str, float], say: Callable[[str], None]) -> Iterator[Run]:
    """Every run of the plan in order; the seconds each store fill took go into `fills`."""
    plan, rng = rig.plan, random.Random(8)

    def fill(target: int, key: str) -> None:
        seconds = seed_to(rig, target)
        if seconds:
            fills[key] = round(seconds, 2)
            say(f"store filled to {rig.seeded:,} seeded routings in {seconds:.1f} s")

    for level in plan.levels:
        fill(level, str(level))
        yield run_fast_path(rig, level, plan.default_cap, new_pods=True)
        say(f"N={level:,}: fast path run done")
        fill(max(level, 2 * plan.requests), f"{level}+probes")
        yield run_decisions(rig, level, rng)
        say(f"N={level:,}: decision run done")
    yield run_fast_path(rig, plan.levels[-1], plan.big_cap, new_pods=False)
    say(f"N={plan.levels[-1]:,}: fast path cap {plan.big_cap:,} run done")


def print_table(console: Console, runs: Sequence[Mapping[str, Any]], pods: int) -> None:
    table = Table(title=f"Podgate at scale ({pods} pods; medians / percentiles at c=1)")
    for header in HEADERS:
        table.add_column(header, justify="right")
    for row in table_rows(runs):
        table.add_row(*row)
    console.print(table)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small N, 20 pods: a smoke run")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--work-dir", type=Path, help="keep logs and state here (default: temp)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    plan = QUICK if args.quick else FULL
    console = Console(width=170)
    envoy = find_envoy()

    stop_on_signals()
    began = time.monotonic()

    def say(line: str) -> None:
        console.print(f"[dim]{time.monotonic() - began:7.1f}s[/] {line}")

    args.out.mkdir(parents=True, exist_ok=True)
    out = args.out / ("scale-quick.json" if args.quick else "scale.json")
    document: dict[str, Any] = {
        "machine": describe(envoy),
        "method": (
            f"{plan.pods} pods on {plan.listeners} pod Envoy listeners; SQLite; `podgate serve` "
            f"+ `podgate envoy` (Envoy --concurrency 1); latencies over {plan.requests} GETs at "
            f"c=1 (keep-alive); new pod and push: medians of {plan.repeats}; RSS from /proc "
            "VmRSS after warm-up"
        ),
        "plan": asdict(plan),
        "store_fill_s": {},
        "complete": False,
        "runs": [],
    }
    with ExitStack() as stack:
        work = args.work_dir or Path(stack.enter_context(tempfile.TemporaryDirectory()))
        work.mkdir(parents=True, exist_ok=True)
        rig = Rig(work, envoy, plan)
        stack.callback(rig.stop)
        rig.start_pods()
        rig.up(plan.default_cap)
        register_pods(rig)
        rig.down()
        say(f"pod Envoy with {plan.listeners} listeners; {plan.pods} pods registered")
        for run in measure(rig, document["store_fill_s"], say):
            document["runs"].append(asdict(run))
            document["total_s"] = round(time.monotonic() - began, 1)
            out.write_text(json.dumps(document, indent=2) + "\n")  # kept if a later run fails
    document["complete"] = True
    document["per_entry"] = per_entry(document["runs"])
    out.write_text(json.dumps(document, indent=2) + "\n")
    print_table(console, document["runs"], plan.pods)
    if document["per_entry"]:
        numbers = document["per_entry"]
        say(
            f"per fast-path entry ({numbers['entries']:,} added): Envoy RSS "
            f"{numbers['envoy_bytes']:,.0f} B, heap {numbers.get('envoy_heap_bytes', 0):,.0f} B; "
            f"control plane RSS {numbers['control_plane_bytes']:,.0f} B"
        )
    say(f"wrote {out}")


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        raise SystemExit("interrupted; every process the benchmark started is stopped") from None
