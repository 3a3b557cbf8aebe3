"""Daemon configuration: where the inventory is, which sinks and sources run, and the routes.

Secrets never live here: sinks take the *names* of environment variables or a clouds.yaml entry.
Relative paths are resolved against the config file's directory, so a config and its inventory
can be moved together.
"""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from osmon import packaged, yamldoc
from osmon.records import Kind
from osmon.spool import DropPolicy


class ConfigError(Exception):
    """Invalid daemon configuration; ``problems`` are ready-to-print ``FILE:LINE: msg`` lines."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class ListenTlsOptions(BaseModel):
    """Serve HTTPS: the listener's certificate chain and key (PEM files)."""

    model_config = ConfigDict(extra="forbid")
    cert: Path = Field(description="Certificate chain (PEM).")
    key: Path = Field(description="Private key (PEM), readable by osmon only.")


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``; any other name counts as reachable."""
    if address == "localhost":
        return True
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False


class HttpOptions(BaseModel):
    """The listener. It carries the alarm webhook's secret in its URLs, so an address other than
    loopback needs TLS, or ``allow_insecure: true`` said on purpose."""

    model_config = ConfigDict(extra="forbid")
    listen: str = Field("127.0.0.1", description="Address of the HTTP listener (loopback default).")
    port: int = Field(9790, ge=0, le=65535, description="Port of /metrics, /healthz, /status.")
    tls: ListenTlsOptions | None = Field(None, description="Serve HTTPS with this certificate.")
    allow_insecure: bool = Field(
        False, description="Allow plain HTTP on an address other than loopback."
    )

    @model_validator(mode="after")
    def _exposed_needs_tls(self) -> HttpOptions:
        if self.tls is None and not self.allow_insecure and not is_loopback(self.listen):
            raise ValueError(
                f"listen {self.listen!r} is not a loopback address: configure http.tls "
                "{cert, key}, or set http.allow_insecure: true"
            )
        return self


class SpoolOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    max_bytes: int = Field(1 << 30, gt=0, description="Bound on spooled payload bytes.")
    policy: DropPolicy = Field(DropPolicy.DROP_OLDEST, description="What to do when full.")
    synchronous: str = Field("FULL", description="SQLite synchronous pragma (FULL or NORMAL).")

    @field_validator("synchronous")
    @classmethod
    def _sync(cls, v: str) -> str:
        if v.upper() not in {"FULL", "NORMAL", "EXTRA"}:
            raise ValueError("must be FULL, NORMAL or EXTRA")
        return v.upper()


class RetryOptions(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attempts: int = Field(3, ge=1, description="Write attempts before a batch is spooled.")
    initial: float = Field(
        0.2, gt=0, description="First backoff delay (seconds), doubled each time."
    )
    maximum: float = Field(30.0, gt=0, description="Largest backoff delay (seconds).")
    timeout: float = Field(30.0, gt=0, description="Time limit of one sink call (seconds).")


class ComponentOptions(BaseModel):
    """A sink or source: ``type`` picks the implementation; other keys are its options."""

    model_config = ConfigDict(extra="allow")
    type: str
    enabled: bool = True

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class CoordinationOptions(BaseModel):
    """Sharing the probe targets between daemons (tooz). Keys other than these are passed to
    the partition (``osmon.probes.coordination``) as its options."""

    model_config = ConfigDict(extra="allow")
    backend_url: str | None = Field(
        None,
        description="tooz backend URL (redis://127.0.0.1:6379); unset: probe every target.",
    )
    backend_url_env: str | None = Field(
        None, description="Environment variable holding the URL (when it has a password)."
    )
    group: str = Field("osmon-probes", min_length=1, description="Group the daemons join.")
    member_id: str | None = Field(
        None, min_length=1, description="This daemon in the group (default: its host name)."
    )

    def url(self) -> str | None:
        """The backend URL: from the environment variable when one is named."""
        if self.backend_url_env:
            return os.environ.get(self.backend_url_env) or None
        return self.backend_url

    def options(self) -> dict[str, Any]:
        return dict(self.model_extra or {})


class ForwardOptions(BaseModel):
    """An HTTP hook that receives every alarm transition (see ``osmon.sinks.webhook``)."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(min_length=1, description="URL each transition is POSTed to.")
    headers_env: dict[str, str] = Field(
        default_factory=dict, description="Header name → environment variable with its value."
    )
    timeout: float = Field(10.0, gt=0, description="Seconds one POST may take.")


