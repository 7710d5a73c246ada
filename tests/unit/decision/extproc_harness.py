"""Drive DecisionService.Process the way Envoy does: one scripted message at a time.

`Gateway` is the one decision service the ext_proc tests talk to: an in-memory store and the
fake pods (fake_pods: FakeCloud for reads, FakeSend for sends); `Stream` is one ext_proc
stream on it. `ListGateway` is a Gateway over FakePods whose Lister tests ask page by page.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision.decisions import ListPage
from control_plane.decision.extproc import DecisionService
from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.lister import Lister
from control_plane.decision.pods.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.resources import by_collection
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.identity import Gate
from control_plane.model import Pod, ResourceType, Routing, Service
from control_plane.settings import DecisionSettings
from tests.unit.decision.fake_pods import FakeCloud, FakePod, FakeSend, pod
from tests.unit.decision.fakes import MemoryStore


class Gateway:
    """A DecisionService over `pods`, its store, and helpers to open streams on it."""

    def __init__(
        self,
        *pods: Pod,
        fetch: FakeCloud | None = None,
        gate: Gate | None = None,
        settings: DecisionSettings | None = None,
        routings: int = 100,
    ) -> None:
        self.pods = {pod.name: pod for pod in pods}
        self.store = MemoryStore(self.pods)
        self.table = RoutingTable(self.store, max_entries=routings)
        # What the pods answer a GET: version documents only, unless a test gives FakePods.
        self.fetch = fetch or FakeCloud()
        self.send = FakeSend()
        self.gate = gate
        self.service = self.decision_service(settings)

    def decision_service(self, settings: DecisionSettings | None = None) -> DecisionService:
        """A decision service over this gateway's store, pods and fakes."""
        return DecisionService(
            store=self.store,
            routing_table=self.table,
            pods=lambda: self.pods,
            fetch=self.fetch,
            send=self.send,
            gate=self.gate,
            settings=settings,
        )

    def stream(self, listener: str | None = "compute") -> "Stream":
        return Stream(self.service, listener)

    async def route(
        self, kind: ResourceType, resource_id: str, pod_name: str, project: str = "p1"
    ) -> None:
        await self.store.put_routing(Routing(resource_id, kind, project, pod_name))


def two_pods() -> Gateway:
    """Pods a (az1) and b (az2) with different version windows; trusted noauth events."""
    versions = FakeCloud(
        windows={
            "http://a.pod/compute/": ("2.1", "2.96"),
            "http://b.pod/compute/": ("2.1", "2.90"),
            "http://a.pod/volume/": ("3.0", "3.71"),
            "http://b.pod/volume/": ("3.0", "3.60"),
        }
    )
    # The external-events tests run as a noauth deployment that trusts its callers.
    settings = DecisionSettings(noauth_external_events=True)
    return Gateway(pod("a", "az1", 1), pod("b", "az2", 2), fetch=versions, settings=settings)


class FakeContext:
    """The one thing Process reads from its gRPC context: the call's metadata."""

    def __init__(self, service: str | None) -> None:
        self._metadata = (("x-podgate-service", service),) if service else ()

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata


