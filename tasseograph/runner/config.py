"""The runner's TOML configuration: pydantic models, validated at start-up.

Precedence, written down once: CLI flag > environment (secrets and locations only) > config
file > default. Every key is documented by the attribute docstring under its field; the same
docstrings generate ``tasseograph run --print-default-config``.

API keys never live in the file: they come from ``$ANTHROPIC_API_KEY`` (or the backend's env
var) or from ``model.api_key_file``, and are held as ``SecretStr`` so no repr shows them.
"""

from __future__ import annotations

import fnmatch
import os
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)

from tasseograph.baseline import BaselineSettings
from tasseograph.config import OFFLINE_MODEL
from tasseograph.errors import ConfigError
from tasseograph.fleet.inventory import Inventory, load_inventory
from tasseograph.fleet.settings import CorrelationSettings, CounterSettings, FleetSettings
from tasseograph.fleet.thresholds import load_thresholds
from tasseograph.runner.alerts import AlertRules
from tasseograph.runner.credentials import check_file_modes, mask_url, read_key_file
from tasseograph.tomlfile import read_toml

CONFIG_ENV = "TASSEOGRAPH_CONFIG"
"""Environment variable naming the config file when ``--config`` is not given."""

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_SECRET_WORDS = ("key", "secret", "token", "password")


def parse_duration(value: Any) -> float:
    """Seconds from a number or a string such as ``"90s"``, ``"15m"``, ``"1h30m"``.

    Raises:
        ValueError: the string is not a duration.
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '15m'")
    if isinstance(value, int | float):
        return float(value)
    text = str(value).strip().replace(" ", "")
    if not text or _DURATION.sub("", text):
        raise ValueError(f"{value!r} is not a duration (use seconds or e.g. '30s', '15m', '1h30m')")
    return sum(float(n) * _UNITS[u] for n, u in _DURATION.findall(text))


Duration = Annotated[float, BeforeValidator(parse_duration), Field(ge=0)]
"""Seconds; the file may say ``300``, ``"5m"`` or ``"1h30m"``."""


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True, validate_default=True)


class ModelSection(_Section):
    """Which model triages the deltas, and how."""

    name: str = OFFLINE_MODEL
    """Model name: ``local`` (offline: the signal catalogue plus a classifier), ``rules`` (the catalogue
    alone), ``anthropic:claude-haiku-4-5``, ``openai:NAME``."""
    prompt: str = "triage-v1"
    """Prompt id (or ``id@version``) for one host per call."""
    batch_prompt: str = "triage-batch-v1"
    """Prompt id for several hosts in one call (used when ``batch_size`` > 1)."""
    batch_size: int = Field(1, ge=1, le=50)
    """Most hosts' deltas in one API call; 1 turns batching off. Local models never batch."""
    api_key_file: Path | None = None
    """File holding the API key (first line). Default: the backend's environment variable."""
    options: dict[str, str | int | float | bool | list[str]] = Field(default_factory=dict)
    """Backend options, validated by the backend (e.g. ``timeout = 30``, ``max_retries = 2``,
    ``base_url``; a local server: ``max_tokens = 300``, ``temperature = 0``, ``stop = ["\n\n"]``)."""
    concurrency: int = Field(4, ge=1, le=64)
    """Model calls in flight at once."""
    prefilter: bool = True
    """Skip the call when a delta holds only known-boring lines."""
    compress: bool = True
    """Strip timestamps, collapse repeats and cut oversized deltas before the prompt."""
    redact: bool = True
    """Mask IPs, MACs, serials and host names before they leave the machine (API models)."""
    max_lines: int = Field(200, ge=1)
    """Most lines per delta sent to the model after compression."""
    examples: Literal["none", "fixed", "retrieved"] = "none"
    """Past incidents in the prompt (``tasseograph.retrieval``): ``fixed`` (``k`` balanced labelled
    cases in the cached system part) or ``retrieved`` (the ``k`` most like each delta, after it;
    needs ``prompt = "triage-v3"`` and ``batch_size = 1``)."""
    k: int = Field(4, ge=1, le=16)
    """Past incidents per prompt with ``examples``."""
    library: list[str] | None = None
    """Sources of the incident library (``repo``, ``dev``); default: every one present."""

    @model_validator(mode="after")
    def _examples_fit(self) -> ModelSection:
        if self.examples == "retrieved" and self.batch_size > 1:
            raise ValueError("examples = 'retrieved' chooses past incidents per delta: set batch_size = 1 "
                             "(or examples = 'fixed')")
        return self

    @field_validator("options")
    @classmethod
    def _no_secrets(cls, options: dict[str, Any]) -> dict[str, Any]:
        # Whole words, so ``max_tokens`` is not mistaken for a token.
        secret = sorted(k for k in options if set(k.lower().replace("-", "_").split("_")) & set(_SECRET_WORDS))
        if secret:
            raise ValueError(f"{', '.join(secret)} may not be set here: put API keys in the environment "
                             "or model.api_key_file")
        return options

    def api_key(self) -> SecretStr | None:
        """The API key from ``api_key_file`` (None: the backend reads its environment variable).

        Raises:
            ConfigError: the key file cannot be read, is not a regular file of a few KB, or is empty.
        """
        return read_key_file(self.api_key_file) if self.api_key_file is not None else None


