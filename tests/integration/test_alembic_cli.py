"""The alembic command line on the store's migrations: upgrade, check, downgrade (a process)."""

import subprocess
import sys
from pathlib import Path

ALEMBIC_INI = Path(__file__).parents[2] / "control_plane" / "store" / "alembic.ini"


def test_alembic_command_line_downgrades_and_checks(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'podgate.db'}"

    def alembic(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "alembic", "-c", str(ALEMBIC_INI), "-x", f"url={url}"]
        return subprocess.run([*command, *args], capture_output=True, text=True, timeout=60)

    assert alembic("upgrade", "head").returncode == 0
    checked = alembic("check")
    assert checked.returncode == 0, checked.stderr
    assert alembic("downgrade", "base").returncode == 0
    current = alembic("current")
    assert current.returncode == 0 and "0001" not in current.stdout
