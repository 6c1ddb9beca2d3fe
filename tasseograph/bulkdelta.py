"""Deltas for ``analyze`` from a big log: full records only for the lines ``analyze`` needs.

``tasseograph analyze FILE`` judges a large file in consecutive chunks. Much of a big log is
known-boring noise that ``analyze`` only counts, and building a ``KernelLine`` for each line is
most of the cost. ``iter_deltas`` runs the compiled bulk pass over each chunk first and builds
records only for:

- signal lines and lines that are neither signal nor noise (what the rules and the model read);
- around each signal line, what ``signals.detect`` reads to group its episode exactly as on the
  whole chunk: the ``CONTEXT_LINES`` lines before it (record headers, ``callbacks suppressed``
  notes), the lines after it that continue its record and the line that ends it, and boring
  recovery lines (``resolve``) anywhere after the first signal;
- the first and last ``SAMPLE_LINES`` boring lines of the chunk: the compressed sample of the
  routine lines a prompt shows.

A delta never holds only the lines of the sample when the chunk had others, so the pre-filter
("only known-boring lines") decides as it would on the whole chunk. The line numbers are the
file's. Small inputs (under ``BULK_MIN_BYTES``), formats whose records span lines (kmsg,
journal JSON, syslog) and machines without the compiled core get every record, as before.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import BinaryIO, cast

from tasseograph import bulkcore, signals
from tasseograph.bulkref import BORING, SIGNAL
from tasseograph.parsing import build_delta, open_stream
from tasseograph.parsing.decoding import Batch, Piece, piece_lines
from tasseograph.parsing.delta import PARSERS, open_pieces
from tasseograph.parsing.records import ParseContext
from tasseograph.schema import Delta, KernelLine

CONTEXT_LINES = max(signals.CONTEXT_BEFORE, signals.SUPPRESSED_REACH)
"""Lines kept before each signal line (its record's headers, a ``callbacks suppressed`` note)."""
SAMPLE_LINES = 200
"""Boring lines kept from the head and from the tail of each chunk (a prompt shows at most
``max_lines`` = 200 collapsed lines)."""
BULK_MIN_BYTES = 4 << 20
"""Inputs smaller than this get every record: the bulk pass (and loading the compiled
catalogue for it) pays off only on big files, and small deltas stay free of the extension."""
_TEMPLATES = 1_024  # the bulk pass's template table: unused here, so small
_CONTROL_BYTES = bytes([*range(0x09), *range(0x0A, 0x20), 0x7F])  # all but tab


@dataclass
class _Chunk:
    """The records of one chunk: verdict code, piece and line start of each."""

    codes: list[int] = field(default_factory=list)
    pieces: list[int] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)


@dataclass
class Selected:
    """One chunk's delta (the records analyze needs) and how many records the chunk had."""

    delta: Delta
    lines: int


def iter_deltas(stream: BinaryIO, *, host: str | None, chunk_lines: int) -> Iterator[Selected]:
    """Consecutive chunks of ``chunk_lines`` records, each as a delta of the records it needs.

    Always yields at least one (possibly empty) delta. See the module docstring for which
    records are built.
    """
    fmt, pieces = open_pieces(stream)
    head: list[Piece] = []
    size = 0
    for piece in pieces:
        head.append(piece)
        size += len(piece)
        if size >= BULK_MIN_BYTES:
            break
    pieces = itertools.chain(head, pieces)
    if size < BULK_MIN_BYTES or fmt not in bulkcore.LINE_MESSAGE or bulkcore.unavailable() is not None:
        yield from _every_record(fmt, pieces, host, chunk_lines)
        return
    reader = _Reader(fmt, host)
    yielded = False
    for chunk in reader.chunks(pieces, chunk_lines):
        yielded = True
        yield reader.select(chunk)
    if not yielded:
        yield Selected(build_delta([], fmt, host), 0)


def _every_record(fmt: str, pieces: Iterator[Piece], host: str | None, chunk_lines: int) -> Iterator[Selected]:
    """Chunks of every record (the per-delta parser), for formats this module does not cut."""
    _, lines = open_stream(cast(BinaryIO, _PieceStream(pieces)), format=fmt)
    chunk = list(itertools.islice(lines, chunk_lines))
    yield Selected(build_delta(chunk, fmt, host), len(chunk))
    while len(chunk) == chunk_lines and (chunk := list(itertools.islice(lines, chunk_lines))):
        yield Selected(build_delta(chunk, fmt, host), len(chunk))


class _PieceStream:
    """The bytes of pieces already read, as a binary stream (so detection does not run twice)."""

    def __init__(self, pieces: Iterator[Piece]) -> None:
        self._pieces = pieces
        self._rest = b""

    def read(self, size: int = -1) -> bytes:
        while len(self._rest) < max(size, 1):
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._rest += piece if isinstance(piece, bytes) else piece.encode("utf-8", "surrogateescape") + b"\n"
        if size < 0:
            out, self._rest = self._rest, b""
        else:
            out, self._rest = self._rest[:size], self._rest[size:]
        return out


