"""podsim tests; the helpers here talk HTTP to a podsim process (conftest.py's `pod`)."""

import json

import aiohttp
from multidict import CIMultiDict

from harness.procs import SimPod


def compute_api(pod: SimPod, project: str) -> str:
    """The root of `project`'s Nova API on `pod`."""
    return f"{pod.compute_url}/{project}"


def volume_api(pod: SimPod, project: str) -> str:
    """The root of `project`'s Cinder API on `pod`."""
    return f"{pod.url}/volume/v3/{project}"


async def call(
    http: aiohttp.ClientSession,
    method: str,
    url: str,
    body: object = None,
    *,
    data: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, CIMultiDict[str], object]:
    """One request: status, headers and the decoded JSON body (None when empty)."""
    async with http.request(method, url, json=body, data=data, headers=headers) as resp:
        text = await resp.text()
        return resp.status, CIMultiDict(resp.headers), json.loads(text) if text else None


async def walk(
    http: aiohttp.ClientSession, url: str, collection: str
) -> list[tuple[list[dict], list[dict] | None]]:
    """Follow `<collection>_links` next links from `url`: each page's items and its links."""
    pages = []
    for _ in range(50):
        status, _, body = await call(http, "GET", url)
        assert status == 200, body
        assert isinstance(body, dict)
        links = body.get(f"{collection}_links")
        pages.append((body[collection], links))
        if not links:
            return pages
        assert [link["rel"] for link in links] == ["next"]
        url = links[0]["href"]
    raise AssertionError(f"still following next links after 50 pages: {url}")
