"""Suite files (``evals/*.toml``): datasets x models x prompts x pipeline options.

Every table is a pydantic model with ``extra="forbid"``, so a typo is an error naming the file
and the key. Paths may use ``{repo}`` (the checkout holding the suite file) and ``{shared}``
(``$TASSEOGRAPH_SHARED``, else ``shared/`` beside that checkout: see ``paths``); other relative
paths are relative to the suite file. A dataset marked
``optional = true`` whose files are absent is skipped with a printed note.

Example::

    name = "offline"
    models = ["rules", {name = "sklearn", train = "repo"}]

    [[datasets]]
    name = "repo"
    path = "{repo}/datasets"
    split = "test"
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tasseograph.errors import ConfigError
from tasseograph.eval.datasets import DEFAULT_TEST_FRACTION, DEFAULT_WINDOW_S
from tasseograph.eval.escalation import EscalationSpec
from tasseograph.eval.profile import FleetProfile
from tasseograph.paths import expand
from tasseograph.tomlfile import read_toml


class DatasetSpec(BaseModel):
    """One dataset of a suite."""

    model_config = ConfigDict(extra="forbid")

    path: str
    """File or folder; ``{repo}`` and ``{shared}`` are expanded."""
    name: str | None = None
    """Display name, and how models' ``train`` refers to it (default: from the path)."""
    optional: bool = False
    """Skip with a note (instead of failing) when the files are absent."""
    window: Literal["time", "lines"] = "time"
    """Loghub grouping: per host x ``window_s``, or fixed ``window_lines`` windows."""
    window_s: int = Field(DEFAULT_WINDOW_S, gt=0)
    window_lines: int = Field(100, gt=0)
    split: Literal["all", "train", "test"] = "all"
    test_fraction: float = Field(DEFAULT_TEST_FRACTION, gt=0, lt=1)
    chunk_lines: int = Field(0, ge=0)
    """Log folders: cut logs into deltas of this many lines (0: one case per log)."""
    ids: list[str] | None = None
    """Score only these cases (ids as the file names them): a fixed subset, e.g. for a slow model."""


class ModelSpec(BaseModel):
    """One model of a suite (a bare string is shorthand for ``{name = ...}``)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Registry name: ``rules``, ``sklearn``, ``sklearn:PATH``, ``anthropic:claude-haiku-4-5``."""
    options: dict[str, Any] = Field(default_factory=dict)
    """Backend options, validated by the backend itself."""
    train: str | None = None
    """sklearn and local only: train on this suite dataset (its train part when the suite scores its test part)."""
    datasets: list[str] | None = None
    """Run only on these datasets (names); default: all."""
    prompts: list[str] | None = None
    """Prompts for this model (API models); default: the suite's."""
    option_sets: list[str] | None = None
    """Run only with these option sets (their labels), e.g. a model scored alone as well; default: all."""


class OptionSet(BaseModel):
    """A named set of pipeline switches (``Options`` in pipeline.py)."""

    model_config = ConfigDict(extra="forbid")

    label: str = "default"
    prefilter: bool | None = None
    compress: bool | None = None
    redact: bool | None = None
    max_lines: int | None = Field(None, gt=0)
    signal_floor: Literal["warning", "critical"] | None = None
    merge_signals: bool | None = None
    """Merge the catalogue signals the model missed (needs ``Options.merge_signals`` in the pipeline)."""
    examples: Literal["none", "fixed", "retrieved"] | None = None
    """Few-shot examples from the incident library (``tasseograph.retrieval``): ``fixed`` (``k``
    balanced past incidents in the system part) or ``retrieved`` (the ``k`` most like each case, in
    the user part; prompt ``triage-v3``). Each case's own entry, near-copies of it and its log's
    other excerpts are left out of both."""
    k: int | None = Field(None, ge=1, le=16)
    """Past incidents per prompt with ``examples`` (default 4)."""
    library: list[str] | None = None
    """Sources of the incident library behind ``examples`` (``repo``, ``dev``; default: every one
    present). A suite that must replay where ``../shared`` is absent names ``["repo"]``."""

    def pipeline_options(self) -> dict[str, Any]:
        """The switches that were set, as ``analyze`` keyword options."""
        return self.model_dump(exclude={"label"}, exclude_none=True)


class EscalationConfig(BaseModel):
    """Which models are the small, large and local tiers of the escalation table."""

    model_config = ConfigDict(extra="forbid")

    small: str = "anthropic:claude-haiku-4-5"
    large: str = "anthropic:claude-sonnet-4-5"
    local: str | None = "rules"


