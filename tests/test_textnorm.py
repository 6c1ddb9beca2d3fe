"""Unicode evasion: look-alike and invisible characters cannot hide a line from the catalogue.

Every disguise below fooled the catalogue before ``textnorm.fold`` (issue 8, item 8): the line
must still be a signal, on the per-delta path and the bulk path alike, with its evidence kept as
received and the finding flagged as normalised.
"""

from __future__ import annotations

import unicodedata

import pytest
from pydantic import ValidationError

import tasseograph
from tasseograph.bulk import scan_bytes
from tasseograph.parsing import parse_delta
from tasseograph.signals import classify, detect, is_boring, load_noise, load_signals, scan
from tasseograph.stages import prefilter_reason
from tasseograph.textnorm import _ConfusablesFile, confusables, fold, fold_array, needs_fold

UE = "EDAC MC0: 1 UE memory read error on CPU_SrcID#0_Ha#0_Chan#0_DIMM#0"
DISGUISES = {
    "cyrillic capital ie": UE.replace("E", "\u0415", 1),
    "greek capital epsilon": UE.replace("E", "\u0395", 1),
    "zero-width space": UE.replace("EDAC", "ED\u200bAC"),
    "soft hyphen": UE.replace("EDAC", "ED\u00adAC"),
    "word joiner and zero-width joiner": UE.replace("EDAC", "E\u2060D\u200dAC"),
    "bidi override": UE.replace("EDAC", "\u202eEDAC\u202c"),
    "fullwidth": UE.replace("EDAC", "\uff25\uff24\uff21\uff23"),
    "combining accent": UE.replace("EDAC", "E\u0301DAC"),
    "mathematical bold": UE.replace("EDAC", "\U0001d404\U0001d403\U0001d400\U0001d402"),
}
EXAMPLES = [e for s in load_signals() for e in s.examples]


@pytest.mark.parametrize("name", sorted(DISGUISES))
def test_disguised_line_is_still_the_signal(name: str) -> None:
    line = DISGUISES[name]
    assert classify(line) == "edac.ue"
    assert scan([line]).signal_ids == ("edac.ue",)
    assert not is_boring(line)


@pytest.mark.parametrize("name", sorted(DISGUISES))
def test_detect_keeps_the_original_as_evidence_and_flags_it(name: str) -> None:
    raw = f"[ 812.204311] {DISGUISES[name]}"
    delta = parse_delta(raw + "\n[ 813.000000] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n")
    (hit,) = detect(delta.lines)
    assert hit.signal_id == "edac.ue" and hit.severity == "critical"
    assert hit.evidence == (raw,)
    assert hit.normalized
    assert prefilter_reason(delta, [hit]) is None


def test_verdict_finding_is_flagged_and_the_plain_line_is_not() -> None:
    verdict = tasseograph.analyze(f"[ 5.0] {DISGUISES['cyrillic capital ie']}\n", model="rules")
    (finding,) = verdict.findings
    assert verdict.status == "critical" and finding.normalized
    assert "\u0415DAC" in finding.evidence
    plain = tasseograph.analyze(f"[ 5.0] {UE}\n", model="rules")
    assert plain.status == "critical" and not plain.findings[0].normalized


def test_only_lines_that_needed_folding_are_flagged() -> None:
    # Look-alikes in words the pattern does not need: the line matched anyway, nothing to flag.
    raw = "[ 5.0] " + UE.replace("memory", "m\u0435m\u043ery")
    (hit,) = detect(parse_delta(raw + "\n").lines)
    assert hit.signal_id == "edac.ue" and not hit.normalized and hit.evidence == (raw,)


def test_legitimate_non_ascii_is_not_flagged() -> None:
    # A degree sign or a vendor name with an accent changes nothing the catalogue matches.
    line = "[ 9.0] CPU0: Core temperature above threshold, cpu clock throttled (total events = 1) 95\u00b0C"
    delta = parse_delta(line + "\n")
    hits = detect(delta.lines)
    assert hits and not any(h.normalized for h in hits)
    assert not needs_fold("95\u00b0C")


def test_ascii_is_returned_untouched() -> None:
    text = "nvme nvme0: I/O 12 QID 3 timeout, aborting"
    assert fold(text) is text
    assert not needs_fold(text)


def test_fold_is_idempotent_on_every_disguise() -> None:
    for line in DISGUISES.values():
        assert fold(fold(line)) == fold(line) == UE


def test_bulk_path_counts_disguised_lines_like_the_per_delta_path() -> None:
    text = "".join(f"[ {i}.0] {line}\n" for i, line in enumerate(DISGUISES.values(), start=1))
    text += "[ 99.0] usb 1-1: new high-speed USB device number 2 using xhci_hcd\n"
    summary = scan_bytes(text.encode(), chunk_lines=3)
    per_line = [classify(line.message) for line in parse_delta(text).lines]
    assert summary.signal_lines == sum(sid is not None for sid in per_line) == len(DISGUISES)
    assert [(s.signal_id, s.lines) for s in summary.signals] == [("edac.ue", len(DISGUISES))]
    assert summary.boring_lines == 1


def test_fold_array_leaves_ascii_arrays_alone_and_folds_the_rest() -> None:
    import pyarrow as pa

    ascii_only = pa.array(["a", "b", None])
    assert fold_array(ascii_only) is ascii_only
    mixed = pa.array(["a", DISGUISES["soft hyphen"], None])
    assert fold_array(mixed).to_pylist() == ["a", UE, None]
    # A slice shares its parent's buffer, non-ASCII bytes outside it included: still right.
    assert fold_array(mixed.slice(0, 1)).to_pylist() == ["a"]
    assert fold_array(pa.chunked_array([ascii_only, mixed])).to_pylist() == ["a", "b", None, "a", UE, None]


# --- the look-alike table, entry by entry -------------------------------------------------------


def _carrier(letter: str) -> tuple[str, str | None]:
    """A catalogue example (signal, else noise) holding ``letter``, and what it classifies as."""
    for example in EXAMPLES:
        if letter in example:
            return example, classify(example)
    for spec in load_noise():
        for example in spec.examples:
            if letter in example:
                return example, "boring"
    return "", None


@pytest.mark.parametrize(("char", "letter"), sorted(confusables().items()))
def test_each_look_alike_folds_and_cannot_hide_a_line(char: str, letter: str) -> None:
    assert fold(char) == letter
    assert unicodedata.normalize("NFKC", char) != letter  # the table is needed for it
    example, expected = _carrier(letter)
    if not example:
        pytest.skip(f"no catalogue example holds {letter!r}")
    disguised = example.replace(letter, char)
    if expected == "boring":
        assert is_boring(disguised)
    else:
        assert classify(disguised) == expected


def test_table_loader_rejects_bad_entries() -> None:
    for table in ({"E": "E"}, {"\u0415": "EE"}, {"\u0415": "3"}, {"\uff25": "E"}):
        with pytest.raises(ValidationError):
            _ConfusablesFile.model_validate({"fold": table})