class SpoolSection(_Section):
    """The spool directory config management fills: ``DIR/<host>/*.log``, written atomically."""

    dir: Path | None = None
    """Spool directory; unset disables the spool source."""
    delete_consumed: bool = True
    """Delete a file once all its lines are queued (the spool is a hand-off, not an archive)."""
    settle: Duration = 30.0
    """A file untouched this long is complete even without a final newline."""
    quarantine: Path | None = None
    """Where chunks that held binary junk are kept (their text and signal lines are still
    analysed); unset: ``<dir>.quarantine`` beside the spool."""


class KmsgSection(_Section):
    """This machine's ``/dev/kmsg`` (sequence numbers as cursor; reboots and overruns reported)."""

    enabled: bool = False
    """Read the local kernel ring buffer."""
    path: Path = Path("/dev/kmsg")
    """Device (or a file of kmsg records, for tests)."""
    boot_id_path: Path = Path("/proc/sys/kernel/random/boot_id")
    """Where the boot id is read; a new boot id resets the cursor."""


class JournalSection(_Section):
    """``journalctl -k`` with its cursor."""

    enabled: bool = False
    """Read kernel messages from the systemd journal."""
    command: list[str] = Field(default_factory=lambda: ["journalctl"])
    """The journalctl command (and fixed arguments, e.g. ``--directory``)."""
    timeout: Duration = 60.0
    """Longest a journalctl run may take."""


class SourcesSection(_Section):
    """Where deltas come from (several may be on at once)."""

    host: str = ""
    """Host name for local sources (kmsg, journal, stdin); empty means this machine's name."""
    spool: SpoolSection = Field(default_factory=SpoolSection)
    kmsg: KmsgSection = Field(default_factory=KmsgSection)
    journal: JournalSection = Field(default_factory=JournalSection)
    max_delta_bytes: int = Field(512 * 1024, ge=1024)
    """A host's lines are split into deltas of at most this size."""


class PollingSection(_Section):
    """Adaptive polling: healthy hosts rarely, anomalous hosts often."""

    adaptive: bool = True
    """False analyses every delta as soon as it arrives."""
    healthy_min: Duration = 900.0
    """Shortest interval for a healthy host (each host gets a fixed value in [min, max])."""
    healthy_max: Duration = 1800.0
    """Longest interval for a healthy host."""
    anomaly: Duration = 300.0
    """Interval after a warning or critical verdict."""
    anomaly_hold: Duration = 3600.0
    """How long a host stays on the short interval after its last anomaly."""
    cycle: Duration = 60.0
    """Daemon mode: seconds between cycles (ingest, analyse, alert)."""


class BudgetSection(_Section):
    """Hard spend caps; at a cap the runner falls back to the signal catalogue alone."""

    daily_usd: float = Field(0.0, ge=0)
    """Cap per UTC day in USD; 0 means no cap."""
    monthly_usd: float = Field(0.0, ge=0)
    """Cap per UTC calendar month in USD; 0 means no cap."""
    max_calls_per_delta: int = Field(4, ge=0)
    """Most model calls for one delta (a host's new lines in one ingest, which ``max_delta_bytes``
    cuts into pieces); further pieces get the signal catalogue's verdict. 0: no cap."""
    max_calls_per_host_hour: int = Field(12, ge=0)
    """Most model calls for one host in any hour; past it, the signal catalogue's verdict. 0: no cap."""


