"""Pod endpoints discovered from the Keystone catalog, for pods registered without endpoints.

The catalog is the one in the gateway's own (service user's) token, re-read with a new token on
refresh() and when older than catalog_refresh_s. A region the catalog lacks yields {}.
"""

import asyncio
import logging
import time
from urllib.parse import urlsplit, urlunsplit

from keystoneauth1 import access, identity
from keystoneauth1 import exceptions as ks_exc
from keystoneauth1 import session as ks_session

from control_plane.identity.session import IdentityUnavailable, service_session
from control_plane.model import Service
from control_plane.settings import KeystoneSettings

__all__ = ["PROJECT_TEMPLATE", "Catalog"]

log = logging.getLogger("podgate.identity")

# How a catalog writes "the caller's project" in an endpoint URL (DESIGN.md endpoint URLs).
PROJECT_TEMPLATE = "$(project_id)s"


class Catalog:
    """Service type → URL per region, from the service user's token catalog."""

    def __init__(
        self, settings: KeystoneSettings, *, session: ks_session.Session | None = None
    ) -> None:
        self._session = session or service_session(settings)
        self._interface = settings.interface
        self._max_age = settings.catalog_refresh_s
        self._access: access.AccessInfo | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def endpoints_for(self, region: str) -> dict[str, str]:
        """`compute` and `volumev3` URLs of `region` for the configured interface ({} if none)."""
        return _endpoints(await self._current(), region, self._interface)

    async def refresh(self) -> None:
        """Re-read the catalog now, with a new token; IdentityUnavailable if Keystone is down."""
        async with self._lock:
            self._access = await asyncio.to_thread(self._read)
            self._read_at = time.monotonic()

    async def _current(self) -> access.AccessInfo:
        """The catalog, re-read when too old; a failed re-read keeps the last one."""
        async with self._lock:
            current = self._access
            if current is None or time.monotonic() - self._read_at >= self._max_age:
                try:
                    current = await asyncio.to_thread(self._read)
                except IdentityUnavailable:
                    if current is None:
                        raise
                    log.warning("keystone catalog refresh failed; keeping the last catalog")
                self._access, self._read_at = current, time.monotonic()
            return current

    def _read(self) -> access.AccessInfo:
        """A new token for the service user, and with it the current catalog (blocking)."""
        auth = self._session.auth
        if not isinstance(auth, identity.BaseIdentityPlugin):
            raise IdentityUnavailable("The gateway has no Keystone credentials.")
        try:
            auth.invalidate()
            return auth.get_access(self._session)
        except ks_exc.ClientException as exc:
            log.warning("keystone catalog read failed", extra={"error": type(exc).__name__})
            raise IdentityUnavailable("The identity service is unavailable.") from exc


def _endpoints(info: access.AccessInfo, region: str, interface: str) -> dict[str, str]:
    """The first URL per pod service in `region`, with the token's project put back as template."""
    found: dict[str, str] = {}
    for service in Service:
        urls = info.service_catalog.get_urls(
            service_type=service.value, interface=interface, region_name=region
        )
        if urls and urls[0]:
            found[service.value] = _template(urls[0], info.project_id)
    return found


def _template(url: str, project_id: str | None) -> str:
    """Undo Keystone's substitution of the service user's project into catalog URLs."""
    # NOTE: Keystone fills $(project_id)s with the token's project; pods need the caller's.
    if not project_id:
        return url
    parts = urlsplit(url)
    segments = [PROJECT_TEMPLATE if s == project_id else s for s in parts.path.split("/")]
    return urlunsplit(parts._replace(path="/".join(segments)))
