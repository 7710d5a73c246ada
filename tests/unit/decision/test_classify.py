"""classify() against the table in testdata/classify.yaml (one test per row, id = path)."""

from pathlib import Path

import pytest
import yaml

from control_plane.decision.classify import classify
from control_plane.decision.operation import Kind, Operation, is_detail, operation
from control_plane.model import ResourceType, Service

_TABLE = Path(__file__).parent / "testdata" / "classify.yaml"
_REQUIRED = {"service", "method", "path", "kind"}
_OPTIONAL = {"project", "type", "id", "query", "allowed", "token_project"}


def _load_rows() -> list[dict]:
    rows = yaml.safe_load(_TABLE.read_text())
    for row in rows:
        keys = set(row)
        if row["kind"] == "unknown":
            assert keys == _REQUIRED, f"an unknown row names more than its request: {row}"
        else:
            assert _REQUIRED | {"remainder"} <= keys <= _REQUIRED | {"remainder"} | _OPTIONAL, row
    return rows


def _expected(row: dict) -> Operation:
    service = Service(row["service"])
    kind = Kind(row["kind"])
    if kind is Kind.UNKNOWN:
        return operation(kind, service)
    return operation(
        kind,
        service,
        project_id=row.get("project", ""),
        resource_type=ResourceType(row["type"]) if "type" in row else None,
        resource_id=row.get("id", ""),
        remainder=row["remainder"],
        query=row.get("query", ""),
        allowed=tuple(row.get("allowed", ())),
        token_project=row.get("token_project", False),
    )


_ROWS = _load_rows()


@pytest.mark.parametrize("row", _ROWS, ids=[row["path"] or "<empty>" for row in _ROWS])
def test_classify(row: dict) -> None:
    assert classify(Service(row["service"]), row["method"], row["path"]) == _expected(row)


def test_table_covers_every_kind_on_every_service() -> None:
    seen = {(row["service"], row["kind"]) for row in _ROWS}
    compute_only = {
        (service, kind)
        for service in (Service.VOLUME, Service.NETWORK)
        for kind in (Kind.EVENTS, Kind.OFFSET_LIST, Kind.ANY_POD, Kind.HOME, Kind.NAMED)
    }
    volume_only = {(Service.COMPUTE, Kind.ACCEPT), (Service.NETWORK, Kind.ACCEPT)}
    network_only = {(Service.COMPUTE, Kind.COPIES), (Service.VOLUME, Kind.COPIES)}
    every = {(service, kind) for service in Service for kind in Kind}
    assert seen == every - compute_only - network_only - volume_only


def test_table_covers_every_resource_type() -> None:
    assert {row["type"] for row in _ROWS if "type" in row} == set(ResourceType)


@pytest.mark.parametrize(
    ("path", "detail"),
    [("/v3/p1/snapshots/detail", True), ("/v3/p1/snapshots", False), ("/v3/p1/backups/", False)],
)
def test_detail_lists_are_told_from_brief_ones(path: str, detail: bool) -> None:
    assert is_detail(classify(Service.VOLUME, "GET", path)) is detail
