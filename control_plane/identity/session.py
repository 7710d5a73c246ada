"""The gateway's own keystoneauth1 session (service credentials), shared by tokens and catalog."""

from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from control_plane.errors import PodgateError
from control_plane.settings import KeystoneSettings

__all__ = ["IdentityBusy", "IdentityUnavailable", "service_session"]


class IdentityUnavailable(PodgateError):
    """Keystone cannot answer now (down, slow, or refusing the gateway's own credentials)."""

    status = 503


class IdentityBusy(IdentityUnavailable):
    """Too many token validations in flight, for the client's address or in all: retry soon."""

    retry_after_s = 1


def service_session(settings: KeystoneSettings) -> ks_session.Session:
    """A blocking keystoneauth1 session that authenticates as the gateway's service user."""
    auth = v3.Password(
        auth_url=settings.auth_url,
        username=settings.username,
        password=settings.password.get_secret_value(),
        project_name=settings.project_name,
        user_domain_name=settings.user_domain_name,
        project_domain_name=settings.project_domain_name,
    )
    return ks_session.Session(auth=auth, timeout=settings.timeout)
