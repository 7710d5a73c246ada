"""Drive DecisionService.Process the way Envoy does: one scripted message at a time.

`Gateway` is the one decision service the ext_proc tests talk to: an in-memory store, fake
version documents and a fake for every pod send; `Stream` is one ext_proc stream on it.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime

from envoy.config.core.v3 import base_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision.extproc import DecisionService
from control_plane.decision.pods.client import PodCallError, PodFetch, PodResponse
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.identity import Gate
from control_plane.model import Pod, ResourceType, Routing
from control_plane.settings import DecisionSettings
from tests.unit.decision.fakes import FakeVersions, MemoryStore


def pod(name: str, az: str, minute: int, **changes: object) -> Pod:
    """A pod created at `minute` with Nova and Cinder endpoints on its own host."""
    endpoints = {
        "compute": f"http://{name}.pod/compute/v2.1",
        "volumev3": f"http://{name}.pod/volume/v3/$(project_id)s",
    }
    fields = {"endpoints": endpoints, "pod_az_name": f"inner-{name}", **changes}
    return Pod(
        name=name, az_name=az, created_at=datetime(2026, 1, 1, 0, minute, tzinfo=UTC), **fields
    )


class FakeSend:
    """A PodSend answering external events per pod host: scripted status, else all accepted."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str], dict]] = []
        self.answers: dict[str, int | None] = {}

    async def __call__(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> PodResponse:
        host = url.split("/")[2]
        document = json.loads(body)
        self.calls.append((method, url, dict(headers), document))
        status = self.answers.get(host, 200)
        if status is None:
            raise PodCallError(f"{host} is down")
        events = [{**event, "status": "completed", "code": 200} for event in document["events"]]
        return PodResponse(status, json.dumps({"events": events}).encode())


class Gateway:
    """A DecisionService over `pods`, its store, and helpers to open streams on it."""

    def __init__(
        self,
        *pods: Pod,
        fetch: PodFetch | None = None,
        gate: Gate | None = None,
        settings: DecisionSettings | None = None,
    ) -> None:
        self.pods = {pod.name: pod for pod in pods}
        self.store = MemoryStore(self.pods)
        self.table = RoutingTable(self.store, max_entries=100)
        # What the pods answer a GET: version documents only, unless a test gives a cloud.
        self.fetch = fetch or FakeVersions()
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
    versions = FakeVersions(
        {
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


def response_headers(status: int) -> ep.ProcessingRequest:
    headers = {":status": str(status), "content-type": "application/json"}
    return ep.ProcessingRequest(response_headers=ep.HttpHeaders(headers=_header_map(headers)))


def response_body(body: bytes) -> ep.ProcessingRequest:
    return ep.ProcessingRequest(response_body=ep.HttpBody(body=body, end_of_stream=True))


def set_headers(mutation: ep.HeaderMutation) -> dict[str, str]:
    """A header mutation's set_headers as a dict (values from raw_value, as Envoy reads them)."""
    return {option.header.key: option.header.raw_value.decode() for option in mutation.set_headers}
