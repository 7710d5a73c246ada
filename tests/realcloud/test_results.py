"""Tempest outcomes: class set-up failures, comparison of two runs, error routes, baseline."""

import csv
import io
from pathlib import Path

from realcloud.results import (
    FAIL,
    PASS,
    SKIP,
    Run,
    base_id,
    broken_baseline,
    error_routes,
    failure_reasons,
    list_entries,
    new_passes,
    parse,
    regressions,
    report,
    select,
    stale_gateway,
    to_rerun,
    unexpected_failures,
    with_rerun,
)

MOD = "tempest.api.compute.flavors.test_flavors"


def subunit_csv(*rows: tuple[str, str]) -> str:
    """What subunit2csv prints (test names with commas come quoted)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["test", "status", "start_time", "stop_time"])
    writer.writerows((test, status, "2026-01-01", "2026-01-01") for test, status in rows)
    return out.getvalue()


def test_test_ids_lose_tempest_attributes() -> None:
    assert base_id(f"{MOD}.Flavors.test_list[id-e36c0eaa,smoke]") == f"{MOD}.Flavors.test_list"


def test_a_failed_class_setup_fails_each_of_its_tests_and_a_skipped_one_skips_them() -> None:
    selected = [
        f"{MOD}.Flavors.test_list[id-1,smoke]",
        f"{MOD}.Flavors.test_show[id-2]",
        f"{MOD}.Broken.test_a[id-3]",
        f"{MOD}.Skipped.test_b[id-4]",
        f"{MOD}.Lost.test_c[id-5]",
    ]
    run = parse(
        selected,
        subunit_csv(
            (f"{MOD}.Flavors.test_list[id-1,smoke]", "success"),
            (f"{MOD}.Flavors.test_show[id-2]", "skip"),
            (f"setUpClass ({MOD}.Broken)", "fail"),
            (f"setUpClass ({MOD}.Skipped)", "skip"),
            (f"tearDownClass ({MOD}.Flavors)", "fail"),
        ),
    )
    assert run.outcomes == {
        f"{MOD}.Flavors.test_list": PASS,
        f"{MOD}.Flavors.test_show": SKIP,
        f"{MOD}.Broken.test_a": FAIL,
        f"{MOD}.Skipped.test_b": SKIP,
        f"{MOD}.Lost.test_c": FAIL,  # never reported: a crashed worker is a failure
    }
    assert run.teardown_failures == (f"{MOD}.Flavors",)
    assert run.counts() == {PASS: 1, SKIP: 2, FAIL: 2}


def test_regressions_are_the_tests_that_pass_only_directly() -> None:
    direct = Run({"a": PASS, "b": PASS, "c": SKIP, "d": FAIL}, ())
    gateway = Run({"a": PASS, "b": FAIL, "c": FAIL, "d": PASS}, ())
    assert regressions(direct, gateway) == ["b"]
    assert regressions(gateway, direct) == ["d"]


def test_the_baseline_breaks_only_on_tests_that_still_pass_directly() -> None:
    direct = Run({"a": PASS, "b": FAIL, "c": PASS}, ())
    gateway = Run({"a": FAIL, "b": FAIL, "c": PASS}, ())
    assert broken_baseline({"a", "b", "c", "not-selected"}, direct, gateway) == ["a"]


LOG = """\
x INFO rest_client [req-1 ] Request (T:test_a): 404 GET http://127.0.0.1:19998/v2.1/0123456789abcdef0123456789abcdef/flavors/detail 0.003s
x INFO rest_client [req-2 ] Request (T:test_b): 200 GET http://127.0.0.1:19998/v2.1/0123456789abcdef0123456789abcdef/servers 0.003s
x INFO rest_client [req-3 ] Request (T:test_c): 409 POST http://127.0.0.1:19997/v3/0123456789abcdef0123456789abcdef/volumes/5d1f3b2a-0c4e-4a8e-9a57-3b7e5c1d2e3f/action 0.1s
x INFO rest_client [req-4 ] Request (T:setUpClass): 401 POST http://127.0.0.1:15000/v3/auth/tokens 0.1s
x INFO rest_client [req-5 ] Request (T:test_d): 404 GET http://127.0.0.1:18774/v2.1/flavors/42?x=1 0.003s
x INFO rest_client [req-6 ] Request (T:test_e): 404 DELETE http://127.0.0.1:18774/v2.1/os-keypairs/tempest-keypair-123 0.003s
"""  # noqa: E501


def test_error_routes_count_failed_answers_of_the_given_ports_by_route() -> None:
    gateway = error_routes(LOG, [19998, 19997])
    assert gateway == {
        "404 GET /v2.1/flavors/detail": 1,  # the project in the gateway's URL is dropped
        "409 POST /v3/{id}/volumes/{id}/action": 1,
    }
    assert error_routes(LOG, [18774]) == {
        "404 GET /v2.1/flavors/{id}": 1,
        "404 DELETE /v2.1/os-keypairs/{name}": 1,  # Tempest's random names compare across runs
    }


def test_the_report_lists_counts_lost_tests_by_class_and_gateway_only_errors() -> None:
    direct = Run({f"{MOD}.Flavors.test_list": PASS, f"{MOD}.Flavors.test_show": PASS}, ())
    gateway = Run({f"{MOD}.Flavors.test_list": FAIL, f"{MOD}.Flavors.test_show": PASS}, ())
    text = report(
        {"podgate": (gateway, 60.0), "direct": (direct, 120.0)},
        {"podgate": error_routes(LOG, [19998]), "direct": error_routes(LOG, [18774])},
    )
    assert "podgate                       1      1      0       2" in text
    assert "direct                        2      0      0       2" in text
    assert f"{MOD}.Flavors (1): test_list" in text
    assert "404 GET /v2.1/flavors/detail: 1" in text


def test_unexpected_failures_leave_out_known_tests_and_classes() -> None:
    run = Run({f"{MOD}.A.test_1": FAIL, f"{MOD}.A.test_2": FAIL, f"{MOD}.AB.test_3": FAIL}, ())
    assert unexpected_failures(run, [f"{MOD}.A"]) == [f"{MOD}.AB.test_3"]
    assert unexpected_failures(run, [f"{MOD}.AB.test_3", f"{MOD}.A.test_1"]) == [f"{MOD}.A.test_2"]


FAILING = """\
======================================================================
FAIL: tempest.api.compute.flavors.test_flavors.FlavorsV2TestJSON.test_get_flavor[id-1f,smoke]
tags: worker-1
----------------------------------------------------------------------
pythonlogging:'': {{{2026-11-25 15:19:20,634 INFO Request (F:test_get_flavor): 404 GET http://x

Traceback (most recent call last):
  File "/venv/tempest/lib/common/rest_client.py", line 877, in _error_checker
    raise exceptions.NotFound(resp_body, resp=resp)
tempest.lib.exceptions.NotFound: Object not found
Details: {'message': 'The resource could not be found.', 'code': 404}
======================================================================
FAIL: setUpClass (tempest.api.volume.admin.test_qos.QosSpecsTestJSON)
tags: worker-0
----------------------------------------------------------------------
Traceback (most recent call last):
  File "/venv/tempest/test.py", line 1, in setUpClass
    raise value.with_traceback(trace)
KeyError: 'qos_specs'
"""


def test_failure_reasons_keep_the_exception_lines_per_test_or_class() -> None:
    reasons = failure_reasons(FAILING)
    assert reasons == {
        f"{MOD}.FlavorsV2TestJSON.test_get_flavor": "tempest.lib.exceptions.NotFound: Object not"
        " found Details: {'message': 'The resource could not be found.', 'code': 404}",
        "tempest.api.volume.admin.test_qos.QosSpecsTestJSON": "KeyError: 'qos_specs'",
    }


def test_a_rerun_turns_a_failure_that_passes_again_into_a_flaky_pass_and_keeps_the_rest() -> None:
    first = Run({"a": FAIL, "b": FAIL, "c": PASS, "d": SKIP}, ("Cls",))
    again = Run({"a": PASS, "b": FAIL, "e": PASS}, ())
    final, flaky = with_rerun(first, again)
    assert flaky == ["a"]
    assert final.outcomes == {"a": PASS, "b": FAIL, "c": PASS, "d": SKIP}  # "e" never selected
    assert final.teardown_failures == ("Cls",)


def test_only_the_failures_that_matter_rerun_and_none_when_there_are_too_many() -> None:
    assert to_rerun(["b", "a", "b"], limit=2) == ["a", "b"]
    assert to_rerun(["a", "b", "c"], limit=2) == []
    assert to_rerun([]) == []


def test_reruns_load_the_exact_listed_ids_with_their_attributes() -> None:
    listed = [f"{MOD}.F.test_a[id-1,smoke]", f"{MOD}.F.test_ab[id-2]", f"{MOD}.F.test_b[id-3]"]
    assert select(listed, [f"{MOD}.F.test_a", f"{MOD}.F.test_b"]) == [listed[0], listed[2]]


def test_the_report_names_the_flaky_tests_of_each_run() -> None:
    run = Run({f"{MOD}.Flavors.test_list": PASS}, ())
    text = report(
        {"podgate": (run, 60.0), "direct": (run, 60.0)},
        {"podgate": error_routes("", [19998]), "direct": error_routes("", [18774])},
        flaky={"direct": [f"{MOD}.Flavors.test_list"], "podgate": []},
    )
    assert f"flaky direct (failed, then passed on one rerun): 1\n  {MOD}.Flavors.test_list" in text
    assert "flaky podgate (failed, then passed on one rerun): 0" in text


def test_new_passes_pass_both_ways_and_are_in_no_list_yet() -> None:
    direct = Run({"a": PASS, "b": PASS, "c": PASS, "d": FAIL, "e": PASS}, ())
    gateway = Run({"a": PASS, "b": PASS, "c": PASS, "d": PASS, "e": FAIL}, ())
    assert new_passes(direct, gateway, {"a"}, {"b"}) == ["c"]


def test_the_report_shows_the_blanket_404_passes_with_both_outcomes() -> None:
    run = Run({f"{MOD}.V.test_get": PASS}, ())
    text = report(
        {"podgate": (run, 60.0), "direct": (run, 60.0)},
        {"podgate": error_routes("", [19998]), "direct": error_routes("", [18774])},
        hollow={f"{MOD}.V.test_get"},
    )
    assert "only because it answers 404 to every os-volumes path" in text
    assert f"  {MOD}.V.test_get: podgate pass, direct pass" in text


LISTS = Path(__file__).parents[2] / "realcloud"


def test_passes_by_the_blanket_404_are_never_baseline_tests() -> None:
    hollow = list_entries((LISTS / "podgate-404-passes.txt").read_text())
    baseline = list_entries((LISTS / "podgate-baseline.txt").read_text())
    assert not hollow & baseline


def test_list_entries_skip_comments_and_blank_lines() -> None:
    assert list_entries("# why\n\n a.b \nc.d\n") == {"a.b", "c.d"}


def test_a_gateway_started_from_other_code_is_reported_stale() -> None:
    assert stale_gateway("47b41b6", "47b41b6") == ""
    assert "up --podgate-only" in stale_gateway("47b41b6", "c611fd2")
    assert "up --podgate-only" in stale_gateway("47b41b6", "47b41b6+changes")
    assert "an unknown version" in stale_gateway("", "47b41b6")  # started before it was recorded
