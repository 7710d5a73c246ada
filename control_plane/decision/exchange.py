"""One HTTP request as its ext_proc stream unfolds: gather the facts, decide, carry it out.

The request headers decide almost everything; creates, attach checks and external events ask
Envoy for the body first (`mode_override`) and are decided again once it came; creates also
ask for the pod's answer, to record where the new resource went. The decision itself is pure
(decide.py); this module only gathers what it reads and does what it says.
"""

import logging
import re
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import replace

from envoy.service.ext_proc.v3 import external_processor_pb2 as ep

from control_plane.decision import responses
from control_plane.decision.classify import classify
from control_plane.decision.create.creation import Creation
from control_plane.decision.decide import (
    admit,
    body_needs,
    decide,
    identity_headers,
    on_behalf,
    with_project,
)
from control_plane.decision.decisions import (
    AcrossPods,
    Answer,
    Decision,
    Facts,
    ListPage,
    NeedBody,
    Placed,
    Reference,
    Route,
)
from control_plane.decision.deps import DecisionDeps
from control_plane.decision.lists.present import origin
from control_plane.decision.mutate import shown_body
from control_plane.decision.operation import Kind, Operation, ResourceOperation
from control_plane.decision.pods.fanout import AcrossPodsCall
from control_plane.decision.relink import PodLinks, pod_links, relinks
from control_plane.decision.resources import SPECS
from control_plane.decision.routed.gone import watches
from control_plane.decision.routed.lookup import find_referenced, find_routing
from control_plane.decision.routed.named import named
from control_plane.decision.versions.negotiation import Negotiation
from control_plane.errors import (
    MethodNotAllowed,
    NotAcceptable,
    PayloadTooLarge,
    PodgateError,
    fault_body,
)
from control_plane.identity import Caller, IdentityBusy, client_address
from control_plane.model import SERVICE_METADATA, CopiedType, Pod, ResourceType, Routing, Service

__all__ = ["MISSING_PODS_HEADER", "Exchange"]

log = logging.getLogger("podgate.decision")

# Names the pods a merged list is missing (a DESIGN.md contract).
MISSING_PODS_HEADER = "x-podgate-missing-pods"
_REQUEST_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
_TOO_LARGE = "Request is too large: the limit is {limit} bytes."
# Requests on one resource, whose routing is looked up before deciding.
_ROUTED_KINDS = (Kind.ROUTED, Kind.ATTACH, Kind.ACCEPT)


_BodyStep = Callable[[bytes], Awaitable[ep.ProcessingResponse]]


