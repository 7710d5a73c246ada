"""decide() against golden decisions; PODGATE_UPDATE_GOLDEN=1 rewrites each case's `decision`.

A case (`testdata/decide/<case>.yaml`) is a request (service, method, path, headers, body) and
the facts the exchange would gather for it (routings, pods, bindings, caller, unhealthy pods,
pods' capacity, negotiated version); the test runs what the exchange runs between its awaits:
classify, admit, decide, and, when the decision asks for the body, body_needs and decide again.
"""

import json
import os
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from control_plane.decision.classify import classify
from control_plane.decision.create.capacity import Capacity
from control_plane.decision.decide import admit, body_needs, decide
from control_plane.decision.decisions import (
    AcrossPods,
    Answer,
    Decision,
    Facts,
    ListPage,
    NeedBody,
    Placed,
    Route,
    Target,
)
from control_plane.decision.operation import Kind, Operation
from control_plane.decision.routed.named import named as named_in
from control_plane.decision.versions.microversions import Window, parse_version
from control_plane.errors import PodgateError
from control_plane.identity.policy import Caller
from control_plane.model import Binding, Pod, PodState, ResourceType, Routing, Service

TESTDATA = Path(__file__).parent / "testdata" / "decide"
CASES = sorted(TESTDATA.glob("*.yaml"))
_EXPIRES = datetime(2030, 1, 1, tzinfo=UTC)
# The pods every case has unless it names its own: pb calls its zone by another name.
_PODS = (
    {"name": "pa", "az": "az1", "minute": 1},
    {"name": "pb", "az": "az1", "pod_az": "nova-b", "minute": 2},
    {"name": "pc", "az": "az2", "minute": 3},
)


@pytest.mark.parametrize("case", CASES, ids=[path.stem for path in CASES])
def test_decide_matches_golden(case: Path) -> None:
    document = yaml.safe_load(case.read_text())
    got = _decided(document["request"], document.get("facts") or {})
    if os.environ.get("PODGATE_UPDATE_GOLDEN") == "1":
        case.write_text(yaml.safe_dump({**document, "decision": got}, sort_keys=False, width=100))
    assert "decision" in document, f"{case.name} has no decision; run with PODGATE_UPDATE_GOLDEN=1"
    assert got == document["decision"]


@pytest.mark.parametrize("case", CASES, ids=[path.stem for path in CASES])
def test_a_refusal_names_zones_never_pods(case: Path) -> None:
    """Users see availability zones; pod names are for admin answers and logs (DESIGN.md)."""
    document = yaml.safe_load(case.read_text())
    refused = document.get("decision", {}).get("refused")
    if refused is None:
        return
    pods = {pod["name"] for pod in (document.get("facts") or {}).get("pods", _PODS)}
    words = set(refused["message"].replace(",", " ").replace(".", " ").split())
    assert not pods & words, refused["message"]


def test_every_kind_has_a_golden_decision() -> None:
    kinds = {_classified(yaml.safe_load(case.read_text())["request"]).kind for case in CASES}
    assert kinds == set(Kind)


def _classified(request: Mapping[str, Any]) -> Operation:
    return classify(Service(request["service"]), request["method"], request["path"])


def _decided(request: Mapping[str, Any], given: Mapping[str, Any]) -> dict[str, Any]:
    """What the exchange's decisions are for `request`: the first, then the one on its body."""
    routings = {(r["type"], r["id"]): _routing(r) for r in given.get("routings", ())}
    caller = _caller(given["caller"]) if given.get("caller") else None
    op = _with_token_project(_classified(request), request, caller)
    facts = Facts(
        method=request["method"],
        path=request["path"],
        headers=request.get("headers", {}),
        pods={pod.name: pod for pod in map(_pod, given.get("pods", _PODS))},
        rewrite=given.get("rewrite", {}),
        unhealthy=frozenset(given.get("unhealthy", ())),
        caller=caller,
        end_of_stream="body" not in request,
        window=_window(given["window"]) if "window" in given else None,
    )
    steps: dict[str, Any] = {}
    try:
        op = admit(op, caller)
        resource = getattr(op, "resource_type", None), getattr(op, "resource_id", "")
        facts = replace(facts, routing=routings.get((str(resource[0]), resource[1])))
        reference = named_in(op, request["method"], b"") if op.kind is Kind.NAMED else None
        if reference is not None:
            key = (str(reference.resource_type), reference.resource_id)
            facts = replace(facts, referenced={reference: routings[key]} if key in routings else {})
        if op.kind is Kind.HOME:
            bound = tuple(_binding(b, op.project_id) for b in given.get("bindings", ()))
            facts = replace(facts, bindings=bound)
        decision = decide(op, facts)
        steps["headers"] = _render(decision)
        if isinstance(decision, NeedBody):
            body = _body(request["body"])
            needs = body_needs(op, body)
            bindings = given.get("bindings", ()) if needs.bindings else ()
            named = {(str(r.resource_type), r.resource_id): r for r in needs.references}
            facts = replace(
                facts,
                body=body,
                referenced={r: routings[key] for key, r in named.items() if key in routings},
                bindings=tuple(_binding(b, op.project_id) for b in bindings),
                capacity=(
                    {name: Capacity(**room) for name, room in given.get("capacity", {}).items()}
                    if needs.bindings
                    else {}
                ),
            )
            steps["body"] = _render(decide(op, facts))
    except PodgateError as error:
        steps["refused"] = {"status": error.status, "message": str(error)}
    return steps


