"""The bulk parse: log bytes straight to Arrow arrays of messages, for millions of lines.

``message_arrays`` gives the messages ``iter_messages`` gives, as ``pyarrow`` string arrays.
For dmesg and plain text, a block of ordinary lines (ASCII, no control characters but tab, LF or
CRLF line ends) is never split into Python strings: numpy finds the line starts, one RE2 pass
finds the default dmesg stamps, and the messages are cut out of the block's own bytes.

Exactness comes first. A line the vectorised rules cannot settle (one that may carry another
prefix, or starts with whitespace in plain text) goes through its format's one-line Python
function; any other block (non-ASCII, control characters, a lone CR, a capped or unterminated
line) through the format's Python parser. Formats whose lines depend on the lines before them
(kmsg dictionary lines, syslog years) and journal JSON always use the Python parser.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from tasseograph.parsing import dmesg, plain
from tasseograph.parsing.decoding import Batch, Piece, piece_lines
from tasseograph.parsing.records import ParseContext

BLOCK_BYTES = 1 << 20
"""Bytes of whole lines scanned together: enough to amortise each Arrow call's fixed cost."""

MessageParser = Callable[[Iterable[Batch], ParseContext], Iterator[list[str]]]
LineMessage = Callable[[str, ParseContext], "str | None"]

_PAD = 8  # zero bytes after a block, so fixed look-ahead at a line start never leaves the array
_FAST_RE2 = r"^\[ *\d+\.\d+\]"  # dmesg.FAST_PREFIX without its optional space, anchored


def unverbose(pattern: str) -> str:
    """A ``re.VERBOSE`` pattern without its comments and layout, for RE2 (which has no verbose mode)."""
    pattern = re.sub(r"(?m)\s#.*$", "", pattern)
    return re.sub(r"(?<!\\)\s+", "", pattern).replace("\\ ", " ")


_PREFIX_RE2 = "^(?:" + unverbose(dmesg.PREFIX.pattern) + ")"


def _byte_set(chars: str) -> np.ndarray:
    table = np.zeros(256, dtype=bool)
    table[list(chars.encode("ascii"))] = True
    return table


_LOWER = _byte_set("abcdefghijklmnopqrstuvwxyz")
_UPPER = _byte_set("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGIT = _byte_set("0123456789")
# Where dmesg.PREFIX may start (quote, raw priority, -x facility, stamp, iso date): plain.py's set.
_DMESG_FIRST = _byte_set("".join(sorted(plain._DMESG_FIRST)))
# Plain lines that may carry a prefix, or need a left strip, by their first byte alone.
_PLAIN_FIRST = _DMESG_FIRST & ~_DIGIT | _byte_set("<> \t")


@dataclass
class _Lines:
    """The lines of one ordinary block, each still ending in its newline."""

    data: bytes
    padded: np.ndarray
    """A writable copy of ``data`` with ``_PAD`` zero bytes after it."""
    offsets: np.ndarray
    """int32 line boundaries: line i is ``data[offsets[i]:offsets[i + 1]]``."""
    arrow: Any
    """The lines as a ``pyarrow.StringArray`` over ``data`` (no copy)."""

    @property
    def starts(self) -> np.ndarray:
        """Offset of each line's first byte."""
        return self.offsets[:-1]


def message_arrays(
    pieces: Iterable[Piece], fmt: str, ctx: ParseContext, python: MessageParser
) -> Iterator[Any]:
    """The messages of ``pieces`` (from ``iter_pieces``) in format ``fmt``, an array at a time.

    ``python`` is the format's ``messages`` parser: the reference every fast result equals.
    Empty arrays are possible (blocks of blank lines).
    """
    vector = _VECTOR.get(fmt)
    if vector is None:
        for messages in python((Batch(0, *piece_lines(p)) for p in pieces), ctx):
            yield pa.array(messages, type=pa.string())
        return
    rows_of, line_message = vector
    for fast, piece in _blocks(pieces, BLOCK_BYTES):
        lines = _split(piece) if fast and isinstance(piece, bytes) else None
        if lines is None:
            batch = Batch(0, *piece_lines(piece))
            yield pa.array([m for ms in python((batch,), ctx) for m in ms], type=pa.string())
        else:
            yield _finish(lines, *rows_of(lines), line_message, ctx)


def _blocks(pieces: Iterable[Piece], block_bytes: int) -> Iterator[tuple[bool, Piece]]:
    """``(fast, piece)``: runs of ASCII pieces joined up to ``block_bytes``, CRLF made LF; others as they are."""
    run: list[bytes] = []
    size = 0
    for piece in pieces:
        lf = _ascii_lf(piece) if isinstance(piece, bytes) else None
        if lf is None:
            if run:
                yield True, b"".join(run)
                run, size = [], 0
            yield False, piece
            continue
        run.append(lf)
        size += len(lf)
        if size >= block_bytes:
            yield True, b"".join(run)
            run, size = [], 0
    if run:
        yield True, b"".join(run)


def _ascii_lf(piece: bytes) -> bytes | None:
    """``piece`` with CRLF line ends made LF when it is ASCII with no other CR, else None."""
    if not piece.isascii():
        return None
    if b"\r" in piece:
        # The Python path drops a CR before each LF and makes any other CR visible.
        piece = piece.replace(b"\r\n", b"\n")
        if b"\r" in piece:
            return None
    return piece


def _split(block: bytes) -> _Lines | None:
    """The lines of an ASCII block of whole lines; None when it holds control characters."""
    raw = np.frombuffer(block, dtype=np.uint8)
    low = np.flatnonzero(raw < 0x20)
    kinds = raw[low]
    newlines = low[kinds == 0x0A]
    if len(newlines) + np.count_nonzero(kinds == 0x09) != len(low) or b"\x7f" in block:
        return None  # the Python path makes them visible as \xNN
    offsets = np.empty(len(newlines) + 1, dtype=np.int32)
    offsets[0] = 0
    offsets[1:] = newlines + 1
    padded = np.zeros(len(block) + _PAD, dtype=np.uint8)
    padded[: len(block)] = raw
    arrow = pa.StringArray.from_buffers(len(newlines), pa.py_buffer(offsets), pa.py_buffer(block))
    return _Lines(block, padded, offsets, arrow)


def _dmesg_rows(lines: _Lines) -> tuple[Any, np.ndarray, np.ndarray]:
    """Rows holding each message (prefix cut), the lines that had a prefix, the lines for Python.

    No line needs Python: RE2 runs ``dmesg.PREFIX`` itself (see ``unverbose``) on the lines the
    default-stamp pass left that may start with a prefix.
    """
    starts, padded = lines.starts, lines.padded
    first = padded[starts]
    stamped = np.zeros(len(starts), dtype=bool)
    if (first == ord("[")).any():
        stamped = _bools(pc.match_substring_regex(lines.arrow, pattern=_FAST_RE2))
    rows = lines.arrow
    cut = np.zeros(len(starts), dtype=np.int32)
    if stamped.any():
        # A default stamp holds no "]" before its own, so the first "]" of the line closes it.
        close = np.asarray(pc.find_substring(lines.arrow, "]"), dtype=np.int32)
        cut[stamped] = close[stamped] + 1
        cut += stamped & (padded[starts + cut] == 0x20)
    other = np.flatnonzero(~stamped & _DMESG_FIRST[first])
    if len(other):
        # The other dmesg forms (-T, -H, -r, -x, iso, quoted): the full prefix, on these lines only.
        some = lines.arrow.take(pa.array(other))
        left = pc.replace_substring_regex(some, pattern=_PREFIX_RE2, replacement="", max_replacements=1)
        cut[other] = np.asarray(pc.binary_length(some)) - np.asarray(pc.binary_length(left))
        stamped[other] = cut[other] > 0
    if stamped.any():
        # A row must be contiguous, so each stamp becomes trailing spaces of the row before it,
        # which the right strip every message gets removes.
        run_start = np.cumsum(cut) - cut  # where each line's stamp begins among all stamp bytes
        total = int(run_start[-1] + cut[-1])
        padded[np.repeat(starts - run_start, cut) + np.arange(total, dtype=np.int32)] = 0x20
        offsets = lines.offsets.copy()
        offsets[:-1] += cut
        rows = pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(padded))
    return rows, stamped, np.zeros(len(starts), dtype=bool)


