"""The bulk (streaming) local path, stage by stage: parse, pre-filter, signals, compression.

The stages call the package's own bulk functions: the parser's message-only fast path,
``signals.signal_mask`` / ``signals.boring_mask`` (one RE2 alternation pass each) and
``compress.template_many``. Where a bulk function is not in the package (yet), the stage falls
back to the per-line function and says so in ``implementation``, so a slow stage is visible in
the results instead of hidden.
"""

from __future__ import annotations

import io
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any, BinaryIO

CHUNK_LINES = 65_536
"""Messages per bulk step: large enough to amortise pyarrow's per-call cost, small enough to bound memory."""
STAGES = ("parse", "signals", "prefilter", "compress")
_DMESG_PREFIX = re.compile(r"^\[\s*\d+\.\d+\]\s?")


@dataclass
class BulkResult:
    """Counts and per-stage wall time of one bulk pass."""

    lines: int = 0
    signal_lines: int = 0
    boring_lines: int = 0
    templates: int = 0
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def total_s(self) -> float:
        """Wall time of all stages."""
        return sum(self.seconds.values())


def implementation() -> dict[str, str]:
    """Which function each stage runs (bulk, or a per-line fallback)."""
    return {
        "parse": _parse_impl()[0],
        "prefilter": _mask_impl("boring_mask")[0],
        "signals": "tasseograph.signals.scan" if _has("signals", "scan") else _mask_impl("signal_mask")[0],
        "compress": _template_impl()[0],
    }


def iter_message_chunks(stream: BinaryIO, chunk_lines: int = CHUNK_LINES) -> Iterator[list[str]]:
    """The messages (timestamps stripped) of a kernel log stream, ``chunk_lines`` at a time."""
    _, parse = _parse_impl()
    messages = parse(stream)
    while chunk := list(islice(messages, chunk_lines)):
        yield chunk


def run_chunk(messages: list[str], result: BulkResult, counts: Counter[str]) -> None:
    """Signal, pre-filter and compression stages over one chunk, timed into ``result``."""
    t0 = time.perf_counter()
    from tasseograph import signals

    arr = _to_arrow(messages)  # one conversion, shared by both RE2 stages
    scanned = signals.scan(arr)
    signal_hits = len(scanned.indices)
    t1 = time.perf_counter()
    # The pre-filter reuses the signal scan: a boring line is noise that is no signal.
    boring_hits = _count_true(signals.boring_mask(arr, scanned=scanned))
    t2 = time.perf_counter()
    # Compression's bulk work: mask every message to its template and collapse repeats.
    counts.update(_template_impl()[1](messages))
    t3 = time.perf_counter()
    result.lines += len(messages)
    result.boring_lines += boring_hits
    result.signal_lines += signal_hits
    result.templates = len(counts)
    for stage, seconds in (("signals", t1 - t0), ("prefilter", t2 - t1), ("compress", t3 - t2)):
        result.seconds[stage] += seconds


def run_stream(stream: BinaryIO, chunk_lines: int = CHUNK_LINES) -> BulkResult:
    """The whole local path over ``stream`` in bounded memory (one chunk alive at a time)."""
    result = BulkResult()
    counts: Counter[str] = Counter()
    chunks = iter_message_chunks(stream, chunk_lines)
    while True:
        t0 = time.perf_counter()
        messages = next(chunks, None)
        result.seconds["parse"] += time.perf_counter() - t0
        if messages is None:
            return result
        run_chunk(messages, result, counts)


def run_bytes(blob: bytes, chunk_lines: int = CHUNK_LINES) -> BulkResult:
    """``run_stream`` over bytes held in memory."""
    return run_stream(io.BytesIO(blob), chunk_lines)


def parse_messages(blob: bytes) -> list[str]:
    """All messages of ``blob`` through the parser's fast path (for the reference run)."""
    return [m for chunk in iter_message_chunks(io.BytesIO(blob)) for m in chunk]


# --- stage implementations, bulk first ---------------------------------------------------------


def _has(module: str, name: str) -> bool:
    import importlib

    return callable(getattr(importlib.import_module(f"tasseograph.{module}"), name, None))


def _count_true(mask: Any) -> int:
    """Number of true entries in a list, numpy or pyarrow boolean mask."""
    if hasattr(mask, "true_count"):
        return int(mask.true_count)
    if hasattr(mask, "sum"):
        return int(mask.sum())
    return sum(1 for m in mask if m)


