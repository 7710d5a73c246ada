"""Ports: a MAC, fixed IPs from the network's subnets, security groups; router-owned ports."""

import ipaddress
import random
from collections.abc import Sequence

from podsim.network.faults import (
    http_bad_request,
    in_use,
    invalid_input,
    ip_in_use,
    network_not_found,
    port_not_found,
    subnet_not_found,
)
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, touch
from podsim.network.query import to_bool
from podsim.network.security_groups import ensure_default, group_not_found
from podsim.network.subnets import contains, next_address, used_addresses

ROUTER_INTERFACE = "network:router_interface"
ROUTER_GATEWAY = "network:router_gateway"
FLOATING_IP = "network:floatingip"
# Ports made and deleted through the router and floating IP APIs only.
_SERVICE_OWNERS = (ROUTER_INTERFACE, ROUTER_GATEWAY, FLOATING_IP)
_random = random.Random()


def new_port(
    state: NetState, caller: Caller, project_id: str, network: Record, attrs: Record
) -> Record:
    """A port on `network` for `project_id` (routers and floating IPs make theirs here too)."""
    owner = str(attrs.get("device_owner", ""))
    mac = str(attrs.get("mac_address") or _mac())
    if state.where("ports", network_id=network["id"], mac_address=mac):
        raise in_use(
            "MacAddressInUse",
            f"Unable to complete operation for network {network['id']}. "
            f"The mac address {mac} is in use.",
        )
    security = to_bool(attrs.get("port_security_enabled", network["port_security_enabled"]))
    groups = attrs.get("security_groups")
    if groups is None:
        default = ensure_default(state, project_id) if project_id else None
        service = owner.startswith("network:")
        groups = [default["id"]] if default and security and not service else []
    _check_groups(state, caller, groups)
    device_id = str(attrs.get("device_id", ""))
    return state.add(
        "ports",
        project_id,
        {
            "name": str(attrs.get("name", "")),
            "description": str(attrs.get("description", "")),
            "network_id": network["id"],
            "admin_state_up": to_bool(attrs.get("admin_state_up", True)),
            "mac_address": mac,
            "fixed_ips": allocate(state, network, attrs.get("fixed_ips")),
            "device_id": device_id,
            "device_owner": owner,
            "status": "ACTIVE" if device_id else "DOWN",
            "security_groups": list(groups),
            "port_security_enabled": security,
            "allowed_address_pairs": list(attrs.get("allowed_address_pairs") or []),
            "extra_dhcp_opts": [],
            "binding:vnic_type": str(attrs.get("binding:vnic_type", "normal")),
            "ip_allocation": "immediate",
        },
    )


def allocate(state: NetState, network: Record, asked: object) -> list[dict[str, str]]:
    """Fixed IPs: the asked ones (checked), or one per IP version from the first subnet."""
    subnets = [state.table("subnets")[subnet_id] for subnet_id in network["subnets"]]
    if asked is None:
        result, versions = [], set()
        for subnet in subnets:
            address = next_address(state, subnet)
            if address is not None and subnet["ip_version"] not in versions:
                versions.add(subnet["ip_version"])
                result.append({"subnet_id": subnet["id"], "ip_address": address})
        return result
    if not isinstance(asked, list):
        raise invalid_input(f"Invalid data format for fixed IP: '{asked}'")
    return [_fixed(state, network, subnets, item) for item in asked]


def _fixed(
    state: NetState, network: Record, subnets: Sequence[Record], item: object
) -> dict[str, str]:
    if not isinstance(item, dict):
        raise invalid_input(f"Invalid data format for fixed IP: '{item}'")
    address, subnet_id = item.get("ip_address"), item.get("subnet_id")
    if subnet_id is not None:
        subnet = next((s for s in subnets if s["id"] == subnet_id), None)
        if subnet is None:
            if subnet_id not in state.table("subnets"):
                raise subnet_not_found(str(subnet_id))
            raise invalid_input(
                f"Failed to create port on network {network['id']}, because fixed_ips "
                f"included invalid subnet {subnet_id}"
            )
    elif address is not None:
        subnet = next((s for s in subnets if contains(s, str(address))), None)
        if subnet is None:
            raise invalid_input(
                f"IP address {address} is not a valid IP for any of the subnets on the "
                "specified network"
            )
    else:
        raise invalid_input(f"Invalid data format for fixed IP: '{item}'")
    if address is None:
        address = next_address(state, subnet)
        if address is None:
            raise in_use(
                "IpAddressGenerationFailure",
                f"No more IP addresses available on network {network['id']}.",
            )
    address = str(ipaddress.ip_address(str(address)))
    if not contains(subnet, address):
        raise invalid_input(f"IP address {address} is not a valid IP for the specified subnet")
    if address in used_addresses(state, subnet["id"]):
        raise ip_in_use(network["id"], address)
    return {"subnet_id": subnet["id"], "ip_address": address}


