"""Baseline: Trio2o's list, asking the pods one after another (aiohttp, uvloop).

    python -m bench.baselines.trio2o_lists DB_URL PORT

Trio2o's nova_apigw walked the pods in a loop, so a list costs the sum of the pods' times.
This does the same for `GET /v2.1/{project}/servers/detail[?availability_zone=AZ]`: every pod
(of that AZ) in turn, pages concatenated, sorted newest first, AZ names shown as the gateway's.
"""

import asyncio
import json
import sys

import aiohttp
import uvloop
from aiohttp import web

from bench.baselines.table import load_tables
from control_plane.model import Pod

_AZ = "OS-EXT-AZ:availability_zone"


def merged(pages: list[tuple[Pod, list[dict]]]) -> list[dict]:
    """All pods' servers, each with its user-facing AZ, newest first (Nova's default order)."""
    servers = [{**item, _AZ: pod.az_name} for pod, items in pages for item in items]
    servers.sort(key=lambda item: (item.get("created_at", ""), item.get("id", "")), reverse=True)
    return servers


def make_app(pods: list[Pod]) -> web.Application:
    app = web.Application()

    async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        app["session"] = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=256))
        yield
        await app["session"].close()

    async def list_detail(request: web.Request) -> web.Response:
        project = request.match_info["project"]
        zone = request.query.get("availability_zone")
        pages = []
        for pod in pods:
            if zone is not None and pod.az_name != zone:
                continue
            url = f"{pod.endpoints['compute']}/{project}/servers/detail"
            async with request.app["session"].get(url) as answer:
                pages.append((pod, (await answer.json())["servers"]))
        body = json.dumps({"servers": merged(pages)})
        return web.Response(body=body, content_type="application/json")

    app.cleanup_ctx.append(session_ctx)
    app.router.add_get("/v2.1/{project}/servers/detail", list_detail)
    return app


def main() -> None:
    db_url, port = sys.argv[1], int(sys.argv[2])
    uvloop.install()
    tables = asyncio.run(load_tables(db_url))
    print(f"trio2o lists: {len(tables.pods)} pods, listening on {port}", flush=True)
    web.run_app(make_app(list(tables.pods.values())), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
