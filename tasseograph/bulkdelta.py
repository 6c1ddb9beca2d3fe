"""Deltas for ``analyze`` from a big log: full records only for the lines ``analyze`` needs.

``tasseograph analyze FILE`` judges a large file in consecutive chunks. Most lines of a big log
are known-boring noise that ``analyze`` only counts, so building a ``KernelLine`` for each is
most of the cost. ``iter_deltas`` runs the compiled bulk pass over each chunk first and builds
records only for:

- signal lines and lines that are neither signal nor noise (what the rules and the model read);
- known-boring lines within ``CONTEXT_LINES`` of those (a signal's record headers, its
  continuation lines and ``callbacks suppressed`` notes, so ``signals.detect`` groups episodes
  exactly as on the whole chunk) and boring recovery lines after a signal (``resolve``);
- the first and last ``SAMPLE_LINES`` boring lines of the chunk: the compressed sample of the
  routine lines a prompt shows.

A delta never holds only the lines of the sample when the chunk had others, so the pre-filter
("only known-boring lines") decides as it would on the whole chunk. The line numbers are the
file's. Small inputs (under ``BULK_MIN_BYTES``), formats whose records span lines (kmsg,
journal JSON, syslog) and machines without the compiled core get every record, as before.
"""

from __future__ import annotations

import itertools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import BinaryIO, cast

from tasseograph import bulkcore, signals
from tasseograph.bulkref import BORING, SIGNAL
from tasseograph.parsing import build_delta, open_stream
from tasseograph.parsing.decoding import Batch, Piece, piece_lines
from tasseograph.parsing.delta import PARSERS, open_pieces
from tasseograph.parsing.records import ParseContext
from tasseograph.schema import Delta, KernelLine

CONTEXT_LINES = signals.CONTEXT_BEFORE
"""Boring lines kept on each side of a signal or unknown line (covers ``SUPPRESSED_REACH`` too)."""
SAMPLE_LINES = 200
BULK_MIN_BYTES = 4 << 20
"""Inputs smaller than this get every record: the bulk pass (and compiling the catalogue for
it, about half a second once per process) pays off only on big files."""
"""Boring lines kept from the head and from the tail of each chunk (a prompt shows at most
``max_lines`` = 200 collapsed lines)."""
_TEMPLATES = 1_024  # the bulk pass's template table: unused here, so small


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
        """The chunk's delta: records for the kept lines and for boring recovery lines after a signal."""
        keep = keep_mask(chunk.codes)
        resolve = signals._matcher().resolve_any
        first_signal = next((i for i, c in enumerate(chunk.codes) if c >= SIGNAL), len(chunk.codes))
        lines: list[KernelLine] = []
        for i, kept in enumerate(keep):
            if kept:
                lines.append(self._record(chunk.pieces[i], chunk.starts[i]))
            elif resolve is not None and i > first_signal:
                line = self._record(chunk.pieces[i], chunk.starts[i])
                if resolve.search(line.message):
                    lines.append(line)
        return Selected(build_delta(lines, self.fmt, self.host), len(chunk.codes))

    def _record(self, number: int, start: int) -> KernelLine:
        """The full record of the line at ``start`` of piece ``number``, as the per-delta parser builds it."""
        piece = self.held[number]
        if isinstance(piece, str):
            raws, cleans = piece_lines(piece)
            lineno = self.first_line[number]
        else:
            end = piece.index(b"\n", start)
            raws, cleans = piece_lines(piece[start : end + 1])
            lineno = self.first_line[number] + piece.count(b"\n", 0, start)
        return next(PARSERS[self.fmt][0]([Batch(lineno, raws, cleans)], self.ctx))


def keep_mask(codes: list[int]) -> list[bool]:
    """Which records of a chunk get a full record (see the module docstring); recovery lines aside."""
    n = len(codes)
    notable = [c != BORING for c in codes]
    keep = list(notable)
    for i in (i for i, x in enumerate(notable) if x):
        for j in range(max(0, i - CONTEXT_LINES), min(n, i + CONTEXT_LINES + 1)):
            keep[j] = True
    boring = [i for i, x in enumerate(notable) if not x]
    for i in boring[:SAMPLE_LINES] + boring[-SAMPLE_LINES:]:
        keep[i] = True
    return keep
