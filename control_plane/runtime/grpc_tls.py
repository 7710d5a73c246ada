"""TLS on the control plane's gRPC port: the server's side (its certificate re-read when the
files change) and its Python clients' (the decision workers' link; Envoy's is in its bootstrap).
"""

import logging
from pathlib import Path

import grpc

from control_plane.runtime.tls_files import TlsFilesError, read_pair, stamp
from control_plane.settings import ControlPlaneSettings
from control_plane.xds.tls import UpstreamTls

__all__ = ["aio_channel", "bind", "channel_credentials", "envoy_client_tls"]

log = logging.getLogger("podgate.tls")


def bind(server: grpc.aio.Server, address: str, settings: ControlPlaneSettings) -> int:
    """Listen on `address`: TLS when the settings name a certificate, else plaintext; the port."""
    if settings.tls_cert_file is None or settings.tls_key_file is None:
        return server.add_insecure_port(address)
    reload = _Reload(settings.tls_cert_file, settings.tls_key_file)
    credentials = grpc.dynamic_ssl_server_credentials(reload.initial, reload)
    return server.add_secure_port(address, credentials)


def channel_credentials(ca_file: Path) -> grpc.ChannelCredentials:
    """Trust only `ca_file` (PEM); raises OSError when it cannot be read."""
    return grpc.ssl_channel_credentials(root_certificates=ca_file.read_bytes())


def aio_channel(target: str, settings: ControlPlaneSettings) -> grpc.aio.Channel:
    """A channel to the gRPC port at `target`, over TLS when the port's clients have a CA."""
    ca_file = settings.client_ca_file
    if ca_file is None:
        return grpc.aio.insecure_channel(target)
    options = [("grpc.ssl_target_name_override", settings.server_name)]
    return grpc.aio.secure_channel(target, channel_credentials(ca_file), options)


def envoy_client_tls(settings: ControlPlaneSettings) -> UpstreamTls | None:
    """How Envoy checks the gRPC port (and the workers' ports): None while it has no CA."""
    ca_file = settings.client_ca_file
    return None if ca_file is None else UpstreamTls(ca_file.read_bytes(), settings.server_name)


class _Reload:
    """gRPC asks at every handshake; a new pair is read only when a file's stamp changed.

    A broken pair (a half-written rotation) is logged and the last good one kept.
    """

    def __init__(self, cert_file: Path, key_file: Path) -> None:
        self._files = (cert_file, key_file)
        self._stamp = stamp(*self._files)
        self.initial = _configuration(*read_pair(*self._files))

    def __call__(self) -> grpc.ServerCertificateConfiguration | None:
        now = stamp(*self._files)
        if now == self._stamp:
            return None
        self._stamp = now
        try:
            pair = read_pair(*self._files)
        except TlsFilesError as exc:
            log.warning("gRPC certificate not reloaded; keeping the last one: %s", exc)
            return None
        log.info("gRPC certificate reloaded", extra={"file": str(self._files[0])})
        return _configuration(*pair)


def _configuration(cert_pem: bytes, key_pem: bytes) -> grpc.ServerCertificateConfiguration:
    return grpc.ssl_server_certificate_configuration([(key_pem, cert_pem)])
