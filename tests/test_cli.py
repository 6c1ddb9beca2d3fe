"""The ``tasseograph analyze`` and ``scan`` commands: outputs, exit codes and one-line errors on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tasseograph.cli import main
from tasseograph.schema import Verdict

UE = "[ 5012.331245] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xe16677 offset:0x0 grain:32 -  err_code:0000:009f socket:0 imc:0 rank:0)\n"


def run(args: list[str], data: bytes | str = b"") -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, input=data)
    return result.exit_code, result.stdout, result.stderr


def test_stdin_text_names_the_model_used() -> None:
    code, out, _ = run(["analyze", "-"], "[    1.000000] Linux version 6.1.0\n")
    assert code == 0 and "model=rules" in out


def test_json_format_prints_exactly_one_verdict() -> None:
    code, out, _ = run(["analyze", "-", "--format", "json"], UE)
    assert code == 0
    verdict = Verdict.model_validate(json.loads(out))
    assert verdict.model == "rules"


def test_fail_on_critical_sets_exit_code() -> None:
    code, _, _ = run(["analyze", "-", "--fail-on", "critical"], UE)
    assert code == 1


def test_empty_input_is_ok_and_skipped() -> None:
    code, out, _ = run(["analyze", "-", "--format", "json"], b"")
    assert code == 0 and json.loads(out)["skipped"] is True


@pytest.mark.parametrize(
    "data",
    [
        b"\x00\x01\x02\xff\xfe binary \x00 junk\n" * 10,
        b"[    1.0] caf\xe9 invalid utf-8 \xc3\x28\n",
        b"\x1b[31m[    2.0] colored\x1b[0m line\n",
        b"[    3.0] " + b"A" * 2_000_000 + b"\n",
    ],
    ids=["binary", "invalid-utf8", "ansi", "long-line"],
)
def test_bad_bytes_give_a_clean_verdict(data: bytes) -> None:
    code, out, err = run(["analyze", "-", "--format", "json"], data)
    assert code == 0, err
    assert Verdict.model_validate(json.loads(out)).status in {"ok", "warning", "critical"}


def test_unknown_model_is_one_line_and_exit_2() -> None:
    code, out, err = run(["analyze", "-", "--model", "gpt-nonsense"], UE)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: unknown model")


def test_unknown_prompt_is_one_line_and_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000")
    code, _, err = run(["analyze", "-", "--model", "anthropic:claude-haiku-4-5", "--prompt", "nope-v9"], UE)
    assert code == 2 and err.count("\n") == 1 and "prompt" in err


def test_missing_api_key_is_one_line_naming_the_env_var() -> None:
    code, _, err = run(["analyze", "-", "--model", "anthropic:claude-haiku-4-5"], UE)
    assert code == 2 and err.count("\n") == 1 and "ANTHROPIC_API_KEY" in err


def test_missing_file_is_a_click_error(tmp_path: Path) -> None:
    code, _, err = run(["analyze", str(tmp_path / "absent.log")])
    assert code == 2 and "No such file" in err


def test_long_input_is_analyzed_in_chunks_without_losing_a_signal() -> None:
    filler = "".join(f"[ {i}.000000] systemd[1]: Started session {i}.\n" for i in range(1, 450))
    code, out, _ = run(["analyze", "-", "--format", "json", "--chunk-lines", "100"], filler + UE + filler)
    verdict = Verdict.model_validate(json.loads(out))
    assert code == 0 and verdict.status == "critical"
    assert verdict.compression.lines_in == 449 * 2 + 1


def test_chunk_size_does_not_change_the_verdict() -> None:
    text = "".join(f"[ {i}.0] usb 1-{i}: new high-speed USB device number {i} using xhci_hcd\n" for i in range(300)) + UE
    one = Verdict.model_validate(json.loads(run(["analyze", "-", "--format", "json"], text)[1]))
    many = Verdict.model_validate(json.loads(run(["analyze", "-", "--format", "json", "--chunk-lines", "100"], text)[1]))
    assert (one.status, [f.summary for f in one.findings]) == (many.status, [f.summary for f in many.findings])


# --- tasseograph scan ------------------------------------------------------------------------

CE = "[ 6012.0] EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#2_DIMM#0 (channel:2 slot:0 page:0x849923)\n"
NOISE = "".join(f"[ {i}.0] systemd[1]: Started Session {i} of User root.\n" for i in range(1, 31))


def test_scan_text_lists_counts_signals_and_templates() -> None:
    code, out, _ = run(["scan", "-"], NOISE + UE + CE + CE)
    assert code == 0
    head, *rest = out.splitlines()
    assert head.startswith("CRITICAL") and "lines=33" in head and "signal=3" in head and "boring=30" in head
    assert any("edac.ue" in line and "critical" in line and line.split()[0] == "1" for line in rest)
    assert any("edac.ce" in line and "warning" in line and line.split()[0] == "2" for line in rest)
    assert ["30", "systemd[<N>]: Started Session <N> of User root."] in [line.split(None, 1) for line in rest]


def test_scan_json_is_the_bulk_summary() -> None:
    from tasseograph.bulk import BulkSummary

    code, out, _ = run(["scan", "-", "--format", "json", "--top", "1"], NOISE + CE)
    summary = BulkSummary.model_validate(json.loads(out))
    assert code == 0 and summary.lines == 31 and summary.boring_lines == 30
    assert [(s.signal_id, s.lines) for s in summary.signals] == [("edac.ce", 1)]
    assert [(t.template, t.lines) for t in summary.top_templates] == [("systemd[<N>]: Started Session <N> of User root.", 30)]
    assert summary.templates == 2


@pytest.mark.parametrize(
    ("data", "fail_on", "code"),
    [
        (UE, "critical", 1),
        (UE, "warning", 1),
        (CE, "warning", 1),
        (CE, "critical", 0),
        (NOISE, "warning", 0),
        (UE, "never", 0),
    ],
)
def test_scan_fail_on_follows_the_worst_signal(data: str, fail_on: str, code: int) -> None:
    assert run(["scan", "-", "--fail-on", fail_on], NOISE + data)[0] == code


def test_scan_text_clips_long_templates() -> None:
    code, out, _ = run(["scan", "-"], b"[    3.0] " + b"A" * 100_000 + b"\n")
    assert code == 0 and max(len(line) for line in out.splitlines()) < 200


@pytest.mark.parametrize(
    "data",
    [b"", b"\x00\x01\x02\xff\xfe binary \x00 junk\n" * 10, b"[    1.0] caf\xe9 invalid utf-8 \xc3\x28\n"],
    ids=["empty", "binary", "invalid-utf8"],
)
def test_scan_bad_bytes_give_a_summary(data: bytes) -> None:
    code, out, err = run(["scan", "-", "--format", "json", "--fail-on", "warning"], data)
    assert code == 0, err
    assert json.loads(out)["lines"] == data.count(b"\n")


def test_scan_unreadable_input_is_one_line_and_exit_2() -> None:
    if not Path("/proc/self/mem").exists():
        pytest.skip("needs Linux /proc: opening works, reading fails")
    code, out, err = run(["scan", "/proc/self/mem"])
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("error: cannot read the input")


def test_scan_negative_top_is_a_click_error() -> None:
    code, _, err = run(["scan", "-", "--top", "-1"], UE)
    assert code == 2 and "--top" in err


def test_scan_text_says_when_the_template_table_is_full() -> None:
    from tasseograph.bulk import BulkSummary, TemplateCount
    from tasseograph.cli import format_summary

    full = BulkSummary(lines=900, templates=3, template_error=250, top_templates=[TemplateCount(template="a <N>", lines=400, error=250)])
    assert "templates=3+ (counts +-250)" in format_summary(full).splitlines()[0]
    assert "templates=3  " in format_summary(full.model_copy(update={"template_error": 0})).splitlines()[0]
