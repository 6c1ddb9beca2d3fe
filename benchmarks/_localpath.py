"""The bulk (streaming) local path, stage by stage: parse, pre-filter, signals, compression.

The stages call the package's own bulk functions: the parser's Arrow fast path
(``parsing.iter_message_arrays``: messages cut out of the read buffer, never Python strings),
``signals.scan`` and ``signals.boring_mask`` (RE2 passes over the chunk's distinct messages, the
pre-filter reusing the scan) and ``compress.template_many`` (on the same distinct messages, each
template then counted as often as its messages repeat). The data stays in Arrow from the read
to the RE2 passes; only distinct messages become Python strings, for ``template_many``.
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

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
    distinct: int = 0
    """Distinct messages summed over the chunks: what the RE2 passes and ``template_many`` see."""
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))

    @property
    def total_s(self) -> float:
        """Wall time of all stages."""
        return sum(self.seconds.values())


IMPLEMENTATION = {
    "parse": "tasseograph.parsing.iter_message_arrays",
    "prefilter": "tasseograph.signals.boring_mask (dictionary-encoded chunk)",
    "signals": "tasseograph.signals.scan (dictionary-encoded chunk; the encoding is timed here)",
    "compress": "tasseograph.compress.template_many (the chunk's distinct messages)",
}
"""The function each stage runs (recorded in the results)."""


def implementation() -> dict[str, str]:
    """Which function each stage runs."""
    return dict(IMPLEMENTATION)


def iter_message_chunks(stream: BinaryIO, chunk_lines: int = CHUNK_LINES) -> Iterator[Any]:
    """The messages (timestamps stripped) of a kernel log stream, ``chunk_lines`` at a time.

    Each chunk is a ``pyarrow.ChunkedArray`` over the parser's arrays: regrouping copies nothing.
    """
    import pyarrow as pa

    from tasseograph.parsing import iter_message_arrays

    pending: list[Any] = []
    size = 0
    for arr in iter_message_arrays(stream):
        pending.append(arr)
        size += len(arr)
        while size >= chunk_lines:
            whole = pa.chunked_array(pending, type=pa.string())
            yield whole.slice(0, chunk_lines)
            pending, size = whole.slice(chunk_lines).chunks, size - chunk_lines
    if size:
        yield pa.chunked_array(pending, type=pa.string())


def _encode(messages: Any) -> tuple[Any, Any]:
    """The distinct messages of a chunk (an Arrow array) and each line's index into them."""
    import numpy as np
    import pyarrow as pa

    if isinstance(messages, pa.Array):
        messages = pa.chunked_array([messages])
    encoded = messages.dictionary_encode()
    if encoded.num_chunks == 0:
        return pa.array([], type=pa.string()), np.zeros(0, dtype=np.int64)
    # One hash table serves every chunk, so indices only grow: the last dictionary holds them all.
    distinct = encoded.chunk(encoded.num_chunks - 1).dictionary
    return distinct, np.concatenate([np.asarray(c.indices, dtype=np.int64) for c in encoded.chunks])


MEMO_SIZE = 1 << 17
"""Distinct messages whose verdict (signal, boring or neither) the bulk path remembers."""
MEMO_SHARE = 0.5
"""Chunks with more distinct messages than this share of their lines skip the memo: it would
mostly miss, and its lookups cost more than they save."""
NEITHER, BORING, SIGNAL = 0, 1, 2


@dataclass
class Verdicts:
    """What the signal and pre-filter stages decided for each distinct message seen so far.

    Logs repeat across chunks as well as within them; RE2 runs only on messages not seen yet.
    Bounded: cleared when full, like the parser's time-stamp cache.
    """

    memo: dict[str, int] = field(default_factory=dict)
    """Message to ``NEITHER``, ``BORING`` or ``SIGNAL``."""

    def unseen(self, distinct: list[str]) -> list[int]:
        """Positions of the messages with no verdict yet (clearing the memo first when full)."""
        if len(self.memo) + len(distinct) > MEMO_SIZE:
            self.memo.clear()
        memo = self.memo
        return [i for i, m in enumerate(distinct) if m not in memo]


def run_chunk(
    messages: Any, result: BulkResult, counts: Counter[str], verdicts: Verdicts | None = None
) -> None:
    """Signal, pre-filter and compression stages over one chunk (an Arrow array or chunked array), timed."""
    import numpy as np
    import pyarrow as pa

    from tasseograph import compress, signals

    verdicts = verdicts if verdicts is not None else Verdicts()
    memo = verdicts.memo  # cleared in place when full: the same dict throughout
    t0 = time.perf_counter()
    # Logs repeat: each distinct message is matched and templated once (same results per row).
    texts, rows = _encode(messages)
    distinct = texts.to_pylist()
    use_memo = len(distinct) <= MEMO_SHARE * len(messages)
    fresh = verdicts.unseen(distinct) if use_memo else list(range(len(distinct)))
    unseen = texts
    if len(fresh) < len(distinct):
        unseen = unseen.take(pa.array(fresh, type=pa.int64()))
    scanned = signals.scan(unseen)
    t1 = time.perf_counter()
    # The pre-filter reuses the signal scan: a boring line is noise that is no signal.
    verdict = np.array(signals.boring_mask(unseen, scanned=scanned), dtype=np.int8)  # BORING is 1
    verdict[np.asarray(scanned.indices, dtype=np.int64)] = SIGNAL
    of_distinct = verdict
    if use_memo:
        memo.update(zip([distinct[i] for i in fresh], verdict.tolist(), strict=True))
        of_distinct = np.fromiter((memo[m] for m in distinct), dtype=np.int8, count=len(distinct))
    repeats = np.bincount(rows, minlength=len(distinct))
    boring_hits = int(repeats[of_distinct == BORING].sum())
    signal_hits = int(repeats[of_distinct == SIGNAL].sum())
    t2 = time.perf_counter()
    # Compression's bulk work: mask every message to its template and collapse repeats.
    for template, n in zip(compress.template_many(distinct), repeats.tolist(), strict=True):
        if n:
            counts[template] += n
    t3 = time.perf_counter()
    result.lines += len(messages)
    result.distinct += len(distinct)
    result.boring_lines += boring_hits
    result.signal_lines += signal_hits
    result.templates = len(counts)
    for stage, seconds in (("signals", t1 - t0), ("prefilter", t2 - t1), ("compress", t3 - t2)):
        result.seconds[stage] += seconds


def run_stream(stream: BinaryIO, chunk_lines: int = CHUNK_LINES) -> BulkResult:
    """The whole local path over ``stream`` in bounded memory (one chunk alive at a time)."""
    result = BulkResult()
    counts: Counter[str] = Counter()
    verdicts = Verdicts()
    chunks = iter_message_chunks(stream, chunk_lines)
    while True:
        t0 = time.perf_counter()
        messages = next(chunks, None)
        result.seconds["parse"] += time.perf_counter() - t0
        if messages is None:
            return result
        run_chunk(messages, result, counts, verdicts)


def run_bytes(blob: bytes, chunk_lines: int = CHUNK_LINES) -> BulkResult:
    """``run_stream`` over bytes held in memory."""
    return run_stream(io.BytesIO(blob), chunk_lines)


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
