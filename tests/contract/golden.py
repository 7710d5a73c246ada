"""The contract's golden (each step's status and answer shape as real Nova and Cinder give them),
what podsim deliberately does not model, and the comparison of a run against an expectation."""

import fnmatch
import json
from pathlib import Path
from typing import Any

from tests.contract.scenario import STEPS, WAITS, Step
from tests.contract.shapes import compare, renew

__all__ = ["ALLOWED", "GOLDEN", "differences", "load", "save"]

GOLDEN = Path(__file__).with_name("golden") / "shapes.json"

# Differences podsim may keep (fnmatch patterns over "step: path: what"), each with its reason.
# Anything else podsim answers differently from real Nova and Cinder fails the contract.
# None so far: the request set steers clear of what podsim leaves out on purpose, so those need
# no entry here: servers boot with networks "none" (podsim wires no server to Neutron ports:
# no addresses, no port-bound security groups), volumes are blank (no volume_image_metadata),
# and a project member asks (podsim shows no admin-only field: OS-EXT-SRV-ATTR:host...,
# host_status, migration_status, os-vol-host-attr:host, provider_id, cluster_name).
ALLOWED: dict[str, str] = {}


def load() -> dict[str, dict[str, Any]]:
    """The golden's steps: name -> {"source", "status", "body"}."""
    return json.loads(GOLDEN.read_text())["steps"]


def save(answers: dict[str, dict[str, Any]], source: str) -> None:
    """Record `answers` (a real cloud's) as the golden; nullable fields stay nullable."""
    old = load() if GOLDEN.exists() else {}
    steps = {}
    for name, answer in answers.items():
        before = old.get(name, {})
        body = answer["body"]
        if before.get("body") is not None and body is not None:
            body = renew(before["body"], body)
        steps[name] = {"source": source, "status": answer["status"], "body": body}
    document = {
        "about": "Status and answer shape of each step of tests/contract/scenario.py as real "
        "Nova and Cinder answer a project member (tests/contract/shapes.py explains shapes). "
        "Re-record: PODGATE_UPDATE_GOLDEN=1 pytest -m real tests/realcloud/test_podsim_contract.py",
        "steps": steps,
    }
    GOLDEN.write_text(json.dumps(document, indent=1, sort_keys=False) + "\n")


def differences(
    expected: dict[str, dict[str, Any]],
    actual: dict[str, dict[str, Any]],
    *,
    side: str = "podsim",
    allowed: dict[str, str] | None = None,
) -> list[str]:
    """Every step whose status or shape differs, as "step: path: what", minus the allowed."""
    allowed = ALLOWED if allowed is None else allowed
    lines = [f"{WAITS}: {line}" for line in actual.get(WAITS, {}).get("body", [])]
    for step in (s.name for s in STEPS if isinstance(s, Step)):
        if step not in expected or step not in actual:
            where = "podsim's run" if step not in actual else "the expectation"
            lines.append(f"{step}: missing in {where}")
            continue
        want, got = expected[step], actual[step]
        if want["status"] != got["status"]:
            lines.append(f"{step}: status {got['status']} in {side}, {want['status']} expected")
        if want["body"] is None or got["body"] is None:
            if (want["body"] is None) != (got["body"] is None):
                lines.append(f"{step}: body {'absent' if got['body'] is None else 'present'} "
                             f"in {side}")  # fmt: skip
            continue
        lines += [f"{step}: {line}" for line in compare(want["body"], got["body"], side=side)]
    return [line for line in lines if not any(fnmatch.fnmatchcase(line, p) for p in allowed)]
