"""What an accepted volume transfer moves: the volume its pod's answer names.

Cinder answers `POST .../os-volume-transfer/{id}/accept` (and `volume-transfers/{id}/accept`)
with `{"transfer": {"id", "name", "volume_id", "links"}}`; from then on the volume is the
accepting project's, so its routing must name that project or the new owner's requests would
be refused as another project's. Pure: acceptance.py stores the move.
"""

import json

__all__ = ["accepted_volume"]


def accepted_volume(status: int, body: bytes) -> str | None:
    """The id of the volume a transfer's acceptance gave away; None unless the pod accepted."""
    if not 200 <= status < 300:
        return None
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    transfer = document.get("transfer") if isinstance(document, dict) else None
    volume_id = transfer.get("volume_id") if isinstance(transfer, dict) else None
    return volume_id if isinstance(volume_id, str) and volume_id else None
