"""Golden-case loading shared by the xDS tests."""

import dataclasses
from importlib.resources import files
from pathlib import Path
from typing import Any

import yaml

from control_plane.model import Pod, PodState, ResourceType, Routing
from control_plane.xds.translate import XdsInputs

TESTDATA = Path(__file__).parent / "testdata"
# The committed descriptor set every case's admin REST listener carries (not spelled in YAML).
DESCRIPTOR_SET = files("podgate_api").joinpath("descriptors.pb").read_bytes()
_POD_KEYS = {"name", "az_name", "pod_az_name", "dc_name", "state", "endpoints", "tls_insecure"}
_ROUTING_KEYS = {"resource_type", "resource_id", "project_id", "pod_name"}


def load_case(path: Path) -> XdsInputs:
    """Read a <case>.in.yaml strictly: unknown or missing keys fail the test."""
    doc = yaml.safe_load(path.read_text())
    _expect_keys(path, "top level", doc, {"inputs", "pods"})
    settings = dict(doc["inputs"])
    known = tuple(_routing(path, raw) for raw in settings.pop("fast_path", ()))
    if "decision_endpoints" in settings:
        settings["decision_endpoints"] = tuple(map(tuple, settings["decision_endpoints"]))
    fields = dataclasses.fields(XdsInputs)
    given = {f.name for f in fields} - {"pods", "admin_rest_descriptors", "fast_path"}
    required = {f.name for f in fields if f.default is dataclasses.MISSING} - {"pods"}
    assert isinstance(settings, dict), f"{path.name}: inputs must be a mapping"
    unknown, missing = settings.keys() - given, required - settings.keys()
    assert not unknown and not missing, f"{path.name}: unknown {unknown}, missing {missing}"
    pods = []
    for raw in doc["pods"]:
        unknown = raw.keys() - _POD_KEYS
        assert not unknown, f"{path.name}: unknown pod keys {sorted(unknown)}"
        pod = dict(raw)
        pod["state"] = PodState(pod.get("state", "ENABLED"))
        pods.append(Pod(**pod))
    return XdsInputs(
        pods=tuple(pods), admin_rest_descriptors=DESCRIPTOR_SET, fast_path=known, **settings
    )


def _routing(path: Path, raw: dict[str, str]) -> Routing:
    _expect_keys(path, "known routing", raw, _ROUTING_KEYS)
    return Routing(**{**raw, "resource_type": ResourceType(raw["resource_type"])})


def _expect_keys(path: Path, where: str, doc: dict[str, Any], keys: set[str]) -> None:
    assert isinstance(doc, dict), f"{path.name}: {where} must be a mapping"
    assert doc.keys() == keys, f"{path.name}: {where} keys {sorted(doc)} != {sorted(keys)}"
