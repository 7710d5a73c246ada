"""The contract's pure parts: answer shapes, their comparison, the golden's renewal and the
step-by-step differences with their allow-list."""

import json
from pathlib import Path

import pytest

from tests.contract import golden
from tests.contract.golden import differences
from tests.contract.scenario import STEPS, WAITS, Step
from tests.contract.shapes import ANY, compare, merge, renew, shape


def test_a_shape_keeps_keys_and_json_types_and_drops_values() -> None:
    answer = {
        "server": {
            "id": "abc",
            "progress": 0,
            "rxtx": 1.0,
            "locked": False,
            "key_name": None,
            "image": "",
            "links": [{"rel": "self", "href": "x"}, {"rel": "bookmark", "href": "y"}],
            "tags": [],
        }
    }
    assert shape(answer) == {
        "server": {
            "id": "string",
            "progress": "integer",
            "rxtx": "number",
            "locked": "boolean",
            "key_name": "null",
            "image": "string",
            "links": [{"rel": "string", "href": "string"}],
            "tags": [],
        }
    }


def test_maps_keep_their_values_shape_not_their_keys() -> None:
    assert shape({"metadata": {"owner": "me", "tier": "web"}, "extra_specs": {}}) == {
        "metadata": {"*": "string"},
        "extra_specs": {"*": ANY},
    }
    assert shape({"custom": {"owner": "me"}}, maps={"custom"}) == {"custom": {"*": "string"}}


def test_list_items_merge_into_one_shape_with_every_key_and_type() -> None:
    items = [{"tag": None, "id": "a"}, {"tag": "foo", "id": "b", "extra": 1}]
    assert shape(items) == [{"tag": "null|string", "id": "string", "extra": "integer"}]
    assert merge("string", {"a": "string"}) == "object|string"
    assert merge([], ["string"]) == ["string"]


def test_compare_names_missing_extra_and_mistyped_paths() -> None:
    expected = {"server": {"flavor": {"original_name": "string", "ram": "integer"}, "id": "string"}}
    actual = {"server": {"flavor": {"ram": "string", "links": []}, "id": "string"}}
    assert compare(expected, actual) == [
        "server.flavor.original_name: missing in podsim",
        "server.flavor.ram: string in podsim, integer expected",
        "server.flavor.links: extra in podsim",
    ]


def test_nullable_fields_accept_null_or_their_type_and_nothing_else() -> None:
    expected = {"description": "null|string", "certs": "array|null"}
    assert compare(expected, {"description": "null", "certs": "null"}) == []
    assert compare(expected, {"description": "string", "certs": ["string"]}) == []
    assert compare(expected, {"description": "integer", "certs": {}}, side="real") == [
        "description: integer in real, null|string expected",
        "certs: object in real, array|null expected",
    ]
    assert compare({"image": "string"}, {"image": "null"}) == [
        "image: null in podsim, string expected"
    ]


def test_empty_lists_and_maps_fit_any_items_but_a_map_is_no_object() -> None:
    assert compare({"a": [{"id": "string"}]}, {"a": []}) == []
    assert compare({"m": {"*": "string"}}, {"m": {"*": ANY}}) == []
    assert compare({"m": {"*": "string"}}, {"m": {"k": "string"}}) == [
        "m: object in podsim, map expected"
    ]
    assert compare("string", {"a": "string"}) == ["(answer): object in podsim, string expected"]


def test_renewing_a_golden_keeps_old_nullability_and_drops_stale_keys() -> None:
    old = {"v": {"name": "null|string", "gone": "string", "items": [{"tag": "null|string"}]}}
    new = {"v": {"name": "string", "fresh": "integer", "items": [{"tag": "string"}]}}
    assert renew(old, new) == {
        "v": {"name": "null|string", "fresh": "integer", "items": [{"tag": "null|string"}]}
    }


def _answers(body: object) -> dict[str, dict[str, object]]:
    return {s.name: {"status": 200, "body": body} for s in STEPS if isinstance(s, Step)}


def test_differences_go_step_by_step_and_skip_the_allowed() -> None:
    expected = _answers({"a": "string", "b": "integer"})
    actual = _answers({"a": "string"})
    first = next(s.name for s in STEPS if isinstance(s, Step))
    actual[first] = {"status": 404, "body": None}
    lines = differences(expected, actual, allowed={})
    assert lines[0] == f"{first}: status 404 in podsim, 200 expected"
    assert lines[1] == f"{first}: body absent in podsim"
    assert all(line.endswith("b: missing in podsim") for line in lines[2:])
    assert len(lines) == 1 + len(expected)
    assert differences(expected, actual, allowed={"*: b: missing in podsim": "why"}) == [
        f"{first}: status 404 in podsim, 200 expected",
        f"{first}: body absent in podsim",
    ]


def test_a_wait_that_never_ended_and_a_step_not_run_are_differences() -> None:
    expected = _answers({"a": "string"})
    actual = _answers({"a": "string"})
    last = [s.name for s in STEPS if isinstance(s, Step)][-1]
    del actual[last]
    actual[WAITS] = {"status": None, "body": ["volume never in-use"]}
    assert differences(expected, actual, allowed={}) == [
        f"{WAITS}: volume never in-use",
        f"{last}: missing in podsim's run",
    ]


def test_recording_a_golden_keeps_its_nullable_fields(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "shapes.json"
    monkeypatch.setattr(golden, "GOLDEN", path)
    path.write_text(json.dumps({"steps": {"a": {"source": "api sample", "status": 200,
                                                "body": {"name": "null|string"}}}}))  # fmt: skip
    golden.save({"a": {"status": 200, "body": {"name": "string", "id": "string"}}}, "recorded")
    assert golden.load() == {
        "a": {"source": "recorded", "status": 200, "body": {"name": "null|string", "id": "string"}}
    }
