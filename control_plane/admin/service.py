"""The PodAdmin gRPC servicer: check input, call the store (whose change feed tells the data
plane)."""

import functools
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypeVar

import grpc
from google.protobuf import empty_pb2
from google.protobuf.timestamp_pb2 import Timestamp

from control_plane.admin import convert, validate
from control_plane.admin.audit import AuditTrail, event_to_proto
from control_plane.admin.status import build_status
from control_plane.auth.principal import current_principal
from control_plane.errors import (
    AlreadyExists,
    BadRequest,
    FailedPrecondition,
    Forbidden,
    NotFound,
    PodgateError,
    PodUnavailable,
    Unauthorized,
)
from control_plane.identity import IdentityUnavailable
from control_plane.model import Pod, PodState, ResourceType
from control_plane.store import Store
from control_plane.xds.cache import SnapshotCache
from podgate_api.admin.v1 import admin_pb2, admin_pb2_grpc

__all__ = ["PodAdminService", "add_to_server"]

log = logging.getLogger(__name__)

_CODES: tuple[tuple[type[PodgateError], grpc.StatusCode], ...] = (
    (BadRequest, grpc.StatusCode.INVALID_ARGUMENT),
    (NotFound, grpc.StatusCode.NOT_FOUND),
    (AlreadyExists, grpc.StatusCode.ALREADY_EXISTS),
    (FailedPrecondition, grpc.StatusCode.FAILED_PRECONDITION),
    (PodUnavailable, grpc.StatusCode.UNAVAILABLE),
    (Unauthorized, grpc.StatusCode.UNAUTHENTICATED),
    (Forbidden, grpc.StatusCode.PERMISSION_DENIED),
    (IdentityUnavailable, grpc.StatusCode.UNAVAILABLE),
)
_EMPTY = empty_pb2.Empty()
_Method = TypeVar("_Method", bound=Callable[..., Awaitable[Any]])


def _status(error: PodgateError) -> grpc.StatusCode:
    """The gRPC code a Podgate error travels as."""
    for kind, code in _CODES:
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.INTERNAL


def _at_edge(method: _Method) -> _Method:
    """Admin callers only (the Guard names them); a Podgate error travels as its gRPC status.

    A call that did not pass the Guard (a server built without it) is refused here too.
    """

    @functools.wraps(method)
    async def wrapper(self: Any, request: Any, context: grpc.aio.ServicerContext) -> Any:
        try:
            if current_principal() is None:
                raise Unauthorized("An admin credential is required.")
            return await method(self, request, context)
        except PodgateError as exc:
            await context.abort(_status(exc), exc.message)

    return wrapper  # type: ignore[return-value]


