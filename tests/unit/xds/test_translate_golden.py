"""translate() against golden files; PODGATE_UPDATE_GOLDEN=1 rewrites the outputs for review."""

import os
from pathlib import Path

import pytest
import yaml

from control_plane.xds.translate import translate
from tests.unit.xds.cases import TESTDATA, load_case, render

CASES = sorted(TESTDATA.glob("*.in.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[p.name.removesuffix(".in.yaml") for p in CASES])
def test_translate_matches_golden(case: Path) -> None:
    snapshot = translate(load_case(case))
    snapshot.check_consistent()
    got = render(snapshot)
    golden = case.with_name(case.name.replace(".in.yaml", ".out.yaml"))
    if os.environ.get("PODGATE_UPDATE_GOLDEN") == "1":
        golden.write_text(yaml.safe_dump(got, sort_keys=True, width=100))
    assert golden.exists(), f"missing {golden.name}; run with PODGATE_UPDATE_GOLDEN=1"
    assert got == yaml.safe_load(golden.read_text())


def test_there_are_enough_golden_cases() -> None:
    assert len(CASES) >= 6
