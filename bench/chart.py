"""bench/results/chart.png: requests/s relative to Envoy-direct, and list p50 by pod count."""

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

__all__ = ["draw"]


def draw(scenarios: Mapping[str, Mapping[str, Any]], lists: Mapping[str, list[str]], out: Path):
    """Left: ratio bars of every scenario that has one. Right: list p50 per pod count, one
    line per approach (`lists`: approach → scenario keys in pod-count order)."""
    figure, (left, right) = plt.subplots(1, 2, figsize=(13, 5))
    ratios = [(n["label"], n["ratio"]) for n in scenarios.values() if n.get("ratio") is not None]
    left.barh([label for label, _ in ratios][::-1], [ratio for _, ratio in ratios][::-1])
    left.axvline(0.8, color="grey", linestyle="--", linewidth=1)
    left.set_xlabel("requests/s ÷ Envoy-direct")
    left.set_title("Throughput relative to Envoy-direct")
    for approach, keys in lists.items():
        present = [key for key in keys if key in scenarios]
        counts = [scenarios[key]["pods"] for key in present]
        right.plot(counts, [scenarios[key]["p50_ms"] for key in present], "o-", label=approach)
    right.set_xlabel("pods (each answering after 50 ms)")
    right.set_ylabel("p50 ms")
    right.set_title("servers/detail latency")
    right.legend()
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out, dpi=100)
    plt.close(figure)
