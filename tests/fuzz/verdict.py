"""What counts as a wrong answer from the gateway, as pure functions over one exchange."""

import json

from podsim.app import INTERNAL_HEADERS_SEEN
from tests.fuzz.raw_http import NO_ANSWER, RawAnswer, RawRequest

__all__ = ["problems", "unparsed"]

_POD_HEADER = "x-podsim-pod"
_ID_HEADER = "x-openstack-request-id"


def problems(request: RawRequest, answer: RawAnswer) -> list[str]:
    """Everything wrong with `answer` to `request` (empty when it is a proper answer)."""
    found: list[str] = []
    pod = answer.headers.get(_POD_HEADER)
    if answer.status == NO_ANSWER:
        found.append("no HTTP answer")
    elif answer.status >= 500:
        found.append(f"{answer.status} from {'pod ' + pod if pod else 'the gateway'}")
    elif unparsed(request, answer):
        pass
    elif answer.status >= 400 and request.method != b"HEAD" and not _is_fault(answer):
        found.append(f"{answer.status} without an OpenStack fault body: {answer.body[:200]!r}")
    # Envoy drops even its own routing header before the pod; podsim names any that arrive.
    leaked = answer.headers.get(INTERNAL_HEADERS_SEEN)
    if leaked:
        found.append(f"internal headers reached pod {pod}: {leaked}")
    return found


def unparsed(request: RawRequest, answer: RawAnswer) -> bool:
    """Envoy's HTTP/1 parser refused the request line before any filter saw it.

    Its plain-text 400 (404 for `OPTIONS *`) is not an OpenStack fault, and no Envoy setting
    makes it one; tolerated only for requests that are not HTTP/1.1 at all (a target that is
    not an origin-form path of visible ASCII, control characters in a header value).
    """
    odd_target = not request.target.startswith(b"/") or any(
        byte < 0x21 or byte > 0x7E for byte in request.target
    )
    odd_header = any(byte < 0x20 and byte != 0x09 for _, value in request.headers for byte in value)
    return (
        answer.status in (400, 404)
        and _ID_HEADER not in answer.headers
        and answer.body in (b"Bad Request", b"")
        and (odd_target or odd_header)
    )


def _is_fault(answer: RawAnswer) -> bool:
    """`{"<name>": {"message": ..., "code": <status>}}`, as Nova and Cinder answer errors."""
    try:
        body = json.loads(answer.body)
    except ValueError:
        return False
    if not isinstance(body, dict) or len(body) != 1:
        return False
    (fault,) = body.values()
    return (
        isinstance(fault, dict)
        and isinstance(fault.get("message"), str)
        and fault.get("code") == answer.status
    )
