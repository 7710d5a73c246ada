"""podsim against real Nova and Cinder (`make test-real`): the contract's request set
(tests/contract/scenario.py) run as the demo member against Pod1's own Nova and Cinder (not
through Podgate) and against a podsim, answers compared by shape, so podsim cannot drift
silently. It starts the cloud when it is not up, like test_real_scenario.py.

PODGATE_UPDATE_GOLDEN=1 re-records tests/contract/golden/shapes.json (the fast suite's
expectation, tests/podsim/test_contract_http.py) from the real services; review its diff.
"""

import os
import re
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from harness.procs import start_podsim
from realcloud import seed
from realcloud.layout import DEMO, FLAVORS, PODS, Layout
from realcloud.venvs import CONSTRAINTS
from tests.contract.golden import ALLOWED, differences, load, save
from tests.contract.scenario import WAITS, Bases, podsim_bases, run
from tests.contract.send import plain_send, session_send
from tests.contract.shapes import renew

pytestmark = [pytest.mark.real, pytest.mark.timeout(1800)]

Answers = dict[str, dict[str, Any]]
_POD = PODS[0]


@pytest.fixture(scope="module")
def real_answers(real_cloud: Layout) -> Answers:
    """The request set against Pod1's Nova and Cinder, as the demo user (a project member)."""
    user, password = DEMO
    session = seed.user_session(real_cloud, user, password, "demo")
    project = session.get_project_id()
    endpoints = seed.pod_endpoints(real_cloud, _POD)
    bases = Bases(
        compute=endpoints["compute"],
        volume=endpoints["volumev3"].replace("$(project_id)s", project),
        compute_root=f"http://127.0.0.1:{_POD.nova_port}",
        volume_root=f"http://127.0.0.1:{_POD.cinder_port}",
    )
    variables = {"flavor_id": FLAVORS[0][0], "name": f"contract-{uuid.uuid4().hex[:8]}"}
    return run(session_send(session), bases, variables, timeout_s=300, poll_s=2)


@pytest.fixture(scope="module")
def podsim_answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answers]:
    pod = start_podsim("contract", "az-contract", tmp_path_factory.mktemp("podsim"))
    try:
        variables = {"flavor_id": "1", "name": f"contract-{uuid.uuid4().hex[:8]}"}
        yield run(plain_send, podsim_bases(pod.url, uuid.uuid4().hex), variables, timeout_s=10)
    finally:
        pod.proc.stop()


def test_podsim_answers_like_real_nova_and_cinder(
    real_answers: Answers, podsim_answers: Answers
) -> None:
    """Every step's status and shape; fields null this time but not always stay nullable (the
    golden says which), and ALLOWED (tests/contract/golden.py) lists what podsim leaves out."""
    golden = load()
    expected = {
        name: {**answer, "body": _nullable(golden.get(name, {}).get("body"), answer["body"])}
        for name, answer in real_answers.items()
        if name != WAITS
    }
    real_waits = [f"real {WAITS}: {line}" for line in real_answers.get(WAITS, {}).get("body", [])]
    assert real_waits + differences(expected, podsim_answers, allowed=ALLOWED) == []


def test_the_golden_is_what_real_nova_and_cinder_answer(real_answers: Answers) -> None:
    """The fast suite's golden matches the real services (PODGATE_UPDATE_GOLDEN=1 rewrites it)."""
    if os.environ.get("PODGATE_UPDATE_GOLDEN") == "1" and WAITS not in real_answers:
        save(real_answers, source=_recorded())
    stale = differences(load(), real_answers, side="real Nova/Cinder", allowed={})
    assert stale == [], "re-record with PODGATE_UPDATE_GOLDEN=1 and review the diff"


def _nullable(golden: Any, real: Any) -> Any:
    return real if golden is None or real is None else renew(golden, real)


def _recorded() -> str:
    pins = dict(re.findall(r"^(nova|cinder)==(\S+)$", CONSTRAINTS.read_text(), re.M))
    day = datetime.now(UTC).date().isoformat()
    return f"recorded from real Nova {pins['nova']} and Cinder {pins['cinder']} on {day}"
