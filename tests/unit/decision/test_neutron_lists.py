"""Neutron's list query and answer (lists/neutron.py): parsing, the pods' query, links, fields."""

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from control_plane.decision.lists.listing import FROM_START, Entry, Stream, merge
from control_plane.decision.lists.neutron import neutron_body, parse_neutron_query
from control_plane.decision.lists.present import ListView
from control_plane.decision.lists.query import pod_query
from control_plane.decision.resources import SPECS
from control_plane.errors import BadRequest
from control_plane.model import ResourceType

NETWORKS = SPECS[ResourceType.NETWORK]
VIEW = ListView(ResourceType.NETWORK, False, "https://gw:19995", "p1", "/v2.0/networks", "networks")


def _pods_query(query: str) -> list[tuple[str, str]]:
    parsed = parse_neutron_query(NETWORKS, query)
    return parse_qsl(pod_query(parsed, pod_az_name="nova", limit=3, marker="m"))


def test_without_sort_keys_the_order_is_id_ascending() -> None:
    query = parse_neutron_query(NETWORKS, "")
    assert (query.order.fields, query.order.descending) == (("id",), (False,))
    assert query.limit is None and query.marker is None and query.fields is None


def test_sort_keys_keep_their_directions_and_id_ascending_ends_them() -> None:
    query = parse_neutron_query(
        NETWORKS, "sort_key=name&sort_dir=desc&sort_key=created_at&sort_dir=asc"
    )
    assert query.order.fields == ("name", "created_at", "id")
    assert query.order.descending == (True, False, False)
    assert query.order.times == (False, True, False)


def test_an_id_sort_key_is_not_appended_again() -> None:
    query = parse_neutron_query(NETWORKS, "sort_key=id&sort_dir=desc&sort_key=name&sort_dir=asc")
    assert query.order.fields == ("id", "name")
    assert query.order.descending == (True, False)


def test_page_reverse_flips_every_direction_and_shows_the_page_backwards() -> None:
    query = parse_neutron_query(NETWORKS, "limit=2&sort_key=name&sort_dir=asc&page_reverse=TRUE")
    assert query.order.descending == (True, True)
    assert query.reverse


def test_page_reverse_without_a_limit_lists_everything_backwards() -> None:
    query = parse_neutron_query(NETWORKS, "page_reverse=true")
    assert query.order.descending == (True,)
    assert not query.reverse  # the merged order is the answer's


@pytest.mark.parametrize("limit", ["", "0"])
def test_no_limit_means_every_item_and_no_marker(limit: str) -> None:
    query = parse_neutron_query(NETWORKS, f"limit={limit or 0}&marker=abc")
    assert query.limit is None and query.marker is None


def test_an_empty_marker_is_no_marker() -> None:
    assert parse_neutron_query(NETWORKS, "limit=2&marker=").marker is None


def test_the_last_of_repeated_paging_parameters_counts_as_in_webob() -> None:
    query = parse_neutron_query(NETWORKS, "limit=5&marker=a&limit=2&marker=b")
    assert (query.limit, query.marker, query.limit_param) == (2, "b", "2")


@pytest.mark.parametrize(
    ("query", "kind", "message"),
    [
        (
            "limit=x",
            "BadRequest",
            "Bad limit request: Limit must be an integer 0 or greater and not 'x'.",
        ),
        (
            "limit=-1&sort_key=name",
            "BadRequest",
            "Bad limit request: Limit must be an integer 0 or greater and not '-1'.",
        ),
        ("sort_key=name", "HTTPBadRequest", "The number of sort_keys and sort_dirs must be same"),
        (
            "sort_key=name&sort_dir=up",
            "HTTPBadRequest",
            "['up'] is invalid value for sort_dirs, valid value is 'asc' and 'desc'",
        ),
    ],
)
def test_bad_queries_are_neutrons_400s(query: str, kind: str, message: str) -> None:
    with pytest.raises(BadRequest) as refused:
        parse_neutron_query(NETWORKS, query)
    assert (refused.value.neutron_type, refused.value.message) == (kind, message)
    assert json.loads(refused.value.fault(NETWORKS.service)) == {
        "NeutronError": {"type": kind, "message": message, "detail": ""}
    }


def test_pods_get_the_filters_the_whole_order_and_their_own_page() -> None:
    assert _pods_query("name=a&limit=9&shared=true&name=b&page_reverse=true&marker=x") == [
        ("name", "a"),
        ("shared", "true"),
        ("name", "b"),
        ("sort_key", "id"),
        ("sort_dir", "desc"),
        ("limit", "3"),
        ("marker", "m"),
    ]


