"""The compiled bulk core (``tasseograph._scancore``): loaded once, the catalogue compiled once.

``compiled_scanner()`` gives a fresh counting scanner over the process's one compiled matcher
(the signal and noise catalogues in one Hyperscan database, built from whatever the data files
hold). ``feed_pieces`` drives it over a log: the core settles ordinary lines itself (every
dmesg prefix form included) and hands back, one at a time and in order, the lines only Python
can settle exactly (non-ASCII bytes, control characters, plain-text lines that may carry a
syslog header, over-long lines, formats other than dmesg and plain text), which go through the
parsers and ``bulkref``.

The compiled catalogue is kept in ``cache_dir()`` between runs, keyed on the patterns, the
Hyperscan version and the CPU, so a process loads it in milliseconds instead of compiling it.

When the extension is missing (no compiler or no Hyperscan headers at install time) or the
catalogue does not compile under Hyperscan, ``unavailable()`` says why and ``tasseograph.bulk``
runs its Python path instead, with one warning.
"""

from __future__ import annotations

import hashlib
import logging
import os
import platform
import re
from collections.abc import Callable, Iterable
from functools import cache
from pathlib import Path
from typing import Any

from tasseograph import bulkref, signals
from tasseograph.errors import UsageError
from tasseograph.parsing import dmesg, plain
from tasseograph.parsing.decoding import Batch, Piece, piece_lines
from tasseograph.parsing.records import ParseContext

logger = logging.getLogger(__name__)

BUILD_HINT = (
    "install a C compiler and Hyperscan's headers (Debian: apt-get install libhyperscan-dev) and "
    "reinstall the package (pip install -e .)"
)
_NAMED_GROUP = re.compile(r"\(\?P<\w+>")
LINE_MESSAGE: dict[str, Callable[[str, ParseContext], str | None]] = {
    "dmesg": dmesg.message,
    "plain": plain.message,
}


@cache
def _core() -> Any:
    import tasseograph._scancore as _scancore

    return _scancore


@cache
def unavailable() -> str | None:
    """Why the compiled core cannot run here (None when it can). Checked once per process."""
    try:
        _matcher()
    except ImportError as exc:
        return f"the compiled bulk core is not built ({exc}); {BUILD_HINT}"
    except ValueError as exc:  # _scancore.CompileError
        return f"the catalogue does not compile for the compiled bulk core: {exc}"
    return None


def catalogue_patterns() -> tuple[list[bytes], list[int]]:
    """Every signal and noise pattern, and its id: the signal entry's position, or the noise id.

    The noise id is the number of signal entries, so the smallest id a line matches decides:
    the first matching signal entry, else noise.
    """
    specs = signals.load_signals()
    patterns: list[bytes] = []
    ids: list[int] = []
    for k, spec in enumerate(specs):
        for p in spec.patterns:
            patterns.append(_plain_groups(p))
            ids.append(k)
    for noise in signals.load_noise():
        for p in noise.patterns:
            patterns.append(_plain_groups(p))
            ids.append(len(specs))
    return patterns, ids


def _plain_groups(pattern: str) -> bytes:
    # Only the verdict is read here, never a group.
    return _NAMED_GROUP.sub("(?:", pattern).encode("utf-8")


def cache_dir() -> Path:
    """Where the compiled catalogue is kept between runs: ``$TASSEOGRAPH_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/tasseograph``, else ``~/.cache/tasseograph``."""
    env = os.environ.get("TASSEOGRAPH_CACHE_DIR")
    if env:
        return Path(env)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tasseograph"


def _cache_key(patterns: list[bytes], ids: list[int], n_signals: int) -> str:
    """A name for this catalogue compiled by this Hyperscan for this CPU (its feature flags)."""
    digest = hashlib.sha256(f"{_core().HS_VERSION}|{platform.machine()}|{_cpu_flags()}|{n_signals}".encode())
    for p, i in zip(patterns, ids, strict=True):
        digest.update(b"%d\0%s\0" % (i, p))
    return digest.hexdigest()[:32]


