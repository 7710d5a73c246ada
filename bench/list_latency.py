"""Latency of a merged detail list over 1, 3 and 10 simulated pods, through real Envoy.

    .venv/bin/python -m bench.list_latency [--pods 1,3,10] [--items 20] [--limit 50] [--runs 20]

Starts podsim pods, the control plane and Envoy on free loopback ports (stopped by PID at the
end), puts `--items` servers into each pod, then times `--runs` requests of
`GET /v2.1/{p}/servers/detail?limit=N` on one keep-alive connection after a warm-up. It also
times the pure merge (`listing.merge`) alone, to show how it scales with pods and page size.
"""

import argparse
import http.client
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from control_plane.decision.lists.listing import FROM_START, Entry, Stream, merge
from control_plane.decision.lists.query import SortOrder
from harness.gateway import Gateway
from harness.procs import SimPod, start_podsim, wait_for
from podgate_api.admin.v1 import admin_pb2

PROJECT = "b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8"


def _post(url: str, body: dict) -> None:
    parts = url.split("/", 3)
    connection = http.client.HTTPConnection(parts[2], timeout=10)
    connection.request(
        "POST", "/" + parts[3], json.dumps(body), {"content-type": "application/json"}
    )
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 202:
        raise RuntimeError(f"create failed: {response.status}")


def _gateway_latency(root: Path, pods: int, items: int, limit: int, runs: int) -> list[float]:
    """Milliseconds of each timed request."""
    sims: list[SimPod] = []
    gateway = Gateway(state_dir=root / f"pods{pods}" / "state")
    gateway.state_dir.mkdir(parents=True)
    try:
        for i in range(pods):
            sims.append(start_podsim(f"pod{i}", f"nova-{i}", root / f"pods{pods}"))
        gateway.start_control_plane()
        gateway.start_envoy()
        admin = gateway.admin()
        for sim in sims:
            endpoints = {"compute": sim.compute_url, "volumev3": sim.volume_url}
            admin.CreatePod(
                admin_pb2.CreatePodRequest(
                    pod=admin_pb2.Pod(name=sim.name, az_name=f"az-{sim.name}", endpoints=endpoints)
                )
            )
            for n in range(items):
                _post(f"{sim.compute_url}/{PROJECT}/servers", {"server": {"name": f"vm{n}"}})
        wait_for(lambda: len(gateway.envoy_clusters()) == 2 * pods, timeout=5, what="pod clusters")
        connection = http.client.HTTPConnection("127.0.0.1", gateway.compute_port, timeout=10)
        path = f"/v2.1/{PROJECT}/servers/detail?limit={limit}"
        timings = []
        for run in range(runs + 3):
            started = time.perf_counter()
            connection.request("GET", path)
            response = connection.getresponse()
            body = json.loads(response.read())
            elapsed = (time.perf_counter() - started) * 1000
            if response.status != 200 or len(body["servers"]) != min(limit, pods * items):
                raise RuntimeError(f"unexpected answer {response.status}")
            if run >= 3:
                timings.append(elapsed)
        connection.close()
        return timings
    finally:
        gateway.stop()
        for sim in sims:
            sim.proc.stop()


def _merge_cost(pods: int, per_pod: int, limit: int, runs: int = 50) -> float:
    """Microseconds per merge of `pods` sorted pages of `per_pod` entries, cut at `limit`."""
    order = SortOrder(("created", "id"), (True, True), (True, False))
    start = datetime(2026, 1, 1, tzinfo=UTC)
    streams = []
    for p in range(pods):
        entries = []
        for n in range(per_pod):
            item = {
                "created": (start - timedelta(seconds=n * pods + p)).isoformat(),
                "id": f"{p}-{n}",
            }
            entries.append(Entry(f"pod{p}", item["id"], item, order.key(item)))
        streams.append(Stream(f"pod{p}", tuple(entries), exhausted=False, start=FROM_START))
    started = time.perf_counter()
    for _ in range(runs):
        merge(streams, limit=limit)
    return (time.perf_counter() - started) / runs * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pods", default="1,3,10")
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    counts = [int(count) for count in args.pods.split(",")]
    with tempfile.TemporaryDirectory(prefix="podgate-bench-") as tmp:
        print(f"detail list, {args.items} servers per pod, limit {args.limit}, {args.runs} runs")
        print("pods  median ms  p90 ms  min ms")
        for pods in counts:
            timings = sorted(_gateway_latency(Path(tmp), pods, args.items, args.limit, args.runs))
            p90 = timings[int(len(timings) * 0.9) - 1]
            print(f"{pods:>4}  {statistics.median(timings):>9.1f}  {p90:>6.1f}  {timings[0]:>6.1f}")
    print("\nmerge alone (pure), microseconds per page")
    print("pods  limit 50  limit 1000")
    for pods in counts:
        small = _merge_cost(pods, 51, 50)
        large = _merge_cost(pods, 1001, 1000, runs=5)
        print(f"{pods:>4}  {small:>8.0f}  {large:>10.0f}")


if __name__ == "__main__":
    main()
