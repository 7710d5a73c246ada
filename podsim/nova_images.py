"""Nova's image proxy (`images`, microversions up to 2.35) and its `extensions` list.

Pods behind one gateway share one image service, so every podsim starts with the same images
(the same ids in every pod). Nova's views: brief (`id`, `name`, `links`) and detail, links
self, bookmark and the image service's `alternate`; lists paged by `limit` and `marker` with
a next link on a full page; metadata read and written whole or by key. Above 2.35 the proxy
answers 404, as Nova does.
"""

import uuid
from typing import Any

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body, meta_value
from podsim.kind import MAX_LIMIT
from podsim.proxy_versions import gated as _gated

__all__ = ["NovaImages", "extension_routes"]

_BASE = "/compute/v2.1/{project_id}/images"
_GLANCE = "http://glance.podsim.invalid"
_CREATED = "2024-01-01T00:00:00Z"
# The image service's images, as every pod sees them.
_IMAGES = (
    ("cirros-0.6.2-x86_64-disk", 21430272, {"hw_disk_bus": "virtio"}),
    ("podsim-image", 1048576, {}),
)
# A few of Nova's v2.1 extensions (nova/api/openstack/compute/extension_info.py), by alias.
_EXTENSIONS = (
    ("Keypairs", "os-keypairs", "Keypair Support."),
    ("ServerGroups", "os-server-groups", "The Server Group API Extension."),
    ("Volumes", "os-volumes", "Volumes support."),
    ("Images", "images", "Images."),
)


