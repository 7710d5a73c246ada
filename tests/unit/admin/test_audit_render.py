"""`podgate audit` shows each change in one line: created, deleted, or what moved."""

import json

import pytest

from control_plane.admin.render import change_summary

POD = {"name": "p", "state": "ENABLED", "endpoints": {"compute": "http://a"}, "updated_at": "1"}


def _moved(**changes: object) -> str:
    return json.dumps({**POD, **changes})


@pytest.mark.parametrize(
    ("before", "after", "summary"),
    [
        ("", json.dumps(POD), "created"),
        (json.dumps(POD), "", "deleted"),
        (json.dumps(POD), _moved(state="DRAINING", updated_at="2"), "state: ENABLED -> DRAINING"),
        (
            json.dumps(POD),
            _moved(endpoints={"compute": "http://evil"}),
            "endpoints.compute: http://a -> http://evil",
        ),
        (json.dumps(POD), _moved(endpoints={}), "endpoints.compute: http://a -> "),
        (json.dumps(POD), _moved(updated_at="3"), "no change"),
    ],
    ids=["create", "delete", "state", "endpoint", "endpoint-removed", "timestamp-only"],
)
def test_change_summary(before: str, after: str, summary: str) -> None:
    assert change_summary(before, after) == summary
