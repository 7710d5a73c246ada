"""Sorting and marker paging (pure): the order is total and walking pages sees each record once."""

import random

import pytest

from podsim.paging import ASC, DESC, SortError, SortOrder, page, resolve_sort

DEFAULTS = ("created_at", "id")


def test_no_sort_parameters_mean_created_at_then_id_descending() -> None:
    assert resolve_sort([], [], default_keys=DEFAULTS) == SortOrder(
        ("created_at", "id"), (DESC, DESC)
    )


def test_default_keys_and_missing_directions_take_the_first_direction_given() -> None:
    order = resolve_sort(["name", "size"], [ASC], default_keys=DEFAULTS)
    assert order == SortOrder(("name", "size", "created_at", "id"), (ASC, ASC, ASC, ASC))


def test_a_default_key_the_client_named_keeps_its_place_and_direction() -> None:
    order = resolve_sort(["id", "name"], [DESC, ASC], default_keys=DEFAULTS)
    assert order == SortOrder(("id", "name", "created_at"), (DESC, ASC, DESC))


def test_unknown_direction_is_rejected() -> None:
    with pytest.raises(SortError, match="Unknown sort direction"):
        resolve_sort(["name"], ["up"], default_keys=DEFAULTS)


def test_more_directions_than_keys_is_rejected() -> None:
    with pytest.raises(SortError, match="exceeds"):
        resolve_sort(["name"], [ASC, DESC], default_keys=DEFAULTS)


def test_each_key_sorts_in_its_own_direction() -> None:
    records = [
        {"id": "a", "name": "x", "size": 1},
        {"id": "b", "name": "y", "size": 1},
        {"id": "c", "name": "x", "size": 2},
    ]
    order = SortOrder(("size", "name", "id"), (DESC, ASC, ASC))
    assert [r["id"] for r in page(records, order, limit=10).items] == ["c", "a", "b"]


def test_missing_values_sort_first_ascending_and_last_descending() -> None:
    records = [{"id": "a", "name": "m"}, {"id": "b", "name": None}, {"id": "c"}]
    ascending = page(records, SortOrder(("name", "id"), (ASC, ASC)), limit=10)
    descending = page(records, SortOrder(("name", "id"), (DESC, DESC)), limit=10)
    assert [r["id"] for r in ascending.items] == ["b", "c", "a"]
    assert [r["id"] for r in descending.items] == ["a", "c", "b"]


def test_values_of_different_types_still_sort() -> None:
    records = [{"id": "a", "v": 1}, {"id": "b", "v": "1"}, {"id": "c", "v": 0}]
    ids = [r["id"] for r in page(records, SortOrder(("v", "id"), (ASC, ASC)), limit=10).items]
    assert sorted(ids) == ["a", "b", "c"] and ids[0] == "c"


def test_marker_starts_strictly_after_its_record() -> None:
    records = [{"id": str(n), "n": n} for n in range(5)]
    order = SortOrder(("n", "id"), (ASC, ASC))
    result = page(records, order, limit=10, marker=records[1])
    assert [r["n"] for r in result.items] == [2, 3, 4]


def test_marker_positions_by_its_values_even_when_filtered_out() -> None:
    records = [{"id": str(n), "n": n} for n in (0, 2, 4)]
    order = SortOrder(("n", "id"), (DESC, DESC))
    result = page(records, order, limit=10, marker={"id": "3", "n": 3})
    assert [r["n"] for r in result.items] == [2, 0]


def test_page_is_full_only_when_it_holds_limit_records() -> None:
    records = [{"id": str(n)} for n in range(4)]
    order = SortOrder(("id",), (ASC,))
    assert page(records, order, limit=4).full
    assert not page(records, order, limit=5).full
    assert page(records, order, limit=0) == page([], order, limit=0)
    assert not page(records, order, limit=0).full


@pytest.mark.parametrize("seed", range(20))
def test_walking_pages_sees_every_record_once_in_the_order_of_one_sort(seed: int) -> None:
    rng = random.Random(seed)
    records = [
        {"id": f"{n:04d}", "name": rng.choice("abc"), "size": rng.choice([1, 2, None])}
        for n in rng.sample(range(1000), 40)
    ]
    keys = rng.sample(["name", "size"], rng.randint(0, 2))
    dirs = [rng.choice([ASC, DESC]) for _ in keys[: rng.randint(0, len(keys))]]
    order = resolve_sort(keys, dirs, default_keys=("id",))
    limit = rng.randint(1, 9)
    everything = page(records, order, limit=len(records)).items

    walked: list[dict] = []
    marker = None
    while True:
        result = page(records, order, limit=limit, marker=marker)
        walked.extend(result.items)
        if not result.full:
            break
        marker = result.items[-1]
    assert walked == list(everything)
    assert sorted(r["id"] for r in walked) == sorted(r["id"] for r in records)