class PodAdminService(admin_pb2_grpc.PodAdminServicer):
    """podgate.admin.v1.PodAdmin over a Store; input is checked before any write."""

    def __init__(
        self,
        store: Store,
        *,
        in_use: Callable[[], Mapping[str, Pod]] = dict,
        xds: SnapshotCache | None = None,
        drift: Callable[[], Mapping[str, Sequence[str]]] = dict,
        pod_auth: Callable[[], Mapping[str, Sequence[str]]] = dict,
    ) -> None:
        self._store = store
        self._drift = drift
        self._pod_auth = pod_auth
        self._audit = AuditTrail(store)
        self._in_use = in_use
        self._xds = xds

    def _shown(self, pod: Pod) -> admin_pb2.Pod:
        """The stored pod plus the endpoints the gateway found for it in the catalog."""
        return convert.pod_to_proto(pod, self._in_use().get(pod.name))

    @_at_edge
    async def CreatePod(self, request: admin_pb2.CreatePodRequest, context: Any) -> admin_pb2.Pod:
        pod = convert.pod_from_proto(request.pod, default_state=PodState.ENABLED)
        pod = replace(pod, id="", created_at=None, updated_at=None)
        validate.check_pod(pod)
        created = await self._store.create_pod(pod)
        log.info("pod created name=%s az=%s state=%s", created.name, created.az_name, created.state)
        shown = self._shown(created)
        await self._audit.record("CreatePod", f"pod {created.name}", None, shown)
        return shown

    @_at_edge
    async def GetPod(self, request: admin_pb2.GetPodRequest, context: Any) -> admin_pb2.Pod:
        validate.check_pod_name(request.name)
        return self._shown(await self._store.get_pod(request.name))

    @_at_edge
    async def ListPods(
        self, request: admin_pb2.ListPodsRequest, context: Any
    ) -> admin_pb2.ListPodsResponse:
        pods = await self._store.list_pods(request.az_name or None)
        return admin_pb2.ListPodsResponse(pods=[self._shown(p) for p in pods])

    @_at_edge
    async def UpdatePod(self, request: admin_pb2.UpdatePodRequest, context: Any) -> admin_pb2.Pod:
        changes = convert.pod_changes_from_proto(request)
        validate.check_pod_changes(request.name, changes)
        before = self._shown(await self._store.get_pod(request.name))
        pod = await self._store.update_pod(
            request.name,
            state=changes.state,
            az_name=changes.az_name,
            pod_az_name=changes.pod_az_name,
            dc_name=changes.dc_name,
            set_endpoints=changes.set_endpoints,
            remove_endpoints=changes.remove_endpoints,
            tls_insecure=changes.tls_insecure,
        )
        log.info("pod updated name=%s state=%s", pod.name, pod.state)
        shown = self._shown(pod)
        await self._audit.record("UpdatePod", f"pod {pod.name}", before, shown)
        return shown

    @_at_edge
    async def DeletePod(self, request: admin_pb2.DeletePodRequest, context: Any) -> empty_pb2.Empty:
        validate.check_pod_name(request.name)
        before = self._shown(await self._store.get_pod(request.name))
        dropped = await self._store.delete_pod(request.name, force=request.force)
        log.info("pod deleted name=%s force=%s routings=%d", request.name, request.force, dropped)
        action = "DeletePod --force" if request.force else "DeletePod"
        await self._audit.record(action, f"pod {request.name}", before, None)
        return _EMPTY

    @_at_edge
    async def CreateBinding(
        self, request: admin_pb2.CreateBindingRequest, context: Any
    ) -> admin_pb2.Binding:
        validate.check_binding(request.project_id, request.pod_name)
        binding = await self._store.create_binding(request.project_id, request.pod_name)
        log.info("binding created id=%s pod=%s", binding.id, binding.pod_name)
        shown = convert.binding_to_proto(binding)
        await self._audit.record("CreateBinding", f"binding {binding.id}", None, shown)
        return shown

    @_at_edge
    async def ListBindings(
        self, request: admin_pb2.ListBindingsRequest, context: Any
    ) -> admin_pb2.ListBindingsResponse:
        bindings = await self._store.list_bindings(
            project_id=request.project_id or None,
            pod_name=request.pod_name or None,
            active_only=request.active_only,
        )
        return admin_pb2.ListBindingsResponse(
            bindings=[convert.binding_to_proto(b) for b in bindings]
        )

    @_at_edge
    async def DeleteBinding(
        self, request: admin_pb2.DeleteBindingRequest, context: Any
    ) -> empty_pb2.Empty:
        validate.check_required("binding id", request.id)
        before = next((b for b in await self._store.list_bindings() if b.id == request.id), None)
        await self._store.delete_binding(request.id)
        log.info("binding deleted id=%s", request.id)
        shown = convert.binding_to_proto(before) if before is not None else None
        await self._audit.record("DeleteBinding", f"binding {request.id}", shown, None)
        return _EMPTY

    @_at_edge
    async def ListRoutings(
        self, request: admin_pb2.ListRoutingsRequest, context: Any
    ) -> admin_pb2.ListRoutingsResponse:
        size = validate.page_size(request.page_size)
        kind = (
            convert.resource_type_from_proto(request.resource_type)
            if request.resource_type
            else None
        )
        after = convert.decode_page_token(request.page_token) if request.page_token else None
        rows = await self._store.list_routings(
            project_id=request.project_id or None,
            pod_name=request.pod_name or None,
            resource_type=kind,
            limit=size + 1,
            after=after,
        )
        page = rows[:size]
        more = len(rows) > size
        last = page[-1] if page else None
        return admin_pb2.ListRoutingsResponse(
            routings=[convert.routing_to_proto(r) for r in page],
            next_page_token=(
                convert.encode_page_token(last.resource_type, last.resource_id)
                if more and last
                else ""
            ),
        )

    @_at_edge
    async def GetRouting(
        self, request: admin_pb2.GetRoutingRequest, context: Any
    ) -> admin_pb2.Routing:
        kind = self._routing_key(request)
        routing = await self._store.get_routing(kind, request.resource_id)
        if routing is None:
            raise NotFound(f"no routing for {kind} {request.resource_id}")
        return convert.routing_to_proto(routing)

    @_at_edge
    async def DeleteRouting(
        self, request: admin_pb2.DeleteRoutingRequest, context: Any
    ) -> empty_pb2.Empty:
        kind = self._routing_key(request)
        before = await self._store.get_routing(kind, request.resource_id)
        await self._store.delete_routing(kind, request.resource_id)
        log.info("routing deleted type=%s id=%s", kind, request.resource_id)
        shown = convert.routing_to_proto(before) if before is not None else None
        await self._audit.record("DeleteRouting", f"{kind} {request.resource_id}", shown, None)
        return _EMPTY

    @staticmethod
    def _routing_key(
        request: admin_pb2.GetRoutingRequest | admin_pb2.DeleteRoutingRequest,
    ) -> ResourceType:
        """The resource type of a single-routing request, after checking both key parts."""
        validate.check_required("resource_type", request.resource_type)
        validate.check_required("resource_id", request.resource_id)
        return convert.resource_type_from_proto(request.resource_type)

    @_at_edge
    async def GetStatus(
        self, request: admin_pb2.GetStatusRequest, context: Any
    ) -> admin_pb2.Status:
        pods = await self._store.list_pods()
        counts = await self._store.routings_per_pod()
        shown = [self._shown(pod) for pod in pods]
        return build_status(
            shown, counts, self._xds, drift=self._drift(), pod_auth=self._pod_auth()
        )

    @_at_edge
    async def ListAuditEvents(
        self, request: admin_pb2.ListAuditEventsRequest, context: Any
    ) -> admin_pb2.ListAuditEventsResponse:
        since = _since(request.since) if request.HasField("since") else None
        events = await self._store.list_audit_events(
            since=since, limit=validate.page_size(request.page_size)
        )
        return admin_pb2.ListAuditEventsResponse(events=[event_to_proto(e) for e in events])


def _since(stamp: Timestamp) -> datetime:
    """A request's `since` as an aware datetime; one out of datetime's range is the caller's."""
    try:
        return stamp.ToDatetime(tzinfo=UTC)
    except (ValueError, OverflowError) as exc:
        raise BadRequest(f"since is out of range: {exc}") from exc


def add_to_server(server: grpc.aio.Server, service: PodAdminService) -> None:
    """Serve the admin API on a grpc.aio server (next to xDS and ext_proc on the same port)."""
    admin_pb2_grpc.add_PodAdminServicer_to_server(service, server)