class BaselineSection(_Section):
    """Per-host template baselines: no call for a delta that only repeats this host's ok deltas.

    A cost lever beside the pre-filter: known noise plus templates the host produced in deltas
    the model judged ok, at their usual rate, with no catalogue signal, skip the call."""

    enabled: bool = False
    """Learn each host's templates from its ok verdicts and skip deltas made only of them."""
    warmup_deltas: int = Field(12, ge=0)
    """Ok deltas a host's baseline must learn before it may skip anything."""
    max_templates: int = Field(2000, ge=1)
    """Most learned templates kept per host (least recently seen dropped first); poisoned
    templates (seen in a warning or critical delta) are capped separately at the same size."""
    expiry: Duration = 14 * 86400.0
    """A learned template not seen in an ok delta for this long is forgotten (poison never is)."""
    rate_factor: float = Field(10.0, ge=1.0)
    """A baselined template whose lines in a delta exceed this multiple of its mean per ok delta
    sends the delta to the model."""
    fold: bool = True
    """Baseline-aware compression: in a delta the model is asked about, lines of the host's usual
    templates and known noise are folded into one summary line ("37 lines of 5 usual templates
    omitted"); signal lines, lines the catalogue matches and lines new to the host are always sent."""

    def settings(self) -> BaselineSettings:
        """The library's settings for these keys."""
        return BaselineSettings(warmup_deltas=self.warmup_deltas, max_templates=self.max_templates,
                                expiry_s=self.expiry, rate_factor=self.rate_factor)


class RetrySection(_Section):
    """Backoff and circuit breaker for the model API."""

    base: Duration = 5.0
    """First retry delay; doubled per failure, with full jitter."""
    max: Duration = 900.0
    """Longest retry delay."""
    failure_threshold: int = Field(5, ge=1)
    """Consecutive failed calls that open the circuit."""
    open_for: Duration = 300.0
    """How long the circuit stays open before one trial call (half-open)."""
    max_age: Duration = 21600.0
    """A delta still unanalysed after this long gets a signals-only verdict."""


class AlertsSection(_Section):
    """Alertmanager routing: critical at once, warning when sustained, resolved when clear."""

    alertmanager_url: str = ""
    """Alertmanager base URL (``http://127.0.0.1:9093``); empty disables alerting. Credentials in
    it (``https://user:password@am:9093``) are sent as basic auth and never shown or logged."""
    warning_min_checks: int = Field(3, ge=1)
    """A warning finding pages when this many checks of its host within ``warning_window`` carried it."""
    warning_window: Duration = 3600.0
    """Window for ``warning_min_checks``."""
    resolve_after_checks: int = Field(3, ge=1)
    """A warning finding resolves by a clean re-check after this many checks of its host that read
    new lines without it (critical findings need a recovery line or an operator; README: Findings)."""
    resolve_after: Duration = 1800.0
    """And at least this long since the finding was last seen."""
    resolve_quiet: Duration = 86400.0
    """An open finding not seen for this long is judged ``uncertain`` even when its host sends
    nothing; it stays open (absence is not resolution). 0: never."""
    hold: Duration = 3600.0
    """``endsAt`` of a firing alert is this far ahead; it is re-posted before then."""
    repost: Duration = 300.0
    """Firing alerts are re-posted at least this often."""
    timeout: Duration = 10.0
    """HTTP timeout for Alertmanager."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Extra static labels on every alert (e.g. ``cluster``, ``team``)."""

    @field_serializer("alertmanager_url", when_used="json")
    def _masked(self, url: str) -> str:
        return mask_url(url)

    def rules(self) -> AlertRules:
        """The alert rules these keys set."""
        return AlertRules(self.warning_min_checks, self.warning_window, self.resolve_after_checks, self.resolve_after,
                          self.resolve_quiet, self.hold, self.repost, dict(self.labels))


class FindingsSection(_Section):
    """Findings with a lifecycle: one fault on one host across deltas (README: Findings)."""

    retention: Duration = 400 * 86400.0
    """The audit trail (every state change), lifted suppressions and closed findings (resolved, or
    dismissed without a reminder) untouched for this long are deleted (`findings export` keeps a copy)."""
    prompt_notes: bool = True
    """Operators' notes from acknowledging, snoozing or dismissing a host's findings join its
    ``[hosts]`` notes for the prompt while the finding stays so (bounded, redacted the same way)."""
    remind_after: Duration = Field(7 * 86400.0, gt=0)
    """``findings dismiss --reason will_fix_later`` without ``--remind`` brings the finding back after this long."""


