"""Routers: an external gateway on an external network, interfaces by subnet or by port."""

from podsim.network.faults import (
    bad_request,
    in_use,
    ip_in_use,
    network_not_found,
    not_found,
    port_in_use,
    port_not_found,
    router_not_found,
    subnet_not_found,
)
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, touch
from podsim.network.networks import availability_zone_hints
from podsim.network.ports import ROUTER_GATEWAY, ROUTER_INTERFACE, delete_port, new_port
from podsim.network.query import to_bool
from podsim.network.subnets import used_addresses


def interface_info(router: Record, port: Record) -> dict:
    """What add/remove_router_interface answer."""
    subnet_ids = [fixed["subnet_id"] for fixed in port["fixed_ips"]]
    return {
        "id": router["id"],
        "tenant_id": router["project_id"],
        "project_id": router["project_id"],
        "port_id": port["id"],
        "network_id": port["network_id"],
        "subnet_id": subnet_ids[0] if subnet_ids else None,
        "subnet_ids": subnet_ids,
    }


def add_interface(state: NetState, caller: Caller, router: Record, body: object) -> dict:
    """PUT /routers/{id}/add_router_interface with `subnet_id` or `port_id`."""
    subnet_id, port_id = _interface_ids(body)
    if port_id is not None:
        port = state.table("ports").get(port_id)
        if port is None or not caller.owns(port):
            raise port_not_found(port_id)
        if port["device_id"]:
            raise port_in_use(port_id, port["network_id"], port["device_id"])
        if not port["fixed_ips"]:
            raise bad_request("router", "Router port must have at least one fixed IP")
        for fixed in port["fixed_ips"]:
            _check_new_subnet(state, router, fixed["subnet_id"])
        port.update(device_id=router["id"], device_owner=ROUTER_INTERFACE, status="ACTIVE")
        touch(port)
        return interface_info(router, port)
    subnet = state.table("subnets").get(str(subnet_id))
    if subnet is None or not caller.owns(subnet):
        raise subnet_not_found(str(subnet_id))
    if subnet["gateway_ip"] is None:
        raise bad_request("router", "Subnet for router interface must have a gateway IP")
    _check_new_subnet(state, router, subnet["id"])
    if subnet["gateway_ip"] in used_addresses(state, subnet["id"]):
        raise ip_in_use(subnet["network_id"], subnet["gateway_ip"])
    network = state.table("networks")[subnet["network_id"]]
    port = new_port(
        state,
        caller,
        router["project_id"],
        network,
        {
            "fixed_ips": [{"subnet_id": subnet["id"], "ip_address": subnet["gateway_ip"]}],
            "device_id": router["id"],
            "device_owner": ROUTER_INTERFACE,
        },
    )
    touch(router)
    return interface_info(router, port)


def remove_interface(state: NetState, caller: Caller, router: Record, body: object) -> dict:
    """PUT /routers/{id}/remove_router_interface: the interface's port goes."""
    subnet_id, port_id = _interface_ids(body, both=True)
    ports = state.where("ports", device_id=router["id"], device_owner=ROUTER_INTERFACE)
    if port_id is not None:
        port = next((p for p in ports if p["id"] == port_id), None)
        if port is None:
            raise not_found(
                "RouterInterfaceNotFound",
                f"Router {router['id']} does not have an interface with id {port_id}",
            )
    else:
        port = next(
            (p for p in ports if any(f["subnet_id"] == subnet_id for f in p["fixed_ips"])), None
        )
        if port is None:
            if subnet_id not in state.table("subnets"):
                raise subnet_not_found(str(subnet_id))
            raise not_found(
                "RouterInterfaceNotFoundForSubnet",
                f"Router {router['id']} has no interface on subnet {subnet_id}",
            )
    for fixed in port["fixed_ips"]:
        if _floating_ips_through(state, router, fixed["subnet_id"]):
            raise in_use(
                "RouterInterfaceInUseByFloatingIP",
                f"Router interface for subnet {fixed['subnet_id']} on router {router['id']} "
                "cannot be deleted, as it is required by one or more floating IPs.",
            )
    info = interface_info(router, port)
    delete_port(state, port)
    touch(router)
    return info


def _floating_ips_through(state: NetState, router: Record, subnet_id: str) -> bool:
    for fip in state.where("floatingips", router_id=router["id"]):
        port = state.table("ports").get(fip["port_id"])
        if port and any(fixed["subnet_id"] == subnet_id for fixed in port["fixed_ips"]):
            return True
    return False


