"""The typed boundary of tasseograph: lines in, verdicts out, and the model's reply contract."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field, field_validator

from tasseograph.errors import FailureKind, ModelError

Status = Literal["ok", "warning", "critical"]
Severity = Literal["warning", "critical"]
Category = Literal["memory", "storage", "network", "thermal", "driver"]
NoveltyScope = Literal["host", "fleet", "model"]
"""Why a line is unknown: new to this host, new to the fleet, or too unlike the local classifier's training data."""
FindingSource = Literal["llm", "signal", "model"]
"""``llm``: an API language model; ``model``: a local learned model (sklearn); ``signal``: the catalogue."""

STATUS_RANK: dict[str, int] = {"ok": 0, "warning": 1, "critical": 2}
CATEGORIES: tuple[Category, ...] = ("memory", "storage", "network", "thermal", "driver")


def worst_status(statuses: list[str]) -> Status:
    """Return the most severe of ``statuses`` (``"ok"`` for none)."""
    worst: Status = "ok"
    for s in statuses:
        if STATUS_RANK[s] > STATUS_RANK[worst]:
            worst = s  # type: ignore[assignment]
    return worst


class KernelLine(BaseModel):
    """One kernel log record, as parsed from any supported input format.

    Example:
        >>> KernelLine(lineno=1, raw="[ 1.0] hi", message="hi", monotonic=1.0)
    """

    model_config = ConfigDict(frozen=True)

    lineno: int
    """1-based position of the record's first line in the input."""
    raw: str
    """The record as received (decoded to text; continuation lines joined with ``\\n``)."""
    message: str
    """The message with any timestamp, level or syslog prefix removed."""
    monotonic: float | None = None
    """Seconds since boot, when the format carries it."""
    time: datetime | None = None
    """Wall-clock time (timezone-aware), when the format carries it."""
    level: int | None = None
    """Syslog level 0 (emerg) to 7 (debug), when the format carries it."""
    facility: int | None = None
    """Syslog facility number (0 = kernel), when the format carries it."""
    seq: int | None = None
    """/dev/kmsg sequence number, when the format carries it."""
    host: str | None = None
    """Host named in the record itself (syslog, journal), when present."""

    @property
    def evidence(self) -> str:
        """The record as a finding quotes it: ``raw``, but a journal JSON record (``raw`` is the
        whole JSON object) is quoted by its message."""
        return self.message if self.message and self.raw.startswith("{") else self.raw


class Window(BaseModel):
    """The span of time a delta covers (either end may be unknown)."""

    start: datetime | None = None
    end: datetime | None = None


class Delta(BaseModel):
    """The new kernel lines of one host since its last check."""

    host: str = "localhost"
    """Host the lines came from."""
    lines: list[KernelLine] = Field(default_factory=list)
    """The records, in order."""
    window: Window = Field(default_factory=Window)
    """Time span covered, when known."""
    format: str = "unknown"
    """Input format the lines were parsed from (``dmesg``, ``kmsg``, ``syslog``, ...)."""

    def text(self) -> str:
        """The delta's records as text, one per line, as received."""
        return "\n".join(line.raw for line in self.lines)


class Seen(BaseModel):
    """Where and when one of a finding's lines appeared in the input."""

    lineno: int
    """1-based line number in the input (of the chunk, for a delta analyzed in chunks)."""
    time: datetime | None = None
    """Wall-clock time, when the format carries it."""
    monotonic: float | None = None
    """Seconds since boot, when the format carries it."""

    @classmethod
    def of(cls, line: KernelLine) -> Seen:
        """The position and time of ``line``."""
        return cls(lineno=line.lineno, time=line.time, monotonic=line.monotonic)


