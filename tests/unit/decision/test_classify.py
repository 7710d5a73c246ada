"""classify() against the table in testdata/classify.yaml (one test per row, id = path)."""

from pathlib import Path

import pytest
import yaml

from control_plane.decision.classify import Kind, Operation, classify
from control_plane.model import ResourceType, Service

_TABLE = Path(__file__).parent / "testdata" / "classify.yaml"
_REQUIRED = {"service", "method", "path", "kind"}
_KNOWN_KEYS = {"project", "type", "id", "remainder"}


def _load_rows() -> list[dict]:
    rows = yaml.safe_load(_TABLE.read_text())
    for row in rows:
        keys = set(row)
        optional = {"query"}
        expected = _REQUIRED if row["kind"] == "unknown" else _REQUIRED | _KNOWN_KEYS
        assert expected <= keys <= expected | optional, f"bad keys in row {row}"
    return rows


def _expected(row: dict) -> Operation:
    service = Service(row["service"])
    kind = Kind(row["kind"])
    if kind is Kind.UNKNOWN:
        return Operation(kind, service)
    return Operation(
        kind=kind,
        service=service,
        project_id=row["project"],
        resource_type=ResourceType(row["type"]),
        resource_id=row["id"],
        remainder=row["remainder"],
        query=row.get("query", ""),
    )


_ROWS = _load_rows()


@pytest.mark.parametrize("row", _ROWS, ids=[row["path"] or "<empty>" for row in _ROWS])
def test_classify(row: dict) -> None:
    assert classify(Service(row["service"]), row["method"], row["path"]) == _expected(row)


def test_table_covers_every_kind_on_both_services() -> None:
    seen = {(row["service"], row["kind"]) for row in _ROWS}
    assert seen == {(service, kind) for service in Service for kind in Kind}
