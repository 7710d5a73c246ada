"""`python -m realcloud up|down|status|tempest|scenario`: the real OpenStack tier's commands."""

import argparse
import json
import sys
from pathlib import Path

from realcloud import cleanup, cloud, gateway, results, scenario_run, tempest
from realcloud.layout import PODS, Layout, default_layout

_BASELINE = Path(__file__).with_name("podgate-baseline.txt")
_KNOWN_DIRECT = Path(__file__).with_name("direct-known-failures.txt")
_HOLLOW = Path(__file__).with_name("podgate-404-passes.txt")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m realcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up", help="install (cached), start and seed the cloud + Podgate")
    start.add_argument("--restart", action="store_true", help="stop a running cloud first")
    start.add_argument("--if-needed", action="store_true", help="do nothing if it is up")
    start.add_argument(
        "--podgate-only", action="store_true", help="restart Podgate alone (new gateway code)"
    )
    commands.add_parser("down", help="stop every process of the cloud by PID")
    commands.add_parser("status", help="each process, alive or not, and its memory")
    run = commands.add_parser("tempest", help="Tempest through Podgate and directly, compared")
    run.add_argument("--regex", default=tempest.SELECTION, help="default: the issue's set")
    run.add_argument(
        "--podgate-only",
        action="store_true",
        help="reuse the last direct run of the same selection (the pods' code did not change)",
    )
    commands.add_parser("scenario", help="the openstacksdk scenario through Podgate")
    commands.add_parser("clean", help="delete Tempest's leftovers; check the pods agree")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # progress shows up in CI logs as it happens
    layout = default_layout()
    if args.command == "up":
        if args.podgate_only:
            print(f"Podgate restarted, code {cloud.restart_gateway(layout)}")
            return 0
        return _up(layout, restart=args.restart, if_needed=args.if_needed)
    if args.command == "down":
        cloud.down(layout)
    elif args.command == "status":
        print(f"{'process':24} {'pid':>8} {'state':5} {'RSS MB':>7} {'PSS MB':>7}")
        for name, pid, alive, rss, pss in cloud.status(layout):
            state = "up" if alive else "DEAD"
            print(f"{name:24} {pid:>8} {state:5} {rss // 2**20:>7} {pss // 2**20:>7}")
        rss, pss = cloud.memory_mb(layout)
        print(f"{'total':39} {rss:>8} {pss:>7}")
    elif args.command == "tempest":
        return _tempest(layout, args.regex, podgate_only=args.podgate_only)
    elif args.command == "scenario":
        return _scenario(layout)
    elif args.command == "clean":
        return _clean(layout)
    return 0


def _up(layout: Layout, *, restart: bool, if_needed: bool) -> int:
    if if_needed and cloud.is_up(layout):
        print(f"already up ({layout.root})")
        return 0
    if restart or if_needed:
        cloud.down(layout)
    report = cloud.up(layout)
    memory = f"{report.rss_mb} MB RSS, {report.pss_mb} MB PSS"
    print(f"up in {report.total_s:.0f}s, {memory}; state in {layout.root}")
    return 0


