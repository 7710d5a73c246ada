"""translate() against golden files; PODGATE_UPDATE_GOLDEN=1 rewrites the outputs for review."""

import base64
import os
from pathlib import Path
from typing import Any

import pytest
import yaml

from control_plane.xds.translate import translate
from control_plane.xds.zones import script
from harness.snapshot_render import render
from tests.unit.xds.cases import DESCRIPTOR_SET, TESTDATA, load_case

CASES = sorted(TESTDATA.glob("*.in.yaml"))
# Golden files name the committed descriptor set instead of holding ~30 kB of base64.
_DESCRIPTOR_B64 = base64.b64encode(DESCRIPTOR_SET).decode()
_DESCRIPTOR_MARK = "<protos/podgate_api/descriptors.pb>"
# Nor each listener the zone script (tests/unit/xds/test_zones.py reads it).
_SCRIPT_MARK = "<control_plane/xds/zones.lua>"


@pytest.mark.parametrize("case", CASES, ids=[p.name.removesuffix(".in.yaml") for p in CASES])
def test_translate_matches_golden(case: Path) -> None:
    snapshot = translate(load_case(case))
    snapshot.check_consistent()
    got = _marked(render(snapshot))
    golden = case.with_name(case.name.replace(".in.yaml", ".out.yaml"))
    if os.environ.get("PODGATE_UPDATE_GOLDEN") == "1":
        golden.write_text(yaml.safe_dump(got, sort_keys=True, width=100))
    assert golden.exists(), f"missing {golden.name}; run with PODGATE_UPDATE_GOLDEN=1"
    assert got == yaml.safe_load(golden.read_text())


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 6


def _marked(doc: Any) -> Any:
    """`doc` with the committed descriptor set's base64 and the zone script replaced by marks."""
    if isinstance(doc, dict):
        return {key: _marked(value) for key, value in doc.items()}
    if isinstance(doc, list):
        return [_marked(value) for value in doc]
    if doc == script():
        return _SCRIPT_MARK
    return _DESCRIPTOR_MARK if doc == _DESCRIPTOR_B64 else doc
