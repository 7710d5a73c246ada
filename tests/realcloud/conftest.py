"""The real cloud for the `real` tests: started when it is not up, left running after."""

from collections.abc import Iterator

import pytest

from realcloud import cloud
from realcloud.layout import Layout, default_layout


@pytest.fixture(scope="module")
def real_cloud() -> Iterator[Layout]:
    layout = default_layout()
    if not cloud.is_up(layout):
        cloud.down(layout)
        cloud.up(layout)
    yield layout
