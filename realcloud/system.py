"""Debian packages the cloud needs (PostgreSQL, RabbitMQ), installed with apt-get when missing."""

import os
import shutil
import subprocess
from pathlib import Path

from realcloud.services import EPMD, ERL_BIN

_APT_TIMEOUT_S = 900
_POLICY_RC_D = Path("/usr/sbin/policy-rc.d")


class MissingPackage(RuntimeError):
    """A Debian package is absent and could not be installed."""


def postgres_bin() -> Path:
    """The newest Debian PostgreSQL's bin directory, installing `postgresql` if needed."""
    found = _postgres_bin()
    if found is None:
        _apt_install("postgresql")
        found = _postgres_bin()
    if found is None:
        raise MissingPackage("PostgreSQL (initdb, postgres) not found after apt-get install")
    return found


def ensure_rabbitmq() -> None:
    """RabbitMQ's scripts and epmd, from Debian's rabbitmq-server (its service is not started)."""
    if not (ERL_BIN / "rabbitmq-server").exists() or not EPMD.exists():
        _apt_install("rabbitmq-server")
    if not (ERL_BIN / "rabbitmq-server").exists():
        raise MissingPackage("rabbitmq-server not found after apt-get install")


def _postgres_bin() -> Path | None:
    versions = sorted(
        (p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()),
        key=lambda p: int(p.parent.name),
        reverse=True,
    )
    for bin_dir in versions:
        if (bin_dir / "initdb").exists() and (bin_dir / "postgres").exists():
            return bin_dir
    return None


def _apt_install(package: str) -> None:
    """apt-get update + install, with a policy-rc.d that keeps Debian from starting the service."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingPackage(f"{package} is missing and apt-get needs root")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    ours = not _POLICY_RC_D.exists()
    if ours:
        _POLICY_RC_D.write_text("#!/bin/sh\nexit 101\n")
        _POLICY_RC_D.chmod(0o755)
    try:
        for argv in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
            result = subprocess.run(
                argv, env=env, capture_output=True, text=True, timeout=_APT_TIMEOUT_S, check=False
            )
            if result.returncode != 0:
                raise MissingPackage(f"{' '.join(argv)} failed:\n{result.stdout}{result.stderr}")
    finally:
        if ours:
            _POLICY_RC_D.unlink(missing_ok=True)
