"""Which resource of the other API an attach request names, so both can be checked for one pod.

A server can only use a volume of its own pod. Nova's `os-volume_attachments` names the volume
(`volumeAttachment.volumeId`), Cinder's `os-attach` action names the server (`instance_uuid`).
A body that names nothing, or that cannot be read, is the pod's to judge and names nothing here.
"""

import json
from dataclasses import dataclass

from control_plane.model import ResourceType

__all__ = ["Reference", "referenced"]


@dataclass(frozen=True, slots=True)
class Reference:
    """A resource named in a request body."""

    resource_type: ResourceType
    resource_id: str


def referenced(owner: ResourceType, body: bytes) -> Reference | None:
    """The resource of the other API that a request on an `owner` names in its body."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    if owner is ResourceType.SERVER:
        return _named(document.get("volumeAttachment"), "volumeId", ResourceType.VOLUME)
    return _named(document.get("os-attach"), "instance_uuid", ResourceType.SERVER)


def _named(section: object, field: str, resource_type: ResourceType) -> Reference | None:
    if not isinstance(section, dict):
        return None
    resource_id = section.get(field)
    if not isinstance(resource_id, str) or not resource_id:
        return None
    return Reference(resource_type, resource_id)
