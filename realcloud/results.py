"""Tempest results as per-test outcomes, two runs compared side by side (pure functions).

Tempest reports a failed or skipped class set-up as one entry, `setUpClass (module.Class)`, and
never runs that class's tests; here each such test takes its class's outcome, so two runs of the
same selection always count the same tests.
"""

import csv
import io
import re
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

PASS, FAIL, SKIP = "pass", "fail", "skip"
_STATUS = {"success": PASS, "xfail": PASS, "fail": FAIL, "uxsuccess": FAIL, "skip": SKIP}
_FIXTURE = re.compile(r"^(setUpClass|tearDownClass) \((?P<cls>[\w.]+)\)$")
_ATTRS = re.compile(r"\[.*\]$")
_BLOCK = re.compile(r"^={20,}$", re.MULTILINE)
# A request line of tempest.log: "Request (Class:test): 404 GET http://host:port/path 0.003s".
_REQUEST = re.compile(r"Request \([^)]*\): (?P<status>\d{3}) (?P<method>[A-Z]+) (?P<url>\S+)")
_ID_SEGMENT = re.compile(r"^([0-9a-f]{32}|[0-9a-f-]{36}|\d+|req-[0-9a-f-]+)$")


@dataclass(frozen=True, slots=True)
class Run:
    """One Tempest run: each selected test's outcome, and classes whose clean-up failed."""

    outcomes: dict[str, str]
    teardown_failures: tuple[str, ...]

    def counts(self) -> Counter[str]:
        return Counter(self.outcomes.values())


def base_id(raw: str) -> str:
    """A test's id without Tempest's `[id-...,smoke]` attributes."""
    return _ATTRS.sub("", raw.strip())


def parse(selected: Iterable[str], subunit_csv: str) -> Run:
    """Outcomes for every selected test from `subunit2csv` output (test,status,...)."""
    direct: dict[str, str] = {}
    setup: dict[str, str] = {}
    teardown: list[str] = []
    for row in csv.DictReader(io.StringIO(subunit_csv)):
        name, status = row["test"], _STATUS.get(row["status"], FAIL)
        fixture = _FIXTURE.match(name.strip())
        if fixture is None:
            direct[base_id(name)] = status
        elif fixture.group(1) == "setUpClass":
            setup[fixture.group("cls")] = status
        elif status == FAIL:
            teardown.append(fixture.group("cls"))
    outcomes = {}
    for test in (base_id(t) for t in selected):
        cls = test.rsplit(".", 1)[0]
        outcomes[test] = direct.get(test) or setup.get(cls) or FAIL
    return Run(outcomes, tuple(sorted(teardown)))


def failure_reasons(failing: str) -> dict[str, str]:
    """Test (or class, for a set-up) → its exception line(s), from `stestr failing` output."""
    reasons = {}
    for block in _BLOCK.split(failing):
        lines = block.strip("\n").splitlines()
        if not lines or not lines[0].startswith("FAIL: "):
            continue
        name = lines[0].removeprefix("FAIL: ").strip()
        fixture = _FIXTURE.match(name)
        key = fixture.group("cls") if fixture else base_id(name)
        frames = [i for i, line in enumerate(lines) if line.startswith("  File ")]
        tail = lines[frames[-1] + 1 :] if frames else lines[-2:]
        reason = " ".join(line.strip() for line in tail if line and not line.startswith(" "))
        reasons[key] = reason[:240]
    return reasons


def regressions(direct: Run, through: Run) -> list[str]:
    """Tests that pass directly against a pod but not through the gateway."""
    return sorted(
        t
        for t, outcome in direct.outcomes.items()
        if outcome == PASS and through.outcomes.get(t) != PASS
    )


def side_by_side(runs: Mapping[str, Run]) -> str:
    """A small table: one row per run with its pass/fail/skip counts."""
    lines = [f"{'run':<24}{'pass':>7}{'fail':>7}{'skip':>7}{'total':>8}"]
    for name, run in runs.items():
        c = run.counts()
        lines.append(f"{name:<24}{c[PASS]:>7}{c[FAIL]:>7}{c[SKIP]:>7}{sum(c.values()):>8}")
    return "\n".join(lines)


def by_class(tests: Iterable[str]) -> dict[str, list[str]]:
    """Group test ids by class, for a readable list of differences."""
    grouped: dict[str, list[str]] = {}
    for test in tests:
        cls, name = test.rsplit(".", 1)
        grouped.setdefault(cls, []).append(name)
    return grouped


def error_routes(tempest_log: str, ports: Iterable[int]) -> Counter[str]:
    """ "STATUS METHOD /path/{id}" of every 4xx/5xx answer from the given ports, counted."""
    wanted = {str(port) for port in ports}
    found: Counter[str] = Counter()
    for match in _REQUEST.finditer(tempest_log):
        status = int(match.group("status"))
        url = urlsplit(match.group("url"))
        if status < 400 or str(url.port) not in wanted:
            continue
        segments = [_segment(s) for s in url.path.split("/")]
        if segments[1:3] == ["v2.1", "{id}"]:  # the project in Podgate's compute URL
            del segments[2]
        found[f"{status} {match.group('method')} {'/'.join(segments)}"] += 1
    return found


def _reason(reasons: Mapping[str, str], cls: str, names: list[str]) -> str:
    """The class's set-up failure, else its first failing test's."""
    return reasons.get(cls) or next(
        (reasons[f"{cls}.{n}"] for n in names if f"{cls}.{n}" in reasons), ""
    )


