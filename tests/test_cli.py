"""The ``tasseograph analyze`` and ``scan`` commands: outputs, exit codes and one-line errors on bad input."""

from __future__ import annotations

import json
import socket
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import tasseograph
from tasseograph.cli import EXIT_DEGRADED, main
from tasseograph.errors import ModelTimeout
from tasseograph.models.registry import unregister
from tasseograph.schema import Verdict
from tasseograph.testing import FakeModel
from tests.fakeapi import TEST_KEY, FakeAPIServer

UE = "[ 5012.331245] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 (channel:0 slot:0 page:0xe16677 offset:0x0 grain:32 -  err_code:0000:009f socket:0 imc:0 rank:0)\n"


def run(args: list[str], data: bytes | str = b"") -> tuple[int, str, str]:
    result = CliRunner().invoke(main, args, input=data)
    return result.exit_code, result.stdout, result.stderr


def test_stdin_text_names_the_model_used() -> None:
    code, out, _ = run(["analyze", "-"], "[    1.000000] Linux version 6.1.0\n")
    assert code == 0 and "model=local" in out


def test_json_format_prints_exactly_one_verdict() -> None:
    code, out, _ = run(["analyze", "-", "--format", "json"], UE)
    assert code == 0
    verdict = Verdict.model_validate(json.loads(out))
    assert verdict.model == "local"


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


def test_a_signal_seen_in_every_chunk_is_one_finding_with_its_total_count_and_span() -> None:
    blocks = []
    for b in range(3):
        blocks += [f"[ {b * 1000 + i}.000000] systemd[1]: Started session {b * 100 + i}.\n" for i in range(1, 60)]
        blocks += [f"[ {b * 1000 + 70 + i}.250000] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 "
                   f"(channel:0 slot:0 page:0x{0xe16677 + 97 * b + i:x} offset:0x0 grain:32)\n" for i in range(2)]
    text = "".join(blocks)
    whole = Verdict.model_validate(json.loads(run(["analyze", "-", "--format", "json"], text)[1]))
    chunked = Verdict.model_validate(json.loads(run(["analyze", "-", "--format", "json", "--chunk-lines", "100"], text)[1]))

    def by_signal(v: Verdict) -> dict[str | None, list[tuple[int, float | None, float | None]]]:
        out: dict[str | None, list[tuple[int, float | None, float | None]]] = {}
        for f in v.findings:
            span = (f.first_seen.monotonic if f.first_seen else None, f.last_seen.monotonic if f.last_seen else None)
            out.setdefault(f.signal_id, []).append((f.count, *span))
        return out

    assert by_signal(chunked) == by_signal(whole)
    ((count, first, last),) = next(fs for sid, fs in by_signal(chunked).items() if sid and "edac" in sid)
    assert (count, first, last) == (6, 70.25, 2071.25)


def test_text_output_shows_the_count_and_the_span_of_a_finding() -> None:
    lines = "".join(f"[ {1000 + i}.500000] EDAC MC0: 1 UE memory read error on CPU_SrcID#0_MC#0_Chan#0_DIMM#0 "
                    f"(channel:0 slot:0 page:0x{0x1b2c3 + i:x} offset:0x0 grain:32)\n" for i in range(3))
    _, out, _ = run(["analyze", "-"], lines)
    assert "x3, 1000.5s..1002.5s" in out


def test_journal_json_evidence_is_the_message_not_the_record() -> None:
    message = UE.split("] ", 1)[1].rstrip("\n")
    record = {"__CURSOR": "s=9f1c;i=4a21", "__REALTIME_TIMESTAMP": "1733500000123456", "PRIORITY": "2",
              "_HOSTNAME": "db-17", "SYSLOG_FACILITY": "0", "_TRANSPORT": "kernel", "MESSAGE": message}
    code, out, _ = run(["analyze", "-", "--format", "json"], json.dumps(record) + "\n")
    verdict = Verdict.model_validate(json.loads(out))
    assert code == 0 and verdict.status == "critical" and verdict.host == "db-17"
    assert [f.evidence for f in verdict.findings] == [message]


# --- input that is no kernel log -------------------------------------------------------------


def _png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")

    rows = (b"\x00" + b"".join(bytes([x * 31 % 256, y * 29 % 256, 90]) for x in range(8)) for y in range(8))
    pixels = zlib.compress(b"".join(rows))
    header = (8).to_bytes(4, "big") * 2 + bytes([8, 2, 0, 0, 0])
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    "data",
    [Path(sys.executable).resolve().read_bytes()[:300_000], _png(),
     b"root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"],
    ids=["executable", "png", "passwd"],
)
def test_input_that_is_no_kernel_log_warns_on_one_line_and_still_gets_a_verdict(data: bytes) -> None:
    code, out, err = run(["analyze", "-", "--format", "json"], data)
    assert code == 0
    assert err.count("\n") == 1 and err.startswith("warning: ") and "does not look like a kernel log" in err
    assert Verdict.model_validate(json.loads(out)).status in {"ok", "warning", "critical"}


