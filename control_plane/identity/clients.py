"""The client address a request came from, as Envoy saw it: the unit of per-client fairness.

The listeners run with `use_remote_address` and no trusted hops, and treat every address as
external, so Envoy overwrites `x-envoy-external-address` with the downstream peer's address
(whatever the client sent). `x-forwarded-for` is the fallback: its last entry is the one Envoy
appended, but for a loopback peer Envoy appends the host's own address instead, which makes it
useless for telling local clients apart. IPv6 clients count per /64: one host owns a whole /64.
"""

import ipaddress
from collections.abc import Mapping

__all__ = ["client_address"]

_EXTERNAL = "x-envoy-external-address"
_FORWARDED = "x-forwarded-for"
_IPV6_HOST_PREFIX = 64


def client_address(headers: Mapping[str, str]) -> str:
    """The requesting client's address (an IPv6 one as its /64); "" if Envoy gave none."""
    raw = headers.get(_EXTERNAL, "").strip()
    if not raw:
        raw = headers.get(_FORWARDED, "").rpartition(",")[2].strip()
    try:
        address = ipaddress.ip_address(raw)
    except ValueError:
        return ""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, _IPV6_HOST_PREFIX), strict=False))
    return str(address)
