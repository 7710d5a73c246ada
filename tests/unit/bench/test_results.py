"""The published numbers: medians, CPU per request, ratios, and the README table."""

import pytest

from bench.readme import END, START, refresh
from bench.results import Sample, Scenario, markdown_table, summarise


def _sample(
    requests: int, seconds: float = 10.0, python: float | None = None, streams: int | None = None
) -> Sample:
    return Sample(
        requests=requests,
        duration_s=seconds,
        p50_ms=requests / 10_000,
        p99_ms=requests / 1000,
        errors=1,
        python_cpu_s=python,
        envoy_cpu_s=requests / 1e6,
        ext_proc_streams=streams,
    )


SCENARIOS = [
    Scenario("direct", "Envoy-direct", "direct"),
    Scenario("gateway", "Podgate", "direct"),
    Scenario("list", "list"),
]


def test_medians_cpu_per_request_and_ratio_to_the_reference() -> None:
    samples = {
        "direct": [_sample(50_000), _sample(40_000), _sample(60_000)],
        "gateway": [
            _sample(40_000, python=2.0, streams=0),
            _sample(20_000, python=1.0, streams=15_000),
        ],
        "list": [_sample(100)],
    }

    result = summarise(SCENARIOS, samples)

    assert result["direct"]["rps"] == 5000
    assert (result["direct"]["rps_min"], result["direct"]["rps_max"]) == (4000, 6000)
    assert result["direct"]["python_us_per_req"] is None
    assert result["direct"]["envoy_us_per_req"] == pytest.approx(1.0)
    assert result["direct"]["ratio"] == 1.0
    assert result["gateway"]["rps"] == 3000
    assert result["gateway"]["python_us_per_req"] == pytest.approx(3.0 / 60_000 * 1e6)
    assert result["gateway"]["ratio"] == pytest.approx(0.6)
    assert result["gateway"]["ext_proc_per_req"] == pytest.approx(0.25)
    assert result["direct"]["ext_proc_per_req"] is None
    assert result["gateway"]["errors"] == 2
    assert result["list"]["ratio"] is None


def test_a_scenario_without_runs_is_left_out_and_its_dependents_get_no_ratio() -> None:
    result = summarise(SCENARIOS, {"gateway": [_sample(1000)]})

    assert list(result) == ["gateway"]
    assert result["gateway"]["ratio"] is None


def test_markdown_table_has_a_row_per_scenario_and_the_machine_line() -> None:
    scenarios = summarise(SCENARIOS, {"direct": [_sample(50_000)], "gateway": [_sample(40_000)]})
    document = {
        "machine": {"cpu": "Xeon", "cores": 2, "ram_gib": 8, "envoy": "1.40.0", "date": "2026"},
        "method": "wrk -t1",
        "scenarios": scenarios,
    }

    lines = markdown_table(document).splitlines()

    assert lines[0].startswith("| scenario | req/s |")
    assert all(line.count("|") == lines[0].count("|") for line in lines[1:4])
    assert lines[2] == "| Envoy-direct | 5,000 | 5.0 | 50.0 | - | 1 | - | 1.00 | 1 |"
    assert lines[3].startswith("| Podgate | 4,000 |") and "| 0.80 |" in lines[3]
    assert lines[-1].startswith("2026: Xeon, 2 cores, 8 GiB RAM, Envoy 1.40.0")
    assert lines[-1].endswith("; wrk -t1")


def test_refresh_replaces_only_the_text_between_the_markers() -> None:
    readme = f"intro\n{START}\nold table\n{END}\noutro\n"

    assert refresh(readme, "| new |") == f"intro\n{START}\n| new |\n{END}\noutro\n"
    assert refresh(refresh(readme, "a"), "b") == refresh(readme, "b")


@pytest.mark.parametrize("readme", ["no markers", f"{END} before {START}", f"{START} only"])
def test_refresh_refuses_a_readme_without_the_section(readme: str) -> None:
    with pytest.raises(ValueError, match="bench:start"):
        refresh(readme, "table")
