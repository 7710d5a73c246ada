"""Soak: minutes of mixed traffic through Podgate, then proof that nothing was lost.

    .venv/bin/python -m bench.soak [--minutes 10] [--quick] [--chaos | --no-chaos]
        [--concurrency 16] [--projects 6] [--cap 40] [--seed 9] [--results PATH]

Starts three podsim pods in two AZs (pod1 and pod2 name their zones as users do, so known ids
take Envoy's fast path; pod3 calls its zone `nova-3`, so its answers go through the decision
service; every other project is bound to pod3), the control plane and Envoy on free loopback
ports, the pods registered through the gRPC admin API. Then an asyncio load (bounded
concurrency) over several projects creates, reads, lists (paged walks), stops and deletes
servers and volumes, keeping in memory what the client believes exists and in which pod. With
`--chaos` (default for a full run, off for `--quick`) the control plane is stopped (SIGTERM)
and started again halfway; answers that overlap the outage are counted apart.

Afterwards every resource the client holds must resolve through the gateway to the pod that
really has it (each pod is asked directly), every deleted one must answer 404, and one full
paged walk per project and kind must list exactly the expected ids. The summary goes to the
terminal and bench/results/soak.json; the exit status is 1 if anything was lost, or if outside
the outage any answer was a 5xx, a connection error, from the wrong pod or otherwise not the
expected one. Every process started is stopped by PID; the logs are kept when the run fails.
"""

import argparse
import asyncio
import itertools
import json
import random
import re
import shutil
import signal
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
from rich.console import Console
from rich.table import Table

from bench.cpu import cpu_seconds
from bench.machine import describe
from bench.process import stop_on_signals
from harness.cloud import running_cloud
from harness.gateway import Gateway
from harness.procs import SimPod
from podgate_api.admin.v1 import admin_pb2

__all__ = [
    "KINDS",
    "MIX",
    "Ledger",
    "Reconciliation",
    "Resource",
    "choose_op",
    "cpu_share",
    "decision_phases",
    "overlaps",
    "percentile",
    "reconcile",
    "walk_problems",
]

# pod → (user-facing AZ, the pod's own AZ).
LAYOUT = {"pod1": ("az1", "az1"), "pod2": ("az2", "az2"), "pod3": ("az2", "nova-3")}
KINDS = ("server", "volume")
# Relative weights of the operations; creates and deletes balance, `cap` bounds the population.
MIX: Mapping[str, int] = {
    "create_server": 12,
    "create_volume": 10,
    "get_server": 18,
    "get_volume": 14,
    "get_deleted": 6,
    "list_servers": 6,
    "list_volumes": 5,
    "stop_server": 8,
    "delete_server": 11,
    "delete_volume": 10,
}
_NEEDS_LIVE = {"get_server", "get_volume", "stop_server", "delete_server", "delete_volume"}
_EXPECTED = {
    "create_server": 202,
    "create_volume": 202,
    "get_server": 200,
    "get_volume": 200,
    "get_deleted": 404,
    "list_servers": 200,
    "list_volumes": 200,
    "stop_server": 202,
    "delete_server": 204,
    "delete_volume": 202,
}
# After the control plane is ready again, Envoy may need a moment to reconnect its streams.
_GRACE_S = 3.0
_BACKOFF_S = 0.1
_RESULTS = Path(__file__).resolve().parent / "results" / "soak.json"
_SHOWN = 50  # problems kept in the JSON per list


def _kind(op: str) -> str:
    return "volume" if op.endswith("volume") or op.endswith("volumes") else "server"


def choose_op(
    rng: random.Random,
    mix: Mapping[str, int],
    *,
    available: Mapping[str, int],
    deleted: int,
    cap: int,
) -> str:
    """The next operation for one project: drawn from `mix`, then made possible.

    A create of a kind already at `cap` becomes a delete of it, an operation on an existing
    resource of a kind with none `available` (known and not in use) becomes a create, and a read
    of a deleted id with none deleted yet becomes a list.
    """
    op = rng.choices(list(mix), weights=list(mix.values()))[0]
    if op == "get_deleted":
        return op if deleted else "list_servers"
    kind = _kind(op)
    if op.startswith("create_") and available[kind] >= cap:
        return f"delete_{kind}"
    if op in _NEEDS_LIVE and not available[kind]:
        return f"create_{kind}"
    return op


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile `q` (0 to 100) of `values`; 0.0 when empty."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[min(len(ordered), int(rank)) - 1]