def _check_groups(state: NetState, caller: Caller, groups: object) -> None:
    if not isinstance(groups, list):
        raise invalid_input(f"'{groups}' is not a list")
    for group_id in groups:
        group = state.table("security_groups").get(str(group_id))
        if group is None or not caller.owns(group):
            raise group_not_found(str(group_id))


def delete_port(state: NetState, port: Record) -> None:
    """Forget a port and the floating IPs' association with it."""
    for fip in state.where("floatingips", port_id=port["id"]):
        fip.update(port_id=None, fixed_ip_address=None, router_id=None, status="DOWN")
        touch(fip)
    del state.table("ports")[port["id"]]


def _create(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    network_id = attrs.get("network_id")
    if network_id is None:
        raise http_bad_request(
            "Failed to parse request. Required attribute 'network_id' not specified"
        )
    network = state.table("networks").get(str(network_id))
    if network is None or not _usable(caller, network):
        raise network_not_found(str(network_id))
    ensure_default(state, project_id)
    return new_port(state, caller, project_id, network, attrs)


def _usable(caller: Caller, network: Record) -> bool:
    return caller.owns(network) or network["shared"] or network["router:external"]


def _update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    if "security_groups" in attrs:
        _check_groups(state, caller, attrs["security_groups"])
    for key in ("admin_state_up", "port_security_enabled"):
        if key in attrs:
            attrs[key] = to_bool(attrs[key])
    if "fixed_ips" in attrs:
        network = state.table("networks")[record["network_id"]]
        old, record["fixed_ips"] = record["fixed_ips"], []
        try:
            attrs["fixed_ips"] = allocate(state, network, attrs["fixed_ips"])
        finally:
            record["fixed_ips"] = old
    record.update(attrs)
    if "device_id" in attrs:
        record["status"] = "ACTIVE" if record["device_id"] else "DOWN"
    touch(record)


def _delete(state: NetState, caller: Caller, record: Record) -> None:
    if record["device_owner"] in _SERVICE_OWNERS:
        raise in_use(
            "ServicePortInUse",
            f"Port {record['id']} cannot be deleted directly via the port API: "
            f"has device owner {record['device_owner']}.",
        )
    delete_port(state, record)


def _visible(state: NetState, caller: Caller, record: Record) -> bool:
    """Own ports, and those on the caller's networks (Neutron's ADMIN_OR_NET_OWNER)."""
    return caller.owns(record) or caller.owns(state.table("networks").get(record["network_id"], {}))


def _fixed_ips_filter(record: Record, values: Sequence[str]) -> bool:
    """`fixed_ips=ip_address=X`, `fixed_ips=subnet_id=Y`: some fixed IP matches each key."""
    wanted: dict[str, set[str]] = {}
    for value in values:
        key, _, item = value.partition("=")
        wanted.setdefault(key, set()).add(item)
    return all(
        any(fixed.get(key) in items for fixed in record["fixed_ips"])
        for key, items in wanted.items()
    )


def _mac() -> str:
    return "fa:16:3e:" + ":".join(f"{_random.randrange(256):02x}" for _ in range(3))


PORTS = NetKind(
    collection="ports",
    member="port",
    not_found=port_not_found,
    strict_marker=True,
    attributes=COMMON
    | names(
        "name network_id admin_state_up mac_address fixed_ips device_id device_owner status "
        "security_groups port_security_enabled allowed_address_pairs extra_dhcp_opts "
        "binding:vnic_type ip_allocation"
    ),
    sort_keys=names(
        "id name network_id admin_state_up mac_address device_id device_owner status project_id "
        "tenant_id created_at updated_at"
    ),
    create_keys=names(
        "name description network_id admin_state_up mac_address fixed_ips device_id device_owner "
        "security_groups port_security_enabled allowed_address_pairs binding:vnic_type"
    ),
    update_keys=names(
        "name description admin_state_up fixed_ips device_id device_owner security_groups "
        "port_security_enabled allowed_address_pairs binding:vnic_type"
    ),
    create=_create,
    update=_update,
    delete=_delete,
    visible=_visible,
    filters={"fixed_ips": _fixed_ips_filter},
)
