"""Version documents: the gateway's own (Nova's and Cinder's shapes) and reading a pod's.

`GET /` and `GET /v2.1/` (compute), `GET /` and `GET /v3/` (volume), `GET /` and `GET /v2.0/`
(network: Neutron's version and resource lists) are answered without a token, advertising the
window every pod supports. Nova's list starts with its legacy `v2.0` (no microversions, self
link `/v2/`, whose own document `GET /v2/` also answers), as clients such as Tempest expect.

A pod's window is read from its API root, its endpoint cut before the version
(`http://h/volume/v3/$(project_id)s` → `http://h/volume/`):
Nova (200) and Cinder (300) serve that list without a token, while Cinder's `/v3/` wants one.
The endpoint cut after the version (`http://h/volume/v3/`) is the fallback for a root that
answers something else.
"""

import json
from collections.abc import Mapping
from typing import Any

from control_plane.decision.resources import API_PREFIX, SPECS
from control_plane.decision.versions.microversions import Window, parse_version, text
from control_plane.model import Service

__all__ = ["LEGACY_COMPUTE", "VersionDocument", "document", "pod_window"]

_DESCRIBED_BY = {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"}
# Nova's legacy v2.0: the path it is served at and its document's fixed fields (Nova's own).
LEGACY_COMPUTE = "/v2/"
_LEGACY = {
    "id": "v2.0",
    "status": "DEPRECATED",
    "version": "",
    "min_version": "",
    "updated": "2025-07-04T12:00:00Z",
}
_LEGACY_MEDIA_TYPE = "application/vnd.openstack.compute+json;version=2"
_ID = {Service.COMPUTE: "v2.1", Service.VOLUME: "v3.0"}
# The `updated` stamps Nova and Cinder show for these versions.
_UPDATED = {Service.COMPUTE: "2013-07-23T11:33:21Z", Service.VOLUME: "2023-08-31T00:00:00Z"}
_MEDIA_TYPE = {
    Service.COMPUTE: "application/vnd.openstack.compute+json;version=2.1",
    Service.VOLUME: "application/vnd.openstack.volume+json;version=3",
}

VersionDocument = tuple[int, bytes]


def document(service: Service, remainder: str, origin: str, window: Window) -> VersionDocument:
    """The status and body of `GET {remainder}` (`/` or `/v2.1/`, `/v3/`, `/v2.0/`) on `service`."""
    if service is Service.NETWORK:
        return 200, _dumps(_neutron(remainder, f"{origin}/{API_PREFIX[service]}/"))
    entry = _entry(service, origin, window)
    if service is Service.VOLUME:
        # Cinder lists its versions under both paths; its root answers 300 Multiple Choices.
        return (300 if remainder == "/" else 200), _dumps({"versions": [entry]})
    legacy = _legacy(origin)
    if remainder == "/":
        return 200, _dumps({"versions": [_brief(legacy), _brief(entry)]})
    if remainder == LEGACY_COMPUTE:
        return 200, _dumps({"version": legacy})
    return 200, _dumps({"version": entry})


def _brief(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A version as Nova's list shows it: no media types, only the self link."""
    brief = {key: value for key, value in entry.items() if key != "media-types"}
    brief["links"] = [link for link in entry["links"] if link["rel"] == "self"]
    return brief


def _legacy(origin: str) -> dict[str, Any]:
    return {
        **_LEGACY,
        "links": [{"rel": "self", "href": f"{origin}{LEGACY_COMPUTE}"}, _DESCRIBED_BY],
        "media-types": [{"base": "application/json", "type": _LEGACY_MEDIA_TYPE}],
    }


def pod_window(service: Service, body: bytes) -> Window | None:
    """The microversion window in a pod's version document; None when it shows none."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return None
    entry = _pod_entry(service, document)
    if entry is None:
        return None
    minimum = parse_version(str(entry.get("min_version") or ""))
    maximum = parse_version(str(entry.get("version") or ""))
    if minimum is None or maximum is None:
        return None
    return Window(minimum, maximum)


def _pod_entry(service: Service, document: object) -> Mapping[str, Any] | None:
    """The entry for the API's current major version, in either document shape.

    A single `version` naming another API (a root that is some other service's) gives None.
    """
    if not isinstance(document, dict):
        return None
    single = document.get("version")
    if isinstance(single, dict):
        return single if single.get("id", _ID[service]) == _ID[service] else None
    entries = document.get("versions")
    if not isinstance(entries, list):
        return None
    candidates = [entry for entry in entries if isinstance(entry, dict)]
    for entry in candidates:
        if entry.get("id") == _ID[service]:
            return entry
    major = _ID[service].split(".")[0]
    current = (e for e in candidates if e.get("status") == "CURRENT" and _major(e) == major)
    return next(current, None)


def _major(entry: Mapping[str, Any]) -> str:
    """ "v2" of "v2.1"."""
    return str(entry.get("id", "")).split(".")[0]


def _entry(service: Service, origin: str, window: Window) -> dict[str, Any]:
    self_link = {"rel": "self", "href": f"{origin}/{API_PREFIX[service]}/"}
    links = [self_link, _DESCRIBED_BY] if service is Service.COMPUTE else [_DESCRIBED_BY, self_link]
    return {
        "id": _ID[service],
        "status": "CURRENT",
        "version": text(window.maximum),
        "min_version": text(window.minimum),
        "updated": _UPDATED[service],
        "links": links,
        "media-types": [{"base": "application/json", "type": _MEDIA_TYPE[service]}],
    }


def _neutron(remainder: str, base: str) -> dict[str, Any]:
    """Neutron's version list (`/`), or its resource list (`/v2.0/`); it has no microversions."""
    if remainder == "/":
        return {"versions": [{"id": "v2.0", "status": "CURRENT", "links": [_self(base)]}]}
    resources = [
        {
            "name": spec.member,
            "collection": spec.collection,
            "links": [_self(base + spec.collection)],
        }
        for spec in SPECS.values()
        if spec.service is Service.NETWORK
    ]
    return {"resources": resources}


def _self(href: str) -> dict[str, str]:
    return {"href": href, "rel": "self"}


def _dumps(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document).encode()
