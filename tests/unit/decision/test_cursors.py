"""CursorCache: an LRU of list cursors."""

import pytest

from control_plane.decision.lists.cursors import CursorCache
from control_plane.decision.lists.listing import EXHAUSTED, Cursor

CURSOR = Cursor(after=None, positions={"pod1": EXHAUSTED})


def _key(last: str) -> tuple[str, str, str, str]:
    return ("p1", "compute", "", last)


def test_stored_cursor_comes_back() -> None:
    cache = CursorCache(2)
    cache.put(_key("a"), CURSOR)
    assert cache.get(_key("a")) is CURSOR
    assert cache.get(_key("b")) is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_least_recently_used_cursor_is_dropped_first() -> None:
    cache = CursorCache(2)
    cache.put(_key("a"), CURSOR)
    cache.put(_key("b"), CURSOR)
    cache.get(_key("a"))
    cache.put(_key("c"), CURSOR)
    assert cache.get(_key("b")) is None
    assert cache.get(_key("a")) is CURSOR and cache.get(_key("c")) is CURSOR
    assert len(cache) == 2


def test_size_zero_keeps_nothing() -> None:
    cache = CursorCache(0)
    cache.put(_key("a"), CURSOR)
    assert cache.get(_key("a")) is None and len(cache) == 0


def test_clear_forgets_everything() -> None:
    cache = CursorCache(5)
    cache.put(_key("a"), CURSOR)
    cache.clear()
    assert cache.get(_key("a")) is None


def test_negative_size_is_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        CursorCache(-1)
