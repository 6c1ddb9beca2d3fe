"""The bulk local path: a whole kernel log stream summarised in bounded memory, no model call.

``scan_stream`` (or ``scan_file``) reads a stream once and counts lines, known-boring lines,
signal lines per catalogue id and message templates. It is the deterministic half of
``analyze`` at a million lines a second, for triage of whole files:

>>> from tasseograph import scan_file
>>> summary = scan_file("dmesg.txt")
>>> summary.worst_severity, [(s.signal_id, s.lines) for s in summary.signals]

Two engines give the same summary:

- ``compiled`` (``tasseograph.bulkcore``, a C extension over Hyperscan): one pass per line,
  cutting the stamp, masking the template with one lexer, matching the whole catalogue
  (signals and noise) in one scan, and counting; a bounded memo serves repeated messages.
  Lines it cannot settle exactly (non-ASCII, control characters, syslog-like plain lines,
  other formats) are parsed and judged in Python.
- ``python``: the parser's Arrow fast path (``parsing.iter_message_arrays``), ``signals.scan``
  and ``signals.boring_mask`` (RE2 passes over each chunk's distinct messages) and templates
  per distinct message. The fallback when the extension is not built (one warning says so).

Per line both equal the reference in ``tasseograph.bulkref`` (``signals.classify`` and
``is_boring``, ``compress.template`` with node names masked); ``tests/benchmarks`` checks it.

Memory is bounded on any input: templates go into a space-saving table of ``TEMPLATE_CAPACITY``
entries (``bulkref.SpaceSaving``): counts are exact until it fills, then each may overstate by
at most its ``error`` (never more than lines / capacity), and every template with more lines
than that is listed.

Signal counts are lines, not episodes: the grouping, rate escalation and recovery of
``signals.detect`` need each delta's records, so a ``SignalCount`` carries the catalogue
severity of one occurrence.
"""

from __future__ import annotations

import io
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from os import PathLike
from typing import Any, BinaryIO, Literal

from pydantic import BaseModel, ConfigDict, Field

from tasseograph import bulkcore, bulkref, compress, signals
from tasseograph.bulkref import BORING, SIGNAL
from tasseograph.errors import InputError, UsageError
from tasseograph.schema import STATUS_RANK, Category, Severity

logger = logging.getLogger(__name__)

CHUNK_LINES = 65_536
"""Messages per step of the Python engine: large enough to amortise pyarrow's per-call cost."""
TOP_TEMPLATES = 20
"""Templates listed in a summary by default (the most frequent)."""
TEMPLATE_CAPACITY = 65_536
"""Templates the count table holds (space-saving): about 10 MB; counts exact until it fills."""
STAGES = ("parse", "signals", "prefilter", "compress")
"""The timed stages of the Python engine, in ``BulkSummary.seconds`` (the compiled engine does
them in one pass, timed as ``scan``)."""
ENGINES = ("auto", "compiled", "python")
"""``engine`` values: ``auto`` takes the compiled core when it is built, else Python."""

MEMO_SIZE = 1 << 17
"""Distinct messages whose verdict (signal id, boring or neither) the Python engine remembers."""
MEMO_SHARE = 0.5
"""Chunks with more distinct messages than this share of their lines skip the memo: it would
mostly miss, and its lookups cost more than they save."""

# --- the result ----------------------------------------------------------------------------------


class SignalCount(BaseModel):
    """Lines of one catalogue signal in the stream."""

    model_config = ConfigDict(frozen=True)

    signal_id: str
    category: Category
    severity: Severity
    """Catalogue severity of one occurrence (``analyze`` may escalate an episode further)."""
    summary: str
    lines: int


class TemplateCount(BaseModel):
    """One message template (numbers, addresses, ids and node names masked) and its lines."""

    model_config = ConfigDict(frozen=True)

    template: str
    lines: int
    """Lines counted: exact when ``error`` is 0, else at most ``error`` more than the truth."""
    error: int = 0
    """How far ``lines`` may overstate (the template entered a full table; see ``bulkref``)."""


