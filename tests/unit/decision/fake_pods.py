"""In-memory pods behind a PodFetch: podsim's own sorting, paging and views, without sockets.

Each FakePod answers `GET …/<collection>/detail`, `GET …/<collection>/{id}` (servers, volumes,
snapshots, backups) and its version documents exactly as a podsim process would (same
list_query validation, same `page`, same views), except that its largest page (`max_limit`)
can be made small to exercise pods that cut pages themselves. Failures are scripted per pod.
"""

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
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

_KINDS = {"servers": SERVERS, "volumes": VOLUMES, "snapshots": SNAPSHOTS, "backups": BACKUPS}
_PREFIX = {name: kind.prefix for name, kind in _KINDS.items()}
_BODIES = {
    "servers": lambda name: {"server": {"name": name}},
    "volumes": lambda name: {"volume": {"size": 1, "name": name}},
    "snapshots": lambda name: {"snapshot": {"volume_id": "v-src", "name": name}},
    "backups": lambda name: {"backup": {"volume_id": "v-src", "name": name}},
}


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
            return _json(200, nova_versions(origin))
        if path == "/volume/":
            return _json(300, cinder_versions(origin))
        if path == "/compute/v2.1/":
            return _json(200, nova_version(origin))
        if path == "/volume/v3/":
            return _json(200, cinder_versions(origin))
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
                return _json(200, self._list(kind, collection, mine, query, links))
            record = mine.get(tail)
            if record is None:
                raise kind.not_found(tail)
            return _json(200, {kind.member: kind.detail_view(record, links)})
        except Fault as fault:
            return _json(fault.status, fault.body())

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
    """A PodFetch that answers from FakePods by URL host, recording every call."""

    def __init__(self, *pods: FakePod) -> None:
        self.pods = {f"{pod.name}.pod": pod for pod in pods}
        self.in_flight = 0
        self.most_in_flight = 0

    async def __call__(self, url: str, headers: Mapping[str, str]) -> PodResponse:
        parts = urlsplit(url)
        pod = self.pods[parts.netloc]
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
            return _json(500, {"computeFault": {"message": "boom", "code": 500}})
        if pod.failure == "junk":
            return PodResponse(200, b"<html>")
        return pod.answer(parts.path, parts.query)


def _json(status: int, document: object) -> PodResponse:
    return PodResponse(status, json.dumps(document, default=str).encode())
