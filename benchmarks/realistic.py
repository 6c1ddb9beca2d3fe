"""Realistic benchmark inputs: real message forms with fresh values on every line.

A log replicated from a small sample repeats itself exactly, which flatters any path that
remembers what it has seen. These inputs do not: every line takes a real line (or message) of
the shared datasets as its form and gets fresh numbers, hex values, addresses, MACs, times and
node names, the way a fleet's logs differ from line to line.

- ``dmesg``: the messages of the healthy boot logs (``dmesg-real/noise``) and of the labelled
  dev set (``dmesg-real/dev.jsonl``), drawn at random, behind a rising ``[uptime]`` stamp.
  Device names (``sda``, ``eth0``, ``nvme0n1``) stay as they are: a host has few devices. The
  numbers of PCI addresses are fresh too, which real fleets (the same boards everywhere) do not
  do: the templates keep PCI addresses, so this input has more distinct templates than a real
  log -- a harder test of the bounded template table, not an easier one.
- ``bgl`` and ``thunderbird``: Loghub lines (label removed, as ``benchmarks.throughput`` reads
  them) with a fresh header -- epoch, dates and times from a running clock, a node name drawn
  from a space of about 170,000 (BGL locations ``R17-M0-N9-C:J05-U11``; Thunderbird ``cn1234``,
  ``local@tbird-admin7``) -- and fresh values in the message.

Run ``python -m benchmarks.realistic dmesg OUT --lines 1000000`` (or ``--megabytes 100``) to
write one. The data is generated, never committed; the forms come from ``../shared``.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

from benchmarks._common import shared_dir

KINDS = ("dmesg", "bgl", "thunderbird")
START = datetime(2026, 3, 2, 6, 0, 0, tzinfo=UTC).timestamp()

# Slots a message's fresh values go into, most specific first.
_SLOTS = re.compile(
    r"(?P<mac>\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b)"
    r"|(?P<ip>\b\d{1,3}(?:\.\d{1,3}){3}\b)"
    r"|(?P<hex0x>\b0[xX][0-9a-fA-F]+\b)"
    r"|(?P<hexlong>\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b)"
    r"|(?P<num>\b\d+\b)"
)

Form = tuple[tuple[str, ...], tuple[tuple[str, int], ...]]
"""Literal parts and the slots between them: (kind, width)."""


def form_of(text: str) -> Form:
    """Split ``text`` into literal parts and value slots (``literals[i]``, slot i, ``literals[i+1]``, ...)."""
    literals: list[str] = []
    slots: list[tuple[str, int]] = []
    last = 0
    for m in _SLOTS.finditer(text):
        literals.append(text[last : m.start()])
        slots.append((m.lastgroup or "num", len(m.group())))
        last = m.end()
    literals.append(text[last:])
    return tuple(literals), tuple(slots)


class Fresh:
    """Fresh values of each slot kind, of the original's width."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def value(self, kind: str, width: int) -> str:
        """One fresh value for a slot."""
        bits = self.rng.getrandbits
        if kind == "num":
            return str(bits(64) % 10**width).zfill(width) if width > 1 else str(bits(8) % 10)
        if kind == "hex0x":
            return "0x" + format(bits(4 * (width - 2)), f"0{width - 2}x")
        if kind == "hexlong":
            return format(bits(4 * width), f"0{width}x")
        if kind == "ip":
            return f"10.{bits(8)}.{bits(8)}.{bits(8)}"
        return ":".join(format(bits(8), "02x") for _ in range(6))  # mac

    def fill(self, form: Form) -> str:
        """The form with a fresh value in every slot."""
        literals, slots = form
        out = [literals[0]]
        for (kind, width), literal in zip(slots, literals[1:], strict=True):
            out.append(self.value(kind, width))
            out.append(literal)
        return "".join(out)

    def bgl_node(self) -> str:
        """A Blue Gene/L location code: rack, midplane, node card, card and unit."""
        r = self.rng.randrange
        return f"R{r(80):02d}-M{r(2)}-N{r(16):X}-{'CI'[r(2)]}:J{r(2, 19):02d}-U{(1, 11)[r(2)]:02d}"

    def thunderbird_node(self, shape: str) -> str:
        """A Thunderbird node name in the shape of the source line's (``cn12/cn12``, ``src@x``)."""
        r = self.rng.randrange
        if "@" in shape:
            return f"{shape.split('@', 1)[0]}@{('tbird-admin', 'tbird-sm', 'aadmin', 'badmin')[r(4)]}{r(1, 100)}"
        node = f"{'abcde'[r(5)]}n{r(1, 10_000)}"
        return f"{node}/{node}"


# --- sources -----------------------------------------------------------------------------------


