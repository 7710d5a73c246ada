"""`network-ip-availabilities` (admin only): each network's and subnet's total and used IPs.

Totals count the subnets' allocation pools, uses the ports' fixed IPs (neutron/db/
network_ip_availability_db.py). Non-admins get an empty list, and for one network the body
Neutron's policy hook writes itself: `{"type": "HTTPNotFound", ...}`, without `NeutronError`.
"""

import ipaddress
from typing import Any

from podsim.network.model import NetState, Record
from podsim.network.subnets import used_addresses

ATTRIBUTES = frozenset(
    {"network_id", "network_name", "project_id", "tenant_id", "ip_version", "total_ips",
     "used_ips", "subnet_ip_availability"}
)  # fmt: skip
HIDDEN = {"type": "HTTPNotFound", "message": "The resource could not be found.", "detail": ""}


def availability(state: NetState, network: Record) -> dict[str, Any]:
    """One network's availability."""
    subnets = [state.table("subnets")[subnet_id] for subnet_id in network["subnets"]]
    per_subnet = [_subnet(state, subnet) for subnet in subnets]
    return {
        "network_id": network["id"],
        "network_name": network["name"],
        "project_id": network["project_id"],
        "tenant_id": network["project_id"],
        "total_ips": sum(item["total_ips"] for item in per_subnet),
        "used_ips": sum(item["used_ips"] for item in per_subnet),
        "subnet_ip_availability": per_subnet,
    }


def ip_version_filter(record: Record, values: Any) -> bool:
    """`ip_version=4`: networks with a subnet of that version."""
    versions = {str(item["ip_version"]) for item in record["subnet_ip_availability"]}
    return bool(versions.intersection(values))


def _subnet(state: NetState, subnet: Record) -> dict[str, Any]:
    total = 0
    for pool in subnet["allocation_pools"]:
        start, end = ipaddress.ip_address(pool["start"]), ipaddress.ip_address(pool["end"])
        total += int(end) - int(start) + 1
    return {
        "subnet_id": subnet["id"],
        "subnet_name": subnet["name"],
        "cidr": subnet["cidr"],
        "ip_version": subnet["ip_version"],
        "total_ips": total,
        "used_ips": len(used_addresses(state, subnet["id"])),
    }
