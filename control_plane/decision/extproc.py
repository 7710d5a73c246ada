"""Envoy ext_proc servicer: one gRPC stream per HTTP request, answered via classify and friends.

Envoy sends the request headers (always) and, after our `mode_override`, the request body
(creates, attach checks, external events) and for creates the response headers and body. Every
message gets exactly one answer; anything the gateway answers itself (faults, merged lists,
zones, events, version documents) is an `immediate_response` carrying the microversion headers,
so a client never sees a broken stream.
"""

import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping

import grpc
from envoy.service.ext_proc.v3 import external_processor_pb2 as ep
from envoy.service.ext_proc.v3 import external_processor_pb2_grpc as ep_grpc

from control_plane.decision import responses
from control_plane.decision.classify import classify
from control_plane.decision.deps import DecisionDeps, DecisionStore
from control_plane.decision.events.relay import EventRelay
from control_plane.decision.exchange import Exchange
from control_plane.decision.fairness import ProjectSlots
from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.lister import Lister
from control_plane.decision.pods.capacity import NOTHING_KNOWN, CapacityView
from control_plane.decision.pods.client import PodClient, PodFetch, PodSend
from control_plane.decision.pods.fanout import Fanout
from control_plane.decision.pods.health import EVERY_POD_HEALTHY, HealthView
from control_plane.decision.quotas.relay import QuotaRelay
from control_plane.decision.routed.acceptance import Acceptance
from control_plane.decision.routed.forgetting import NOTHING_WATCHED, AnswerWatch
from control_plane.decision.routed.recovery import Recovery
from control_plane.decision.routed.routing_table import RoutingTable
from control_plane.decision.security_groups.relay import SecurityGroups
from control_plane.decision.shared.any_pod import AnyPod
from control_plane.decision.shared.offset_lists import OffsetLists
from control_plane.decision.shared.relay import SharedObjects
from control_plane.decision.versions.windows import VersionWindows
from control_plane.decision.views.relay import ViewRelay
from control_plane.errors import PodgateError
from control_plane.identity import Gate, NoAuthGate
from control_plane.metrics import Metrics
from control_plane.model import SERVICE_METADATA, Pod, Service
from control_plane.settings import DecisionSettings

__all__ = ["DecisionService", "add_to_server", "list_timeout"]

log = logging.getLogger("podgate.decision")

# Envoy's ext_proc message_timeout runs from its send; a list must answer that much earlier.
_ENVOY_MARGIN_S = 0.25
_VERSION_READ_S = 1.0
_THROTTLED = "throttled"
_RETRY_AFTER_S = 1
# Nova's words for a rate-limited request.
_OVER_LIMIT_MESSAGE = "This request was rate-limited."


