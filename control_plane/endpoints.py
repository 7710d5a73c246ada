"""Where a pod's API lives: URLs and paths built from its catalog-style endpoint.

A pod registers endpoints as Keystone's catalog has them (`http://h/compute/v2.1/$(project_id)s`,
`http://h/volume/v3`): the project goes where the template says or after the endpoint; the API
root (for the version list) is the endpoint cut before its version segment. Pure: the decision
service and the xDS translator both build pod URLs here.
"""

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["document_urls", "pod_path", "pod_url", "root_url", "version_url"]

_TEMPLATES = ("$(project_id)s", "$(tenant_id)s", "%(project_id)s", "%(tenant_id)s")
_TEMPLATE_MARKS = ("$(", "%(")
_VERSION_SEGMENT = re.compile(r"v\d+(\.\d+)?")


def pod_path(endpoint: str, project_id: str, remainder: str, query: str = "") -> str:
    """The request path on a pod whose catalog-style endpoint URL is `endpoint`.

    A remainder that starts with its version (`/v2.0/networks`: Neutron's catalog names no
    version and its paths no project) follows the endpoint as it is.
    """
    base = urlsplit(endpoint).path.rstrip("/")
    template = next((t for t in _TEMPLATES if t in base), None)
    if _VERSION_SEGMENT.fullmatch(remainder.split("/")[1] if remainder.count("/") > 1 else ""):
        base = base.replace(template, "") if template else base
    elif template:
        base = base.replace(template, project_id)
    else:
        base = f"{base}/{project_id}"
    path = base + remainder
    return f"{path}?{query}" if query else path


def pod_url(endpoint: str, project_id: str, remainder: str, query: str = "") -> str:
    """The absolute URL the gateway itself calls on a pod for `remainder` of a project's API."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}{pod_path(endpoint, project_id, remainder, query)}"


def document_urls(endpoint: str) -> tuple[str, ...]:
    """Where to read a pod's window, best first: its API root, then its version document."""
    return tuple(dict.fromkeys((root_url(endpoint), version_url(endpoint))))


def root_url(endpoint: str) -> str:
    """A pod's API root: its endpoint up to (without) the version, with a slash."""
    segments = _segments(endpoint)
    versioned = [i for i, segment in enumerate(segments) if _VERSION_SEGMENT.fullmatch(segment)]
    return _url(endpoint, segments[: versioned[0]] if versioned else segments)


def version_url(endpoint: str) -> str:
    """Where a pod's version document is: its endpoint up to the version, with a slash."""
    return _url(endpoint, _segments(endpoint))


def _segments(endpoint: str) -> list[str]:
    """The endpoint's path segments before any template (`$(project_id)s`, `%(tenant_id)s`)."""
    kept: list[str] = []
    for segment in urlsplit(endpoint).path.split("/"):
        if any(mark in segment for mark in _TEMPLATE_MARKS):
            break
        if segment:
            kept.append(segment)
    return kept


def _url(endpoint: str, segments: list[str]) -> str:
    parts = urlsplit(endpoint)
    path = "/" + "".join(f"{segment}/" for segment in segments)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))
