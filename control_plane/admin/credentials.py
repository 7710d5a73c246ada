"""What the CLI shows the admin API: the local admin token or a Keystone token (never argv).

In order: PODGATE_ADMIN_TOKEN; a Keystone token (OS_TOKEN, --os-token-file, or fetched with
the usual OS_* variables); the admin token in the state dir, found as the server finds it.
keystoneauth1 is imported only to fetch a token: it is ~0.2 s of every command otherwise.
"""

from collections.abc import Mapping
from pathlib import Path

from control_plane.auth.tokens import ADMIN_TOKEN_ENV, admin_token_for_cli

__all__ = ["KeystoneTokenError", "admin_credential", "cli_state_dir", "cli_token"]

# Where the server keeps the admin token: Settings.state_dir, read here without the settings
# stack (pydantic, the whole TOML schema) since the CLI needs that one value only.
_STATE_DIR_ENV = "PODGATE_STATE_DIR"
_DEFAULT_STATE_DIR = Path(".state")


class KeystoneTokenError(Exception):
    """Keystone refused the OS_* credentials or could not be reached."""


def cli_state_dir(given: Path | None, environ: Mapping[str, str]) -> Path:
    """--state-dir, else PODGATE_STATE_DIR, else .state: where a local server made its token."""
    return given or Path(environ.get(_STATE_DIR_ENV) or _DEFAULT_STATE_DIR)


def admin_credential(
    state_dir: Path, token_file: Path | None, environ: Mapping[str, str]
) -> str | None:
    """The token the CLI sends as x-auth-token; None when it has none (the server says 401)."""
    if given := environ.get(ADMIN_TOKEN_ENV):
        return given
    os_token = token_file.read_text().strip() if token_file is not None else None
    return cli_token(os_token or environ.get("OS_TOKEN"), environ) or admin_token_for_cli(
        state_dir, environ
    )


def cli_token(given: str | None, environ: Mapping[str, str]) -> str | None:
    """A Keystone token: given, or requested with OS_* credentials; None without either."""
    if given:
        return given
    if not environ.get("OS_AUTH_URL"):
        return None
    from keystoneauth1 import exceptions, session
    from keystoneauth1.identity import v3

    auth = v3.Password(
        auth_url=environ["OS_AUTH_URL"],
        username=environ.get("OS_USERNAME"),
        password=environ.get("OS_PASSWORD"),
        project_name=environ.get("OS_PROJECT_NAME"),
        user_domain_name=environ.get("OS_USER_DOMAIN_NAME", "Default"),
        project_domain_name=environ.get("OS_PROJECT_DOMAIN_NAME", "Default"),
    )
    try:
        return session.Session(auth=auth).get_token()
    except exceptions.ClientException as exc:
        raise KeystoneTokenError(str(exc)) from exc
