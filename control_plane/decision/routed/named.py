"""Which resource a request names outside its path, so that it reaches that resource's pod.

Nova's assisted volume snapshots (called by Cinder's file-based drivers) act on the server a
volume is attached to: a create names the volume in its body (`snapshot.volume_id`), a delete
in its query (`delete_info`, a JSON object with `volume_id`). A request that names nothing
readable (or an id no pod could have) names nothing here: the pod judges it.
"""

import json
from urllib.parse import parse_qsl

from control_plane.decision.decisions import Reference
from control_plane.decision.families import RESOURCE_ID
from control_plane.decision.operation import ResourceOperation

__all__ = ["named"]


def named(op: ResourceOperation, method: str, body: bytes) -> Reference | None:
    """The resource of type `op.resource_type` the request names: in its `body` (POST), else
    in its query."""
    if method == "POST":
        document = _json(body)
        section = document.get("snapshot") if isinstance(document, dict) else None
    else:
        # Nova reads webob's `GET` into a dict: the last `delete_info` counts.
        infos = [value for key, value in parse_qsl(op.query) if key == "delete_info"]
        section = _json(infos[-1].encode()) if infos else None
    resource_id = section.get("volume_id") if isinstance(section, dict) else None
    if not isinstance(resource_id, str) or not RESOURCE_ID.fullmatch(resource_id):
        return None
    return Reference(op.resource_type, resource_id)


def _json(text: bytes) -> object:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
