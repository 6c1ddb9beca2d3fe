"""Per-device threshold rules (``tasseograph/data/thresholds.toml`` by default) and their loader."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from tasseograph.errors import ConfigError
from tasseograph.schema import Severity
from tasseograph.tomlfile import read_toml

DEFAULT_THRESHOLDS = Path(__file__).resolve().parent.parent / "data" / "thresholds.toml"
"""The shipped rules: mcelog's and rasdaemon's defaults."""
SEVERITIES: tuple[Severity, ...] = ("warning", "critical")
_FIELD = re.compile(r"^[a-z][a-z0-9_]*$")


class ThresholdRule(BaseModel):
    """One threshold: ``threshold`` events of ``signals`` on one unit within ``period_s``.

    Example:
        >>> rule = load_thresholds()[0]
        >>> rule.unit_of({"dimm": "CPU1_DIMM_B2", "socket": "1", "page": "0x8a1"})
        {'dimm': 'CPU1_DIMM_B2'}
    """

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    id: str = Field(min_length=1)
    """Unique rule id."""
    unit: str = Field(min_length=1)
    """The counted unit as a summary names it (``DIMM``)."""
    what: str = Field(min_length=1)
    """What is counted (``corrected memory errors``)."""
    signals: list[str] = Field(min_length=1)
    """Signal ids (fnmatch globs allowed) whose events count."""
    severities: list[Severity] = Field(default_factory=lambda: list(SEVERITIES), min_length=1)
    """Only events of these severities count."""
    device: list[str] = Field(min_length=1)
    """Device fields that identify the unit: alternatives in order, each ``field`` or ``a+b``."""
    threshold: int = Field(ge=1)
    """Events that overflow the unit's leaky bucket."""
    period_s: float = Field(gt=0)
    """The bucket's period, in seconds."""
    source: str = ""
    """Where the numbers come from."""

    @field_validator("device")
    @classmethod
    def _fields(cls, alternatives: list[str]) -> list[str]:
        for alt in alternatives:
            bad = [f for f in alt.split("+") if not _FIELD.match(f)]
            if bad:
                raise ValueError(f"device alternative {alt!r}: {bad} are not device field names")
        return alternatives

    def applies(self, signal_id: str, severity: str) -> bool:
        """True when an event of ``signal_id`` at ``severity`` counts for this rule."""
        return severity in self.severities and any(fnmatch.fnmatchcase(signal_id, p) for p in self.signals)

    def unit_of(self, device: Mapping[str, str]) -> dict[str, str] | None:
        """The fields of ``device`` that identify this rule's unit, or None when it names none."""
        for alt in self.device:
            names = alt.split("+")
            if all(device.get(n) for n in names):
                return {n: device[n] for n in names}
        return None


class _ThresholdFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    threshold: list[ThresholdRule] = Field(default_factory=list)


def load_thresholds(path: Path | None = None) -> tuple[ThresholdRule, ...]:
    """Threshold rules from a TOML file of ``[[threshold]]`` tables (default: the shipped ones).

    Raises:
        ConfigError: the file is missing, not TOML, or an entry is invalid (the message names
            the file, the entry and the key), or two entries share an id.
    """
    if path is None:
        return _default_thresholds()
    return _load(path)


@cache
def _default_thresholds() -> tuple[ThresholdRule, ...]:
    return _load(DEFAULT_THRESHOLDS)


def _load(path: Path) -> tuple[ThresholdRule, ...]:
    data = read_toml(path, what="threshold file")
    try:
        rules = tuple(_ThresholdFile.model_validate(data).threshold)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{path}: {where}: {err['msg']}") from None
    _check_unique(path, [r.id for r in rules])
    return rules


def _check_unique(path: Path, ids: Sequence[str]) -> None:
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise ConfigError(f"{path}: duplicate threshold ids {dupes}")