def test_a_kernel_log_gets_no_warning() -> None:
    plain = "".join(line.split("] ", 1)[1] for line in [UE, "[ 1.0] nvme nvme0: I/O 42 QID 3 timeout, aborting\n"])
    for data in (UE, plain):
        assert run(["analyze", "-"], data)[2] == ""


# --- a model that failed: degraded verdicts --------------------------------------------------


@pytest.fixture
def failing_model() -> Iterator[FakeModel]:
    fake = FakeModel(default="unused", name="fake")
    fake.queue.extend([ModelTimeout("fake: no answer within 60s after 2 retries", retryable=True)] * 4)
    tasseograph.register("fake", fake.factory, replace=True)
    yield fake
    unregister("fake")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_unreachable_model_on_a_clean_log_is_degraded_not_ok(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{_closed_port()}/v1")
    clean = "[    1.000000] Linux version 6.8.0-45-generic\n[    2.500000] mydrv 0000:03:00.0: odd state 7\n"
    code, out, _ = run(["analyze", "-", "--model", "openai:qwen3", "--fail-on", "warning"], clean)
    assert code == EXIT_DEGRADED
    first = out.splitlines()[0]
    assert first.startswith("OK DEGRADED") and "unreachable" in first and "model=openai:qwen3" in first


def test_degraded_json_carries_the_structured_error(failing_model: FakeModel) -> None:
    code, out, _ = run(["analyze", "-", "--model", "fake", "--format", "json"], "[ 2.5] mydrv: odd state 7\n")
    data = json.loads(out)
    assert code == EXIT_DEGRADED and data["degraded"] is True
    assert data["model_error"] == {"kind": "timeout", "message": "fake: no answer within 60s after 2 retries",
                                   "retryable": True}


def test_allow_degraded_exits_0(failing_model: FakeModel) -> None:
    code, out, _ = run(["analyze", "-", "--model", "fake", "--allow-degraded"], "[ 2.5] mydrv: odd state 7\n")
    assert code == 0 and out.startswith("OK DEGRADED")


def test_fail_on_wins_when_the_signals_alone_reach_it(failing_model: FakeModel) -> None:
    code, out, _ = run(["analyze", "-", "--model", "fake", "--fail-on", "critical"], UE)
    assert code == 1 and out.startswith("CRITICAL DEGRADED")
    code, _, _ = run(["analyze", "-", "--model", "fake", "--fail-on", "critical"], "[ 2.5] mydrv: odd state 7\n")
    assert code == EXIT_DEGRADED  # the signals do not reach --fail-on: degraded still shows


def test_scan_help_states_the_librarys_default_top() -> None:
    from tasseograph.bulk import TOP_TEMPLATES

    assert f"(default {TOP_TEMPLATES})" in run(["scan", "--help"])[1]


def test_help_documents_the_exit_codes() -> None:
    _, out, _ = run(["analyze", "--help"])
    assert "3  degraded" in out and "--allow-degraded" in out


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


def test_examples_retrieved_puts_past_incidents_in_the_prompt(
        fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ANTHROPIC_BASE_URL", fake_api.url)
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    log = "[ 5012.1] nvme nvme2: I/O 412 QID 7 timeout, aborting\n[ 5042.8] nvme nvme2: I/O 412 QID 7 timeout, reset controller\n"
    code, out, err = run(["analyze", "--model", "anthropic:claude-haiku-4-5", "--examples", "retrieved", "-k", "2",
                          "--format", "json"], log)
    assert code == 0, err
    verdict = Verdict.model_validate_json(out)
    assert verdict.prompt and verdict.prompt.startswith("triage-v3@") and len(verdict.examples) == 2
    body = fake_api.requests[0].body
    assert json.dumps(body["messages"]).count("<past_incident n=") == 2
    assert TEST_KEY not in out + err


def test_examples_retrieved_with_a_prompt_that_cannot_show_them_is_one_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", "http://127.0.0.1:9")
    code, _, err = run(["analyze", "--model", "anthropic:claude-haiku-4-5", "--examples", "retrieved",
                        "--prompt", "triage-v1"], "[ 1.0] EDAC MC0: 1 UE memory read error\n")
    assert code == 2 and "triage-v3" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
