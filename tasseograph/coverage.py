"""The catalogue's coverage table: kernel subsystem -> message forms -> signal, as data.

``tasseograph/data/coverage.toml`` says, for each kernel hardware-error path the catalogue was
built from, which source files were read and which message forms map to which signal.
``render_coverage`` turns it into the Markdown table committed as ``data/coverage.md``, with
each signal's example and severity rule taken from ``signals.toml`` so the two never disagree.
Regenerate it with ``python -m tasseograph.coverage > tasseograph/data/coverage.md``.
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Sequence
from functools import cache

from pydantic import BaseModel, ConfigDict, Field

from tasseograph.signals import DATA_DIR, SignalSpec, load_signals

COVERAGE_FILE = DATA_DIR / "coverage.toml"
"""The coverage table (package data)."""


class Form(BaseModel):
    """One message form of a subsystem and the signal it maps to."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    form: str
    """The message form, in the kernel's words (Markdown)."""
    signal: str
    """Catalogue id of the signal that recognises it."""
    example: str | None = None
    """Which of the signal's examples shows this form (default: its first)."""


class Subsystem(BaseModel):
    """One kernel hardware-error path (a table ``[[subsystem]]`` in ``coverage.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    sources: list[str] = Field(min_length=1)
    """Kernel (or out-of-tree driver) files whose format strings were read."""
    forms: list[Form] = Field(min_length=1)


class _CoverageFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subsystem: list[Subsystem]


@cache
def load_coverage() -> tuple[Subsystem, ...]:
    """The coverage table (validated: every form names a catalogue signal; cached)."""
    data = tomllib.loads(COVERAGE_FILE.read_text(encoding="utf-8"))
    subsystems = tuple(_CoverageFile.model_validate(data).subsystem)
    check_forms(subsystems)
    return subsystems


def check_forms(subsystems: Sequence[Subsystem]) -> None:
    """Raise ValueError when a form names no catalogue signal or an example the signal lacks."""
    known = {s.id for s in load_signals()}
    unknown = sorted({f.signal for sub in subsystems for f in sub.forms} - known)
    if unknown:
        raise ValueError(f"coverage.toml: forms name signals that signals.toml does not have: {unknown}")
    examples = {s.id: s.examples for s in load_signals()}
    foreign = [f.example for sub in subsystems for f in sub.forms if f.example and f.example not in examples[f.signal]]
    if foreign:
        raise ValueError(f"coverage.toml: a form's example must be one of its signal's examples: {foreign}")


def severity_rule(spec: SignalSpec) -> str:
    """The entry's severity rule in words (Markdown), from its catalogue fields."""
    rules: list[str] = []
    if spec.min_count > 1:
        rules.append(f"reported from {spec.min_count} occurrences")
    if spec.escalate_at:
        window = f" within {spec.window_s:g} s" if spec.window_s else ""
        rules.append(f"critical at {spec.escalate_at} in one episode{window}")
    if spec.decode == "mci_status":
        rules.append("critical when MCi_STATUS bit 61 (UC) is set")
    if spec.critical_if:
        rules.append("critical if the record shows " + " or ".join(_code(p) for p in spec.critical_if))
    if spec.critical_with:
        rules.append("critical beside " + ", ".join(_code(i) for i in spec.critical_with))
    if spec.resolve:
        after = f", then {spec.resolved_severity}" if spec.resolved_severity else ""
        rules.append(f"a recovery line closes it{after}")
    if spec.min_uptime_s is not None:
        rules.append(f"ignored in the first {spec.min_uptime_s:g} s after boot")
    return "; ".join([f"**{spec.severity}**", *rules])


def _code(text: str) -> str:
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_coverage() -> str:
    """``coverage.md``: a summary, then one table per subsystem (form, signal, rule, example)."""
    specs = {s.id: s for s in load_signals()}
    subsystems = load_coverage()
    out = [
        "# Signal catalogue coverage",
        "",
        "Generated from `coverage.toml` and `signals.toml` by "
        "`python -m tasseograph.coverage > tasseograph/data/coverage.md`; do not edit by hand.",
        "Each subsystem lists the kernel files whose format strings were read, the message forms the",
        "catalogue recognises, the signal they map to, its severity rule (severity of one occurrence,",
        "then what changes it) and the entry's first example, as the kernel prints it.",
        "",
        "| subsystem | message forms | signals |",
        "|---|---|---|",
    ]
    for sub in subsystems:
        out.append(f"| {sub.name} | {len(sub.forms)} | {len({f.signal for f in sub.forms})} |")
    for sub in subsystems:
        out += ["", f"## {sub.name}", "", "Sources read: " + ", ".join(f"`{s}`" for s in sub.sources) + ".", ""]
        out += ["| message form | signal | severity rule | example |", "|---|---|---|---|"]
        for form in sub.forms:
            spec = specs[form.signal]
            out.append(
                f"| {_cell(form.form)} | `{spec.id}` ({spec.category}) | {severity_rule(spec)} | {_code(form.example or spec.examples[0])} |"
            )
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render_coverage())