class Stream:
    """One ext_proc stream; `send` hands Process a message and returns its answer."""

    def __init__(self, service: DecisionService, listener: str | None) -> None:
        self._queue: asyncio.Queue[ep.ProcessingRequest] = asyncio.Queue()
        self._responses = service.Process(self._requests(), FakeContext(listener))

    async def _requests(self) -> AsyncIterator[ep.ProcessingRequest]:
        while True:
            yield await self._queue.get()

    async def send(self, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
        self._queue.put_nowait(message)
        return await asyncio.wait_for(anext(self._responses), timeout=5)

    async def close(self) -> None:
        """Envoy ends the stream (the request is over or its client went away)."""
        await self._responses.aclose()


def _header_map(headers: Mapping[str, str]) -> base_pb2.HeaderMap:
    return base_pb2.HeaderMap(
        headers=[base_pb2.HeaderValue(key=k, raw_value=v.encode()) for k, v in headers.items()]
    )


def request_headers(
    method: str,
    path: str,
    *,
    request_id: str | None = "rid-1",
    end_of_stream: bool = False,
    extra: Mapping[str, str] | None = None,
) -> ep.ProcessingRequest:
    headers = {":method": method, ":path": path, ":authority": "gw", **(extra or {})}
    if request_id is not None:
        headers["x-request-id"] = request_id
    return ep.ProcessingRequest(
        request_headers=ep.HttpHeaders(headers=_header_map(headers), end_of_stream=end_of_stream)
    )


def request_body(body: bytes) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(request_body=ep.HttpBody(body=body, end_of_stream=True))


def response_headers(status: int, extra: dict[str, str] | None = None) -> ep.ProcessingRequest:
    headers = {":status": str(status), "content-type": "application/json", **(extra or {})}
    return ep.ProcessingRequest(response_headers=ep.HttpHeaders(headers=_header_map(headers)))


def response_body(body: bytes) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(response_body=ep.HttpBody(body=body, end_of_stream=True))


def set_headers(mutation: ep.HeaderMutation) -> dict[str, str]:
    """A header mutation's set_headers as a dict (values from raw_value, as Envoy reads them)."""
    return {option.header.key: option.header.raw_value.decode() for option in mutation.set_headers}


GATEWAY = "http://gw:19998"
HEADERS = {
    ":scheme": "http",
    ":authority": "gw:19998",
    ":method": "GET",
    "x-auth-token": "tok",
    "x-request-id": "envoy-id",
    "x-forwarded-proto": "http",
    "x-envoy-expected-rq-timeout-ms": "2000",
    "openstack-api-version": "compute 2.79",
}


@dataclass(frozen=True)
class Answer:
    """One page as the client sees it."""

    status: int
    body: dict[str, Any]
    missing: tuple[str, ...]

    def ids(self, collection: str) -> list[str]:
        return [item["id"] for item in self.body[collection]]

    def next_path(self, collection: str) -> str | None:
        links = self.body.get(f"{collection}_links")
        if not links:
            return None
        href = urlsplit(links[0]["href"])
        assert f"{href.scheme}://{href.netloc}" == GATEWAY
        return f"{href.path}?{href.query}"


class ListGateway(Gateway):
    """A Gateway over FakePods registered under user-facing AZs, and a Lister over them."""

    def __init__(
        self,
        *fakes: FakePod,
        azs: Mapping[str, str] | None = None,
        cursors: int = 100,
        partial: bool = True,
        timeout_s: float = 5.0,
        pods: Mapping[str, Pod] | None = None,
        health: HealthView = EVERY_POD_HEALTHY,
    ) -> None:
        self.fakes = {fake.name: fake for fake in fakes}
        azs = azs or {}
        pods = pods or {f.name: f.pod(azs.get(f.name, f"az-{f.name}")) for f in fakes}
        super().__init__(*pods.values(), fetch=FakeCloud(*fakes), routings=10_000)
        self.cursors = CursorCache(cursors)
        self.lister = Lister(
            fetch=self.fetch,
            routings=self.table,
            cursors=self.cursors,
            timeout_s=timeout_s,
            partial=partial,
            max_limit=1000,
            health=health,
        )

    async def get(self, path: str, headers: Mapping[str, str] | None = None) -> Answer:
        """Ask for one page, `path` as the client sends it (with its query)."""
        raw_path, _, query = path.partition("?")
        parts = raw_path.split("/")
        service = Service.COMPUTE if parts[1] == "v2.1" else Service.VOLUME
        spec = by_collection(service, parts[3])
        assert spec is not None, raw_path
        page = ListPage(
            resource_type=spec.resource_type,
            project_id=parts[2],
            path=raw_path,
            query=query,
            detail=raw_path.rstrip("/").endswith("/detail"),
            headers=dict(headers or HEADERS),
            collection=parts[3],
        )
        answer = await self.lister.list("req-test", page, self.pods)
        return Answer(answer.status, json.loads(answer.body), answer.missing)

    async def walk(self, path: str, collection: str, *, most_pages: int = 200) -> list[list[str]]:
        """Every page's ids from `path` on, following next links."""
        pages: list[list[str]] = []
        next_path: str | None = path
        while next_path is not None:
            answer = await self.get(next_path)
            assert answer.status == 200, answer.body
            pages.append(answer.ids(collection))
            next_path = answer.next_path(collection)
            assert next_path is None or pages[-1], "a page with a next link must make progress"
            assert len(pages) <= most_pages, "paging does not end"
        return pages
