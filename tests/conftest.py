"""Plugins for the whole suite; each module says what it adds."""

pytest_plugins = [
    "tests.plugins.isolated",
    "tests.plugins.keystone_prebuild",
    "tests.plugins.timing",
]
