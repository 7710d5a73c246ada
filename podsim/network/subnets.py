"""Subnets of a network, and the addresses ports take from them."""

import ipaddress

from podsim.network.faults import (
    bad_request,
    http_bad_request,
    invalid_input,
    network_not_found,
    subnet_in_use,
    subnet_not_found,
)
from podsim.network.model import COMMON, Caller, NetKind, NetState, Record, names, touch
from podsim.network.query import to_bool

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def used_addresses(state: NetState, subnet_id: str) -> set[str]:
    """The addresses of the subnet's ports."""
    return {
        fixed["ip_address"]
        for port in state.table("ports").values()
        for fixed in port["fixed_ips"]
        if fixed["subnet_id"] == subnet_id
    }


def next_address(state: NetState, subnet: Record) -> str | None:
    """The lowest free address of the subnet's allocation pools (None when all are taken)."""
    used = used_addresses(state, subnet["id"]) | {subnet["gateway_ip"]}
    for pool in subnet["allocation_pools"]:
        address = ipaddress.ip_address(pool["start"])
        end = ipaddress.ip_address(pool["end"])
        while address <= end:
            if str(address) not in used:
                return str(address)
            address += 1
    return None


def contains(subnet: Record, address: str) -> bool:
    """The address belongs to the subnet's CIDR."""
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(subnet["cidr"])
    except ValueError:
        return False


def _create(state: NetState, caller: Caller, project_id: str, attrs: Record) -> Record:
    for key in ("network_id", "ip_version"):
        if key not in attrs:
            raise http_bad_request(
                f"Failed to parse request. Required attribute '{key}' not specified"
            )
    network = state.table("networks").get(str(attrs["network_id"]))
    if network is None or not (caller.owns(network) or network["shared"]):
        raise network_not_found(str(attrs["network_id"]))
    if attrs["ip_version"] not in (4, 6, "4", "6"):
        raise http_bad_request(
            f"Invalid input for ip_version. Reason: '{attrs['ip_version']}' is not in [4, 6]."
        )
    version = int(attrs["ip_version"])
    cidr = _cidr(attrs.get("cidr"), version)
    gateway = _gateway(attrs, cidr)
    pools = _pools(attrs.get("allocation_pools"), cidr, gateway)
    _check_overlap(state, network, cidr)
    subnet = state.add(
        "subnets",
        project_id,
        {
            "name": str(attrs.get("name", "")),
            "description": str(attrs.get("description", "")),
            "network_id": network["id"],
            "ip_version": version,
            "cidr": str(cidr),
            "gateway_ip": gateway,
            "allocation_pools": [dict(pool) for pool in pools],
            "enable_dhcp": to_bool(attrs.get("enable_dhcp", True)),
            "dns_nameservers": list(attrs.get("dns_nameservers") or []),
            "host_routes": list(attrs.get("host_routes") or []),
            "ipv6_ra_mode": attrs.get("ipv6_ra_mode"),
            "ipv6_address_mode": attrs.get("ipv6_address_mode"),
            "subnetpool_id": None,
            "segment_id": None,
            "service_types": [],
        },
    )
    network["subnets"].append(subnet["id"])
    touch(network)
    return subnet


def _update(state: NetState, caller: Caller, record: Record, attrs: Record) -> None:
    if "enable_dhcp" in attrs:
        attrs["enable_dhcp"] = to_bool(attrs["enable_dhcp"])
    if "gateway_ip" in attrs and attrs["gateway_ip"] is not None:
        if not contains(record, str(attrs["gateway_ip"])):
            raise invalid_input(
                f"Gateway IP {attrs['gateway_ip']} conflicts with subnet {record['cidr']}"
            )
    record.update(attrs)
    touch(record)


def _delete(state: NetState, caller: Caller, record: Record) -> None:
    if used_addresses(state, record["id"]):
        raise subnet_in_use(record["id"])
    network = state.table("networks").get(record["network_id"])
    if network is not None and record["id"] in network["subnets"]:
        network["subnets"].remove(record["id"])
        touch(network)
    del state.table("subnets")[record["id"]]


def _visible(state: NetState, caller: Caller, record: Record) -> bool:
    """Own subnets, those on the caller's networks, and those of shared or external ones."""
    network = state.table("networks").get(record["network_id"], {})
    seen_network = network.get("shared") or network.get("router:external")
    return caller.owns(record) or caller.owns(network) or bool(seen_network)


