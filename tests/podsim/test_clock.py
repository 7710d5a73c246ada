"""Creation timestamps strictly increase at the kind's resolution, whatever the wall clock does."""

from datetime import UTC, datetime, timedelta

from podsim.clock import Clock

T0 = datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)


def fixed(*moments: datetime):
    """A `now` that returns the given moments in turn."""
    it = iter(moments)
    return lambda: next(it)


def test_second_clock_truncates_to_whole_seconds() -> None:
    clock = Clock(timedelta(seconds=1), now=fixed(T0))
    assert clock.tick() == T0.replace(microsecond=0)


def test_second_clock_steps_one_second_within_the_same_second() -> None:
    clock = Clock(timedelta(seconds=1), now=fixed(T0, T0 + timedelta(microseconds=5), T0))
    base = T0.replace(microsecond=0)
    assert [clock.tick() for _ in range(3)] == [base + timedelta(seconds=n) for n in range(3)]


def test_clock_catches_up_with_the_wall_clock_and_never_goes_back() -> None:
    later = T0 + timedelta(seconds=10)
    clock = Clock(timedelta(seconds=1), now=fixed(T0, later, T0))
    first, second, third = clock.tick(), clock.tick(), clock.tick()
    assert second == later.replace(microsecond=0)
    assert third == second + timedelta(seconds=1) and first < second


def test_microsecond_clock_keeps_microseconds_and_never_repeats() -> None:
    clock = Clock(timedelta(microseconds=1), now=fixed(T0, T0))
    assert [clock.tick(), clock.tick()] == [T0, T0 + timedelta(microseconds=1)]
