"""Envoy ext_proc servicer: one gRPC stream per HTTP request, answered via classify/schedule/mutate.

Envoy sends the request headers (always), and for creates, after our `mode_override`, the request
body and the response headers and body. Every message gets exactly one answer; anything the
gateway answers itself (faults, and lists merged across pods) is an `immediate_response`, so a
client never sees a broken stream.
"""

import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from datetime import datetime
from typing import Protocol

import grpc
from envoy.extensions.filters.http.ext_proc.v3 import processing_mode_pb2
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

from control_plane.decision.classify import Kind, Operation, classify, is_detail
from control_plane.decision.cursors import CursorCache
from control_plane.decision.lister import ListCall, Lister
from control_plane.decision.mutate import parse_create, parse_created, pod_body, pod_path, user_body
from control_plane.decision.pod_client import PodClient, PodFetch
from control_plane.decision.routing_table import RoutingTable
from control_plane.decision.schedule import schedule
from control_plane.errors import (
    AlreadyExists,
    BadRequest,
    NotFound,
    PodgateError,
    PodUnavailable,
    fault_body,
)
from control_plane.identity import Gate, NoAuthGate, authorize
from control_plane.model import (
    POD_HEADER,
    SERVICE_METADATA,
    Binding,
    Pod,
    PodState,
    ResourceType,
    Routing,
    Service,
    cluster_name,
)
from control_plane.settings import DecisionSettings

__all__ = ["DecisionService", "add_to_server"]

log = logging.getLogger("podgate.decision")

_PM = processing_mode_pb2.ProcessingMode
# Creates need the body (to schedule and rewrite) and the response (to record the routing).
_CREATE_MODE = _PM(
    request_header_mode=_PM.SEND,
    response_header_mode=_PM.SEND,
    request_body_mode=_PM.BUFFERED,
    response_body_mode=_PM.BUFFERED,
    request_trailer_mode=_PM.SKIP,
    response_trailer_mode=_PM.SKIP,
)
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_NOUN = {ResourceType.SERVER: "Instance", ResourceType.VOLUME: "Volume"}
_UNKNOWN_MESSAGE = "The resource could not be found."
# Names the pods a merged list is missing (a DESIGN.md contract).
MISSING_PODS_HEADER = "x-podgate-missing-pods"
# Envoy's ext_proc message_timeout runs from its send; a list must answer that much earlier.
_ENVOY_MARGIN_S = 0.25


class BindingStore(Protocol):
    """The part of the store scheduling needs."""

    async def active_bindings(self, project_id: str) -> list[Binding]:
        """The project's current bindings, one per AZ at most."""

    async def create_binding(self, project_id: str, pod_name: str) -> Binding:
        """Bind the project to the pod (replacing its binding in that pod's AZ)."""


