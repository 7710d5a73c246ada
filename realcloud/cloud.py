"""`up`, `down` and `status` of the whole cloud: every process started here, stopped by PID."""

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TypeVar

from realcloud import etc, gateway, procs, seed, services, system, tempest, templates, venvs
from realcloud.layout import PODS, Layout, Pod
from realcloud.services import Spec

_T = TypeVar("_T")
_READY_S = 180.0
_WORKERS_READY_S = 180.0


class AlreadyUp(RuntimeError):
    """`up` found processes of an earlier `up` still running."""


@dataclass(slots=True)
class Report:
    """What `up` did and how long each part took (written to run/cloud.json)."""

    installs_s: dict[str, float | None] = field(default_factory=dict)
    templates_s: float | None = None
    steps_s: dict[str, float] = field(default_factory=dict)
    total_s: float = 0.0
    project_ids: dict[str, str] = field(default_factory=dict)
    image_id: str = ""
    public_network_ids: dict[str, str] = field(default_factory=dict)  # pod name → `public`'s id
    podgate_version: str = ""  # gateway.source_version() when Podgate started
    rss_mb: int = 0
    pss_mb: int = 0


def is_up(layout: Layout) -> bool:
    """Every recorded process is alive and the cloud's description was written."""
    running = procs.recorded(layout.pids)
    return (
        bool(running)
        and all(procs.alive(r) for r in running)
        and (layout.run / "cloud.json").exists()
    )


def describe(layout: Layout) -> dict[str, object]:
    """The description `up` wrote (project ids, image id, timings)."""
    return json.loads((layout.run / "cloud.json").read_text())


def admin_project(layout: Layout) -> str:
    """The id of Keystone's `admin` project (Cinder's admin URLs carry it)."""
    projects = describe(layout)["project_ids"]
    assert isinstance(projects, dict)
    return str(projects["admin"])


def tempest_inputs(layout: Layout) -> tempest.Seeded:
    """The image, and Pod1's external network and extensions (Tempest's project routers take
    their gateway there, through Podgate too: new projects start in Pod1)."""
    described, pod = describe(layout), PODS[0]
    networks = described["public_network_ids"]
    assert isinstance(networks, dict)
    return tempest.Seeded(
        image_id=str(described["image_id"]),
        public_network_id=str(networks[pod.name]),
        network_extensions=seed.network_extensions(layout, pod),
    )


def up(layout: Layout, *, say: Callable[[str], None] = print) -> Report:
    """Install what is missing, then start and seed everything; on failure stop what started."""
    if any(procs.alive(r) for r in procs.recorded(layout.pids)):
        raise AlreadyUp(
            f"processes from an earlier `up` are running; run `down` first ({layout.root})"
        )
    begin = time.monotonic()
    report = Report()
    report.installs_s = venvs.ensure_all(layout)
    say(f"venvs: {_installs(report.installs_s)}")
    pg_bin = system.postgres_bin()
    system.ensure_rabbitmq()
    shutil.rmtree(layout.run, ignore_errors=True)
    shaping = etc.write_all(layout)
    report.templates_s = templates.ensure(layout, pg_bin, shaping)
    say(f"templates: {_seconds(report.templates_s)}")
    templates.copy_into_run(layout)
    try:
        _start_all(layout, pg_bin, report, say)
    except BaseException:
        say(f"start failed; stopping what started (logs stay in {layout.logs})")
        down(layout, say=lambda _: None)
        raise
    report.total_s = time.monotonic() - begin
    report.rss_mb, report.pss_mb = memory_mb(layout)
    (layout.run / "cloud.json").write_text(json.dumps(asdict(report), indent=2))
    return report


# Stopped last, in this order: what the OpenStack services need while they shut down.
_INFRASTRUCTURE = ("keystone", "rabbitmq", "epmd", "postgres")


def down(layout: Layout, *, say: Callable[[str], None] = print) -> list[str]:
    """Stop every recorded process by its PID (and process group): services, then infrastructure."""
    running = procs.recorded(layout.pids)
    services_first = [r for r in running if r.name not in _INFRASTRUCTURE]
    waves = [services_first] + [[r for r in running if r.name == n] for n in _INFRASTRUCTURE]
    stopped = []
    for wave in waves:
        for gone in procs.stop_all(wave, layout.pids):
            stopped.append(gone.name)
            say(f"stopped {gone.name} (pid {gone.pid})")
    return stopped


def status(layout: Layout) -> list[tuple[str, int, bool, int, int]]:
    """(name, pid, alive, RSS, PSS) of every recorded process, children included (bytes)."""
    running = procs.recorded(layout.pids)
    memory = procs.memory(running)
    return [(r.name, r.pid, procs.alive(r), *memory[r.name]) for r in running]


def memory_mb(layout: Layout) -> tuple[int, int]:
    """(RSS, PSS) of the whole stack in MB; PSS is the honest total (shared pages split)."""
    rows = status(layout)
    return sum(row[3] for row in rows) // 2**20, sum(row[4] for row in rows) // 2**20


