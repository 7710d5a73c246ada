"""Property: paging through any set of pods equals slicing one globally sorted list.

Pods are in-memory podsim pods (its own validation, sort and paging), some cutting their pages
short; names and creation times collide on purpose so that ties must be broken by id. Every
walk is run twice: resuming from the cursor cache, and with the cache disabled (each page then
rebuilds its position from the marker alone).
"""

import asyncio
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from podsim.paging import page
from podsim.servers import SERVERS
from podsim.volumes import VOLUMES
from tests.unit.decision.extproc_harness import ListGateway
from tests.unit.decision.fake_pods import FakePod

T0 = datetime(2026, 3, 1, tzinfo=UTC)
PROJECT = "p1"
_DIRECTIONS = st.sampled_from(["asc", "desc"])


@st.composite
def _nova_sort(draw: st.DrawFn) -> list[tuple[str, str]]:
    keys = draw(
        st.lists(
            st.sampled_from(["display_name", "created_at", "uuid", "updated_at", "id"]),
            unique=True,
            max_size=3,
        )
    )
    dirs = draw(st.lists(_DIRECTIONS, max_size=len(keys)))
    return [("sort_key", key) for key in keys] + [("sort_dir", d) for d in dirs]


@st.composite
def _cinder_sort(draw: st.DrawFn) -> list[tuple[str, str]]:
    keys = draw(
        st.lists(st.sampled_from(["name", "created_at", "id", "size"]), unique=True, max_size=3)
    )
    if not keys:
        return []
    if draw(st.booleans()):
        parts = [f"{key}:{draw(_DIRECTIONS)}" if draw(st.booleans()) else key for key in keys]
        return [("sort", ",".join(parts))]
    legacy = [("sort_key", keys[0])]
    return legacy + ([("sort_dir", draw(_DIRECTIONS))] if draw(st.booleans()) else [])


@st.composite
def _clouds(draw: st.DrawFn) -> tuple[str, list[FakePod], list[tuple[str, str]], int]:
    collection = draw(st.sampled_from(["servers", "volumes"]))
    pod_count = draw(st.integers(1, 5))
    names = ["a", "b", "B"] + ([] if collection == "servers" else [None])
    items = draw(
        st.lists(
            st.tuples(st.integers(0, pod_count - 1), st.sampled_from(names), st.integers(0, 4)),
            max_size=24,
        )
    )
    ids = draw(st.permutations(range(len(items))))
    fakes = [
        FakePod(name=f"pod{i}", az=f"nova-{i}", max_limit=draw(st.integers(1, 12)))
        for i in range(pod_count)
    ]
    for (pod, name, second), number in zip(items, ids, strict=True):
        at = T0 + timedelta(seconds=second)
        fakes[pod].add(collection, PROJECT, f"id-{number:03d}", name, at)
    sort = draw(_nova_sort() if collection == "servers" else _cinder_sort())
    return collection, fakes, sort, draw(st.integers(1, 10))


def _expected(collection: str, fakes: list[FakePod], sort: list[tuple[str, str]]) -> list[str]:
    """What one pod holding every resource would list."""
    kind = SERVERS if collection == "servers" else VOLUMES
    records = [record for fake in fakes for record in fake.records[collection].values()]
    order = kind.list_query(sort).order
    return [record[kind.id_key] for record in page(records, order, limit=10**6).items]


def _walk(collection: str, fakes: list[FakePod], path: str, *, cursors: int) -> list[list[str]]:
    for fake in fakes:
        fake.calls.clear()
    return asyncio.run(ListGateway(*fakes, cursors=cursors).walk(path, collection))


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_clouds())
def test_paging_through_pods_equals_one_sorted_list(cloud) -> None:
    collection, fakes, sort, limit = cloud
    expected = _expected(collection, fakes, sort)
    prefix = "/v2.1" if collection == "servers" else "/v3"
    path = f"{prefix}/{PROJECT}/{collection}/detail?{urlencode([*sort, ('limit', str(limit))])}"
    for cursors in (1000, 0):
        pages = _walk(collection, fakes, path, cursors=cursors)
        assert [item for one in pages for item in one] == expected, f"cursor cache {cursors}"
        assert all(len(one) <= limit for one in pages)
