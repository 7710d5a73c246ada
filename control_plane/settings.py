"""Settings: command line > environment (PODGATE_<SECTION>_<KEY>) > TOML file > defaults."""

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)


def is_wildcard(host: str) -> bool:
    """0.0.0.0, :: and the like: fine to listen on, no address for another machine to reach."""
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return not host


def _check_pair(section: str, cert: Path | None, key: Path | None) -> None:
    """A certificate without its key (or the reverse) is a typo, not a choice."""
    if (cert is None) != (key is None):
        raise ValueError(f"[{section}] TLS needs both a certificate file and a key file")


class ControlPlaneSettings(BaseModel):
    """Where the control plane listens (admin API, xDS and ext_proc share one gRPC port)."""

    host: str = "127.0.0.1"
    # The address Envoy connects to for this host's decision services (the main process's gRPC
    # port and each worker's), like Nova's my_ip: what others reach this machine by. Empty:
    # `host`, which then must not be a wildcard while decision workers run (see Settings).
    advertise_host: str = ""
    grpc_port: int = 19990
    metrics_port: int = 19992
    # TLS on the gRPC port: PEM certificate chain and key, re-read when changed; unset: plaintext.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # The CA the port's clients (Envoy, decision workers) trust; unset: tls_cert_file (self-signed).
    ca_file: Path | None = None
    # The name those clients check the certificate for (SNI and SAN); empty: the advertised host.
    tls_server_name: str = ""

    @model_validator(mode="after")
    def _pair(self) -> "ControlPlaneSettings":
        _check_pair("control_plane", self.tls_cert_file, self.tls_key_file)
        if self.advertise_host and is_wildcard(self.advertise_host):
            raise ValueError(
                f"[control_plane] advertise_host {self.advertise_host!r} is a wildcard: give the "
                "address Envoy reaches this machine at"
            )
        return self

    @property
    def advertised_host(self) -> str:
        """Where Envoy reaches this control plane: `advertise_host`, else `host`."""
        return self.advertise_host or self.host

    @property
    def client_ca_file(self) -> Path | None:
        """What the port's clients trust; None: the port is plaintext to them."""
        return self.ca_file or self.tls_cert_file

    @property
    def server_name(self) -> str:
        return self.tls_server_name or self.advertised_host


class EnvoySettings(BaseModel):
    """The Envoy that `podgate up` / `podgate envoy` runs, and the listeners pushed to it."""

    host: str = "127.0.0.1"
    compute_port: int = 19998
    volume_port: int = 19997
    network_port: int = 19995
    # Trio2o's admin REST API (/v1.0/pods, /v1.0/bindings), transcoded to gRPC; 0 turns it off.
    admin_rest_port: int = 19996
    # Where the admin REST listener binds: loopback unless operators elsewhere must reach it.
    admin_rest_host: str = "127.0.0.1"
    admin_port: int = 19901
    concurrency: int = 1
    base_id: int = 0
    binary: str = "envoy"
    upstream_timeout_s: float = 60.0
    connect_timeout_s: float = 2.0
    # Envoy drops idle pod connections first; keep it below every pod's keep-alive timeout.
    upstream_idle_timeout_s: float = Field(default=1.0, gt=0)
    log_level: str = "warning"
    # PEM bundle of the CAs that pods' https certificates must chain to, as a path on Envoy's
    # machine; empty: the control plane's system bundle (same path on Envoy's machine). Envoy
    # holds it per https pod service: ~280 KB for a system bundle, ~2 KB for one private CA.
    pod_ca_file: str = ""
    # TLS on the compute and volume listeners: PEM certificate chain and key, which the control
    # plane reads and pushes to Envoy by SDS (Envoy needs no access to them); unset: plaintext.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    # The admin REST listener's own pair; unset: the pair above (when set).
    admin_rest_tls_cert_file: Path | None = None
    admin_rest_tls_key_file: Path | None = None
    # How often the control plane re-reads those files; a change reaches new connections then.
    tls_reload_interval_s: float = Field(default=2.0, gt=0)
    # A client's request headers must all arrive within this time, the whole request (headers
    # and body) within request_timeout_s, and a stream silent both ways for stream_idle_timeout_s
    # is closed: slow or stalled clients cannot hold a connection or a decision stream. The idle
    # bound stays above upstream_timeout_s, so a slow pod's answer ends as a 504, not a cut stream.
    request_headers_timeout_s: float = Field(default=10.0, gt=0)
    request_timeout_s: float = Field(default=30.0, gt=0)
    stream_idle_timeout_s: float = Field(default=120.0, gt=0)
    # Requests one client HTTP/2 connection may have open at once.
    max_concurrent_streams: int = Field(default=100, ge=1)
    # Requests per second per project (from the path), with bursts up to project_burst; past
    # that Envoy answers 429 overLimit. 0 turns the limit off. Envoy tracks at most
    # rate_limited_projects projects at once (least recently seen dropped first).
    project_rate_per_s: int = Field(default=500, ge=0)
    project_burst: int = Field(default=1000, ge=1)
    rate_limited_projects: int = Field(default=10_000, ge=1)
    # Envoy's overload manager: past 90 % of this heap Envoy stops keep-alive, past 95 % it
    # refuses new requests (503) instead of running out of memory.
    max_heap_bytes: int = Field(default=1 << 30, ge=64 << 20)

    @model_validator(mode="after")
    def _pairs(self) -> "EnvoySettings":
        _check_pair("envoy", self.tls_cert_file, self.tls_key_file)
        _check_pair("envoy admin_rest", self.admin_rest_tls_cert_file, self.admin_rest_tls_key_file)
        return self