def _parse_impl() -> tuple[str, Callable[[BinaryIO], Iterator[str]]]:
    from tasseograph import parsing

    fn = getattr(parsing, "iter_messages", None)
    if callable(fn):
        return "tasseograph.parsing.iter_messages", fn
    return "benchmarks fallback: regex strip of the dmesg stamp", _fallback_parse


def _fallback_parse(stream: BinaryIO) -> Iterator[str]:
    for line in stream:
        text = line.decode("utf-8", "backslashreplace").rstrip("\r\n")
        if text.strip():
            yield _DMESG_PREFIX.sub("", text, count=1)


def _to_arrow(messages: list[str]) -> Any:
    """An Arrow string array when the signal stage takes one, else the list itself."""
    from tasseograph import signals

    if not callable(getattr(signals, "scan", None)):
        return messages
    import pyarrow as pa

    return pa.array(messages, type=pa.string())


def _mask_impl(name: str) -> tuple[str, Callable[[Sequence[str]], Any]]:
    from tasseograph import signals

    fn = getattr(signals, name, None)
    if callable(fn):
        return f"tasseograph.signals.{name}", fn
    if name == "boring_mask":
        return "per-line fallback: signals.is_boring", lambda ms: [signals.is_boring(m) for m in ms]
    return "per-line fallback: signals.detect on each line", _per_line_signals


def _per_line_signals(messages: Sequence[str]) -> list[bool]:
    from tasseograph.schema import KernelLine
    from tasseograph.signals import detect

    lines = [KernelLine(lineno=i, raw=m, message=m) for i, m in enumerate(messages, start=1)]
    flagged = {i for hit in detect(lines) for i in hit.line_indices}
    return [i in flagged for i in range(len(lines))]


def _template_impl() -> tuple[str, Callable[[Sequence[str]], list[str]]]:
    from tasseograph import compress

    fn = getattr(compress, "template_many", None)
    if callable(fn):
        return "tasseograph.compress.template_many", fn
    return "per-line fallback: compress.template", lambda ms: [compress.template(m) for m in ms]


# --- diagnosis: where the time goes, and what the alternatives cost -------------------------------

DIAGNOSIS_LINES = 200_000


def diagnose(messages: Sequence[str]) -> dict[str, float]:
    """Lines/s of each bulk stage and of its nearest alternative, on the first messages of the input.

    Helps whoever owns a slow stage: e.g. one RE2 alternation pass vs the whole ``scan``, or
    ``template_many`` (pyarrow) vs ``template`` called per line. The input is replicated, so
    ``template``'s memo cache would mostly hit: it is timed both as the pipeline calls it (cache
    cleared first) and without the cache (``__wrapped__``), which is what unseen lines cost.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    from tasseograph import compress, signals

    sample = list(messages[:DIAGNOSIS_LINES])
    arr = pa.array(sample, type=pa.string())
    template = compress.template
    uncached = getattr(template, "__wrapped__", template)
    clear = getattr(template, "cache_clear", lambda: None)
    probes: dict[str, Callable[[], object]] = {
        "pyarrow array from list": lambda: pa.array(sample, type=pa.string()),
        "signals.scan": lambda: signals.scan(arr),
        "signals.boring_mask": lambda: signals.boring_mask(arr),
        "compress.template_many": lambda: compress.template_many(sample),
        "compress.template per line (memo cache, cleared first)": lambda: (
            clear(),
            [template(m) for m in sample],
        ),
        "compress.template per line (no cache)": lambda: [uncached(m) for m in sample],
    }
    matcher = getattr(signals, "_matcher", None)
    if callable(matcher):  # private, read only to show the floor: one RE2 pass per alternation
        m = matcher()
        probes["one RE2 pass, signal alternation"] = lambda: pc.match_substring_regex(
            arr, pattern=m.signal_re2
        )
        probes["RE2 passes, noise alternations"] = lambda: [
            pc.match_substring_regex(arr, pattern=p) for p in m.noise_re2
        ]
    return {name: _lines_per_s(fn, len(sample)) for name, fn in probes.items()}


def _lines_per_s(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    fn()
    return n / (time.perf_counter() - started)