class Suite(BaseModel):
    """A whole suite file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    description: str = ""
    datasets: list[DatasetSpec]
    models: list[ModelSpec]
    prompts: list[str] = Field(default_factory=lambda: ["triage-v1"])
    """Prompts tried with every API model."""
    options: list[OptionSet] = Field(default_factory=lambda: [OptionSet()])
    epochs: int = Field(1, ge=1)
    concurrency: int = Field(8, ge=1)
    cache: str | None = None
    """Response cache file (relative to the suite file); default: the user cache dir."""
    fleet: FleetProfile = Field(default_factory=FleetProfile)
    """Fleet for cost per host-month; ``active_share`` is replaced where data has timestamps."""
    escalation: EscalationConfig | None = None

    @field_validator("models", mode="before")
    @classmethod
    def _names(cls, v: Any) -> Any:
        return [{"name": m} if isinstance(m, str) else m for m in v] if isinstance(v, list) else v


def load_suite(path: str | Path) -> Suite:
    """Read and validate a suite file.

    Raises:
        ConfigError: missing file, bad TOML, or an invalid key (the message names file and key).
    """
    p = Path(path)
    raw = read_toml(p, what="suite file")
    try:
        suite = Suite.model_validate(raw)
    except ValidationError as exc:
        where = "; ".join(f"{_loc(e['loc'], raw)}: {e['msg']}" for e in exc.errors()[:3])
        raise ConfigError(f"{p}: {where}") from exc
    _check_refs(p, suite)
    return suite


def _loc(loc: tuple[Any, ...], raw: dict[str, Any]) -> str:
    """``datasets[1].windw`` style key path, naming list items by their ``name`` when they have one."""
    out = ""
    node: Any = raw
    for part in loc:
        if isinstance(part, int):
            name = node[part].get("name") if isinstance(node, list) and isinstance(node[part], dict) else None
            out += f"[{part}]" + (f" ({name})" if name else "")
        else:
            out += ("." if out else "") + str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            node = None
    return out


def _check_refs(p: Path, suite: Suite) -> None:
    names = [dataset_name(d) for d in suite.datasets]
    if len(set(names)) != len(names):
        raise ConfigError(f"{p}: datasets: two datasets share a name; set 'name' on each")
    labels = [o.label for o in suite.options]
    for i, m in enumerate(suite.models):
        for ref in ([m.train] if m.train else []) + (m.datasets or []):
            if ref not in names:
                raise ConfigError(f"{p}: models[{i}] ({m.name}): unknown dataset {ref!r}; known: {', '.join(names)}")
        for label in m.option_sets or []:
            if label not in labels:
                raise ConfigError(f"{p}: models[{i}] ({m.name}): unknown option set {label!r}; known: {', '.join(labels)}")


def dataset_name(d: DatasetSpec) -> str:
    """The name a suite dataset goes by (``name``, else derived from the path and windowing)."""
    if d.name:
        return d.name
    p = Path(d.path.replace("{repo}", "").replace("{shared}", ""))
    if p.suffix == ".log":
        return f"{p.stem}/{d.window_s // 60}min" if d.window == "time" else f"{p.stem}/{d.window_lines}lines"
    return p.stem or "dataset"


@dataclass
class Resolved:
    """A suite's datasets with their paths resolved, and what was skipped."""

    datasets: dict[str, tuple[DatasetSpec, Path]] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)


def resolve_datasets(suite: Suite, suite_path: Path) -> Resolved:
    """Resolve dataset paths; optional ones that are absent are skipped with a note.

    Raises:
        ConfigError: a required dataset is absent.
        UsageError: ``$TASSEOGRAPH_SHARED`` points at nothing, or ``{repo}`` has no checkout.
    """
    out = Resolved()
    for d in suite.datasets:
        name = dataset_name(d)
        p = expand(d.path, suite_path)
        if p is None or not p.exists():
            why = "shared data not found (set TASSEOGRAPH_SHARED or put shared/ beside the suite's checkout)" \
                if p is None else f"{p} does not exist"
            if not d.optional:
                raise ConfigError(f"{suite_path}: dataset {name!r}: {why}")
            out.skipped.append(f"skipped dataset {name!r}: {why}")
            continue
        out.datasets[name] = (d, p)
    return out


def escalation_spec(suite: Suite) -> EscalationSpec | None:
    """The escalation tiers, when the suite asks for the table."""
    e = suite.escalation
    return EscalationSpec(e.small, e.large, e.local) if e else None