class DecisionSettings(BaseModel):
    """The per-request decision service behind Envoy's ext_proc filter."""

    routing_cache_size: int = 100_000
    message_timeout_ms: int = 2000
    max_body_bytes: int = 1_048_576
    # Lists: each pod's deadline, partial answers when pods fail (else 503), the largest page
    # (also the page size when the client gives no limit, like Nova's [api]max_limit), and
    # how many list cursors are kept for resuming pages (0: always rebuild from the marker).
    pod_timeout_s: float = Field(default=5.0, gt=0)
    partial_lists: bool = True
    max_limit: int = Field(default=1000, ge=1)
    list_cursor_cache_size: int = Field(default=10_000, ge=0)
    # A routed request for an unknown id asks at most this many pods at once whether they have
    # it (a routing lost in a crash); an id no pod had is not asked about again for a while.
    recovery_concurrency: int = Field(default=8, ge=1)
    recovery_negative_ttl_s: float = Field(default=5.0, ge=0)
    # `os-server-external-events`: the most events one request may carry (more: 400), and
    # whether noauth mode, which cannot tell Neutron from a tenant, accepts them at all (403).
    max_external_events: int = Field(default=1000, ge=1)
    # How often the shared objects (flavors, volume and group types, QoS specs) of the ENABLED
    # pods are compared and missing copies made (a pod registered or enabled: at once); 0: never.
    shared_sync_s: float = Field(default=300.0, ge=0)
    noauth_external_events: bool = False
    # noauth mode: the project of a request whose path names none (Neutron's API) and that has no
    # X-Project-Id header, as the `openstack` CLI's `auth_type: none` sends none; empty: 401.
    noauth_project: str = Field(default="", pattern=r"^([A-Za-z0-9_-]{1,64})?$")
    # The largest answer body read from a pod (lists, shared objects, version documents,
    # recovery reads); a larger one is a failure of that pod, never held in memory.
    max_pod_answer_bytes: int = Field(default=64 * 1024 * 1024, ge=1024)
    # Decision services in processes of their own besides the main one, each on a free port of
    # the control plane's host (which Envoy must reach); 0: the main process decides alone.
    workers: int = Field(default=0, ge=0)
    # PEM bundle of the CAs that pods' https certificates must chain to for the decision
    # service's own calls (lists, fan-out, recovery); empty: [envoy] pod_ca_file, else the system's.
    pod_ca_file: str = ""
    # Decisions one project may have in flight at once (its open ext_proc streams); past that it
    # gets 429 overLimit at once, so one project cannot hold every stream the gateway has.
    max_in_flight_per_project: int = Field(default=64, ge=1)
    # Envoy's circuit breaker on the decision service: streams open at once, all projects.
    # Far above the per-project cap, so it only trips when many projects are busy at once.
    max_in_flight: int = Field(default=8192, ge=1)
    # Each ENABLED pod's free capacity (its hypervisors' statistics) is read this often; a new
    # project goes to the AZ's pod with the most free RAM, and a pod with at most
    # `pod_full_free_ram_mib` free is full: its projects' new resources go to another pod.
    capacity_refresh_s: float = Field(default=30.0, gt=0)
    pod_full_free_ram_mib: int = 0


