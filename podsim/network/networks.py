"""Networks: create, update, delete with Neutron's checks; AZ hints of the pod's one zone."""

from podsim.network.faults import (
    http_bad_request,
    invalid_input,
    network_in_use,
    network_not_found,
    not_found,
)
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, touch
from podsim.network.query import to_bool
from podsim.network.security_groups import ensure_default

# Ports Neutron deletes with their network (it owns them); any other port keeps it in use.
_NETWORK_OWNED = ("network:dhcp",)
_MTU = 1500


def availability_zone_hints(state: NetState, hints: object) -> list[str]:
    """Validated `availability_zone_hints`: a list naming only the pod's zone."""
    if hints is None:
        return []
    if not isinstance(hints, list) or not all(isinstance(hint, str) for hint in hints):
        raise invalid_input(f"'{hints}' is not a list")
    for hint in hints:
        if hint != state.az:
            raise not_found(
                "AvailabilityZoneNotFound", f"AvailabilityZone {hint} could not be found."
            )
    return list(hints)


def _create(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    ensure_default(state, project_id)
    hints = availability_zone_hints(state, attrs.get("availability_zone_hints"))
    return state.add(
        "networks",
        project_id,
        {
            "name": str(attrs.get("name", "")),
            "description": str(attrs.get("description", "")),
            "admin_state_up": to_bool(attrs.get("admin_state_up", True)),
            "status": "ACTIVE",
            "subnets": [],
            "shared": to_bool(attrs.get("shared", False)),
            "router:external": to_bool(attrs.get("router:external", False)),
            "mtu": _mtu(attrs.get("mtu", _MTU)),
            "port_security_enabled": to_bool(attrs.get("port_security_enabled", True)),
            "availability_zone_hints": hints,
            "availability_zones": [state.az],
            "ipv4_address_scope": None,
            "ipv6_address_scope": None,
            "l2_adjacency": True,
        },
    )


def _update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    for key in ("admin_state_up", "shared", "router:external", "port_security_enabled"):
        if key in attrs:
            attrs[key] = to_bool(attrs[key])
    if "mtu" in attrs:
        attrs["mtu"] = _mtu(attrs["mtu"])
    record.update(attrs)
    touch(record)


def _mtu(value: object) -> int:
    """neutron_lib convert_to_int, then the validator of a non-negative MTU."""
    try:
        mtu = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise invalid_input(f"'{value}' is not an integer") from None
    if mtu < 0:
        raise http_bad_request(
            f"Invalid input for mtu. Reason: '{mtu}' is too small - must be at least '0'."
        )
    return mtu


def _delete(state: NetState, caller: Caller, record: Record) -> None:
    ports = state.where("ports", network_id=record["id"])
    if any(port["device_owner"] not in _NETWORK_OWNED for port in ports):
        raise network_in_use(record["id"])
    for port in ports:
        del state.table("ports")[port["id"]]
    for subnet in state.where("subnets", network_id=record["id"]):
        del state.table("subnets")[subnet["id"]]
    del state.table("networks")[record["id"]]


def _visible(state: NetState, caller: Caller, record: Record) -> bool:
    """Own networks, and shared or external ones of anyone (read-only to others)."""
    return caller.owns(record) or record["shared"] or record["router:external"]


_ATTRIBUTES = COMMON | {
    "name", "admin_state_up", "status", "subnets", "shared", "router:external", "mtu",
    "port_security_enabled", "availability_zone_hints", "availability_zones",
    "ipv4_address_scope", "ipv6_address_scope", "l2_adjacency",
}  # fmt: skip

NETWORKS = NetKind(
    collection="networks",
    member="network",
    not_found=network_not_found,
    strict_marker=True,
    attributes=_ATTRIBUTES,
    sort_keys=names(
        "id name status admin_state_up shared mtu project_id tenant_id created_at updated_at "
        "revision_number router:external"
    ),
    create_keys=names(
        "name description admin_state_up shared router:external mtu port_security_enabled "
        "availability_zone_hints"
    ),
    update_keys=names(
        "name description admin_state_up shared router:external mtu port_security_enabled"
    ),
    create=_create,
    update=_update,
    delete=_delete,
    visible=_visible,
)