class Exchange:
    """What one HTTP request's stream has learnt so far; lives as long as the stream."""

    def __init__(self, deps: DecisionDeps, listener: Service | None) -> None:
        self._deps = deps
        self._listener = listener
        self._versions = Negotiation(listener, deps.windows, deps.pods) if listener else None
        self.request_id = f"req-{uuid.uuid4()}"
        self._method = ""
        self._path = ""
        self._operation: Operation | None = None
        self._on_body: _BodyStep | None = None
        self._creation: Creation | None = None
        # A shown resource whose pod renames its zone: (resource type, pod) for the answer.
        self._shown: tuple[ResourceType, Pod] | None = None
        # A transfer being accepted: the pod, the accepting project and the caller's headers.
        self._accepting: tuple[Pod, str, Mapping[str, str]] | None = None
        # The routing of a resource whose GET or DELETE answer's status is watched.
        self._watched: Routing | None = None
        # A pod whose answer links to its own paths: how they become the gateway's.
        self._links: PodLinks | None = None
        self._status = 0

    async def answer(self, kind: str, message: ep.ProcessingRequest) -> ep.ProcessingResponse:
        """The response to one message; raises PodgateError for answers the gateway gives."""
        if kind == "request_headers":
            return await self._request_headers(message.request_headers)
        if kind == "request_body" and self._on_body is not None:
            step, self._on_body = self._on_body, None
            return await step(message.request_body.body)
        if kind == "response_headers":
            headers = responses.read_headers(message.response_headers)
            status = headers.get(":status", "")
            self._status = int(status) if status.isdigit() else 0
            if self._watched is not None:
                self._deps.gone.answered(self._watched, self._method, self._status)
            location = headers.get("location")
            if self._links is not None and location is not None:
                return responses.continue_with(kind, {"location": self._links.href(location)})
        elif kind == "response_body":
            new_body = await self._answer_body(message.response_body.body)
            if new_body is not None:
                return responses.new_body(kind, new_body)
        return responses.continue_with(kind)

    async def _answer_body(self, body: bytes) -> bytes | None:
        """The pod's answer as the user must see it (recorded if a create); None if unchanged."""
        shown: bytes | None = None
        if self._creation is not None:
            shown = await self._creation.record(self._status, body)
        elif self._shown is not None and 200 <= self._status < 300:
            resource_type, pod = self._shown
            shown = shown_body(resource_type, body, pod)
        if self._accepting is not None:
            pod, project_id, headers = self._accepting
            await self._deps.acceptance.accepted(
                self.request_id, pod, project_id, headers, self._status, body
            )
        if self._links is None or not 200 <= self._status < 300:
            return shown
        relinked = self._links.body(body if shown is None else shown)
        return shown if relinked is None else relinked

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
        return responses.immediate(error.status, error.fault(self._listener), headers)

    def fault_body(self, status: int, message: str) -> bytes:
        """A fault body in the shape of the listener's API (Neutron's on the network API)."""
        return fault_body(status, message, self._listener)

    def id_header(self) -> dict[str, str]:
        """The request id every gateway answer carries."""
        return {"x-openstack-request-id": self.request_id}

    def _count(self, outcome: str) -> str:
        """Count one decision by kind and outcome (pod cluster or status); returns the kind."""
        kind = str(self._operation.kind) if self._operation else "-"
        self._deps.metrics.decisions.labels(kind, outcome).inc()
        return kind

    def log_outcome(self, outcome: str, detail: str = "") -> None:
        """One line per decision; the path without its query (it may carry secrets); a fault's
        `detail` for operators (which pod) at its end."""
        kind = self._count(outcome)
        path = self._path.partition("?")[0]
        if detail:
            log.info(
                "%s %s %r %s -> %s because %s",
                self.request_id, self._method, path, kind, outcome, detail,
            )  # fmt: skip
        else:
            log.info("%s %s %r %s -> %s", self.request_id, self._method, path, kind, outcome)

    async def _request_headers(self, message: ep.HttpHeaders) -> ep.ProcessingResponse:
        """Classify and admit the request, gather what its decision reads, carry it out."""
        deps = self._deps
        headers = responses.read_headers(message)
        request_id = headers.get("x-request-id", "")
        if _REQUEST_ID.fullmatch(request_id):
            self.request_id = f"req-{request_id}"
        self._method = headers.get(":method", "")
        self._path = headers.get(":path", "")
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > deps.max_body_bytes:
            raise PayloadTooLarge(_TOO_LARGE.format(limit=deps.max_body_bytes))
        versions = self._versions
        if self._listener is None or versions is None:
            raise RuntimeError(f"ext_proc stream without valid {SERVICE_METADATA} metadata")
        op = self._operation = classify(self._listener, self._method, self._path)
        facts = Facts(self._method, self._path, headers, deps.pods())
        if op.kind is Kind.VERSIONS:
            window = await versions.window()
            return await self._decide(op, replace(facts, window=window), "request_headers")
        caller = await self._caller(op, headers)
        op = self._operation = admit(with_project(op, caller, headers, deps.noauth_project), caller)
        await versions.check(headers)
        rewrite = {**versions.rewrite(), **identity_headers(op, caller)}
        facts = replace(
            facts,
            rewrite=rewrite,
            unhealthy=deps.health.unhealthy(op.service),
            caller=caller,
            end_of_stream=message.end_of_stream,
        )
        if isinstance(op, ResourceOperation) and op.kind in _ROUTED_KINDS:
            routing = await find_routing(
                self._deps.routing_table,
                self._deps.recovery,
                op,
                facts.method,
                facts.pods,
                {**headers, **rewrite},
            )
            facts = replace(facts, routing=routing)
        if isinstance(op, ResourceOperation) and op.kind is Kind.NAMED and op.query:
            reference = named(op, self._method, b"")
            if reference is not None:
                referenced = await self._referenced(op.project_id, (reference,), facts)
                facts = replace(facts, referenced=referenced)
        if op.kind is Kind.HOME:
            bindings = tuple(await deps.store.active_bindings(op.project_id))
            facts = replace(facts, bindings=bindings, capacity=deps.capacity.capacity())
        return await self._decide(op, facts, "request_headers")

    async def _caller(self, op: Operation, headers: Mapping[str, str]) -> Caller | None:
        """Who calls a project's URL, as the gate says (None: noauth, or no project)."""
        if not op.project_id and not op.token_project:
            return None
        token, client = headers.get("x-auth-token"), client_address(headers)
        return await self._deps.gate.caller(token, client=client)

    async def _with_body(self, op: Operation, facts: Facts, body: bytes) -> ep.ProcessingResponse:
        """Decide again with the body and what it names."""
        op = self._operation = on_behalf(op, body, facts.caller)
        needs = body_needs(op, body)
        referenced = await self._referenced(op.project_id, needs.references, facts)
        bindings = await self._deps.store.active_bindings(op.project_id) if needs.bindings else ()
        capacity = self._deps.capacity.capacity() if needs.bindings else {}
        groups = CopiedType.SECURITY_GROUP
        copies = await self._deps.store.copies_of(groups, needs.groups) if needs.groups else {}
        if needs.volume_types:
            types = CopiedType.VOLUME_TYPE
            copies = {**copies, **await self._deps.store.copies_of(types, needs.volume_types)}
        facts = replace(
            facts,
            body=body,
            referenced=referenced,
            bindings=tuple(bindings),
            capacity=capacity,
            copies=copies,
        )
        return await self._decide(op, facts, "request_body")

    async def _referenced(
        self, project_id: str, references: tuple[Reference, ...], facts: Facts
    ) -> dict[Reference, Routing]:
        """Where the resources a request names live (lookup.py), asked with the caller's
        headers."""
        return await find_referenced(
            self._deps.routing_table,
            self._deps.recovery,
            project_id,
            references,
            facts.pods,
            {**facts.headers, **facts.rewrite},
        )

    async def _decide(self, op: Operation, facts: Facts, phase: str) -> ep.ProcessingResponse:
        """Decide, then do what the decision says, answering the `phase` message."""
        decision: Decision = decide(op, facts)
        deps = self._deps
        match decision:
            case Route(target=target, shown=shown, relink=relink, forget=forget, moves=moves):
                if forget and isinstance(op, ResourceOperation):
                    deps.routing_table.deleted(op.resource_type, op.resource_id)
                if shown is not None:
                    self._shown = (shown, target.pod)
                if moves:
                    pod_headers = {**facts.headers, **facts.rewrite}
                    self._accepting = (target.pod, op.project_id, pod_headers)
                if isinstance(op, ResourceOperation) and watches(op, facts.method):
                    self._watched = facts.routing
                if relink:
                    self._links = self._pod_links(target.pod, op.service, facts)
                self.log_outcome(target.cluster)
                return responses.routed(phase, decision, watch=self._watched is not None)
            case Placed(target=target) if isinstance(op, ResourceOperation):
                if SPECS[op.resource_type].links and relinks(target.pod.endpoint(op.service)):
                    self._links = self._pod_links(target.pod, op.service, facts)
                self._creation = Creation(
                    op,
                    decision,
                    store=deps.store,
                    routing_table=deps.routing_table,
                    request_id=self.request_id,
                )
                self.log_outcome(target.cluster)
                return responses.placed(decision)
            case NeedBody(mode=mode, headers=headers):
                if op.kind is Kind.EVENTS:
                    deps.relay.admit(facts.caller)  # before the body is buffered
                if op.kind in (Kind.SHARED, Kind.VIEWS, Kind.EVENTS, Kind.COPIES, Kind.ANY_POD):
                    self._start_versions()
                self._on_body = lambda body: self._with_body(op, facts, body)
                return responses.buffer(mode, headers)
            case Answer(status=status, body=body):
                return await self._answer(status, body)
            case ListPage():
                self._start_versions()
                return await self._list(decision, facts.pods)
            case AcrossPods():
                self._start_versions()
                return await self._across_pods(op, decision, facts)
        raise ValueError(f"cannot carry out {decision} for {op.kind}")

    @staticmethod
    def _pod_links(pod: Pod, service: Service, facts: Facts) -> PodLinks:
        return pod_links(pod.endpoint(service), origin(facts.headers))

    def _start_versions(self) -> None:
        """Read the microversion window now, while the pods are asked."""
        if self._versions is not None:
            self._versions.start()

    async def _across_pods(
        self, op: Operation, fan_out: AcrossPods, facts: Facts
    ) -> ep.ProcessingResponse:
        """Shared objects, views and external events: the pods are asked, the gateway answers."""
        if fan_out.kind is Kind.EVENTS:
            status, answer = await self._deps.relay.relay(
                request_id=self.request_id,
                project_id=op.project_id,
                body=fan_out.body,
                headers=fan_out.headers,
                pods=self._deps.pods(),
            )
            return await self._answer(status, answer)
        call = AcrossPodsCall(
            request_id=self.request_id,
            service=op.service,
            method=facts.method,
            project_id=op.project_id,
            remainder=op.remainder,
            query=op.query,
            headers=fan_out.headers,
            origin=origin(facts.headers),
            body=fan_out.body,
        )
        relays = {
            Kind.SHARED: self._deps.shared_objects,
            Kind.VIEWS: self._deps.views,
            Kind.COPIES: self._deps.security_groups,
            Kind.ANY_POD: self._deps.any_pod,
            Kind.OFFSET_LIST: self._deps.offset_lists,
        }
        shared = await relays[fan_out.kind].answer(call, self._deps.pods())
        missing = {MISSING_PODS_HEADER: ",".join(shared.missing)} if shared.missing else {}
        return await self._answer(shared.status, shared.body, missing)

    async def _list(self, page: ListPage, pods: Mapping[str, Pod]) -> ep.ProcessingResponse:
        """The gateway answers lists itself, merged from every pod that may hold the items."""
        answer = await self._deps.lister.list(self.request_id, page, pods)
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
        if logged:
            self._count(str(status))
        else:
            self.log_outcome(str(status))
        version = await self._versions.headers() if self._versions is not None else {}
        headers = {**self.id_header(), **(extra or {}), **version}
        return responses.immediate(status, body, headers)
