"""list_query and listing: Nova and Cinder sort specs, the comparator, merge, cursor positions."""

from datetime import UTC, datetime

import pytest

from control_plane.decision.lists.listing import (
    EXHAUSTED,
    FROM_START,
    Cursor,
    Entry,
    ResumeAfter,
    Stream,
    advance,
    cursor_key,
    merge,
)
from control_plane.decision.lists.query import (
    SortOrder,
    parse_query,
    pod_query,
    pods_to_ask,
)
from control_plane.errors import BadRequest
from control_plane.model import Pod, PodState, Service

COMPUTE, VOLUME = Service.COMPUTE, Service.VOLUME


def _sort(service: Service, query: str) -> list[tuple[str, str]]:
    order = parse_query(service, query, max_limit=1000).order
    return [
        (field, "desc" if descending else "asc")
        for field, descending in zip(order.fields, order.descending, strict=True)
    ]


@pytest.mark.parametrize(
    ("service", "query", "expected"),
    [
        (COMPUTE, "", [("created", "desc"), ("id", "desc")]),
        (
            COMPUTE,
            "sort_key=display_name&sort_dir=asc",
            [("name", "asc"), ("created", "asc"), ("id", "asc")],
        ),
        (
            COMPUTE,
            "sort_key=display_name&sort_key=updated_at&sort_dir=asc&sort_dir=desc",
            [("name", "asc"), ("updated", "desc"), ("created", "asc"), ("id", "asc")],
        ),
        # A key without a direction takes the first direction given (db process_sort_params).
        (
            COMPUTE,
            "sort_key=display_name&sort_key=launched_at&sort_dir=asc",
            [("name", "asc"), ("OS-SRV-USG:launched_at", "asc"), ("created", "asc"), ("id", "asc")],
        ),
        (COMPUTE, "sort_key=uuid", [("id", "desc"), ("created", "desc")]),
        (
            COMPUTE,
            "sort_key=created_at&sort_dir=asc",
            [("created", "asc"), ("id", "asc")],
        ),
        # Nova drops the keys it ignores together with their direction.
        (
            COMPUTE,
            "sort_key=id&sort_key=display_name&sort_dir=asc&sort_dir=desc",
            [("name", "desc"), ("created", "desc"), ("id", "desc")],
        ),
        (
            COMPUTE,
            "sort_key=availability_zone&sort_dir=asc",
            [("OS-EXT-AZ:availability_zone", "asc"), ("created", "asc"), ("id", "asc")],
        ),
        (COMPUTE, "sort_key=whatever", [("whatever", "desc"), ("created", "desc"), ("id", "desc")]),
        (VOLUME, "", [("created_at", "desc"), ("id", "desc")]),
        (VOLUME, "sort=name:asc", [("name", "asc"), ("created_at", "asc"), ("id", "asc")]),
        (
            VOLUME,
            "sort=size:asc,name",
            [("size", "asc"), ("name", "desc"), ("created_at", "asc"), ("id", "asc")],
        ),
        (VOLUME, "sort=id:asc", [("id", "asc"), ("created_at", "asc")]),
        (
            VOLUME,
            "sort_key=name&sort_dir=asc",
            [("name", "asc"), ("created_at", "asc"), ("id", "asc")],
        ),
        (VOLUME, "sort_key=size", [("size", "desc"), ("created_at", "desc"), ("id", "desc")]),
        (VOLUME, "sort_dir=asc", [("created_at", "asc"), ("id", "asc")]),
        # Cinder reads the first of repeated parameters.
        (
            VOLUME,
            "sort=status:asc&sort=size:desc",
            [("status", "asc"), ("created_at", "asc"), ("id", "asc")],
        ),
    ],
)
def test_sort_spec_is_completed_like_the_pods_do(service, query, expected) -> None:
    assert _sort(service, query) == expected


@pytest.mark.parametrize(
    ("service", "query", "message"),
    [
        (COMPUTE, "sort_key=display_name&sort_dir=up", "Unknown sort direction"),
        (COMPUTE, "sort_dir=asc", "Sort direction size exceeds sort key size"),
        (VOLUME, "sort=name:sideways", "Unknown sort direction"),
    ],
)
def test_bad_sort_directions_are_bad_requests(service, query, message) -> None:
    with pytest.raises(BadRequest, match=message):
        parse_query(service, query, max_limit=1000)


