"""Requests/s through Podgate in keystone mode with the token cache warm vs disabled, one run.

    .venv/bin/python -m bench.token_cache [--seconds 10] [--connections 8]

Starts a real Keystone (the tests' cached venv), one podsim pod, and two gateways (control
plane + Envoy each) on free loopback ports: one with the default token cache, one with
`token_cache_ttl_s = 0` (every request validated by Keystone). Each is driven in turn with
`GET /v2.1/{project}/servers/{id}` on kept-alive connections; prints requests/s, p50/p99 latency
and the ratio. Everything is stopped by PID at the end.
"""

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import aiohttp

from harness import keystone_venv
from harness.gateway import Gateway
from harness.keystone import ADMIN, DEMO, Keystone, start_keystone
from harness.procs import SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2


def _gateway(root: Path, keystone: Keystone, sim: SimPod, ttl: float) -> Gateway:
    gateway = Gateway(
        state_dir=root / f"ttl{ttl:g}",
        extra_env=keystone.gateway_env(PODGATE_KEYSTONE_TOKEN_CACHE_TTL_S=str(ttl)),
    )
    gateway.state_dir.mkdir(parents=True)
    gateway.start_control_plane()
    gateway.start_envoy()
    endpoints = {"compute": sim.compute_url, "volumev3": sim.volume_url}
    gateway.admin().CreatePod(
        admin_pb2.CreatePodRequest(
            pod=admin_pb2.Pod(name="pod1", az_name="az1", endpoints=endpoints)
        ),
        metadata=(("x-auth-token", keystone.token(*ADMIN)),),
    )
    wait_for(lambda: "pod.pod1.compute" in gateway.envoy_clusters(), timeout=5, what="cluster")
    return gateway


async def _drive(url: str, token: str, seconds: float, connections: int) -> tuple[int, list[float]]:
    """Requests completed and their latencies (ms) over `seconds` with `connections` workers."""
    latencies: list[float] = []
    deadline = time.monotonic() + seconds
    headers = {"x-auth-token": token}

    async def worker(http: aiohttp.ClientSession) -> None:
        while time.monotonic() < deadline:
            started = time.perf_counter()
            async with http.get(url, headers=headers) as resp:
                await resp.read()
                if resp.status != 200:
                    raise RuntimeError(f"unexpected {resp.status}")
            latencies.append((time.perf_counter() - started) * 1000)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(worker(http) for _ in range(connections)))
    return len(latencies), latencies


async def _create_server(base: str, token: str) -> str:
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{base}/servers", json={"server": {"name": "bench"}}, headers={"x-auth-token": token}
        ) as resp:
            return (await resp.json())["server"]["id"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    keystone_venv.ensure()
    with tempfile.TemporaryDirectory(prefix="podgate-bench-") as tmp:
        root = Path(tmp)
        (root / "keystone").mkdir()
        keystone = start_keystone(keystone_venv.venv_path(), root / "keystone")
        sim = start_podsim("pod1", "nova", root)
        gateways: list[Gateway] = []
        try:
            keystone.seed()
            token = keystone.token(*DEMO)
            project = keystone.project_ids["demo"]
            results = {}
            for label, ttl in (("cache warm", 300.0), ("cache disabled", 0.0)):
                gateway = _gateway(root, keystone, sim, ttl)
                gateways.append(gateway)
                base = f"{gateway.compute_url}/{project}"
                server_id = asyncio.run(_create_server(base, token))
                url = f"{base}/servers/{server_id}"
                asyncio.run(_drive(url, token, 1, args.connections))  # warm-up
                count, latencies = asyncio.run(_drive(url, token, args.seconds, args.connections))
                latencies.sort()
                results[label] = count / args.seconds
                print(
                    f"{label:>15}: {count / args.seconds:8.0f} req/s  "
                    f"p50 {statistics.median(latencies):6.1f} ms  "
                    f"p99 {latencies[int(len(latencies) * 0.99) - 1]:6.1f} ms"
                )
                gateway.stop()
            ratio = results["cache warm"] / results["cache disabled"]
            print(f"warm cache / no cache: {ratio:.1f}x requests/s")
        finally:
            for gateway in gateways:
                gateway.stop()
            sim.proc.stop()
            keystone.stop()


if __name__ == "__main__":
    main()