class Finding(BaseModel):
    """One problem found in a delta."""

    severity: Severity
    category: Category
    summary: str
    """A short description an operator can act on."""
    evidence: str
    """The relevant log line(s), verbatim from the delta."""
    source: FindingSource = "llm"
    """Who found it: an LLM (``llm``), a local learned model (``model``), or the catalogue (``signal``)."""
    signal_id: str | None = None
    """Catalogue id of the signal behind it, when there is one."""
    count: int = 1
    """How many matching lines or episodes stand behind it."""
    host: str | None = None
    """Host it belongs to (set in multi-host batches)."""
    normalized: bool = False
    """True when the catalogue matched its line only once look-alike or invisible characters
    were folded away (``tasseograph.textnorm``): the evidence is as received, and a kernel line
    that needs folding was likely crafted."""
    device: dict[str, str] = Field(default_factory=dict)
    """Which device it is about, from the catalogue signal behind it (keys from the device
    vocabulary, ``tasseograph/data/devices.toml``: ``dimm``, ``nvme``, ``disk``, ``pci``, ``nic``...);
    empty when unknown."""
    first_seen: Seen | None = None
    """Its first line in the delta, when its evidence could be placed."""
    last_seen: Seen | None = None
    """Its last line in the delta (with ``count``, how long and how often it went on)."""


NOT_JUDGED = "unknown kernel message, not judged"
"""What an offline verdict says of a novel line no finding quotes (``NovelLine.judged`` False)."""


class NovelLine(BaseModel):
    """A line the verdict marks as unknown (see ``tasseograph.novelty``); never a page by itself."""

    line: str
    """The line, verbatim as a finding would quote it (``KernelLine.evidence``: the record, or a
    journal JSON record's message)."""
    scope: NoveltyScope
    """``host``/``fleet``: its template is new to this host / to every host; ``model``: the local
    classifier knows too few of its words to score it."""
    judged: bool
    """True when a model read it (an LLM sees novel lines first) or a finding quotes it; False is
    "unknown kernel message, not judged": the offline tier cannot vouch for it either way."""


class Usage(BaseModel):
    """Token usage of one verdict (summed over repair retries)."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cache_read_tokens=self.cache_read_tokens + other.cache_read_tokens,
            cache_write_tokens=self.cache_write_tokens + other.cache_write_tokens,
        )

    def scaled(self, share: float) -> Usage:
        """This usage times ``share`` (rounded), for one host's part of a multi-host call."""
        if share == 1.0:
            return self
        return Usage(
            input_tokens=round(self.input_tokens * share), output_tokens=round(self.output_tokens * share),
            cache_read_tokens=round(self.cache_read_tokens * share),
            cache_write_tokens=round(self.cache_write_tokens * share),
        )


class CompressionStats(BaseModel):
    """What compression did to the delta before the prompt."""

    lines_in: int = 0
    lines_out: int = 0
    tokens_before: int = 0
    """Estimated tokens of the raw delta (characters / 4; an estimate, not a tokenizer count)."""
    tokens_after: int = 0
    """Estimated tokens of the text actually sent."""
    truncated: bool = False
    folded_lines: int = 0
    """Lines of the host's usual templates and known noise folded into one summary line
    (baseline-aware compression)."""
    folded_templates: int = 0
    """Templates those folded lines belong to."""


class ModelFailure(BaseModel):
    """Why a verdict holds no usable model answer (the verdict then rests on the signals).

    Example:
        >>> v = tasseograph.analyze(text, model="openai:qwen3")  # no server listening
        >>> v.model_error.kind, v.model_error.retryable
        ('unreachable', True)
    """

    model_config = ConfigDict(frozen=True)

    kind: FailureKind
    """``unreachable``, ``timeout``, ``rate_limited``, ``overloaded`` (5xx), ``auth`` (401/402/403),
    ``bad_request`` (other 4xx), ``bad_reply`` (not the JSON contract after the repair retry), or
    ``budget`` (the runner's spend cap stopped the call)."""
    message: str
    """What went wrong and what to do, for people (never holds the API key)."""
    retryable: bool = False
    """True when the same call may succeed later (the runner keeps the delta queued)."""

    @classmethod
    def from_error(cls, exc: ModelError) -> ModelFailure:
        """The failure a model error stands for."""
        return cls(kind=exc.failure_kind, message=str(exc) or type(exc).__name__, retryable=exc.retryable)

    def __str__(self) -> str:
        return f"{self.kind}: {self.message}"


