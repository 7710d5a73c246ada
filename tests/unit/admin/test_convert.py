"""Model <-> admin proto conversions: round trips and the values that cannot convert."""

from datetime import UTC, datetime

import pytest

from control_plane.admin import convert
from control_plane.errors import BadRequest
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing
from podgate_api.admin.v1 import admin_pb2

T1 = datetime(2026, 11, 25, 12, 30, 1, 123456, tzinfo=UTC)
T2 = datetime(2026, 11, 26, 8, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize("state", list(PodState))
def test_every_state_round_trips(state: PodState) -> None:
    assert convert.state_from_proto(convert.state_to_proto(state)) == state


def test_state_names_match_the_proto() -> None:
    assert convert.state_to_proto(PodState.DRAINING) == admin_pb2.DRAINING


def test_pod_round_trips() -> None:
    pod = Pod(
        name="pod1",
        az_name="az1",
        pod_az_name="nova",
        dc_name="dc1",
        state=PodState.DRAINING,
        endpoints={"compute": "http://h:8774/v2.1", "volumev3": "http://h:8776/v3/$(project_id)s"},
        id="3f2b",
        created_at=T1,
        updated_at=T2,
    )
    assert convert.pod_from_proto(convert.pod_to_proto(pod)) == pod


def test_pod_without_timestamps_round_trips() -> None:
    pod = Pod(name="pod1", az_name="az1")
    message = convert.pod_to_proto(pod)
    assert not message.HasField("created_at")
    assert convert.pod_from_proto(message) == pod


def test_naive_datetime_is_taken_as_utc() -> None:
    message = convert.pod_to_proto(Pod(name="p", az_name="a", created_at=datetime(2026, 1, 2, 3)))
    assert convert.pod_from_proto(message).created_at == datetime(2026, 1, 2, 3, tzinfo=UTC)


def test_unspecified_state_takes_the_default() -> None:
    message = admin_pb2.Pod(name="pod1", az_name="az1")
    pod = convert.pod_from_proto(message, default_state=PodState.ENABLED)
    assert pod.state is PodState.ENABLED


def test_unspecified_state_without_default_is_rejected() -> None:
    with pytest.raises(BadRequest, match="pod state 0"):
        convert.pod_from_proto(admin_pb2.Pod(name="pod1", az_name="az1"))


def test_unknown_state_number_is_rejected() -> None:
    with pytest.raises(BadRequest, match="pod state 42"):
        convert.pod_from_proto(admin_pb2.Pod(name="p", state=42), default_state=PodState.ENABLED)


def test_binding_round_trips() -> None:
    binding = Binding(
        id="b1",
        project_id="proj",
        az_name="az1",
        pod_name="pod1",
        active=False,
        created_at=T1,
        updated_at=T2,
    )
    assert convert.binding_from_proto(convert.binding_to_proto(binding)) == binding


@pytest.mark.parametrize("kind", list(ResourceType))
def test_routing_round_trips(kind: ResourceType) -> None:
    routing = Routing(
        resource_id="r1",
        resource_type=kind,
        project_id="proj",
        pod_name="pod1",
        created_at=T1,
        updated_at=T2,
    )
    assert convert.routing_from_proto(convert.routing_to_proto(routing)) == routing


def test_unknown_resource_type_is_rejected() -> None:
    with pytest.raises(BadRequest, match="'image'"):
        convert.routing_from_proto(admin_pb2.Routing(resource_id="r", resource_type="image"))


def test_update_keeps_unset_fields_as_none() -> None:
    changes = convert.pod_changes_from_proto(admin_pb2.UpdatePodRequest(name="pod1"))
    assert changes == convert.PodChanges()


def test_update_carries_every_set_field() -> None:
    request = admin_pb2.UpdatePodRequest(
        name="pod1",
        state=admin_pb2.DISABLED,
        az_name="az2",
        pod_az_name="",
        dc_name="dc2",
        set_endpoints={"compute": "http://h"},
        remove_endpoints=["volumev3"],
    )
    assert convert.pod_changes_from_proto(request) == convert.PodChanges(
        state=PodState.DISABLED,
        az_name="az2",
        pod_az_name="",
        dc_name="dc2",
        set_endpoints={"compute": "http://h"},
        remove_endpoints=("volumev3",),
    )


def test_update_with_explicit_unspecified_state_is_rejected() -> None:
    request = admin_pb2.UpdatePodRequest(name="pod1", state=admin_pb2.POD_STATE_UNSPECIFIED)
    with pytest.raises(BadRequest, match="pod state"):
        convert.pod_changes_from_proto(request)


@pytest.mark.parametrize("resource_id", ["abc", "a/b/c", "ünï", "0" * 200])
def test_page_token_round_trips(resource_id: str) -> None:
    token = convert.encode_page_token(ResourceType.VOLUME, resource_id)
    assert convert.decode_page_token(token) == (ResourceType.VOLUME, resource_id)


def test_page_token_is_opaque_and_url_safe() -> None:
    token = convert.encode_page_token(ResourceType.SERVER, "id?/+=")
    assert "server" not in token
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=")


@pytest.mark.parametrize(
    "token",
    [
        "!!!",
        "abc",
        convert.encode_page_token("image", "x"),
        convert.encode_page_token("server", ""),
        "c2VydmVy",  # "server": no id part
        "é",
        "A" * 2000,
    ],
)
def test_garbled_page_token_is_rejected(token: str) -> None:
    with pytest.raises(BadRequest, match="page_token"):
        convert.decode_page_token(token)
