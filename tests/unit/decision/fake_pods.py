"""In-memory pods behind both pod seams, without sockets: FakeCloud reads, FakeSend sends.

Each FakePod answers `GET …/<collection>/detail`, `GET …/<collection>/{id}` (servers, volumes,
snapshots, backups) and its version documents exactly as a podsim process would (same
list_query validation, same `page`, same views), except that its largest page (`max_limit`)
can be made small to exercise pods that cut pages themselves. Failures are scripted per pod.
Hosts that are no FakePod answer version documents only, with a window per document URL.
A pod's sends answer from its script (by default: every external event accepted).
"""

import asyncio
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from control_plane.decision.pods.client import PodCallError, PodResponse
from control_plane.model import Pod, PodState
from podsim.backups import BACKUPS
from podsim.faults import Fault
from podsim.kind import NewRecord, ResourceKind
from podsim.links import Links
from podsim.paging import page
from podsim.servers import SERVERS
from podsim.snapshots import SNAPSHOTS
from podsim.versions import cinder_versions, nova_version, nova_versions
from podsim.volumes import VOLUMES

Script = Callable[[str, str, dict], PodResponse]

_KINDS = {"servers": SERVERS, "volumes": VOLUMES, "snapshots": SNAPSHOTS, "backups": BACKUPS}
_PREFIX = {name: kind.prefix for name, kind in _KINDS.items()}
_BODIES = {
    "servers": lambda name: {"server": {"name": name}},
    "volumes": lambda name: {"volume": {"size": 1, "name": name}},
    "snapshots": lambda name: {"snapshot": {"volume_id": "v-src", "name": name}},
    "backups": lambda name: {"backup": {"volume_id": "v-src", "name": name}},
}


def pod(name: str, az: str = "az", minute: int | None = None, **changes: object) -> Pod:
    """A pod registered with Nova and Cinder endpoints on its own host `<name>.pod`.

    `minute` is its creation time (placement prefers the oldest), none when not given.
    """
    endpoints = {
        "compute": f"http://{name}.pod/compute/v2.1",
        "volumev3": f"http://{name}.pod/volume/v3/$(project_id)s",
    }
    created_at = None if minute is None else datetime(2026, 1, 1, 0, minute, tzinfo=UTC)
    fields = {"endpoints": endpoints, "pod_az_name": f"inner-{name}", **changes}
    return Pod(name=name, az_name=az, created_at=created_at, **fields)


@dataclass
class FakePod:
    """One pod's records and its scripted behaviour."""

    name: str
    az: str
    max_limit: int = 1000
    delay: float = 0.0
    failure: str = ""  # "", "error" (HTTP 500), "down" (no answer), "junk" (not JSON)
    records: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=lambda: {name: {} for name in _KINDS}
    )
    calls: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    @property
    def endpoints(self) -> dict[str, str]:
        return {
            "compute": f"http://{self.name}.pod/compute/v2.1",
            "volumev3": f"http://{self.name}.pod/volume/v3/$(project_id)s",
        }

    def pod(self, az_name: str, *, state: PodState = PodState.ENABLED) -> Pod:
        """This pod as registered in the gateway, under the user-facing `az_name`."""
        return Pod(
            name=self.name,
            az_name=az_name,
            pod_az_name=self.az,
            state=state,
            endpoints=self.endpoints,
        )

    def add(self, collection: str, project: str, resource_id: str, name: str | None, at: datetime):
        """Store a resource created at `at` as podsim would."""
        kind = _KINDS[collection]
        new = NewRecord(
            id=resource_id, project_id=project, user_id="u", az=self.az, pod=self.name, at=at
        )
        record = kind.new(_BODIES[collection](name), new)
        if kind.from_source is not None:
            kind.from_source(record, {"id": "v-src", "size": 1, "status": "available"})
        self.records[collection][resource_id] = record

    def answer(self, path: str, query: str) -> PodResponse:
        """The podsim answer to one GET."""
        origin = f"http://{self.name}.pod"
        if path == "/compute/":
            return json_response(200, nova_versions(origin))
        if path == "/volume/":
            return json_response(300, cinder_versions(origin))
        if path == "/compute/v2.1/":
            return json_response(200, nova_version(origin))
        if path == "/volume/v3/":
            return json_response(200, cinder_versions(origin))
        prefix = "/compute/v2.1" if path.startswith("/compute/") else "/volume/v3"
        project, _, rest = path.removeprefix(prefix + "/").partition("/")
        collection, _, tail = rest.partition("/")
        kind = _KINDS[collection]
        tail = tail.strip("/")
        links = Links(
            endpoint=f"http://{self.name}.pod{_PREFIX[collection]}",
            bookmark=f"http://{self.name}.pod{_PREFIX[collection].rsplit('/', 1)[0]}",
            project_id=project,
            collection=collection,
        )
        mine = {
            rid: record
            for rid, record in self.records[collection].items()
            if record["project_id"] == project
        }
        try:
            if tail == "detail":
                return json_response(200, self._list(kind, collection, mine, query, links))
            record = mine.get(tail)
            if record is None:
                raise kind.not_found(tail)
            return json_response(200, {kind.member: kind.detail_view(record, links)})
        except Fault as fault:
            return json_response(fault.status, fault.body())

    def _list(
        self, kind: ResourceKind, collection: str, mine: dict[str, dict], query: str, links: Links
    ) -> dict[str, Any]:
        params = parse_qsl(query, keep_blank_values=True)
        parsed = kind.list_query(params)
        marker = None
        if parsed.marker is not None:
            marker = mine.get(parsed.marker)
            if marker is None:
                raise kind.marker_not_found(parsed.marker)
        records = [record for record in mine.values() if kind.matches(record, parsed.filters)]
        result = page(records, parsed.order, limit=min(parsed.limit, self.max_limit), marker=marker)
        body: dict[str, Any] = {collection: [kind.detail_view(r, links) for r in result.items]}
        if result.full:
            last = result.items[-1][kind.id_key]
            body[f"{collection}_links"] = links.next_page(f"{collection}/detail", params, last)
        return body


