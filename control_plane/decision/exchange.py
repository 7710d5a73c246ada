"""One HTTP request as its ext_proc stream unfolds: classify, authorize, then route or answer.

The request headers decide almost everything; creates, attach checks and external events ask
Envoy for the body first (`mode_override`), creates also for the pod's answer.
"""

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, replace
from urllib.parse import unquote

from envoy.extensions.filters.http.ext_proc.v3.processing_mode_pb2 import ProcessingMode
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision import responses
from control_plane.decision.attach import referenced
from control_plane.decision.classify import classify
from control_plane.decision.creation import BindingStore, Creation
from control_plane.decision.event_relay import EventRelay
from control_plane.decision.health import HealthView
from control_plane.decision.lister import ListCall, Lister
from control_plane.decision.mutate import shown_body
from control_plane.decision.negotiation import Negotiation
from control_plane.decision.operation import Kind, Operation, is_detail
from control_plane.decision.pod_views import PodViews
from control_plane.decision.present import origin
from control_plane.decision.recovery import Recovery
from control_plane.decision.resources import SPECS
from control_plane.decision.routing_table import RoutingTable
from control_plane.decision.shared_objects import SharedCall, SharedObjects
from control_plane.decision.targets import Target, owner
from control_plane.decision.version_docs import document
from control_plane.decision.version_windows import VersionWindows
from control_plane.decision.zones import zones_body
from control_plane.errors import (
    BadRequest,
    Forbidden,
    MethodNotAllowed,
    NotAcceptable,
    NotFound,
    PayloadTooLarge,
    PodgateError,
)
from control_plane.identity import Caller, Gate, IdentityBusy, authorize, client_address
from control_plane.metrics import Metrics
from control_plane.model import SERVICE_METADATA, Pod, ResourceType, Service
from control_plane.settings import DecisionSettings

__all__ = ["MISSING_PODS_HEADER", "Exchange", "Shared", "no_other_projects", "own_projects_only"]

log = logging.getLogger("podgate.decision")

# Names the pods a merged list is missing (a DESIGN.md contract).
MISSING_PODS_HEADER = "x-podgate-missing-pods"
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_UNKNOWN_MESSAGE = "The resource could not be found."
_BAD_METHOD_MESSAGE = "The method specified is not allowed for this resource."
_NOT_SAME_POD = "Server and volume not in the same pod"
_ALL_TENANTS = "all_tenants"
_TOO_LARGE = "Request is too large: the limit is {limit} bytes."
_ALL_TENANTS_POLICY = (
    "Policy doesn't allow os_compute_api:servers:index:get_all_tenants to be performed."
)
_EVERY_PROJECT = frozenset({_ALL_TENANTS, "all_projects"})
_NOAUTH_ALL = "Policy doesn't allow all_tenants to be performed."


@dataclass(frozen=True, slots=True)
class Shared:
    """What every stream uses: store, routing table, pods, auth and the fan-out helpers."""

    store: BindingStore
    routing_table: RoutingTable
    pods: Callable[[], Mapping[str, Pod]]
    gate: Gate
    lister: Lister
    relay: EventRelay
    shared_objects: SharedObjects
    views: PodViews
    windows: VersionWindows
    metrics: Metrics
    health: HealthView
    recovery: Recovery
    # Larger bodies are refused (413) before they are buffered or reach a pod.
    max_body_bytes: int = DecisionSettings().max_body_bytes


_BodyStep = Callable[[bytes], Awaitable[ep.ProcessingResponse]]


