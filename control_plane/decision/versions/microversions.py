"""Microversions as Nova and Cinder negotiate them, against the window every pod supports.

A request names its version in `OpenStack-API-Version: compute 2.60` (`volume 3.50`) or, for
compute, the legacy `X-OpenStack-Nova-API-Version: 2.60`. The gateway accepts it only inside
the window (highest minimum .. lowest maximum over the pods), turns `latest` into the window's
top so every pod gets the same concrete version, and stamps its own answers as the APIs do.
"""

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from control_plane.errors import BadRequest, NotAcceptable
from control_plane.model import Service

__all__ = [
    "API_VERSION_HEADER",
    "BASE_WINDOWS",
    "MICROVERSIONED",
    "NOVA_LEGACY_HEADER",
    "Negotiated",
    "Version",
    "Window",
    "answer_headers",
    "intersect",
    "negotiate",
    "parse_version",
    "requested",
    "text",
]

Version = tuple[int, int]

# The header both APIs read first, and Nova's legacy one (lower case, as Envoy hands them over).
API_VERSION_HEADER = "openstack-api-version"
NOVA_LEGACY_HEADER = "x-openstack-nova-api-version"
_SERVICE_NAME = {Service.COMPUTE: "compute", Service.VOLUME: "volume"}
# The APIs with microversions (Neutron has none: its requests and answers carry no version).
MICROVERSIONED = frozenset(_SERVICE_NAME)
# nova/cinder api_version_request.py: "^([1-9]\d*)\.([1-9]\d*|0)$"
_VERSION = re.compile(r"([1-9]\d*)\.([1-9]\d*|0)")
_LATEST = "latest"


@dataclass(frozen=True, slots=True)
class Window:
    """The microversions a request may ask for: min_version .. version of a version document."""

    minimum: Version
    maximum: Version

    def __contains__(self, version: object) -> bool:
        return isinstance(version, tuple) and self.minimum <= version <= self.maximum


# What every release of each API supports: the window when no pod's document can be read.
BASE_WINDOWS: Mapping[Service, Window] = {
    Service.COMPUTE: Window((2, 1), (2, 1)),
    Service.VOLUME: Window((3, 0), (3, 0)),
    Service.NETWORK: Window((2, 0), (2, 0)),
}


@dataclass(frozen=True, slots=True)
class Negotiated:
    """The version a request runs at, and the request headers to set so the pod runs it too."""

    version: Version
    rewrite: Mapping[str, str]


def text(version: Version) -> str:
    """`2.60` for (2, 60)."""
    return f"{version[0]}.{version[1]}"


def parse_version(value: str) -> Version | None:
    """(major, minor) from "X.Y", None when the text is no version."""
    match = _VERSION.fullmatch(value.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def requested(service: Service, headers: Mapping[str, str]) -> str | None:
    """The version text the request names for `service` (new header first), if any."""
    name = _SERVICE_NAME.get(service)
    if name is None:
        return None
    for part in headers.get(API_VERSION_HEADER, "").split(","):
        words = part.split()
        if len(words) == 2 and words[0].lower() == name:
            return words[1]
    if service is Service.COMPUTE and headers.get(NOVA_LEGACY_HEADER, "").strip():
        return headers[NOVA_LEGACY_HEADER].strip()
    return None


def negotiate(service: Service, headers: Mapping[str, str], window: Window) -> Negotiated | None:
    """The version the request asks for, checked against `window`; None when it names none.

    Raises BadRequest for text that is no version and NotAcceptable outside the window.
    """
    asked = requested(service, headers)
    if asked is None:
        return None
    if asked.lower() == _LATEST:
        return Negotiated(window.maximum, _rewrite(service, headers, window.maximum))
    version = parse_version(asked)
    if version is None:
        raise BadRequest(
            f"API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum."
        )
    if version not in window:
        raise NotAcceptable(
            f"Version {text(version)} is not supported by the API. "
            f"Minimum is {text(window.minimum)} and maximum is {text(window.maximum)}."
        )
    return Negotiated(version, {})


def answer_headers(service: Service, version: Version | None) -> dict[str, str]:
    """The version headers of an answer the gateway gives itself (Vary alone when none)."""
    if service not in MICROVERSIONED:
        return {}
    if service is Service.COMPUTE:
        vary = {"vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version"}
        if version is None:
            return vary
        return {
            API_VERSION_HEADER: f"compute {text(version)}",
            NOVA_LEGACY_HEADER: text(version),
            **vary,
        }
    vary = {"vary": "OpenStack-API-Version"}
    return vary if version is None else {API_VERSION_HEADER: f"volume {text(version)}", **vary}


def intersect(service: Service, windows: Iterable[Window]) -> Window:
    """What every pod supports: the highest minimum .. the lowest maximum (base when none)."""
    known = list(windows)
    if not known:
        return BASE_WINDOWS[service]
    return Window(max(w.minimum for w in known), min(w.maximum for w in known))


def _rewrite(service: Service, headers: Mapping[str, str], version: Version) -> dict[str, str]:
    """The headers that name `version` instead of `latest` for the pod."""
    rewrite = {API_VERSION_HEADER: f"{_SERVICE_NAME[service]} {text(version)}"}
    if service is Service.COMPUTE and NOVA_LEGACY_HEADER in headers:
        rewrite[NOVA_LEGACY_HEADER] = text(version)
    return rewrite
