"""`--timing-summary` (make test): where the run's time went, below pytest's --durations list.

The Makefile passes the install's time in PODGATE_INSTALL_TIME; the Keystone venv's line comes
from tests/plugins/keystone_prebuild.py.
"""

import os
import time

import pytest

from tests.plugins.keystone_prebuild import status

_BEGIN = pytest.StashKey[float]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--timing-summary",
        action="store_true",
        help="end with the install's, Keystone venv's and pytest's times (make test)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.stash[_BEGIN] = time.monotonic()


@pytest.hookimpl(trylast=True)
def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, config: pytest.Config
) -> None:
    if not config.getoption("timing_summary"):
        return
    write = terminalreporter.write_line
    terminalreporter.section("where the time went")
    write(f"venv + install: {os.environ.get('PODGATE_INSTALL_TIME', 'not measured')}")
    write(f"keystone venv:  {status(config)}")
    write(f"pytest:         {time.monotonic() - config.stash[_BEGIN]:.0f} s wall")
