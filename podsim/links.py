"""Links in answers, built from the request's Host header and the endpoint prefix, as Nova does."""

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode


@dataclass(frozen=True, slots=True)
class Links:
    """URL bases for one request: `endpoint` is versioned (…/compute/v2.1), `bookmark` is not."""

    endpoint: str
    bookmark: str
    project_id: str
    collection: str

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
