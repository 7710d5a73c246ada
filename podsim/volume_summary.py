"""Cinder's `GET volumes/summary` (3.12+): how many volumes, their total size and, from 3.36,
every distinct metadata value by key."""

from aiohttp import web

from podsim.cinder_lists import volume_version
from podsim.handlers import all_tenants
from podsim.store import Store

__all__ = ["volume_summary_routes"]

_METADATA = (3, 36)


def volume_summary_routes(volumes: Store) -> list[web.RouteDef]:
    """The route; register it before `volumes/{id}` so that `summary` is not taken for an id."""

    async def summary(request: web.Request) -> web.Response:
        project_id = request.match_info["project_id"]
        every = all_tenants(list(request.query.items()))
        records = volumes.every_record() if every else volumes.records(project_id)
        document: dict = {
            "total_count": len(records),
            "total_size": sum(record["size"] for record in records),
        }
        if volume_version(request) >= _METADATA:
            metadata: dict[str, list[str]] = {}
            for record in records:
                for key, value in record["metadata"].items():
                    values = metadata.setdefault(key, [])
                    if value not in values:
                        values.append(value)
            document["metadata"] = metadata
        return web.json_response({"volume-summary": document})

    return [web.get("/volume/v3/{project_id}/volumes/summary", summary)]
