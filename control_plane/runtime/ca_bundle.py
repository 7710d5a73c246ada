"""The CA bundle pods' https certificates must chain to: the configured file or the system's.

Envoy wants one PEM file (it cannot read OpenSSL's hashed directories), so the system bundle
is looked for as a file: where Python's OpenSSL says it is (SSL_CERT_FILE included), where the
common distributions keep it, and certifi's copy of Mozilla's list as a last resort.
"""

import ssl
from pathlib import Path

from control_plane.settings import Settings

__all__ = ["decision_pod_ca_file", "envoy_pod_ca_file", "system_ca_bundle"]

_KNOWN_BUNDLES = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine, Arch
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/pki/ca-trust/extracted/pem/tls-ca-bundle.pem",  # RHEL, CentOS
    "/etc/ssl/ca-bundle.pem",  # openSUSE
    "/etc/ssl/cert.pem",  # macOS, the BSDs
)


def system_ca_bundle() -> str:
    """The path of this machine's CA bundle; FileNotFoundError when there is none at all."""
    found = ssl.get_default_verify_paths().cafile
    if found:
        return found
    for candidate in _KNOWN_BUNDLES:
        if Path(candidate).is_file():
            return candidate
    try:
        import certifi
    except ImportError:
        raise FileNotFoundError(
            "no system CA bundle found; set [envoy] pod_ca_file (PODGATE_ENVOY_POD_CA_FILE)"
        ) from None
    return certifi.where()


def envoy_pod_ca_file(settings: Settings) -> str:
    """The bundle Envoy checks pods against."""
    return settings.envoy.pod_ca_file or system_ca_bundle()


def decision_pod_ca_file(settings: Settings) -> str:
    """The bundle the decision service checks pods against: its own, else Envoy's."""
    return settings.decision.pod_ca_file or envoy_pod_ca_file(settings)
