"""What a trained ``local`` model is: the scorers, the thresholds, and what it was trained on.

A bundle is a JSON file validated by pydantic on load: reading one runs no code (unlike the
``sklearn`` model's joblib pickle), so a bundle can be shared and cached safely.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tasseograph.errors import UsageError
from tasseograph.models.linear import LinearScorer
from tasseograph.schema import Category

BUNDLE_FORMAT = 1


class SourceInfo(BaseModel):
    """One training source of a bundle (provenance: what the classifier learned from)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    """Short name: ``repo`` (the project's ``datasets/``), ``dev``, ``noise``, or a path's stem."""
    path: str
    cases: int
    positives: int
    lines: int
    """Non-blank, not known-boring lines the line model learned from."""
    sha256: str
    """Hash of the source's files, so a bundle names the exact data it saw."""
    formats: dict[str, int] = Field(default_factory=dict)
    """Lines per input format (``dmesg``, ``syslog``...): what kind of log the classifier knows."""
    split: str = "all"
    """``all``, or ``train`` when only the train part of a split was learned from."""


class Tuning(BaseModel):
    """How the thresholds were chosen (grouped cross-validation inside the training sources only)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    folds: int
    alarm_c: float
    """Regularisation strength of the alarm model (chosen out of fold, see ``local_train``)."""
    false_alarm_target: float
    """Most share of ok training cases the classifier alone may flag, out of fold."""
    false_alarm_rate: float
    """Out-of-fold share of ok cases flagged at the chosen alarm threshold."""
    uncovered_recall: float | None
    """Out-of-fold share of not-ok cases with no catalogue signal that the classifier flags."""
    alone_recall: float
    """Out-of-fold share of all not-ok cases the classifier alone flags (as if the catalogue had no entry)."""
    critical_precision_target: float
    warning_paged_target: float
    critical_precision: float | None
    """Out-of-fold critical precision of the classifier's severity at the chosen threshold."""
    critical_precision_lower: float | None = None
    """Its Wilson 95% lower bound (the figure held to the target)."""
    warnings_paged_critical: float | None
    severity_cases: int
    """Out-of-fold not-ok cases with known severity the severity threshold was chosen on."""


class LocalBundle(BaseModel):
    """A trained ``local`` classifier: line alarm, severity and category scorers plus thresholds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    format: int = BUNDLE_FORMAT
    trained_on: list[SourceInfo]
    alarm: LinearScorer
    """p(this line is evidence of a hardware problem), over feature texts of single lines."""
    severity: LinearScorer | None
    """p(critical) over the flagged lines of a delta; None when the training data had one severity."""
    category: LinearScorer | None
    """Category of a flagged line; None when the training data had no categories."""
    default_category: Category = "driver"
    alarm_threshold: float = Field(gt=0, le=1)
    critical_threshold: float | None = Field(default=None, gt=0, le=1)
    """p(critical) at or above which an unrecognised problem is critical; None: never critical."""
    tuning: Tuning

    def formats(self) -> dict[str, int]:
        """Lines per input format over every training source."""
        out: dict[str, int] = {}
        for s in self.trained_on:
            for fmt, n in s.formats.items():
                out[fmt] = out.get(fmt, 0) + n
        return out

    def describe(self) -> str:
        """``repo (192 cases) + dev (60 cases)``: what the classifier learned from."""
        return " + ".join(f"{s.name} ({s.cases} cases)" for s in self.trained_on)


def read_bundle(path: Path) -> LocalBundle:
    """Load a bundle written by ``write_bundle``.

    Raises:
        UsageError: the file is missing, is not a local-model bundle, or is of another format.
    """
    if not path.is_file():
        raise UsageError(f"local model file not found: {path} (train one: tasseograph-eval train --model local ...)")
    try:
        bundle = LocalBundle.model_validate_json(path.read_bytes())
    except ValidationError as exc:
        raise UsageError(f"{path} is not a tasseograph local-model bundle (format {BUNDLE_FORMAT}): "
                         f"{exc.errors()[0]['msg']}; retrain it") from None
    return bundle


def write_bundle(bundle: LocalBundle, path: Path) -> None:
    """Write ``bundle`` as JSON, atomically (a concurrent reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(bundle.model_dump_json())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
