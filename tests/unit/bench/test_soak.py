"""The soak's pure parts: the operation mix, the client's ledger, and the checks afterwards."""

import io
import json
import random
from collections import Counter
from pathlib import Path

import pytest
from rich.console import Console

from bench.soak import (
    KINDS,
    MIX,
    Ledger,
    Resource,
    Settings,
    _Record,
    choose_op,
    cpu_share,
    decision_phases,
    overlaps,
    percentile,
    print_summary,
    reconcile,
    summarise,
    walk_problems,
)

_PLENTY = {"server": 5, "volume": 5}


def _draws(n: int, **kwargs: object) -> Counter[str]:
    rng = random.Random(1)
    return Counter(choose_op(rng, MIX, **kwargs) for _ in range(n))  # type: ignore[arg-type]


def test_the_mix_is_followed_when_everything_is_possible() -> None:
    drawn = _draws(20_000, available=_PLENTY, deleted=3, cap=10)

    assert drawn.keys() == MIX.keys()
    total = sum(MIX.values())
    for op, weight in MIX.items():
        assert drawn[op] / 20_000 == pytest.approx(weight / total, abs=0.02), op


def test_nothing_to_act_on_turns_reads_stops_and_deletes_into_creates() -> None:
    drawn = _draws(5_000, available={"server": 0, "volume": 0}, deleted=0, cap=10)

    assert set(drawn) <= {"create_server", "create_volume", "list_servers", "list_volumes"}
    assert drawn["create_server"] > drawn["list_servers"]


def test_a_full_kind_is_deleted_instead_of_created() -> None:
    drawn = _draws(5_000, available={"server": 10, "volume": 2}, deleted=1, cap=10)

    assert "create_server" not in drawn
    assert drawn["create_volume"] > 0
    share = (MIX["delete_server"] + MIX["create_server"]) / sum(MIX.values())
    assert drawn["delete_server"] / 5_000 == pytest.approx(share, abs=0.03)


def test_reads_of_deleted_ids_wait_until_something_was_deleted() -> None:
    drawn = _draws(5_000, available=_PLENTY, deleted=0, cap=10)

    assert "get_deleted" not in drawn


def test_percentile_is_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    random.Random(2).shuffle(values)

    assert percentile(values, 50) == 50.0
    assert percentile(values, 99) == 99.0
    assert percentile(values, 100) == 100.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([], 50) == 0.0


def test_a_request_overlapping_an_outage_counts_as_during_it() -> None:
    outages = [(10.0, 14.0)]

    assert overlaps(9.0, 10.5, outages)  # began before, ended inside
    assert overlaps(13.9, 20.0, outages)  # began inside
    assert overlaps(9.0, 20.0, outages)  # spanned it
    assert not overlaps(14.1, 15.0, outages)
    assert not overlaps(1.0, 9.9, outages)
    assert not overlaps(1.0, 2.0, [])


def test_cpu_share_counts_only_steps_within_one_process() -> None:
    samples = [
        {"t": 0.0, "control_plane_pid": 1, "control_plane_cpu_s": 10.0},
        {"t": 10.0, "control_plane_pid": 1, "control_plane_cpu_s": 15.0},
        {"t": 20.0, "control_plane_pid": 2, "control_plane_cpu_s": 1.0},  # restarted
        {"t": 30.0, "control_plane_pid": 2, "control_plane_cpu_s": 4.0},
        {"t": 40.0, "control_plane_pid": 2, "control_plane_cpu_s": None},  # gone
    ]

    assert cpu_share(samples, "control_plane") == pytest.approx((5 + 3) / 20)
    assert cpu_share(samples[:1], "control_plane") is None


def test_decision_phases_are_read_from_the_prometheus_histogram() -> None:
    metrics = "\n".join(
        [
            "# HELP podgate_decision_seconds Time spent per ext_proc message.",
            'podgate_decision_seconds_bucket{kind="request_body",le="0.5"} 7.0',
            'podgate_decision_seconds_bucket{kind="request_body",le="1.0"} 8.0',
            'podgate_decision_seconds_bucket{kind="request_body",le="+Inf"} 10.0',
            'podgate_decision_seconds_count{kind="request_body"} 10.0',
            'podgate_decision_seconds_sum{kind="request_body"} 4.5',
            'podgate_decision_seconds_count{kind="response_headers"} 0.0',
            'podgate_decision_seconds_sum{kind="response_headers"} 0.0',
            'podgate_xds_pushes_total{type="RDS"} 608.0',
        ]
    )

    assert decision_phases(metrics) == {
        "request_body": {"calls": 10, "mean_ms": 450.0, "over_1s": 2},
        "response_headers": {"calls": 0, "mean_ms": 0.0, "over_1s": 0},
    }


def test_a_walk_with_every_stable_id_once_is_clean() -> None:
    found = walk_problems(["a", "b", "new"], stable={"a", "b"}, gone={"old"})

    assert found == {"duplicates": [], "missing": [], "resurrected": []}


def test_a_walk_names_duplicates_missing_and_resurrected_ids() -> None:
    found = walk_problems(["a", "b", "a", "old"], stable={"a", "b", "c"}, gone={"old"})

    assert found == {"duplicates": ["a"], "missing": ["c"], "resurrected": ["old"]}


