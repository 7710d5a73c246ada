"""Scripted Nova quota APIs for the quota relay's and rebalancer's tests: limits and usage per
pod, `force` and the usage check as Nova has them."""

from dataclasses import dataclass, field

from control_plane.decision.pods.client import PodResponse
from tests.unit.decision.fake_pods import json_response

DEFAULTS = {"instances": 10, "cores": 20, "metadata_items": 128}


@dataclass
class NovaQuotas:
    """One pod's Nova quota API for every project."""

    usage: dict[str, int] = field(default_factory=dict)
    limits: dict[str, int] = field(default_factory=lambda: dict(DEFAULTS))

    def __call__(self, method: str, path: str, document: dict) -> PodResponse:
        tail = path.split("/os-quota-sets/")[-1].split("/")
        if path.endswith("/limits"):
            absolute = {
                "maxTotalInstances": self.limits["instances"],
                "maxServerMeta": self.limits["metadata_items"],
                "totalInstancesUsed": self.usage.get("instances", 0),
            }
            return json_response(200, {"limits": {"rate": [], "absolute": absolute}})
        if method == "DELETE":
            self.limits = dict(DEFAULTS)
            return PodResponse(202, b"")
        if method == "PUT":
            changes = dict(document["quota_set"])
            forced = changes.pop("force", False)
            for name, value in changes.items():
                if not forced and value < self.usage.get(name, 0):
                    return json_response(400, {"badRequest": {"message": "low", "code": 400}})
            self.limits.update(changes)
            return json_response(200, {"quota_set": dict(self.limits)})
        if tail[1:] == ["defaults"]:
            return json_response(200, {"quota_set": {"id": tail[0], **DEFAULTS}})
        if tail[1:] == ["detail"]:
            shown = {
                name: {"limit": limit, "in_use": self.usage.get(name, 0), "reserved": 0}
                for name, limit in self.limits.items()
            }
            return json_response(200, {"quota_set": {"id": tail[0], **shown}})
        return json_response(200, {"quota_set": {"id": tail[0], **self.limits}})
