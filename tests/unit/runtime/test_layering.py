"""The assembling package imports the others, never the other way: runtime/ builds processes
out of workers/, xds/ and store/, and none of those imports runtime/."""

import ast
from pathlib import Path

import pytest

import control_plane

_ROOT = Path(control_plane.__file__).parent


def _imports(package: str) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for path in sorted((_ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module:
                found.add((path.name, node.module))
            elif isinstance(node, ast.Import):
                found.update((path.name, alias.name) for alias in node.names)
    return found


@pytest.mark.parametrize("package", ["workers", "xds", "store"])
def test_no_package_imports_runtime(package: str) -> None:
    upward = {(name, module) for name, module in _imports(package) if "runtime" in module}
    assert upward == set()


def test_the_store_imports_none_of_its_followers() -> None:
    followers = ("control_plane.xds", "control_plane.workers", "control_plane.admin")
    assert {pair for pair in _imports("store") if pair[1].startswith(followers)} == set()
