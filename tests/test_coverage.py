"""The coverage table: every kernel path issue 12 names is covered, every form maps to a real
signal, every signal is accounted for, and the committed Markdown is the rendering of the data."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from tasseograph.coverage import (
    COVERAGE_FILE,
    Subsystem,
    check_forms,
    load_coverage,
    render_coverage,
    severity_rule,
)
from tasseograph.signals import load_signals

# The hardware-error reporting paths issue 12 asks the catalogue to be built from.
REQUIRED_SUBSYSTEMS = (
    "EDAC drivers and MCE decoding",
    "PCIe AER/DPC",
    "NVMe core and PCI",
    "libata/ATA",
    "SCSI sense and mid-layer",
    "md/raid and device-mapper",
    "Block layer I/O errors",
    "ext4/xfs/btrfs I/O and journal errors",
    "Hung task and lockup detectors",
    "NIC drivers: TX timeout, reset and link",
    "GPU driver resets and NVIDIA Xid",
    "Thermal and power",
    "Firmware and ACPI/APEI/GHES",
)

COVERAGE = load_coverage()
BY_NAME = {s.name: s for s in COVERAGE}


@pytest.mark.parametrize("name", REQUIRED_SUBSYSTEMS)
def test_every_required_subsystem_has_forms_and_sources(name: str) -> None:
    sub = BY_NAME[name]
    assert sub.forms and sub.sources


def test_every_form_names_a_signal_and_every_signal_is_listed() -> None:
    ids = {s.id for s in load_signals()}
    listed = {f.signal for sub in COVERAGE for f in sub.forms}
    assert listed <= ids
    assert ids - listed == set(), "signals missing from coverage.toml"


def test_committed_markdown_is_the_rendering() -> None:
    committed = (COVERAGE_FILE.parent / "coverage.md").read_text(encoding="utf-8")
    assert committed == render_coverage(), "regenerate: python -m tasseograph.coverage > tasseograph/data/coverage.md"


def test_rendering_shows_each_form_with_its_example_and_rule() -> None:
    text = render_coverage()
    for sub in COVERAGE:
        assert f"## {sub.name}" in text
    nvme = next(s for s in load_signals() if s.id == "nvme.timeout")
    assert severity_rule(nvme).startswith("**warning**; critical at 3 in one episode; critical if the record shows")
    assert "| `nvme.timeout` (storage) |" in text


def test_a_form_must_name_a_known_signal_and_carry_sources() -> None:
    with pytest.raises(ValidationError):
        Subsystem.model_validate({"name": "x", "sources": [], "forms": [{"form": "f", "signal": "edac.ce"}]})
    with pytest.raises(ValidationError):
        Subsystem.model_validate({"name": "x", "sources": ["a.c"], "forms": [{"form": "f", "signal": "edac.ce", "rule": "r"}]})


def test_forms_naming_unknown_signals_or_foreign_examples_are_rejected() -> None:
    ghost = Subsystem.model_validate({"name": "x", "sources": ["a.c"], "forms": [{"form": "f", "signal": "edac.cee"}]})
    with pytest.raises(ValueError, match=r"edac\.cee"):
        check_forms([ghost])
    foreign = Subsystem.model_validate(
        {"name": "x", "sources": ["a.c"], "forms": [{"form": "f", "signal": "edac.ce", "example": "EDAC MC9: 1 CE made up"}]}
    )
    with pytest.raises(ValueError, match="one of its signal's examples"):
        check_forms([foreign])
    check_forms(COVERAGE)
