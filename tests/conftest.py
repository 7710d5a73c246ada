"""Plugins and fixtures for the whole suite; each module says what it adds."""

pytest_plugins = [
    "tests.plugins.isolated",
    "tests.plugins.keystone_prebuild",
    "tests.plugins.timing",
    # The session-wide Keystone, one for every directory (a conftest per directory importing the
    # fixture would start one Keystone each).
    "tests.fixtures.keystone",
]