def _tempest(layout: Layout, regex: str, *, podgate_only: bool) -> int:
    """Direct first, then through Podgate, each from the seeded state; the failures that matter
    rerun once; compared, and checked against the known failures and the baseline."""
    if not cloud.is_up(layout):
        print("the cloud is not up: run `python -m realcloud up` first", file=sys.stderr)
        return 2
    seeded, admin_project = cloud.tempest_inputs(layout), cloud.admin_project(layout)
    done: dict[str, tempest.Outcome] = {}
    final: dict[str, results.Run] = {}
    flaky: dict[str, list[str]] = {}
    if podgate_only:
        kept = tempest.load_final(layout, "direct", regex)
        if kept is None:
            print(
                "no direct run of this selection to reuse: run without --podgate-only",
                file=sys.stderr,
            )
            return 2
        done["direct"], final["direct"], flaky["direct"] = kept
    for name in ("podgate",) if podgate_only else ("direct", "podgate"):
        differences = cleanup.clean(layout, admin_project)
        if differences:
            text = f"NOT IN THE SEEDED STATE before the {name} run (clean-up could not fix it):\n"
            text += "\n".join(f"  {line}" for line in differences)
            print(text, file=sys.stderr)
            layout.results.mkdir(parents=True, exist_ok=True)
            (layout.results / "summary.txt").write_text(text + "\n")
            return 1
        done[name] = tempest.run(layout, name, seeded, regex=regex)
        first = done[name].run
        failures = _unexpected(first) if name == "direct" else _broken(final["direct"], first)
        final[name], flaky[name] = _rerun(layout, done[name], failures, seeded)
        tempest.save_final(layout, done[name], final[name], flaky[name], regex)
    ports = {
        "direct": [PODS[0].nova_port, PODS[0].cinder_port, PODS[0].neutron_port],
        "podgate": [
            layout.ports.podgate_compute,
            layout.ports.podgate_volume,
            layout.ports.podgate_network,
        ],
    }
    errors = {
        name: results.error_routes(
            (layout.results / f"tempest-{name}" / "logs" / "tempest.log").read_text(), ports[name]
        )
        for name in done
    }
    runs = {n: (final[n], o.seconds) for n, o in done.items()}
    hollow = _lines(_HOLLOW)
    text = results.report(runs, errors, done["podgate"].reasons, flaky=flaky, hollow=hollow)
    new = results.new_passes(final["direct"], final["podgate"], _lines(_BASELINE), hollow)
    text += f"\n\npass both ways, not in podgate-baseline.txt yet (add them): {len(new)}\n"
    text += "\n".join(f"  {test}" for test in new)
    broken = _broken(final["direct"], final["podgate"])
    unexpected = _unexpected(final["direct"])
    if unexpected:
        text += (
            "\n\nUNEXPECTED failures directly against Pod1 (not in direct-known-failures.txt),"
            " failed twice:\n"
        )
        text += "\n".join(f"  {test}" for test in unexpected)
    if broken:
        text += (
            "\n\nBASELINE BROKEN: passed through Podgate before, pass directly, fail now (twice):\n"
        )
        text += "\n".join(f"  {test}" for test in broken)
    started = str(cloud.describe(layout).get("podgate_version", ""))
    stale = results.stale_gateway(started, gateway.source_version())
    text += f"\n\nPodgate's code: {started}" + (f"\n{stale}" if stale else "")
    print(text)
    (layout.results / "summary.txt").write_text(text + "\n")
    (layout.results / "summary.json").write_text(
        json.dumps(
            {
                name: {
                    "region": o.region,
                    "seconds": round(o.seconds),
                    "counts": dict(final[name].counts()),
                    "flaky": flaky[name],
                    "tempest_exit": o.returncode,
                }
                for name, o in done.items()
            },
            indent=2,
        )
    )
    timed_out = [name for name, o in done.items() if o.returncode < 0]
    return 1 if broken or unexpected or timed_out else 0


def _unexpected(direct: results.Run) -> list[str]:
    """Failures directly against Pod1 that the fakes do not explain: they fail CI."""
    return results.unexpected_failures(direct, _lines(_KNOWN_DIRECT))


def _broken(direct: results.Run, podgate: results.Run) -> list[str]:
    """Baseline tests that pass directly but fail through Podgate: they fail CI."""
    return results.broken_baseline(_lines(_BASELINE), direct, podgate)


def _rerun(
    layout: Layout, outcome: tempest.Outcome, failures: list[str], seeded: tempest.Seeded
) -> tuple[results.Run, list[str]]:
    """One more try for the failures that matter; the outcomes after it, and the flaky tests."""
    chosen = results.to_rerun(failures)
    if failures and not chosen:
        print(f"{len(failures)} failures that matter in {outcome.name}: too many to rerun")
    if not chosen:
        return outcome.run, []
    again = tempest.rerun(layout, outcome, chosen, seeded)
    return results.with_rerun(outcome.run, again.run)


def _lines(path: Path) -> set[str]:
    return results.list_entries(path.read_text()) if path.exists() else set()


def _clean(layout: Layout) -> int:
    differences = cleanup.clean(layout, cloud.admin_project(layout))
    print("\n".join(differences) or "the pods are in the seeded state")
    return 1 if differences else 0


def _scenario(layout: Layout) -> int:
    steps = scenario_run.run(layout)
    for step in steps:
        mark = "ok  " if step["ok"] else "FAIL"
        print(f"{mark} {step['step']} ({step['seconds']}s) {step['detail']}")
    return 0 if all(step["ok"] for step in steps) else 1


if __name__ == "__main__":
    sys.exit(main())
