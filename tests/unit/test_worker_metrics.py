"""Merging the workers' metric families into the main process's (control_plane.worker_metrics);
tests/integration/test_worker_metrics.py has real worker processes write them."""

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from control_plane.worker_metrics import merge


def test_merge_keeps_one_family_per_name_in_order() -> None:
    own, theirs = CollectorRegistry(), CollectorRegistry()
    Counter("a", "a", registry=own).inc()
    Gauge("g", "g", registry=own).set(1)
    Counter("a", "a", registry=theirs).inc(2)
    Histogram("h", "h", registry=theirs).observe(1)
    merged = merge(own.collect(), theirs.collect())
    assert [family.name for family in merged] == ["a", "g", "h"]
    totals = [s.value for s in merged[0].samples if s.name == "a_total"]
    assert totals == [3.0]
