"""A server's ports in the pod's own Neutron, as Nova makes them.

Each `networks` entry of a create is a port: a new one on the network named by `uuid` (with its
`fixed_ip` if asked), or the existing `port`, bound to the server. Nova shows them as the
server's `addresses` (its network info cache, filled at boot here) and, on delete, deletes the
ports it made and unbinds the ones it was given. `networks: none` or `auto` makes none.
"""

from typing import Any

from podsim.kind import Record
from podsim.network.model import Caller, NetState, touch
from podsim.network.ports import delete_port, new_port

__all__ = ["addresses", "interfaces", "plug", "unplug"]


def plug(state: NetState, server: Record) -> None:
    """Give `server` its ports and record their addresses on it."""
    entries = server["request"].get("networks")
    project = server["project_id"]
    owner = f"compute:{server['availability_zone']}"
    made = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        port = state.table("ports").get(str(entry.get("port", "")))
        if port is not None:
            port.update(device_id=server["uuid"], device_owner=owner, status="ACTIVE")
            touch(port)
            continue
        network = state.table("networks").get(str(entry.get("uuid", "")))
        if network is None:
            continue
        fixed = entry.get("fixed_ip")
        attrs: dict[str, Any] = {"device_id": server["uuid"], "device_owner": owner}
        if fixed:
            attrs["fixed_ips"] = [{"ip_address": fixed}]
        made.append(new_port(state, Caller(project, admin=False), project, network, attrs)["id"])
    server["made_ports"] = made
    server["addresses"] = addresses(state, server["uuid"])


def unplug(state: NetState, server: Record) -> None:
    """Delete the ports Nova made for `server`; unbind the ones it was given."""
    made = set(server.get("made_ports", ()))
    for port in state.where("ports", device_id=server["uuid"]):
        if port["id"] in made:
            delete_port(state, port)
        else:
            port.update(device_id="", device_owner="", status="DOWN")
            touch(port)
    server["addresses"] = {}


def addresses(state: NetState, server_id: str) -> dict[str, list[dict[str, Any]]]:
    """Nova's `addresses`: by network name, each fixed IP with its version and the port's MAC."""
    shown: dict[str, list[dict[str, Any]]] = {}
    networks = state.table("networks")
    for port in state.where("ports", device_id=server_id):
        name = networks[port["network_id"]]["name"]
        for fixed in port["fixed_ips"]:
            shown.setdefault(name, []).append(
                {
                    "version": 6 if ":" in fixed["ip_address"] else 4,
                    "addr": fixed["ip_address"],
                    "OS-EXT-IPS:type": "fixed",
                    "OS-EXT-IPS-MAC:mac_addr": port["mac_address"],
                }
            )
    return shown


def interfaces(state: NetState, server_id: str) -> list[dict[str, Any]]:
    """Nova's `interfaceAttachments` of a server (before 2.70, without tags)."""
    return [
        {
            "port_state": port["status"],
            "fixed_ips": [dict(fixed) for fixed in port["fixed_ips"]],
            "port_id": port["id"],
            "net_id": port["network_id"],
            "mac_addr": port["mac_address"],
        }
        for port in state.where("ports", device_id=server_id)
    ]
