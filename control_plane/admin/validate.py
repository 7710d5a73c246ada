"""Admin input checks, run before any write so a bad request changes nothing."""

import re
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit

from control_plane.admin.convert import PodChanges
from control_plane.errors import BadRequest
from control_plane.model import Pod, Service

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "check_binding",
    "check_pod",
    "check_pod_changes",
    "check_pod_name",
    "check_required",
    "page_size",
]

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 1000
_MAX_NAME = 255
_MAX_URL = 1024
# NOTE: pod names become part of Envoy cluster names (pod.<name>.<service>), hence the strict set.
_POD_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_PROJECT_ID = re.compile(r"[A-Za-z0-9_-]+")
_SERVICES = ", ".join(Service)
_SERVICE_TYPES = frozenset(Service)


def check_pod_name(name: str) -> None:
    """A pod name is required and safe inside an Envoy cluster name."""
    check_required("pod name", name)
    if not _POD_NAME.fullmatch(name):
        raise BadRequest(
            f"pod name {name!r} must start with a letter or digit and contain only letters, "
            "digits, '.', '_' and '-'"
        )


def check_pod(pod: Pod) -> None:
    """A pod about to be created: names, zones and endpoints all well formed."""
    check_pod_name(pod.name)
    _check_label("az_name", pod.az_name, required=True)
    _check_label("pod_az_name", pod.pod_az_name, required=False)
    _check_label("dc_name", pod.dc_name, required=False)
    _check_endpoints(pod.endpoints)


def check_pod_changes(name: str, changes: PodChanges) -> None:
    """An update to a pod: every field it sets is well formed and no endpoint is set and dropped."""
    check_pod_name(name)
    if changes.az_name is not None:
        _check_label("az_name", changes.az_name, required=True)
    if changes.pod_az_name is not None:
        _check_label("pod_az_name", changes.pod_az_name, required=False)
    if changes.dc_name is not None:
        _check_label("dc_name", changes.dc_name, required=False)
    _check_endpoints(changes.set_endpoints)
    _check_services(changes.remove_endpoints)
    both = sorted(set(changes.set_endpoints) & set(changes.remove_endpoints))
    if both:
        raise BadRequest(f"endpoint {', '.join(both)} is both set and removed; pick one")


def check_binding(project_id: str, pod_name: str) -> None:
    """A binding names a Keystone-style project id and a well-formed pod name."""
    check_required("project_id", project_id)
    if not _PROJECT_ID.fullmatch(project_id):
        raise BadRequest(f"project_id {project_id!r} may contain only letters, digits, '_' and '-'")
    check_pod_name(pod_name)


def check_required(what: str, value: str) -> None:
    """A required identifier is present and of a sane length."""
    if not value:
        raise BadRequest(f"{what} is required")
    if len(value) > _MAX_NAME:
        raise BadRequest(f"{what} is longer than {_MAX_NAME} characters")


def page_size(requested: int) -> int:
    """The number of rows a page holds: 0 means the default, more than the maximum is capped."""
    if requested < 0:
        raise BadRequest(f"page_size must not be negative (got {requested})")
    return min(requested or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)


def _check_label(what: str, value: str, *, required: bool) -> None:
    """A human-readable zone or datacenter name: printable, trimmed, not too long."""
    if not value:
        if required:
            raise BadRequest(f"{what} is required")
        return
    if len(value) > _MAX_NAME:
        raise BadRequest(f"{what} is longer than {_MAX_NAME} characters")
    if not value.isprintable():
        raise BadRequest(f"{what} {value!r} contains control or non-printable characters")
    if value != value.strip():
        raise BadRequest(f"{what} {value!r} starts or ends with spaces")


def _check_endpoints(endpoints: Mapping[str, str]) -> None:
    """Each endpoint is a known service type with a catalog-style http(s) URL."""
    _check_services(endpoints)
    for service, url in endpoints.items():
        _check_url(service, url)


def _check_services(services: Iterable[str]) -> None:
    """Only the services the gateway carries can have endpoints."""
    for service in services:
        if service not in _SERVICE_TYPES:
            raise BadRequest(f"service type {service!r} is not one of {_SERVICES}")


def _check_url(service: str, url: str) -> None:
    """http(s)://host[:port][/path], where the path may hold $(project_id)s or $(tenant_id)s."""
    where = f"endpoint {service}={url!r}"
    if len(url) > _MAX_URL:
        raise BadRequest(f"endpoint {service} URL is longer than {_MAX_URL} characters")
    if not url.isprintable() or any(c.isspace() for c in url):
        raise BadRequest(f"{where} contains spaces or control characters")
    if "?" in url or "#" in url:
        raise BadRequest(f"{where} must not have a query or fragment")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise BadRequest(f"{where} is not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise BadRequest(f"{where} must start with http:// or https://")
    if not parts.hostname:
        raise BadRequest(f"{where} has no host")
    if parts.username is not None or parts.password is not None:
        raise BadRequest(f"{where} must not carry credentials")