def cpu_share(samples: Sequence[Mapping[str, Any]], process: str) -> float | None:
    """Cores `process` ("control_plane" or "envoy") kept busy between the samples, on average.

    Only steps between two samples of the same live process count: a restart starts afresh.
    """
    busy = elapsed = 0.0
    for before, after in itertools.pairwise(samples):
        same = before.get(f"{process}_pid", 0) == after.get(f"{process}_pid", 0)
        spent = (before.get(f"{process}_cpu_s"), after.get(f"{process}_cpu_s"))
        if same and None not in spent:
            busy += spent[1] - spent[0]
            elapsed += after["t"] - before["t"]
    return round(busy / elapsed, 2) if elapsed else None


_PHASE = re.compile(
    r'podgate_decision_seconds_(count|sum|bucket)\{kind="(\w+)"(?:,le="([^"]+)")?\} (\S+)'
)


def decision_phases(metrics: str) -> dict[str, dict[str, float]]:
    """Per ext_proc phase, from the control plane's Prometheus text: calls, mean ms and how
    many took over 1 s (the decision service's own time, queueing in Envoy excluded)."""
    phases: dict[str, dict[str, float]] = {}
    for series, phase, bound, value in _PHASE.findall(metrics):
        numbers = phases.setdefault(phase, {"count": 0, "sum": 0.0, "within_1s": 0})
        if series != "bucket":
            numbers[series] = float(value)
        elif bound == "1.0":
            numbers["within_1s"] = float(value)
    return {
        phase: {
            "calls": int(n["count"]),
            "mean_ms": round(n["sum"] / n["count"] * 1000, 1) if n["count"] else 0.0,
            "over_1s": int(n["count"] - n["within_1s"]),
        }
        for phase, n in phases.items()
    }


def overlaps(start: float, end: float, windows: Iterable[tuple[float, float]]) -> bool:
    """Whether [start, end] touches any window (an outage)."""
    return any(start <= w_end and end >= w_start for w_start, w_end in windows)


@dataclass(frozen=True, slots=True)
class Resource:
    """What the client believes about one resource it created."""

    project: str
    kind: str
    id: str
    pod: str
    az: str
    name: str


@dataclass
class _Space:
    """One project's resources of one kind, as the client sees them."""

    live: dict[str, Resource] = field(default_factory=dict)
    busy: set[str] = field(default_factory=set)
    stopped: set[str] = field(default_factory=set)
    deleted: dict[str, float] = field(default_factory=dict)  # id → when the delete was answered
    uncertain: dict[str, Resource] = field(default_factory=dict)


class Ledger:
    """The client's belief: what exists where, what was deleted, what it cannot be sure of.

    An id in use by a stop or a delete is `busy`, so no other request acts on it meanwhile.
    Creates that got no clear answer are kept by name: the pod may have made the resource anyway.
    """

    def __init__(self, projects: Sequence[str]) -> None:
        self._spaces = {(p, kind): _Space() for p in projects for kind in KINDS}
        self.failed_creates: dict[str, tuple[str, str]] = {}  # name → (project, kind)
        self.created = Counter[str]()
        self._names = itertools.count(1)

    def space(self, project: str, kind: str) -> _Space:
        return self._spaces[(project, kind)]

    def new_name(self) -> str:
        return f"soak-{next(self._names)}"

    def available(self, project: str) -> dict[str, int]:
        """Known, not-busy resources of each kind."""
        return {
            kind: len(self.space(project, kind).live) - len(self.space(project, kind).busy)
            for kind in KINDS
        }

    def deleted_count(self, project: str) -> int:
        return sum(len(self.space(project, kind).deleted) for kind in KINDS)

    def pick(self, rng: random.Random, project: str, kind: str, *, lease: bool) -> Resource:
        """A random not-busy resource; `lease` marks it busy until `release` or `forget`."""
        space = self.space(project, kind)
        free = [rid for rid in space.live if rid not in space.busy]
        resource = space.live[rng.choice(free)]
        if lease:
            space.busy.add(resource.id)
        return resource

    def pick_deleted(self, rng: random.Random, project: str) -> tuple[str, str]:
        """(kind, id) of a resource whose delete was confirmed."""
        kinds = [kind for kind in KINDS if self.space(project, kind).deleted]
        kind = rng.choice(kinds)
        return kind, rng.choice(list(self.space(project, kind).deleted))

    def add(self, resource: Resource) -> None:
        self.space(resource.project, resource.kind).live[resource.id] = resource
        self.created[resource.kind] += 1

    def release(self, resource: Resource) -> None:
        self.space(resource.project, resource.kind).busy.discard(resource.id)

    def deleted(self, resource: Resource, at: float) -> None:
        space = self.space(resource.project, resource.kind)
        space.live.pop(resource.id, None)
        space.busy.discard(resource.id)
        space.stopped.discard(resource.id)
        space.deleted[resource.id] = at

    def unsure(self, resource: Resource) -> None:
        """A delete without a clear answer: the pods will tell whether it still exists."""
        space = self.space(resource.project, resource.kind)
        space.live.pop(resource.id, None)
        space.busy.discard(resource.id)
        space.uncertain[resource.id] = resource

    def spaces(self) -> Iterable[tuple[str, str, _Space]]:
        for (project, kind), space in self._spaces.items():
            yield project, kind, space


