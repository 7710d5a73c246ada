"""The aiohttp application of one pod: routes, OpenStack faults and the headers on every answer."""

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim import versions
from podsim.aggregates import Aggregates
from podsim.assisted_snapshots import AssistedSnapshots
from podsim.attacher import Attacher
from podsim.attachment_api import AttachmentApi
from podsim.attachments import Attachments
from podsim.backups import BACKUPS
from podsim.clock import Clock
from podsim.compute_admin import ComputeAdmin
from podsim.config import PodConfig
from podsim.events import ExternalEvents
from podsim.faults import BadMethod, Fault, NotFound, fault_body
from podsim.flavors import Flavors
from podsim.group_types import GroupTypes
from podsim.handlers import Collection, Lifecycle, Source
from podsim.inventory import Inventory
from podsim.keypairs import Keypairs
from podsim.keystone_auth import token_checks
from podsim.lifecycle import server_lifecycle, volume_lifecycle
from podsim.messages import Messages
from podsim.mounts import at_root
from podsim.network.api import PREFIX as NETWORK_PREFIX
from podsim.network.api import NeutronApi, not_found_fault
from podsim.network.model import NetState
from podsim.nova_images import NovaImages, extension_routes
from podsim.nova_networks import NovaNetworks
from podsim.nova_tenant_networks import NovaTenantNetworks
from podsim.nova_volumes import NovaVolumes
from podsim.qos_specs import QosSpecs
from podsim.quotas import cinder_quotas, nova_quotas, quota_checks
from podsim.references import references
from podsim.server_groups import ServerGroups
from podsim.server_parts import ServerParts
from podsim.servers import SERVERS
from podsim.settling import Settling
from podsim.snapshots import SNAPSHOTS
from podsim.store import Store
from podsim.test_hooks import misbehaviour
from podsim.transfers import Transfers
from podsim.volume_admin import VolumeAdmin
from podsim.volume_groups import VolumeGroups
from podsim.volume_parts import VolumeParts
from podsim.volume_summary import volume_summary_routes
from podsim.volume_types import VolumeTypes
from podsim.volumes import VOLUMES, not_found

_log = logging.getLogger(__name__)

# Names the gateway-internal (x-podgate-*) request headers this pod received, with their values.
INTERNAL_HEADERS_SEEN = "x-podsim-internal-headers"
_INTERNAL_PREFIX = "x-podgate-"

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# Version document paths -> the document, and whether it describes compute (else volume).
_DOCUMENTS = {
    "/compute": (versions.nova_versions, True),
    "/compute/": (versions.nova_versions, True),
    "/compute/v2.1": (versions.nova_version, True),
    "/compute/v2.1/": (versions.nova_version, True),
    "/volume": (versions.cinder_versions, False),
    "/volume/": (versions.cinder_versions, False),
    "/volume/v3": (versions.cinder_versions, False),
    "/volume/v3/": (versions.cinder_versions, False),
}


