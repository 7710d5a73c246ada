"""Floating IPs: an address of an external network, associated with a port through a router."""

from podsim.network.faults import (
    NeutronFault,
    bad_request,
    floatingip_not_found,
    http_bad_request,
    in_use,
    network_not_found,
    not_found,
    port_not_found,
)
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, touch
from podsim.network.ports import FLOATING_IP, ROUTER_INTERFACE, delete_port, new_port


def _create(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    net_id = attrs.get("floating_network_id")
    if net_id is None:
        raise http_bad_request(
            "Failed to parse request. Required attribute 'floating_network_id' not specified"
        )
    network = state.table("networks").get(str(net_id))
    if network is None or not (caller.owns(network) or network["router:external"]):
        raise network_not_found(str(net_id))
    if not network["router:external"]:
        raise bad_request("floatingip", f"Network {net_id} is not a valid external network")
    fixed: dict[str, str] = {}
    if attrs.get("subnet_id") is not None:
        fixed["subnet_id"] = str(attrs["subnet_id"])
    if attrs.get("floating_ip_address") is not None:
        fixed["ip_address"] = str(attrs["floating_ip_address"])
    fip = state.add(
        "floatingips",
        project_id,
        {
            "description": str(attrs.get("description", "")),
            "floating_network_id": network["id"],
            "floating_ip_address": None,
            "router_id": None,
            "port_id": None,
            "fixed_ip_address": None,
            "status": "DOWN",
        },
    )
    try:
        if not network["subnets"]:
            raise NeutronFault(
                400,
                "ExternalIpAddressExhausted",
                f"Unable to find any IP address on external network {network['id']}.",
            )
        port = new_port(
            state,
            caller,
            "",
            network,
            {
                "fixed_ips": [fixed] if fixed else None,
                "device_id": fip["id"],
                "device_owner": FLOATING_IP,
            },
        )
        fip["floating_ip_address"] = port["fixed_ips"][0]["ip_address"]
        _associate(state, caller, fip, attrs.get("port_id"), attrs.get("fixed_ip_address"))
    except NeutronFault:
        _forget(state, fip)
        raise
    return fip


def _associate(
    state: NetState, caller: Caller, fip: Record, port_id: object, fixed_ip: object
) -> None:
    """Point the floating IP at a port's fixed IP (None: at nothing)."""
    if port_id is None:
        fip.update(port_id=None, fixed_ip_address=None, router_id=None, status="DOWN")
        return
    port = state.table("ports").get(str(port_id))
    if port is None or not caller.owns(port):
        raise port_not_found(str(port_id))
    candidates = [
        f for f in port["fixed_ips"] if fixed_ip is None or f["ip_address"] == str(fixed_ip)
    ]
    if not candidates:
        raise bad_request(
            "floatingip",
            f"Port {port_id} does not have fixed ip {fixed_ip}"
            if fixed_ip is not None
            else f"Port {port_id} does not have any fixed IP",
        )
    chosen = candidates[0]
    for other in state.where("floatingips", port_id=port["id"]):
        same = other["fixed_ip_address"] == chosen["ip_address"]
        if (
            other["id"] != fip["id"]
            and same
            and other["floating_network_id"] == fip["floating_network_id"]
        ):
            raise in_use(
                "FloatingIPPortAlreadyAssociated",
                f"Cannot associate floating IP {fip['floating_ip_address']} ({fip['id']}) with "
                f"port {port['id']} using fixed IP {chosen['ip_address']}, as that fixed IP "
                f"already has a floating IP on external network {fip['floating_network_id']}.",
            )
    router = _router_between(state, fip["floating_network_id"], chosen["subnet_id"])
    if router is None:
        raise not_found(
            "ExternalGatewayForFloatingIPNotFound",
            f"External network {fip['floating_network_id']} is not reachable from subnet "
            f"{chosen['subnet_id']}.  Therefore, cannot associate Port {port['id']} with a "
            "Floating IP.",
        )
    fip.update(
        port_id=port["id"],
        fixed_ip_address=chosen["ip_address"],
        router_id=router["id"],
        status="ACTIVE",
    )


def _router_between(state: NetState, external_net: str, subnet_id: str) -> Record | None:
    """A router with its gateway on `external_net` and an interface on `subnet_id`."""
    for router in state.table("routers").values():
        gateway = router["external_gateway_info"]
        if not gateway or gateway["network_id"] != external_net:
            continue
        for port in state.where("ports", device_id=router["id"], device_owner=ROUTER_INTERFACE):
            if any(fixed["subnet_id"] == subnet_id for fixed in port["fixed_ips"]):
                return router
    return None


def _update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    if "port_id" in attrs:
        _associate(state, caller, record, attrs.pop("port_id"), attrs.pop("fixed_ip_address", None))
    elif "fixed_ip_address" in attrs:
        _associate(state, caller, record, record["port_id"], attrs.pop("fixed_ip_address"))
    record.update(attrs)
    touch(record)


def _forget(state: NetState, fip: Record) -> None:
    for port in state.where("ports", device_id=fip["id"], device_owner=FLOATING_IP):
        delete_port(state, port)
    state.table("floatingips").pop(fip["id"], None)


def _delete(state: NetState, caller: Caller, record: Record) -> None:
    _forget(state, record)


FLOATINGIPS = NetKind(
    collection="floatingips",
    member="floatingip",
    not_found=floatingip_not_found,
    strict_marker=False,
    attributes=COMMON
    | names("floating_network_id floating_ip_address router_id port_id fixed_ip_address status"),
    sort_keys=names(
        "id floating_network_id floating_ip_address router_id port_id fixed_ip_address status "
        "project_id tenant_id created_at updated_at"
    ),
    create_keys=names(
        "description floating_network_id floating_ip_address subnet_id port_id fixed_ip_address"
    ),
    update_keys=names("description port_id fixed_ip_address"),
    create=_create,
    update=_update,
    delete=_delete,
)
