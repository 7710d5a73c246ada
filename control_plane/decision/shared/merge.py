"""Shared objects (flavors, key pairs, volume and group types, QoS specs): merging pods'
answers, naming a refusal.

Every pod holds its own copy of each shared object; the gateway shows one cloud's worth. Lists
are merged and de-duplicated (flavors by id; key pairs and Cinder's objects by name, as each
Cinder gives its copy an id of its own; the first pod by name winning), a single object comes
from the first pod that has it, and links point at the gateway.
"""

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from control_plane.decision.pods.reply import Reply
from control_plane.decision.resources import API_PREFIX
from control_plane.decision.zone_faults import NO_ZONE
from control_plane.errors import fault_body
from control_plane.model import Service

__all__ = [
    "Answer",
    "created_name",
    "gateway_links",
    "listed",
    "own_ids",
    "pick_one",
    "refusal",
    "with_public_key",
]


@dataclass(frozen=True, slots=True)
class Answer:
    """The status and JSON body the gateway answers with."""

    status: int
    body: bytes
    # The pods a merged list could not read (named in the answer's missing pods header).
    missing: tuple[str, ...] = ()


def pick_one(replies: Sequence[Reply]) -> Answer:
    """The first pod's 2xx answer, else the first refusal (as the pod said it), else 503."""
    for reply in replies:
        if reply.ok:
            return Answer(reply.status, reply.body)
    for reply in replies:
        if 400 <= reply.status < 500:
            return Answer(reply.status, reply.body)
    return Answer(503, fault_body(503, NO_ZONE))


def own_ids(replies: Sequence[Reply], list_key: str, ids: Collection[str]) -> dict[str, str]:
    """Each pod's own id of the object some pod knows by one of `ids`, from the pods' lists.

    Cinder makes a new id per pod for the same type or QoS specs; they share its name. Pods
    without an object of that name are left out.
    """
    by_pod = {
        reply.pod: {t.get("name"): t.get("id") for t in listed(reply, list_key) or []}
        for reply in replies
    }
    name = next((n for named in by_pod.values() for n, i in named.items() if i in ids), None)
    if name is None:
        return {}
    return {pod: named[name] for pod, named in by_pod.items() if isinstance(named.get(name), str)}


def refusal(reply: Reply, done: Sequence[str] = (), verb: str = "done") -> Answer:
    """A pod's refusal, its fault message after its zone's name (users see zones; the log
    names the pod), and the zones in `done`, which did what it refused (`verb` says what); no
    answer at all is a 503."""
    where = f"Availability zone {reply.zone}" if reply.zone else "An availability zone"
    zones = ", ".join(dict.fromkeys(done))
    already = f" ({verb} in availability zone {zones} already)" if done else ""
    if reply.status == 0:
        return Answer(503, fault_body(503, f"{where} is not available now.{already}"))
    document = _document(reply)
    if isinstance(document, dict) and len(document) == 1:
        ((name, fault),) = document.items()
        if isinstance(fault, dict) and isinstance(fault.get("message"), str):
            message = f"{where}: {fault['message']}{already}"
            return Answer(reply.status, json.dumps({name: {**fault, "message": message}}).encode())
    message = f"{where} refused the request.{already}"
    return Answer(reply.status, fault_body(reply.status, message))


def created_name(member: str, field: str, reply: Reply) -> str | None:
    """What names the object a create made (`member`'s `field`: an id, a key pair's name)."""
    document = _document(reply)
    created = document.get(member) if isinstance(document, dict) else None
    value = created.get(field) if isinstance(created, dict) else None
    return str(value) if isinstance(value, str | int) and str(value) else None


def with_public_key(body: bytes, first: Reply) -> bytes | None:
    """A key pair create for the other pods: the first pod's generated public key added.

    None when the first pod's answer carries no public key.
    """
    answer = _document(first)
    keypair = answer.get("keypair") if isinstance(answer, dict) else None
    public_key = keypair.get("public_key") if isinstance(keypair, dict) else None
    request = json.loads(body)
    if not isinstance(public_key, str) or not isinstance(request.get("keypair"), dict):
        return None
    request["keypair"]["public_key"] = public_key
    return json.dumps(request).encode()


def gateway_links(body: bytes, service: Service, origin: str, project_id: str) -> bytes:
    """Every `links[].href` of a JSON answer pointed at the gateway's versioned API.

    A pod's self link is `…/v2.1/{project}/flavors/1`, its bookmark `…/compute/{project}/…`;
    both become `{origin}/v2.1/{project}/flavors/1`, which the gateway serves.
    """
    try:
        document = json.loads(body)
    except ValueError:
        return body
    base = f"{origin}/{API_PREFIX[service]}/{project_id}"
    return json.dumps(_relinked(document, base, f"/{project_id}/")).encode()


def _relinked(value: Any, base: str, marker: str) -> Any:
    if isinstance(value, list):
        return [_relinked(item, base, marker) for item in value]
    if not isinstance(value, dict):
        return value
    result = {key: _relinked(item, base, marker) for key, item in value.items()}
    href = result.get("href")
    if "rel" in result and isinstance(href, str):
        parts = urlsplit(href)
        _, found, below = parts.path.partition(marker)
        if found:
            query = f"?{parts.query}" if parts.query else ""
            result["href"] = f"{base}/{below}{query}"
    return result


def listed(reply: Reply, key: str) -> list[dict[str, Any]] | None:
    """A 200 answer's list under `key`, its objects only; None for any other answer."""
    document = _document(reply) if reply.status == 200 else None
    items = document.get(key) if isinstance(document, dict) else None
    return [item for item in items if isinstance(item, dict)] if isinstance(items, list) else None


def _document(reply: Reply) -> object:
    try:
        return json.loads(reply.body)
    except (ValueError, RecursionError):
        return None
