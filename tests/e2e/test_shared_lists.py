"""Shared-object lists page through real Envoy exactly as a pod's own lists do.

pod2 holds flavors, key pairs and volume types pod1 lacks (made directly in it, as objects a
refused or half-done write leave behind), so pod2 alone holds every object: each page the
gateway answers — `limit`, `marker`, the `next` link — must be the page pod2 answers to the same
query, and openstacksdk, following the links one object at a time, must see each object once.
"""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import openstack
import pytest

from harness.cloud import TWO_PODS, running_cloud
from harness.gateway import Gateway
from harness.http import call
from harness.procs import SimPod

pytestmark = pytest.mark.e2e

_NOVA_2_35 = {"x-openstack-nova-api-version": "2.35"}
_LAST = ("extra-42", "m1.xlarge")


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Gateway, dict[str, SimPod]]]:
    with running_cloud(tmp_path_factory.mktemp("shared-lists"), TWO_PODS) as running:
        _, pods = running
        pod2 = f"{pods['pod2'].url}/compute/v2.1/admin"
        for flavor_id in ("42", "0a"):
            flavor = {"name": f"extra-{flavor_id}", "ram": 64, "vcpus": 1, "disk": 1}
            assert (
                call("POST", f"{pod2}/flavors", {"flavor": {**flavor, "id": flavor_id}})[0] == 200
            )
        yield running


def _walk(url: str, key: str, headers: dict[str, str] | None = None) -> list[tuple[list, list]]:
    """Every page from `url` on, following `next` links: (names, the links' queries)."""
    pages = []
    while True:
        status, _, body = call("GET", url, headers=headers)
        assert status == 200, body
        links = [urlsplit(link["href"]) for link in body.get(f"{key}_links", [])]
        names = [item.get("keypair", item)["name"] for item in body[key]]
        pages.append((names, [link.query for link in links]))
        if not links:
            return pages
        assert len(pages) < 20
        url = f"{url.partition('?')[0]}?{links[0].query}"


@pytest.mark.parametrize("path", ["flavors", "flavors/detail"])
def test_flavor_pages_are_the_pages_of_the_pod_holding_every_flavor(cloud, project, path) -> None:
    gateway, pods = cloud
    through = _walk(f"{gateway.compute_url}/{project}/{path}?limit=2", "flavors")
    direct = _walk(f"{pods['pod2'].url}/compute/v2.1/{project}/{path}?limit=2", "flavors")
    assert through == direct
    names = [name for page, _ in through for name in page]
    assert names == ["extra-0a", "m1.tiny", "m1.small", "m1.medium", "m1.large", *_LAST]
    assert [len(page) for page, _ in through] == [2, 2, 2, 1]
    marker = f"{gateway.compute_url}/{project}/{path}?marker=4&sort_dir=asc"
    assert _walk(marker, "flavors") == _walk(
        f"{pods['pod2'].url}/compute/v2.1/{project}/{path}?marker=4&sort_dir=asc", "flavors"
    )


def test_an_unknown_marker_is_refused_as_the_pods_refuse_it(cloud, project) -> None:
    gateway, _ = cloud
    status, _, body = call("GET", f"{gateway.compute_url}/{project}/flavors?marker=nope")
    assert (status, body) == (
        400,
        {"badRequest": {"message": "marker [nope] not found", "code": 400}},
    )


def test_key_pairs_page_from_2_35_and_volume_types_by_any_pods_id(cloud, project) -> None:
    gateway, pods = cloud
    for name in ("k1", "k2", "k3"):
        keypair = {"keypair": {"name": name, "public_key": "ssh-rsa AAAA"}}
        made = f"{gateway.compute_url}/{project}/os-keypairs"
        assert call("POST", made, keypair)[0] == 200
    extra = {"keypair": {"name": "k0", "public_key": "ssh-rsa AAAA"}}
    assert call("POST", f"{pods['pod2'].url}/compute/v2.1/{project}/os-keypairs", extra)[0] == 200
    url = f"{gateway.compute_url}/{project}/os-keypairs?limit=3"
    pages = _walk(url, "keypairs", _NOVA_2_35)
    assert [page for page, _ in pages] == [["k0", "k1", "k2"], ["k3"]]
    assert pages[0][1] == ["limit=3&marker=k2"]
    # Before 2.35 Nova neither pages key pairs nor links them.
    assert _walk(url, "keypairs") == [(["k0", "k1", "k2", "k3"], [])]

    volume = f"{gateway.volume_url}/{project}/types"
    pod2_types = f"{pods['pod2'].url}/volume/v3/{project}/types"
    assert call("POST", pod2_types, {"volume_type": {"name": "only-pod2"}})[0] == 200
    assert call("POST", volume, {"volume_type": {"name": "both"}})[0] == 200
    _, _, listed = call("GET", pod2_types)
    pod2_ids = {item["name"]: item["id"] for item in listed["volume_types"]}
    status, _, first = call("GET", f"{volume}?limit=1")
    assert status == 200 and [t["name"] for t in first["volume_types"]] == ["__DEFAULT__"]
    # pod2's own id of the default type finds its place as well as the gateway's.
    status, _, rest = call("GET", f"{volume}?marker={pod2_ids['__DEFAULT__']}")
    assert [t["name"] for t in rest["volume_types"]] == ["both", "only-pod2"]


def test_openstacksdk_following_the_links_one_flavor_a_page_sees_each_once(
    cloud, project, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    gateway, _ = cloud
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  podgate:\n    auth_type: none\n"
        f"    compute_endpoint_override: {gateway.compute_url}/{project}\n"
    )
    monkeypatch.setenv("OS_CLIENT_CONFIG_FILE", str(clouds))
    conn = openstack.connect(cloud="podgate")
    try:
        one_a_page = [flavor.id for flavor in conn.compute.flavors(limit=1)]
        everything = [flavor.id for flavor in conn.compute.flavors()]
    finally:
        conn.close()
    assert one_a_page == everything == ["0a", "1", "2", "3", "4", "42", "5"]
