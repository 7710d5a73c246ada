"""compose/docker-compose.yml as local processes (pure): what each service runs, with what.

There is no Docker engine here, so tests run the compose file's own commands and environments
(the Dockerfile's ENV first) as processes of this machine, rewritten as a container network would
make them work: service hostnames become 127.0.0.1, every port a service listens on or names
becomes a free local port (the same one everywhere it appears), wildcard binds become loopback
ones, and paths inside containers become directories under `root` (a named volume: one directory
shared by every service that mounts it). Anything the rewriting does not understand (variable
interpolation, unknown settings) is refused, so a broken compose file fails instead of being
quietly repaired.
"""

import json
import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pydantic import BaseModel

from control_plane.auth.tokens import ADMIN_TOKEN_ENV, ENVOY_TOKEN_ENV
from control_plane.settings import Settings, is_wildcard

__all__ = [
    "LocalService",
    "Published",
    "dependency_order",
    "dockerfile_image",
    "plan",
    "published_ports",
    "unknown_settings",
]

LOOPBACK = "127.0.0.1"
# PODGATE_* variables that are no setting: the CLI's and the tokens'.
_CLIENT_VARIABLES = {
    "PODGATE_SERVER",
    "PODGATE_CACERT",
    "PODGATE_ENVOY_ADMIN",
    ADMIN_TOKEN_ENV,
    ENVOY_TOKEN_ENV,
}
_INTERPOLATION = re.compile(r"\$(?!\$)")


@dataclass(frozen=True, slots=True)
class Published:
    """One `ports:` entry: the host address ("" = every interface) and the container port."""

    host_ip: str
    host_port: int
    container_port: int


@dataclass(frozen=True, slots=True)
class Image:
    """What the Dockerfile gives every container: ENV, EXPOSE, ENTRYPOINT and CMD."""

    env: dict[str, str]
    exposed: tuple[int, ...]
    entrypoint: tuple[str, ...]
    cmd: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LocalService:
    """One service as a local process."""

    name: str
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: Path
    directories: tuple[Path, ...]  # to create before it starts (its volumes, its own root)
    published: dict[int, int]  # container port -> the local port it listens on
    one_shot: bool  # `restart: "no"`: expected to run to completion


def dockerfile_image(text: str) -> Image:
    """The parts of a Dockerfile that shape a container's process (the last ENTRYPOINT/CMD)."""
    env: dict[str, str] = {}
    exposed: list[int] = []
    entrypoint: tuple[str, ...] = ()
    cmd: tuple[str, ...] = ()
    for line in text.replace("\\\n", " ").splitlines():
        keyword, _, rest = line.strip().partition(" ")
        if keyword == "ENV":
            for pair in shlex.split(rest):
                key, sep, value = pair.partition("=")
                if not sep:
                    raise ValueError(f"ENV {rest!r}: only the KEY=VALUE form is understood")
                env[key] = value
        elif keyword == "EXPOSE":
            exposed += [int(port.split("/")[0]) for port in rest.split()]
        elif keyword in ("ENTRYPOINT", "CMD"):
            form = tuple(json.loads(rest)) if rest.startswith("[") else ("/bin/sh", "-c", rest)
            entrypoint, cmd = (form, cmd) if keyword == "ENTRYPOINT" else (entrypoint, form)
    return Image(env, tuple(exposed), entrypoint, cmd)


def published_ports(service: Mapping[str, Any]) -> list[Published]:
    """The short `ports:` syntax: [HOST_IP:][HOST_PORT:]CONTAINER_PORT."""
    found = []
    for entry in service.get("ports", ()):
        parts = str(entry).split(":")
        if len(parts) > 3 or "-" in str(entry) or "/" in str(entry):
            raise ValueError(f"ports entry {entry!r}: only [IP:]HOST:CONTAINER is understood")
        host_ip = parts[0] if len(parts) == 3 else ""
        container = int(parts[-1])
        found.append(Published(host_ip, int(parts[-2]) if len(parts) > 1 else container, container))
    return found


