"""The reconciler's pure rules: which routings a listing makes suspects, how a listing is read."""

import json
from datetime import UTC, datetime, timedelta

import pytest

from control_plane.decision.resources import SPECS
from control_plane.decision.routed.reconcile import Page, judge, list_path, read_page
from control_plane.model import ResourceType, Routing

START = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
SERVERS, VOLUMES, FLOATING_IPS = (
    SPECS[ResourceType.SERVER],
    SPECS[ResourceType.VOLUME],
    SPECS[ResourceType.FLOATING_IP],
)


def _routing(resource_id: str, *, seconds_before: float = 60) -> Routing:
    created = START - timedelta(seconds=seconds_before)
    return Routing(resource_id, ResourceType.SERVER, "p", "pod1", created, created)


def test_a_routing_missing_once_is_only_a_suspect() -> None:
    verdict = judge(
        [_routing("a"), _routing("b")], frozenset({"a"}), started=START, suspects=frozenset()
    )
    assert verdict.confirm == ()
    assert verdict.suspects == {"b"}


def test_a_routing_missing_twice_in_a_row_is_to_be_confirmed() -> None:
    stored = [_routing("a"), _routing("b"), _routing("c")]
    verdict = judge(stored, frozenset({"a"}), started=START, suspects=frozenset({"b", "x"}))
    assert [routing.resource_id for routing in verdict.confirm] == ["b"]
    assert verdict.suspects == {"b", "c"}


def test_a_suspect_listed_again_is_cleared() -> None:
    verdict = judge([_routing("b")], frozenset({"b"}), started=START, suspects=frozenset({"b"}))
    assert verdict == judge([], frozenset(), started=START, suspects=frozenset())


@pytest.mark.parametrize("seconds_before", [0, -5])
def test_a_routing_stored_since_the_pass_began_is_never_a_suspect(seconds_before: float) -> None:
    """A create in flight: the pod may have listed before it made the resource."""
    fresh = _routing("new", seconds_before=seconds_before)
    verdict = judge([fresh], frozenset(), started=START, suspects=frozenset({"new"}))
    assert verdict.confirm == () and verdict.suspects == frozenset()


def test_a_routing_without_a_creation_time_is_never_a_suspect() -> None:
    unknown = Routing("a", ResourceType.SERVER, "p", "pod1")
    assert judge([unknown], frozenset(), started=START, suspects=frozenset({"a"})).confirm == ()


def test_admin_lists_ask_for_every_project_ids_only() -> None:
    assert list_path(SERVERS, None) == ("/servers", "all_tenants=1&limit=1000")
    assert list_path(VOLUMES, "m 1") == ("/volumes", "all_tenants=1&limit=1000&marker=m+1")
    assert list_path(FLOATING_IPS, "f1") == ("/v2.0/floatingips", "fields=id&limit=1000&marker=f1")


def _page(collection: str, ids: list[str], next_href: str | None = None) -> bytes:
    document: dict[str, object] = {collection: [{"id": i, "name": "n"} for i in ids]}
    if next_href is not None:
        document[f"{collection}_links"] = [
            {"rel": "previous", "href": "http://pod/x?marker=back"},
            {"rel": "next", "href": next_href},
        ]
    return json.dumps(document).encode()


def test_a_last_page_has_no_next_marker() -> None:
    assert read_page(SERVERS, _page("servers", ["a", "b"])) == Page(("a", "b"), None)


def test_the_next_marker_comes_from_the_next_link() -> None:
    body = _page(
        "volumes", ["a"], "http://elsewhere:8776/v3/p/volumes?all_tenants=1&limit=1&marker=a"
    )
    assert read_page(VOLUMES, body) == Page(("a",), "a")
    body = _page("floatingips", ["f"], "http://n:9696/v2.0/floatingips?limit=1&marker=f")
    assert read_page(FLOATING_IPS, body) == Page(("f",), "f")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"volumes": []}',  # another collection
        b'{"servers": [{"name": "no id"}]}',
        b'{"servers": [{"id": ""}]}',
        b'{"servers": [{"id": 7}]}',
        b'{"servers": {}}',
        _page("servers", ["a"], "http://pod/servers?limit=1"),  # a next link without a marker
    ],
)
def test_answers_that_are_no_list_are_refused(body: bytes) -> None:
    assert read_page(SERVERS, body) is None
