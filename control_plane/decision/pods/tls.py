"""How the decision service checks a pod's certificate: as Envoy does, per pod.

Every https call verifies the chain against the gateway's CA bundle and the URL's host name
(DNS or IP address), except calls to an origin that only pods marked `tls_insecure` use: a
verified pod at the same origin keeps it checked, so one pod's flag never lowers another's guard.
"""

import ssl
from collections.abc import Callable, Iterable, Mapping
from urllib.parse import urlsplit

from control_plane.model import Pod

__all__ = ["PodTls", "insecure_origins", "verifying_context"]

_Origin = tuple[str, int]


def verifying_context(ca_file: str) -> ssl.SSLContext:
    """Chain to `ca_file` only (not the system's CAs as well) and the host name checked."""
    return ssl.create_default_context(cafile=ca_file)


def insecure_origins(pods: Iterable[Pod]) -> frozenset[_Origin]:
    """The https (host, port) origins whose certificates go unchecked."""
    insecure: set[_Origin] = set()
    verified: set[_Origin] = set()
    for pod in pods:
        for url in pod.endpoints.values():
            if (origin := _https_origin(url)) is not None:
                (insecure if pod.tls_insecure else verified).add(origin)
    return frozenset(insecure - verified)


class PodTls:
    """The `ssl` argument of one request: the verifying context, or False (no check)."""

    def __init__(self, context: ssl.SSLContext, pods: Callable[[], Mapping[str, Pod]]) -> None:
        self._context = context
        self._pods = pods
        self._seen: Mapping[str, Pod] | None = None
        self._insecure: frozenset[_Origin] = frozenset()

    def __call__(self, url: str) -> ssl.SSLContext | bool:
        pods = self._pods()
        if pods is not self._seen:  # the pods view hands out a new mapping on every change
            self._seen, self._insecure = pods, insecure_origins(pods.values())
        return False if _https_origin(url) in self._insecure else self._context


def _https_origin(url: str) -> _Origin | None:
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    try:
        return parts.hostname, parts.port or 443
    except ValueError:
        return None
