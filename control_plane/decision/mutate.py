"""Rewrite the bodies that pass between user and pod: the AZ names.

Users see a pod's `az_name`; inside the pod the same place is called `pod_az_name`. Create
requests are rewritten user → pod (Nova's and Cinder's `availability_zone`, Neutron's
`availability_zone_hints`), create responses pod → user. Everything else in a body is kept as
it was (a JSON round trip). Neutron's bulk creates (`{"networks": [...]}`) are read and rewritten
item by item.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import orjson

from control_plane.decision.create.references import hinted_group, references
from control_plane.decision.decisions import Reference
from control_plane.decision.resources import SPECS
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType, Service

__all__ = [
    "CreateBody",
    "CreateItem",
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
# APIs taking bulk creates (`{"<collection>": [...]}`): Neutron's, for every collection.
_BULK = frozenset({Service.NETWORK})


@dataclass(frozen=True, slots=True)
class CreateItem:
    """One resource a create makes: its object, the zone it asks for and what it names."""

    resource: Mapping[str, Any]
    # The zone asked for (None: any): `availability_zone`, or the one zone hints name.
    availability_zone: str | None
    references: tuple[Reference, ...] = ()
    # The security groups it names (ids or names): a server's `security_groups[].name`, a
    # port's `security_groups`.
    groups: tuple[str, ...] = ()
    # A volume's `volume_type` (a name, or the gateway's id of a type each pod knows by its own).
    volume_type: str | None = None


@dataclass(frozen=True, slots=True)
class CreateBody:
    """A create request's JSON, parsed once: placement reads its zone and the resources it
    names, the pod gets a copy.

    One item, or Neutron's bulk form (`{"networks": [...]}`): its items go to one pod in one
    request, atomic as Neutron makes them, so they must agree on the zone.
    """

    resource_type: ResourceType
    document: Mapping[str, Any]
    # The key of the new resources in the document: the member (or `_OTHER_KEYS`'), or the
    # collection of a bulk create.
    key: str
    items: tuple[CreateItem, ...]
    bulk: bool = False
    # Named beside the items (a server's hinted group).
    beside: tuple[Reference, ...] = ()

    @property
    def availability_zone(self) -> str | None:
        """The zone the items ask for (parse_create refused items asking for different ones)."""
        return next((i.availability_zone for i in self.items if i.availability_zone), None)

    @property
    def references(self) -> tuple[Reference, ...]:
        """What the items name, in body order, each once."""
        named = [r for item in self.items for r in item.references]
        return tuple(dict.fromkeys([*named, *self.beside]))

    @property
    def groups(self) -> tuple[str, ...]:
        """The security groups the items name, each once."""
        return tuple(dict.fromkeys(g for item in self.items for g in item.groups))

    @property
    def volume_type(self) -> str | None:
        """A volume's type (volumes have no bulk form: one item)."""
        return self.items[0].volume_type


@dataclass(frozen=True, slots=True)
class Created:
    """A pod's successful create response: the new resources' ids and the JSON to hand back."""

    resource_type: ResourceType
    resource_ids: tuple[str, ...]
    document: Mapping[str, Any]
    # The key of the created resources: the member, or the collection of a bulk answer.
    key: str


def parse_create(resource_type: ResourceType, body: bytes) -> CreateBody:
    """Validate a create request body just enough to place it; BadRequest otherwise."""
    spec = SPECS[resource_type]
    key = spec.member
    document = _loads(body)
    if document is _INVALID:
        raise BadRequest("Malformed request body: it is not valid JSON.")
    if not isinstance(document, dict):
        raise BadRequest("Malformed request body: a JSON object is expected.")
    if key not in document and spec.collection in document and spec.service in _BULK:
        items = _bulk_items(resource_type, document[spec.collection])
        _one_zone(spec.collection, items)
        return CreateBody(resource_type, document, spec.collection, items, bulk=True)
    other = _OTHER_KEYS.get(resource_type)
    if key not in document and other in document:
        key = other
    if key not in document:
        raise BadRequest(f"Missing required element '{key}' in request body.")
    resource = document[key]
    if not isinstance(resource, dict):
        raise BadRequest(f"Invalid input for '{key}': it must be an object.")
    item = _item(resource_type, key, resource)
    return CreateBody(
        resource_type, document, key, (item,), beside=hinted_group(resource_type, document)
    )