@pytest.mark.parametrize(
    ("service", "query", "limit"),
    [
        (COMPUTE, "", 1000),
        (COMPUTE, "limit=0", 0),
        (COMPUTE, "limit=7", 7),
        (COMPUTE, "limit=5000", 1000),
        (COMPUTE, "limit=3&limit=4", 4),
        (VOLUME, "limit=3&limit=4", 3),
    ],
)
def test_limit_defaults_to_and_is_capped_at_max_limit(service, query, limit) -> None:
    assert parse_query(service, query, max_limit=1000).limit == limit


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("limit=abc", "limit param must be an integer"),
        ("limit=", "limit param must be an integer"),
        ("limit=1.5", "limit param must be an integer"),
        ("limit=-1", "limit param must be positive"),
    ],
)
def test_bad_limits_are_bad_requests(query, message) -> None:
    for service in Service:
        with pytest.raises(BadRequest, match=message):
            parse_query(service, query, max_limit=1000)


def test_marker_and_limit_are_kept_apart_from_pass_through_params() -> None:
    query = parse_query(
        COMPUTE, "name=vm&limit=2&marker=m1&sort_key=display_name&status=ACTIVE", max_limit=10
    )
    assert query.params == (("name", "vm"), ("sort_key", "display_name"), ("status", "ACTIVE"))
    assert (query.limit, query.limit_param, query.marker) == (2, "2", "m1")


def _key(order: SortOrder, **item: object):
    return order.key(item)


def test_none_sorts_first_ascending_and_last_descending() -> None:
    asc = SortOrder(("name",), (False,), (False,))
    desc = SortOrder(("name",), (True,), (False,))
    assert _key(asc, name=None) < _key(asc, name="a")
    assert not _key(asc, name="a") < _key(asc, name=None)
    assert _key(desc, name="a") < _key(desc, name=None)


def test_mixed_directions_compare_key_by_key() -> None:
    order = SortOrder(("name", "id"), (False, True), (False, False))
    items = [{"name": "b", "id": "1"}, {"name": "a", "id": "1"}, {"name": "a", "id": "2"}]
    ranked = sorted(items, key=order.key)
    assert ranked == [{"name": "a", "id": "2"}, {"name": "a", "id": "1"}, {"name": "b", "id": "1"}]


def test_times_in_different_formats_compare_as_moments() -> None:
    order = SortOrder(("created",), (False,), (True,))
    nova = _key(order, created="2026-01-01T10:00:01Z")
    cinder = _key(order, created="2026-01-01T10:00:00.500000")
    assert cinder < nova
    assert order.key({"created": "2026-01-01T10:00:01Z"}).values == (
        datetime(2026, 1, 1, 10, 0, 1, tzinfo=UTC),
    )


def test_values_of_different_types_compare_without_error() -> None:
    order = SortOrder(("x",), (False,), (False,))
    assert _key(order, x=1) < _key(order, x="a") or _key(order, x="a") < _key(order, x=1)


_ORDER = SortOrder(("n", "id"), (False, False), (False, False))


def _entries(pod: str, *names: int) -> tuple[Entry, ...]:
    return tuple(
        Entry(
            pod,
            f"{pod}-{n}",
            {"n": n, "id": f"{pod}-{n}"},
            _ORDER.key({"n": n, "id": f"{pod}-{n}"}),
        )
        for n in names
    )


def _stream(pod: str, *names: int, exhausted: bool = True) -> Stream:
    return Stream(pod, _entries(pod, *names), exhausted=exhausted, start=FROM_START)


def _ids(merged) -> list[str]:
    return [entry.id for entry in merged.entries]


def test_merge_interleaves_sorted_pages_and_cuts_at_the_limit() -> None:
    streams = [_stream("a", 1, 4, 7), _stream("b", 2, 5), _stream("c", 3, 6)]
    merged = merge(streams, limit=5)
    assert _ids(merged) == ["a-1", "b-2", "c-3", "a-4", "b-5"]
    assert merged.more
    assert merged.taken == {"a": 2, "b": 2, "c": 1}