class FleetSection(_Section):
    """Fleet signals over time: device thresholds, trends, patterns, hosts failing together (README: Fleet signals).

    Each is raised as a finding with its own identity (``fleet.<rule or signal>``, ``fleet.group.<...>``)."""

    enabled: bool = True
    """Count every delta's catalogue hits per host and device, over the lines' own times."""
    inventory: Path | None = None
    """Hosts and their labels, for correlation: a CSV whose header starts with ``host`` (``host,rack,row,
    switch,pdu,chassis,model,firmware,kernel``) or a TOML file of ``[hosts.NAME]`` tables and
    ``[[patterns]]``; alert labels then carry each host's labels too. Unset: no correlation."""
    thresholds: Path | None = None
    """Threshold rules (a TOML file of ``[[threshold]]`` tables); unset: the shipped ones, mcelog's and
    rasdaemon's (10 corrected errors per DIMM per 24 h, 100 per socket, 50 per page, 18 per CPU)."""
    min_hosts: int = Field(3, ge=2)
    """K: hosts sharing an inventory label value that show the same thing within ``window`` form one group."""
    window: Duration = Field(600.0, gt=0)
    """Longest time from a group's first host to its K-th (line times)."""
    by: Literal["category", "signal"] = "category"
    """What "the same thing" is: the finding category (network, storage...) or the catalogue signal."""

    def settings(self) -> FleetSettings:
        """The fleet logic's settings for these keys.

        Raises:
            ConfigError: the thresholds file is missing or invalid (one line naming file and entry).
        """
        counters = CounterSettings(thresholds=load_thresholds(self.thresholds))
        correlation = CorrelationSettings(min_hosts=self.min_hosts, window_s=self.window, by=self.by)
        return FleetSettings(counters=counters, correlation=correlation)

    def load_inventory(self) -> Inventory:
        """The inventory file (an empty inventory when unset).

        Raises:
            InventoryError: the file is missing or invalid (one line naming the file and the line).
        """
        return load_inventory(self.inventory) if self.inventory is not None else Inventory()


class MetricsSection(_Section):
    """Prometheus output: a textfile in cron mode, HTTP in daemon mode."""

    textfile: Path | None = None
    """node_exporter textfile path (``.../tasseograph.prom``), written atomically after each run."""
    listen: str = "127.0.0.1:9817"
    """Daemon mode: ``host:port`` of the metrics endpoint; empty disables it."""


class HostSection(_Section):
    """What operators know about one host (or every host matching a shell-style pattern)."""

    notes: str = ""
    """Known quirks, given to prompts that take them (``triage-v2``), e.g. "the riser on this
    board throws corrected AER at boot; only new device names matter"."""
    suppress: list[str] = Field(default_factory=list)
    """Signal ids (patterns such as ``aer.corrected`` or ``aer.*``) muted on this host. Muted hits
    are kept in the verdict's ``suppressed`` list for the audit trail, never alerted."""


class RunnerConfig(_Section):
    """The whole runner configuration (one TOML file)."""

    state: Path = Path("/var/lib/tasseograph/state.db")
    """SQLite state file (cursors, queue, verdicts, findings, alerts); WAL mode."""
    retention: Duration = 90 * 86400.0
    """Verdicts, findings and source events older than this are deleted (metrics counters stay)."""
    model: ModelSection = Field(default_factory=ModelSection)
    sources: SourcesSection = Field(default_factory=SourcesSection)
    polling: PollingSection = Field(default_factory=PollingSection)
    budget: BudgetSection = Field(default_factory=BudgetSection)
    baseline: BaselineSection = Field(default_factory=BaselineSection)
    retry: RetrySection = Field(default_factory=RetrySection)
    alerts: AlertsSection = Field(default_factory=AlertsSection)
    metrics: MetricsSection = Field(default_factory=MetricsSection)
    findings: FindingsSection = Field(default_factory=FindingsSection)
    fleet: FleetSection = Field(default_factory=FleetSection)
    hosts: dict[str, HostSection] = Field(default_factory=dict)
    """Per-host knowledge, keyed by host name or pattern (``[hosts."db-*"]``); every matching
    entry applies (notes joined, suppressions added up)."""

    def host_options(self, host: str) -> dict[str, Any]:
        """The ``notes`` and ``suppress`` analyze options for ``host``."""
        matching = [h for key, h in self.hosts.items() if fnmatch.fnmatchcase(host, key)]
        return {
            "notes": "\n".join(h.notes for h in matching if h.notes),
            "suppress": tuple(p for h in matching for p in h.suppress),
        }

    def with_overrides(self, overrides: dict[str, Any]) -> RunnerConfig:
        """A copy with dotted-key overrides (``{"alerts.alertmanager_url": URL}``) validated.

        Raises:
            ConfigError: an override has a bad value.
        """
        data = self.model_dump()
        for dotted, value in overrides.items():
            if value is None:
                continue
            node = data
            *parents, leaf = dotted.split(".")
            for part in parents:
                node = node[part]
            node[leaf] = value
        return validate_config(data, source="command line")


