"""The scale benchmark's pure parts: seeded rows, percentiles, /proc parsing, the table."""

import re
from datetime import UTC, datetime

import pytest

from bench.scale import (
    FULL,
    HEADERS,
    PROJECT,
    last_rds_push_bytes,
    latency,
    median_ms,
    parse_vm_rss_kib,
    per_entry,
    pod_az,
    pod_name,
    routing_id,
    routing_rows,
    table_rows,
)

UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")


def test_seeded_ids_are_distinct_uuids() -> None:
    ids = [routing_id(n) for n in (0, 1, 255, 999_999, 2**40)]
    assert len(set(ids)) == len(ids)
    for resource_id in ids:
        assert UUID.fullmatch(resource_id)


def test_pods_are_named_in_order_and_spread_over_ten_zones() -> None:
    assert [pod_name(i) for i in (0, 7, 99)] == ["pod000", "pod007", "pod099"]
    assert {pod_az(i) for i in range(FULL.pods)} == {f"az{i}" for i in range(10)}


def test_routing_rows_cover_the_range_round_robin_over_pods() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    rows = list(routing_rows(5, 11, ["a", "b", "c"], now))
    assert [row["resource_id"] for row in rows] == [routing_id(n) for n in range(5, 11)]
    assert [row["pod_id"] for row in rows] == ["c", "a", "b", "c", "a", "b"]
    assert {row["project_id"] for row in rows} == {PROJECT}
    assert {row["resource_type"] for row in rows} == {"server"}
    assert all(row["created_at"] == row["updated_at"] == now for row in rows)


def test_latency_interpolates_percentiles_in_ms() -> None:
    numbers = latency([n / 1000 for n in range(100, 0, -1)])  # 1..100 ms, unordered
    assert numbers["requests"] == 100
    assert numbers["p50_ms"] == pytest.approx(50.5)
    assert numbers["p99_ms"] == pytest.approx(99.01)
    assert numbers["max_ms"] == pytest.approx(100)


def test_latency_of_one_sample_and_of_none() -> None:
    assert latency([0.002])["p99_ms"] == pytest.approx(2)
    with pytest.raises(ValueError):
        latency([])


def test_median_ms_keeps_the_samples() -> None:
    numbers = median_ms([0.3, 0.1, 0.2])
    assert numbers["median_ms"] == pytest.approx(200)
    assert numbers["samples_ms"] == [300.0, 100.0, 200.0]


def test_vm_rss_is_read_from_proc_status() -> None:
    status = "Name:\tenvoy\nVmPeak:\t  900000 kB\nVmRSS:\t   71234 kB\nRssAnon:\t 5000 kB\n"
    assert parse_vm_rss_kib(status) == 71234
    assert parse_vm_rss_kib("Name:\tzombie\nState:\tZ (zombie)\n") == 0


def test_table_rows_show_what_each_run_measured() -> None:
    startup = {"control_plane_s": 1.234, "envoy_live_s": 2.5}
    fast = {
        "routings": 1_000_000,
        "fast_path_cap": 20_000,
        "startup": startup,
        "rss_mib": {"control_plane": 150.25, "envoy": 90.0},
        "fast_path": {"p50_ms": 0.61, "p99_ms": 1.2},
        "new_pod": {"listed": {"median_ms": 41.4}, "routed": {"median_ms": 120.6}},
        "push": {"median_ms": 130.2},
        "rds_push_bytes": 4_300_000,
        "miss": None,
        "cached": None,
    }
    decisions = {
        **fast,
        "fast_path_cap": 0,
        "fast_path": None,
        "new_pod": None,
        "push": None,
        "rds_push_bytes": None,
        "miss": {"p50_ms": 4.0, "p99_ms": 9.123},
        "cached": {"p50_ms": 1.5, "p99_ms": 2.0},
    }
    rows = table_rows([fast, decisions])
    assert all(len(row) == len(HEADERS) for row in rows)
    assert rows[0] == (
        "1,000,000",
        "20,000",
        "1.23 / 2.50",
        "-",
        "-",
        "0.61 / 1.20",
        "41 / 121",
        "130",
        "4,199",
        "150.2",
        "90.0",
    )
    assert rows[1][1:7] == ("0", "1.23 / 2.50", "4.00 / 9.12", "1.50 / 2.00", "-", "-")
    assert rows[1][7:9] == ("-", "-")


def test_the_last_rds_push_size_is_read_from_the_ads_log() -> None:
    log = (
        "push CDS version=ab resources=100 bytes=90000 nonce=1 node=n\n"
        "push RDS version=cd resources=3 bytes=4300000 nonce=2 node=n\n"
        "push RDS version=ef resources=3 bytes=4300210 nonce=5 node=n\n"
    )
    assert last_rds_push_bytes(log) == 4_300_210
    assert last_rds_push_bytes("push CDS version=ab resources=1 bytes=9 nonce=1 node=n") is None


def _fast(level: int, cap: int, envoy: float, control_plane: float) -> dict[str, object]:
    return {
        "level": level,
        "fast_path_cap": cap,
        "rss_mib": {"envoy": envoy, "envoy_heap": envoy / 2, "control_plane": control_plane},
    }


def test_memory_per_entry_is_the_rss_difference_between_the_caps_at_the_largest_store() -> None:
    runs = [
        _fast(0, 20_000, 50.0, 100.0),
        _fast(1_000_000, 20_000, 100.0, 200.0),
        _fast(1_000_000, 0, 40.0, 150.0),  # the decision run: no fast path
        _fast(1_000_000, 100_000, 300.0, 220.0),
    ]
    numbers = per_entry(runs)
    assert numbers == {
        "entries": 80_000,
        "envoy_bytes": pytest.approx(200 * 2**20 / 80_000),
        "envoy_heap_bytes": pytest.approx(100 * 2**20 / 80_000),
        "control_plane_bytes": pytest.approx(20 * 2**20 / 80_000),
    }


def test_memory_per_entry_needs_two_caps_the_store_can_fill() -> None:
    assert per_entry([_fast(10_000, 1_000, 1.0, 1.0)]) is None
    assert per_entry([_fast(10_000, 1_000, 1.0, 1.0), _fast(10_000, 50_000, 9.0, 9.0)]) is None
