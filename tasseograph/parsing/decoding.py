"""From bytes to text lines: chunked reads, UTF-8 with visible bad bytes, capped lines.

Kernel logs are untrusted bytes. Nothing here raises on content: invalid UTF-8 survives as
``\\xNN`` (``backslashreplace``), NUL and other control characters are made visible the same
way, ANSI colour sequences are kept visibly in the raw text and removed from the text parsers
read, and a line longer than ``MAX_LINE_BYTES`` keeps its head plus a note of what was cut.
Memory stays bounded by the chunk size whatever the input: a 1 GB file or a 100 MB line.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import BinaryIO, NamedTuple

from tasseograph.errors import InputError

MAX_LINE_BYTES = 64 * 1024
"""Longest line kept whole; longer lines keep this many bytes plus ``TRUNCATION_MARK``."""
CHUNK_BYTES = 64 * 1024
"""Bytes read at a time. Never above ``MAX_LINE_BYTES``: then only a line that spans chunks
can be over-long, and the lines inside a chunk need no length check."""
TRUNCATION_MARK = " … [truncated {} bytes]"
"""Appended to a capped line; ``{}`` is the number of bytes dropped."""

# C0 controls except tab and newline, DEL, the C1 range (a terminal reads \x9b as CSI), and
# the Unicode line and paragraph separators (str.splitlines would break a line at them).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])  # not tab, LF, CR
_BOM = b"\xef\xbb\xbf"
# CSI sequences (colours, cursor moves), OSC sequences (titles, links), then two-byte escapes.
_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b\n]*(?:\x07|\x1b\\)?|\x1b[@-Z\\-_]")


class Batch(NamedTuple):
    """Consecutive physical lines of the input (empty ones included, so numbering stays true)."""

    first_lineno: int
    """1-based line number of ``raws[0]``."""
    raws: list[str]
    """The lines as received, decoded, with control characters made visible."""
    cleans: list[str]
    """The lines parsers read: as ``raws`` without ANSI sequences (the same list when none)."""


def visible(text: str) -> str:
    """``text`` with control characters other than tab and newline shown as ``\\xNN``."""
    if _CONTROL.search(text) is None:
        return text
    return _CONTROL.sub(_escape, text)


def strip_ansi(text: str) -> str:
    """``text`` without ANSI escape sequences."""
    return _ANSI.sub("", text) if "\x1b" in text else text


def sanitize(text: str) -> str:
    """Text fit for a message: ANSI sequences removed, other control characters visible."""
    return visible(strip_ansi(text))


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def text_lines(text: str) -> tuple[list[str], list[str]]:
    """Split text (lines joined by ``\\n``) into raw lines (ANSI kept, visibly) and clean lines."""
    if "\x1b" in text:
        raws, cleans = visible(text).split("\n"), sanitize(text).split("\n")
        # A line of nothing but escape codes would read as blank and be skipped: keep it visible.
        return raws, [c if c.strip() or not r.strip() else r for r, c in zip(raws, cleans, strict=True)]
    lines = visible(text).split("\n")
    return lines, lines


def iter_batches(
    stream: BinaryIO, *, chunk_bytes: int = CHUNK_BYTES, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[Batch]:
    """Read ``stream`` in chunks and yield its lines, a batch per chunk, in bounded memory.

    Args:
        stream: A binary stream (a file opened ``"rb"``, ``sys.stdin.buffer``, ``BytesIO``).
        chunk_bytes: Read size; capped at ``max_line_bytes``.
        max_line_bytes: Longest line kept whole.

    Raises:
        InputError: The stream cannot be read, or yields text instead of bytes.
    """
    lineno = 1
    for piece in iter_pieces(stream, chunk_bytes=chunk_bytes, max_line_bytes=max_line_bytes):
        raws, cleans = piece_lines(piece)
        yield Batch(lineno, raws, cleans)
        lineno += len(raws)


Piece = bytes | str
"""What ``iter_pieces`` yields: a block of whole lines (bytes) or one finished line (str)."""


def iter_pieces(
    stream: BinaryIO, *, chunk_bytes: int = CHUNK_BYTES, max_line_bytes: int = MAX_LINE_BYTES
) -> Iterator[Piece]:
    """The input split as ``iter_batches`` splits it, before decoding: one piece per batch.

    A ``bytes`` piece holds whole lines, each ending in a newline and none over ``max_line_bytes``;
    a ``str`` piece is one line already capped and decoded (an over-long line, or a last line
    without a newline). Bulk readers scan the bytes pieces without decoding them line by line.

    Raises:
        InputError: The stream cannot be read, or yields text instead of bytes.
    """
    chunk_bytes = max(1, min(chunk_bytes, max_line_bytes))
    head = b""  # start of the line still open at the end of the last chunk
    dropped = 0  # bytes of that line cut off beyond max_line_bytes
    for chunk in _skip_bom(_read_chunks(stream, chunk_bytes)):
        first = chunk.find(b"\n")
        if first < 0:
            if len(head) >= max_line_bytes:
                dropped += len(chunk)  # keep counting, stop copying
            else:
                head, dropped = _cap(head + chunk, dropped, max_line_bytes)
            continue
        last = chunk.rfind(b"\n")
        if dropped or len(head) + first > max_line_bytes:
            capped, cut = _cap(head + chunk[:first], dropped, max_line_bytes)
            yield _final_line(capped, cut)
            block = chunk[first + 1 : last + 1]
        else:
            block = head + chunk[: last + 1]
        if block:
            yield block
        head, dropped = chunk[last + 1 :], 0
    if head or dropped:
        yield _final_line(head, dropped)


def piece_lines(piece: Piece) -> tuple[list[str], list[str]]:
    """The raw and clean lines of one piece, exactly as ``iter_batches`` gives them."""
    return text_lines(piece) if isinstance(piece, str) else _block_lines(piece)


def _block_lines(block: bytes) -> tuple[list[str], list[str]]:
    """The lines of ``block`` (whole lines, ending with a newline), raw and clean.

    Whole-block byte scans decide whether the slow, character-level path is needed at all;
    for ordinary log text it is not, and the lines are the decoded split, nothing more.
    """
    lines = block.decode("utf-8", "backslashreplace").split("\n")
    lines.pop()  # the empty string after the final newline
    lone_cr = False
    if b"\r" in block:
        lines = [line.removesuffix("\r") for line in lines]  # CRLF line endings
        lone_cr = "\r" in "".join(lines)  # a join and a memchr beat counting CRs and CRLFs
    if lone_cr or _may_have_controls(block):
        return text_lines("\n".join(lines))
    return lines, lines


def _read_chunks(stream: BinaryIO, size: int) -> Iterator[bytes]:
    read = getattr(stream, "read", None)
    if read is None:
        raise InputError(f"cannot read {type(stream).__name__}: pass a binary stream (a file opened 'rb').")
    while True:
        try:
            chunk = read(size)
        except OSError as exc:
            raise InputError(f"cannot read the input: {exc}. Check the path and permissions.") from exc
        if not chunk:
            return
        if isinstance(chunk, str):
            raise InputError("the input stream gives text, not bytes: open the file in binary mode ('rb').")
        if not isinstance(chunk, bytes):
            chunk = bytes(chunk)  # bytearray or memoryview from unusual streams
        yield chunk


def _skip_bom(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks without a UTF-8 byte order mark at the very start (an encoding mark, not text)."""
    start = b""
    for chunk in chunks:
        start += chunk
        if len(start) >= len(_BOM) or not _BOM.startswith(start):
            break
    if start:  # shorter than a BOM only when the stream ended: then it is text, kept
        yield start.removeprefix(_BOM)
    yield from chunks


def _may_have_controls(block: bytes) -> bool:
    """Whether decoded ``block`` may hold control characters other than CR (checked apart).

    C0 controls and DEL are single bytes; C1 controls (U+0080-U+009F) are encoded as \\xc2\\x80-\\x9f,
    the line and paragraph separators as \\xe2\\x80\\xa8 and \\xe2\\x80\\xa9. Byte scans are several
    times faster than a regex over the text.
    """
    if len(block.translate(None, _CONTROL_BYTES)) != len(block):
        return True
    return not block.isascii() and (b"\xc2" in block or b"\xe2\x80\xa8" in block or b"\xe2\x80\xa9" in block)


def _cap(line: bytes, dropped: int, limit: int) -> tuple[bytes, int]:
    if len(line) <= limit:
        return line, dropped
    return line[:limit], dropped + len(line) - limit


def _final_line(line: bytes, dropped: int) -> str:
    """One line that may have been capped and may lack its newline (or end in a lone CR)."""
    if line.endswith(b"\r") and not dropped:
        line = line[:-1]
    text = line.decode("utf-8", "backslashreplace")
    return text + TRUNCATION_MARK.format(dropped) if dropped else text
