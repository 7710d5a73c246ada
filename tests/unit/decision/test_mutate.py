"""mutate: paths onto catalog-style endpoints, AZ names into and out of pods, bad bodies."""

import json

import pytest

from control_plane.decision.decisions import Reference
from control_plane.decision.mutate import (
    Created,
    parse_create,
    parse_created,
    pod_body,
    shown_body,
    user_body,
)
from control_plane.endpoints import pod_path, pod_url
from control_plane.errors import BadRequest
from control_plane.model import Pod, ResourceType

SERVER = ResourceType.SERVER
VOLUME = ResourceType.VOLUME
NETWORK = ResourceType.NETWORK


@pytest.mark.parametrize(
    ("endpoint", "remainder", "query", "expected"),
    [
        ("http://h:8774/v2.1", "/servers/x", "", "/v2.1/p1/servers/x"),
        ("http://h:8774/v2.1/", "/servers/x/action", "", "/v2.1/p1/servers/x/action"),
        ("http://h/compute/v2.1", "/servers/x", "", "/compute/v2.1/p1/servers/x"),
        ("http://h:8776/v3/$(project_id)s", "/volumes/x", "", "/v3/p1/volumes/x"),
        ("http://h:8776/v3/$(tenant_id)s", "/volumes/x", "", "/v3/p1/volumes/x"),
        ("http://h:8776/v3/%(project_id)s", "/volumes/x", "", "/v3/p1/volumes/x"),
        ("http://h:8776/v3/%(tenant_id)s/", "/volumes/x", "", "/v3/p1/volumes/x"),
        ("http://h/volume/v3/$(project_id)s", "/volumes/x", "", "/volume/v3/p1/volumes/x"),
        ("https://h:8776/v3", "/volumes", "", "/v3/p1/volumes"),
        ("http://h:8774/v2.1", "/servers/x", "a=1&b=%2F", "/v2.1/p1/servers/x?a=1&b=%2F"),
        ("http://h/volume/v3/$(project_id)s", "/volumes/", "q", "/volume/v3/p1/volumes/?q"),
    ],
)
def test_pod_path(endpoint: str, remainder: str, query: str, expected: str) -> None:
    assert pod_path(endpoint, "p1", remainder, query) == expected


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("http://h:8774/v2.1", "http://h:8774/v2.1/p1/servers/x?a=1"),
        ("https://user@h/volume/v3/$(project_id)s/", "https://user@h/volume/v3/p1/servers/x?a=1"),
    ],
)
def test_pod_url_is_the_pod_path_on_the_endpoints_origin(endpoint: str, expected: str) -> None:
    assert pod_url(endpoint, "p1", "/servers/x", "a=1") == expected


SERVER_BODY = {
    "server": {
        "name": "vm",
        "imageRef": "img",
        "flavorRef": "1",
        "availability_zone": "az1",
        "key_name": "k",
        "metadata": {"a": "b", "ünï": "cödé"},
        "networks": [{"uuid": "n1", "fixed_ip": "10.0.0.2"}],
        "block_device_mapping_v2": [{"boot_index": 0, "uuid": "img", "volume_size": 1.5}],
    },
    "OS-SCH-HNT:scheduler_hints": {"group": "g1"},
}


def _server_body(**changes: object) -> dict:
    return {**SERVER_BODY, "server": {**SERVER_BODY["server"], **changes}}


def test_create_body_az_is_read_and_rewritten_to_the_pod_az() -> None:
    create = parse_create(SERVER, json.dumps(SERVER_BODY).encode())
    assert create.availability_zone == "az1"
    assert json.loads(pod_body(create, "nova-a")) == _server_body(availability_zone="nova-a")


def test_create_body_az_is_removed_when_the_pod_has_no_own_az_name() -> None:
    create = parse_create(SERVER, json.dumps(SERVER_BODY).encode())
    expected = _server_body()
    del expected["server"]["availability_zone"]
    assert json.loads(pod_body(create, "")) == expected


def test_create_body_without_az_gets_the_pod_az() -> None:
    body = {"volume": {"size": 1, "metadata": {"k": "v"}}}
    create = parse_create(VOLUME, json.dumps(body).encode())
    assert create.availability_zone is None
    assert json.loads(pod_body(create, "pod-az")) == {
        "volume": {"size": 1, "metadata": {"k": "v"}, "availability_zone": "pod-az"}
    }