def _interface_ids(body: object, *, both: bool = False) -> tuple[str | None, str | None]:
    if not isinstance(body, dict):
        raise bad_request("router", "Either subnet_id or port_id must be specified")
    subnet_id, port_id = body.get("subnet_id"), body.get("port_id")
    if subnet_id is None and port_id is None:
        raise bad_request("router", "Either subnet_id or port_id must be specified")
    if subnet_id is not None and port_id is not None and not both:
        raise bad_request("router", "Cannot specify both subnet-id and port-id")
    return (
        None if subnet_id is None else str(subnet_id),
        None if port_id is None else str(port_id),
    )


def _check_new_subnet(state: NetState, router: Record, subnet_id: str) -> None:
    for port in state.where("ports", device_id=router["id"], device_owner=ROUTER_INTERFACE):
        if any(fixed["subnet_id"] == subnet_id for fixed in port["fixed_ips"]):
            raise bad_request("router", f"Router already has a port on subnet {subnet_id}")


def _set_gateway(state: NetState, caller: Caller, router: Record, info: object) -> None:
    """Replace the router's gateway port (None: no gateway)."""
    old = router["external_gateway_info"]
    if info is not None and not isinstance(info, dict):
        raise bad_request("router", f"Invalid external_gateway_info {info}")
    new_net = info.get("network_id") if info else None
    if old and old["network_id"] != new_net and state.where("floatingips", router_id=router["id"]):
        raise in_use(
            "RouterExternalGatewayInUseByFloatingIp",
            f"Gateway cannot be updated for router {router['id']}, since a gateway to external "
            f"network {old['network_id']} is required by one or more floating IPs.",
        )
    network = None
    if info:
        network = state.table("networks").get(str(new_net))
        if network is None or not (caller.owns(network) or network["router:external"]):
            raise network_not_found(str(new_net))
        if not network["router:external"]:
            raise bad_request("router", f"Network {new_net} is not an external network")
    for port in state.where("ports", device_id=router["id"], device_owner=ROUTER_GATEWAY):
        delete_port(state, port)
    router["external_gateway_info"] = None
    if network is None or info is None:
        return
    port = new_port(
        state,
        caller,
        "",
        network,
        {
            "fixed_ips": info.get("external_fixed_ips"),
            "device_id": router["id"],
            "device_owner": ROUTER_GATEWAY,
        },
    )
    router["external_gateway_info"] = {
        "network_id": network["id"],
        "enable_snat": to_bool(info.get("enable_snat", True)),
        "external_fixed_ips": [dict(fixed) for fixed in port["fixed_ips"]],
    }


def _create(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    hints = availability_zone_hints(state, attrs.get("availability_zone_hints"))
    router = state.add(
        "routers",
        project_id,
        {
            "name": str(attrs.get("name", "")),
            "description": str(attrs.get("description", "")),
            "admin_state_up": to_bool(attrs.get("admin_state_up", True)),
            "status": "ACTIVE",
            "external_gateway_info": None,
            "routes": list(attrs.get("routes") or []),
            "availability_zone_hints": hints,
            "availability_zones": [state.az],
        },
    )
    try:
        _set_gateway(state, caller, router, attrs.get("external_gateway_info"))
    except Exception:
        del state.table("routers")[router["id"]]
        raise
    return router


def _update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    if "external_gateway_info" in attrs:
        _set_gateway(state, caller, record, attrs.pop("external_gateway_info"))
    if "admin_state_up" in attrs:
        attrs["admin_state_up"] = to_bool(attrs["admin_state_up"])
    record.update(attrs)
    touch(record)


def _delete(state: NetState, caller: Caller, record: Record) -> None:
    if state.where("ports", device_id=record["id"], device_owner=ROUTER_INTERFACE):
        raise in_use("RouterInUse", f"Router {record['id']} still has ports")
    for port in state.where("ports", device_id=record["id"], device_owner=ROUTER_GATEWAY):
        delete_port(state, port)
    del state.table("routers")[record["id"]]


ROUTERS = NetKind(
    collection="routers",
    member="router",
    not_found=router_not_found,
    strict_marker=True,
    attributes=COMMON
    | names(
        "name admin_state_up status external_gateway_info routes availability_zone_hints "
        "availability_zones"
    ),
    sort_keys=names("id name status admin_state_up project_id tenant_id created_at updated_at"),
    create_keys=names(
        "name description admin_state_up external_gateway_info routes availability_zone_hints"
    ),
    update_keys=names("name description admin_state_up external_gateway_info routes"),
    create=_create,
    update=_update,
    delete=_delete,
)
