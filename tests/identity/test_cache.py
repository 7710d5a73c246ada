"""The token cache: accepted and rejected answers apart, each bounded, each expiring (pure)."""

from datetime import UTC, datetime

from control_plane.identity.cache import TokenCache
from control_plane.identity.policy import Caller

CALLER = Caller("u1", "p1", frozenset({"member"}), is_admin=False, expires_at=datetime.now(UTC))
NOW = 1000.0


def _key(n: int) -> bytes:
    return n.to_bytes(32, "big")


def test_a_cached_valid_token_survives_ten_thousand_bogus_ones() -> None:
    cache = TokenCache(size=10, negative_size=100)
    cache.accept(b"valid", CALLER, NOW + 300)
    for n in range(10_000):
        cache.reject(_key(n), NOW + 10)
    answer = cache.answer(b"valid", NOW)
    assert answer is not None and answer.caller == CALLER
    assert len(cache) == 101


def test_rejections_evict_the_least_recently_used_rejection() -> None:
    cache = TokenCache(size=10, negative_size=2)
    cache.reject(_key(1), NOW + 10)
    cache.reject(_key(2), NOW + 10)
    assert cache.answer(_key(1), NOW) is not None  # now the most recently used
    cache.reject(_key(3), NOW + 10)
    assert cache.answer(_key(2), NOW) is None
    rejected = cache.answer(_key(1), NOW)
    assert rejected is not None and rejected.caller is None


def test_acceptances_evict_the_least_recently_used_acceptance() -> None:
    cache = TokenCache(size=2, negative_size=2)
    for n in range(3):
        cache.accept(_key(n), CALLER, NOW + 300)
    assert [cache.answer(_key(n), NOW) is not None for n in range(3)] == [False, True, True]


def test_an_answer_expires_at_its_time() -> None:
    cache = TokenCache(size=2, negative_size=2)
    cache.accept(b"valid", CALLER, NOW + 5)
    cache.reject(b"bogus", NOW + 1)
    assert cache.answer(b"bogus", NOW + 0.5) is not None
    assert cache.answer(b"bogus", NOW + 1) is None
    assert cache.answer(b"valid", NOW + 4.9) is not None
    assert cache.answer(b"valid", NOW + 5) is None
    assert len(cache) == 0


def test_a_new_answer_replaces_the_other_kind() -> None:
    cache = TokenCache(size=2, negative_size=2)
    cache.reject(b"token", NOW + 10)
    cache.accept(b"token", CALLER, NOW + 10)
    answer = cache.answer(b"token", NOW)
    assert answer is not None and answer.caller == CALLER and len(cache) == 1