def validate_config(data: dict[str, Any], *, source: str) -> RunnerConfig:
    """Validate a config mapping; errors name the source and the key, never a secret value.

    Raises:
        ConfigError: one line per problem, ``source: key: message``.
    """
    try:
        return RunnerConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, source)) from None


def load_config(path: Path | str | None = None, *, insecure_ok: bool = False) -> RunnerConfig:
    """Load and validate the TOML file at ``path`` (or ``$TASSEOGRAPH_CONFIG``; none: defaults).

    Args:
        path: the config file.
        insecure_ok: only warn (do not refuse) when the file is writable by every user or the
            key file it names is readable by every user.

    Raises:
        ConfigError: the file is missing, not TOML, has an unknown key or bad value, or is open
            to other users (see ``insecure_ok``).
    """
    if path is None:
        path = os.environ.get(CONFIG_ENV) or None
    if path is None:
        return RunnerConfig()
    path = Path(path)
    config = validate_config(read_toml(path, what="config file"), source=str(path))
    check_file_modes(path, config.model.api_key_file, insecure_ok=insecure_ok)
    return config


def _describe(exc: ValidationError, source: str) -> str:
    problems = []
    for err in exc.errors():
        key = ".".join(str(p) for p in err["loc"]) or "(top level)"
        if err["type"] == "extra_forbidden":
            hint = " (API keys go in the environment or model.api_key_file)" if _secret(key) else ""
            problems.append(f"{source}: {key}: unknown key{hint}")
            continue
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if isinstance(value, str) and key.endswith("url"):
            value = mask_url(value)
        shown = "" if _secret(key) or key.startswith("model.options") else f" (got {value!r})"
        problems.append(f"{source}: {key}: {msg}{shown}")
    return "; ".join(problems)


def _secret(key: str) -> bool:
    leaf = key.rsplit(".", 1)[-1].lower()
    return any(word in leaf for word in _SECRET_WORDS) and not leaf.endswith(("_file", "_env"))


def default_config_toml() -> str:
    """The default configuration as commented TOML, generated from the models' docstrings."""
    out = ["# tasseograph runner configuration (generated by `tasseograph run --print-default-config`).",
           "# Durations take seconds or strings such as \"30s\", \"15m\", \"1h30m\"."]
    _emit_section(RunnerConfig, RunnerConfig(), "", out)
    return "\n".join(out) + "\n"


def _emit_section(model: type[BaseModel], value: BaseModel, prefix: str, out: list[str]) -> None:
    nested = []
    for name, field in model.model_fields.items():
        attr = getattr(value, name)
        if isinstance(attr, BaseModel):
            nested.append((name, type(attr), attr))
            continue
        for line in (field.description or "").splitlines():
            out.append(f"# {line.strip()}")
        out.append(f"{'# ' if attr is None else ''}{name} = {_toml_value(attr)}")
    for name, sub_model, sub in nested:
        out.append("")
        out.append(f"[{prefix}{name}]")
        if sub_model.__doc__:
            out.append(f"# {sub_model.__doc__.strip().splitlines()[0]}")
        _emit_section(sub_model, sub, f"{prefix}{name}.", out)


def _toml_value(value: Any) -> str:
    if value is None:
        return '""'
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_toml_value(v)}" for k, v in value.items()) + "}"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
