"""Build the test Keystone's venv in the background while the rest of the suite runs.

Once collection shows that a selected test uses the `keystone` fixture, `python -m
harness.keystone_venv` starts in its own process group and the fixture waits for it
(`wait_for_venv`); the modules that need Keystone move to the end of the run to give it time.
A session that ends first kills the build; that venv has no stamp yet, so the next run builds
it again.
"""

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import IO

import pytest

from harness.keystone_venv import BuildError


def skip_reason() -> str | None:
    """Why this run leaves Keystone out, if it does: never in CI."""
    if os.environ.get("PODGATE_SKIP_KEYSTONE") == "1" and not os.environ.get("CI"):
        return "PODGATE_SKIP_KEYSTONE=1: real-Keystone tests skipped (never in CI)"
    return None


class Prebuild:
    """One background build per session, started at most once."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[str] | None = None
        self._result: tuple[Path, float | None] | None = None
        self._failure: BuildError | None = None
        self.status = "not needed"

    def start(self) -> None:
        if self._proc is not None:
            return
        self._stderr = tempfile.TemporaryFile("w+")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "harness.keystone_venv"],
            cwd=self._root,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            start_new_session=True,
        )
        self.status = "started, no test waited for it (stopped if unfinished)"

    def wait(self) -> tuple[Path, float | None, float]:
        """The venv, its build's seconds (None: reused) and how long this call waited."""
        begin = time.monotonic()
        if self._result is None:
            self._result = self._finish()
            self.status += f" (tests waited {time.monotonic() - begin:.0f} s for it)"
        return *self._result, time.monotonic() - begin

    def _finish(self) -> tuple[Path, float | None]:
        if self._failure is not None:
            raise self._failure
        self.start()
        assert self._proc is not None and self._stderr is not None
        out, _ = self._proc.communicate()
        if self._proc.returncode != 0:
            self.status = "failed"
            self._stderr.seek(0)
            self._failure = BuildError(f"building Keystone's venv failed:\n{self._stderr.read()}")
            raise self._failure
        result = json.loads(out)
        built_s = result["built_s"]
        self.status = "reused" if built_s is None else f"built in {built_s:.0f} s"
        return Path(result["venv"]), built_s

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            os.killpg(self._proc.pid, signal.SIGTERM)
            self._proc.wait()
        if self._stderr is not None:
            self._stderr.close()


_PREBUILD = pytest.StashKey[Prebuild]()


def wait_for_venv(config: pytest.Config) -> tuple[Path, float | None, float]:
    """For the fixture: see Prebuild.wait."""
    return config.stash[_PREBUILD].wait()


def status(config: pytest.Config) -> str:
    """For the timing summary: not needed, reused, built in N s, failed, ..."""
    return config.stash[_PREBUILD].status


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_PREBUILD] = Prebuild(config.rootpath)


def _uses_keystone(item: pytest.Item) -> bool:
    return "keystone" in getattr(item, "fixturenames", ())


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules that need Keystone run last, in their own order, so its build overlaps the rest."""
    needing = {item.path for item in items if _uses_keystone(item)}
    items.sort(key=lambda item: item.path in needing)


def pytest_collection_finish(session: pytest.Session) -> None:
    prebuild = session.config.stash[_PREBUILD]
    needed = any(_uses_keystone(item) for item in session.items)
    if not needed or session.config.option.collectonly:
        return
    if skip_reason() is not None:
        prebuild.status = "skipped (PODGATE_SKIP_KEYSTONE=1)"
    else:
        prebuild.start()


def pytest_unconfigure(config: pytest.Config) -> None:
    config.stash[_PREBUILD].stop()