class BulkSummary(BaseModel):
    """What ``scan_stream`` found in a whole stream."""

    lines: int = 0
    """Messages (records) read."""
    boring_lines: int = 0
    """Known-boring noise that is no signal (what the pre-filter drops)."""
    signal_lines: int = 0
    """Lines matching a catalogue signal."""
    templates: int = 0
    """Distinct templates: exact while ``template_error`` is 0, else the table's size (a lower bound)."""
    template_error: int = 0
    """Most any template count may overstate: 0 until the table (``TEMPLATE_CAPACITY``) is full,
    then at most lines / capacity."""
    signals: list[SignalCount] = Field(default_factory=list)
    """One entry per signal id seen: most severe first, then most lines."""
    top_templates: list[TemplateCount] = Field(default_factory=list)
    """The most frequent templates, most lines first (ties: first seen first)."""
    engine: Literal["compiled", "python"] = "python"
    """Which engine counted (see the module docstring)."""
    seconds: dict[str, float] = Field(default_factory=dict)
    """Wall time per stage: ``STAGES`` for the Python engine, ``scan`` for the compiled one."""

    @property
    def worst_severity(self) -> Severity | None:
        """The most severe catalogue severity among the signal lines, or None without any."""
        return self.signals[0].severity if self.signals else None

    @property
    def total_s(self) -> float:
        """Wall time of all stages."""
        return sum(self.seconds.values())


# --- chunks --------------------------------------------------------------------------------------


def iter_message_chunks(
    stream: BinaryIO, chunk_lines: int = CHUNK_LINES, *, format: str | None = None
) -> Iterator[Any]:
    """The messages (timestamps stripped) of a kernel log stream, ``chunk_lines`` at a time.

    Each chunk is a non-empty ``pyarrow.ChunkedArray`` of strings over the parser's arrays
    (regrouping copies nothing); only the chunk being built is held.

    Raises:
        UsageError: ``chunk_lines`` is below 1, or ``format`` is unknown.
        InputError: the stream cannot be read.
    """
    import pyarrow as pa

    from tasseograph.parsing import iter_message_arrays

    if chunk_lines < 1:
        raise UsageError(f"chunk_lines must be at least 1, not {chunk_lines}.")
    pending: list[Any] = []
    size = 0
    for arr in iter_message_arrays(stream, format=format):
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


def _take(texts: Any, positions: list[int] | None) -> Any:
    """``texts`` at ``positions`` (None: all of them), copying only when it must."""
    import pyarrow as pa

    if positions is None or len(positions) == len(texts):
        return texts
    return texts.take(pa.array(positions, type=pa.int64()))


@cache
def _signal_codes() -> dict[str, int]:
    return {sid: SIGNAL + k for sid, k in bulkref.signal_positions().items()}


def _summary(
    lines: int, tally: list[int], ranked: list[tuple[str, int, int]], templates: int, template_error: int
) -> BulkSummary:
    """A summary from verdict tallies (one per code) and the top of the template table
    (``(template, count, error)`` in listing order); the same for both engines."""
    specs = signals.load_signals()
    found = [
        SignalCount(signal_id=spec.id, category=spec.category, severity=spec.severity, summary=spec.summary, lines=n)
        for spec, n in zip(specs, tally[SIGNAL:], strict=True)
        if n
    ]
    found.sort(key=lambda s: (-STATUS_RANK[s.severity], -s.lines, s.signal_id))
    return BulkSummary(
        lines=lines,
        boring_lines=tally[BORING],
        signal_lines=sum(s.lines for s in found),
        templates=templates,
        template_error=template_error,
        signals=found,
        top_templates=[TemplateCount(template=t, lines=n, error=err) for t, n, err in ranked],
    )


def table_summary(lines: int, tally: list[int], table: bulkref.SpaceSaving, top: int) -> BulkSummary:
    """``_summary`` of a Python ``SpaceSaving`` table."""
    ranked = [(t, s.count, s.error) for t, s in table.top(top)]
    return _summary(lines, tally, ranked, len(table.slots), table.error_bound)


# --- the Python engine ---------------------------------------------------------------------------


@dataclass
class Verdicts:
    """What the signal and pre-filter stages decided for each distinct message seen so far.

    Logs repeat across chunks as well as within them; RE2 runs only on messages not seen yet.
    Bounded: cleared when full (``MEMO_SIZE``), like the parser's time-stamp cache.
    """

    memo: dict[str, int] = field(default_factory=dict)
    """Message to ``NEITHER``, ``BORING`` or a signal code."""

    def unseen(self, distinct: list[str]) -> list[int]:
        """Positions of the messages with no verdict yet (clearing the memo first when full)."""
        if len(self.memo) + len(distinct) > MEMO_SIZE:
            self.memo.clear()
        memo = self.memo
        return [i for i, m in enumerate(distinct) if m not in memo]


