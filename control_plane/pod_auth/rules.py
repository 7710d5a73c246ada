"""What a pod must answer to be trusted with tokens on the fast path, and the verdict (pure).

On the fast path Envoy sends a GET straight to the pod, token and all, without asking Keystone;
only a pod that checks the token itself may get it. Real Nova and Cinder do (keystonemiddleware,
then the URL's project against the token's: 400 "Malformed request URL"). A pod proves it by
refusing, for an id nobody has, the request without a token, with a token Keystone never issued,
with a revoked token, and with the gateway's own token on another project's URL, while taking
the gateway's token on its own project's URL (404: the id is unknown). 404 on a refusal means the
pod looked the id up, so it would have shown a resource that exists: it does not check.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from control_plane.model import Service

__all__ = [
    "PROBED",
    "Check",
    "Credential",
    "Verdict",
    "checks",
    "judge",
    "probe_remainder",
]

# The services whose GETs by id Envoy routes by itself (Neutron's URLs name no project: never).
PROBED = (Service.COMPUTE, Service.VOLUME)
_COLLECTION = {Service.COMPUTE: "servers", Service.VOLUME: "volumes"}
_REFUSED = frozenset({401})
_WRONG_PROJECT = frozenset({400, 401, 403})
_ACCEPTED = frozenset({200, 404})


class Credential(StrEnum):
    """What one probe request carries, worded for operators."""

    NONE = "no token"
    BOGUS = "a token Keystone never issued"
    REVOKED = "a revoked token"
    OTHER_PROJECT = "a valid token on another project's URL"
    OWN_PROJECT = "a valid token on its own project's URL"


@dataclass(frozen=True, slots=True)
class Check:
    """One probe request: what it carries, whose project its URL names, what may answer it."""

    credential: Credential
    other_project: bool
    allowed: frozenset[int]


def checks() -> tuple[Check, ...]:
    """The requests every probed pod service gets, in order."""
    return (
        Check(Credential.NONE, False, _REFUSED),
        Check(Credential.BOGUS, False, _REFUSED),
        Check(Credential.REVOKED, False, _REFUSED),
        Check(Credential.OTHER_PROJECT, True, _WRONG_PROJECT),
        Check(Credential.OWN_PROJECT, False, _ACCEPTED),
    )


def probe_remainder(service: Service, resource_id: str) -> str:
    """The path below the project that the probe GETs: a resource by id, as the fast path does."""
    return f"/{_COLLECTION[service]}/{resource_id}"


@dataclass(frozen=True, slots=True)
class Verdict:
    """One pod service at one URL: proven to check tokens, or why not (operators' words)."""

    pod_name: str
    service: Service
    url: str
    problems: tuple[str, ...]

    @property
    def passed(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """One line for `podgate status` and the logs."""
        if self.passed:
            return f"{self.service}: checks tokens (GETs of known ids go straight to it)"
        return f"{self.service}: {'; '.join(self.problems)} (every request asks the gateway)"


def judge(
    pod_name: str, service: Service, url: str, answers: Mapping[Credential, int | str]
) -> Verdict:
    """The verdict from each check's answer: an HTTP status, or why there was none (text)."""
    problems = []
    for check in checks():
        answer = answers.get(check.credential, "not asked")
        if isinstance(answer, str):
            problems.append(f"no answer to {check.credential} ({answer})")
        elif answer not in check.allowed:
            problems.append(_problem(check, answer))
    return Verdict(pod_name, service, url, tuple(problems))


def _problem(check: Check, status: int) -> str:
    want = "/".join(str(s) for s in sorted(check.allowed))
    said = f"answered {status} to {check.credential} (wanted {want})"
    if check.credential is Credential.OWN_PROJECT:
        return f"{said}: it refuses the gateway's own token"
    if status == 404 or 200 <= status < 300:
        return f"{said}: it does not check tokens"
    return said
