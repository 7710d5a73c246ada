"""Identity fixtures: the session-wide real Keystone."""

from tests.fixtures.keystone import keystone  # noqa: F401 (fixture)
