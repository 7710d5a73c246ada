"""Rows to model dataclasses and back, with the column limits checked in Python.

Checking lengths here makes SQLite and PostgreSQL refuse the same input the same way.
"""

from collections.abc import Mapping

from control_plane.errors import BadRequest
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing
from control_plane.store.tables import BindingRow, PodEndpointRow, PodRow, RoutingRow

__all__ = [
    "binding_from_row",
    "check_resource_type",
    "check_state",
    "check_text",
    "endpoint_values",
    "pod_from_row",
    "routing_from_row",
]


def check_text(field: str, value: str, *, limit: int = 255, empty: bool = False) -> str:
    """`value` if it is a string that fits its column; BadRequest otherwise."""
    if not isinstance(value, str) or len(value) > limit or (not value and not empty):
        least = 0 if empty else 1
        raise BadRequest(f"{field} must be a string of {least} to {limit} characters")
    return value


def check_state(value: PodState | str) -> PodState:
    try:
        return PodState(value)
    except ValueError as exc:
        raise BadRequest(f"Unknown pod state {value!r}") from exc


def check_resource_type(value: ResourceType | str) -> ResourceType:
    try:
        return ResourceType(value)
    except ValueError as exc:
        raise BadRequest(f"Unknown resource type {value!r}") from exc


def endpoint_values(endpoints: Mapping[str, str]) -> dict[str, str]:
    return {
        check_text("service_type", service, limit=64): check_text("url", url, limit=1024)
        for service, url in endpoints.items()
    }


def pod_from_row(row: PodRow) -> Pod:
    return Pod(
        name=row.name,
        az_name=row.az_name,
        pod_az_name=row.pod_az_name,
        dc_name=row.dc_name,
        state=PodState(row.state),
        endpoints={e.service_type: e.url for e in sorted(row.endpoints, key=_service_type)},
        tls_insecure=row.tls_insecure,
        id=row.id,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def _service_type(row: PodEndpointRow) -> str:
    return row.service_type


def binding_from_row(row: BindingRow, pod_name: str) -> Binding:
    return Binding(
        id=row.id,
        project_id=row.project_id,
        az_name=row.az_name,
        pod_name=pod_name,
        active=row.active,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def routing_from_row(row: RoutingRow, pod_name: str) -> Routing:
    return Routing(
        resource_id=row.resource_id,
        resource_type=ResourceType(row.resource_type),
        project_id=row.project_id,
        pod_name=pod_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
