"""`--isolated` (make test-unit): fail any test that starts a process or opens a network socket.

An audit hook sees what Python itself does: socket creation (AF_UNIX stays allowed, asyncio's
event loop needs a socketpair), subprocess, fork, exec and spawn. gRPC's C core opens its sockets
without Python, so its channel constructors are wrapped too (unix: targets stay allowed). Either
raises inside the offending call, and the test fails even if the code under test swallows that.
"""

import socket
import sys
from collections.abc import Callable, Generator

import grpc
import pytest

_PROCESS_EVENTS = {"subprocess.Popen", "os.fork", "os.forkpty", "os.posix_spawn", "os.exec"}
_PROCESS_EVENTS |= {"os.spawn", "os.system"}


class IsolationError(RuntimeError):
    """Raised where an isolated test reached for a process or the network."""


class _Guard:
    def __init__(self) -> None:
        self.active = False
        self.violations: list[str] = []

    def refuse(self, what: str) -> None:
        """Record and raise: raising stops the call before it happens."""
        self.violations.append(what)
        raise IsolationError(f"--isolated: this test {what}")

    def audit(self, event: str, args: tuple[object, ...]) -> None:
        if not self.active:
            return
        if event == "socket.__new__" and args[1] != socket.AF_UNIX:
            self.refuse(f"opened a socket (family {args[1]})")
        elif event in _PROCESS_EVENTS:
            self.refuse(f"started a process ({event} {str(args[0])[:80]})")

    def channels(self, make: Callable[..., object]) -> Callable[..., object]:
        """`make` (a gRPC channel constructor) refusing network targets during tests."""

        def guarded(target: str, *args: object, **kwargs: object) -> object:
            if self.active and not target.startswith("unix:"):
                self.refuse(f"opened a gRPC channel to {target}")
            return make(target, *args, **kwargs)

        return guarded

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item) -> Generator[None, object, object]:
        self.active = True
        try:
            return (yield)
        finally:
            self.active = False

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[None]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        report = yield
        if self.violations and not report.failed:
            report.outcome = "failed"
            report.longrepr = "--isolated: this test " + "; ".join(self.violations)
        self.violations.clear()
        return report


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--isolated",
        action="store_true",
        help="fail tests that start a process or open a network socket (make test-unit)",
    )


def pytest_configure(config: pytest.Config) -> None:
    if not config.getoption("isolated"):
        return
    guard = _Guard()
    # Audit hooks cannot be removed; the guard is idle outside tests.
    sys.addaudithook(guard.audit)
    for module in (grpc, grpc.aio):
        for name in ("insecure_channel", "secure_channel"):
            setattr(module, name, guard.channels(getattr(module, name)))
    config.pluginmanager.register(guard, "isolated-guard")
