"""Which volume Nova's assisted snapshot requests name (routed/named.py)."""

import json
from urllib.parse import quote

import pytest

from control_plane.decision.classify import classify
from control_plane.decision.decisions import Reference
from control_plane.decision.operation import ResourceOperation
from control_plane.decision.routed.named import named
from control_plane.model import ResourceType, Service

_BASE = "/v2.1/p1/os-assisted-volume-snapshots"


def _op(method: str, path: str) -> ResourceOperation:
    op = classify(Service.COMPUTE, method, path)
    assert isinstance(op, ResourceOperation)
    return op


def test_a_create_names_its_volume_in_the_body() -> None:
    body = {"snapshot": {"volume_id": "v-1", "create_info": {"snapshot_id": "s"}}}
    got = named(_op("POST", _BASE), "POST", json.dumps(body).encode())
    assert got == Reference(ResourceType.VOLUME, "v-1")


def test_a_delete_names_its_volume_in_the_last_delete_info() -> None:
    first, last = quote(json.dumps({"volume_id": "v-1"})), quote(json.dumps({"volume_id": "v-2"}))
    path = f"{_BASE}/s-1?delete_info={first}&delete_info={last}"
    assert named(_op("DELETE", path), "DELETE", b"") == Reference(ResourceType.VOLUME, "v-2")


@pytest.mark.parametrize(
    "body",
    [b"", b"[]", b'{"snapshot": {}}', b'{"snapshot": {"volume_id": "../v"}}', b'{"snapshot": 1}'],
)
def test_a_body_naming_no_readable_volume_names_nothing(body: bytes) -> None:
    assert named(_op("POST", _BASE), "POST", body) is None


@pytest.mark.parametrize("query", ["", "delete_info=nope", "delete_info=%7B%7D", "other=1"])
def test_a_query_naming_no_volume_names_nothing(query: str) -> None:
    assert named(_op("DELETE", f"{_BASE}/s-1?{query}"), "DELETE", b"") is None