def walk_problems(walked: Sequence[str], stable: set[str], gone: set[str]) -> dict[str, list[str]]:
    """What is wrong with one paged list walk: ids listed twice, ids live throughout the walk
    but not listed, and ids listed although their delete was confirmed before the walk began."""
    counts = Counter(walked)
    return {
        "duplicates": sorted(rid for rid, n in counts.items() if n > 1),
        "missing": sorted(stable - counts.keys()),
        "resurrected": sorted(gone & counts.keys()),
    }


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """The client's belief held against what the pods really hold, for one project and kind.

    `expected` (id → pod) is what the gateway must now route and list: the client's live
    resources, those with an unclear delete that still exist, and orphans (made by a create
    whose answer the client never got, found by name).
    """

    expected: dict[str, str]
    lost: list[str]
    wrong_pod: list[str]
    resurrected: list[str]
    orphans: list[str]
    unknown: list[str]


def reconcile(
    live: Mapping[str, str],
    deleted: Iterable[str],
    uncertain: Iterable[str],
    failed_names: set[str],
    truth: Mapping[str, tuple[str, str]],
) -> Reconciliation:
    """`live`: id → believed pod; `truth`: id → (pod, name) from the pods themselves."""
    expected = {rid: truth[rid][0] for rid in live if rid in truth}
    expected.update({rid: truth[rid][0] for rid in uncertain if rid in truth})
    known = set(live) | set(deleted) | set(uncertain)
    extra = [rid for rid in truth if rid not in known]
    orphans = sorted(rid for rid in extra if truth[rid][1] in failed_names)
    expected.update({rid: truth[rid][0] for rid in orphans})
    return Reconciliation(
        expected=expected,
        lost=sorted(rid for rid in live if rid not in truth),
        wrong_pod=sorted(rid for rid, pod in live.items() if rid in truth and truth[rid][0] != pod),
        resurrected=sorted(rid for rid in deleted if rid in truth),
        orphans=orphans,
        unknown=sorted(rid for rid in extra if truth[rid][1] not in failed_names),
    )


# ---- I/O: the gateway, the load, the checks --------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Answer:
    status: int | None  # None: no HTTP answer (connection error or timeout)
    pod: str | None
    body: Any
    error: str = ""


@dataclass
class _Record:
    """Everything the load saw: per-op statuses and latencies, problems, list walks."""

    started: float
    statuses: dict[str, Counter[str]] = field(default_factory=dict)
    latencies: dict[str, list[float]] = field(default_factory=dict)
    outages: list[tuple[float, float]] = field(default_factory=list)
    problems: list[dict[str, Any]] = field(default_factory=list)
    walks: int = 0
    walk_problems: Counter[str] = field(default_factory=Counter)
    rss: list[dict[str, Any]] = field(default_factory=list)  # RSS and CPU time samples
    envoy_stats: dict[str, int] = field(default_factory=dict)
    decision_phases: dict[str, dict[str, float]] = field(default_factory=dict)

    def now(self) -> float:
        return time.monotonic() - self.started


class _Client:
    """The gateway's two APIs over one aiohttp session; each answer timed and counted."""

    def __init__(self, http: aiohttp.ClientSession, gateway: Gateway, record: _Record) -> None:
        self._http, self._record = http, record
        self._base = {"server": gateway.compute_url, "volume": gateway.volume_url}

    def url(self, kind: str, project: str, tail: str = "") -> str:
        return f"{self._base[kind]}/{project}/{kind}s{tail}"

    async def call(self, op: str, method: str, url: str, body: object = None) -> _Answer:
        started = self._record.now()
        answer = await _request(self._http, method, url, body)
        ended = self._record.now()
        label = str(answer.status) if answer.status is not None else "connection error"
        self._record.statuses.setdefault(op, Counter())[label] += 1
        self._record.latencies.setdefault(op, []).append((ended - started) * 1000)
        if answer.status != _EXPECTED[op]:
            self._unexpected(op, method, url, answer, started, ended)
        return answer

    def _unexpected(
        self, op: str, method: str, url: str, answer: _Answer, started: float, ended: float
    ) -> None:
        detail = answer.error or _short(answer.body)
        took = f" after {(ended - started) * 1000:.0f} ms"
        kind = _problem_kind(answer)
        self.note(op, f"{method} {url}", kind, answer.status, detail + took, started)

    def note(
        self, op: str, request: str, kind: str, status: int | None, detail: str, started: float
    ) -> None:
        """Keep one problem, marked by whether it overlapped an outage (up to now)."""
        outage = overlaps(started, self._record.now(), self._record.outages)
        self._record.problems.append(
            {
                "t": round(started, 3),
                "phase": "outage" if outage else "healthy",
                "kind": kind,
                "op": op,
                "request": request,
                "status": status,
                "detail": detail,
            }
        )