class AlarmsNagiosOptions(BaseModel):
    """Alarm transitions as Nagios passive results (when the daemon has a Nagios feed)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    host: str | None = Field(None, description="Nagios host of the results (default: the cloud).")
    service: str = Field(
        "alarm: {alarm}", description="Service description; {alarm} is the inventory alarm id."
    )


class AlarmsOptions(BaseModel):
    """The Aodh webhook receiver (``osmon.alarms.webhook``), mounted when this section exists."""

    model_config = ConfigDict(extra="forbid")
    webhook_secret_env: str = Field(
        min_length=1, description="Environment variable holding the webhook secret (required)."
    )
    max_body_bytes: int = Field(65536, ge=1024, description="Larger bodies are answered 413.")
    queue: int = Field(10000, ge=1, description="Webhooks accepted but not yet processed.")
    max_alarm_names: int = Field(
        500, ge=0, description="Alarm names not in the inventory that get series of their own."
    )
    forward: list[ForwardOptions] = Field(
        default_factory=list, description="HTTP hooks each transition is forwarded to."
    )
    nagios: AlarmsNagiosOptions = Field(default_factory=AlarmsNagiosOptions)


FORWARD_SINK = "alarms-forward-{index}"
"""Name of the ``webhook`` sink the daemon builds for ``alarms.forward[index]``."""


class DaemonConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inventory: Path = Field(description="Path of the service inventory (YAML).")
    state_dir: Path = Field(
        Path("~/.local/state/osmon"), description="Spool, checkpoints, dead letters, state."
    )
    hostname: str | None = Field(None, description="This node's name (default: the host name).")
    http: HttpOptions = Field(default_factory=HttpOptions)
    spool: SpoolOptions = Field(default_factory=SpoolOptions)
    retry: RetryOptions = Field(default_factory=RetryOptions)
    coordination: CoordinationOptions = Field(default_factory=CoordinationOptions)
    sinks: dict[str, ComponentOptions] = Field(default_factory=dict)
    sources: dict[str, ComponentOptions] = Field(default_factory=dict)
    routes: dict[Kind, list[str]] = Field(
        default_factory=dict, description="Record kind (sample, event, log) → sink names."
    )
    alarms: AlarmsOptions | None = Field(None, description="The Aodh webhook receiver.")
    source_path: Path | None = Field(None, exclude=True)

    def enabled_sinks(self) -> dict[str, ComponentOptions]:
        return {k: v for k, v in self.sinks.items() if v.enabled}

    def enabled_sources(self) -> dict[str, ComponentOptions]:
        return {k: v for k, v in self.sources.items() if v.enabled}


def default_config_path() -> Path:
    """The embedded default (packaged ``default.yaml``, beside its inventory ``local.yaml``)."""
    return packaged.path("default.yaml")


def _expand(value: str, base: Path) -> Path:
    p = Path(os.path.expandvars(value)).expanduser()
    return p if p.is_absolute() else (base / p)


def load_config(path: Path | None = None) -> DaemonConfig:
    embedded = path is None
    path = path or default_config_path()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    doc = yamldoc.parse(text)
    if doc.problems:
        raise ConfigError([f"{path}:{line}: {message}" for line, message in doc.problems])
    data = {} if doc.data is None else doc.data
    if not isinstance(data, dict):
        raise ConfigError([f"{path}:1: the configuration must be a mapping"])
    try:
        cfg = DaemonConfig.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(p) for p in err["loc"])
            _, line = doc.locate(err["loc"])
            problems.append(f"{path}:{line}: {loc}: {err['msg']}")
        raise ConfigError(problems) from None
    base = path.parent
    inventory = str(cfg.inventory)
    if embedded and not Path(inventory).is_absolute():
        cfg.inventory = packaged.path(inventory)  # missing from the installation: name it
    else:
        cfg.inventory = _expand(inventory, base)
    cfg.state_dir = _expand(str(cfg.state_dir), base)
    cfg.source_path = path
    problems = []
    for kind, names in cfg.routes.items():
        for i, n in enumerate(names):
            if n not in cfg.sinks:
                _, line = doc.locate(("routes", kind.value, i))
                problems.append(f"{path}:{line}: routes.{kind.value}: no sink named {n!r}")
    if problems:
        raise ConfigError(problems)
    return cfg
