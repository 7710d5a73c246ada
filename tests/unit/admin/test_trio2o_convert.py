"""Trio2o's pod and binding shapes <-> PodAdmin's protos."""

from datetime import UTC, datetime

from google.protobuf.json_format import MessageToDict
from google.protobuf.timestamp_pb2 import Timestamp

from control_plane.admin.trio2o import binding_to_trio2o, pod_from_trio2o, pod_to_trio2o
from podgate_api.admin.v1 import admin_pb2, trio2o_pb2

POD_ID = "3f2b9d7e-0000-4000-8000-000000000001"


def _stamp(value: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(value)
    return stamp


def test_a_created_pod_takes_every_trio2o_field_stripped_and_ignores_the_id() -> None:
    asked = trio2o_pb2.Trio2oPod(
        pod_id="client-chosen",
        pod_name=" Pod1 ",
        az_name="AZ1\t",
        pod_az_name=" az1",
        dc_name="dc1 ",
    )
    assert pod_from_trio2o(asked) == admin_pb2.Pod(
        name="Pod1", az_name="AZ1", pod_az_name="az1", dc_name="dc1"
    )


def test_a_pod_shows_trio2o_keys_only() -> None:
    pod = admin_pb2.Pod(
        id=POD_ID,
        name="Pod1",
        az_name="AZ1",
        pod_az_name="az1",
        dc_name="dc1",
        state=admin_pb2.DRAINING,
        endpoints={"compute": "http://10.0.0.1:8774/v2.1"},
    )
    shown = MessageToDict(
        pod_to_trio2o(pod),
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    assert shown == {
        "pod_id": POD_ID,
        "pod_name": "Pod1",
        "pod_az_name": "az1",
        "dc_name": "dc1",
        "az_name": "AZ1",
    }


def test_a_binding_shows_tenant_pod_id_and_whether_it_is_current() -> None:
    created = datetime(2026, 11, 25, 12, 0, 1, tzinfo=UTC)
    updated = datetime(2026, 11, 26, 8, 30, tzinfo=UTC)
    binding = admin_pb2.Binding(
        id="b-1",
        project_id="tenant-a",
        az_name="AZ1",
        pod_name="Pod1",
        active=False,
        created_at=_stamp(created),
        updated_at=_stamp(updated),
    )
    shown = MessageToDict(
        binding_to_trio2o(binding, POD_ID),
        preserving_proto_field_name=True,
        always_print_fields_with_no_presence=True,
    )
    assert shown == {
        "id": "b-1",
        "tenant_id": "tenant-a",
        "pod_id": POD_ID,
        "is_binding": False,
        "created_at": "2026-11-25T12:00:01Z",
        "updated_at": "2026-11-26T08:30:00Z",
    }


def test_a_binding_without_timestamps_leaves_them_unset() -> None:
    shown = binding_to_trio2o(admin_pb2.Binding(id="b-1", active=True), POD_ID)
    assert shown.is_binding
    assert not shown.HasField("created_at") and not shown.HasField("updated_at")