class NovaImages:
    """The pod's view of the shared image service, through Nova's proxy."""

    def __init__(self) -> None:
        self._images = {
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"podsim-image/{name}")): {
                "name": name,
                "size": size,
                "metadata": dict(metadata),
            }
            for name, size, metadata in _IMAGES
        }

    def routes(self) -> list[web.RouteDef]:
        """Routes to add to the app (`detail` before `{id}`)."""
        meta = f"{_BASE}/{{image_id}}/metadata"
        return [
            web.get(_BASE, _gated(self.index)),
            web.get(f"{_BASE}/detail", _gated(self.detail)),
            web.get(f"{_BASE}/{{image_id}}", _gated(self.show)),
            web.delete(f"{_BASE}/{{image_id}}", _gated(self.delete)),
            web.get(meta, _gated(self.metadata)),
            web.post(meta, _gated(self.update_metadata)),
            web.put(meta, _gated(self.replace_metadata)),
            web.get(f"{meta}/{{key}}", _gated(self.meta_item)),
            web.put(f"{meta}/{{key}}", _gated(self.set_meta_item)),
            web.delete(f"{meta}/{{key}}", _gated(self.delete_meta_item)),
        ]

    async def index(self, request: web.Request) -> web.Response:
        return web.json_response(self._page(request, detail=False))

    async def detail(self, request: web.Request) -> web.Response:
        return web.json_response(self._page(request, detail=True))

    async def show(self, request: web.Request) -> web.Response:
        image_id = self._id(request)
        return web.json_response({"image": self._view(request, image_id, detail=True)})

    async def delete(self, request: web.Request) -> web.Response:
        del self._images[self._id(request)]
        return web.Response(status=204)

    async def metadata(self, request: web.Request) -> web.Response:
        return web.json_response({"metadata": self._image(request)["metadata"]})

    async def update_metadata(self, request: web.Request) -> web.Response:
        """POST: merged into the image's metadata."""
        image = self._image(request)
        image["metadata"] |= await _metadata(request)
        return web.json_response({"metadata": image["metadata"]})

    async def replace_metadata(self, request: web.Request) -> web.Response:
        """PUT: the image's metadata replaced."""
        image = self._image(request)
        image["metadata"] = await _metadata(request)
        return web.json_response({"metadata": image["metadata"]})

    async def meta_item(self, request: web.Request) -> web.Response:
        key, metadata = request.match_info["key"], self._image(request)["metadata"]
        if key not in metadata:
            raise NotFound("Image not found.")
        return web.json_response({"meta": {key: metadata[key]}})

    async def set_meta_item(self, request: web.Request) -> web.Response:
        image, key = self._image(request), request.match_info["key"]
        value = await meta_value(request, key)
        image["metadata"][key] = value
        return web.json_response({"meta": {key: value}})

    async def delete_meta_item(self, request: web.Request) -> web.Response:
        key, metadata = request.match_info["key"], self._image(request)["metadata"]
        if key not in metadata:
            raise NotFound("Image not found.")
        del metadata[key]
        return web.Response(status=204)

    def _page(self, request: web.Request, *, detail: bool) -> dict[str, Any]:
        ids = sorted(
            (i for i, image in self._images.items() if _matches(image, request)),
            key=lambda i: (self._images[i]["name"], i),
        )
        marker = request.query.get("marker")
        if marker is not None:
            if marker not in ids:
                raise BadRequest(f"marker [{marker}] not found")
            ids = ids[ids.index(marker) + 1 :]
        raw_limit = request.query.get("limit", str(MAX_LIMIT))
        if not raw_limit.isdigit():
            raise BadRequest("limit param must be an integer")
        limit = min(int(raw_limit), MAX_LIMIT)
        shown = ids[:limit]
        body: dict[str, Any] = {"images": [self._view(request, i, detail=detail) for i in shown]}
        if shown and len(shown) == limit:
            query = [(k, v) for k, v in request.query.items() if k != "marker"]
            query.append(("marker", shown[-1]))
            params = "&".join(f"{k}={v}" for k, v in query)
            href = f"{_origin(request)}{request.path}?{params}"
            body["images_links"] = [{"rel": "next", "href": href}]
        return body

    def _view(self, request: web.Request, image_id: str, *, detail: bool) -> dict[str, Any]:
        image = self._images[image_id]
        project = request.match_info["project_id"]
        origin = _origin(request)
        links = [
            {"rel": "self", "href": f"{origin}/compute/v2.1/{project}/images/{image_id}"},
            {"rel": "bookmark", "href": f"{origin}/compute/{project}/images/{image_id}"},
            {
                "rel": "alternate",
                "type": "application/vnd.openstack.image",
                "href": f"{_GLANCE}/images/{image_id}",
            },
        ]
        if not detail:
            return {"id": image_id, "name": image["name"], "links": links}
        return {
            "id": image_id,
            "name": image["name"],
            "minRam": 0,
            "minDisk": 0,
            "metadata": dict(image["metadata"]),
            "created": _CREATED,
            "updated": _CREATED,
            "status": "ACTIVE",
            "progress": 100,
            "links": links,
            "OS-EXT-IMG-SIZE:size": image["size"],
        }

    def _id(self, request: web.Request) -> str:
        image_id = request.match_info["image_id"]
        if image_id not in self._images:
            raise NotFound("Image not found.")
        return image_id

    def _image(self, request: web.Request) -> dict[str, Any]:
        return self._images[self._id(request)]


def extension_routes() -> list[web.RouteDef]:
    """`extensions` and `extensions/{alias}`: the same in every pod."""
    views = {
        alias: {
            "name": name,
            "alias": alias,
            "description": description,
            "namespace": f"http://docs.openstack.org/compute/ext/fake_xml/{alias}/api/v1.1",
            "updated": "2014-12-03T00:00:00Z",
            "links": [],
        }
        for name, alias, description in _EXTENSIONS
    }
    base = "/compute/v2.1/{project_id}/extensions"

    async def index(request: web.Request) -> web.Response:
        return web.json_response({"extensions": list(views.values())})

    async def show(request: web.Request) -> web.Response:
        alias = request.match_info["alias"]
        if alias not in views:
            raise NotFound("The resource could not be found.")
        return web.json_response({"extension": views[alias]})

    return [web.get(base, index), web.get(f"{base}/{{alias}}", show)]


async def _metadata(request: web.Request) -> dict[str, Any]:
    body = await json_body(request)
    metadata = body.get("metadata") if isinstance(body, dict) else None
    if not isinstance(metadata, dict):
        raise BadRequest("Malformed request body")
    return dict(metadata)


def _matches(image: dict[str, Any], request: web.Request) -> bool:
    name = request.query.get("name")
    status = request.query.get("status")
    return (name is None or image["name"] == name) and status in (None, "ACTIVE")


def _origin(request: web.Request) -> str:
    return f"{request.scheme}://{request.host}"