def _cidr(raw: object, version: int) -> Network:
    if raw is None:
        raise bad_request("subnets", "a subnetpool must be specified in the absence of a cidr")
    try:
        cidr = ipaddress.ip_network(str(raw), strict=False)
    except ValueError:
        raise http_bad_request(
            f"Invalid input for cidr. Reason: '{raw}' is not a valid IP subnet."
        ) from None
    if cidr.version != version:
        raise invalid_input(f"Cidr {raw} does not match ip_version {version}")
    if cidr.num_addresses < 4:
        raise invalid_input(f"Invalid CIDR {raw} for IP version {version}")
    return cidr


def _gateway(attrs: Record, cidr: Network) -> str | None:
    if "gateway_ip" not in attrs:
        return str(cidr.network_address + 1)
    gateway = attrs["gateway_ip"]
    if gateway is None:
        return None
    try:
        address = ipaddress.ip_address(str(gateway))
    except ValueError:
        raise http_bad_request(
            f"Invalid input for gateway_ip. Reason: '{gateway}' is not a valid IP address."
        ) from None
    if address not in cidr:
        raise invalid_input(f"Gateway IP {gateway} conflicts with subnet {cidr}")
    return str(address)


def _pools(asked: object, cidr: Network, gateway: str | None) -> list[dict[str, str]]:
    """The asked allocation pools, checked; by default the usable range without the gateway."""
    if asked is None or asked == []:
        return _default_pools(cidr, gateway)
    if not isinstance(asked, list) or not all(isinstance(pool, dict) for pool in asked):
        raise invalid_input(f"Invalid data format for IP pool: '{asked}'")
    pools = []
    for pool in asked:
        try:
            start = ipaddress.ip_address(str(pool["start"]))
            end = ipaddress.ip_address(str(pool["end"]))
        except (KeyError, ValueError):
            raise invalid_input(f"Invalid data format for IP pool: '{pool}'") from None
        if start not in cidr or end not in cidr:
            raise bad_request(
                "subnets",
                f"The allocation pool {start}-{end} spans beyond the subnet cidr {cidr}",
            )
        if end < start:
            raise bad_request("subnets", f"The allocation pool {start}-{end} is not valid")
        pools.append({"start": str(start), "end": str(end)})
    return pools


def _default_pools(cidr: Network, gateway: str | None) -> list[dict[str, str]]:
    """The usable addresses (IPv4: without network and broadcast) minus the gateway."""
    first = cidr.network_address + 1
    last = cidr.broadcast_address - 1 if cidr.version == 4 else cidr.broadcast_address
    ranges = [(first, last)]
    if gateway is not None:
        address = ipaddress.ip_address(gateway)
        if first <= address <= last:
            ranges = [(first, address - 1), (address + 1, last)]  # type: ignore[operator]
    return [{"start": str(a), "end": str(b)} for a, b in ranges if a <= b]


def _check_overlap(state: NetState, network: Record, cidr: Network) -> None:
    for subnet_id in network["subnets"]:
        other = state.table("subnets")[subnet_id]
        if ipaddress.ip_network(other["cidr"]).overlaps(cidr):  # type: ignore[arg-type]
            raise bad_request(
                "subnets",
                f"Invalid input for operation: Requested subnet with cidr: {cidr} for network: "
                f"{network['id']} overlaps with another subnet",
            )


SUBNETS = NetKind(
    collection="subnets",
    member="subnet",
    not_found=subnet_not_found,
    strict_marker=False,
    attributes=COMMON
    | names(
        "name network_id ip_version cidr gateway_ip allocation_pools enable_dhcp dns_nameservers "
        "host_routes ipv6_ra_mode ipv6_address_mode subnetpool_id segment_id service_types"
    ),
    sort_keys=names(
        "id name network_id ip_version cidr gateway_ip enable_dhcp project_id tenant_id "
        "created_at updated_at"
    ),
    create_keys=names(
        "name description network_id ip_version cidr gateway_ip allocation_pools enable_dhcp "
        "dns_nameservers host_routes ipv6_ra_mode ipv6_address_mode"
    ),
    update_keys=names(
        "name description gateway_ip allocation_pools enable_dhcp dns_nameservers host_routes"
    ),
    create=_create,
    update=_update,
    delete=_delete,
    visible=_visible,
)
