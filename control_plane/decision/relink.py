"""A pod's links as the gateway's: hrefs and `Location` of answers that pass through Python.

A pod writes links from the Host it was sent and its own path layout. Where its paths are the
gateway's (`http://h:8774/v2.1`, `http://h:8776/v3/$(project_id)s`) Envoy tells it the
gateway's host (X-Forwarded-Host) and the pod, parsing proxy headers as Nova and Cinder do when
configured to, links to the gateway by itself. A pod under a path prefix (devstack's
`http://h/compute/v2.1`) cannot: its links name `/compute/...`, on its own host or on the
gateway's. Those are rewritten here, in the answers the decision service handles (creates, and
shows, updates and actions it routes); the fast path's answers are the pod's own.
Pure: no I/O.
"""

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import orjson

from control_plane.endpoints import root_url

__all__ = ["PodLinks", "pod_links", "relinks"]


@dataclass(frozen=True, slots=True)
class PodLinks:
    """Where one pod's links point (its API root, on its host or the gateway's) and where the
    gateway's do."""

    pod_root: str  # the pod's API root path, `/compute/`
    authorities: frozenset[str]  # the pod's host and the gateway's
    gateway: str  # the gateway's API root, `http://gw:19998/`

    def href(self, href: str) -> str:
        """`href` at the gateway when it names the pod's API, else unchanged."""
        parts = urlsplit(href)
        if parts.netloc not in self.authorities or not parts.path.startswith(self.pod_root):
            return href
        query = f"?{parts.query}" if parts.query else ""
        return f"{self.gateway}{parts.path[len(self.pod_root) :]}{query}"

    def body(self, body: bytes) -> bytes | None:
        """A JSON answer with every `href` at the gateway; None when nothing changed (or it is
        no JSON)."""
        try:
            document = orjson.loads(body)
        except (ValueError, RecursionError):
            return None
        changed = self._document(document)
        return None if changed is document else orjson.dumps(changed)

    def _document(self, value: Any) -> Any:
        """`value` with its hrefs rewritten; the same object when none changed."""
        if isinstance(value, list):
            items = [self._document(item) for item in value]
            same = all(new is old for new, old in zip(items, value, strict=True))
            return value if same else items
        if not isinstance(value, dict):
            return value
        result = {key: self._field(key, item) for key, item in value.items()}
        return value if all(result[key] is value[key] for key in value) else result

    def _field(self, key: str, value: Any) -> Any:
        if key == "href" and isinstance(value, str):
            return self.href(value)
        return self._document(value)


def relinks(endpoint: str) -> bool:
    """Whether a pod at `endpoint` links to paths the gateway lacks (its API root is not `/`)."""
    return urlsplit(root_url(endpoint)).path != "/"


def pod_links(endpoint: str, origin: str) -> PodLinks:
    """How the answers of the pod at `endpoint` become the gateway's, for a request that came
    to `origin` (`scheme://authority`, lists.present.origin)."""
    root = urlsplit(root_url(endpoint))
    gateway = urlsplit(origin).netloc
    return PodLinks(root.path, frozenset({root.netloc, gateway}), f"{origin}/")