def dependency_order(services: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """Services after everything they `depends_on`, otherwise in file order."""
    ordered: list[str] = []
    visiting: set[str] = set()

    def visit(name: str) -> None:
        if name in ordered:
            return
        if name in visiting:
            raise ValueError(f"depends_on cycle through {name}")
        if name not in services:
            raise ValueError(f"depends_on names {name!r}, which is no service")
        visiting.add(name)
        for dependency in services[name].get("depends_on", ()):  # a list, or a mapping's keys
            visit(dependency)
        visiting.discard(name)
        ordered.append(name)

    for name in services:
        visit(name)
    return ordered


def unknown_settings(env: Mapping[str, str]) -> list[str]:
    """PODGATE_* variables that name no setting (pydantic-settings ignores them silently)."""
    known = set(_CLIENT_VARIABLES)
    for field, info in Settings.model_fields.items():
        section = info.annotation
        if isinstance(section, type) and hasattr(section, "model_fields"):
            known |= {f"PODGATE_{field}_{key}".upper() for key in section.model_fields}
        else:
            known.add(f"PODGATE_{field}".upper())
    return sorted(key for key in env if key.startswith("PODGATE_") and key not in known)


def plan(
    compose: Mapping[str, Any], image: Image, root: Path, free_port: Callable[[], int]
) -> list[LocalService]:
    """Every service of `compose` as a local process, in dependency order."""
    services: Mapping[str, Mapping[str, Any]] = compose["services"]
    ports = {port: free_port() for port in sorted(_ports(services, image))}
    volumes = {name: root / "volumes" / name for name in compose.get("volumes") or {}}
    defaults = _local_defaults(ports, free_port)
    planned = []
    for name in dependency_order(services):
        service = services[name]
        own_root = root / "services" / name
        mounts = _mounts(service, volumes, own_root)
        rewrite = _Rewrite(set(services), ports, mounts, own_root)
        env = {**defaults, **image.env, **_environment(service)}
        unknown = unknown_settings(env)
        if unknown:
            raise ValueError(f"service {name}: no such setting {unknown}")
        planned.append(
            LocalService(
                name=name,
                argv=rewrite.argv(_argv(service, image)),
                env={key: rewrite.value(value, host=True) for key, value in env.items()},
                cwd=own_root,
                directories=(own_root, *mounts.values()),
                published={
                    p.container_port: ports[p.container_port] for p in published_ports(service)
                },
                one_shot=service.get("restart") == "no",
            )
        )
    return planned


def _ports(services: Mapping[str, Mapping[str, Any]], image: Image) -> set[int]:
    """Every port a service listens on or names: published, exposed, in *_PORT variables, after
    --port, or after a service's name (`pod1:8001`)."""
    found = set(image.exposed) | set(_port_settings().values())
    names = "|".join(re.escape(name) for name in services)
    for service in services.values():
        found |= {p.container_port for p in published_ports(service)}
        for key, value in _environment(service).items():
            if key.endswith("_PORT"):
                found.add(int(value))
        words = [*_environment(service).values(), *_words(service.get("command"))]
        words += _words(service.get("entrypoint"))
        for index, word in enumerate(words):
            if word == "--port" and index + 1 < len(words):
                found.add(int(words[index + 1]))
            found |= {int(port) for port in re.findall(rf"\b(?:{names}):(\d+)", word)}
    return found


def _port_settings() -> dict[str, int]:
    """Every port setting (PODGATE_* name) with its default."""
    found = {}
    for field, info in Settings.model_fields.items():
        section = info.get_default(call_default_factory=True)
        if isinstance(section, BaseModel):
            for key, value in section.model_dump().items():
                if key.endswith("port"):
                    found[f"PODGATE_{field}_{key}".upper()] = value
    return found


def _local_defaults(ports: Mapping[int, int], free_port: Callable[[], int]) -> dict[str, str]:
    """What containers keep apart by themselves and local processes must be told: each port
    setting's default (a container's own, a local process's this machine's), and Envoy's
    shared-memory id (two Envoys with one id clash)."""
    env = {key: str(ports[port]) for key, port in _port_settings().items()}
    return {**env, "PODGATE_ENVOY_BASE_ID": str(free_port())}


def _mounts(service: Mapping[str, Any], volumes: Mapping[str, Path], own: Path) -> dict[str, Path]:
    """Container path -> local directory: named volumes shared, bind mounts refused."""
    mounts = {}
    for entry in service.get("volumes", ()):
        source, target, *_mode = str(entry).split(":")
        if source not in volumes:
            raise ValueError(f"volume {entry!r}: only named volumes are understood")
        mounts[target] = volumes[source]
    return mounts


def _environment(service: Mapping[str, Any]) -> dict[str, str]:
    raw = service.get("environment") or {}
    if isinstance(raw, list):
        raw = dict(item.split("=", 1) for item in raw)
    return {str(key): _unescaped(str(value)) for key, value in raw.items()}


def _argv(service: Mapping[str, Any], image: Image) -> list[str]:
    """Compose's rules: an entrypoint given here drops the image's CMD unless a command is given."""
    entrypoint = _words(service.get("entrypoint"))
    command = _words(service.get("command"))
    if "entrypoint" in service:
        return [*entrypoint, *command]
    return [*image.entrypoint, *(command or image.cmd)]


def _words(value: str | list[str] | None) -> list[str]:
    if value is None:
        return []
    words = shlex.split(value) if isinstance(value, str) else [str(word) for word in value]
    return [_unescaped(word) for word in words]


def _unescaped(text: str) -> str:
    """Compose's `$$` is a literal `$`; any other `$` would be interpolated, which we do not do."""
    if _INTERPOLATION.search(text.replace("$$", "")):
        raise ValueError(f"{text!r}: variable interpolation is not understood here")
    return text.replace("$$", "$")


@dataclass(frozen=True, slots=True)
class _Rewrite:
    """One service's view of the network and the filesystem, made local."""

    hosts: set[str]
    ports: Mapping[int, int]
    mounts: Mapping[str, Path]
    own_root: Path

    def argv(self, words: list[str]) -> tuple[str, ...]:
        """A word is a host only after --host (`--name pod1` names a pod, `envoy` a command)."""
        return tuple(
            self.value(word, host=index > 0 and words[index - 1] == "--host")
            for index, word in enumerate(words)
        )

    def value(self, text: str, *, host: bool) -> str:
        """`text` made local; `host`: a whole value that is a service's name is its address."""
        if (text and is_wildcard(text)) or (host and text in self.hosts):
            return LOOPBACK
        if text.isdigit() and int(text) in self.ports:
            return str(self.ports[int(text)])
        if text.startswith("/") and " " not in text:
            return str(self._path(PurePosixPath(text)))
        names = "|".join(re.escape(host) for host in sorted(self.hosts, key=len, reverse=True))
        return re.sub(
            rf"\b(?:{names}):(\d+)",
            lambda match: f"{LOOPBACK}:{self.ports.get(int(match.group(1)), match.group(1))}",
            text,
        )

    def _path(self, path: PurePosixPath) -> Path:
        for target, local in self.mounts.items():
            if path.is_relative_to(target):
                return local / path.relative_to(target)
        return self.own_root / path.relative_to("/")
