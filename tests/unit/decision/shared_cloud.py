"""Pods holding shared objects in memory, behind FakeSend: enough of Nova's and Cinder's
flavor, type, group type and QoS APIs for the identity and sync tests (ids as each pod gives
them: a flavor's from the body when it has one, Cinder's always new)."""

import itertools
from collections.abc import Mapping
from typing import Any

from control_plane.decision.pods.client import PodResponse
from tests.unit.decision.fake_pods import FakeSend, Script, json_response

__all__ = ["SharedCloud"]

# collection -> (member key, list key)
_KEYS = {
    "flavors": ("flavor", "flavors"),
    "types": ("volume_type", "volume_types"),
    "group_types": ("group_type", "group_types"),
    "qos-specs": ("qos_specs", "qos_specs"),
}
_SPECS = {"os-extra_specs": "extra_specs", "extra_specs": "extra_specs"}


class SharedCloud:
    """Each pod's objects by collection and id; `send` is the PodSend the gateway uses."""

    def __init__(self, *pods: str) -> None:
        self.objects: dict[str, dict[str, dict[str, dict[str, Any]]]] = {
            pod: {collection: {} for collection in _KEYS} for pod in pods
        }
        self.associations: dict[str, dict[str, str]] = {pod: {} for pod in pods}
        self.refusing: dict[str, set[str]] = {}
        self._ids = itertools.count(1)
        self.send = FakeSend({pod: self._script(pod) for pod in pods})

    def add_pod(self, pod: str) -> None:
        self.objects[pod] = {collection: {} for collection in _KEYS}
        self.associations[pod] = {}
        self.send.scripts[pod] = self._script(pod)

    def hold(self, pod: str, collection: str, item: Mapping[str, Any]) -> None:
        self.objects[pod][collection][str(item["id"])] = dict(item)

    def names(self, pod: str, collection: str) -> set[str]:
        return {item["name"] for item in self.objects[pod][collection].values()}

    def by_name(self, pod: str, collection: str, name: str) -> dict[str, Any]:
        return next(i for i in self.objects[pod][collection].values() if i["name"] == name)

    def _script(self, pod: str) -> Script:
        def answer(method: str, path: str, body: dict) -> PodResponse:
            if method in self.refusing.get(pod, set()):
                fault = {"forbidden": {"message": "Policy says no.", "code": 403}}
                return json_response(403, fault)
            segments = path.split("/")
            at = next(n for n, s in enumerate(segments) if s in _KEYS)
            return self._answer(pod, method, segments[at], segments[at + 1 :], body)

        return answer

    def _answer(
        self, pod: str, method: str, collection: str, rest: list[str], body: dict
    ) -> PodResponse:
        held = self.objects[pod][collection]
        member, list_key = _KEYS[collection]
        if not rest or rest == ["detail"]:
            if method == "GET":
                return json_response(200, {list_key: list(held.values())})
            item = dict(body[member])
            if collection == "qos-specs":  # Cinder: every key but these is a spec
                fixed = ("name", "consumer")
                specs = {k: v for k, v in item.items() if k not in fixed}
                item = {**{k: item[k] for k in fixed if k in item}, "specs": specs}
            if collection == "flavors":
                item["id"] = str(item.get("id") or f"{pod}-{next(self._ids)}")
            else:
                item["id"] = f"{pod}-{next(self._ids)}"
            if any(i["name"] == item["name"] for i in held.values()):
                return json_response(409, {"conflictingRequest": {"message": "taken", "code": 409}})
            held[item["id"]] = item
            return json_response(200, {member: item})
        item = held.get(rest[0])
        if item is None:
            return json_response(404, {"itemNotFound": {"message": "missing", "code": 404}})
        if len(rest) == 1:
            if method == "DELETE":
                del held[rest[0]]
                return PodResponse(202, b"")
            return json_response(200, {member: item})
        if rest[1] in _SPECS:
            specs = item.setdefault("extra_specs", {})
            if method == "POST":
                specs.update(body["extra_specs"])
            return json_response(200, {"extra_specs": specs})
        if rest[1] == "associations":
            types = self.objects[pod]["types"]
            found = [
                {"association_type": "volume_type", "id": t, "name": types[t]["name"]}
                for t, q in self.associations[pod].items()
                if q == rest[0]
            ]
            return json_response(200, {"qos_associations": found})
        return PodResponse(202, b"")
