"""The listeners' certificate files, re-read every `[envoy] tls_reload_interval_s`.

A changed valid pair goes to the xDS runner at once (an SDS secret); a broken one is logged
(once per problem) and skipped, Envoy keeping the last.
"""

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

from control_plane.runtime.tls_files import TlsFilesError, read_pair
from control_plane.settings import EnvoySettings
from control_plane.xds.runner import Certs
from control_plane.xds.tls import ADMIN_REST_SECRET, LISTENER_SECRET, ServerCert

__all__ = ["ListenerCerts", "read_certs"]

log = logging.getLogger("podgate.xds")


def read_certs(envoy: EnvoySettings) -> Certs:
    """The listeners' and the admin REST listener's certificates (the latter's own or the
    listeners'), None where plaintext; TlsFilesError when configured files are unusable."""
    listeners = _server_cert(LISTENER_SECRET, envoy.tls_cert_file, envoy.tls_key_file)
    admin = _server_cert(
        ADMIN_REST_SECRET, envoy.admin_rest_tls_cert_file, envoy.admin_rest_tls_key_file
    )
    return listeners, admin or listeners


class ListenerCerts:
    """Read now (raising TlsFilesError when unusable), then watched in the running loop until
    `close` when there is any certificate to watch."""

    def __init__(self, envoy: EnvoySettings) -> None:
        self._envoy = envoy
        self.current = read_certs(envoy)
        self._error = ""
        self._watch: asyncio.Task[None] | None = None

    def watch(self, changed: Callable[[Certs], None]) -> None:
        """Hand every new valid pair to `changed`."""
        if any(self.current):
            interval_s = self._envoy.tls_reload_interval_s
            self._watch = asyncio.get_running_loop().create_task(self._poll(changed, interval_s))

    def close(self) -> None:
        if self._watch is not None:
            self._watch.cancel()

    async def _poll(self, changed: Callable[[Certs], None], interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            try:
                certs = read_certs(self._envoy)
            except TlsFilesError as exc:
                if str(exc) != self._error:  # once per problem, not every interval
                    log.warning("listener certificate not reloaded; Envoy keeps the last: %s", exc)
                self._error = str(exc)
                continue
            self._error = ""
            if certs != self.current:
                self.current = certs
                log.info("listener certificate changed; pushing it to Envoy")
                changed(certs)


def _server_cert(name: str, cert_file: Path | None, key_file: Path | None) -> ServerCert | None:
    if cert_file is None or key_file is None:
        return None
    cert_pem, key_pem = read_pair(cert_file, key_file)
    return ServerCert(name, cert_pem, key_pem)
