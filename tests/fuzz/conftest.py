"""Fuzz fixtures: a count of the requests sent per target, printed at the end of the session."""

from collections.abc import Iterator

import pytest

from tests.fuzz.tally import Tally

_TALLY = pytest.StashKey[Tally]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_TALLY] = Tally()


@pytest.fixture
def tally(request: pytest.FixtureRequest, record_property) -> Iterator[Tally]:
    """Add what a test sends under its target's name; recorded in the test report too."""
    counts = request.config.stash[_TALLY]
    before = counts.requests.copy()
    yield counts
    for target, total in (counts.requests - before).items():
        record_property(f"fuzz_requests_{target}", total)


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    counts = config.stash.get(_TALLY, Tally())
    if not counts.requests:
        return
    terminalreporter.section("fuzz requests")
    for target, total in sorted(counts.requests.items()):
        terminalreporter.write_line(f"{target}: {total}")
    terminalreporter.write_line(f"total: {counts.requests.total()}")
    for note, total in sorted(counts.notes.items()):
        terminalreporter.write_line(f"  of which {note}: {total}")