def _problem_kind(answer: _Answer) -> str:
    if answer.status is None:
        return "connection error"
    return "5xx" if answer.status >= 500 else f"unexpected {answer.status}"


def _short(body: Any) -> str:
    return json.dumps(body)[:300] if body is not None else ""


async def _request(
    http: aiohttp.ClientSession, method: str, url: str, body: object = None
) -> _Answer:
    try:
        async with http.request(method, url, json=body) as response:
            raw = await response.read()
            try:
                parsed = json.loads(raw) if raw else None
            except ValueError:
                parsed = raw[:300].decode(errors="replace")
            return _Answer(response.status, response.headers.get("x-podsim-pod"), parsed)
    except (TimeoutError, aiohttp.ClientError) as error:
        return _Answer(None, None, None, f"{type(error).__name__}: {error}")


def _server_body(name: str, az: str) -> dict[str, Any]:
    return {"server": {"name": name, "flavorRef": "1", "imageRef": "img", "availability_zone": az}}


def _volume_body(name: str, az: str) -> dict[str, Any]:
    return {"volume": {"name": name, "size": 1, "availability_zone": az}}


class _Load:
    """The workers: each draws a project and an operation, runs it, updates the ledger."""

    def __init__(
        self,
        client: _Client,
        ledger: Ledger,
        record: _Record,
        projects: Sequence[str],
        *,
        seed: int,
        cap: int,
    ) -> None:
        self._client, self._ledger, self._record = client, ledger, record
        self._projects, self._cap = projects, cap
        self._rng = random.Random(seed)
        self._zones = sorted({az for az, _ in LAYOUT.values()})
        self._pod_zone = {pod: az for pod, (az, _) in LAYOUT.items()}

    async def worker(self, until: float) -> None:
        while self._record.now() < until:
            project = self._rng.choice(self._projects)
            op = choose_op(
                self._rng,
                MIX,
                available=self._ledger.available(project),
                deleted=self._ledger.deleted_count(project),
                cap=self._cap,
            )
            failures = len(self._record.problems)
            await getattr(self, f"_{op.split('_')[0]}")(op, project)
            if len(self._record.problems) > failures:
                await asyncio.sleep(_BACKOFF_S)  # as a client would, rather than spin on faults

    async def _create(self, op: str, project: str) -> None:
        kind, name, az = _kind(op), self._ledger.new_name(), self._rng.choice(self._zones)
        body = (_server_body if kind == "server" else _volume_body)(name, az)
        url = self._client.url(kind, project)
        answer = await self._client.call(op, "POST", url, body)
        if answer.status != _EXPECTED[op]:
            self._ledger.failed_creates[name] = (project, kind)
            return
        rid = answer.body[kind]["id"]
        if answer.pod is None or self._pod_zone.get(answer.pod) != az:
            detail = f"{kind} {rid} asked for {az}, placed in pod {answer.pod}"
            self._client.note(op, f"POST {url}", "wrong placement", 202, detail, self._record.now())
        self._ledger.add(Resource(project, kind, rid, answer.pod or "?", az, name))

    async def _get(self, op: str, project: str) -> None:
        if op == "get_deleted":
            kind, rid = self._ledger.pick_deleted(self._rng, project)
            await self._client.call(op, "GET", self._client.url(kind, project, f"/{rid}"))
            return
        resource = self._ledger.pick(self._rng, project, _kind(op), lease=True)
        url = self._client.url(resource.kind, project, f"/{resource.id}")
        started = self._record.now()
        answer = await self._client.call(op, "GET", url)
        self._ledger.release(resource)
        if answer.status == 200:
            shown = answer.body[resource.kind]
            zone = shown.get("OS-EXT-AZ:availability_zone", shown.get("availability_zone"))
            if answer.pod != resource.pod or zone != resource.az:
                detail = f"believed {resource.pod}/{resource.az}, got {answer.pod}/{zone}"
                self._client.note(op, f"GET {url}", "wrong pod", 200, detail, started)

    async def _stop(self, op: str, project: str) -> None:
        resource = self._ledger.pick(self._rng, project, "server", lease=True)
        space = self._ledger.space(project, "server")
        action = "os-start" if resource.id in space.stopped else "os-stop"
        url = self._client.url("server", project, f"/{resource.id}/action")
        answer = await self._client.call(op, "POST", url, {action: None})
        if answer.status == 202:
            (space.stopped.discard if action == "os-start" else space.stopped.add)(resource.id)
        self._ledger.release(resource)

    async def _delete(self, op: str, project: str) -> None:
        resource = self._ledger.pick(self._rng, project, _kind(op), lease=True)
        url = self._client.url(resource.kind, project, f"/{resource.id}")
        answer = await self._client.call(op, "DELETE", url)
        if answer.status == _EXPECTED[op]:
            self._ledger.deleted(resource, self._record.now())
        else:
            self._ledger.unsure(resource)

    async def _list(self, op: str, project: str) -> None:
        kind = _kind(op)
        space = self._ledger.space(project, kind)
        before = set(space.live) - space.busy
        gone = set(space.deleted)
        started = self._record.now()
        walked = await _walk(self._client, op, kind, project, self._rng.choice((10, 25, 50)))
        if walked is None:
            return
        stable = before & (set(space.live) - space.busy)
        self._record.walks += 1
        request = f"GET {self._client.url(kind, project, '/detail')} (paged walk)"
        for problem, ids in walk_problems(walked, stable, gone).items():
            if ids:
                self._record.walk_problems[problem] += len(ids)
                self._client.note(op, request, f"list {problem}", 200, str(ids[:5]), started)


