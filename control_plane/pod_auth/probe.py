"""The pod-auth probe: asks each pod directly whether it checks tokens (rules.py) and tells the
xDS runner which pod services passed, so that only theirs are on the fast path.

Every pod service is probed at start, at once when pods change (a new or moved endpoint has no
verdict: it stays off until it passes), and every `every_s`; a pod that fails or does not answer
goes off at once. When Keystone gives no tokens the round is skipped and the verdicts stand: an
outage says nothing about the pods (and a pod never seen stays off).
"""

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextlib import suppress

from control_plane.decision.pods.client import PodCallError, PodFetch
from control_plane.endpoints import pod_url
from control_plane.identity import IdentityUnavailable
from control_plane.metrics import Metrics
from control_plane.model import Pod, PodState, Service, cluster_name
from control_plane.pod_auth.rules import (
    PROBED,
    Check,
    Credential,
    Verdict,
    checks,
    judge,
    probe_remainder,
)
from control_plane.pod_auth.tokens import ProbeTokens, RoundTokens
from control_plane.store.changes import Change, ChangeKind

__all__ = ["Passed", "PodAuthProbe"]

log = logging.getLogger("podgate.pod_auth")

# (pod cluster name, endpoint URL) of every pod service proven to check tokens.
Passed = frozenset[tuple[str, str]]
_Target = tuple[str, Service, str]
# Shaped like a token (so no pod refuses it for its form alone), but never issued by Keystone.
_BOGUS = "gAAAAA" + "podgate-probe-" * 8


class PodAuthProbe:
    """Probes pods; `on_change` gets the passed set whenever it changes."""

    def __init__(
        self,
        *,
        pods: Callable[[], Mapping[str, Pod]],
        fetch: PodFetch,
        tokens: ProbeTokens,
        on_change: Callable[[Passed], None],
        metrics: Metrics,
        every_s: float,
        timeout_s: float,
    ) -> None:
        self._pods = pods
        self._fetch = fetch
        self._tokens = tokens
        self._on_change = on_change
        self._metrics = metrics
        self._every_s = every_s
        self._timeout_s = timeout_s
        self._verdicts: dict[tuple[str, Service], Verdict] = {}
        self._passed: Passed = frozenset()
        self._wake = asyncio.Event()

    def summaries(self) -> Mapping[str, Sequence[str]]:
        """Pod name -> one line per probed service, for `podgate status`."""
        lines: dict[str, list[str]] = {}
        for (pod_name, _), verdict in sorted(self._verdicts.items()):
            lines.setdefault(pod_name, []).append(verdict.summary())
        return lines

    async def changed(self, changes: Sequence[Change]) -> None:
        """A change feed subscriber (after LivePods): probe new or changed pods now."""
        if any(change.kind is ChangeKind.PODS for change in changes):
            self._wake.set()

    async def run(self) -> None:
        """Probe rounds until cancelled: everything every `every_s`, new pods when woken."""
        next_full = 0.0
        while True:
            full = time.monotonic() >= next_full
            if full:
                next_full = time.monotonic() + self._every_s
            self._wake.clear()
            await self.round(full=full)
            with suppress(TimeoutError):
                async with asyncio.timeout(max(0.0, next_full - time.monotonic())):
                    await self._wake.wait()

    async def round(self, *, full: bool) -> None:
        """Probe every pod service (`full`) or those without a verdict for their URL."""
        targets = self._targets()
        self._forget_gone(targets)
        due = [t for t in targets if full or self._stale(t)]
        if due:
            try:
                tokens = await self._tokens.for_round()
            except IdentityUnavailable as exc:
                log.warning("pod auth probe skipped: no tokens", extra={"error": exc.message})
                due = []
            else:
                verdicts = await asyncio.gather(*(self._probe(t, tokens) for t in due))
                for verdict in verdicts:
                    self._record(verdict)
        self._publish()

    def _targets(self) -> list[_Target]:
        return [
            (pod.name, service, url)
            for pod in self._pods().values()
            if pod.state is not PodState.DISABLED
            for service in PROBED
            if (url := pod.endpoint(service))
        ]

    def _stale(self, target: _Target) -> bool:
        pod_name, service, url = target
        known = self._verdicts.get((pod_name, service))
        return known is None or known.url != url

    def _forget_gone(self, targets: list[_Target]) -> None:
        kept = {(pod_name, service) for pod_name, service, _ in targets}
        for key in [key for key in self._verdicts if key not in kept]:
            del self._verdicts[key]
            with suppress(KeyError):
                self._metrics.pod_auth_passed.remove(*key)

    async def _probe(self, target: _Target, tokens: RoundTokens) -> Verdict:
        pod_name, service, url = target
        resource_id = str(uuid.uuid4())
        answers = await asyncio.gather(
            *(self._ask(url, service, resource_id, check, tokens) for check in checks())
        )
        by_credential = {
            check.credential: answer for check, answer in zip(checks(), answers, strict=True)
        }
        if by_credential[Credential.OWN_PROJECT] == 401:
            self._tokens.invalidate()
        return judge(pod_name, service, url, by_credential)

    async def _ask(
        self, url: str, service: Service, resource_id: str, check: Check, tokens: RoundTokens
    ) -> int | str:
        project = uuid.uuid4().hex if check.other_project else tokens.project_id
        token = {
            Credential.NONE: None,
            Credential.BOGUS: _BOGUS,
            Credential.REVOKED: tokens.revoked,
        }.get(check.credential, tokens.valid)
        headers = {"accept": "application/json"}
        if token is not None:
            headers["x-auth-token"] = token
        target = pod_url(url, project, probe_remainder(service, resource_id))
        try:
            async with asyncio.timeout(self._timeout_s):
                return (await self._fetch(target, headers)).status
        except TimeoutError:
            return f"no answer within {self._timeout_s:g} s"
        except PodCallError as exc:
            return str(exc)

    def _record(self, verdict: Verdict) -> None:
        key = (verdict.pod_name, verdict.service)
        before = self._verdicts.get(key)
        self._verdicts[key] = verdict
        self._metrics.pod_auth_passed.labels(*key).set(1 if verdict.passed else 0)
        if before is not None and before.problems == verdict.problems and before.url == verdict.url:
            return
        extra = {"pod": verdict.pod_name, "service": str(verdict.service), "url": verdict.url}
        if verdict.passed:
            log.info("pod checks tokens: its known ids go on the fast path", extra=extra)
        else:
            extra["problems"] = "; ".join(verdict.problems)
            log.warning("pod fails the token checks: its ids stay off the fast path", extra=extra)

    def _publish(self) -> None:
        passed = frozenset(
            (cluster_name(pod_name, service), verdict.url)
            for (pod_name, service), verdict in self._verdicts.items()
            if verdict.passed
        )
        if passed != self._passed:
            self._passed = passed
            self._on_change(passed)
