"""Creates naming shared objects (flavor, key pair, volume type) that the pod does not have."""

import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.flavors import Flavors
from podsim.handlers import json_body
from podsim.keypairs import Keypairs
from podsim.volume_types import VolumeTypes

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_SERVER_CREATE = re.compile(r"/compute/v2\.1/[^/]+/servers/?")
_VOLUME_CREATE = re.compile(r"/volume/v3/[^/]+/volumes/?")


def references(
    flavors: Flavors, keypairs: Keypairs, types: VolumeTypes
) -> Callable[..., Awaitable[web.StreamResponse]]:
    """A middleware refusing those creates with Nova's 400s and Cinder's 404, as they do."""

    @web.middleware
    async def check(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and _SERVER_CREATE.fullmatch(request.path):
            server = _member(await json_body(request), "server")
            if isinstance(server, dict):
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
