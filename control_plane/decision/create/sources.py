"""Snapshots and backups are made from a volume, so they are created in that volume's pod.

The create body names the source volume (`snapshot.volume_id`, `backup.volume_id`); nothing is
scheduled. A backup may name an availability zone: the user-facing name of the volume's pod is
rewritten to the pod's own, any other is left for the pod to judge.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from control_plane.decision.resources import SPECS
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType

__all__ = ["SourcedCreate", "parse_sourced", "sourced_body"]

_SOURCE = "volume_id"
_AZ = "availability_zone"


@dataclass(frozen=True, slots=True)
class SourcedCreate:
    """A snapshot or backup create request: its source volume and the JSON as sent."""

    resource_type: ResourceType
    volume_id: str
    document: Mapping[str, Any]


def parse_sourced(resource_type: ResourceType, body: bytes) -> SourcedCreate:
    """Read the source volume of a create body; BadRequest when there is none."""
    member = SPECS[resource_type].member
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise BadRequest("Malformed request body: it is not valid JSON.") from None
    if not isinstance(document, dict) or not isinstance(document.get(member), dict):
        raise BadRequest(f"Missing required element '{member}' in request body.")
    volume_id = document[member].get(_SOURCE)
    if not isinstance(volume_id, str) or not volume_id:
        raise BadRequest(
            f"Invalid input for field/attribute {member}. '{_SOURCE}' is a required property."
        )
    return SourcedCreate(resource_type, volume_id, document)


def sourced_body(create: SourcedCreate, pod: Pod) -> bytes | None:
    """The body the pod gets; None when it is the client's unchanged."""
    member = SPECS[create.resource_type].member
    resource = create.document[member]
    if create.resource_type is not ResourceType.BACKUP or resource.get(_AZ) != pod.az_name:
        return None
    rewritten = dict(resource)
    if pod.pod_az_name:
        rewritten[_AZ] = pod.pod_az_name
    else:
        rewritten.pop(_AZ)
    return json.dumps({**create.document, member: rewritten}, ensure_ascii=False).encode()
