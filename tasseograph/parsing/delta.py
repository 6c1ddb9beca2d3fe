"""Kernel logs in, ``KernelLine`` records and ``Delta`` objects out."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from itertools import chain
from typing import Any, BinaryIO, TypeVar

from tasseograph.errors import InputError
from tasseograph.parsing import dmesg, journal, kmsg, plain, syslog
from tasseograph.parsing.decoding import Batch, Piece, iter_batches, iter_pieces, piece_lines
from tasseograph.parsing.detect import SAMPLE_LINES, detect_lines, resolve_format
from tasseograph.parsing.records import ParseContext
from tasseograph.schema import Delta, KernelLine, Window

Parser = Callable[[Iterable[Batch], ParseContext], Iterator[KernelLine]]
MessageParser = Callable[[Iterable[Batch], ParseContext], Iterator[list[str]]]

PARSERS: dict[str, tuple[Parser, MessageParser]] = {
    "dmesg": (dmesg.parse, dmesg.messages),
    "kmsg": (kmsg.parse, kmsg.messages),
    "journal-json": (journal.parse, journal.messages),
    "syslog": (syslog.parse, syslog.messages),
    "plain": (plain.parse, plain.messages),
}
DEFAULT_HOST = "localhost"
"""Host of a delta when neither the caller nor the records name one."""
_DETECT_MAX_BATCHES = 16  # with 64 KiB chunks: detection never reads more than 1 MiB ahead
_T = TypeVar("_T")


def iter_lines(
    stream: BinaryIO, *, format: str | None = None, year: int | None = None
) -> Iterator[KernelLine]:
    """Parse a binary stream record by record, in bounded memory.

    Args:
        stream: A binary stream: a file opened ``"rb"``, ``sys.stdin.buffer``, ``io.BytesIO``.
        format: One of ``FORMATS`` (or an alias such as ``short-iso``); None detects it.
        year: Year for syslog stamps without one; None means the current year.

    Yields:
        One ``KernelLine`` per record (empty lines are skipped, numbering still counts them).
        A line over ``MAX_LINE_BYTES`` keeps its head and ends in ``… [truncated N bytes]``.

    Raises:
        InputError: The stream cannot be read or gives text instead of bytes.
        UsageError: ``format`` is not a known format.
    """
    _, lines = _parse_stream(stream, format, ParseContext(year=year))
    yield from lines


def open_stream(
    stream: BinaryIO, *, format: str | None = None, year: int | None = None
) -> tuple[str, Iterator[KernelLine]]:
    """Like ``iter_lines``, but also return the format detected from the first records."""
    return _parse_stream(stream, format, ParseContext(year=year))


def iter_messages(stream: BinaryIO, *, format: str | None = None, year: int | None = None) -> Iterator[str]:
    """Only the message text of each record: the fast path when nothing else is needed.

    The messages are the same as ``KernelLine.message`` from ``iter_lines`` on the same input,
    but no records are built. ``iter_message_batches`` is faster still for bulk work, and
    ``iter_message_arrays`` (Arrow arrays) fastest.
    """
    for messages in iter_message_batches(stream, format=format, year=year):
        yield from messages


def iter_message_batches(
    stream: BinaryIO, *, format: str | None = None, year: int | None = None
) -> Iterator[list[str]]:
    """``iter_messages`` a list at a time (one per 64 KiB read), for bulk stages downstream.

    Empty lists are possible (a block of blank lines); the lists are new, free to keep.
    """
    fmt, batches = _detect(iter_batches(stream), resolve_format(format), _cleans)
    return PARSERS[fmt][1](batches, ParseContext(year=year))


def iter_message_arrays(
    stream: BinaryIO, *, format: str | None = None, year: int | None = None
) -> Iterator[Any]:
    """``iter_messages`` as ``pyarrow`` string arrays (one per ~1 MiB read): the bulk fast path.

    The messages are the same, in the same order; dmesg and plain text skip Python strings for
    ordinary lines (see ``parsing.bulk``). Empty arrays are possible. Needs pyarrow.
    """
    from tasseograph.parsing import bulk  # pyarrow and numpy: only bulk callers pay the import

    fmt, pieces = open_pieces(stream, format=format)
    return bulk.message_arrays(pieces, fmt, ParseContext(year=year), PARSERS[fmt][1])


def open_pieces(stream: BinaryIO, *, format: str | None = None) -> tuple[str, Iterator[Piece]]:
    """The format (detected from the first lines unless given) and the stream's undecoded pieces.

    The pieces are ``decoding.iter_pieces``'s: blocks of whole lines as bytes, or one finished
    line as str. For bulk readers that cut ordinary lines themselves (``tasseograph.bulk``).
    """
    return _detect(iter_pieces(stream), resolve_format(format), lambda p: piece_lines(p)[1])


def parse_delta(
    data: str | bytes, *, host: str | None = None, format: str | None = None, year: int | None = None
) -> Delta:
    """Parse kernel log text or bytes, in any supported format, into a ``Delta``.

    Args:
        data: The log. Bytes are decoded as UTF-8, with invalid bytes kept as ``\\xNN``.
        host: Host to report; by default the single host the records name, else ``localhost``.
        format: One of ``FORMATS`` or an alias; None detects it from the first lines.
        year: Year for syslog stamps without one; None means the current year.

    Raises:
        InputError: ``data`` is neither text nor bytes.
        UsageError: ``format`` is not a known format.

    Example:
        >>> parse_delta("[    5.100000] EDAC MC0: 1 CE memory read error").lines[0].monotonic
        5.1
    """
    return read_delta(_as_stream(data), host=host, format=format, year=year)


def read_delta(
    stream: BinaryIO, *, host: str | None = None, format: str | None = None, year: int | None = None
) -> Delta:
    """Read a whole binary stream (a file or stdin) into a ``Delta``, chunk by chunk.

    Arguments are as for ``parse_delta``. Every record is kept; each line is capped at
    ``MAX_LINE_BYTES``.
    """
    fmt, lines = _parse_stream(stream, format, ParseContext(year=year))
    return build_delta(list(lines), fmt, host)


def split_by_host(
    data: str | bytes, *, format: str | None = None, year: int | None = None
) -> dict[str, Delta]:
    """Parse a multi-host log (syslog, journal) into one ``Delta`` per host, in order of appearance.

    A record that names no host (a journal banner, a wrapped line) goes with the host of the
    record before it; records before any host go with the first host named, or ``localhost``.
    """
    fmt, lines = _parse_stream(_as_stream(data), format, ParseContext(year=year))
    by_host: dict[str, list[KernelLine]] = {}
    records = list(lines)
    current = next((line.host for line in records if line.host), DEFAULT_HOST)
    for line in records:
        current = line.host or current
        by_host.setdefault(current, []).append(line)
    return {name: build_delta(group, fmt, name) for name, group in by_host.items()}


def build_delta(lines: list[KernelLine], fmt: str, host: str | None = None) -> Delta:
    """A ``Delta`` of parsed records: host as ``parse_delta`` picks it, window from the wall times.

    The window runs from the earliest to the latest wall time (records can arrive slightly out
    of order); it stays open when no record carries one.
    """
    if host is None:
        named = {line.host for line in lines if line.host}
        host = named.pop() if len(named) == 1 else DEFAULT_HOST
    times = [line.time for line in lines if line.time is not None]
    window = Window(start=min(times), end=max(times)) if times else Window()
    # Cheap even for a million lines: pydantic does not revalidate KernelLine instances.
    return Delta(host=host, lines=lines, window=window, format=fmt)


def _parse_stream(
    stream: BinaryIO, format: str | None, ctx: ParseContext
) -> tuple[str, Iterator[KernelLine]]:
    fmt, batches = _detect(iter_batches(stream), resolve_format(format), _cleans)
    return fmt, PARSERS[fmt][0](batches, ctx)


def _detect(
    batches: Iterator[_T], fmt: str | None, cleans: Callable[[_T], list[str]]
) -> tuple[str, Iterator[_T]]:
    """The format (detected from the first lines unless given) and the batches, unconsumed.

    ``cleans`` gives a batch's clean lines; ``iter_pieces`` pieces work too (one per batch).
    """
    if fmt is not None:
        return fmt, batches
    head: list[_T] = []
    sample: list[str] = []
    for batch in batches:
        head.append(batch)
        sample.extend(line for line in cleans(batch)[: SAMPLE_LINES * 4] if line and not line.isspace())
        if len(sample) >= SAMPLE_LINES or len(head) >= _DETECT_MAX_BATCHES:
            break
    return detect_lines(sample), chain(head, batches)


def _cleans(batch: Batch) -> list[str]:
    return batch.cleans


def _as_stream(data: str | bytes) -> BinaryIO:
    if isinstance(data, str):
        # Lone surrogates (from surrogateescape decoding) become visible \udcNN, not an error.
        return io.BytesIO(data.encode("utf-8", "backslashreplace"))
    if isinstance(data, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(data))
    raise InputError(f"cannot parse {type(data).__name__} as a kernel log: pass str or bytes.")
