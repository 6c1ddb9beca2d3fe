"""The bulk (streaming) local path as the benchmarks run it, plus what only they need.

The path itself is the library's ``tasseograph.bulk`` (``scan_stream``): the parser's Arrow fast
path (``parsing.iter_message_arrays``), ``signals.scan`` and ``signals.boring_mask`` over each
chunk's distinct messages (verdicts remembered across chunks) and ``compress.template_many``.
Here: the stage table's labels, the reference parse, the per-stage diagnosis and the no-repeat
measure.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable, Sequence

from tasseograph.bulk import CHUNK_LINES, BulkSummary, iter_message_chunks, scan_stream

IMPLEMENTATION = {
    "parse": "tasseograph.parsing.iter_message_arrays",
    "prefilter": "tasseograph.signals.boring_mask (dictionary-encoded chunk)",
    "signals": "tasseograph.signals.scan (dictionary-encoded chunk; the encoding is timed here)",
    "compress": "tasseograph.compress.template_many (the chunk's distinct messages)",
}
"""The function each stage of ``tasseograph.bulk.scan_stream`` runs (recorded in the results)."""


def implementation() -> dict[str, str]:
    """Which function each stage runs."""
    return dict(IMPLEMENTATION)


def run_bytes(blob: bytes, chunk_lines: int = CHUNK_LINES) -> BulkSummary:
    """``tasseograph.bulk.scan_stream`` over bytes held in memory."""
    return scan_stream(io.BytesIO(blob), chunk_lines=chunk_lines)


def parse_messages(blob: bytes) -> list[str]:
    """All messages of ``blob`` through the parser's fast path (for the reference run)."""
    return [m for chunk in iter_message_chunks(io.BytesIO(blob)) for m in chunk.to_pylist()]


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


def no_repeat_lines_per_s(blob: bytes, n: int = DIAGNOSIS_LINES) -> float:
    """Lines/s of the whole bulk path on the first ``n`` lines of ``blob``, each made distinct.

    The benchmark inputs are small logs replicated, so nearly every chunk repeats messages the
    path has seen (which its dictionary encoding and verdict memo exploit, as they would on real,
    repetitive logs). Appending a counter to every line makes every message distinct, the worst
    case for those; templates still repeat (the counter is masked as a number), as in real logs.
    """
    lines = blob.split(b"\n", n)[:n]
    unique = b"\n".join(line + b" #%d" % i for i, line in enumerate(lines)) + b"\n"
    result = run_bytes(unique)
    return result.lines / result.total_s if result.total_s else 0.0


def _lines_per_s(fn: Callable[[], object], n: int) -> float:
    started = time.perf_counter()
    fn()
    return n / (time.perf_counter() - started)
