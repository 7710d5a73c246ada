"""The pod-auth rules: which answers prove a pod checks tokens, and how a failure is worded."""

from control_plane.model import Service
from control_plane.pod_auth.rules import Credential, checks, judge, probe_remainder

# What real Nova says behind keystonemiddleware, for an id nobody has.
NOVA = {
    Credential.NONE: 401,
    Credential.BOGUS: 401,
    Credential.REVOKED: 401,
    Credential.OTHER_PROJECT: 400,
    Credential.OWN_PROJECT: 404,
}


def _judge(answers: dict[Credential, int | str]):
    return judge("pod1", Service.COMPUTE, "http://h/v2.1", answers)


def test_a_pod_that_refuses_what_nova_refuses_passes() -> None:
    verdict = _judge(NOVA)
    assert verdict.passed and verdict.problems == ()
    assert verdict.summary().startswith("compute: checks tokens")


def test_401_or_403_on_another_projects_url_passes_too() -> None:
    assert _judge({**NOVA, Credential.OTHER_PROJECT: 401}).passed
    assert _judge({**NOVA, Credential.OTHER_PROJECT: 403}).passed


def test_a_pod_that_checks_nothing_fails_every_refusal() -> None:
    verdict = _judge(dict.fromkeys(Credential, 404))
    assert not verdict.passed
    assert len(verdict.problems) == 4  # its own project's 404 is what it should say
    assert all("does not check tokens" in problem for problem in verdict.problems)
    assert verdict.summary().endswith("(every request asks the gateway)")


def test_each_refusal_is_needed_on_its_own() -> None:
    for credential in (Credential.NONE, Credential.BOGUS, Credential.REVOKED):
        verdict = _judge({**NOVA, credential: 404})
        assert verdict.problems == (
            f"answered 404 to {credential} (wanted 401): it does not check tokens",
        )
    # A revoked token shown: the pod trusts tokens without asking Keystone.
    assert not _judge({**NOVA, Credential.REVOKED: 200}).passed
    # Another project's URL looked up (404) or shown (200): it does not compare projects.
    assert not _judge({**NOVA, Credential.OTHER_PROJECT: 404}).passed
    assert not _judge({**NOVA, Credential.OTHER_PROJECT: 200}).passed


def test_a_pod_that_refuses_the_gateways_own_token_fails() -> None:
    verdict = _judge({**NOVA, Credential.OWN_PROJECT: 401})
    assert verdict.problems == (
        "answered 401 to a valid token on its own project's URL (wanted 200/404): "
        "it refuses the gateway's own token",
    )


def test_no_answer_is_a_failure_and_says_why() -> None:
    verdict = _judge({**NOVA, Credential.NONE: "ClientConnectorError: refused"})
    assert verdict.problems == ("no answer to no token (ClientConnectorError: refused)",)
    assert not _judge({}).passed  # nothing asked proves nothing


def test_only_the_other_project_check_names_another_project() -> None:
    assert [c.credential for c in checks() if c.other_project] == [Credential.OTHER_PROJECT]
    assert probe_remainder(Service.COMPUTE, "x") == "/servers/x"
    assert probe_remainder(Service.VOLUME, "x") == "/volumes/x"
