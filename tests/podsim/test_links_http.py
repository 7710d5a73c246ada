"""Links behind a proxy (X-Forwarded-*, Forwarded) and Nova and Cinder at the root (`/v2.1`)."""

import aiohttp

from harness.procs import SimPod
from tests.podsim import call, compute_api, volume_api

POD = ("pod-links", "az-sim")


async def _server(http: aiohttp.ClientSession, base: str) -> tuple[dict[str, str], dict]:
    status, headers, body = await call(http, "POST", f"{base}/servers", {"server": {"name": "v"}})
    assert status == 202, body
    return dict(headers), body["server"]  # type: ignore[index]


async def test_forwarded_host_and_proto_name_the_proxy(pod: SimPod, project: str) -> None:
    forwarded = {"X-Forwarded-Host": "gw.example:19998", "X-Forwarded-Proto": "https"}
    async with aiohttp.ClientSession(headers=forwarded) as http:
        headers, server = await _server(http, compute_api(pod, project))
    self_href = f"https://gw.example:19998/compute/v2.1/{project}/servers/{server['id']}"
    assert headers["Location"] == self_href
    assert server["links"][0] == {"rel": "self", "href": self_href}


async def test_rfc_7239_forwarded_wins_and_a_prefix_goes_before_the_mount(
    pod: SimPod, project: str
) -> None:
    sent = {
        "Forwarded": "for=10.0.0.1;proto=https;host=gw.example, for=10.0.0.2;host=inner",
        "X-Forwarded-Host": "ignored.example",
        "X-Forwarded-Prefix": "/cloud",
    }
    async with aiohttp.ClientSession(headers=sent) as http:
        _, server = await _server(http, compute_api(pod, project))
    assert server["links"][1]["href"] == (
        f"https://gw.example/cloud/compute/{project}/servers/{server['id']}"
    )


async def test_nova_at_the_root_links_without_the_mount(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession(headers={"X-Forwarded-Host": "gw:19998"}) as http:
        headers, server = await _server(http, f"{pod.url}/v2.1/{project}")
        url = f"{pod.url}/v2.1/{project}/servers/{server['id']}"
        status, _, shown = await call(http, "GET", url)
    assert status == 200
    assert headers["Location"] == f"http://gw:19998/v2.1/{project}/servers/{server['id']}"
    assert shown["server"]["links"] == [  # type: ignore[index]
        {"rel": "self", "href": f"http://gw:19998/v2.1/{project}/servers/{server['id']}"},
        {"rel": "bookmark", "href": f"http://gw:19998/{project}/servers/{server['id']}"},
    ]


async def test_cinder_at_the_root_is_the_same_pod(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(
            http, "POST", f"{volume_api(pod, project)}/volumes", {"volume": {"size": 1}}
        )
        assert status == 202, body
        volume_id = body["volume"]["id"]  # type: ignore[index]
        status, _, shown = await call(http, "GET", f"{pod.url}/v3/{project}/volumes/{volume_id}")
        missing, _, fault = await call(http, "GET", f"{pod.url}/v3/{project}/volumes/nope")
    assert status == 200
    assert shown["volume"]["links"][0]["href"] == (  # type: ignore[index]
        f"{pod.url}/v3/{project}/volumes/{volume_id}"
    )
    assert (missing, fault) == (
        404,
        {"itemNotFound": {"code": 404, "message": "Volume nope could not be found."}},
    )


async def test_the_root_is_novas_version_list(pod: SimPod) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(http, "GET", f"{pod.url}/")
    assert status == 200
    assert [version["id"] for version in body["versions"]] == ["v2.1"]  # type: ignore[index]
