"""Links in answers, built from the request's Host header and the endpoint prefix, as Nova does.

Behind a proxy the pod builds them as Nova and Cinder do with oslo.middleware's HTTPProxyToWSGI
turned on (`[oslo_middleware] enable_proxy_headers_parsing = True`): RFC 7239's `Forwarded`
(its first entry) names scheme and host, else `X-Forwarded-Proto` and `X-Forwarded-Host`, and
`X-Forwarded-Prefix` goes before the pod's own mount (its WSGI script name).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from aiohttp import web

from podsim.mounts import AT_ROOT


def app_url(request: web.Request, path: str) -> str:
    """`path` as podsim mounts it (`/compute/v2.1`) under the URL the client reached it by."""
    if request.get(AT_ROOT):
        below = path.lstrip("/").partition("/")[2]  # `/compute/v2.1` -> `v2.1`
        path = f"/{below}" if below else ""
    return _origin(request) + request.headers.get("X-Forwarded-Prefix", "") + path


def _origin(request: web.Request) -> str:
    scheme, host = request.scheme, request.host
    forwarded = request.headers.get("Forwarded")
    if forwarded:
        pairs: dict[str, str] = {}
        for part in forwarded.split(",")[0].split(";"):
            key, _, value = part.partition("=")
            pairs[key.strip().lower()] = value.strip()
        scheme = pairs.get("proto") or scheme
        host = pairs.get("host") or host
    else:
        scheme = request.headers.get("X-Forwarded-Proto") or scheme
        host = request.headers.get("X-Forwarded-Host") or host
    return f"{scheme}://{host}"


@dataclass(frozen=True, slots=True)
class Links:
    """URL bases for one request: `endpoint` is versioned (…/compute/v2.1), `bookmark` is not.

    `version` is the request's negotiated microversion, so views can be shaped by it as Nova's
    and Cinder's view builders are; (0, 0) stands for the API's minimum.
    """

    endpoint: str
    bookmark: str
    project_id: str
    collection: str
    version: tuple[int, int] = (0, 0)

    def self_href(self, resource_id: str) -> str:
        """The versioned URL of one resource (Nova's `Location` header)."""
        return f"{self.endpoint}/{self.project_id}/{self.collection}/{resource_id}"

    def member(self, resource_id: str) -> list[dict[str, str]]:
        """The `links` of one resource: self (versioned) and bookmark (unversioned)."""
        bookmark = f"{self.bookmark}/{self.project_id}/{self.collection}/{resource_id}"
        return [
            {"rel": "self", "href": self.self_href(resource_id)},
            {"rel": "bookmark", "href": bookmark},
        ]

    def bookmark_of(self, collection: str, resource_id: str) -> list[dict[str, str]]:
        """A bookmark link to a resource of another collection (a server's flavor or image)."""
        href = f"{self.bookmark}/{self.project_id}/{collection}/{resource_id}"
        return [{"rel": "bookmark", "href": href}]

    def next_page(
        self, path: str, query: Sequence[tuple[str, str]], marker: str
    ) -> list[dict[str, str]]:
        """`<collection>_links`: the same query (marker replaced) after the last item shown."""
        params = [(key, value) for key, value in query if key != "marker"]
        params.append(("marker", marker))
        href = f"{self.endpoint}/{self.project_id}/{path}?{urlencode(params)}"
        return [{"rel": "next", "href": href}]
