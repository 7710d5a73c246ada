"""The CLI's Keystone token: given (OS_TOKEN / --os-token) or fetched with the usual OS_* vars."""

from collections.abc import Mapping

from keystoneauth1 import session
from keystoneauth1.identity import v3

__all__ = ["cli_token"]


def cli_token(given: str | None, environ: Mapping[str, str]) -> str | None:
    """A token for the admin API, or None when no credentials are configured (noauth)."""
    if given:
        return given
    if not environ.get("OS_AUTH_URL"):
        return None
    auth = v3.Password(
        auth_url=environ["OS_AUTH_URL"],
        username=environ.get("OS_USERNAME"),
        password=environ.get("OS_PASSWORD"),
        project_name=environ.get("OS_PROJECT_NAME"),
        user_domain_name=environ.get("OS_USER_DOMAIN_NAME", "Default"),
        project_domain_name=environ.get("OS_PROJECT_DOMAIN_NAME", "Default"),
    )
    return session.Session(auth=auth).get_token()
