"""Settings handed to a worker on stdin keep their secrets (model_dump_json masks them)."""

from control_plane.settings import Settings
from control_plane.workers.pool import handover, taken_over


def test_secrets_reach_the_worker_revealed() -> None:
    settings = Settings(auth="keystone", keystone={"password": 'pa"ss\nword'})
    got, token = taken_over(handover(settings, "tok-en"))
    assert got.keystone.password.get_secret_value() == 'pa"ss\nword'
    assert (got, token) == (settings, "tok-en")