class DecisionService(ep_grpc.ExternalProcessorServicer):
    """Decides, per HTTP request, which pod serves it and how the request and response change."""

    def __init__(
        self,
        *,
        store: DecisionStore,
        routing_table: RoutingTable,
        pods: Callable[[], Mapping[str, Pod]],
        settings: DecisionSettings | None = None,
        fetch: PodFetch | None = None,
        send: PodSend | None = None,
        gate: Gate | None = None,
        version_ttl_s: float = 30.0,
        metrics: Metrics | None = None,
        health: HealthView = EVERY_POD_HEALTHY,
        capacity: CapacityView = NOTHING_KNOWN,
        gone: AnswerWatch = NOTHING_WATCHED,
    ) -> None:
        settings = settings or DecisionSettings()
        self._metrics = metrics = metrics or Metrics()
        timeout_s = list_timeout(settings)
        # NOTE: the client opens its pool on first use, so injected fakes leave it idle.
        self._pod_client = PodClient(max_answer_bytes=settings.max_pod_answer_bytes)
        fetch = fetch or self._pod_client
        send = send or self._pod_client.send
        fanout = Fanout(send=send, timeout_s=timeout_s, health=health)
        self._deps = DecisionDeps(
            store=store,
            routing_table=routing_table,
            pods=pods,
            gate=gate or NoAuthGate(),
            lister=Lister(
                fetch=fetch,
                routings=routing_table,
                cursors=CursorCache(settings.list_cursor_cache_size),
                timeout_s=timeout_s,
                partial=settings.partial_lists,
                max_limit=settings.max_limit,
                metrics=metrics,
                health=health,
            ),
            relay=EventRelay(
                send=send,
                routings=routing_table,
                timeout_s=timeout_s,
                max_events=settings.max_external_events,
                trust_noauth=settings.noauth_external_events,
            ),
            shared_objects=SharedObjects(fanout=fanout, store=store),
            views=ViewRelay(fanout=fanout, quotas=QuotaRelay(fanout=fanout, store=store)),
            security_groups=SecurityGroups(fanout=fanout, store=store),
            any_pod=AnyPod(fanout=fanout),
            offset_lists=OffsetLists(fanout=fanout),
            windows=VersionWindows(
                fetch=fetch, ttl_s=version_ttl_s, timeout_s=min(_VERSION_READ_S, timeout_s / 2)
            ),
            metrics=metrics,
            health=health,
            capacity=capacity,
            gone=gone,
            recovery=Recovery(
                fetch=fetch,
                routings=routing_table,
                timeout_s=timeout_s,
                concurrency=settings.recovery_concurrency,
                negative_ttl_s=settings.recovery_negative_ttl_s,
                health=health,
            ),
            acceptance=Acceptance(fetch=fetch, routings=routing_table, timeout_s=timeout_s),
            max_body_bytes=settings.max_body_bytes,
            noauth_project=settings.noauth_project,
        )
        self._slots = ProjectSlots(settings.max_in_flight_per_project)

    async def close(self) -> None:
        """Stop version reads, let undos and transfers' moves finish, close the pod connections."""
        await self._deps.windows.close()
        await self._deps.shared_objects.settle()
        await self._deps.acceptance.settle()
        await self._pod_client.close()

    async def Process(
        self,
        request_iterator: AsyncIterator[ep.ProcessingRequest],
        context: grpc.aio.ServicerContext,
    ) -> AsyncIterator[ep.ProcessingResponse]:
        """Answer every message of one HTTP request's stream, in order."""
        listener = _service_of(context.invocation_metadata())
        exchange = Exchange(self._deps, listener)
        held = ""  # the project whose slot this stream holds
        try:
            async for message in request_iterator:
                kind = message.WhichOneof("request")
                if kind is None:
                    continue
                response = await self._answer(exchange, kind, message)
                # A stream answered at once (a fault, a list, a refused token) holds nothing;
                # one that goes on (a create waiting for its body, the pod's answer) takes a
                # slot of the project it was authorized for.
                if kind == "request_headers" and _goes_on(response) and listener is not None:
                    project = _project_of(listener, message.request_headers)
                    if project and not self._slots.take(project):
                        yield self._over_limit(exchange, project)
                        return
                    held = project
                yield response
        finally:
            if held:
                self._slots.give_back(held)

    async def _answer(
        self, exchange: Exchange, kind: str, message: ep.ProcessingRequest
    ) -> ep.ProcessingResponse:
        """The answer to one message; every failure becomes a fault, never a broken stream."""
        started = time.perf_counter()
        try:
            response = await exchange.answer(kind, message)
        except PodgateError as exc:
            exchange.log_outcome(str(exc.status), exc.detail)
            response = await exchange.fault(exc)
        except Exception:
            log.exception("%s unexpected error on %s", exchange.request_id, kind)
            body = exchange.fault_body(500, "Unexpected error")
            response = responses.immediate(500, body, exchange.id_header())
        self._metrics.decision_seconds.labels(kind).observe(time.perf_counter() - started)
        return response

    def _over_limit(self, exchange: Exchange, project: str) -> ep.ProcessingResponse:
        """Nova's 429 for a project with too many requests in flight, answered at once."""
        self._metrics.decisions.labels(_THROTTLED, "429").inc()
        log.info(
            "%s project %s at its cap of %d requests", exchange.request_id, project, self._slots.cap
        )
        headers = {**exchange.id_header(), "retry-after": str(_RETRY_AFTER_S)}
        return responses.immediate(429, exchange.fault_body(429, _OVER_LIMIT_MESSAGE), headers)


def add_to_server(server: grpc.aio.Server, service: DecisionService) -> None:
    """Serve `service` as Envoy's ext_proc processor on `server`."""
    ep_grpc.add_ExternalProcessorServicer_to_server(service, server)


def list_timeout(settings: DecisionSettings) -> float:
    """Each fan-out's deadline for its pods: theirs, but never past Envoy's wait for our answer."""
    envoy_wait = settings.message_timeout_ms / 1000 - _ENVOY_MARGIN_S
    return max(0.05, min(settings.pod_timeout_s, envoy_wait))


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


def _project_of(listener: Service, headers: ep.HttpHeaders) -> str:
    """The project the request's path names ("" for version documents and unknown paths)."""
    read = responses.read_headers(headers)
    return classify(listener, read.get(":method", ""), read.get(":path", "")).project_id


def _goes_on(response: ep.ProcessingResponse) -> bool:
    """Whether the request continues past the decision (not answered by the gateway itself)."""
    return response.WhichOneof("response") != "immediate_response"