class BulkScanner:
    """The Python engine: accumulates the counts chunk by chunk (``scan_stream`` drives one).

    Memory: the verdict memo and the template table are bounded. Templates are counted once per
    distinct message of a chunk (``n`` lines at a time), so once the table is full its
    evictions may differ from the compiled engine's line-by-line ones, within the same bound.
    """

    def __init__(self, capacity: int = TEMPLATE_CAPACITY) -> None:
        self.verdicts = Verdicts()
        self.templates = bulkref.SpaceSaving(capacity)
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.lines = 0
        # Lines per verdict code: NEITHER, BORING, then one slot per catalogue signal.
        self._tally = [0] * (SIGNAL + len(_signal_codes()))

    def feed(self, messages: Any) -> None:
        """Run the signal, pre-filter and compression stages over one chunk, timed.

        Args:
            messages: an Arrow string array or chunked array (``iter_message_chunks`` gives them).
        """
        import numpy as np

        t0 = time.perf_counter()
        # Logs repeat: each distinct message is matched and templated once (same results per row).
        texts, rows = _encode(messages)
        distinct = texts.to_pylist()
        fresh = self.verdicts.unseen(distinct) if len(distinct) <= MEMO_SHARE * len(messages) else None
        unseen = _take(texts, fresh)
        scanned = signals.scan(unseen)
        t1 = time.perf_counter()
        codes = self._codes(unseen, scanned, distinct, fresh)
        repeats = np.bincount(rows, minlength=len(distinct))
        for code, n in enumerate(np.bincount(codes, weights=repeats, minlength=len(self._tally)).tolist()):
            self._tally[code] += round(n)
        t2 = time.perf_counter()
        # Compression's bulk work: mask every message to its template and count its lines.
        table = self.templates
        for template, n in zip(compress.template_many(distinct), repeats.tolist(), strict=True):
            if n:
                table.add(bulkref.mask_nodes(template), n)
        t3 = time.perf_counter()
        self.lines += len(messages)
        self.seconds["signals"] += t1 - t0
        self.seconds["prefilter"] += t2 - t1
        self.seconds["compress"] += t3 - t2

    def _codes(
        self, unseen: Any, scanned: signals.ScanResult, distinct: list[str], fresh: list[int] | None
    ) -> Any:
        """The verdict code of each distinct message, from the scan of the ``unseen`` ones and the memo.

        ``fresh`` holds the positions of ``unseen`` among ``distinct``; None: all of them, no memo.
        """
        import numpy as np

        # The pre-filter reuses the signal scan: a boring line is noise that is no signal.
        verdict = np.array(signals.boring_mask(unseen, scanned=scanned), dtype=np.int64)  # BORING is 1
        by_id = _signal_codes()
        verdict[np.asarray(scanned.indices, dtype=np.int64)] = [by_id[s] for s in scanned.signal_ids]
        # Non-ASCII text is judged as signals.classify judges it (with whatever normalisation it applies).
        texts = distinct if fresh is None else [distinct[i] for i in fresh]
        for k, text in enumerate(texts):
            if not text.isascii():
                verdict[k] = bulkref.verdict_code(text)
        if fresh is None:
            return verdict
        memo = self.verdicts.memo
        memo.update(zip([distinct[i] for i in fresh], verdict.tolist(), strict=True))
        return np.fromiter((memo[m] for m in distinct), dtype=np.int64, count=len(distinct))

    def summary(self, top: int = TOP_TEMPLATES) -> BulkSummary:
        """The counts so far, with the ``top`` most frequent templates."""
        result = table_summary(self.lines, self._tally, self.templates, top)
        result.seconds = dict(self.seconds)
        return result


def _scan_python(stream: BinaryIO, chunk_lines: int, top: int, format: str | None, capacity: int) -> BulkSummary:
    scanner = BulkScanner(capacity)
    chunks = iter_message_chunks(stream, chunk_lines, format=format)
    while True:
        t0 = time.perf_counter()
        messages = next(chunks, None)
        scanner.seconds["parse"] += time.perf_counter() - t0
        if messages is None:
            return scanner.summary(top)
        scanner.feed(messages)


# --- the compiled engine -------------------------------------------------------------------------