class DecisionService(ep_grpc.ExternalProcessorServicer):
    """Decides, per HTTP request, which pod serves it and how the request and response change."""

    def __init__(
        self,
        *,
        store: BindingStore,
        routing_table: RoutingTable,
        pods: Callable[[], Mapping[str, Pod]],
        settings: DecisionSettings | None = None,
        fetch: PodFetch | None = None,
        gate: Gate | None = None,
    ) -> None:
        settings = settings or DecisionSettings()
        self._gate = gate or NoAuthGate()
        self._store = store
        self._routing_table = routing_table
        self._pods = pods
        # NOTE: the client opens its pool on first use, so an injected `fetch` leaves it idle.
        self._pod_client = PodClient()
        self._lister = Lister(
            fetch=fetch or self._pod_client,
            routings=routing_table,
            cursors=CursorCache(settings.list_cursor_cache_size),
            timeout_s=list_timeout(settings),
            partial=settings.partial_lists,
            max_limit=settings.max_limit,
        )

    async def close(self) -> None:
        """Close the connections to pods."""
        await self._pod_client.close()

    async def Process(
        self,
        request_iterator: AsyncIterator[ep.ProcessingRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[ep.ProcessingResponse]:
        """Answer every message of one HTTP request's stream, in order."""
        exchange = _Exchange(
            store=self._store,
            routing_table=self._routing_table,
            pods=self._pods,
            lister=self._lister,
            listener=_service_of(context.invocation_metadata()),
            gate=self._gate,
        )
        async for message in request_iterator:
            kind = message.WhichOneof("request")
            if kind is None:
                continue
            try:
                response = await exchange.answer(kind, message)
            except PodgateError as exc:
                exchange.log_outcome(str(exc.status))
                response = _immediate(exc.status, exc.fault(), exchange.request_id)
            except Exception:
                log.exception("%s unexpected error on %s", exchange.request_id, kind)
                response = _immediate(500, fault_body(500, "Unexpected error"), exchange.request_id)
            yield response


def add_to_server(server: grpc.aio.Server, service: DecisionService) -> None:
    """Serve `service` as Envoy's ext_proc processor on `server`."""
    ep_grpc.add_ExternalProcessorServicer_to_server(service, server)


def list_timeout(settings: DecisionSettings) -> float:
    """Each list's deadline for its pods: theirs, but never past Envoy's wait for our answer."""
    envoy_wait = settings.message_timeout_ms / 1000 - _ENVOY_MARGIN_S
    return max(0.05, min(settings.pod_timeout_s, envoy_wait))


class _Exchange:
    """What one HTTP request's stream has learnt so far; lives as long as the stream."""

    def __init__(
        self,
        *,
        store: BindingStore,
        routing_table: RoutingTable,
        pods: Callable[[], Mapping[str, Pod]],
        lister: Lister,
        listener: Service | None,
        gate: Gate,
    ) -> None:
        self._gate = gate
        self._store = store
        self._routing_table = routing_table
        self._pods = pods
        self._lister = lister
        self._listener = listener
        self.request_id = f"req-{uuid.uuid4()}"
        self._method = ""
        self._path = ""
        self._operation: Operation | None = None
        self._pod: Pod | None = None
        self._status = 0

    async def answer(self, kind: str, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
        """The response to one message; raises PodgateError for answers the gateway gives."""
        if kind == "request_headers":
            return await self._request_headers(message.request_headers)
        op = self._operation
        if op is not None and op.kind is Kind.CREATE:
            if kind == "request_body" and self._pod is None:
                return await self._create(op, message.request_body.body)
            if kind == "response_headers" and self._pod is not None:
                status = _headers(message.response_headers).get(":status", "")
                self._status = int(status) if status.isdigit() else 0
                return ep.ProcessingResponse(response_headers=ep.HeadersResponse())
            if kind == "response_body" and self._pod is not None:
                return await self._created(op, self._pod, message.response_body.body)
        return ep.ProcessingResponse(**{kind: {}})

    def log_outcome(self, outcome: str) -> None:
        """One line per decision; the path without its query (it may carry secrets)."""
        kind = self._operation.kind if self._operation else "-"
        path = self._path.partition("?")[0]
        log.info("%s %s %r %s -> %s", self.request_id, self._method, path, kind, outcome)

    async def _request_headers(self, message: ep.HttpHeaders) -> ep.ProcessingResponse:
        headers = _headers(message)
        request_id = headers.get("x-request-id", "")
        if _REQUEST_ID.fullmatch(request_id):
            self.request_id = f"req-{request_id}"
        self._method = headers.get(":method", "")
        self._path = headers.get(":path", "")
        if self._listener is None:
            raise RuntimeError(f"ext_proc stream without valid {SERVICE_METADATA} metadata")
        op = classify(self._listener, self._method, self._path)
        self._operation = op
        if op.kind is not Kind.UNKNOWN:
            caller = await self._gate.caller(headers.get("x-auth-token"))
            if caller is not None:
                authorize(caller, op.project_id)
        if op.kind is Kind.ROUTED:
            return await self._routed(op)
        if op.kind is Kind.CREATE:
            if message.end_of_stream:
                raise BadRequest("The request body is missing.")
            return ep.ProcessingResponse(
                request_headers=ep.HeadersResponse(), mode_override=_CREATE_MODE
            )
        if op.kind is Kind.LIST:
            return await self._list(op, headers)
        raise NotFound(_UNKNOWN_MESSAGE)

    async def _list(self, op: Operation, headers: Mapping[str, str]) -> ep.ProcessingResponse:
        """The gateway answers lists itself, merged from every pod that may hold the items."""
        assert op.resource_type is not None
        call = ListCall(
            request_id=self.request_id,
            resource_type=op.resource_type,
            project_id=op.project_id,
            path=self._path.partition("?")[0],
            query=op.query,
            detail=is_detail(op),
            headers=headers,
        )
        answer = await self._lister.list(call, self._pods())
        missing = {MISSING_PODS_HEADER: ",".join(answer.missing)} if answer.missing else {}
        return _immediate(answer.status, answer.body, self.request_id, missing)

    async def _routed(self, op: Operation) -> ep.ProcessingResponse:
        assert op.resource_type is not None
        routing = await self._routing_table.lookup(op.resource_type, op.resource_id)
        if routing is None or routing.project_id != op.project_id:
            raise NotFound(f"{_NOUN[op.resource_type]} {op.resource_id} could not be found.")
        pod, endpoint = _usable(routing.pod_name, self._pods().get(routing.pod_name), op.service)
        path = pod_path(endpoint, op.project_id, op.remainder, op.query)
        cluster = cluster_name(pod.name, op.service)
        self.log_outcome(cluster)
        response = ep.ProcessingResponse()
        common = response.request_headers.response
        _set_headers(common.header_mutation, {POD_HEADER: cluster, ":path": path})
        common.clear_route_cache = True
        return response

    async def _create(self, op: Operation, body: bytes) -> ep.ProcessingResponse:
        assert op.resource_type is not None
        create = parse_create(op.resource_type, body)
        pods = _in_preference_order(self._pods().values())
        bindings = await self._store.active_bindings(op.project_id)
        placement = schedule(pods, bindings, create.availability_zone)
        pod, endpoint = _usable(placement.pod.name, placement.pod, op.service)
        if placement.bind:
            await self._bind(op.project_id, pod.name)
        new_body = pod_body(create, pod.pod_az_name)
        path = pod_path(endpoint, op.project_id, op.remainder, op.query)
        cluster = cluster_name(pod.name, op.service)
        self._pod = pod
        self.log_outcome(cluster)
        response = ep.ProcessingResponse()
        common = response.request_body.response
        common.body_mutation.body = new_body
        _set_headers(
            common.header_mutation,
            {POD_HEADER: cluster, ":path": path, "content-length": str(len(new_body))},
        )
        common.clear_route_cache = True
        return response

    async def _bind(self, project_id: str, pod_name: str) -> None:
        """Bind the project; a concurrent create that bound it to the same pod is just as good."""
        try:
            await self._store.create_binding(project_id, pod_name)
        except AlreadyExists:
            log.info("%s project %s already bound to pod %s", self.request_id, project_id, pod_name)

    async def _created(self, op: Operation, pod: Pod, body: bytes) -> ep.ProcessingResponse:
        assert op.resource_type is not None
        passthrough = ep.ProcessingResponse(response_body=ep.BodyResponse())
        created = parse_created(op.resource_type, body) if 200 <= self._status < 300 else None
        if created is None:
            return passthrough
        routing = Routing(
            resource_id=created.resource_id,
            resource_type=op.resource_type,
            project_id=op.project_id,
            pod_name=pod.name,
        )
        noun = op.resource_type.value
        try:
            await self._routing_table.record(routing)
        except Exception as exc:
            log.exception(
                "%s %s %s created in pod %s but not recorded",
                self.request_id,
                noun,
                created.resource_id,
                pod.name,
            )
            raise PodgateError(
                f"The {noun} {created.resource_id} was created in pod {pod.name}"
                " but could not be recorded."
            ) from exc
        log.info(
            "%s recorded %s %s in pod %s", self.request_id, noun, routing.resource_id, pod.name
        )
        new_body = user_body(created, pod)
        if new_body is None:
            return passthrough
        response = ep.ProcessingResponse()
        common = response.response_body.response
        common.body_mutation.body = new_body
        _set_headers(common.header_mutation, {"content-length": str(len(new_body))})
        return response


def _service_of(metadata: Iterable[tuple[str, str | bytes]] | None) -> Service | None:
    """Which listener (API) the stream's request came in on, from the ext_proc call's metadata."""
    for key, value in metadata or ():
        if key == SERVICE_METADATA:
            text = value.decode() if isinstance(value, bytes) else value
            try:
                return Service(text)
            except ValueError:
                return None
    return None


def _usable(name: str, pod: Pod | None, service: Service) -> tuple[Pod, str]:
    """The pod and its endpoint URL for `service`, or PodUnavailable naming the pod."""
    if pod is None:
        raise PodUnavailable(f"Pod {name} is not available.")
    if pod.state == PodState.DISABLED:
        raise PodUnavailable(f"Pod {name} is disabled.")
    endpoint = pod.endpoints.get(str(service), "")
    if not endpoint:
        raise PodUnavailable(f"Pod {name} has no {service} endpoint.")
    return pod, endpoint


def _in_preference_order(pods: Iterable[Pod]) -> list[Pod]:
    """Oldest pod first, then by name: the scheduler's tie-break order."""
    return sorted(
        pods,
        key=lambda pod: (pod.created_at is None, pod.created_at or datetime.min, pod.name),
    )


def _headers(message: ep.HttpHeaders) -> dict[str, str]:
    """Header values as text; Envoy 1.40 sends them in `raw_value` only."""
    return {
        header.key: header.raw_value.decode("latin-1") if header.raw_value else header.value
        for header in message.headers.headers
    }


def _set_headers(mutation: ep.HeaderMutation, headers: Mapping[str, str]) -> None:
    for key, value in headers.items():
        option = mutation.set_headers.add()
        option.header.key = key
        option.header.raw_value = value.encode("latin-1")


def _immediate(
    status: int, body: bytes, request_id: str, headers: Mapping[str, str] | None = None
) -> ep.ProcessingResponse:
    """A JSON response Envoy sends to the client itself (a fault, or a merged list)."""
    response = ep.ProcessingResponse()
    immediate = response.immediate_response
    immediate.status.code = status
    immediate.body = body
    _set_headers(
        immediate.headers,
        {
            "content-type": "application/json",
            "x-openstack-request-id": request_id,
            **(headers or {}),
        },
    )
    return response