def _item(resource_type: ResourceType, key: str, resource: Mapping[str, Any]) -> CreateItem:
    """One resource's object, read for placement."""
    field = _ZONE_FIELDS.get(resource_type)
    zone = _hinted(key, resource.get(_HINTS)) if field == _HINTS else None
    if field == _REQUEST_AZ:
        zone = resource.get(_REQUEST_AZ)
        if zone is not None and not isinstance(zone, str):
            raise BadRequest(f"Invalid input for '{key}.{_REQUEST_AZ}': it must be a string.")
    volume_type = resource.get(_TYPE) if resource_type is ResourceType.VOLUME else None
    return CreateItem(
        resource,
        zone or None,
        references(resource_type, resource),
        _groups(resource_type, resource),
        volume_type if isinstance(volume_type, str) and volume_type else None,
    )


def _bulk_items(resource_type: ResourceType, entries: object) -> tuple[CreateItem, ...]:
    """The items of a bulk create, each as Neutron takes it: the object, or it under the
    member (`{"network": {...}}`)."""
    spec = SPECS[resource_type]
    if not isinstance(entries, list):
        raise BadRequest(f"Invalid input for '{spec.collection}': it must be a list.")
    if not entries:
        raise BadRequest("Resources required")
    items = []
    for index, entry in enumerate(entries):
        resource = entry.get(spec.member, entry) if isinstance(entry, dict) else entry
        if not isinstance(resource, dict):
            raise BadRequest(f"Invalid input for '{spec.collection}[{index}]': not an object.")
        items.append(_item(resource_type, spec.member, resource))
    return tuple(items)


def _one_zone(collection: str, items: Sequence[CreateItem]) -> None:
    """BadRequest naming two items that ask for different zones: one request, one pod."""
    asking = [(i, item.availability_zone) for i, item in enumerate(items) if item.availability_zone]
    for index, zone in asking[1:]:
        first, first_zone = asking[0]
        if zone != first_zone:
            raise BadRequest(
                f"{collection}[{first}] is in availability zone {first_zone} and "
                f"{collection}[{index}] in {zone}: the items of a bulk create are made in one "
                "availability zone."
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
    type by the pod's own ids (`own`: gateway id -> the pod's); None when unchanged. Each item
    of a bulk create is rewritten as its own create would be.

    `pin`: Nova's and Cinder's zone is written even when none was asked for (a scheduled
    create). Neutron's hints never are: its answer would show the hint the user did not give.
    """
    rewritten = [
        _pod_item(create.resource_type, i, pod_az_name, pin, own or {}) for i in create.items
    ]
    if all(resource is None for resource in rewritten):
        return None
    resources = [
        dict(item.resource) if resource is None else resource
        for item, resource in zip(create.items, rewritten, strict=True)
    ]
    return _dumps({**create.document, create.key: resources if create.bulk else resources[0]})


def _pod_item(
    resource_type: ResourceType,
    item: CreateItem,
    pod_az_name: str,
    pin: bool,
    own: Mapping[str, str],
) -> dict[str, Any] | None:
    """One item's object as the pod must see it (pod_body); None when unchanged."""
    resource = dict(item.resource)
    renamed = _own_groups(resource_type, resource, own)
    if item.volume_type in own:
        resource[_TYPE] = own[item.volume_type]
        renamed = renamed or resource[_TYPE] != item.volume_type
    field = _ZONE_FIELDS.get(resource_type)
    if field is None or (item.availability_zone is None and not (pin and field == _REQUEST_AZ)):
        return resource if renamed else None
    if not pod_az_name:
        resource.pop(field, None)
    elif field == _HINTS:
        resource[field] = [pod_az_name]
    else:
        resource[field] = pod_az_name
    return resource


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
    """The created resources in a pod's response body (one, or a bulk create's list), or None
    when the body names none."""
    spec = SPECS[resource_type]
    document = _loads(body)
    if not isinstance(document, dict):
        return None
    key, found = spec.member, document.get(spec.member)
    if found is None and spec.service in _BULK:
        key, found = spec.collection, document.get(spec.collection)
    resources = [found] if isinstance(found, dict) else found
    if not isinstance(resources, list):
        return None
    ids = tuple(
        resource_id
        for resource in resources
        if isinstance(resource, dict)
        and isinstance(resource_id := resource.get("id"), str)
        and resource_id
    )
    return Created(resource_type, ids, document, key) if ids else None


def user_body(created: Created, pod: Pod) -> bytes | None:
    """The response with the pod's AZ name replaced by the user-facing one; None if unchanged."""
    spec = SPECS[created.resource_type]
    found = created.document[created.key]
    resources = found if isinstance(found, list) else [found]
    shown = [spec.localised(r, pod) if isinstance(r, dict) else None for r in resources]
    if all(resource is None for resource in shown):
        return None
    kept = [r if s is None else s for r, s in zip(resources, shown, strict=True)]
    return _dumps({**created.document, created.key: kept if isinstance(found, list) else kept[0]})


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
