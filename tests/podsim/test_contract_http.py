"""podsim holds to the contract (tests/contract): the request set against a podsim process
answers every step with the status and shape the golden recorded from real Nova and Cinder."""

import uuid

from harness.procs import SimPod
from tests.contract.golden import differences, load
from tests.contract.scenario import podsim_bases, run
from tests.contract.send import plain_send

POD = ("pod-contract", "az-contract")


def test_podsim_answers_the_contract_as_the_golden_says(pod: SimPod, project: str) -> None:
    variables = {"flavor_id": "1", "name": f"contract-{uuid.uuid4().hex[:8]}"}
    answers = run(plain_send, podsim_bases(pod.url, project), variables, timeout_s=5, poll_s=0.05)
    assert differences(load(), answers) == []