class _Reader:
    """Runs the bulk pass and builds the selected records, with the file's line numbers."""

    def __init__(self, fmt: str, host: str | None) -> None:
        self.fmt, self.host = fmt, host
        self.ctx = ParseContext()
        self.scanner = bulkcore.compiled_scanner(_TEMPLATES, record=True)
        self.code = bulkcore.format_code(fmt)
        self.line_message = bulkcore.LINE_MESSAGE[fmt]
        self.held: dict[int, Piece] = {}
        """Pieces the pending records point into, by piece number."""
        self.first_line: dict[int, int] = {}
        """1-based line number of each held piece's first line."""
        self.next_line = 1
        self._cursor = (-1, 0, 0)
        """(piece number, offset, line number there): line numbers are counted forward from it."""

    def chunks(self, pieces: Iterator[Piece], chunk_lines: int) -> Iterator[_Chunk]:
        """The records of ``pieces``, ``chunk_lines`` at a time, with their verdict codes."""
        chunk = _Chunk()
        for number, piece in enumerate(pieces):
            self.held[number], self.first_line[number] = piece, self.next_line
            self.next_line += 1 if isinstance(piece, str) else piece.count(b"\n")
            bulkcore.feed_piece(self.scanner, self.code, piece, self.line_message, self.ctx)
            raw_codes, raw_starts = self.scanner.take_codes()
            codes, starts = array("H", raw_codes).tolist(), array("q", raw_starts).tolist()
            k = 0
            while k < len(codes):  # a piece may close a chunk and open the next
                room = chunk_lines - len(chunk.codes)
                chunk.codes += codes[k : k + room]
                chunk.starts += starts[k : k + room]
                chunk.pieces += [number] * (len(chunk.codes) - len(chunk.pieces))
                k += room
                if len(chunk.codes) == chunk_lines:
                    yield chunk
                    self._release(chunk.pieces[-1])
                    chunk = _Chunk()
        if chunk.codes:
            yield chunk

    def _release(self, last: int) -> None:
        """Forget the pieces before ``last``: no record still to come points into them."""
        for number in [n for n in self.held if n < last]:
            del self.held[number], self.first_line[number]

    def select(self, chunk: _Chunk) -> Selected:
        """The chunk's delta: records for the kept lines (see the module docstring)."""
        codes = chunk.codes
        keep = keep_mask(codes)
        built: dict[int, KernelLine] = {}
        matcher = signals._matcher()
        for i in (i for i, c in enumerate(codes) if c >= SIGNAL):
            # The signal's record goes on while lines match its context: keep them and the line ending it.
            context = matcher.entries[codes[i] - SIGNAL].context
            j = i + 1
            while j < len(codes) and codes[j] < SIGNAL:
                keep[j] = True
                if context is None or not context.search(self._build(chunk, [j], built)[j].message):
                    break
                j += 1
        first_signal = next((i for i, c in enumerate(codes) if c >= SIGNAL), len(codes))
        if matcher.resolve_any is not None:  # boring recovery lines close episodes: keep them
            maybe = _resolve_bytes(matcher.resolve_any.pattern)
            later = [i for i in range(first_signal + 1, len(codes)) if not keep[i] and self._may(chunk, i, maybe)]
            for i, line in self._build(chunk, later, built).items():
                keep[i] = matcher.resolve_any.search(line.message) is not None
        kept = [i for i, k in enumerate(keep) if k]
        records = self._build(chunk, kept, built)
        return Selected(build_delta([records[i] for i in kept], self.fmt, self.host), len(codes))

    def _may(self, chunk: _Chunk, i: int, pattern: re.Pattern[bytes]) -> bool:
        """Whether record ``i`` may match ``pattern``: its raw line does, or is not plain ASCII.

        A plain line's message is a slice of it; other lines are decoded first, so they are checked.
        """
        piece = self.held[chunk.pieces[i]]
        if isinstance(piece, str):
            return True
        start = chunk.starts[i]
        raw = piece[start : piece.index(b"\n", start)]
        plain = raw.isascii() and len(raw.translate(None, _CONTROL_BYTES)) == len(raw)
        return not plain or pattern.search(raw) is not None

    def _build(self, chunk: _Chunk, indices: list[int], built: dict[int, KernelLine]) -> dict[int, KernelLine]:
        """Full records of the chunk's records at ``indices`` (ascending), parsed a run of lines at a time."""
        todo = [i for i in indices if i not in built]
        runs: list[list[int]] = []
        for i in todo:
            if runs and runs[-1][-1] == i - 1 and chunk.pieces[i] == chunk.pieces[i - 1]:
                runs[-1].append(i)
            else:
                runs.append([i])
        for run in runs:
            lines = self._parse_run(chunk.pieces[run[0]], chunk.starts[run[0]], chunk.starts[run[-1]])
            built.update(zip(run, lines, strict=True))
        return {i: built[i] for i in indices}

    def _parse_run(self, number: int, first: int, last: int) -> list[KernelLine]:
        """The records of the lines from offset ``first`` to the line at ``last`` of piece ``number``.

        Consecutive records have only blank lines between them, which parse to nothing.
        """
        piece = self.held[number]
        if isinstance(piece, str):
            raws, cleans = piece_lines(piece)
            lineno = self.first_line[number]
        else:
            end = piece.index(b"\n", last)
            raws, cleans = piece_lines(piece[first : end + 1])
            at_number, at, lineno = self._cursor
            if at_number != number or at > first:
                at, lineno = 0, self.first_line[number]
            lineno += piece.count(b"\n", at, first)
            self._cursor = (number, first, lineno)
        return list(PARSERS[self.fmt][0]([Batch(lineno, raws, cleans)], self.ctx))


@cache
def _resolve_bytes(pattern: str) -> re.Pattern[bytes]:
    return re.compile(pattern.encode("utf-8"), re.ASCII)


def keep_mask(codes: list[int]) -> list[bool]:
    """Records built whatever they say: signal and unknown lines, the lines just before each
    signal, and the boring sample (``select`` adds each signal's record and recovery lines)."""
    keep = [c != BORING for c in codes]
    for i in (i for i, c in enumerate(codes) if c >= SIGNAL):
        for j in range(max(0, i - CONTEXT_LINES), i):
            keep[j] = True
    boring = [i for i, k in enumerate(keep) if not k]
    for i in boring[:SAMPLE_LINES] + boring[-SAMPLE_LINES:]:
        keep[i] = True
    return keep