def _scan_compiled(stream: BinaryIO, top: int, format: str | None, capacity: int) -> BulkSummary:
    from tasseograph.parsing.delta import PARSERS, open_pieces
    from tasseograph.parsing.records import ParseContext

    started = time.perf_counter()
    scanner = bulkcore.compiled_scanner(capacity)
    fmt, pieces = open_pieces(stream, format=format)
    bulkcore.feed_pieces(scanner, fmt, pieces, PARSERS[fmt][1], ParseContext())
    lines, tally, evictions, templates, floor, ranked, _ = scanner.state(top)
    result = _summary(lines, tally, ranked, templates, floor if evictions else 0)
    result.engine = "compiled"
    result.seconds = {"scan": time.perf_counter() - started}
    return result


def resolve_engine(engine: str) -> Literal["compiled", "python"]:
    """The engine ``engine`` names (``auto``: compiled when it can run here, with a warning when not).

    Raises:
        UsageError: an unknown engine, or ``compiled`` when it cannot run (the message says why).
    """
    if engine not in ENGINES:
        raise UsageError(f"unknown bulk engine {engine!r}; choose one of {', '.join(ENGINES)}.")
    reason = bulkcore.unavailable()
    if engine == "compiled" and reason is not None:
        raise UsageError(reason)
    if engine == "python" or reason is not None:
        if engine == "auto":
            _warn_once(reason or "")
        return "python"
    return "compiled"


@cache
def _warn_once(reason: str) -> None:
    logger.warning("tasseograph: %s. Using the slower Python bulk path.", reason)


# --- entry points --------------------------------------------------------------------------------


def scan_stream(
    stream: BinaryIO,
    *,
    chunk_lines: int = CHUNK_LINES,
    top: int = TOP_TEMPLATES,
    format: str | None = None,
    engine: str = "auto",
    capacity: int = TEMPLATE_CAPACITY,
) -> BulkSummary:
    """Summarise a whole kernel log stream through the bulk local path, in bounded memory.

    Args:
        stream: a binary stream (a file opened ``"rb"``, ``sys.stdin.buffer``, ``io.BytesIO``).
            Any bytes are accepted: invalid UTF-8 is kept as ``\\xNN``, binary junk is plain text.
        chunk_lines: messages per step of the Python engine. Results do not depend on it.
        top: how many of the most frequent templates to list.
        format: one of ``parsing.FORMATS`` or an alias; None detects it from the first lines.
        engine: ``auto``, ``compiled`` or ``python`` (see the module docstring).
        capacity: templates the count table holds (counts exact until it fills).

    Returns:
        Line, boring, signal (per catalogue id) and template counts, and seconds per stage.

    Raises:
        InputError: the stream cannot be read (not binary, I/O error).
        UsageError: an argument is out of range, ``format`` or ``engine`` is unknown, or
            ``compiled`` was asked for where it cannot run.
    """
    if top < 0:
        raise UsageError(f"top must be 0 or more, not {top}.")
    if chunk_lines < 1 or capacity < 1:
        raise UsageError(f"chunk_lines and capacity must be at least 1, not {chunk_lines} and {capacity}.")
    if resolve_engine(engine) == "compiled":
        return _scan_compiled(stream, top, format, capacity)
    return _scan_python(stream, chunk_lines, top, format, capacity)


def scan_file(
    path: str | PathLike[str],
    *,
    chunk_lines: int = CHUNK_LINES,
    top: int = TOP_TEMPLATES,
    format: str | None = None,
    engine: str = "auto",
    capacity: int = TEMPLATE_CAPACITY,
) -> BulkSummary:
    """``scan_stream`` over the file at ``path`` (same options; see there).

    Raises:
        InputError: the file cannot be opened or read.
    """
    try:
        with open(path, "rb") as fh:
            return scan_stream(
                fh, chunk_lines=chunk_lines, top=top, format=format, engine=engine, capacity=capacity
            )
    except OSError as exc:  # opening it; read errors already arrive as InputError
        raise InputError(
            f"cannot read {path}: {exc.strerror or exc}. Check the path and permissions."
        ) from exc


def scan_bytes(
    data: bytes,
    *,
    chunk_lines: int = CHUNK_LINES,
    top: int = TOP_TEMPLATES,
    format: str | None = None,
    engine: str = "auto",
    capacity: int = TEMPLATE_CAPACITY,
) -> BulkSummary:
    """``scan_stream`` over bytes held in memory (same options; see there)."""
    return scan_stream(
        io.BytesIO(data), chunk_lines=chunk_lines, top=top, format=format, engine=engine, capacity=capacity
    )