_LEGACY_KINDS: dict[str, FailureKind] = {
    "ModelReplyError": "bad_reply", "RateLimited": "rate_limited", "Overloaded": "overloaded",
    "ModelTimeout": "timeout",
}  # fmt: skip
"""Error class names that began the string ``model_error`` of results written before it had a kind."""


class Verdict(BaseModel):
    """The answer for one delta.

    Example:
        >>> v = tasseograph.analyze("[ 5.1] EDAC MC0: 1 UE memory read error ...")
        >>> v.status
        'critical'
    """

    status: Status
    findings: list[Finding] = Field(default_factory=list)
    host: str = "localhost"
    model: str = ""
    """Model name that produced it (``rules``, ``anthropic:claude-haiku-4-5``...)."""
    prompt: str | None = None
    """Prompt ``id@version`` used, or None for local models."""
    usage: Usage = Field(default_factory=Usage)
    cost_usd: float = 0.0
    latency_s: float = 0.0
    skipped: bool = False
    """True when the pre-filter decided without calling the model."""
    skip_reason: str | None = None
    suppressed: list[str] = Field(default_factory=list)
    """Signal ids found but muted by the operator's ``suppress`` rules for this host (audit trail)."""
    escalated: bool = False
    """True when a tiered model (``escalate:SMALL>LARGE``) asked its larger tier."""
    model_error: ModelFailure | None = None
    """Why the model's answer could not be used (the verdict then rests on the signals)."""
    compression: CompressionStats = Field(default_factory=CompressionStats)
    novel: list[NovelLine] = Field(default_factory=list)
    """Lines new to this host or the fleet (with a baseline), or unknown to the local classifier;
    those not judged are "unknown kernel message, not judged" (reported, not alerted)."""
    examples: list[str] = Field(default_factory=list)
    """Ids of the past incidents the prompt showed the model (``examples="retrieved"`` or
    ``"fixed"``): what it was reminded of when it judged this delta."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def degraded(self) -> bool:
        """True when the model failed and the verdict rests on the signal catalogue alone."""
        return self.model_error is not None

    @field_validator("model_error", mode="before")
    @classmethod
    def _legacy_error(cls, value: Any) -> Any:
        """Read the ``"ClassName: message"`` strings that results and state files once stored."""
        if not isinstance(value, str):
            return value
        name = value.partition(":")[0].strip()
        kind = _LEGACY_KINDS.get(name.split()[0] if name else "", "unreachable")
        return ModelFailure(kind=kind, message=value)


# --- The model's reply contract (DESIGN.md) --------------------------------------------


class ReplyIssue(BaseModel):
    """One issue in the model's JSON reply."""

    model_config = ConfigDict(extra="ignore")

    host: str | None = None
    """The host block the evidence comes from (multi-host batch prompts ask for it)."""
    severity: Severity
    category: Category
    summary: str
    evidence: str


class TriageReply(BaseModel):
    """The JSON object the triage prompt asks the model for."""

    model_config = ConfigDict(extra="ignore")

    status: Status
    issues: list[ReplyIssue] = Field(default_factory=list)


def reply_json_schema() -> dict[str, object]:
    """JSON Schema of the reply contract, strict enough for structured-output APIs."""
    issue = {
        "type": "object",
        "properties": {
            "severity": {"type": "string", "enum": ["warning", "critical"]},
            "category": {"type": "string", "enum": list(CATEGORIES)},
            "summary": {"type": "string"},
            "evidence": {"type": "string"},
        },
        "required": ["severity", "category", "summary", "evidence"],
        "additionalProperties": False,
    }
    return {
        "type": "object",
        "properties": {
            "status": {"type": "string", "enum": ["ok", "warning", "critical"]},
            "issues": {"type": "array", "items": issue},
        },
        "required": ["status", "issues"],
        "additionalProperties": False,
    }
