"""Extra specs, as Nova keeps them on flavors and Cinder on volume types (same routes, shapes)."""

from aiohttp import web

from podsim.faults import BadRequest, NotFound
from podsim.handlers import json_body
from podsim.store import Record

__all__ = ["ExtraSpecs"]


class ExtraSpecs:
    """The extra-spec handlers of a collection whose records carry an `extra_specs` dict.

    Subclasses name the record (`_get`), the noun of their 404 and the 400 for a body without
    `extra_specs`, each in their API's words.
    """

    _noun: str
    _specs_missing: str

    def _get(self, request: web.Request) -> Record:
        raise NotImplementedError

    async def extra_specs(self, request: web.Request) -> web.Response:
        """GET all extra specs."""
        return web.json_response({"extra_specs": self._get(request)["extra_specs"]})

    async def add_extra_specs(self, request: web.Request) -> web.Response:
        """POST: merge the given specs."""
        body = await json_body(request)
        specs = body.get("extra_specs") if isinstance(body, dict) else None
        if not isinstance(specs, dict):
            raise BadRequest(self._specs_missing)
        self._get(request)["extra_specs"].update(specs)
        return web.json_response({"extra_specs": specs})

    async def delete_extra_spec(self, request: web.Request) -> web.Response:
        """DELETE one extra spec: 202."""
        record, key = self._get(request), request.match_info["key"]
        if record["extra_specs"].pop(key, None) is None:
            raise NotFound(f"{self._noun} {record['id']} has no extra specs with key {key}.")
        return web.Response(status=202)
