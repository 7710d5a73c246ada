"""The committed docs/api-coverage.md must be what `make docs` writes from the family table."""

from pathlib import Path

from control_plane.decision.coverage import render

ROOT = Path(__file__).resolve().parents[1]


def test_api_coverage_doc_matches_the_route_family_table() -> None:
    committed = (ROOT / "docs" / "api-coverage.md").read_text()
    assert committed == render(), "docs/api-coverage.md is stale; run `make docs`"
