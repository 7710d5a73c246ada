"""Version documents and microversion negotiation, shaped like Nova's and Cinder's (pure).

Each pod's range is configurable (`--max-compute-version` ...), so a test can put pods of
different releases behind the gateway. A request naming a version outside the range gets the
APIs' own 406; a malformed one their 400.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from podsim.faults import BadRequest, Fault

__all__ = [
    "CINDER",
    "NOVA",
    "NotAcceptable",
    "VersionRange",
    "cinder_versions",
    "negotiate",
    "negotiated",
    "nova_version",
    "nova_versions",
    "parse",
]

_DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
_VERSION = re.compile(r"([1-9]\d*)\.([1-9]\d*|0)")


class NotAcceptable(Fault):
    """A microversion outside the API's range (Nova and Cinder call it computeFault)."""

    status = 406


@dataclass(frozen=True, slots=True)
class VersionRange:
    """min_version .. version of one API, as "X.Y" text."""

    minimum: str
    maximum: str

    def __contains__(self, version: object) -> bool:
        wanted = parse(str(version))
        low, high = parse(self.minimum), parse(self.maximum)
        return None not in (wanted, low, high) and low <= wanted <= high  # type: ignore[operator]


NOVA = VersionRange("2.1", "2.96")
CINDER = VersionRange("3.0", "3.71")


def parse(text: str) -> tuple[int, int] | None:
    """(major, minor) of "X.Y", None for anything else."""
    match = _VERSION.fullmatch(text.strip())
    return (int(match.group(1)), int(match.group(2))) if match else None


def nova_versions(origin: str, versions: VersionRange = NOVA) -> dict[str, Any]:
    """`GET /compute/`: the versions list (only v2.1 is served here), self links only."""
    entry = _nova_entry(origin, versions)
    del entry["media-types"]
    entry["links"] = entry["links"][:1]
    return {"versions": [entry]}


def nova_version(origin: str, versions: VersionRange = NOVA) -> dict[str, Any]:
    """`GET /compute/v2.1/`: the v2.1 document with its microversion range."""
    return {"version": _nova_entry(origin, versions)}


def cinder_versions(origin: str, versions: VersionRange = CINDER) -> dict[str, Any]:
    """`GET /volume/` (answered 300) and `GET /volume/v3/` (200): both list v3.0 only."""
    return {
        "versions": [
            {
                "id": "v3.0",
                "status": "CURRENT",
                "version": versions.maximum,
                "min_version": versions.minimum,
                "updated": "2023-08-31T00:00:00Z",
                "links": [_DESCRIBED_BY, {"rel": "self", "href": f"{origin}/volume/v3/"}],
                "media-types": [
                    {
                        "base": "application/json",
                        "type": "application/vnd.openstack.volume+json;version=3",
                    }
                ],
            }
        ]
    }


def negotiate(
    path: str, headers: Mapping[str, str], *, compute: VersionRange, volume: VersionRange
) -> dict[str, str]:
    """The microversion headers of an API answer; a Fault for a version the API refuses.

    No version asked for means the minimum, `latest` the maximum (Nova's and Cinder's rule).
    """
    if path.startswith("/compute/v2.1/"):
        asked = _asked(headers, "compute") or headers.get("X-OpenStack-Nova-API-Version")
        version = _chosen(asked, compute)
        return {
            "OpenStack-API-Version": f"compute {version}",
            "X-OpenStack-Nova-API-Version": version,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
        }
    if path.startswith("/volume/v3/"):
        version = _chosen(_asked(headers, "volume"), volume)
        return {"OpenStack-API-Version": f"volume {version}", "Vary": "OpenStack-API-Version"}
    return {}


def negotiated(version_headers: Mapping[str, str]) -> tuple[int, int]:
    """(major, minor) that `negotiate` chose, from its headers; (0, 0) outside the APIs."""
    _, _, version = version_headers.get("OpenStack-API-Version", "").partition(" ")
    return parse(version) or (0, 0)


def _nova_entry(origin: str, versions: VersionRange) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": versions.maximum,
        "min_version": versions.minimum,
        "updated": "2013-07-23T11:33:21Z",
        "links": [{"rel": "self", "href": f"{origin}/compute/v2.1/"}, _DESCRIBED_BY],
        "media-types": [
            {
                "base": "application/json",
                "type": "application/vnd.openstack.compute+json;version=2.1",
            }
        ],
    }


def _asked(headers: Mapping[str, str], service: str) -> str | None:
    for part in headers.get("OpenStack-API-Version", "").split(","):
        name, _, version = part.strip().partition(" ")
        if name.lower() == service:
            return version.strip()
    return None


def _chosen(asked: str | None, versions: VersionRange) -> str:
    if asked is None:
        return versions.minimum
    if asked.lower() == "latest":
        return versions.maximum
    if parse(asked) is None:
        raise BadRequest(
            f"API Version String {asked} is of invalid format. Must be of format MajorNum.MinorNum."
        )
    if asked not in versions:
        raise NotAcceptable(
            f"Version {asked} is not supported by the API. "
            f"Minimum is {versions.minimum} and maximum is {versions.maximum}."
        )
    return asked
