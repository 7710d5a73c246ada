"""podsim `--test-hooks` on the Neutron subset: a create takes the id the test names."""

import uuid

import aiohttp

from harness.procs import SimPod
from tests.podsim import call
from tests.podsim.neutron import Neutron

# The podsim process this module talks to (tests/podsim/conftest.py): name, zone, options.
POD = ("pod-h", "az-hooks", "--test-hooks")


async def test_created_id_header_names_the_new_resource_only(pod: SimPod, project: str) -> None:
    wanted = str(uuid.uuid4())
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        url = f"{neutron.api}/security-groups"
        headers = {**neutron.headers, "x-podsim-created-id": wanted}
        status, _, body = await call(
            http, "POST", url, {"security_group": {"name": "web"}}, headers=headers
        )
        assert status == 201 and body["security_group"]["id"] == wanted
        assert {r["security_group_id"] for r in body["security_group"]["security_group_rules"]} == {
            wanted
        }
        (default,) = await neutron.list("security_group", "?name=default")
        assert default["id"] != wanted
        another = await neutron.create("security_group", name="other")
        assert another["id"] != wanted


async def test_answer_bytes_header_pads_a_neutron_list(pod: SimPod, project: str) -> None:
    async with aiohttp.ClientSession() as http:
        neutron = Neutron(http, pod, project)
        headers = {**neutron.headers, "x-podsim-answer-bytes": "4096"}
        url = f"{neutron.api}/security-groups"
        status, response, body = await call(http, "GET", url, headers=headers)
    assert status == 200 and int(response["Content-Length"]) == 4096
    assert body["security_groups"] == []
