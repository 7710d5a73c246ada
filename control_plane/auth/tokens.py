"""The control plane's own secrets: made once in the state dir, readable by its owner only.

The admin token lets the CLI (and admin REST clients) in without Keystone; the Envoy token is
what Envoy shows on ADS and ext_proc streams. An environment variable overrides each file
(PODGATE_ADMIN_TOKEN, PODGATE_ENVOY_TOKEN), e.g. when Envoy runs on another host.
"""

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ADMIN_TOKEN_ENV",
    "ADMIN_TOKEN_FILE",
    "ENVOY_TOKEN_ENV",
    "ENVOY_TOKEN_FILE",
    "ControlPlaneTokens",
    "admin_token_for_cli",
    "control_plane_tokens",
    "private_state_dir",
]

ADMIN_TOKEN_FILE = "admin-token"
ENVOY_TOKEN_FILE = "envoy-token"
ADMIN_TOKEN_ENV = "PODGATE_ADMIN_TOKEN"
ENVOY_TOKEN_ENV = "PODGATE_ENVOY_TOKEN"


@dataclass(frozen=True, slots=True)
class ControlPlaneTokens:
    """The two secrets of one control plane (never logged, never in argv)."""

    admin: str
    envoy: str

    def __repr__(self) -> str:
        return "ControlPlaneTokens(admin=***, envoy=***)"


def private_state_dir(state_dir: Path) -> Path:
    """Create the state dir if missing, owner-only (0700): it holds the tokens and the DB."""
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    if state_dir.stat().st_mode & 0o077:
        state_dir.chmod(0o700)
    return state_dir


def control_plane_tokens(state_dir: Path, environ: Mapping[str, str]) -> ControlPlaneTokens:
    """Both tokens from the environment or the state dir, made there at first start."""
    private_state_dir(state_dir)
    return ControlPlaneTokens(
        admin=environ.get(ADMIN_TOKEN_ENV) or _load_or_create(state_dir / ADMIN_TOKEN_FILE),
        envoy=environ.get(ENVOY_TOKEN_ENV) or _load_or_create(state_dir / ENVOY_TOKEN_FILE),
    )


def admin_token_for_cli(state_dir: Path, environ: Mapping[str, str]) -> str | None:
    """The admin token a local CLI can show: PODGATE_ADMIN_TOKEN, else the state dir's file."""
    if given := environ.get(ADMIN_TOKEN_ENV):
        return given
    try:
        return (state_dir / ADMIN_TOKEN_FILE).read_text().strip() or None
    except OSError:  # no such file, or not ours to read: Keystone credentials may still do
        return None


def _load_or_create(path: Path) -> str:
    """The token in `path`; a new random one written 0600 when there is none.

    The file appears complete or not at all (written aside, then linked), so `podgate serve`
    and `podgate envoy` starting together agree on one token.
    """
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    aside = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(secrets.token_urlsafe(32) + "\n")
    try:
        os.link(aside, path)
    except FileExistsError:
        pass  # another process made it first: theirs counts
    finally:
        aside.unlink()
    return _read(path)


def _read(path: Path) -> str:
    token = path.read_text().strip()
    if not token:
        raise ValueError(f"{path} is empty: delete it to have a new token made")
    return token
