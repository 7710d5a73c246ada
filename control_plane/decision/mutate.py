"""Rewrite the bodies that pass between user and pod: the AZ names.

Users see a pod's `az_name`; inside the pod the same place is called `pod_az_name`. Create
requests are rewritten user → pod (Nova's and Cinder's `availability_zone`, Neutron's
`availability_zone_hints`), create responses pod → user. Everything else in a body is kept as
it was (a JSON round trip).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from control_plane.decision.create.references import hinted_group, references
from control_plane.decision.decisions import Reference
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
_HINTS = "availability_zone_hints"
# The request field naming the zone asked for, by the type created (the rest name none).
_ZONE_FIELDS: Mapping[ResourceType, str] = {
    ResourceType.SERVER: _REQUEST_AZ,
    ResourceType.VOLUME: _REQUEST_AZ,
    ResourceType.BACKUP: _REQUEST_AZ,
    ResourceType.GROUP: _REQUEST_AZ,
    ResourceType.NETWORK: _HINTS,
    ResourceType.ROUTER: _HINTS,
}
_INVALID = object()
_GROUPS = "security_groups"
# Creates whose body may name the new resource otherwise than its member: Cinder's group
# copies (`POST groups/action`).
_OTHER_KEYS: Mapping[ResourceType, str] = {ResourceType.GROUP: "create-from-src"}
_TYPE = "volume_type"


@dataclass(frozen=True, slots=True)
class CreateBody:
    """A create request's JSON, parsed once: placement reads its zone and the resources it
    names, the pod gets a copy."""

    resource_type: ResourceType
    document: Mapping[str, Any]
    # The key of the new resource's object in the document (its member, or `_OTHER_KEYS`').
    key: str
    # The zone asked for (None: any): `availability_zone`, or the one zone hints name.
    availability_zone: str | None
    references: tuple[Reference, ...] = ()
    # The security groups it names (ids or names): a server's `security_groups[].name`, a
    # port's `security_groups`.
    groups: tuple[str, ...] = ()
    # A volume's `volume_type` (a name, or the gateway's id of a type each pod knows by its own).
    volume_type: str | None = None


@dataclass(frozen=True, slots=True)
class Created:
    """A pod's successful create response: the new resource's id and the JSON to hand back."""

    resource_type: ResourceType
    resource_id: str
    document: Mapping[str, Any]


def parse_create(resource_type: ResourceType, body: bytes) -> CreateBody:
    """Validate a create request body just enough to place it; BadRequest otherwise."""
    key = SPECS[resource_type].member
    document = _loads(body)
    if document is _INVALID:
        raise BadRequest("Malformed request body: it is not valid JSON.")
    if not isinstance(document, dict):
        raise BadRequest("Malformed request body: a JSON object is expected.")
    other = _OTHER_KEYS.get(resource_type)
    if key not in document and other in document:
        key = other
    if key not in document:
        raise BadRequest(f"Missing required element '{key}' in request body.")
    resource = document[key]
    if not isinstance(resource, dict):
        raise BadRequest(f"Invalid input for '{key}': it must be an object.")
    field = _ZONE_FIELDS.get(resource_type)
    zone = _hinted(key, resource.get(_HINTS)) if field == _HINTS else None
    if field == _REQUEST_AZ:
        zone = resource.get(_REQUEST_AZ)
        if zone is not None and not isinstance(zone, str):
            raise BadRequest(f"Invalid input for '{key}.{_REQUEST_AZ}': it must be a string.")
    named = references(resource_type, resource) + hinted_group(resource_type, document)
    volume_type = resource.get(_TYPE) if resource_type is ResourceType.VOLUME else None
    return CreateBody(
        resource_type,
        document,
        key,
        zone or None,
        named,
        _groups(resource_type, resource),
        volume_type if isinstance(volume_type, str) and volume_type else None,
    )


def _groups(resource_type: ResourceType, resource: Mapping[str, Any]) -> tuple[str, ...]:
    groups = resource.get(_GROUPS)
    if not isinstance(groups, list):
        return ()
    if resource_type is ResourceType.SERVER:
        groups = [group.get("name") for group in groups if isinstance(group, dict)]
    return tuple(group for group in groups if isinstance(group, str) and group)


def _hinted(key: str, hints: object) -> str | None:
    """The one zone Neutron's hints name: a network or router lives in one pod, so one zone."""
    if hints is None:
        return None
    if not isinstance(hints, list) or not all(isinstance(hint, str) for hint in hints):
        raise BadRequest(
            f"Invalid input for {_HINTS}. Reason: '{key}.{_HINTS}' must be a list of strings."
        )
    zones = list(dict.fromkeys(hints))
    if len(zones) > 1:
        raise BadRequest(
            f"Invalid input for {_HINTS}. Reason: availability zones {', '.join(zones)} "
            f"cannot be used together: a {key} is in one availability zone."
        )
    return zones[0] if zones else None


def pod_body(
    create: CreateBody,
    pod_az_name: str,
    *,
    pin: bool = True,
    own: Mapping[str, str] | None = None,
) -> bytes | None:
    """The create request as the pod must see it: the zone asked for under the pod's own name
    (none when the pod has no name of its own: its default), the security groups and the volume
    type by the pod's own ids (`own`: gateway id -> the pod's); None when unchanged.

    `pin`: Nova's and Cinder's zone is written even when none was asked for (a scheduled
    create). Neutron's hints never are: its answer would show the hint the user did not give.
    """
    key = create.key
    resource = dict(create.document[key])
    renamed = _own_groups(create.resource_type, resource, own or {})
    if create.volume_type in (own or {}):
        resource[_TYPE] = (own or {})[create.volume_type]
        renamed = renamed or resource[_TYPE] != create.volume_type
    field = _ZONE_FIELDS.get(create.resource_type)
    if field is None or (create.availability_zone is None and not (pin and field == _REQUEST_AZ)):
        return _dumps({**create.document, key: resource}) if renamed else None
    if not pod_az_name:
        resource.pop(field, None)
    elif field == _HINTS:
        resource[field] = [pod_az_name]
    else:
        resource[field] = pod_az_name
    return _dumps({**create.document, key: resource})


def _own_groups(
    resource_type: ResourceType, resource: dict[str, Any], groups: Mapping[str, str]
) -> bool:
    """Name each security group by the pod's own copy (in place); whether any was renamed."""
    named = resource.get(_GROUPS)
    if not groups or not isinstance(named, list):
        return False
    if resource_type is ResourceType.SERVER:
        renamed = [
            {**group, "name": groups[group["name"]]}
            if isinstance(group, dict) and group.get("name") in groups
            else group
            for group in named
        ]
    else:
        renamed = [groups.get(group, group) if isinstance(group, str) else group for group in named]
    resource[_GROUPS] = renamed
    return renamed != named


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
    key = spec.member
    resource = spec.localised(created.document[key], pod)
    return None if resource is None else _dumps({**created.document, key: resource})


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