def _segment(segment: str) -> str:
    """Ids and Tempest's random names become placeholders, so runs' routes compare."""
    if _ID_SEGMENT.match(segment):
        return "{id}"
    return "{name}" if segment.startswith("tempest-") else segment


def report(
    runs: Mapping[str, tuple[Run, float]],
    errors: Mapping[str, Counter[str]],
    reasons: Mapping[str, str] | None = None,
    *,
    flaky: Mapping[str, Sequence[str]] | None = None,
    hollow: Collection[str] = (),
    gateway: str = "podgate",
    direct: str = "direct",
) -> str:
    """The side-by-side counts, the flaky tests, what passes only directly (by class), and the
    gateway's errors. `runs` hold the outcomes after reruns; `flaky` what a rerun turned to pass;
    `hollow` the tests whose pass through the gateway proves nothing (a blanket 404).
    """
    lines = [side_by_side({name: run for name, (run, _) in runs.items()})]
    lines += [f"{name} took {seconds / 60:.1f} min" for name, (_, seconds) in runs.items()]
    for name, tests in (flaky or {}).items():
        lines.append(f"\nflaky {name} (failed, then passed on one rerun): {len(tests)}")
        lines += [f"  {test}" for test in tests]
    lost = regressions(runs[direct][0], runs[gateway][0])
    gained = regressions(runs[gateway][0], runs[direct][0])
    lines.append(f"\npass directly but not through {gateway}: {len(lost)}")
    for cls, names in by_class(lost).items():
        lines.append(f"  {cls} ({len(names)}): {', '.join(names)}")
        why = _reason(reasons or {}, cls, names)
        if why:
            lines.append(f"      {why}")
    lines.append(f"\npass through {gateway} but not directly: {len(gained)}")
    lines += [f"  {test}" for test in gained]
    only_gateway = errors[gateway] - errors[direct]
    lines.append(f"\nerror answers seen only through {gateway} (status method route: count):")
    lines += [f"  {route}: {count}" for route, count in only_gateway.most_common()]
    if hollow:
        lines.append(
            f"\npass through {gateway} only because it answers 404 to every os-volumes path"
            " (kept out of the baseline; re-check when os-volumes is served):"
        )
        lines += [
            f"  {t}: {gateway} {runs[gateway][0].outcomes.get(t)}, "
            f"{direct} {runs[direct][0].outcomes.get(t)}"
            for t in sorted(hollow)
        ]
    teardown = runs[gateway][0].teardown_failures
    if teardown:
        lines.append(f"\nclass clean-ups that failed through {gateway}: {', '.join(teardown)}")
    return "\n".join(lines)


def broken_baseline(baseline: Iterable[str], direct: Run, through: Run) -> list[str]:
    """Baseline tests (they passed through the gateway before) that now fail only through it.

    A test that fails directly too is the cloud's problem this time, not the gateway's.
    """
    return sorted(
        t
        for t in baseline
        if direct.outcomes.get(t) == PASS and through.outcomes.get(t) not in (PASS, None)
    )


def unexpected_failures(run: Run, known: Iterable[str]) -> list[str]:
    """Failed tests not covered by `known` (a test id, or a class whose tests all fail)."""
    entries = tuple(known)
    return sorted(
        t
        for t, outcome in run.outcomes.items()
        if outcome == FAIL and not any(t == e or t.startswith(f"{e}.") for e in entries)
    )


# More failures than this is a broken cloud or gateway, not flakiness: a rerun only costs time.
RERUN_LIMIT = 40


def to_rerun(failures: Iterable[str], *, limit: int = RERUN_LIMIT) -> list[str]:
    """The failures worth one more try: all of them, or none when there are too many."""
    chosen = sorted(set(failures))
    return chosen if len(chosen) <= limit else []


def with_rerun(first: Run, rerun: Run) -> tuple[Run, list[str]]:
    """The first run with each rerun test's second outcome, and the tests that were flaky.

    Flaky: failed the first time, passed the second. A test that fails twice stays failed.
    """
    outcomes = {
        **first.outcomes,
        **{t: o for t, o in rerun.outcomes.items() if t in first.outcomes},
    }
    flaky = sorted(
        t for t, o in rerun.outcomes.items() if o == PASS and first.outcomes.get(t) == FAIL
    )
    return Run(outcomes, first.teardown_failures), flaky


def select(listed: Iterable[str], tests: Iterable[str]) -> list[str]:
    """The listed ids (with Tempest's attributes, as `--load-list` wants them) of these tests."""
    wanted = set(tests)
    return [raw for raw in listed if base_id(raw) in wanted]


def new_passes(direct: Run, through: Run, *excluded: Iterable[str]) -> list[str]:
    """Tests that pass both ways and are in none of the `excluded` lists: baseline candidates."""
    left_out = set().union(*excluded)
    return sorted(
        t
        for t, outcome in through.outcomes.items()
        if outcome == PASS and direct.outcomes.get(t) == PASS and t not in left_out
    )


def list_entries(text: str) -> set[str]:
    """The entries of a list file (baseline, known failures): one per line, # comments."""
    return {line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")}


def stale_gateway(started: str, now: str) -> str:
    """A warning when the running gateway's code is not the repository's, else nothing.

    Versions are `commit[+changes]`; uncommitted edits made after the start go unnoticed.
    """
    if started == now:
        return ""
    return (
        f"WARNING: Podgate was started from {started or 'an unknown version'}, its code is now"
        f" {now}: run `python -m realcloud up --podgate-only` to test the current code"
    )
