"""Reading wrk's summary, /proc and the machine description."""

import pytest

from bench.cpu import parse_stat
from bench.machine import parse_cpuinfo, parse_envoy_version, parse_meminfo
from bench.wrk import parse_summary


def test_wrk_summary_line_is_read_among_wrk_output() -> None:
    output = (
        "Running 3s test @ http://127.0.0.1:1\n  1 threads and 16 connections\n"
        'WRKJSON {"requests": 3000, "duration_us": 1500000, "status_errors": 2, '
        '"socket_errors": 1, "p50_us": 1250, "p99_us": 9000}\n'
    )

    result = parse_summary(output)

    assert result.rps == 2000
    assert (result.p50_ms, result.p99_ms) == (1.25, 9.0)
    assert (result.status_errors, result.socket_errors) == (2, 1)
    assert not result.exhausted


def test_wrk_summary_says_when_a_once_only_id_list_ran_out() -> None:
    line = (
        'WRKJSON {"requests": 10, "duration_us": 3000000, "status_errors": 0, '
        '"socket_errors": 0, "p50_us": 1, "p99_us": 2, "exhausted": 1}'
    )

    assert parse_summary(line).exhausted


def test_wrk_output_without_a_summary_is_an_error() -> None:
    with pytest.raises(ValueError, match="no wrk summary"):
        parse_summary("unable to connect to 127.0.0.1:1 Connection refused")


def test_proc_stat_parent_and_cpu_ticks_even_with_parentheses_in_the_name() -> None:
    fields = ["S", "77"] + ["0"] * 9 + ["120", "30"] + ["0"] * 30
    line = "1234 (python (x) y) " + " ".join(fields)

    assert parse_stat(line) == (77, 150)


def test_machine_description_from_proc_files() -> None:
    cpuinfo = "processor\t: 0\nmodel name\t: Intel(R) Xeon(R)\nprocessor\t: 1\n"

    assert parse_cpuinfo(cpuinfo) == "Intel(R) Xeon(R)"
    assert parse_meminfo("MemTotal:       24641536 kB\nMemFree: 1 kB\n") == 23.5


def test_envoy_version_from_its_version_line_whatever_the_binary_path() -> None:
    text = "\n/work/x/.venv/bin/envoy  version: 9e5580933739/1.40.0/Clean/RELEASE/BoringSSL\n"

    assert parse_envoy_version(text) == "1.40.0"
