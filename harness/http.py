"""A blocking HTTP call for tests and the gateway harness: status, lower-case headers, JSON."""

import json
import urllib.error
import urllib.request
from typing import Any

Answer = tuple[int, dict[str, str], Any]


def call(method: str, url: str, body: object = None, headers: dict | None = None) -> Answer:
    """One HTTP request: status, lower-case headers and the JSON body (None when empty)."""
    data = None if body is None else json.dumps(body).encode()
    sent = {"content-type": "application/json", **(headers or {})}
    request = urllib.request.Request(url, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, got, raw = response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        status, got, raw = error.code, error.headers, error.read()
    return status, {k.lower(): v for k, v in got.items()}, json.loads(raw) if raw else None