class Exchange:
    """What one HTTP request's stream has learnt so far; lives as long as the stream."""

    def __init__(self, shared: Shared, listener: Service | None) -> None:
        self._shared = shared
        self._listener = listener
        self._versions = Negotiation(listener, shared.windows, shared.pods) if listener else None
        self.request_id = f"req-{uuid.uuid4()}"
        self._method = ""
        self._path = ""
        self._headers: Mapping[str, str] = {}
        self._operation: Operation | None = None
        self._on_body: _BodyStep | None = None
        self._creation: Creation | None = None
        # A shown resource whose pod renames its zone: (resource type, pod) for the answer.
        self._shown: tuple[ResourceType, Pod] | None = None
        self._status = 0
        # A validated admin token: Nova and Cinder show admins any project's resource by id.
        self._admin = False
        # Who calls, once the gate said (None: noauth, where the gateway cannot know).
        self._caller: Caller | None = None

    async def answer(self, kind: str, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
        """The response to one message; raises PodgateError for answers the gateway gives."""
        if kind == "request_headers":
            return await self._request_headers(message.request_headers)
        if kind == "request_body" and self._on_body is not None:
            step, self._on_body = self._on_body, None
            return await step(message.request_body.body)
        if kind == "response_headers":
            status = responses.read_headers(message.response_headers).get(":status", "")
            self._status = int(status) if status.isdigit() else 0
        elif kind == "response_body":
            new_body = await self._answer_body(message.response_body.body)
            if new_body is not None:
                response = responses.continue_with(kind, {"content-length": str(len(new_body))})
                response.response_body.response.body_mutation.body = new_body
                return response
        return responses.continue_with(kind)

    async def _answer_body(self, body: bytes) -> bytes | None:
        """The pod's answer as the user must see it (recorded if a create); None if unchanged."""
        creation = self._creation
        if creation is not None and creation.placed is not None:
            return await creation.record(self._status, body)
        if self._shown is not None and self._status == 200:
            resource_type, pod = self._shown
            return shown_body(resource_type, body, pod)
        return None

    async def fault(self, error: PodgateError) -> ep.ProcessingResponse:
        """The OpenStack fault answering `error`, with the headers the API would add."""
        headers = self.id_header()
        if isinstance(error, MethodNotAllowed) and self._operation and self._operation.allowed:
            headers["allow"] = ", ".join(self._operation.allowed)
        if isinstance(error, IdentityBusy):
            headers["retry-after"] = str(error.retry_after_s)
        if self._versions is not None and self._operation is not None:
            try:
                refused = isinstance(error, NotAcceptable)
                headers.update(await self._versions.headers(refused=refused))
            except Exception:
                log.exception("%s no microversion for the fault", self.request_id)
        return responses.immediate(error.status, error.fault(), headers)

    def id_header(self) -> dict[str, str]:
        """The request id every gateway answer carries."""
        return {"x-openstack-request-id": self.request_id}

    def _count(self, outcome: str) -> str:
        """Count one decision by kind and outcome (pod cluster or status); returns the kind."""
        kind = str(self._operation.kind) if self._operation else "-"
        self._shared.metrics.decisions.labels(kind, outcome).inc()
        return kind

    def log_outcome(self, outcome: str) -> None:
        """One line per decision; the path without its query (it may carry secrets)."""
        kind = self._count(outcome)
        path = self._path.partition("?")[0]
        log.info("%s %s %r %s -> %s", self.request_id, self._method, path, kind, outcome)

    async def _request_headers(self, message: ep.HttpHeaders) -> ep.ProcessingResponse:
        headers = responses.read_headers(message)
        self._headers = headers
        request_id = headers.get("x-request-id", "")
        if _REQUEST_ID.fullmatch(request_id):
            self.request_id = f"req-{request_id}"
        self._method = headers.get(":method", "")
        self._path = headers.get(":path", "")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self._shared.max_body_bytes:
            raise PayloadTooLarge(_TOO_LARGE.format(limit=self._shared.max_body_bytes))
        if self._listener is None or self._versions is None:
            raise RuntimeError(f"ext_proc stream without valid {SERVICE_METADATA} metadata")
        op = classify(self._listener, self._method, self._path)
        self._operation = op
        if op.kind is Kind.VERSIONS:
            window = await self._versions.window()
            status, body = document(op.service, op.remainder, origin(headers), window)
            return await self._answer(status, body)
        if op.kind is Kind.UNKNOWN:
            raise NotFound(_UNKNOWN_MESSAGE)
        if op.project_id:
            token, client = headers.get("x-auth-token"), client_address(headers)
            caller = await self._shared.gate.caller(token, client=client)
            if caller is not None:
                authorize(caller, op.project_id)
                op = self._operation = own_projects_only(op, caller)
                self._admin = caller.any_project
                self._caller = caller
            if caller is None:
                no_other_projects(op)
        if op.kind is Kind.BAD_METHOD:
            raise MethodNotAllowed(_BAD_METHOD_MESSAGE)
        await self._versions.check(headers)
        return await self._dispatch(op, self._versions, end_of_stream=message.end_of_stream)

    async def _dispatch(
        self, op: Operation, versions: Negotiation, *, end_of_stream: bool
    ) -> ep.ProcessingResponse:
        shared = self._shared
        rewrite = versions.rewrite()
        if op.kind in (Kind.ROUTED, Kind.ATTACH):
            destination = await owner(
                shared.routing_table,
                shared.pods(),
                op,
                health=shared.health,
                recovery=shared.recovery,
                headers={**self._headers, **rewrite},
                any_project=self._admin,
            )
            if self._method == "DELETE" and _names_resource(op):
                shared.routing_table.deleted(op.resource_type, op.resource_id)
            if op.kind is Kind.ROUTED or end_of_stream:
                mode = None
                if self._method == "GET" and _shows_pod_zone(op, destination.pod):
                    self._shown, mode = (op.resource_type, destination.pod), responses.SHOW_MODE
                return self._route("request_headers", destination, rewrite, mode=mode)
            self._on_body = lambda body: self._attach(op, destination, body)
            return responses.buffer(responses.BODY_MODE, rewrite)
        if op.kind is Kind.LIST:
            versions.start()
            return await self._list(op, rewrite)
        if op.kind is Kind.ZONES:
            return await self._answer(200, zones_body(op.service, shared.pods().values()))
        if op.kind in (Kind.SHARED, Kind.VIEWS):
            versions.start()
            if self._method in ("GET", "DELETE") or end_of_stream:
                return await self._across_pods(op, rewrite, b"")
            self._on_body = lambda body: self._across_pods(op, rewrite, body)
            return responses.buffer(responses.BODY_MODE)
        if end_of_stream:
            raise BadRequest("The request body is missing.")
        if op.kind is Kind.CREATE:
            self._creation = Creation(
                op,
                store=shared.store,
                routing_table=shared.routing_table,
                pods=shared.pods(),
                request_id=self.request_id,
                health=shared.health,
            )
            self._on_body = self._create
            return responses.buffer(responses.CREATE_MODE, rewrite)
        shared.relay.admit(self._caller)  # before the body is buffered or anything looked up
        versions.start()
        self._on_body = lambda body: self._events(op, rewrite, body)
        return responses.buffer(responses.BODY_MODE)

    def _route(
        self,
        phase: str,
        destination: Target,
        headers: Mapping[str, str],
        body: bytes | None = None,
        mode: ProcessingMode | None = None,
    ) -> ep.ProcessingResponse:
        self.log_outcome(destination.cluster)
        return responses.routed(phase, destination, headers=headers, body=body, mode=mode)

    async def _attach(
        self, op: Operation, destination: Target, body: bytes
    ) -> ep.ProcessingResponse:
        """Send the request on to its owner's pod unless its body names another pod's resource.

        Another project's resource is not looked at: its pod would tell the caller it exists.
        """
        assert op.resource_type is not None
        reference = referenced(op.resource_type, body)
        if reference is not None:
            other = await self._shared.routing_table.lookup(
                reference.resource_type, reference.resource_id
            )
            if (
                other is not None
                and other.project_id == op.project_id
                and other.pod_name != destination.pod.name
            ):
                raise BadRequest(_NOT_SAME_POD)
        return self._route("request_body", destination, {})

    async def _create(self, body: bytes) -> ep.ProcessingResponse:
        assert self._creation is not None
        placed = await self._creation.place(body)
        return self._route("request_body", placed.target, {}, placed.body)

    async def _events(
        self, op: Operation, rewrite: Mapping[str, str], body: bytes
    ) -> ep.ProcessingResponse:
        status, answer = await self._shared.relay.relay(
            request_id=self.request_id,
            project_id=op.project_id,
            body=body,
            headers={**self._headers, **rewrite},
            pods=self._shared.pods(),
        )
        return await self._answer(status, answer)

    async def _across_pods(
        self, op: Operation, rewrite: Mapping[str, str], body: bytes
    ) -> ep.ProcessingResponse:
        """Shared objects and views across pods: every pod is asked, the gateway answers."""
        call = SharedCall(
            request_id=self.request_id,
            service=op.service,
            method=self._method,
            project_id=op.project_id,
            remainder=op.remainder,
            query=op.query,
            headers={**self._headers, **rewrite},
            origin=origin(self._headers),
            body=body,
        )
        relay = self._shared.shared_objects if op.kind is Kind.SHARED else self._shared.views
        answer = await relay.answer(call, self._shared.pods())
        return await self._answer(answer.status, answer.body)

    async def _list(self, op: Operation, rewrite: Mapping[str, str]) -> ep.ProcessingResponse:
        """The gateway answers lists itself, merged from every pod that may hold the items."""
        assert op.resource_type is not None
        call = ListCall(
            request_id=self.request_id,
            resource_type=op.resource_type,
            project_id=op.project_id,
            path=self._path.partition("?")[0],
            query=op.query,
            detail=is_detail(op),
            headers={**self._headers, **rewrite},
        )
        answer = await self._shared.lister.list(call, self._shared.pods())
        missing = {MISSING_PODS_HEADER: ",".join(answer.missing)} if answer.missing else {}
        return await self._answer(answer.status, answer.body, missing, logged=True)

    async def _answer(
        self,
        status: int,
        body: bytes,
        extra: Mapping[str, str] | None = None,
        *,
        logged: bool = False,
    ) -> ep.ProcessingResponse:
        """An answer the gateway gives itself, stamped with the request id and microversion.

        `logged`: the answer was logged already (the lister logs every list).
        """
        assert self._versions is not None
        if logged:
            self._count(str(status))
        else:
            self.log_outcome(str(status))
        headers = {**self.id_header(), **(extra or {}), **await self._versions.headers()}
        return responses.immediate(status, body, headers)


def own_projects_only(op: Operation, caller: Caller) -> Operation:
    """Keep a non-admin's list to its own project, as the pods' policy would.

    Nova refuses `all_tenants` to non-admins (403); Cinder ignores it. The pods may trust the
    gateway's token (podsim checks none), so the gateway enforces this itself.
    """
    if caller.any_project or op.kind is not Kind.LIST:
        return op
    params = [param for param in op.query.split("&") if param]
    kept = [param for param in params if unquote(param.partition("=")[0]) != _ALL_TENANTS]
    if len(kept) == len(params):
        return op
    if op.service is Service.COMPUTE:
        raise Forbidden(_ALL_TENANTS_POLICY)
    return replace(op, query="&".join(kept))


def no_other_projects(op: Operation) -> None:
    """Without Keystone nobody is known to be an admin: a list of every project is refused.

    Nova and Cinder keep `all_tenants` (and the `all_projects` some clients send) to admins;
    the pods may trust the gateway, so noauth mode refuses it (403) instead of passing it on.
    """
    if op.kind is not Kind.LIST:
        return
    names = {unquote(param.partition("=")[0]) for param in op.query.split("&") if param}
    if names & _EVERY_PROJECT:
        raise Forbidden(_ALL_TENANTS_POLICY if op.service is Service.COMPUTE else _NOAUTH_ALL)


def _names_resource(op: Operation) -> bool:
    """The path is the resource itself (`/servers/{id}`), not something below it."""
    assert op.resource_type is not None
    collection = SPECS[op.resource_type].collection
    return op.remainder.rstrip("/") == f"/{collection}/{op.resource_id}"


def _shows_pod_zone(op: Operation, pod: Pod) -> bool:
    """The answer shows a resource with an AZ the pod calls by another name than users do."""
    assert op.resource_type is not None
    return pod.renames_az and SPECS[op.resource_type].az_field is not None and _names_resource(op)
