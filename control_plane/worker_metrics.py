"""The decision workers' metrics in the main process's /metrics.

Each worker runs prometheus-client in its multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by
the pool when it starts the worker: before the worker imports prometheus-client), so its values
live in files of one directory; the main process keeps its own in memory. /metrics shows one
family per name: counters and histograms are summed over every process (a worker that died keeps
its counts), a gauge shows the main process's value when it has one, else the workers' most
recent. `merge` is pure; `WorkerMetrics` reads the directory when scraped.
"""

import shutil
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from prometheus_client import multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector
from prometheus_client.samples import Sample

__all__ = ["WORKER_GAUGE_MODE", "WorkerMetrics", "merge"]

# How the workers' gauges are written: the newest value of the processes alive.
WORKER_GAUGE_MODE = "livemostrecent"


def merge(own: Iterable[Metric], workers: Iterable[Metric]) -> list[Metric]:
    """One family per name, in `own`'s order, then the workers' families `own` lacks."""
    merged: dict[str, Metric] = {}
    for family in own:
        merged[family.name] = _copy(family)
    for family in workers:
        mine = merged.get(family.name)
        if mine is None:
            merged[family.name] = _copy(family)
        elif mine.type == "gauge":
            known = {(s.name, _labels(s)) for s in mine.samples}
            mine.samples += [s for s in family.samples if (s.name, _labels(s)) not in known]
        else:
            _add(mine, family)
    return list(merged.values())


def _copy(family: Metric) -> Metric:
    copied = Metric(family.name, family.documentation, family.type, family.unit)
    copied.samples = list(family.samples)
    return copied


def _labels(sample: Sample) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(sample.labels.items()))


def _add(mine: Metric, theirs: Metric) -> None:
    """Sum `theirs` into `mine` sample by sample (a `_created` time stays the main process's)."""
    index = {(s.name, _labels(s)): n for n, s in enumerate(mine.samples)}
    for sample in theirs.samples:
        at = index.get((sample.name, _labels(sample)))
        if at is None:
            index[(sample.name, _labels(sample))] = len(mine.samples)
            mine.samples.append(sample)
        elif not sample.name.endswith("_created"):
            kept = mine.samples[at]
            mine.samples[at] = kept._replace(value=kept.value + sample.value)


class WorkerMetrics:
    """The directory the workers write their metrics to: made fresh, removed on close."""

    def __init__(self) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="podgate-worker-metrics-"))

    def process_gone(self, pid: int) -> None:
        """A worker exited: its gauges stop counting (its counters stay in the sums)."""
        multiprocess.mark_process_dead(pid, str(self.path))

    def collect(self) -> list[Metric]:
        """Every worker's families, merged across them."""
        return list(multiprocess.MultiProcessCollector(None, str(self.path)).collect())

    def close(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


class Exported(Collector):
    """What /metrics serves: the main process's registry merged with its workers'."""

    def __init__(self, own: Collector, workers: WorkerMetrics | None = None) -> None:
        self._own = own
        self.workers = workers

    def collect(self) -> Iterator[Metric]:
        own = self._own.collect()
        if self.workers is None:
            yield from own
            return
        yield from merge(own, self.workers.collect())