async def _walk(client: _Client, op: str, kind: str, project: str, limit: int) -> list[str] | None:
    """Every id of one paged detail list, following the next links; None if a page failed."""
    ids: list[str] = []
    marker = ""
    for _ in range(10_000):
        query = f"?limit={limit}" + (f"&marker={marker}" if marker else "")
        answer = await client.call(op, "GET", client.url(kind, project, f"/detail{query}"))
        if answer.status != 200:
            return None
        page = [item["id"] for item in answer.body[f"{kind}s"]]
        ids.extend(page)
        links = answer.body.get(f"{kind}s_links") or []
        if not page or not any(link.get("rel") == "next" for link in links):
            return ids
        marker = page[-1]
    return None


def _rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _sample_rss(gateway: Gateway, record: _Record, when: str) -> None:
    assert gateway.control_plane is not None and gateway.envoy is not None
    control_plane, envoy = gateway.control_plane.pid, gateway.envoy.pid
    cpu = cpu_seconds([control_plane, envoy])
    record.rss.append(
        {
            "t": round(record.now(), 1),
            "when": when,
            "control_plane_pid": control_plane,
            "control_plane_rss_mib": _mib(_rss_kib(control_plane)),
            "control_plane_cpu_s": cpu.get(control_plane),
            "envoy_pid": envoy,
            "envoy_rss_mib": _mib(_rss_kib(envoy)),
            "envoy_cpu_s": cpu.get(envoy),
        }
    )


def _metrics_url(gateway: Gateway) -> str:
    return f"http://127.0.0.1:{gateway.metrics_port}/metrics"


async def _text(http: aiohttp.ClientSession, url: str) -> str:
    async with http.get(url) as response:
        return await response.text()


async def _envoy_ext_proc_stats(http: aiohttp.ClientSession, gateway: Gateway) -> dict[str, int]:
    """Envoy's non-zero ext_proc counters: how many decision calls failed, and how."""
    text = await _text(http, f"{gateway.envoy_admin}/stats?filter=ext_proc")
    counters = {}
    for line in text.splitlines():
        name, _, value = line.rpartition(": ")
        if value.isdigit() and int(value):
            counters[name] = int(value)
    return counters


def _mib(kib: int | None) -> float | None:
    return None if kib is None else round(kib / 1024, 1)


async def _sampler(gateway: Gateway, record: _Record, until: float, every: float) -> None:
    while record.now() + every < until:
        await asyncio.sleep(every)
        _sample_rss(gateway, record, "during")