@pytest.mark.parametrize("az", [None, ""])
def test_null_or_empty_az_means_none_requested(az: str | None) -> None:
    body = json.dumps({"volume": {"size": 1, "availability_zone": az}}).encode()
    create = parse_create(VOLUME, body)
    assert create.availability_zone is None
    assert json.loads(pod_body(create, "")) == {"volume": {"size": 1}}


def test_pod_body_leaves_the_parsed_request_untouched() -> None:
    create = parse_create(SERVER, json.dumps(SERVER_BODY).encode())
    pod_body(create, "")
    assert create.document == SERVER_BODY


def test_a_data_placed_create_keeps_its_body_unless_it_asked_for_a_zone() -> None:
    create = parse_create(VOLUME, b'{"volume": {"size": 1, "snapshot_id": "s1"}}')
    assert pod_body(create, "pod-az", pin=False) is None
    asked = parse_create(VOLUME, b'{"volume": {"snapshot_id": "s1", "availability_zone": "az1"}}')
    assert json.loads(pod_body(asked, "pod-az", pin=False)) == {
        "volume": {"snapshot_id": "s1", "availability_zone": "pod-az"}
    }


def test_a_create_names_its_sources() -> None:
    body = b'{"volume": {"size": 1, "snapshot_id": "s1"}}'
    assert parse_create(VOLUME, body).references == (Reference(ResourceType.SNAPSHOT, "s1"),)


@pytest.mark.parametrize("hints", [["az1"], ["az1", "az1"]])
def test_neutron_hints_name_one_zone_rewritten_to_the_pods_own(hints: list[str]) -> None:
    body = json.dumps({"network": {"name": "n", "availability_zone_hints": hints}}).encode()
    create = parse_create(NETWORK, body)
    assert create.availability_zone == "az1"
    assert json.loads(pod_body(create, "nova-a")) == {
        "network": {"name": "n", "availability_zone_hints": ["nova-a"]}
    }
    assert json.loads(pod_body(create, "")) == {"network": {"name": "n"}}


@pytest.mark.parametrize("hints", [None, []])
def test_neutron_without_hints_gets_none_added(hints: list[str] | None) -> None:
    body = json.dumps({"router": {"name": "r", "availability_zone_hints": hints}}).encode()
    create = parse_create(ResourceType.ROUTER, body)
    assert create.availability_zone is None
    assert pod_body(create, "nova-a") is None


@pytest.mark.parametrize(
    ("hints", "message"),
    [
        ("az1", "must be a list of strings"),
        (["az1", 2], "must be a list of strings"),
        (["az1", "az2"], "availability zones az1, az2 cannot be used together"),
    ],
)
def test_bad_hints_are_bad_requests(hints: object, message: str) -> None:
    body = json.dumps({"network": {"availability_zone_hints": hints}}).encode()
    with pytest.raises(BadRequest, match=message):
        parse_create(NETWORK, body)


@pytest.mark.parametrize("resource_type", [ResourceType.PORT, ResourceType.SNAPSHOT])
def test_creates_without_a_zone_field_are_never_rewritten(resource_type: ResourceType) -> None:
    member = {"network_id": "n1"} if resource_type is ResourceType.PORT else {"volume_id": "v1"}
    body = json.dumps({resource_type.value: {**member, "availability_zone": "az1"}}).encode()
    create = parse_create(resource_type, body)
    assert create.availability_zone is None
    assert pod_body(create, "nova-a") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "not valid JSON"),
        (b"\xff\xfe\x00garbage", "not valid JSON"),
        (b"", "not valid JSON"),
        (b"[1, 2]", "JSON object"),
        (b"null", "JSON object"),
        (b'{"volume": {}}', "'server'"),
        (b'{"server": "vm"}', "'server'"),
        (b'{"server": null}', "'server'"),
        (b'{"server": {"availability_zone": 3}}', "availability_zone"),
        (b'{"server": {"availability_zone": ["az1"]}}', "availability_zone"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    ],
)
def test_bad_create_bodies_are_bad_requests(body: bytes, message: str) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_create(SERVER, body)


def test_created_response_yields_the_resource_id() -> None:
    body = json.dumps({"volume": {"id": "v1", "availability_zone": "pod-az"}}).encode()
    assert parse_created(VOLUME, body) == Created(
        resource_type=VOLUME,
        resource_ids=("v1",),
        document={"volume": {"id": "v1", "availability_zone": "pod-az"}},
        key="volume",
    )


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<html>",
        b"[]",
        b'{"server": {"id": "s1"}}',
        b'{"volume": {}}',
        b'{"volume": {"id": 7}}',
    ],
)
def test_response_without_a_created_volume_names_none(body: bytes) -> None:
    assert parse_created(VOLUME, body) is None


