"""Admin protos <-> model objects, so the servicer and the CLI share one mapping."""

import base64
import binascii
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.timestamp_pb2 import Timestamp

from control_plane.errors import BadRequest
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing
from podgate_api.admin.v1 import admin_pb2

__all__ = [
    "PodChanges",
    "binding_from_proto",
    "binding_to_proto",
    "decode_page_token",
    "encode_page_token",
    "pod_changes_from_proto",
    "pod_from_proto",
    "pod_to_proto",
    "resource_type_from_proto",
    "routing_from_proto",
    "routing_to_proto",
    "state_from_proto",
    "state_to_proto",
]

_STATES = ", ".join(PodState)
_TYPES = ", ".join(ResourceType)
_MAX_TOKEN = 1024


@dataclass(frozen=True, slots=True)
class PodChanges:
    """What an UpdatePod request asks for; None leaves a field as it is."""

    state: PodState | None = None
    az_name: str | None = None
    pod_az_name: str | None = None
    dc_name: str | None = None
    set_endpoints: Mapping[str, str] = field(default_factory=dict)
    remove_endpoints: tuple[str, ...] = ()
    tls_insecure: bool | None = None


def state_to_proto(state: PodState) -> int:
    """The proto enum number of a pod state (names match on both sides)."""
    return admin_pb2.PodState.Value(state.value)


def state_from_proto(value: int, *, default: PodState | None = None) -> PodState:
    """The pod state of a proto enum number; UNSPECIFIED means `default` when one is given."""
    if value == admin_pb2.POD_STATE_UNSPECIFIED and default is not None:
        return default
    try:
        return PodState(admin_pb2.PodState.Name(value))
    except ValueError:
        raise BadRequest(f"pod state {value} is not one of {_STATES}") from None


def resource_type_from_proto(value: str) -> ResourceType:
    """The resource type a request names; an unknown one is the client's mistake."""
    try:
        return ResourceType(value)
    except ValueError:
        raise BadRequest(f"resource type {value!r} is not one of {_TYPES}") from None


def pod_to_proto(pod: Pod, in_use: Pod | None = None) -> admin_pb2.Pod:
    """A pod as the admin API shows it; `in_use` is the gateway's view (catalog endpoints)."""
    catalog = dict(in_use.endpoints) if in_use is not None and not pod.endpoints else {}
    return admin_pb2.Pod(
        catalog_endpoints=catalog,
        id=pod.id,
        name=pod.name,
        az_name=pod.az_name,
        pod_az_name=pod.pod_az_name,
        dc_name=pod.dc_name,
        state=state_to_proto(pod.state),
        endpoints=dict(pod.endpoints),
        tls_insecure=pod.tls_insecure,
        created_at=_timestamp(pod.created_at),
        updated_at=_timestamp(pod.updated_at),
    )


def pod_from_proto(message: admin_pb2.Pod, *, default_state: PodState | None = None) -> Pod:
    """A pod from its proto; an UNSPECIFIED state becomes `default_state` when one is given."""
    return Pod(
        id=message.id,
        name=message.name,
        az_name=message.az_name,
        pod_az_name=message.pod_az_name,
        dc_name=message.dc_name,
        state=state_from_proto(message.state, default=default_state),
        endpoints=dict(message.endpoints),
        tls_insecure=message.tls_insecure,
        created_at=_datetime(message, "created_at"),
        updated_at=_datetime(message, "updated_at"),
    )


def pod_changes_from_proto(request: admin_pb2.UpdatePodRequest) -> PodChanges:
    """The fields an UpdatePod request sets; unset optional fields stay None."""
    return PodChanges(
        state=state_from_proto(request.state) if request.HasField("state") else None,
        az_name=request.az_name if request.HasField("az_name") else None,
        pod_az_name=request.pod_az_name if request.HasField("pod_az_name") else None,
        dc_name=request.dc_name if request.HasField("dc_name") else None,
        set_endpoints=dict(request.set_endpoints),
        remove_endpoints=tuple(request.remove_endpoints),
        tls_insecure=request.tls_insecure if request.HasField("tls_insecure") else None,
    )


def binding_to_proto(binding: Binding) -> admin_pb2.Binding:
    """A binding as the admin API shows it."""
    return admin_pb2.Binding(
        id=binding.id,
        project_id=binding.project_id,
        az_name=binding.az_name,
        pod_name=binding.pod_name,
        active=binding.active,
        created_at=_timestamp(binding.created_at),
        updated_at=_timestamp(binding.updated_at),
    )


def binding_from_proto(message: admin_pb2.Binding) -> Binding:
    """A binding from its proto."""
    return Binding(
        id=message.id,
        project_id=message.project_id,
        az_name=message.az_name,
        pod_name=message.pod_name,
        active=message.active,
        created_at=_datetime(message, "created_at"),
        updated_at=_datetime(message, "updated_at"),
    )


def routing_to_proto(routing: Routing) -> admin_pb2.Routing:
    """A routing as the admin API shows it."""
    return admin_pb2.Routing(
        resource_id=routing.resource_id,
        resource_type=str(routing.resource_type),
        project_id=routing.project_id,
        pod_name=routing.pod_name,
        created_at=_timestamp(routing.created_at),
        updated_at=_timestamp(routing.updated_at),
    )


def routing_from_proto(message: admin_pb2.Routing) -> Routing:
    """A routing from its proto; an unknown resource type is rejected."""
    return Routing(
        resource_id=message.resource_id,
        resource_type=resource_type_from_proto(message.resource_type),
        project_id=message.project_id,
        pod_name=message.pod_name,
        created_at=_datetime(message, "created_at"),
        updated_at=_datetime(message, "updated_at"),
    )


def encode_page_token(resource_type: str, resource_id: str) -> str:
    """An opaque token for the page after this routing (clients only hand it back)."""
    return base64.urlsafe_b64encode(f"{resource_type}/{resource_id}".encode()).decode()


def decode_page_token(token: str) -> tuple[ResourceType, str]:
    """The (resource type, resource id) a page token continues after."""
    try:
        if len(token) > _MAX_TOKEN:
            raise ValueError(token)
        raw = base64.urlsafe_b64decode(token.encode("ascii")).decode()
        kind, resource_id = raw.split("/", 1)
        if not resource_id:
            raise ValueError(raw)
        return ResourceType(kind), resource_id
    except (ValueError, binascii.Error):
        raise BadRequest(
            "page_token is not one this server issued; start again without it"
        ) from None


def _timestamp(value: datetime | None) -> Timestamp | None:
    """A proto timestamp; a naive datetime is taken as UTC (SQLite drops the zone)."""
    if value is None:
        return None
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def _datetime(message: object, name: str) -> datetime | None:
    """An aware UTC datetime from a timestamp field, None when unset."""
    if not message.HasField(name):  # type: ignore[attr-defined]
        return None
    return getattr(message, name).ToDatetime(tzinfo=UTC)