def test_pods_are_asked_for_the_sort_keys_id_and_owner_besides_the_fields() -> None:
    pairs = _pods_query("fields=name&sort_key=mtu&sort_dir=asc&fields=status")
    assert [value for key, value in pairs if key == "fields"] == [
        "name", "status", "mtu", "id", "project_id"
    ]  # fmt: skip


def test_an_empty_fields_value_asks_the_pods_for_everything() -> None:
    pairs = _pods_query("fields=")
    assert "fields" not in dict(pairs)
    assert parse_neutron_query(NETWORKS, "fields=").fields == ("",)


def _body(query: str, ids: list[str], **items: dict) -> dict:
    parsed = parse_neutron_query(NETWORKS, query)
    shown = [{"id": i, "name": f"n-{i}", **items.get(i, {})} for i in ids]
    return json.loads(neutron_body(VIEW, shown, parsed))


def _links(body: dict) -> dict[str, list[tuple[str, str]]]:
    links = {}
    for link in body.get("networks_links", []):
        href = urlsplit(link["href"])
        assert f"{href.scheme}://{href.netloc}{href.path}" == "https://gw:19995/v2.0/networks"
        links[link["rel"]] = parse_qsl(href.query)
    return links


def test_a_full_first_page_links_next_and_previous() -> None:
    body = _body("limit=2&sort_key=name&sort_dir=asc", ["a", "b"])
    assert _links(body) == {
        "next": [("limit", "2"), ("sort_key", "name"), ("sort_dir", "asc"), ("marker", "b")],
        "previous": [
            ("limit", "2"), ("sort_key", "name"), ("sort_dir", "asc"), ("marker", "a"),
            ("page_reverse", "True"),
        ],
    }  # fmt: skip


def test_a_short_forward_page_links_only_previous() -> None:
    body = _body("marker=z&limit=3", ["a"])
    assert _links(body) == {"previous": [("limit", "3"), ("marker", "a"), ("page_reverse", "True")]}


def test_a_short_reverse_page_links_only_next_without_page_reverse() -> None:
    body = _body("limit=3&page_reverse=True&marker=z", ["b", "a"])
    assert [item["id"] for item in body["networks"]] == ["a", "b"]  # merged backwards
    assert _links(body) == {"next": [("limit", "3"), ("marker", "b")]}


def test_an_empty_page_links_without_a_marker() -> None:
    body = _body("limit=3&marker=z", [])
    assert body["networks"] == []
    assert _links(body) == {"previous": [("limit", "3"), ("page_reverse", "True")]}


def test_without_a_limit_there_are_no_links() -> None:
    assert set(_body("", ["a", "b"])) == {"networks"}


def test_only_the_asked_fields_are_shown_but_links_still_use_ids() -> None:
    body = _body("limit=1&fields=name", ["a"], a={"mtu": 1500})
    assert body["networks"] == [{"name": "n-a"}]
    assert dict(_links(body)["next"])["marker"] == "a"


def _stream(pod: str, *items: tuple[str, str, int], order_query: str) -> Stream:
    order = parse_neutron_query(NETWORKS, order_query).order
    entries = tuple(
        Entry(pod, i, item, order.key(item))
        for i, name, mtu in items
        for item in [{"id": i, "name": name, "mtu": mtu}]
    )
    return Stream(pod, entries, exhausted=True, start=FROM_START)


def test_a_multi_key_merge_breaks_ties_by_the_next_key_then_by_id() -> None:
    query = "sort_key=name&sort_dir=asc&sort_key=mtu&sort_dir=desc"
    east = _stream(
        "east", ("e1", "a", 1400), ("e2", "b", 1500), ("e3", "b", 1400), order_query=query
    )
    west = _stream("west", ("w1", "a", 1500), ("w2", "b", 1400), order_query=query)
    merged = merge([east, west], limit=None)
    assert [entry.id for entry in merged.entries] == ["w1", "e1", "e2", "e3", "w2"]


def test_a_reverse_merge_is_the_forward_order_backwards() -> None:
    query = "sort_key=name&sort_dir=asc&page_reverse=true&limit=9"
    east = _stream("east", ("e2", "b", 0), ("e1", "a", 0), order_query=query)
    west = _stream("west", ("w2", "b", 0), ("w1", "a", 0), order_query=query)
    merged = merge([east, west], limit=3)
    # name descending, then id descending (every direction flipped, the id's too)
    assert [entry.id for entry in merged.entries] == ["w2", "e2", "w1"]