def _ledger() -> tuple[Ledger, Resource, Resource]:
    ledger = Ledger(["p1"])
    server = Resource("p1", "server", "s1", "pod1", "az1", ledger.new_name())
    volume = Resource("p1", "volume", "v1", "pod3", "az2", ledger.new_name())
    ledger.add(server)
    ledger.add(volume)
    return ledger, server, volume


def test_a_leased_resource_is_not_offered_again_until_released() -> None:
    ledger, server, _ = _ledger()
    rng = random.Random(3)

    assert ledger.pick(rng, "p1", "server", lease=True) == server
    assert ledger.available("p1") == {"server": 0, "volume": 1}
    ledger.release(server)
    assert ledger.available("p1") == {"server": 1, "volume": 1}


def test_deleted_and_unsure_resources_leave_the_live_set() -> None:
    ledger, server, volume = _ledger()

    ledger.deleted(server, at=1.5)
    ledger.unsure(volume)

    assert ledger.available("p1") == {"server": 0, "volume": 0}
    assert ledger.space("p1", "server").deleted == {"s1": 1.5}
    assert ledger.space("p1", "volume").uncertain == {"v1": volume}
    assert ledger.deleted_count("p1") == 1
    assert ledger.pick_deleted(random.Random(4), "p1") == ("server", "s1")
    assert ledger.created == Counter({"server": 1, "volume": 1})
    assert {server.name, volume.name} == {"soak-1", "soak-2"}


def test_reconcile_agrees_when_the_pods_hold_what_the_client_believes() -> None:
    truth = {"s1": ("pod1", "soak-1"), "s2": ("pod2", "soak-2")}

    result = reconcile({"s1": "pod1", "s2": "pod2"}, ["s3"], [], set(), truth)

    assert result.expected == {"s1": "pod1", "s2": "pod2"}
    assert result.lost == result.wrong_pod == result.resurrected == []
    assert result.orphans == result.unknown == []


def test_reconcile_finds_lost_misplaced_resurrected_and_unknown_resources() -> None:
    truth = {"s2": ("pod3", "soak-2"), "s3": ("pod1", "soak-3"), "x": ("pod1", "stranger")}

    result = reconcile({"s1": "pod1", "s2": "pod2"}, ["s3"], [], set(), truth)

    assert result.lost == ["s1"]
    assert result.wrong_pod == ["s2"]
    assert result.resurrected == ["s3"]
    assert result.unknown == ["x"]
    assert result.expected == {"s2": "pod3"}  # the gateway must route to where it really is


def test_reconcile_keeps_orphans_of_failed_creates_and_settles_unsure_deletes() -> None:
    truth = {"o1": ("pod2", "soak-7"), "u1": ("pod1", "soak-4")}

    result = reconcile({}, [], ["u1", "u2"], {"soak-7", "soak-8"}, truth)

    assert result.orphans == ["o1"]
    assert result.expected == {"o1": "pod2", "u1": "pod1"}
    assert result.lost == result.unknown == []


def _summary(problems: list[dict], failures: dict[str, list[str]] | None = None) -> dict:
    record = _Record(started=0.0, problems=problems)
    record.latencies["get_server"] = [1.0, 2.0, 3.0]
    record.statuses["get_server"] = Counter({"200": 3})
    found = {key: [] for key in ("lost", "gateway_misroutes", "walk_mismatches")}
    verification = {"failures": {**found, **(failures or {})}, "counts": {}}
    settings = Settings(
        seconds=3, chaos=True, concurrency=1, projects=1, cap=1, seed=1, results=Path("x.json")
    )
    return summarise(record, Ledger(["p1"]), verification, 3.0, settings)


def test_the_summary_is_ok_when_faults_came_only_during_the_outage() -> None:
    summary = _summary([{"phase": "outage", "kind": "5xx"}])

    assert summary["ok"]
    assert summary["ops"]["get_server"]["requests"] == 3
    assert summary["ops"]["get_server"]["rps"] == 1.0
    assert summary["problems_by_kind"] == {"outage: 5xx": 1}
    assert json.loads(json.dumps(summary))["settings"]["results"] == "x.json"


@pytest.mark.parametrize("kind", ["5xx", "connection error", "wrong pod", "list missing"])
def test_the_summary_fails_on_any_problem_while_healthy(kind: str) -> None:
    assert not _summary([{"phase": "healthy", "kind": kind}])["ok"]


def test_the_summary_fails_and_counts_lost_resources() -> None:
    summary = _summary([], {"lost": ["server s1"], "gateway_misroutes": ["server s2: 404 None"]})

    assert not summary["ok"]
    assert summary["verification"]["lost"] == 2


def test_every_kind_has_creates_reads_and_deletes_in_the_mix() -> None:
    for kind in KINDS:
        assert {f"create_{kind}", f"get_{kind}", f"delete_{kind}", f"list_{kind}s"} <= MIX.keys()


def test_the_printed_summary_names_each_operation_and_the_verdict() -> None:
    out = io.StringIO()
    summary = _summary([{"phase": "outage", "kind": "5xx"}])

    print_summary(Console(file=out, width=140), summary)

    text = out.getvalue()
    assert "get_server" in text and "200: 3" in text
    assert "LOST" in text and "OK: nothing lost" in text
