"""podsim.network.query: Neutron's list query, parsed and applied (pure, no process)."""

import pytest

from podsim.network.faults import NeutronFault
from podsim.network.query import NeutronQuery, links, matches, parse_query, select

ATTRIBUTES = frozenset({"id", "name", "admin_state_up", "mtu", "subnets"})
SORT_KEYS = frozenset({"id", "name"})
RECORDS = [
    {"id": "a", "name": "x", "admin_state_up": True, "mtu": 1500, "subnets": ["s1"]},
    {"id": "b", "name": "y", "admin_state_up": False, "mtu": 9000, "subnets": []},
    {"id": "c", "name": "x", "admin_state_up": True, "mtu": 1500, "subnets": ["s2", "s3"]},
    {"id": "d", "name": None, "admin_state_up": True, "mtu": 1500, "subnets": []},
]


def query(text: str) -> NeutronQuery:
    params = [tuple(part.split("=", 1)) for part in text.split("&") if part]
    return parse_query(params, attributes=ATTRIBUTES, sort_keys=SORT_KEYS, extra=frozenset())


def missing(marker: str) -> NeutronFault:
    return NeutronFault(404, "ThingNotFound", marker)


def ids(text: str, *, strict: bool = True) -> list[str]:
    q = query(text)
    chosen = [r for r in RECORDS if matches(r, q.filters)]
    by_id = {r["id"]: r for r in RECORDS}
    return [
        r["id"]
        for r in select(chosen, q, marker_of=by_id.get, not_found=missing, strict_marker=strict)
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ["a", "b", "c", "d"]),
        ("limit=0", ["a", "b", "c", "d"]),
        ("limit=2", ["a", "b"]),
        ("limit=2&marker=b", ["c", "d"]),
        ("limit=2&marker=c&page_reverse=true", ["a", "b"]),
        ("limit=2&marker=b&page_reverse=True", ["a"]),
        ("limit=2&page_reverse=True", ["c", "d"]),
        ("page_reverse=True", ["d", "c", "b", "a"]),
        ("marker=b", ["a", "b", "c", "d"]),
        ("sort_key=name&sort_dir=asc", ["d", "a", "c", "b"]),
        ("sort_key=name&sort_dir=desc&limit=2", ["b", "a"]),
        ("sort_key=name&sort_dir=desc&limit=2&marker=a&page_reverse=True", ["b"]),
        ("name=x", ["a", "c"]),
        ("name=x&name=y", ["a", "b", "c"]),
        ("name=x&admin_state_up=false", []),
        ("admin_state_up=0", ["b"]),
        ("mtu=9000", ["b"]),
        ("subnets=s3", ["c"]),
    ],
)
def test_select(text: str, expected: list[str]) -> None:
    assert ids(text) == expected


def test_unknown_marker_is_the_kinds_404_or_ignored() -> None:
    with pytest.raises(NeutronFault) as raised:
        ids("limit=1&marker=zz")
    assert (raised.value.status, raised.value.kind) == (404, "ThingNotFound")
    assert ids("limit=1&marker=zz", strict=False) == ["a"]


def test_links_follow_neutron_get_pagination_links() -> None:
    q = query("limit=2&name=x")
    url = "http://pod/network/v2.0/networks"
    params = [("limit", "2"), ("name", "x")]
    full = [RECORDS[0], RECORDS[1]]
    assert links(url, params, full, q) == [
        {"rel": "next", "href": f"{url}?limit=2&name=x&marker=b"},
        {"rel": "previous", "href": f"{url}?limit=2&name=x&marker=a&page_reverse=True"},
    ]
    assert [link["rel"] for link in links(url, params, full[:1], q)] == ["previous"]
    back = query("limit=2&page_reverse=True")
    assert [link["rel"] for link in links(url, [], full[:1], back)] == ["next"]
    assert links(url, [], full, query("")) == []
    # An empty page: no marker, only the way back from the end.
    assert links(url, params, [], q) == [
        {"rel": "previous", "href": f"{url}?limit=2&name=x&page_reverse=True"}
    ]


def test_fields_are_collected() -> None:
    assert query("fields=id&fields=name&fields=").fields == ("id", "name")