async def _restart(gateway: Gateway, record: _Record, at: float) -> None:
    """SIGTERM the control plane at `at` s and start it again; the outage window is recorded."""
    await asyncio.sleep(max(0.0, at - record.now()))
    assert gateway.control_plane is not None
    _sample_rss(gateway, record, "before restart")
    down = record.now()
    record.outages.append((down, float("inf")))
    await asyncio.to_thread(gateway.control_plane.stop, signal.SIGTERM)
    await asyncio.to_thread(gateway.start_control_plane)
    record.outages[-1] = (down, record.now() + _GRACE_S)
    _sample_rss(gateway, record, "after restart")


# ---- verification ------------------------------------------------------------------------------


async def _pod_truth(
    http: aiohttp.ClientSession, pods: Mapping[str, SimPod], project: str, kind: str
) -> dict[str, tuple[str, str]]:
    """id → (pod, name) of every resource the pods themselves hold (listed directly)."""
    truth: dict[str, tuple[str, str]] = {}
    for name, sim in pods.items():
        base = _pod_collection(sim, kind, project)
        marker = ""
        while True:
            query = "?limit=1000" + (f"&marker={marker}" if marker else "")
            answer = await _request(http, "GET", base + query)
            if answer.status != 200:
                raise RuntimeError(f"pod {name} did not list {kind}s: {answer}")
            page = answer.body[f"{kind}s"]
            truth.update({item["id"]: (name, item.get("name") or "") for item in page})
            if len(page) < 1000:
                break
            marker = page[-1]["id"]
    return truth


async def _bounded(jobs: Iterable[Callable[[], Any]], limit: int) -> list[Any]:
    gate = asyncio.Semaphore(limit)

    async def one(job: Callable[[], Any]) -> Any:
        async with gate:
            return await job()

    return await asyncio.gather(*(one(job) for job in jobs))


async def _verify(
    http: aiohttp.ClientSession,
    gateway: Gateway,
    ledger: Ledger,
    pods: Mapping[str, SimPod],
    concurrency: int,
) -> dict[str, Any]:
    """Hold every belief against the pods and the gateway; lists of what failed, and counts."""
    client = _Client(http, gateway, _Record(started=time.monotonic()))
    failed_names = set(ledger.failed_creates)
    found: dict[str, list[str]] = {
        key: []
        for key in (
            "lost",
            "wrong_pod",
            "resurrected",
            "unknown",
            "gateway_misroutes",
            "pod_disagreements",
            "deleted_not_404",
            "walk_mismatches",
        )
    }
    counts = Counter[str]()
    for project, kind, space in ledger.spaces():
        truth = await _pod_truth(http, pods, project, kind)
        live = {rid: resource.pod for rid, resource in space.live.items()}
        result = reconcile(live, space.deleted, space.uncertain, failed_names, truth)
        for key in ("lost", "wrong_pod", "resurrected", "unknown"):
            found[key].extend(f"{kind} {rid}" for rid in getattr(result, key))
        counts["orphans"] += len(result.orphans)
        counts["uncertain"] += len(space.uncertain)
        counts["expected"] += len(result.expected)
        counts["deleted"] += len(space.deleted)

        async def resolves(rid: str, pod: str, kind: str = kind, project: str = project) -> None:
            answer = await _request(http, "GET", client.url(kind, project, f"/{rid}"))
            if answer.status != 200 or answer.pod != pod:
                found["gateway_misroutes"].append(f"{kind} {rid}: {answer.status} {answer.pod}")
            for name, sim in pods.items():
                url = f"{_pod_collection(sim, kind, project)}/{rid}"
                direct = await _request(http, "GET", url)
                if direct.status != (200 if name == pod else 404):
                    found["pod_disagreements"].append(f"{kind} {rid} in {name}: {direct.status}")
            counts["verified"] += 1

        async def is_gone(rid: str, kind: str = kind, project: str = project) -> None:
            answer = await _request(http, "GET", client.url(kind, project, f"/{rid}"))
            if answer.status != 404:
                found["deleted_not_404"].append(f"{kind} {rid}: {answer.status}")
            counts["verified_deleted"] += 1

        jobs: list[Callable[[], Any]] = [
            lambda rid=rid, pod=pod: resolves(rid, pod) for rid, pod in result.expected.items()
        ]
        gone = [rid for rid in [*space.deleted, *space.uncertain] if rid not in truth]
        jobs += [lambda rid=rid: is_gone(rid) for rid in gone]
        await _bounded(jobs, concurrency)
        walked = await _walk(client, f"list_{kind}s", kind, project, 25)
        if walked is None or sorted(walked) != sorted(result.expected):
            got = "failed" if walked is None else f"{len(walked)} ids"
            found["walk_mismatches"].append(
                f"{project} {kind}s: {got}, expected {len(result.expected)}"
            )
    return {"failures": found, "counts": dict(counts)}