def _created(resource_type: ResourceType, body: dict) -> Created:
    created = parse_created(resource_type, json.dumps(body).encode())
    assert created is not None
    return created


def test_volume_response_az_goes_back_to_the_user_facing_name() -> None:
    body = {"volume": {"id": "v1", "availability_zone": "pod-az", "metadata": {"x": [1, {"y": 2}]}}}
    created = _created(VOLUME, body)
    pod = Pod(name="a", az_name="az1", pod_az_name="pod-az")
    assert json.loads(user_body(created, pod) or b"") == {
        "volume": {"id": "v1", "availability_zone": "az1", "metadata": {"x": [1, {"y": 2}]}}
    }


def test_novas_os_volumes_view_shows_the_user_facing_zone_too() -> None:
    body = {"volume": {"id": "v1", "availabilityZone": "pod-az", "displayName": "v"}}
    pod = Pod(name="a", az_name="az1", pod_az_name="pod-az")
    assert json.loads(shown_body(VOLUME, json.dumps(body).encode(), pod) or b"") == {
        "volume": {"id": "v1", "availabilityZone": "az1", "displayName": "v"}
    }


def test_response_az_is_rewritten_whatever_it_is_when_the_pod_has_no_own_az_name() -> None:
    body = {"server": {"id": "s1", "OS-EXT-AZ:availability_zone": "nova", "name": "vm"}}
    created = _created(SERVER, body)
    pod = Pod(name="a", az_name="az1")
    assert json.loads(user_body(created, pod) or b"") == {
        "server": {"id": "s1", "OS-EXT-AZ:availability_zone": "az1", "name": "vm"}
    }


def test_server_response_reads_the_extended_az_field_not_the_plain_one() -> None:
    body = {"server": {"id": "s1", "availability_zone": "nova"}}
    assert user_body(_created(SERVER, body), Pod(name="a", az_name="az1")) is None


def test_response_az_of_another_inner_zone_is_left_alone() -> None:
    body = {"volume": {"id": "v1", "availability_zone": "other"}}
    pod = Pod(name="a", az_name="az1", pod_az_name="pod-az")
    assert user_body(_created(VOLUME, body), pod) is None


def test_response_without_az_is_unchanged() -> None:
    body = {"server": {"id": "s1", "links": []}}
    assert user_body(_created(SERVER, body), Pod(name="a", az_name="az1")) is None


def test_a_shown_resource_gets_the_user_facing_az() -> None:
    body = {"server": {"id": "s1", "OS-EXT-AZ:availability_zone": "pod-az", "name": "vm"}}
    pod = Pod(name="a", az_name="az1", pod_az_name="pod-az")
    shown = shown_body(SERVER, json.dumps(body).encode(), pod)
    assert json.loads(shown or b"") == {
        "server": {"id": "s1", "OS-EXT-AZ:availability_zone": "az1", "name": "vm"}
    }
    assert shown_body(SERVER, b"not json", pod) is None
    assert shown_body(SERVER, json.dumps({"server": {"id": "s1"}}).encode(), pod) is None


@pytest.mark.parametrize(
    ("az_name", "pod_az_name", "renames"),
    [("az1", "az1", False), ("az1", "nova", True), ("az1", "", True)],
)
def test_which_pods_rename_their_zone(az_name: str, pod_az_name: str, renames: bool) -> None:
    assert Pod(name="a", az_name=az_name, pod_az_name=pod_az_name).renames_az is renames


def test_a_volume_names_its_type_by_the_pods_own_id_and_a_name_stays() -> None:
    by_id = parse_create(VOLUME, b'{"volume": {"size": 1, "volume_type": "t-gw"}}')
    assert by_id.volume_type == "t-gw"
    assert json.loads(pod_body(by_id, "", pin=False, own={"t-gw": "t-b"})) == {
        "volume": {"size": 1, "volume_type": "t-b"}
    }
    assert pod_body(by_id, "", pin=False, own={"t-gw": "t-gw"}) is None
    by_name = parse_create(VOLUME, b'{"volume": {"size": 1, "volume_type": "gold"}}')
    assert pod_body(by_name, "", pin=False, own={"t-gw": "t-b"}) is None