class HealthSettings(BaseModel):
    """Pod health probes: the control plane's own and Envoy's active checks, alike."""

    interval_s: float = Field(default=2.0, gt=0)
    timeout_s: float = Field(default=1.0, gt=0)
    # Consecutive failed probes before a pod is skipped, good ones before it is used again.
    unhealthy_threshold: int = Field(default=2, ge=1)
    healthy_threshold: int = Field(default=1, ge=1)


class QuotaSettings(BaseModel):
    """Limits over all pods (docs/quotas.md): how often each pod's share is rebalanced."""

    # Every round reads the usage of each project with limits set through the gateway and moves
    # the pods' shares to follow it: the lag after which a full pod gets room another pod had.
    rebalance_s: float = Field(default=30.0, gt=0)


class FastPathSettings(BaseModel):
    """Known resources routed by Envoy itself: how many it holds and how often the table moves."""

    # Every change resends the whole table (~190 bytes an entry) and Envoy rebuilds it (~2.3 KiB
    # of heap, ~6 KiB of RSS an entry; a new id waits ~1.2 s at 20 000): the cap bounds that.
    # 0 turns the fast path off (every request asks the decision service).
    max_entries: int = Field(default=20_000, ge=0)
    # Changes within this window go to Envoy in one push.
    push_interval_ms: int = Field(default=100, ge=0)
    # Keystone mode: Envoy checks no token, so on the fast path the pod alone checks it (real
    # Nova and Cinder behind the same Keystone do). "verify": a pod's known ids go on the fast
    # path only while it proves it refuses missing, bogus and revoked tokens and a token of
    # another project than the URL's (control_plane/pod_auth); "trust": every pod's, unproven;
    # "off": none. noauth mode has no token to check: every pod's.
    pod_auth: Literal["verify", "trust", "off"] = "verify"
    # How often every pod is proven again ("verify"); a new or changed pod: at once.
    pod_auth_check_s: float = Field(default=60.0, gt=0)

    def entries(self, auth: str) -> int:
        """How many known resources Envoy may route by itself in auth mode `auth`."""
        return self.max_entries if auth != "keystone" or self.pod_auth != "off" else 0

    def verifies_pods(self, auth: str) -> bool:
        """Whether only pods proven to check tokens get known ids routed by Envoy."""
        return auth == "keystone" and self.pod_auth == "verify"


class RoutingSettings(BaseModel):
    """When the routings of deleted resources are forgotten (docs/routings.md)."""

    # After a DELETE that Nova or Cinder accepted (202/204), the pod is asked whether the
    # resource is gone first after delete_check_first_s, then at doubling intervals, for up to
    # delete_check_s in all; deletes taking longer are left to the reconciler.
    delete_check_first_s: float = Field(default=1.0, gt=0)
    delete_check_s: float = Field(default=120.0, ge=0)
    # Resources being checked at once; past that a delete is left to the reconciler.
    max_checks: int = Field(default=1000, ge=0)
    # Every reconcile_interval_s the pods' resources are listed and routings of resources no
    # pod has any more are forgotten; 0 turns the reconciler off.
    reconcile_interval_s: float = Field(default=600.0, ge=0)


