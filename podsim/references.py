"""Creates naming what the pod does not have: shared objects (flavor, key pair, volume type),
and a server's networks, ports and security groups, looked for in the pod's own Neutron."""

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.flavors import Flavors
from podsim.handlers import json_body
from podsim.keypairs import Keypairs
from podsim.network.model import NetState
from podsim.volume_types import VolumeTypes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SERVER_CREATE = re.compile(r"/compute/v2\.1/([^/]+)/servers/?")
_VOLUME_CREATE = re.compile(r"/volume/v3/[^/]+/volumes/?")


def references(
    flavors: Flavors, keypairs: Keypairs, types: VolumeTypes, network: NetState
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware refusing those creates with Nova's 400s and Cinder's 404, as they do."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        server_create = _SERVER_CREATE.fullmatch(request.path)
        if request.method == "POST" and server_create:
            server = _member(await json_body(request), "server")
            if isinstance(server, dict):
                _check_network(network, server_create.group(1), server)
                flavor = server.get("flavorRef")
                if flavor is not None and not flavors.exists(str(flavor)):
                    raise BadRequest(f"Flavor {flavor} could not be found.")
                key_name = server.get("key_name")
                if key_name is not None and not keypairs.exists(request, str(key_name)):
                    raise BadRequest("Invalid key_name provided.")
        elif request.method == "POST" and _VOLUME_CREATE.fullmatch(request.path):
            volume = _member(await json_body(request), "volume")
            volume_type = volume.get("volume_type") if volume is not None else None
            if volume_type is not None and types.find(str(volume_type)) is None:
                raise NotFound(f"Volume type with name {volume_type} could not be found.")
        return await handler(request)

    return check


def _member(body: object, key: str) -> dict | None:
    """The create's resource document; malformed bodies are left for the handler to refuse."""
    member = body.get(key) if isinstance(body, dict) else None
    return member if isinstance(member, dict) else None


def _check_network(network: NetState, project: str, server: dict) -> None:
    """Nova asks its Neutron for every network, port and security group the server names."""
    entries = server.get("networks")
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, dict):
            continue
        uuid, port = entry.get("uuid"), entry.get("port")
        if isinstance(uuid, str) and not _usable_network(network, project, uuid):
            raise BadRequest(f"Network {uuid} could not be found.")
        if (
            isinstance(port, str)
            and network.table("ports").get(port, {}).get("project_id") != project
        ):
            raise BadRequest(f"Port {port} could not be found.")
    groups = server.get("security_groups")
    for group in groups if isinstance(groups, list) else []:
        name = group.get("name") if isinstance(group, dict) else None
        if isinstance(name, str) and name != "default" and not _group(network, project, name):
            raise BadRequest(f"Security group {name} not found for project {project}.")


def _usable_network(network: NetState, project: str, uuid: str) -> bool:
    record = network.table("networks").get(uuid)
    if record is None:
        return False
    return record["project_id"] == project or record["shared"] or record["router:external"]


def _group(network: NetState, project: str, name: str) -> bool:
    return any(
        group["id"] == name or group.get("name") == name
        for group in network.where("security_groups", project_id=project)
    )
