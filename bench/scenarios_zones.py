"""The renamed-zone scenario: GETs of known ids in a pod that calls its zone otherwise than
users do (pod0: `nova-0` inside, `az1` at the gateway), so Envoy renames the zone in each
answer (control_plane/xds/zones.lua) on the fast path. Envoy-direct reaches the same pod, whose
answers name the pod's own zone: the two differ only by the rewrite."""

import json
import urllib.request
import uuid
from pathlib import Path

__all__ = ["LABEL", "RENAMED_POD", "check_renamed", "ids_file", "renamed_routings"]

RENAMED_POD = "pod0"
LABEL = "2b. Podgate GET known id, renamed zone (2k)"
# Few enough that the fast path's 20 000 entries hold them beside the 10 000 other known ids.
_IDS = 2_000
_AZ = "OS-EXT-AZ:availability_zone"


def ids_file(root: Path) -> Path:
    return root / "renamed.txt"


def renamed_routings(root: Path) -> dict[str, str]:
    """New server ids in the renamed pod (id -> pod), also written to `ids_file(root)`."""
    ids = [str(uuid.uuid4()) for _ in range(_IDS)]
    ids_file(root).write_text("".join(f"{resource_id}\n" for resource_id in ids))
    return dict.fromkeys(ids, RENAMED_POD)


def check_renamed(root: Path, gateway: str, direct: str, user_az: str, pod_az: str) -> None:
    """Podgate shows the user's zone where Envoy-direct shows the pod's, for the same id."""
    resource_id = ids_file(root).read_text().split()[0]
    for where, base, zone in (("podgate", gateway, user_az), ("Envoy-direct", direct, pod_az)):
        with urllib.request.urlopen(f"{base}/servers/{resource_id}", timeout=10) as answer:
            shown = json.loads(answer.read())["server"].get(_AZ)
        if shown != zone:
            raise RuntimeError(f"{where} GET renamed-zone id: zone {shown!r}, expected {zone!r}")