def _pod_collection(sim: SimPod, kind: str, project: str) -> str:
    """The pod's own URL of a project's servers or volumes, the gateway bypassed."""
    if kind == "server":
        return f"{sim.compute_url}/{project}/servers"
    return f"{sim.url}/volume/v3/{project}/volumes"


# ---- the run ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Settings:
    """One soak's knobs, as given on the command line."""

    seconds: float
    chaos: bool
    concurrency: int
    projects: int
    cap: int
    seed: int
    results: Path


def _bind(gateway: Gateway, projects: Sequence[str]) -> None:
    """Every other project is bound to pod3 in az2, so the renamed zone sees traffic too."""
    admin = gateway.admin()
    for project in projects[::2]:
        admin.CreateBinding(admin_pb2.CreateBindingRequest(project_id=project, pod_name="pod3"))


async def _soak(
    gateway: Gateway, pods: Mapping[str, SimPod], settings: Settings
) -> tuple[_Record, Ledger, dict[str, Any], float]:
    projects = [uuid.uuid4().hex for _ in range(settings.projects)]
    _bind(gateway, projects)
    ledger = Ledger(projects)
    record = _Record(started=time.monotonic())
    connector = aiohttp.TCPConnector(limit=settings.concurrency * 2)
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:
        client = _Client(http, gateway, record)
        load = _Load(client, ledger, record, projects, seed=settings.seed, cap=settings.cap)
        _sample_rss(gateway, record, "start")
        until = settings.seconds
        tasks = [load.worker(until) for _ in range(settings.concurrency)]
        tasks.append(_sampler(gateway, record, until, every=max(5.0, until / 20)))
        if settings.chaos:
            tasks.append(_restart(gateway, record, at=until / 2))
        await asyncio.gather(*tasks)
        duration = record.now()
        _sample_rss(gateway, record, "end of load")
        record.envoy_stats = await _envoy_ext_proc_stats(http, gateway)
        record.decision_phases = decision_phases(await _text(http, _metrics_url(gateway)))
        verification = await _verify(http, gateway, ledger, pods, settings.concurrency)
        _sample_rss(gateway, record, "end")
    return record, ledger, verification, duration


def summarise(
    record: _Record,
    ledger: Ledger,
    verification: dict[str, Any],
    duration: float,
    settings: Settings,
) -> dict[str, Any]:
    """The JSON document: settings, per-op numbers, problems by kind and phase, verification."""
    ops = {}
    for op in MIX:
        latencies = record.latencies.get(op, [])
        ops[op] = {
            "requests": len(latencies),
            "rps": round(len(latencies) / duration, 1) if duration else 0.0,
            "p50_ms": round(percentile(latencies, 50), 2),
            "p99_ms": round(percentile(latencies, 99), 2),
            "statuses": dict(sorted(record.statuses.get(op, Counter()).items())),
        }
    total = sum(numbers["requests"] for numbers in ops.values())
    by_kind = Counter(f"{p['phase']}: {p['kind']}" for p in record.problems)
    healthy = [p for p in record.problems if p["phase"] == "healthy"]
    failures = verification["failures"]
    lost = failures["lost"] + failures["gateway_misroutes"]
    serious = [p for p in healthy if p["kind"] in ("5xx", "connection error")]
    mismatched = [p for p in healthy if p["kind"] not in ("5xx", "connection error")]
    ok = not serious and not mismatched and not any(failures.values())
    return {
        "ok": ok,
        "settings": {**asdict(settings), "results": str(settings.results)},
        "duration_s": round(duration, 1),
        "requests": total,
        "rps": round(total / duration, 1) if duration else 0.0,
        "ops": ops,
        "list_walks": record.walks,
        "walk_problems": dict(record.walk_problems),
        "problems_by_kind": dict(sorted(by_kind.items())),
        "outages": [[round(a, 1), round(b, 1)] for a, b in record.outages],
        "healthy_errors": serious[:_SHOWN],
        "healthy_mismatches": mismatched[:_SHOWN],
        "outage_answers": [p for p in record.problems if p["phase"] == "outage"][:_SHOWN],
        "created": dict(ledger.created),
        "failed_creates": len(ledger.failed_creates),
        "verification": {
            "counts": verification["counts"],
            "lost": len(lost),
            "failures": {key: values[:_SHOWN] for key, values in failures.items()},
        },
        "rss": record.rss,
        "cpu_cores_busy": {
            process: cpu_share([r for r in record.rss if r["when"] != "end"], process)
            for process in ("control_plane", "envoy")
        },
        "envoy_ext_proc": record.envoy_stats,
        "decision_phases_since_last_start": record.decision_phases,
    }


