"""The bulk (streaming) local path, stage by stage: parse, pre-filter, signals, compression.

The stages call the package's own bulk functions: the parser's message-only fast path
(``parsing.iter_messages``), ``signals.scan`` and ``signals.boring_mask`` (RE2 passes over an
Arrow array, the pre-filter reusing the scan) and ``compress.template_many``.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import BinaryIO

CHUNK_LINES = 65_536
"""Messages per bulk step: large enough to amortise pyarrow's per-call cost, small enough to bound memory."""
STAGES = ("parse", "signals", "prefilter", "compress")


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


IMPLEMENTATION = {
    "parse": "tasseograph.parsing.iter_messages",
    "prefilter": "tasseograph.signals.boring_mask",
    "signals": "tasseograph.signals.scan",
    "compress": "tasseograph.compress.template_many",
}
"""The function each stage runs (recorded in the results)."""


def implementation() -> dict[str, str]:
    """Which function each stage runs."""
    return dict(IMPLEMENTATION)


def iter_message_chunks(stream: BinaryIO, chunk_lines: int = CHUNK_LINES) -> Iterator[list[str]]:
    """The messages (timestamps stripped) of a kernel log stream, ``chunk_lines`` at a time."""
    from tasseograph.parsing import iter_messages

    messages = iter_messages(stream)
    while chunk := list(islice(messages, chunk_lines)):
        yield chunk


def run_chunk(messages: list[str], result: BulkResult, counts: Counter[str]) -> None:
    """Signal, pre-filter and compression stages over one chunk, timed into ``result``."""
    t0 = time.perf_counter()
    import pyarrow as pa

    from tasseograph import compress, signals

    arr = pa.array(messages, type=pa.string())  # one conversion, shared by both RE2 stages
    scanned = signals.scan(arr)
    signal_hits = len(scanned.indices)
    t1 = time.perf_counter()
    # The pre-filter reuses the signal scan: a boring line is noise that is no signal.
    boring_hits = sum(signals.boring_mask(arr, scanned=scanned))
    t2 = time.perf_counter()
    # Compression's bulk work: mask every message to its template and collapse repeats.
    counts.update(compress.template_many(messages))
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