def _start_all(layout: Layout, pg_bin: Path, report: Report, say: Callable[[str], None]) -> None:
    def step(name: str, action: Callable[[], _T]) -> _T:
        begin = time.monotonic()
        result = action()
        report.steps_s[name] = round(time.monotonic() - begin, 1)
        say(f"{name}: {report.steps_s[name]}s")
        return result

    step(
        "postgres",
        lambda: _start_ready(layout, [services.postgres(layout, pg_bin, _pgdata(layout))]),
    )
    (layout.data / "rabbit" / "home").mkdir(parents=True, exist_ok=True)
    step("rabbitmq", lambda: _start_ready(layout, [services.epmd(layout), services.rabbit(layout)]))
    step("keystone", lambda: _start_ready(layout, [services.keystone(layout)]))
    report.project_ids = step("keystone seed", lambda: seed.keystone(layout))
    step("glance", lambda: _start_ready(layout, [services.glance(layout)]))
    report.image_id = step("image", lambda: seed.image(layout))
    step(
        "pod APIs",
        lambda: _start_ready(layout, [s for p in PODS for s in services.pod_apis(layout, p)]),
    )
    report.public_network_ids = step(
        "public networks", lambda: {pod.name: seed.public_network(layout, pod) for pod in PODS}
    )
    step("pod workers", lambda: _start_workers(layout, report.project_ids["admin"]))
    step("flavors", lambda: [seed.flavors(layout, pod) for pod in PODS])
    report.podgate_version = step("podgate", lambda: _start_gateway(layout))


def _pgdata(layout: Layout) -> Path:
    return layout.data / "pgdata"


def _start_ready(layout: Layout, specs: Iterable[Spec]) -> None:
    """Start all, then wait for each one's port or URL."""
    started = [(spec, _start(layout, spec)) for spec in specs]
    for spec, running in started:
        if spec.ready_url is not None:
            check = procs.http_answers(spec.ready_url)
        elif spec.ready_port is not None:
            check = procs.port_open(spec.ready_port)
        else:
            continue
        procs.wait_ready(
            running, check, log=layout.logs / f"{spec.name}.log", timeout=_READY_S, what=spec.name
        )


def _start(layout: Layout, spec: Spec) -> procs.Running:
    return procs.start(
        spec.name,
        spec.argv,
        pids=layout.pids,
        logs=layout.logs,
        env=spec.env,
        cwd=layout.run,
        user=spec.user,
        stop_signal=spec.stop_signal,
    )


def _start_workers(layout: Layout, admin_project: str) -> None:
    """Cinder scheduler/volume and Nova conductor/scheduler/compute; map each compute host."""
    started = [_start(layout, s) for pod in PODS for s in services.pod_workers(layout, pod)]
    for pod in PODS:
        seed.wait(
            lambda pod=pod: _all_alive(started) and seed.volume_up(layout, pod, admin_project),
            timeout=_WORKERS_READY_S,
            what=f"{pod.name} cinder-volume",
        )
        seed.wait(
            lambda pod=pod: _all_alive(started) and seed.compute_up(layout, pod),
            timeout=_WORKERS_READY_S,
            what=f"{pod.name} nova-compute",
        )
        _discover_hosts(layout, pod)


def _all_alive(started: list[procs.Running]) -> bool:
    dead = [r.name for r in started if not procs.alive(r)]
    if dead:
        raise procs.StartError(f"exited while starting: {', '.join(dead)}")
    return True


def _discover_hosts(layout: Layout, pod: Pod) -> None:
    """Map the new compute host into cell1 now (the periodic task is too slow to rely on)."""
    conf = layout.etc / pod.key / "nova" / "nova.conf"
    argv = [str(layout.bin("nova", "nova-manage")), "--config-file", str(conf)]
    subprocess.run(
        [*argv, "cell_v2", "discover_hosts"], check=True, capture_output=True, timeout=120
    )


def restart_gateway(layout: Layout) -> str:
    """Podgate alone stopped by its PID and started from the current code; the pods, their
    state and Podgate's own database stay. Returns the code's version (also in cloud.json)."""
    procs.stop_all([r for r in procs.recorded(layout.pids) if r.name == "podgate"], layout.pids)
    version = _start_gateway(layout)
    described = describe(layout) | {"podgate_version": version}
    (layout.run / "cloud.json").write_text(json.dumps(described, indent=2))
    return version


def _start_gateway(layout: Layout) -> str:
    """Start Podgate and register the pods; the version of the code it runs."""
    version = gateway.source_version()
    spec = gateway.spec(layout)
    running = _start(layout, spec)
    procs.wait_ready(
        running,
        lambda: gateway.control_plane_ready(layout) and procs.http_answers(spec.ready_url)(),
        log=layout.logs / "podgate.log",
        timeout=60,
        what="podgate up",
    )
    gateway.register_pods(layout)
    seed.wait(lambda: gateway.clusters_ready(layout), timeout=30, what="Podgate's pod clusters")
    return version


def _installs(installs: dict[str, float | None]) -> str:
    return ", ".join(f"{name} {_seconds(s)}" for name, s in installs.items())


def _seconds(value: float | None) -> str:
    return "cached" if value is None else f"{value:.0f}s"
