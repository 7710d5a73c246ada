"""Nova and Cinder at the root too: `/v2.1/...` and `/v3/...`, as pods whose catalogs publish
`http://h:8774/v2.1` and `http://h:8776/v3/$(project_id)s` serve them (a gateway in front can
then tell such a pod its own host, and the pod's links are the gateway's).

podsim mounts them under `/compute` and `/volume` (devstack's layout); a request at the root is
answered as the same request under its mount, remembered as coming from the root so that its
links leave the mount out (links.app_url). `/` is Nova's version list.
"""

from collections.abc import Awaitable, Callable

from aiohttp import web

__all__ = ["AT_ROOT", "at_root"]

# Request key: the request came without its mount.
AT_ROOT = "podsim.at_root"
_MOUNTS = (("/v2.1", "/compute"), ("/v3", "/volume"))

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def at_root(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer a root request as its mounted twin (the outermost middleware)."""
    mount = _mount(request.path)
    if mount is None:
        return await handler(request)
    request[AT_ROOT] = True  # the clone below takes a copy of the request's state
    mounted = request.clone(rel_url=mount + request.raw_path)
    # NOTE: routing happens before middlewares, so the twin goes through the app once more.
    return await request.app._handle(mounted)


def _mount(path: str) -> str | None:
    if path == "/":
        return "/compute"
    for version, mount in _MOUNTS:
        if path == version or path.startswith(f"{version}/"):
            return mount
    return None