def build_app(config: PodConfig) -> web.Application:
    """A pod answering Nova under /compute/v2.1, Cinder under /volume/v3, Neutron under /network."""
    flavors, keypairs, types = Flavors(), Keypairs(), VolumeTypes()
    network = NetState(config.az)
    tokens = token_checks(config.keystone)
    app = web.Application(
        middlewares=[
            at_root,
            _faults,
            *(check.middleware for check in tokens),
            *misbehaviour(config),
            _microversions(config),
            references(flavors, keypairs, types, network),
        ]
    )
    servers, volumes, snapshots, backups = Store(), Store(), Store(), Store()
    from_volumes = Source(volumes, not_found)
    cinder_clock, settling = Clock(VOLUMES.clock_step), Settling(config.settle_s)
    attacher = Attacher(Store(), cinder_clock, settling)
    app.add_routes(volume_summary_routes(volumes))  # before `volumes/{id}`
    for kind, store, source, lifecycle in (
        (SERVERS, servers, None, server_lifecycle(flavors, volumes, attacher, settling, network)),
        (VOLUMES, volumes, None, volume_lifecycle(types, snapshots)),
        (SNAPSHOTS, snapshots, from_volumes, Lifecycle()),
        (BACKUPS, backups, from_volumes, Lifecycle()),
    ):
        clock = Clock(kind.clock_step)
        collection = Collection(
            kind, config=config, store=store, clock=clock, source=source, lifecycle=lifecycle
        )
        app.add_routes(collection.routes())
    app.add_routes(ServerParts(servers, network).routes())
    app.add_routes(Attachments(servers, volumes, attacher).routes())
    app.add_routes(VolumeParts(volumes, attacher).routes())
    app.add_routes(Transfers(volumes, snapshots, cinder_clock).routes())
    app.add_routes(AttachmentApi(volumes, cinder_clock, attacher.records).routes())
    app.add_routes(VolumeGroups(config, volumes, cinder_clock).routes())
    app.add_routes(Messages(config, cinder_clock).routes())
    app.add_routes(ExternalEvents(servers).routes())
    app.add_routes(flavors.routes())
    app.add_routes(keypairs.routes())
    app.add_routes(types.routes())
    app.add_routes([*GroupTypes().routes(), *QosSpecs(types).routes()])
    nova = nova_quotas(servers, flavors, config.quota_defaults)
    cinder = cinder_quotas(volumes, snapshots, backups, config.quota_defaults)
    app.add_routes(nova.routes(detail=True))
    app.add_routes(cinder.routes(detail=False))
    app.middlewares.append(quota_checks(nova, cinder, flavors))
    inventory = Inventory(config, servers, flavors)
    app.add_routes(inventory.routes())
    app.add_routes(ComputeAdmin(config, inventory, servers, flavors).routes())
    app.add_routes(Aggregates(inventory).routes())
    app.add_routes(VolumeAdmin(config, inventory, volumes, types).routes())
    app.add_routes(_version_routes(config))
    app.add_routes(NeutronApi(network, config.delay).routes())
    app.add_routes(ServerGroups(servers).routes())
    app.add_routes(NovaVolumes(config, volumes, snapshots).routes())
    app.add_routes(NovaImages().routes() + extension_routes())
    app.add_routes(NovaNetworks().routes())
    app.add_routes([*NovaTenantNetworks(network).routes(), *AssistedSnapshots(volumes).routes()])

    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        request_id = request.get("request_id") or f"req-{uuid.uuid4()}"
        response.headers["x-openstack-request-id"] = request_id
        if request.path.startswith("/compute"):
            response.headers["x-compute-request-id"] = request_id
        response.headers["x-podsim-pod"] = config.name
        # Gateway tests check that no client-sent x-podgate-* header ever reaches a pod.
        internal = [f"{k.lower()}={v}" for k, v in request.headers.items() if _internal(k)]
        if internal:
            response.headers[INTERNAL_HEADERS_SEEN] = "; ".join(internal)
        response.headers.update(request.get("version_headers", {}))

    app.on_response_prepare.append(stamp)
    app.on_cleanup.extend(check.close for check in tokens)
    return app


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as an OpenStack fault body, router misses included."""
    request["request_id"] = f"req-{uuid.uuid4()}"
    try:
        return await handler(request)
    except Fault as fault:
        return web.json_response(fault.body(), status=fault.status)
    except web.HTTPMethodNotAllowed as exc:
        fault = BadMethod("The method specified is not allowed for this resource.")
        allow = ", ".join(sorted(exc.allowed_methods))
        return web.json_response(fault.body(), status=fault.status, headers={"Allow": allow})
    except web.HTTPNotFound:
        network = request.path.startswith(NETWORK_PREFIX)
        fault = not_found_fault() if network else NotFound("The resource could not be found.")
        return web.json_response(fault.body(), status=fault.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response(fault_body(exc.status, exc.reason), status=exc.status)
    except Exception:
        _log.exception("unexpected error answering %s %s", request.method, request.path)
        fault = Fault("Unexpected API Error.")
        return web.json_response(fault.body(), status=fault.status)


def _microversions(config: PodConfig) -> Callable[..., Awaitable[web.StreamResponse]]:
    """Negotiate the microversion of every API call before its handler runs (406 outside)."""

    @web.middleware
    async def negotiate(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path not in _DOCUMENTS:
            request["version_headers"] = versions.negotiate(
                request.path,
                request.headers,
                compute=config.compute_versions,
                volume=config.volume_versions,
            )
        return await handler(request)

    return negotiate


def _version_routes(config: PodConfig) -> list[web.RouteDef]:
    async def document(request: web.Request) -> web.Response:
        build, compute = _DOCUMENTS[request.path]
        body = build(
            _origin(request), config.compute_versions if compute else config.volume_versions
        )
        # Cinder answers its root with 300 Multiple Choices, its /v3/ with 200.
        status = 300 if request.path.rstrip("/") == "/volume" else 200
        return web.json_response(body, status=status)

    return [web.get(path, document) for path in _DOCUMENTS]


def _internal(name: str) -> bool:
    return name.lower().startswith(_INTERNAL_PREFIX)


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"
