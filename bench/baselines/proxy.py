"""Baseline: a plain aiohttp reverse proxy (uvloop) routing GET by id from the same table.

    python -m bench.baselines.proxy DB_URL PORT

The table (server id → pod) is loaded from Podgate's store into a dict at start, so each
request costs one dict lookup plus Python carrying the request and answer, the approach the
prototype measured at about 0.4x of Envoy-direct.
"""

import asyncio
import sys

import aiohttp
import uvloop
from aiohttp import web

from bench.baselines.table import load_tables

_PASSED = ("content-type", "x-openstack-request-id", "openstack-api-version")


def make_app(endpoints: dict[str, str], servers: dict[str, str]) -> web.Application:
    """GET /v2.1/{project}/servers/{id} forwarded to `{compute endpoint}/{project}/servers/{id}`."""
    app = web.Application()

    async def session_ctx(app: web.Application):  # type: ignore[no-untyped-def]
        connector = aiohttp.TCPConnector(limit=256, limit_per_host=64)
        app["session"] = aiohttp.ClientSession(connector=connector, auto_decompress=False)
        yield
        await app["session"].close()

    async def get_server(request: web.Request) -> web.Response:
        project, server = request.match_info["project"], request.match_info["server"]
        pod = servers.get(server)
        if pod is None:
            return web.json_response({"itemNotFound": {"code": 404, "message": ""}}, status=404)
        url = f"{endpoints[pod]}/{project}/servers/{server}"
        async with request.app["session"].get(url) as answer:
            body = await answer.read()
            headers = {k: v for k, v in answer.headers.items() if k.lower() in _PASSED}
            return web.Response(status=answer.status, body=body, headers=headers)

    app.cleanup_ctx.append(session_ctx)
    app.router.add_get("/v2.1/{project}/servers/{server}", get_server)
    return app


def main() -> None:
    db_url, port = sys.argv[1], int(sys.argv[2])
    uvloop.install()
    tables = asyncio.run(load_tables(db_url))
    endpoints = {name: pod.endpoints["compute"] for name, pod in tables.pods.items()}
    print(f"proxy: {len(tables.servers)} servers, listening on {port}", flush=True)
    web.run_app(make_app(endpoints, tables.servers), host="127.0.0.1", port=port, print=None)


if __name__ == "__main__":
    main()