def test_merge_of_everything_has_no_more() -> None:
    merged = merge([_stream("a", 1, 3), _stream("b", 2)], limit=3)
    assert (_ids(merged), merged.more) == (["a-1", "b-2", "a-3"], False)


def test_merge_stops_where_a_truncated_pod_runs_out() -> None:
    # b cut its own page after 2: its next item could sort before a's 5.
    streams = [_stream("a", 1, 5, 6, 7), _stream("b", 2, 3, exhausted=False)]
    merged = merge(streams, limit=10)
    assert (_ids(merged), merged.more) == (["a-1", "b-2", "b-3"], True)


def test_a_truncated_pod_does_not_stop_items_that_sort_before_its_last() -> None:
    streams = [_stream("a", 1, 2, 3), _stream("b", 4, exhausted=False)]
    merged = merge(streams, limit=10)
    assert (_ids(merged), merged.more) == (["a-1", "a-2", "a-3", "b-4"], True)


def test_empty_streams_merge_to_an_empty_last_page() -> None:
    merged = merge([_stream("a"), _stream("b")], limit=3)
    assert (merged.entries, merged.more) == ((), False)


def test_advance_records_each_pods_last_shown_item() -> None:
    streams = [
        _stream("a", 1, 4, 7, exhausted=False),
        _stream("b", 2),
        Stream("c", _entries("c", 9), exhausted=True, start=ResumeAfter("c-8")),
        _stream("d"),
    ]
    merged = merge(streams, limit=3)
    assert _ids(merged) == ["a-1", "b-2", "a-4"]
    cursor = advance(Cursor(after=None, positions={}), streams, merged)
    assert cursor.after is merged.entries[-1].key
    assert cursor.positions == {
        "a": ResumeAfter("a-4"),
        "b": EXHAUSTED,
        "c": ResumeAfter("c-8"),
        "d": EXHAUSTED,
    }


def test_advance_leaves_failed_pods_without_position() -> None:
    streams = [_stream("a", 1, 2, exhausted=False)]
    merged = merge(streams, limit=1)
    cursor = advance(
        Cursor(after=None, positions={"a": FROM_START, "b": FROM_START}), streams, merged
    )
    assert cursor.positions == {"a": ResumeAfter("a-1")}


def test_pod_query_translates_the_az_and_sets_the_pods_page() -> None:
    query = parse_query(
        COMPUTE, "availability_zone=az1&name=x&limit=3&marker=m&sort_key=uuid", max_limit=10
    )
    assert pod_query(query, pod_az_name="nova-1", limit=4, marker="p-9") == (
        "name=x&sort_key=uuid&availability_zone=nova-1&limit=4&marker=p-9"
    )
    assert pod_query(query, pod_az_name="", limit=4, marker=None) == "name=x&sort_key=uuid&limit=4"


def _pod(name: str, az: str, **changes) -> Pod:
    return Pod(
        name=name, az_name=az, endpoints={"compute": "http://c", "volumev3": "http://v"}, **changes
    )


def test_pods_to_ask_skip_disabled_pods_and_pods_without_the_service() -> None:
    pods = [
        _pod("c", "az1"),
        _pod("a", "az2", state=PodState.DRAINING),
        _pod("d", "az1", state=PodState.DISABLED),
        Pod(name="b", az_name="az1", endpoints={"volumev3": "http://v"}),
    ]
    assert [pod.name for pod in pods_to_ask(pods, COMPUTE, None)] == ["a", "c"]
    assert [pod.name for pod in pods_to_ask(pods, VOLUME, None)] == ["a", "b", "c"]
    assert [pod.name for pod in pods_to_ask(pods, VOLUME, "az1")] == ["b", "c"]
    assert pods_to_ask(pods, VOLUME, "az9") == []


def test_cursor_key_ignores_page_size_and_param_order_but_not_sort_key_order() -> None:
    def key(query: str):
        return cursor_key("p", COMPUTE, parse_query(COMPUTE, query, max_limit=10), "last")

    assert key("name=x&status=A&limit=2") == key("status=A&name=x&limit=5&marker=zz")
    assert key("sort_key=a&sort_key=b") != key("sort_key=b&sort_key=a")
    assert key("name=x") != key("name=y")