class KeystoneSettings(BaseModel):
    """The gateway's own Keystone credentials (keystoneauth1 option names) and identity caches."""

    auth_url: str = ""
    username: str = ""
    password: SecretStr = SecretStr("")
    project_name: str = ""
    user_domain_name: str = "Default"
    project_domain_name: str = "Default"
    interface: str = "public"
    region_name: str | None = None
    timeout: float = 5.0
    token_cache_ttl_s: float = 300.0
    negative_cache_ttl_s: float = 10.0
    # Accepted and rejected tokens are cached apart: bogus tokens never evict valid ones.
    token_cache_size: int = Field(default=10_000, ge=0)
    negative_cache_size: int = Field(default=10_000, ge=0)
    catalog_refresh_s: float = 300.0
    # Keystone calls for tokens not in the cache: at most this many at once ...
    validation_concurrency: int = Field(default=8, ge=1)
    # ... and this many for one client address (IPv6: per /64);
    validation_concurrency_per_client: int = Field(default=2, ge=1)
    # past that a request queues (fairly by address) for at most validation_wait_s, with at
    # most this many queued per address and in all; otherwise 503 with Retry-After at once.
    validation_backlog_per_client: int = Field(default=8, ge=0)
    validation_backlog: int = Field(default=256, ge=0)
    validation_wait_s: float = Field(default=1.0, ge=0)
    # Cloud admin (the admin API, any project): role admin_role on the system scope, or on the
    # admin project (by id, or by name in its domain); no admin project: system scope only.
    admin_role: str = "admin"
    admin_project_id: str = ""
    admin_project_name: str = ""
    admin_project_domain_name: str = "Default"
    # The admin role on any project acts on every project's resources (never the admin API), as
    # the pods' policy does while it does not enforce scope; Tempest's dynamic admins need it.
    admin_on_any_project: bool = False


class Settings(BaseSettings):
    """Everything Podgate reads at start."""

    model_config = SettingsConfigDict(
        env_prefix="PODGATE_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
    )

    state_dir: Path = Path(".state")
    db_url: str = ""
    auth: Literal["noauth", "keystone"] = "noauth"
    log_format: Literal["text", "json"] = "text"
    control_plane: ControlPlaneSettings = Field(default_factory=ControlPlaneSettings)
    envoy: EnvoySettings = Field(default_factory=EnvoySettings)
    decision: DecisionSettings = Field(default_factory=DecisionSettings)
    fast_path: FastPathSettings = Field(default_factory=FastPathSettings)
    health: HealthSettings = Field(default_factory=HealthSettings)
    routings: RoutingSettings = Field(default_factory=RoutingSettings)
    keystone: KeystoneSettings = Field(default_factory=KeystoneSettings)
    quotas: QuotaSettings = Field(default_factory=QuotaSettings)

    @model_validator(mode="after")
    def _reachable_workers(self) -> "Settings":
        """Workers hand Envoy their address: a wildcard would reach no one, so refuse it at
        start rather than guess (a hostname may resolve to 127.0.1.1, a machine has many NICs)."""
        if self.decision.workers and is_wildcard(self.control_plane.advertised_host):
            raise ValueError(
                f"[control_plane] host is {self.control_plane.host!r}, which Envoy cannot connect "
                "to, and [decision] workers hand Envoy that address: set [control_plane] "
                "advertise_host (PODGATE_CONTROL_PLANE_ADVERTISE_HOST) to the address or name "
                "Envoy reaches this machine at"
            )
        return self

    @property
    def database_url(self) -> str:
        """The configured URL, or SQLite in the state directory."""
        return self.db_url or f"sqlite+aiosqlite:///{self.state_dir.resolve() / 'podgate.db'}"

    @property
    def grpc_target(self) -> str:
        return f"{self.control_plane.host}:{self.control_plane.grpc_port}"

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))


def load_settings(config: Path | None = None, **overrides: object) -> Settings:
    """Build settings; `config` defaults to <state dir>/podgate.toml when that file exists."""
    given = {k: v for k, v in overrides.items() if v is not None}
    state_dir = Path(str(given.get("state_dir") or Settings().state_dir))
    path = config or state_dir / "podgate.toml"
    if config is not None and not config.exists():
        raise FileNotFoundError(f"config file {config} does not exist")

    class _FromFile(Settings):
        model_config = SettingsConfigDict(toml_file=path if path.exists() else None)

    return Settings.model_validate(_FromFile(**given).model_dump())