def dmesg_forms() -> list[Form]:
    """Message forms of the healthy boot logs and the dev set."""
    from tasseograph.compress import message_text
    from tasseograph.parsing import parse_delta

    data = shared_dir() / "datasets" / "dmesg-real"
    texts = [f.read_bytes() for f in sorted((data / "noise").glob("*.log"))]
    dev = (data / "dev.jsonl").read_text(encoding="utf-8").splitlines()
    texts += [json.loads(line)["text"].encode("utf-8") for line in dev if line.strip()]
    messages = [message_text(line) for text in texts for line in parse_delta(text).lines]
    return [form_of(m) for m in messages if m]


def loghub_rests(name: str) -> list[tuple[str, Form]]:
    """For each Loghub line: the node field's shape and the form of the text after the header."""
    from tasseograph.eval.datasets import read_loghub

    path = shared_dir() / "datasets" / "loghub" / name / f"{name}_2k.log"
    # The header: BGL "epoch date node time node", Thunderbird "epoch date node Mon day time node".
    node_field = 4 if name == "BGL" else 6
    out = []
    for line in read_loghub(path):
        fields = line.text.split(" ")
        out.append((fields[node_field], form_of(" ".join(fields[node_field + 1 :]))))
    return out


# --- line generators -----------------------------------------------------------------------------


def dmesg_lines(rng: random.Random) -> Iterator[str]:
    """Endless dmesg lines: a rising uptime stamp and a real message form with fresh values."""
    forms, fresh, clock = dmesg_forms(), Fresh(rng), 0.0
    while True:
        clock += rng.random() * 0.002
        yield f"[{clock:12.6f}] {fresh.fill(rng.choice(forms))}"


def bgl_header(fresh: Fresh, t: datetime, _shape: str) -> str:
    """``epoch date node time node`` with a fresh Blue Gene/L location."""
    node = fresh.bgl_node()
    stamp = t.strftime("%Y-%m-%d-%H.%M.%S.") + f"{t.microsecond:06d}"
    return f"{int(t.timestamp())} {t:%Y.%m.%d} {node} {stamp} {node}"


def thunderbird_header(fresh: Fresh, t: datetime, shape: str) -> str:
    """``epoch date host Mon day time node`` with a fresh node in the source line's shape."""
    node = fresh.thunderbird_node(shape)
    host = node.split("/")[0].split("@")[-1]
    return f"{int(t.timestamp())} {t:%Y.%m.%d} {host} {t:%b} {t.day} {t:%H:%M:%S} {node}"


def loghub_lines(name: str, header: Callable[[Fresh, datetime, str], str], rng: random.Random) -> Iterator[str]:
    """Endless lines of a Loghub set in its own form (label removed): a fresh header, a fresh message."""
    rests, fresh, clock = loghub_rests(name), Fresh(rng), START
    while True:
        clock += rng.random() * 0.01
        shape, rest = rng.choice(rests)
        yield f"{header(fresh, datetime.fromtimestamp(clock, UTC), shape)} {fresh.fill(rest)}"


GENERATORS: dict[str, Callable[[random.Random], Iterator[str]]] = {
    "dmesg": dmesg_lines,
    "bgl": lambda rng: loghub_lines("BGL", bgl_header, rng),
    "thunderbird": lambda rng: loghub_lines("Thunderbird", thunderbird_header, rng),
}


def generate(kind: str, *, lines: int | None = None, size_bytes: int | None = None, seed: int = 0) -> Iterator[bytes]:
    """Blocks of newline-terminated lines of ``kind`` until ``lines`` lines or ``size_bytes`` bytes."""
    rng = random.Random(f"{kind}:{seed}")
    source = GENERATORS[kind](rng)
    done_lines = done_bytes = 0
    while (lines is None or done_lines < lines) and (size_bytes is None or done_bytes < size_bytes):
        step = 10_000 if lines is None else min(10_000, lines - done_lines)
        block = ("\n".join(next(source) for _ in range(step)) + "\n").encode("ascii", "backslashreplace")
        done_lines += step
        done_bytes += len(block)
        yield block


def write(kind: str, path: Path, *, lines: int | None = None, size_bytes: int | None = None, seed: int = 0) -> int:
    """Write a realistic input to ``path``; return its line count."""
    count = 0
    with path.open("wb") as fh:
        for block in generate(kind, lines=lines, size_bytes=size_bytes, seed=seed):
            fh.write(block)
            count += block.count(b"\n")
    return count


def main(argv: Sequence[str] | None = None) -> None:
    """Write one realistic input file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("kind", choices=KINDS)
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int)
    parser.add_argument("--megabytes", type=int)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    size = args.megabytes * 1_000_000 if args.megabytes else None
    if args.lines is None and size is None:
        parser.error("give --lines or --megabytes")
    n = write(args.kind, args.out, lines=args.lines, size_bytes=size, seed=args.seed)
    print(f"wrote {n:,} lines to {args.out}")


if __name__ == "__main__":
    main()
