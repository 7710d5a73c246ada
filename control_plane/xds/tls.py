"""TLS in Envoy's config: listener certificates by SDS over ADS, gRPC upstreams checked (pure).

A listener names its certificate as an SDS secret on the ADS stream instead of holding it, so
the control plane alone reads the files and a new certificate is one small push: Envoy swaps
it for new connections without draining the listener.
"""

import ipaddress
from dataclasses import dataclass, field

from envoy.config.core.v3 import base_pb2
from envoy.extensions.transport_sockets.tls.v3 import common_pb2, secret_pb2, tls_pb2
from envoy.type.matcher.v3 import string_pb2

from control_plane.xds.pb import ADS, any_of

__all__ = [
    "ADMIN_REST_SECRET",
    "LISTENER_SECRET",
    "ServerCert",
    "UpstreamTls",
    "downstream_tls",
    "tls_secrets",
    "upstream_tls",
]

# SDS secret names: the compute and volume listeners' certificate, and the admin REST one's.
LISTENER_SECRET = "podgate_listener_tls"
ADMIN_REST_SECRET = "podgate_admin_rest_tls"

_TLS_SOCKET = "envoy.transport_sockets.tls"
# The listeners' codec is AUTO: offer both, so TLS clients may speak HTTP/2 as plaintext ones may.
_LISTENER_ALPN = ("h2", "http/1.1")


@dataclass(frozen=True, slots=True)
class ServerCert:
    """A listener certificate chain and its key (PEM), pushed as the SDS secret `name`."""

    name: str
    cert_pem: bytes
    key_pem: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class UpstreamTls:
    """How Envoy checks a gRPC server of Podgate's: the CA (PEM) and the name it must carry."""

    ca_pem: bytes
    server_name: str


def tls_secrets(*certs: ServerCert | None) -> list[secret_pb2.Secret]:
    """One SDS secret per distinct certificate name; None entries (plaintext) are skipped."""
    secrets: dict[str, secret_pb2.Secret] = {}
    for cert in certs:
        if cert is not None and cert.name not in secrets:
            secrets[cert.name] = secret_pb2.Secret(
                name=cert.name,
                tls_certificate=common_pb2.TlsCertificate(
                    certificate_chain=base_pb2.DataSource(inline_bytes=cert.cert_pem),
                    private_key=base_pb2.DataSource(inline_bytes=cert.key_pem),
                ),
            )
    return list(secrets.values())


def downstream_tls(cert: ServerCert | None) -> base_pb2.TransportSocket | None:
    """A listener filter chain's TLS, its certificate by SDS; None (plaintext) without one."""
    if cert is None:
        return None
    context = tls_pb2.DownstreamTlsContext(
        common_tls_context=tls_pb2.CommonTlsContext(
            tls_certificate_sds_secret_configs=[
                secret_pb2.SdsSecretConfig(name=cert.name, sds_config=ADS)
            ],
            alpn_protocols=_LISTENER_ALPN,
        )
    )
    return base_pb2.TransportSocket(name=_TLS_SOCKET, typed_config=any_of(context))


def upstream_tls(tls: UpstreamTls) -> base_pb2.TransportSocket:
    """TLS to a Podgate gRPC server: trust only `ca_pem`, require `server_name` in the SAN."""
    matcher = string_pb2.StringMatcher(exact=tls.server_name)
    if _is_ip(tls.server_name):
        san_type, sni = common_pb2.SubjectAltNameMatcher.IP_ADDRESS, ""  # no IPs in SNI
    else:
        san_type, sni = common_pb2.SubjectAltNameMatcher.DNS, tls.server_name
    context = tls_pb2.UpstreamTlsContext(
        sni=sni,
        common_tls_context=tls_pb2.CommonTlsContext(
            validation_context=common_pb2.CertificateValidationContext(
                trusted_ca=base_pb2.DataSource(inline_bytes=tls.ca_pem),
                match_typed_subject_alt_names=[
                    common_pb2.SubjectAltNameMatcher(san_type=san_type, matcher=matcher)
                ],
            ),
            alpn_protocols=["h2"],  # gRPC
        ),
    )
    return base_pb2.TransportSocket(name=_TLS_SOCKET, typed_config=any_of(context))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
