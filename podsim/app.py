"""The aiohttp application of one pod: routes, OpenStack faults and the headers on every answer."""

import logging
import uuid
from collections.abc import Awaitable, Callable

from aiohttp import web

from podsim import versions
from podsim.clock import Clock
from podsim.config import PodConfig
from podsim.faults import BadMethod, Fault, NotFound, fault_body
from podsim.handlers import Collection
from podsim.servers import SERVERS
from podsim.store import Store
from podsim.volumes import VOLUMES

_log = logging.getLogger(__name__)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def build_app(config: PodConfig) -> web.Application:
    """A pod answering Nova under /compute/v2.1 and Cinder under /volume/v3."""
    app = web.Application(middlewares=[_faults])
    for kind in (SERVERS, VOLUMES):
        collection = Collection(kind, config=config, store=Store(), clock=Clock(kind.clock_step))
        app.add_routes(collection.routes())
    app.add_routes(_version_routes())

    async def stamp(request: web.Request, response: web.StreamResponse) -> None:
        request_id = f"req-{uuid.uuid4()}"
        response.headers["x-openstack-request-id"] = request_id
        if request.path.startswith("/compute"):
            response.headers["x-compute-request-id"] = request_id
        response.headers["x-podsim-pod"] = config.name
        response.headers.update(versions.version_headers(request.path, request.headers))

    app.on_response_prepare.append(stamp)
    return app


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as an OpenStack fault body, router misses included."""
    try:
        return await handler(request)
    except Fault as fault:
        return web.json_response(fault.body(), status=fault.status)
    except web.HTTPMethodNotAllowed as exc:
        fault = BadMethod("The method specified is not allowed for this resource.")
        allow = ", ".join(sorted(exc.allowed_methods))
        return web.json_response(fault.body(), status=fault.status, headers={"Allow": allow})
    except web.HTTPNotFound:
        fault = NotFound("The resource could not be found.")
        return web.json_response(fault.body(), status=fault.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        return web.json_response(fault_body(exc.status, exc.reason), status=exc.status)
    except Exception:
        _log.exception("unexpected error answering %s %s", request.method, request.path)
        fault = Fault("Unexpected API Error.")
        return web.json_response(fault.body(), status=fault.status)


def _version_routes() -> list[web.RouteDef]:
    async def nova_versions(request: web.Request) -> web.Response:
        return web.json_response(versions.nova_versions(_origin(request)))

    async def nova_version(request: web.Request) -> web.Response:
        return web.json_response(versions.nova_version(_origin(request)))

    async def cinder_versions(request: web.Request) -> web.Response:
        # Cinder answers its root with 300 Multiple Choices, its /v3/ with 200.
        status = 300 if request.path.rstrip("/") == "/volume" else 200
        return web.json_response(versions.cinder_versions(_origin(request)), status=status)

    paths = {
        nova_versions: ("/compute", "/compute/"),
        nova_version: ("/compute/v2.1", "/compute/v2.1/"),
        cinder_versions: ("/volume", "/volume/", "/volume/v3", "/volume/v3/"),
    }
    return [web.get(path, handler) for handler, each in paths.items() for path in each]


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"
