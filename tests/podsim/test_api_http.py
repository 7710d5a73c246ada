"""What every podsim answer shares: version documents, fault bodies, request ids, pod header."""

import re

import aiohttp
import pytest

from harness.procs import SimPod
from tests.podsim import call

REQUEST_ID = re.compile(r"^req-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PROJECT = "p1"


# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-h", "az-h")


@pytest.mark.parametrize("path", ["/compute", "/compute/"])
async def test_compute_versions_list_v2_1_as_current(pod: SimPod, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(http, "GET", pod.url + path)
    assert status == 200
    (version,) = body["versions"]  # type: ignore[index]
    assert (version["id"], version["status"]) == ("v2.1", "CURRENT")
    assert (version["min_version"], version["version"]) == ("2.1", "2.96")
    assert version["links"] == [{"rel": "self", "href": f"{pod.url}/compute/v2.1/"}]


async def test_compute_v2_1_document_has_the_microversion_range(pod: SimPod) -> None:
    async with aiohttp.ClientSession() as http:
        status, _, body = await call(http, "GET", f"{pod.url}/compute/v2.1/")
    assert status == 200
    version = body["version"]  # type: ignore[index]
    assert (version["id"], version["status"]) == ("v2.1", "CURRENT")
    assert (version["min_version"], version["version"]) == ("2.1", "2.96")
    assert {"rel": "self", "href": f"{pod.url}/compute/v2.1/"} in version["links"]
    assert version["media-types"][0]["base"] == "application/json"


@pytest.mark.parametrize(("path", "status"), [("/volume/", 300), ("/volume/v3/", 200)])
async def test_volume_versions_list_v3_0(pod: SimPod, path: str, status: int) -> None:
    async with aiohttp.ClientSession() as http:
        got, _, body = await call(http, "GET", pod.url + path)
    assert got == status
    (version,) = body["versions"]  # type: ignore[index]
    assert (version["id"], version["status"]) == ("v3.0", "CURRENT")
    assert (version["min_version"], version["version"]) == ("3.0", "3.71")
    assert {"rel": "self", "href": f"{pod.url}/volume/v3/"} in version["links"]


@pytest.mark.parametrize(
    "path",
    ["/v4", "/nova", f"/compute/v2.1/{PROJECT}/os-x", f"/volume/v3/{PROJECT}/nothing", "/v2"],
)
async def test_unknown_paths_are_404_item_not_found(pod: SimPod, path: str) -> None:
    async with aiohttp.ClientSession() as http:
        status, headers, body = await call(http, "GET", pod.url + path)
    assert (status, body) == (
        404,
        {"itemNotFound": {"message": "The resource could not be found.", "code": 404}},
    )
    assert headers["x-podsim-pod"] == "pod-h"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", f"/compute/v2.1/{PROJECT}/servers"),
        ("POST", f"/compute/v2.1/{PROJECT}/servers/some-id"),
        ("DELETE", f"/volume/v3/{PROJECT}/volumes"),
        ("POST", "/compute/v2.1/"),
    ],
)
async def test_a_wrong_method_on_a_known_path_is_405_bad_method(
    pod: SimPod, method: str, path: str
) -> None:
    async with aiohttp.ClientSession() as http:
        status, headers, body = await call(http, method, pod.url + path)
    assert status == 405
    assert body == {
        "badMethod": {
            "message": "The method specified is not allowed for this resource.",
            "code": 405,
        }
    }
    assert "GET" in headers["Allow"]


async def test_every_answer_carries_a_fresh_request_id_and_the_pod_name(pod: SimPod) -> None:
    requests = [
        ("GET", "/compute/", None),
        ("GET", f"/compute/v2.1/{PROJECT}/servers", None),
        ("POST", f"/compute/v2.1/{PROJECT}/servers", {"server": {"name": "x"}}),
        ("POST", f"/volume/v3/{PROJECT}/volumes", {"volume": {"size": 1}}),
        ("GET", f"/volume/v3/{PROJECT}/volumes/missing", None),
        ("POST", f"/volume/v3/{PROJECT}/volumes", {"volume": {}}),
        ("PATCH", f"/volume/v3/{PROJECT}/volumes", None),
        ("GET", "/missing", None),
    ]
    seen = set()
    async with aiohttp.ClientSession() as http:
        for method, path, body in requests:
            status, headers, _ = await call(http, method, pod.url + path, body)
            assert REQUEST_ID.match(headers["x-openstack-request-id"]), (method, path, status)
            assert headers["x-podsim-pod"] == "pod-h"
            seen.add(headers["x-openstack-request-id"])
    assert len(seen) == len(requests)


async def test_compute_answers_echo_the_microversion_asked_for(pod: SimPod) -> None:
    url = f"{pod.url}/compute/v2.1/{PROJECT}/servers"
    async with aiohttp.ClientSession() as http:
        asked = {"OpenStack-API-Version": "compute 2.53"}
        _, headers, _ = await call(http, "GET", url, headers=asked)
        assert headers["OpenStack-API-Version"] == "compute 2.53"
        assert headers["X-OpenStack-Nova-API-Version"] == "2.53"
        _, headers, _ = await call(
            http, "GET", url, headers={"X-OpenStack-Nova-API-Version": "latest"}
        )
        assert headers["OpenStack-API-Version"] == "compute 2.96"
        _, headers, _ = await call(http, "GET", url)
        assert headers["OpenStack-API-Version"] == "compute 2.1"
        assert headers["x-compute-request-id"] == headers["x-openstack-request-id"]
        _, headers, _ = await call(http, "GET", f"{pod.url}/volume/v3/{PROJECT}/volumes")
        assert headers["OpenStack-API-Version"] == "volume 3.0"