def print_summary(console: Console, summary: dict[str, Any]) -> None:
    table = Table(title=f"Soak: {summary['duration_s']} s, {summary['rps']} requests/s")
    for column in ("operation", "requests", "rps", "p50 ms", "p99 ms", "statuses"):
        table.add_column(column, justify="left" if column in ("operation", "statuses") else "right")
    for op, numbers in summary["ops"].items():
        statuses = ", ".join(f"{k}: {v}" for k, v in numbers["statuses"].items())
        table.add_row(
            op,
            str(numbers["requests"]),
            str(numbers["rps"]),
            str(numbers["p50_ms"]),
            str(numbers["p99_ms"]),
            statuses,
        )
    console.print(table)
    checks = Table(title="Afterwards")
    checks.add_column("what")
    checks.add_column("value", justify="right")
    counts = summary["verification"]["counts"]
    rows = [
        ("created: servers, volumes", ", ".join(str(summary["created"].get(k, 0)) for k in KINDS)),
        ("deleted (confirmed)", counts.get("deleted", 0)),
        ("creates without a clear answer", summary["failed_creates"]),
        ("orphans found by name (recovered)", counts.get("orphans", 0)),
        ("deletes without a clear answer", counts.get("uncertain", 0)),
        ("live resources verified (gateway + every pod)", counts.get("verified", 0)),
        ("deleted ids answering 404", counts.get("verified_deleted", 0)),
        ("list walks during the load", summary["list_walks"]),
        ("LOST", summary["verification"]["lost"]),
    ]
    rows += [(f"problems: {kind}", n) for kind, n in summary["problems_by_kind"].items()]
    rows += [
        (f"failed check: {key}", len(values))
        for key, values in summary["verification"]["failures"].items()
        if values
    ]
    timeouts = sum(n for name, n in summary["envoy_ext_proc"].items() if "timeout" in name)
    rows.append(("Envoy ext_proc message timeouts", timeouts))
    for phase, numbers in summary["decision_phases_since_last_start"].items():
        took = f"{numbers['calls']} calls, mean {numbers['mean_ms']} ms, {numbers['over_1s']} > 1 s"
        rows.append((f"decision service, {phase}", took))
    cores = summary["cpu_cores_busy"]
    busy = f"{cores['control_plane']} / {cores['envoy']}"
    rows.append(("cores busy: control plane / Envoy", busy))
    for sample in summary["rss"]:
        if sample["when"] != "during":
            rows.append(
                (
                    f"RSS MiB control plane / Envoy ({sample['when']})",
                    f"{sample['control_plane_rss_mib']} / {sample['envoy_rss_mib']}",
                )
            )
    for what, value in rows:
        checks.add_row(what, str(value))
    console.print(checks)
    verdict = "[green]OK: nothing lost[/]" if summary["ok"] else "[red]FAILED[/]"
    console.print(verdict)


def parse_args(argv: Sequence[str] | None) -> Settings:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--quick", action="store_true", help="30 s instead of --minutes")
    parser.add_argument(
        "--chaos",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="restart the control plane halfway (default: on, off with --quick)",
    )
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--projects", type=int, default=6)
    parser.add_argument("--cap", type=int, default=40, help="live resources per project and kind")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument("--results", type=Path, default=_RESULTS, help="where the JSON goes")
    args = parser.parse_args(argv)
    return Settings(
        seconds=30.0 if args.quick else args.minutes * 60,
        chaos=(not args.quick) if args.chaos is None else args.chaos,
        concurrency=args.concurrency,
        projects=args.projects,
        cap=args.cap,
        seed=args.seed,
        results=args.results,
    )


def main(argv: Sequence[str] | None = None) -> int:
    settings = parse_args(argv)
    console = Console()

    stop_on_signals()
    root = Path(tempfile.mkdtemp(prefix="podgate-soak-"))
    console.print(f"soak: {settings}; logs in {root}")
    with running_cloud(root, LAYOUT) as (gateway, pods):
        record, ledger, verification, duration = asyncio.run(_soak(gateway, pods, settings))
    summary = summarise(record, ledger, verification, duration, settings)
    summary["machine"] = describe(str(Path(sys.executable).parent / "envoy"))
    settings.results.parent.mkdir(parents=True, exist_ok=True)
    settings.results.write_text(json.dumps(summary, indent=2) + "\n")
    print_summary(console, summary)
    console.print(f"written: {settings.results}")
    if summary["ok"]:
        shutil.rmtree(root, ignore_errors=True)
        return 0
    console.print(f"logs kept in {root}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
