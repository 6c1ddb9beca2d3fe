"""Redaction: what is replaced, what is left alone, stability, and exact restore."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tasseograph.redact import Redactor

LINES = [
    "web-01 kernel: e1000e eth0: link to 10.0.0.7 down",
    "IN=eth0 OUT= MAC=00:1b:21:aa:bb:cc:00:11:22:33:44:55:08:00 SRC=192.168.1.20 DST=10.0.0.7 LEN=60",
    "ixgbe 0000:03:00.0 eth1: MAC address 00:1b:21:aa:bb:cc",
    "IPv6: fe80::1ff:fe23:4567:890a%eth0 and 2001:db8::8a2e:370:7334",
    "usb 1-1.4: SerialNumber: 4C530001230925110382",
    "mpt3sas_cm0: serial_number(SV12345678), S/N: XYZ98765",
    "zfs: vdev /dev/disk/by-id/ata-ST4000DM000-1F2168_Z3020XXX-part1 faulted",
    'audit: type=1400 apparmor="DENIED" name="/home/bob/.ssh/id_rsa" AUID="carol" UID="root" user=alice',
    "literal placeholder <IP-1> in the log",
]


def test_round_trip_is_exact() -> None:
    r = Redactor(hosts=["web-01.example.com"], users=["alice"])
    for line in LINES:
        assert r.restore(r.redact(line)) == line


@pytest.mark.parametrize(
    ("line", "gone"),
    [
        (LINES[0], ["web-01", "10.0.0.7"]),
        (LINES[1], ["00:1b:21", "192.168.1.20", "10.0.0.7"]),
        (LINES[2], ["00:1b:21:aa:bb:cc"]),
        (LINES[3], ["fe80::", "2001:db8"]),
        (LINES[4], ["4C530001230925110382"]),
        (LINES[5], ["SV12345678", "XYZ98765"]),
        (LINES[6], ["Z3020XXX"]),
        (LINES[7], ["bob", "carol", "alice"]),
    ],
)
def test_identifying_values_are_replaced(line: str, gone: list[str]) -> None:
    redacted = Redactor(hosts=["web-01.example.com"], users=["alice"]).redact(line)
    assert not [g for g in gone if g in redacted], redacted


def test_labels_are_kept_and_placeholders_have_the_documented_shape() -> None:
    r = Redactor(hosts=["web-01"])
    assert r.redact("usb 1-1.4: SerialNumber: 4C530001230925110382") == "usb 1-1.4: SerialNumber: <SERIAL-1>"
    assert r.redact("web-01 eth0: 10.0.0.7 00:1b:21:aa:bb:cc") == "<HOST-1> eth0: <IP-1> <MAC-1>"
    assert r.redact('name="/home/bob/x"') == 'name="/home/<USER-1>/x"'


def test_same_value_same_placeholder_and_distinct_values_distinct() -> None:
    r = Redactor()
    a = r.redact("SRC=10.0.0.1 DST=10.0.0.2")
    b = r.redact("DST=10.0.0.2 SRC=10.0.0.1")
    assert a == "SRC=<IP-1> DST=<IP-2>" and b == "DST=<IP-2> SRC=<IP-1>"


def test_literal_placeholder_in_input_does_not_break_restore() -> None:
    r = Redactor()
    redacted = r.redact("10.0.0.1 then <IP-1>")
    assert redacted == "<IP-1> then <IP-2>" and r.restore(redacted) == "10.0.0.1 then <IP-1>"


def test_restore_keeps_unknown_placeholders() -> None:
    assert Redactor().restore("<IP-9> <MAC-1>") == "<IP-9> <MAC-1>"


@pytest.mark.parametrize(
    "line",
    [
        "pcieport 0000:00:1c.0: AER: Corrected error received: 0000:03:00.0",
        "mce: [Hardware Error]: CPU 0: Machine Check: 0 Bank 5: be00000000800400",
        "mce: [Hardware Error]: TSC 0 ADDR 1fe3c4000 MISC 2140040486 PROCESSOR 0:306f2 TIME 1578905113",
        "Linux version 4.19.0-17-amd64 (gcc version 8.3.0 (Debian 8.3.0-6))",
        "i40e 0000:3b:00.0: fw 6.0.48442 api 1.7 nvm 6.01 0x800035da 1.1747.0",
        "mlx5_core 0000:5e:00.0: firmware version: 14.27.1016",
        "bnxt_en: firmware version 1.2.3.4 loaded",
        "Dec  2 06:50:00 localhost kernel: [ 5874.479275] RIP: 0010:foo+0x12/0x340",
        "usb 1-1.4: New USB device strings: Mfr=1, Product=2, SerialNumber=3",
        "Serial: 8250/16550 driver, 4 ports, IRQ sharing enabled",
        "sd 2:0:0:0: [sdb] tag#12 FAILED Result: hostbyte=DID_OK driverbyte=DRIVER_SENSE",
        "EDAC MC0: 1 CE memory read error on CPU_SrcID#0_Ha#0_Chan#1_DIMM#0 (channel:1 slot:0 page:0x4a2 offset:0x0)",
        "lo: 127.0.0.1 mask 255.255.255.0 any 0.0.0.0",
        "session for user=root",
    ],
)
def test_no_false_redaction(line: str) -> None:
    assert Redactor(hosts=["localhost", "web-01"]).redact(line) == line


def test_short_or_generic_host_names_are_not_redacted_as_words() -> None:
    r = Redactor(hosts=["db", "localhost"])
    assert r.redact("db: sdb ok on localhost") == "db: sdb ok on localhost"


def test_dev_set_round_trips(shared) -> None:  # type: ignore[no-untyped-def]
    r = Redactor(hosts=["host-1"])
    for raw in (shared / "datasets/dmesg-real/dev.jsonl").read_text(encoding="utf-8").splitlines():
        text = json.loads(raw)["text"]
        assert r.restore(r.redact(text)) == text


# --- the marked corpus (issue 8, item 5) -------------------------------------------------------

CORPUS = Path(__file__).parent / "data" / "redaction_corpus.txt"
CORPUS_HOST = "web-07.dc1.example.net"
_MARK = re.compile(r"⟦(\w+):(.*?)⟧")


def corpus() -> list[tuple[str, list[tuple[str, str]]]]:
    """``(plain line, [(kind, value), ...])`` for every corpus line; kind ``keep`` must survive."""
    out = []
    for raw in CORPUS.read_text(encoding="utf-8").splitlines():
        if raw.strip() and not raw.startswith("#"):
            out.append((_MARK.sub(lambda m: m.group(2), raw), _MARK.findall(raw)))
    return out


def corpus_share(redactor_for: Any = lambda: Redactor(hosts=[CORPUS_HOST])) -> dict[str, tuple[int, int]]:
    """Per kind, ``(values handled right, values marked)``: secrets gone, ``keep`` values still there."""
    share: dict[str, tuple[int, int]] = {}
    for line, marks in corpus():
        out = redactor_for().redact(line)
        for kind, value in marks:
            right = (value in out) if kind == "keep" else (value not in out)
            done, total = share.get(kind, (0, 0))
            share[kind] = (done + right, total + 1)
    return share


def test_corpus_covers_every_kind_of_secret() -> None:
    kinds = {kind for _, marks in corpus() for kind, _ in marks}
    assert kinds == {"IP", "MAC", "WWN", "SERIAL", "HOST", "USER", "keep"}


@pytest.mark.parametrize(("line", "marks"), corpus(), ids=lambda v: v[:60] if isinstance(v, str) else "")
def test_corpus_line_is_redacted_and_restored(line: str, marks: list[tuple[str, str]]) -> None:
    r = Redactor(hosts=[CORPUS_HOST])
    out = r.redact(line)
    leaked = [(k, v) for k, v in marks if k != "keep" and v in out]
    lost = [v for k, v in marks if k == "keep" and v not in out]
    assert not leaked and not lost, out
    assert r.restore(out) == line


def test_corpus_share_caught_is_complete() -> None:
    share = corpus_share()
    assert {k: done for k, (done, _) in share.items()} == {k: total for k, (_, total) in share.items()}
