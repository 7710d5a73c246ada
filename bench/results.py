"""Turning wrk runs into the published numbers: per-scenario medians, ratios, the tables (pure)."""

import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Sample", "Scenario", "markdown_table", "summarise", "table_rows"]


@dataclass(frozen=True, slots=True)
class Scenario:
    """One measured case: its key, what the table calls it, and its ratio's reference."""

    key: str
    label: str
    reference: str | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """One measured wrk run and the CPU the gateway's processes spent during it."""

    requests: int
    duration_s: float
    p50_ms: float
    p99_ms: float
    errors: int
    python_cpu_s: float | None
    envoy_cpu_s: float | None
    ext_proc_streams: int | None = None

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0


def _per_request(samples: Sequence[Sample], field: str) -> float | None:
    spent = [getattr(sample, field) for sample in samples]
    requests = sum(sample.requests for sample in samples)
    if any(value is None for value in spent) or not requests:
        return None
    return sum(spent) / requests


def _per_request_us(samples: Sequence[Sample], field: str) -> float | None:
    seconds = _per_request(samples, field)
    return None if seconds is None else seconds * 1e6


def summarise(
    scenarios: Sequence[Scenario], samples: Mapping[str, Sequence[Sample]]
) -> dict[str, dict[str, Any]]:
    """Scenario key → medians over its rounds, CPU per request over all rounds, and the ratio
    of its requests/s to its reference's (Envoy-direct)."""
    result: dict[str, dict[str, Any]] = {}
    for scenario in scenarios:
        runs = samples.get(scenario.key, ())
        if not runs:
            continue
        rates = [run.rps for run in runs]
        result[scenario.key] = {
            "label": scenario.label,
            "rounds": len(runs),
            "requests": sum(run.requests for run in runs),
            "errors": sum(run.errors for run in runs),
            "rps": statistics.median(rates),
            "rps_min": min(rates),
            "rps_max": max(rates),
            "p50_ms": statistics.median(run.p50_ms for run in runs),
            "p99_ms": statistics.median(run.p99_ms for run in runs),
            "python_us_per_req": _per_request_us(runs, "python_cpu_s"),
            "envoy_us_per_req": _per_request_us(runs, "envoy_cpu_s"),
            "ext_proc_per_req": _per_request(runs, "ext_proc_streams"),
            "reference": scenario.reference,
        }
    for numbers in result.values():
        reference = result.get(numbers["reference"] or "")
        numbers["ratio"] = numbers["rps"] / reference["rps"] if reference else None
    return result


HEADERS = (
    "scenario",
    "req/s",
    "p50 ms",
    "p99 ms",
    "Python µs/req",
    "Envoy µs/req",
    "ext_proc/req",
    "x direct",
    "errors",
)


def _number(value: float | None, digits: int = 0) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table_rows(scenarios: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """One row of text cells per scenario, in the order given, matching HEADERS."""
    return [
        (
            numbers["label"],
            _number(numbers["rps"]),
            _number(numbers["p50_ms"], 1),
            _number(numbers["p99_ms"], 1),
            _number(numbers["python_us_per_req"]),
            _number(numbers["envoy_us_per_req"]),
            _number(numbers.get("ext_proc_per_req"), 2),
            _number(numbers["ratio"], 2),
            str(numbers["errors"]),
        )
        for numbers in scenarios.values()
    ]


def markdown_table(document: Mapping[str, Any]) -> str:
    """The README's table from latest.json: the numbers plus one line on the machine."""
    machine = document.get("machine", {})
    lines = [
        "| " + " | ".join(HEADERS) + " |",
        "|" + "---|" * len(HEADERS),
        *("| " + " | ".join(row) + " |" for row in table_rows(document["scenarios"])),
    ]
    if machine:
        lines += [
            "",
            f"{machine.get('date', '?')}: {machine.get('cpu', '?')}, {machine.get('cores', '?')} "
            f"cores, {machine.get('ram_gib', '?')} GiB RAM, Envoy {machine.get('envoy', '?')}, "
            f"Python {machine.get('python', '?')}; {document.get('method', '')}".rstrip("; "),
        ]
    return "\n".join(lines)
