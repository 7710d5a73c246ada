"""The workers' metrics merged into the main process's /metrics, written by real worker processes
(prometheus-client's multiprocess mode; control_plane.worker_metrics)."""

import os
import subprocess
import sys

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from control_plane.metrics import Metrics
from control_plane.worker_metrics import Exported, WorkerMetrics

# A worker as the pool starts one: multiprocess mode from its environment, then Podgate's metrics.
_WORKER = """
import os
from control_plane.metrics import Metrics
metrics = Metrics()
metrics.decisions.labels("create", "pod.pod1.compute").inc(3)
metrics.decision_seconds.labels("request_body").observe(0.003)
metrics.pod_free_capacity.labels("pod1", "vcpus").set(7)
print(os.getpid())
"""


def _run_worker(workers: WorkerMetrics) -> int:
    """Run one worker to its end; its pid."""
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(workers.path)}
    done = subprocess.run(
        [sys.executable, "-c", _WORKER], env=env, check=True, capture_output=True, text=True
    )
    return int(done.stdout)


def _samples(text: str) -> dict[tuple[str, frozenset], float]:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_counters_and_histograms_add_up_over_processes_and_gauges_prefer_the_main_one() -> None:
    workers = WorkerMetrics()
    try:
        _run_worker(workers)
        _run_worker(workers)  # two worker processes
        main = Metrics()
        main.decisions.labels("create", "pod.pod1.compute").inc(2)
        main.decisions.labels("list", "200").inc()
        main.decision_seconds.labels("request_body").observe(0.0004)
        served = CollectorRegistry(auto_describe=False)
        served.register(Exported(main.registry, workers))
        text = generate_latest(served).decode()
        samples = _samples(text)
        assert text.count("# TYPE podgate_decisions_total counter") == 1
        create = frozenset({"kind": "create", "outcome": "pod.pod1.compute"}.items())
        assert samples[("podgate_decisions_total", create)] == 2 + 3 + 3
        assert samples[
            ("podgate_decisions_total", frozenset({"kind": "list", "outcome": "200"}.items()))
        ]
        body = {"kind": "request_body"}
        assert samples[("podgate_decision_seconds_count", frozenset(body.items()))] == 3
        fast = frozenset({**body, "le": "0.0005"}.items())
        assert samples[("podgate_decision_seconds_bucket", fast)] == 1  # the main one's
        vcpus = frozenset({"pod": "pod1", "resource": "vcpus"}.items())
        assert samples[("podgate_pod_free_capacity", vcpus)] == 7  # workers' only
        main.pod_free_capacity.labels("pod1", "vcpus").set(5)
        assert _samples(generate_latest(served).decode())[("podgate_pod_free_capacity", vcpus)] == 5
    finally:
        workers.close()
    assert not workers.path.exists()


def test_a_dead_workers_gauges_leave_and_its_counts_stay() -> None:
    workers = WorkerMetrics()
    try:
        workers.process_gone(_run_worker(workers))
        names = {family.name for family in workers.collect() for _ in family.samples}
        assert "podgate_decisions" in names and "podgate_pod_free_capacity" not in names
    finally:
        workers.close()
