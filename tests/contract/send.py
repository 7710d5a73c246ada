"""Two ways to send the contract's requests: plain HTTP (podsim checks no token) and a
keystoneauth session (real Nova and Cinder, with the session's token)."""

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from typing import Any

from tests.contract.scenario import Send

__all__ = ["plain_send", "session_send"]


def plain_send(method: str, url: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
    """One request with urllib; error statuses are answers too."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, method=method, headers={**headers, "Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, _decoded(response.read())
    except urllib.error.HTTPError as error:
        return error.code, _decoded(error.read())


def session_send(session: Any) -> Send:
    """A Send over a keystoneauth1 Session (its token on every request)."""

    def send(method: str, url: str, headers: Mapping[str, str], body: Any) -> tuple[int, Any]:
        response = session.request(
            url, method, json=body, headers=dict(headers), raise_exc=False, redirect=False
        )
        return response.status_code, _decoded(response.content)

    return send


def _decoded(raw: bytes) -> Any:
    return json.loads(raw) if raw.strip() else None