def _plain_rows(lines: _Lines) -> tuple[Any, np.ndarray, np.ndarray]:
    """The lines, none settled by a cut stamp, and those that may carry a prefix (for Python)."""
    starts, padded = lines.starts, lines.padded
    first = padded[starts]
    at = [padded[starts + k] for k in range(1, 5)]
    python = _PLAIN_FIRST[first]
    # dmesg or syslog ISO stamps start \d{4}-; BSD stamps (Mon |Nov ) three letters and a space.
    python |= _DIGIT[first] & _DIGIT[at[0]] & _DIGIT[at[1]] & _DIGIT[at[2]] & (at[3] == ord("-"))
    python |= _UPPER[first] & _LOWER[at[0]] & _LOWER[at[1]] & (at[2] == ord(" "))
    return lines.arrow, np.zeros(len(starts), dtype=bool), python


def _finish(
    lines: _Lines,
    rows: Any,
    settled: np.ndarray,
    python: np.ndarray,
    line_message: LineMessage,
    ctx: ParseContext,
) -> Any:
    """Right-stripped rows, Python's messages for the ``python`` lines, blank lines dropped."""
    messages = pc.ascii_rtrim_whitespace(rows)
    keep = settled | (np.asarray(pc.binary_length(messages)) > 0)
    if python.any():
        where = np.flatnonzero(python)
        ends = (lines.offsets[where + 1] - 1).tolist()  # without the newline
        found = [
            line_message(lines.data[start:end].decode("ascii"), ctx)
            for start, end in zip(lines.starts[where].tolist(), ends, strict=True)
        ]
        keep[where] = [m is not None for m in found]
        replacements = pa.array([m or "" for m in found], type=pa.string())
        messages = pc.replace_with_mask(messages, pa.array(python), replacements)
    return messages if keep.all() else messages.filter(pa.array(keep))


def _bools(mask: Any) -> np.ndarray:
    if mask.null_count:  # never for lines split here; fill_null costs more than the match
        mask = pc.fill_null(mask, False)
    return np.asarray(mask.to_numpy(zero_copy_only=False), dtype=bool)


_VECTOR: dict[str, tuple[Callable[[_Lines], tuple[Any, np.ndarray, np.ndarray]], LineMessage]] = {
    "dmesg": (_dmesg_rows, dmesg.message),
    "plain": (_plain_rows, plain.message),
}
