"""Rewrite the bodies that pass between user and pod: the AZ names.

Users see a pod's `az_name`; inside the pod the same place is called `pod_az_name`. Create
requests are rewritten user → pod, create responses pod → user. Everything else in a body is
kept as it was (a JSON round trip).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from control_plane.decision.resources import SPECS
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType

__all__ = [
    "CreateBody",
    "Created",
    "parse_create",
    "parse_created",
    "pod_body",
    "shown_body",
    "user_body",
]

_REQUEST_AZ = "availability_zone"
_INVALID = object()


@dataclass(frozen=True, slots=True)
class CreateBody:
    """A create request's JSON, parsed once: the scheduler reads its AZ, the pod gets a copy."""

    resource_type: ResourceType
    document: Mapping[str, Any]
    availability_zone: str | None


@dataclass(frozen=True, slots=True)
class Created:
    """A pod's successful create response: the new resource's id and the JSON to hand back."""

    resource_type: ResourceType
    resource_id: str
    document: Mapping[str, Any]


def parse_create(resource_type: ResourceType, body: bytes) -> CreateBody:
    """Validate a create request body just enough to schedule it; BadRequest otherwise."""
    key = SPECS[resource_type].member
    document = _loads(body)
    if document is _INVALID:
        raise BadRequest("Malformed request body: it is not valid JSON.")
    if not isinstance(document, dict):
        raise BadRequest("Malformed request body: a JSON object is expected.")
    if key not in document:
        raise BadRequest(f"Missing required element '{key}' in request body.")
    resource = document[key]
    if not isinstance(resource, dict):
        raise BadRequest(f"Invalid input for '{key}': it must be an object.")
    az = resource.get(_REQUEST_AZ)
    if az is not None and not isinstance(az, str):
        raise BadRequest(f"Invalid input for '{key}.{_REQUEST_AZ}': it must be a string.")
    return CreateBody(resource_type=resource_type, document=document, availability_zone=az or None)


def pod_body(create: CreateBody, pod_az_name: str) -> bytes:
    """The create request as the pod must see it: its own AZ name, or none (its default)."""
    key = SPECS[create.resource_type].member
    resource = dict(create.document[key])
    if pod_az_name:
        resource[_REQUEST_AZ] = pod_az_name
    else:
        resource.pop(_REQUEST_AZ, None)
    return _dumps({**create.document, key: resource})


def parse_created(resource_type: ResourceType, body: bytes) -> Created | None:
    """The created resource in a pod's response body, or None when the body names none."""
    key = SPECS[resource_type].member
    document = _loads(body)
    if not isinstance(document, dict) or not isinstance(document.get(key), dict):
        return None
    resource_id = document[key].get("id")
    if not isinstance(resource_id, str) or not resource_id:
        return None
    return Created(resource_type=resource_type, resource_id=resource_id, document=document)


def user_body(created: Created, pod: Pod) -> bytes | None:
    """The response with the pod's AZ name replaced by the user-facing one; None if unchanged."""
    spec = SPECS[created.resource_type]
    field = spec.az_field
    if field is None:
        return None
    key = spec.member
    resource = created.document[key]
    az = resource.get(field)
    if not isinstance(az, str) or az == pod.az_name:
        return None
    if pod.pod_az_name and az != pod.pod_az_name:
        return None
    return _dumps({**created.document, key: {**resource, field: pod.az_name}})


def shown_body(resource_type: ResourceType, body: bytes, pod: Pod) -> bytes | None:
    """A pod's `GET <collection>/<id>` answer with the user-facing AZ; None if unchanged."""
    shown = parse_created(resource_type, body)
    return None if shown is None else user_body(shown, pod)


def _loads(body: bytes) -> Any:
    """JSON from bytes, or _INVALID when the bytes are not JSON."""
    try:
        return orjson.loads(body)
    except (ValueError, RecursionError):
        return _INVALID


def _dumps(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(document)
