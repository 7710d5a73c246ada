"""The quota rule: the pods' limits add up to the project's limit over all pods."""

import pytest

from control_plane.decision.quotas.allocate import pod_limits


def test_idle_pods_split_the_limit_equally_the_first_taking_the_remainder() -> None:
    assert pod_limits(3, {"a": 0, "b": 0}, ["a", "b"]) == {"a": 2, "b": 1}


def test_each_pod_keeps_its_usage_and_shares_the_headroom_half_equally_half_by_usage() -> None:
    # headroom 6: one each, then 4 by weights T + n·u = 4 + 2·3 and 4 + 2·1: 2.5 and 1.5, the
    # tie to the less used pod
    assert pod_limits(10, {"a": 3, "b": 1}, ["a", "b"]) == {"a": 3 + 1 + 2, "b": 1 + 1 + 2}
    assert pod_limits(40, {"a": 30, "b": 0}, ["a", "b"]) == {"a": 30 + 1 + 6, "b": 0 + 1 + 2}


def test_a_small_headroom_goes_to_the_least_used_pods_first() -> None:
    assert pod_limits(3, {"a": 2, "b": 0}, ["a", "b"]) == {"a": 2, "b": 1}
    assert pod_limits(4, {"a": 2, "b": 0, "c": 1}, ["a", "b", "c"]) == {"a": 2, "b": 1, "c": 1}


def test_a_limit_below_the_usage_gives_every_pod_its_usage_and_no_room() -> None:
    assert pod_limits(2, {"a": 2, "b": 1}, ["a", "b"]) == {"a": 2, "b": 1}


def test_pods_that_take_nothing_new_get_no_share() -> None:
    assert pod_limits(5, {"a": 1, "draining": 2}, ["a"]) == {"a": 3, "draining": 2}


def test_unlimited_and_per_pod_limits_are_the_same_everywhere() -> None:
    assert pod_limits(-1, {"a": 4, "b": 0}, ["a", "b"]) == {"a": -1, "b": -1}
    assert pod_limits(128, {"a": 4, "b": 0}, ["a", "b"], per_pod=True) == {"a": 128, "b": 128}


@pytest.mark.parametrize("limit", [0, 1, 2, 7, 10, 1001])
@pytest.mark.parametrize("usage", [(0, 0, 0), (5, 0, 1), (3, 3, 3), (1, 0, 0)])
def test_the_pods_limits_add_up_to_the_limit_and_never_fall_below_usage(
    limit: int, usage: tuple[int, int, int]
) -> None:
    used = dict(zip("abc", usage, strict=True))
    given = pod_limits(limit, used, list("abc"))
    assert sum(given.values()) == max(limit, sum(usage))
    assert all(given[pod] >= used[pod] for pod in used)
