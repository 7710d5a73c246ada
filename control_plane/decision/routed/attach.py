"""Which resource an attach request names, so that both can be checked for one pod.

A resource can only use resources of its own pod. Nova's `os-volume_attachments` names the
volume (`volumeAttachment.volumeId`), Cinder's `os-attach` action names the server
(`instance_uuid`); Neutron's router update names its gateway's network
(`router.external_gateway_info.network_id`), `add_router_interface` a subnet or a port
(`subnet_id`, `port_id`), a floating IP update the port it is associated with
(`floatingip.port_id`). A body that names nothing, or that cannot be read, is the pod's to
judge and names nothing here.
"""

import json

from control_plane.decision.create.references import gateway_network
from control_plane.decision.decisions import Reference
from control_plane.model import ResourceType

__all__ = ["referenced"]

_SUBNET, _PORT = ResourceType.SUBNET, ResourceType.PORT


def referenced(owner: ResourceType, body: bytes) -> Reference | None:
    """The resource that a request on an `owner` names in its body."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    match owner:
        case ResourceType.SERVER:
            return _named(document.get("volumeAttachment"), "volumeId", ResourceType.VOLUME)
        case ResourceType.VOLUME:
            return _named(document.get("os-attach"), "instance_uuid", ResourceType.SERVER)
        case ResourceType.ROUTER if isinstance(router := document.get("router"), dict):
            return gateway_network(router.get("external_gateway_info"))
        case ResourceType.ROUTER:
            return _named(document, "subnet_id", _SUBNET) or _named(document, "port_id", _PORT)
        case ResourceType.FLOATING_IP:
            return _named(document.get("floatingip"), "port_id", _PORT)
    return None


def _named(section: object, field: str, resource_type: ResourceType) -> Reference | None:
    if not isinstance(section, dict):
        return None
    resource_id = section.get(field)
    if not isinstance(resource_id, str) or not resource_id:
        return None
    return Reference(resource_type, resource_id)
