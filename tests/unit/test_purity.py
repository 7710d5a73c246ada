"""The pure modules stay pure: no I/O library and no adapter module among their imports.

Pure modules hold the logic (what a request is, what to do with it, what Envoy gets); adapters
gather facts and carry decisions out. A pure module importing an adapter would drag its I/O
(and its event loop, its connections) into code meant to be tested as values in, values out.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PURE = (
    "control_plane.model",
    "control_plane.errors",
    "control_plane.endpoints",
    # Settings are values (read from files and the environment only when asked).
    "control_plane.settings",
    "control_plane.identity.policy",
    "control_plane.decision.operation",
    "control_plane.decision.classify",
    "control_plane.decision.families",
    "control_plane.decision.family_index",
    "control_plane.decision.coverage",
    "control_plane.decision.decide",
    "control_plane.decision.pod_choice",
    "control_plane.decision.zone_faults",
    "control_plane.decision.tenancy",
    "control_plane.decision.decisions",
    "control_plane.decision.resources",
    "control_plane.decision.mutate",
    "control_plane.decision.relink",
    "control_plane.decision.routed.attach",
    "control_plane.decision.routed.named",
    "control_plane.decision.routed.gone",
    "control_plane.decision.routed.reconcile",
    "control_plane.decision.create.capacity",
    "control_plane.decision.create.schedule",
    "control_plane.decision.create.references",
    "control_plane.decision.create.follow",
    "control_plane.decision.security_groups.copies",
    "control_plane.decision.lists.listing",
    "control_plane.decision.lists.cursors",
    "control_plane.decision.lists.query",
    "control_plane.decision.lists.present",
    "control_plane.decision.shared.merge",
    "control_plane.decision.shared.paging",
    "control_plane.decision.shared.kinds",
    "control_plane.decision.shared.ids",
    "control_plane.decision.shared.drift",
    "control_plane.decision.views.zones",
    "control_plane.decision.quotas.allocate",
    "control_plane.decision.quotas.dialects",
    "control_plane.decision.quotas.view",
    "control_plane.decision.views.admin",
    "control_plane.decision.views.ids",
    "control_plane.decision.views.paged",
    "control_plane.decision.views.policy",
    "control_plane.decision.views.usage_pages",
    "control_plane.decision.events.parse",
    "control_plane.decision.versions.microversions",
    "control_plane.decision.versions.documents",
    "control_plane.decision.pods.reply",
    "control_plane.xds.translate",
    "control_plane.xds.snapshot",
    "control_plane.xds.clusters",
    "control_plane.xds.listeners",
    "control_plane.xds.inputs",
    "control_plane.xds.pb",
    "control_plane.xds.local_reply",
    "control_plane.xds.rate_limit",
    "control_plane.xds.tls",
    "control_plane.xds.resources",
    "control_plane.xds.fast_path",
    "control_plane.xds.zones",
    "control_plane.xds.admin_rest",
    "control_plane.pod_auth.rules",
)
# Libraries that do I/O or need an event loop; a pure module imports none of them.
IO_LIBRARIES = frozenset(
    {
        "aiohttp",
        "aiosqlite",
        "alembic",
        "asyncio",
        "asyncpg",
        "grpc",
        "httpx",
        "keystoneauth1",
        "socket",
        "sqlalchemy",
        "subprocess",
        "threading",
    }
)


def imports(module: str) -> set[str]:
    """Every module `module` imports, by its full dotted name."""
    path = ROOT / (module.replace(".", "/") + ".py")
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _is_module(name: str) -> bool:
    return (ROOT / (name.replace(".", "/") + ".py")).is_file()


@pytest.mark.parametrize("module", PURE)
def test_a_pure_module_imports_no_io_library_and_no_adapter(module: str) -> None:
    found = imports(module)
    io = sorted(name for name in found if name.partition(".")[0] in IO_LIBRARIES)
    adapters = sorted(
        name
        for name in found
        if name.startswith("control_plane.") and _is_module(name) and name not in PURE
    )
    assert not io, f"{module} imports I/O: {io}"
    assert not adapters, f"{module} imports adapter modules: {adapters}"


def test_the_check_sees_an_adapter_import() -> None:
    assert "control_plane.decision.pods.fanout" in imports("control_plane.decision.shared.relay")
