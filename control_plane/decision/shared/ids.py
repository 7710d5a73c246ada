"""The ids of shared objects in a pod's answer, and the answer with the gateway's ids instead.

Each Cinder gives its copy of a volume type, group type or QoS specs an id of its own; clients
see one id per object (the first pod's), so every id of such an object in an answer, its own
or a reference to another (a type's `qos_specs_id`, a QoS association's type), is replaced.
Pure: no I/O.
"""

from collections.abc import Iterator, Mapping
from typing import Any

from control_plane.decision.shared.kinds import SharedKind
from control_plane.model import CopiedType

__all__ = ["shown_ids", "with_gateway_ids"]

# Fields of an object that name another kind's object, whatever the object's own kind.
_REFERENCES = {"qos_specs_id": CopiedType.QOS_SPECS}
# Answers about a type, and the field naming it: (answer key, field) -> kind.
_ABOUT = {
    ("volume_type_access", "volume_type_id"): CopiedType.VOLUME_TYPE,
    ("encryption", "volume_type_id"): CopiedType.VOLUME_TYPE,
}
_ASSOCIATIONS = "qos_associations"
_ASSOCIATED = {"volume_type": CopiedType.VOLUME_TYPE}


def shown_ids(document: object, kind: SharedKind) -> dict[CopiedType, set[str]]:
    """Every id in `document` that may be a pod's own id of a shared object, by kind."""
    found: dict[CopiedType, set[str]] = {}
    for item, field, copied_type in _slots(document, kind):
        value = item.get(field)
        if isinstance(value, str) and value:
            found.setdefault(copied_type, set()).add(value)
    return found


def with_gateway_ids(
    document: object, kind: SharedKind, gateway: Mapping[CopiedType, Mapping[str, str]]
) -> object:
    """`document` with every pod's own id that `gateway` knows replaced by the gateway's id,
    in links too (QoS specs' `…/qos-specs/{id}`). Changes the document in place and returns it.
    """
    replaced: dict[str, str] = {}
    for item, field, copied_type in _slots(document, kind):
        value = item.get(field)
        if isinstance(value, str) and value in gateway.get(copied_type, {}):
            item[field] = replaced[value] = gateway[copied_type][value]
    if replaced and isinstance(document, dict):
        for link in _links(document, kind):
            segments = link["href"].split("/")
            link["href"] = "/".join(replaced.get(segment, segment) for segment in segments)
    return document


def _links(document: dict[str, Any], kind: SharedKind) -> Iterator[dict[str, Any]]:
    """The links of the answer and of its objects, each with a string `href`."""
    holders = [document, *(item for item, field, _ in _slots(document, kind) if field == "id")]
    for holder in holders:
        links = holder.get("links")
        for link in links if isinstance(links, list) else []:
            if isinstance(link, dict) and isinstance(link.get("href"), str):
                yield link


def _slots(document: object, kind: SharedKind) -> Iterator[tuple[dict[str, Any], str, CopiedType]]:
    """(object, field, kind of the object the field names) for every id field in `document`."""
    if not isinstance(document, dict) or kind.copied_type is None or kind.takes_id:
        return
    for key in {kind.member, kind.list_key}:
        value = document.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield item, "id", kind.copied_type
                for field, copied_type in _REFERENCES.items():
                    yield item, field, copied_type
    for (key, field), copied_type in _ABOUT.items():
        value = document.get(key)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict):
                yield item, field, copied_type
    associations = document.get(_ASSOCIATIONS)
    for item in associations if isinstance(associations, list) else []:
        if isinstance(item, dict) and item.get("association_type") in _ASSOCIATED:
            yield item, "id", _ASSOCIATED[item["association_type"]]