def _with_token_project(
    op: Operation, request: Mapping[str, Any], caller: Caller | None
) -> Operation:
    """A project-less path's operation with the caller's project (noauth: `X-Project-Id`), as
    the exchange sets it."""
    if not op.token_project or op.kind in (Kind.UNKNOWN, Kind.VERSIONS):
        return op
    headers = request.get("headers", {})
    return replace(op, project_id=caller.project_id if caller else headers.get("x-project-id", ""))


def _pod(row: Mapping[str, Any]) -> Pod:
    name = row["name"]
    services = row.get("services", ("compute", "volumev3", "network"))
    endpoints = {
        "compute": f"http://{name}.example:8774/compute/v2.1",
        "volumev3": f"http://{name}.example:8776/volume/v3/%(project_id)s",
        "network": f"http://{name}.example:9696",
    }
    return Pod(
        name=name,
        az_name=row["az"],
        pod_az_name=row.get("pod_az", row["az"]),
        state=PodState(row.get("state", "ENABLED")),
        endpoints={service: endpoints[service] for service in services},
        created_at=datetime(2024, 1, 1, 0, row["minute"], tzinfo=UTC),
    )


def _routing(row: Mapping[str, Any]) -> Routing:
    return Routing(row["id"], ResourceType(row["type"]), row.get("project", "p1"), row["pod"])


def _binding(row: Mapping[str, Any], project_id: str) -> Binding:
    return Binding(f"b-{row['pod']}", project_id, row["az"], row["pod"])


def _caller(row: Mapping[str, Any]) -> Caller:
    roles = frozenset(row.get("roles", ("member",)))
    admin = row.get("admin", False)
    return Caller("u1", row.get("project", "p1"), roles, admin, _EXPIRES)


def _window(row: Mapping[str, str]) -> Window:
    minimum, maximum = parse_version(row["min"]), parse_version(row["max"])
    assert minimum is not None and maximum is not None
    return Window(minimum, maximum)


def _body(value: object) -> bytes:
    return value.encode() if isinstance(value, str) else json.dumps(value).encode()


def _render(decision: Decision) -> dict[str, Any]:
    """The decision as plain data: bodies as JSON where they are JSON."""
    match decision:
        case Route():
            return {
                "route": {
                    **_target(decision.target),
                    "headers": dict(decision.headers),
                    "shown": str(decision.shown) if decision.shown else None,
                    "relink": decision.relink,
                    "forget": decision.forget,
                    **({"moves": True} if decision.moves else {}),
                }
            }
        case Placed():
            body = _shown(decision.body) if decision.body is not None else None
            placed = {**_target(decision.target), "body": body, "bind": decision.bind}
            if decision.replaces is not None:
                placed["replaces"] = decision.replaces
            return {"placed": placed}
        case Answer():
            return {"answer": {"status": decision.status, "body": _shown(decision.body)}}
        case NeedBody():
            return {"need_body": {"mode": str(decision.mode), "headers": dict(decision.headers)}}
        case AcrossPods():
            return {
                "across_pods": {
                    "kind": str(decision.kind),
                    "headers": dict(decision.headers),
                    "body": _shown(decision.body),
                }
            }
        case ListPage():
            return {
                "list_page": {
                    "resource_type": str(decision.resource_type),
                    "project_id": decision.project_id,
                    "path": decision.path,
                    "query": decision.query,
                    "detail": decision.detail,
                    "headers": dict(decision.headers),
                    "collection": decision.collection,
                }
            }


def _target(target: Target) -> dict[str, str]:
    return {"pod": target.pod.name, "cluster": target.cluster, "path": target.path}


def _shown(body: bytes) -> object:
    try:
        return json.loads(body) if body else ""
    except ValueError:
        return body.decode()