def _cpu_flags() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return platform.processor()
    return next((line for line in text.splitlines() if line.startswith("flags")), "")


@cache
def _matcher() -> Any:
    """The compiled catalogue: from the cache when this catalogue was compiled here before
    (milliseconds), else compiled (about half a second) and cached for the next process."""
    core = _core()
    patterns, ids = catalogue_patterns()
    n_signals = len(signals.load_signals())
    path = cache_dir() / f"catalogue-{_cache_key(patterns, ids, n_signals)}.hsdb"
    try:
        return core.Matcher(patterns, ids, n_signals, path.read_bytes())
    except (OSError, core.CompileError):
        pass  # not cached yet, unreadable or from another machine: compile
    matcher = core.Matcher(patterns, ids, n_signals)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(matcher.serialize())
        os.replace(tmp, path)  # atomic: a concurrent reader sees the old file or the whole new one
    except OSError as exc:
        logger.debug("compiled catalogue not cached in %s: %s", path.parent, exc)
    return matcher


def compiled_scanner(capacity: int, *, record: bool = False) -> Any:
    """A new ``_scancore.Scanner`` (template table of ``capacity``) over the compiled catalogue.

    ``record=True`` keeps every line's verdict code for ``take_codes()``.

    Raises:
        UsageError: the compiled core cannot run here (the message says why and what to do).
    """
    reason = unavailable()
    if reason is not None:
        raise UsageError(reason)
    return _core().Scanner(_matcher(), capacity, record)


def format_code(fmt: str) -> int:
    """The core's code for a format it cuts itself (``LINE_MESSAGE``'s keys)."""
    core = _core()
    return int(core.FMT_DMESG if fmt == "dmesg" else core.FMT_PLAIN)


def feed_pieces(scanner: Any, fmt: str, pieces: Iterable[Piece], python: Any, ctx: ParseContext) -> None:
    """Count every line of ``pieces`` (``parsing.open_pieces``) in format ``fmt`` into ``scanner``.

    ``python`` is the format's ``messages`` parser, for formats the core does not cut itself.
    """
    line_message = LINE_MESSAGE.get(fmt)
    if line_message is None:
        for messages in python((Batch(0, *piece_lines(p)) for p in pieces), ctx):
            add_messages(scanner, messages)
        return
    code = format_code(fmt)
    for piece in pieces:
        feed_piece(scanner, code, piece, line_message, ctx)


def feed_piece(
    scanner: Any, code: int, piece: Piece, line_message: Callable[[str, ParseContext], str | None], ctx: ParseContext
) -> None:
    """Count the lines of one piece of a dmesg or plain text log (``code``: the core's format)."""
    if isinstance(piece, str):  # an over-long or unterminated line, already decoded
        scanner.set_at(0)
        _add_clean_lines(scanner, piece_lines(piece)[1], line_message, ctx)
        return
    stop_end = _core().STOP_END
    pos = 0
    while True:
        stop, start, end = scanner.feed(piece, pos, code)
        if stop == stop_end:
            return
        scanner.set_at(start)
        _add_clean_lines(scanner, piece_lines(piece[start : end + 1])[1], line_message, ctx)
        pos = end + 1


def _add_clean_lines(
    scanner: Any, cleans: list[str], line_message: Callable[[str, ParseContext], str | None], ctx: ParseContext
) -> None:
    messages = [m for c in cleans if (m := line_message(c, ctx)) is not None]
    add_messages(scanner, messages)


def add_messages(scanner: Any, messages: list[str]) -> None:
    """Count messages parsed in Python: ASCII ones in the core, others through ``bulkref``.

    Non-ASCII text is matched the way ``signals.classify`` matches it (any normalisation the
    catalogue applies happens there), so both paths agree on every line.
    """
    i, n = 0, len(messages)
    while i < n:
        i = scanner.add_messages(messages, i)
        if i < n:
            message = messages[i]
            scanner.add_verdict(bulkref.bulk_template(message), bulkref.verdict_code(message))
            i += 1
