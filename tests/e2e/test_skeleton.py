"""Walking skeleton through real Envoy: pods registered over gRPC route creates, shows, deletes."""

import json
import subprocess
import time

import aiohttp
import pytest

from harness.gateway import PODGATE, Gateway
from harness.procs import WAIT_S, SimPod, wait_for
from podgate_api.admin.v1 import admin_pb2

pytestmark = pytest.mark.e2e

PROJECT = "0f3e6cbbd6a54a4c9a1b2c3d4e5f6a7b"


_CLUSTERS = {"pod.pod1.compute", "pod.pod1.volumev3", "pod.pod2.compute", "pod.pod2.volumev3"}


def register(gw: Gateway, pods: dict[str, SimPod], *, wait: bool = True) -> None:
    """pod1: users' az-east, inside nova-east; pod2: users' az-west, default AZ inside.

    `wait`: until Envoy routes to both (on a loaded machine a request sent at once can reach
    Envoy before its clusters do).
    """
    admin = gw.admin()
    for name, az, pod_az in (("pod1", "az-east", "nova-east"), ("pod2", "az-west", "")):
        admin.CreatePod(
            admin_pb2.CreatePodRequest(
                pod=admin_pb2.Pod(
                    name=name,
                    az_name=az,
                    pod_az_name=pod_az,
                    endpoints={
                        "compute": pods[name].compute_url,
                        "volumev3": pods[name].volume_url,
                    },
                )
            )
        )
    if wait:
        gw.wait_for_clusters(_CLUSTERS)


async def call(
    http: aiohttp.ClientSession, method: str, url: str, body: object = None
) -> tuple[int, dict, object]:
    async with http.request(method, url, json=body) as resp:
        text = await resp.text()
        data = await resp.json(content_type=None) if text else None
        return resp.status, dict(resp.headers), data


