"""PodTls: which pod URLs the decision service checks (PodClient checking them: tests/adapters)."""

import ssl
from types import MappingProxyType

from control_plane.decision.pods.tls import PodTls, insecure_origins
from control_plane.model import Pod


def _pod(name: str, url: str, *, insecure: bool = False) -> Pod:
    return Pod(name=name, az_name="az1", endpoints={"compute": url}, tls_insecure=insecure)


def test_only_https_origins_of_insecure_pods_go_unchecked() -> None:
    pods = [
        _pod("a", "https://a.example/v2.1", insecure=True),
        _pod("b", "https://10.0.0.2:8774/v2.1", insecure=True),
        _pod("c", "http://c.example/v2.1", insecure=True),
        _pod("d", "https://d.example/v2.1"),
    ]
    assert insecure_origins(pods) == {("a.example", 443), ("10.0.0.2", 8774)}


def test_a_verified_pod_keeps_a_shared_origin_checked() -> None:
    pods = [_pod("a", "https://h.example/x", insecure=True), _pod("b", "https://h.example/y")]
    assert insecure_origins(pods) == frozenset()


def test_the_answer_follows_the_pods_as_they_change() -> None:
    context = ssl.create_default_context()
    current = MappingProxyType({"a": _pod("a", "https://h.example/v2.1")})
    tls = PodTls(context, lambda: current)
    assert tls("https://h.example/v2.1/p/servers") is context
    current = MappingProxyType({"a": _pod("a", "https://h.example/v2.1", insecure=True)})
    assert tls("https://h.example/v2.1/p/servers") is False
    assert tls("https://other.example/v2.1") is context
