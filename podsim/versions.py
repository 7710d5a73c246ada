"""Version documents and microversion headers, shaped like Nova's and Cinder's (pure)."""

import re
from collections.abc import Mapping
from typing import Any

NOVA_MIN, NOVA_MAX = "2.1", "2.96"
CINDER_MIN, CINDER_MAX = "3.0", "3.71"

_DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}


def nova_versions(origin: str) -> dict[str, Any]:
    """`GET /compute/`: the versions list (only v2.1 is served here), self links only."""
    entry = _nova_entry(origin)
    del entry["media-types"]
    entry["links"] = entry["links"][:1]
    return {"versions": [entry]}


def nova_version(origin: str) -> dict[str, Any]:
    """`GET /compute/v2.1/`: the v2.1 document with its microversion range."""
    return {"version": _nova_entry(origin)}


def cinder_versions(origin: str) -> dict[str, Any]:
    """`GET /volume/` (answered 300) and `GET /volume/v3/` (200): both list v3.0 only."""
    return {
        "versions": [
            {
                "id": "v3.0",
                "status": "CURRENT",
                "version": CINDER_MAX,
                "min_version": CINDER_MIN,
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


def version_headers(path: str, headers: Mapping[str, str]) -> dict[str, str]:
    """Microversion headers for an API answer: the version asked for if valid, else the minimum."""
    if path.startswith("/compute/v2.1"):
        asked = _asked(headers, "compute") or headers.get("X-OpenStack-Nova-API-Version")
        version = _within(asked, NOVA_MIN, NOVA_MAX)
        return {
            "OpenStack-API-Version": f"compute {version}",
            "X-OpenStack-Nova-API-Version": version,
            "Vary": "OpenStack-API-Version, X-OpenStack-Nova-API-Version",
        }
    if path.startswith("/volume/v3"):
        version = _within(_asked(headers, "volume"), CINDER_MIN, CINDER_MAX)
        return {"OpenStack-API-Version": f"volume {version}", "Vary": "OpenStack-API-Version"}
    return {}


def _nova_entry(origin: str) -> dict[str, Any]:
    return {
        "id": "v2.1",
        "status": "CURRENT",
        "version": NOVA_MAX,
        "min_version": NOVA_MIN,
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


def _within(asked: str | None, minimum: str, maximum: str) -> str:
    if asked == "latest":
        return maximum
    if asked is None or not re.fullmatch(r"\d+\.\d+", asked):
        return minimum
    low, high, wanted = (tuple(map(int, v.split("."))) for v in (minimum, maximum, asked))
    return asked if low <= wanted <= high else minimum