async def test_registered_pods_become_envoy_clusters_at_once(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    assert gateway.envoy_clusters() == set()
    started = time.monotonic()
    register(gateway, sim_pods, wait=False)
    # Pushed on the change (~0.1 s on an idle machine), not on some later poll; the deadline
    # leaves room for a loaded one.
    wait_for(
        lambda: gateway.envoy_clusters() == _CLUSTERS,
        timeout=3,
        what="pod clusters in Envoy",
    )
    print(f"\nregistered pods reached Envoy in {(time.monotonic() - started) * 1000:.0f} ms")


async def test_servers_and_volumes_land_in_their_az_pod_and_are_routed_by_id(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    compute = f"{gateway.compute_url}/{PROJECT}"
    volume = f"{gateway.volume_url}/{PROJECT}"
    async with aiohttp.ClientSession() as http:
        # The key pair a create names must exist in its pod: the gateway writes it to both.
        keypair = {"keypair": {"name": "mykey"}}
        status, _, body = await call(http, "POST", f"{compute}/os-keypairs", keypair)
        assert status == 200, body
        placed: dict[str, str] = {}
        for az, pod in (("az-east", "pod1"), ("az-west", "pod2")):
            status, headers, body = await call(
                http,
                "POST",
                f"{compute}/servers",
                {
                    "server": {
                        "name": f"vm-{az}",
                        "imageRef": "img-1",
                        "flavorRef": "1",
                        "availability_zone": az,
                        "metadata": {"owner": "e2e", "az": az},
                        "key_name": "mykey",
                    }
                },
            )
            assert status == 202, body
            assert headers["x-podsim-pod"] == pod
            server_id = body["server"]["id"]
            placed[server_id] = pod

            # Asked directly, the pod holds the server in its own AZ with every field intact.
            sim = sim_pods[pod]
            _, _, direct = await call(
                http, "GET", f"{sim.compute_url}/{PROJECT}/servers/{server_id}"
            )
            server = direct["server"]
            assert server["OS-EXT-AZ:availability_zone"] == sim.az
            assert server["metadata"] == {"owner": "e2e", "az": az}
            assert server["key_name"] == "mykey"

            status, headers, body = await call(
                http,
                "POST",
                f"{volume}/volumes",
                {
                    "volume": {
                        "size": 1,
                        "name": f"vol-{az}",
                        "availability_zone": az,
                        "metadata": {"k": "v"},
                    }
                },
            )
            assert status == 202, body
            assert headers["x-podsim-pod"] == pod
            assert body["volume"]["availability_zone"] == az  # rewritten back for the user
            volume_id = body["volume"]["id"]
            _, _, direct = await call(
                http, "GET", f"{sim.url}/volume/v3/{PROJECT}/volumes/{volume_id}"
            )
            assert direct["volume"]["availability_zone"] == sim.az
            assert direct["volume"]["metadata"] == {"k": "v"}

            status, headers, body = await call(http, "GET", f"{volume}/volumes/{volume_id}")
            assert (status, headers["x-podsim-pod"]) == (200, pod)
            status, headers, _ = await call(http, "DELETE", f"{volume}/volumes/{volume_id}")
            assert (status, headers["x-podsim-pod"]) == (202, pod)

        for server_id, pod in placed.items():
            status, headers, body = await call(http, "GET", f"{compute}/servers/{server_id}")
            assert (status, headers["x-podsim-pod"]) == (200, pod)
            assert body["server"]["id"] == server_id

        server_id, pod = next(iter(placed.items()))
        status, headers, _ = await call(http, "DELETE", f"{compute}/servers/{server_id}")
        assert (status, headers["x-podsim-pod"]) == (204, pod)
        status, _, body = await call(http, "GET", f"{compute}/servers/{server_id}")
        assert status == 404 and "itemNotFound" in body


async def test_unknown_ids_and_azs_get_openstack_faults(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    async with aiohttp.ClientSession() as http:
        status, headers, body = await call(
            http, "GET", f"{gateway.compute_url}/{PROJECT}/servers/no-such-server"
        )
        assert status == 404
        assert body == {
            "itemNotFound": {"message": "Instance no-such-server could not be found.", "code": 404}
        }
        assert headers["x-openstack-request-id"].startswith("req-")
        assert "x-podsim-pod" not in headers

        status, _, body = await call(
            http, "GET", f"{gateway.volume_url}/{PROJECT}/volumes/no-such-volume"
        )
        assert status == 404
        assert body["itemNotFound"]["message"] == "Volume no-such-volume could not be found."

        status, headers, body = await call(
            http,
            "POST",
            f"{gateway.compute_url}/{PROJECT}/servers",
            {"server": {"name": "x", "availability_zone": "az-mars"}},
        )
        assert status == 400 and "az-mars" in body["badRequest"]["message"]
        assert "x-podsim-pod" not in headers

        async with http.post(
            f"{gateway.compute_url}/{PROJECT}/servers",
            data=b"{not json",
            headers={"content-type": "application/json"},
        ) as resp:
            assert resp.status == 400
            assert "badRequest" in await resp.json(content_type=None)
            assert "x-podsim-pod" not in resp.headers


async def test_client_cannot_pick_the_pod_with_internal_headers(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    async with aiohttp.ClientSession() as http:
        async with http.get(
            f"{gateway.compute_url}/{PROJECT}/servers/unknown",
            headers={"x-podgate-pod": "pod.pod1.compute"},
        ) as resp:
            assert resp.status == 404
            assert "x-podsim-pod" not in resp.headers


async def test_disabled_pod_gets_no_traffic_and_its_clusters_leave_envoy(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(
            http,
            "POST",
            f"{gateway.compute_url}/{PROJECT}/servers",
            {"server": {"name": "west", "availability_zone": "az-west"}},
        )
        assert status == 202, body
        server_id = body["server"]["id"]
        gateway.admin().UpdatePod(admin_pb2.UpdatePodRequest(name="pod2", state=admin_pb2.DISABLED))
        wait_for(
            lambda: gateway.envoy_clusters() == {"pod.pod1.compute", "pod.pod1.volumev3"},
            timeout=WAIT_S,
            what="pod2's clusters to leave Envoy",
        )
        status, headers, body = await call(
            http, "GET", f"{gateway.compute_url}/{PROJECT}/servers/{server_id}"
        )
        assert status == 503
        assert (
            body["serviceUnavailable"]["message"]
            == "Availability zone az-west is not available now."
        )
        assert "x-podsim-pod" not in headers
        status, _, body = await call(
            http,
            "POST",
            f"{gateway.compute_url}/{PROJECT}/servers",
            {"server": {"name": "west2", "availability_zone": "az-west"}},
        )
        assert status == 503, body


async def test_control_plane_restart_keeps_pods_bindings_and_routings(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    async with aiohttp.ClientSession() as http:
        _, _, body = await call(
            http,
            "POST",
            f"{gateway.volume_url}/{PROJECT}/volumes",
            {"volume": {"size": 2, "availability_zone": "az-east"}},
        )
        volume_id = body["volume"]["id"]
        gateway.control_plane.stop()
        gateway.start_control_plane()

        admin = gateway.admin()
        pods = admin.ListPods(admin_pb2.ListPodsRequest()).pods
        assert {p.name for p in pods} == {"pod1", "pod2"}
        bindings = admin.ListBindings(admin_pb2.ListBindingsRequest(project_id=PROJECT)).bindings
        assert [(b.pod_name, b.active) for b in bindings] == [("pod1", True)]
        routing = admin.GetRouting(
            admin_pb2.GetRoutingRequest(resource_type="volume", resource_id=volume_id)
        )
        assert routing.pod_name == "pod1" and routing.project_id == PROJECT

        status, headers, _ = await call(
            http, "GET", f"{gateway.volume_url}/{PROJECT}/volumes/{volume_id}"
        )
        assert (status, headers["x-podsim-pod"]) == (200, "pod1")


async def test_status_shows_pods_health_routings_and_the_envoy_ack(
    gateway: Gateway, sim_pods: dict[str, SimPod]
) -> None:
    register(gateway, sim_pods)
    async with aiohttp.ClientSession() as http:
        for az in ("az-east", "az-east", "az-west"):
            await call(
                http,
                "POST",
                f"{gateway.compute_url}/{PROJECT}/servers",
                {"server": {"name": "s", "availability_zone": az}},
            )
    server = ["--server", f"127.0.0.1:{gateway.grpc_port}"]
    envoy = ["--envoy-admin", gateway.envoy_admin, "--state-dir", str(gateway.state_dir)]

    def status(*flags: str) -> str:
        argv = [*PODGATE, *server, *flags, "status", *envoy]
        result = subprocess.run(argv, capture_output=True, text=True, check=False)
        assert result.returncode == 0, result.stderr
        return result.stdout

    def acked() -> dict | None:
        data = json.loads(status("--json"))
        configs = [c for proxy in data["status"]["proxies"] for c in proxy["configs"]]
        done = configs and all(c["acked_version"] == c["current_version"] for c in configs)
        return data if done else None

    data = wait_for(acked, timeout=WAIT_S, what="Envoy to ACK the current config")
    routings = {p["pod"]["name"]: int(p["routings"]) for p in data["status"]["pods"]}
    assert routings == {"pod1": 2, "pod2": 1}
    assert data["envoy_clusters"]["pod.pod1.compute"] == {"healthy": 1, "total": 1}
    assert data["envoy_clusters"]["pod.pod2.volumev3"] == {"healthy": 1, "total": 1}
    table = status()
    assert "compute: 1/1 healthy" in table and "volumev3: 1/1 healthy" in table
    assert "Envoy podgate-envoy: current config ACKed" in table