class FakeCloud:
    """A PodFetch answering from FakePods by URL host, version documents elsewhere.

    `windows` maps a version document URL (see version_docs.document_urls) to (min, max); it
    and any URL of a host that is no FakePod get a single version document, by default the
    window of its API (compute when the path holds "/compute" or "/v2", volume otherwise).
    Every URL asked is recorded in `calls`.
    """

    def __init__(
        self,
        *pods: FakePod,
        windows: Mapping[str, tuple[str, str]] | None = None,
    ) -> None:
        self.pods = {f"{pod.name}.pod": pod for pod in pods}
        self.windows = dict(windows or {})
        self.calls: list[str] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        self.calls.append(url)
        parts = urlsplit(url)
        pod = self.pods.get(parts.netloc)
        if pod is None or url in self.windows:
            return await self._version(url)
        pod.calls.append((parts.path + (f"?{parts.query}" if parts.query else ""), dict(headers)))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(pod.delay)
        finally:
            self.in_flight -= 1
        if pod.failure == "down":
            raise PodCallError(f"{pod.name} refused the connection")
        if pod.failure == "error":
            return json_response(500, {"computeFault": {"message": "boom", "code": 500}})
        if pod.failure == "junk":
            return PodResponse(200, b"<html>")
        return pod.answer(parts.path, parts.query)

    async def _version(self, url: str) -> PodResponse:
        # A few loop turns, as real I/O would take.
        for _ in range(3):
            await asyncio.sleep(0)
        compute = "/compute" in url or "/v2" in url
        default = ("2.1", "2.96") if compute else ("3.0", "3.71")
        low, high = self.windows.get(url, default)
        entry = {"id": "v2.1" if compute else "v3.0", "status": "CURRENT"}
        entry.update(min_version=low, version=high)
        return json_response(200, {"version": entry})


class FakeSend:
    """A PodSend: each pod (by URL host `<name>.pod`) answers from its script.

    A script of None refuses the connection; pods without one accept every external event.
    Every call is recorded as (pod, method, path, document), each URL's last headers in
    `headers`; `delays` per pod.
    """

    def __init__(
        self,
        scripts: Mapping[str, Script | None] | None = None,
        delays: Mapping[str, float] | None = None,
    ) -> None:
        self.scripts = dict(scripts or {})
        self.delays = dict(delays or {})
        self.calls: list[tuple[str, str, str, dict]] = []
        self.headers: dict[str, dict[str, str]] = {}

    async def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> PodResponse:
        parts = urlsplit(url)
        name = parts.netloc.removesuffix(".pod")
        document = json.loads(body) if body else {}
        self.calls.append((name, method, parts.path, document))
        self.headers[url] = dict(headers)
        await asyncio.sleep(self.delays.get(name, 0))
        script = self.scripts.get(name, _events_accepted)
        if script is None:
            raise PodCallError(f"{name} refused the connection")
        return script(method, parts.path, document)


def _events_accepted(method: str, path: str, document: dict) -> PodResponse:
    events = [{**event, "status": "completed", "code": 200} for event in document["events"]]
    return json_response(200, {"events": events})


def json_response(status: int, document: object) -> PodResponse:
    """An answer carrying `document` as JSON (also what scripts return)."""
    return PodResponse(status, json.dumps(document, default=str).encode())
