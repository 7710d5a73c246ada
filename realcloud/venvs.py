"""One cached venv per OpenStack component, built from pinned versions only when its key changes."""

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from realcloud.layout import Layout

CONSTRAINTS = Path(__file__).with_name("constraints.txt")

# What each venv installs; every version comes from constraints.txt.
COMPONENTS: dict[str, tuple[str, ...]] = {
    "keystone": ("keystone", "gunicorn"),
    "nova": ("nova", "openstack-placement", "gunicorn", "psycopg2-binary"),
    "neutron": ("neutron", "gunicorn", "psycopg2-binary"),
    "cinder": ("cinder", "fixtures", "psycopg2-binary"),
    "glance": ("glance", "gunicorn", "psycopg2-binary"),
    "tempest": ("tempest",),
    "clients": ("openstacksdk", "python-openstackclient"),
}
_INSTALL_TIMEOUT_S = 1500
_PARALLEL_INSTALLS = 2


class InstallError(RuntimeError):
    """A venv could not be built; the message ends with pip's output."""


def cache_key(component: str) -> str:
    """Changes whenever the interpreter, the component's requirements or the pins change."""
    inputs = (sys.version, component, *COMPONENTS[component], CONSTRAINTS.read_text())
    return hashlib.sha256("\n".join(inputs).encode()).hexdigest()


def ensure_all(layout: Layout, components: Iterable[str] = COMPONENTS) -> dict[str, float | None]:
    """Build missing or stale venvs two at a time; seconds per component built (None: cached)."""
    with ThreadPoolExecutor(_PARALLEL_INSTALLS) as pool:
        names = list(components)
        return dict(zip(names, pool.map(lambda name: ensure(layout, name), names), strict=True))


def ensure(layout: Layout, component: str) -> float | None:
    """Build one venv unless its stamp matches; the build's duration, None when cached."""
    venv = layout.venv(component)
    stamp = venv / ".realcloud-stamp"
    key = cache_key(component)
    layout.venvs.mkdir(parents=True, exist_ok=True)
    with (layout.venvs / f"{component}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stamp.exists() and json.loads(stamp.read_text())["key"] == key:
            return None
        begin = time.monotonic()
        shutil.rmtree(venv, ignore_errors=True)
        _run([sys.executable, "-m", "venv", str(venv)], timeout=120)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        _run([*pip, "-c", str(CONSTRAINTS), *COMPONENTS[component]], timeout=_INSTALL_TIMEOUT_S)
        seconds = time.monotonic() - begin
        stamp.write_text(json.dumps({"key": key, "seconds": round(seconds, 1)}))
        return seconds


def _run(argv: list[str], timeout: float) -> None:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise InstallError(f"{' '.join(argv)} failed ({result.returncode}):\n{result.stderr}")
