"""Evidence mapping: turn what the model quoted into the delta's real log lines.

The model sees compressed, redacted lines, so its quotes may lack the timestamp, carry the
collapse annotation (``[x37 similar, 12.3s..98.1s]``), be cut short, have their spacing
squeezed, or join several lines with newlines. :func:`resolve_evidence` maps each quoted line
to the raw line(s) it came from: exact substring first (raw text, then message), then the same
with whitespace squeezed, then the same template (:func:`tasseograph.compress.template`), then
(for a quote elided in the middle with ``...``) a line holding every part in order.
Text that matches nothing is kept as the model wrote it, so :func:`evidence_is_valid` can
report it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import cached_property

from tasseograph.compress import message_text, template
from tasseograph.schema import Delta

# Decorations our own compression adds, and common ways a quote gets trimmed or wrapped.
_ANNOTATION = re.compile(r"\s*\[x(\d+) similar[^\]]*\]\s*$")
_NOVELTY_TAG = re.compile(r"\s*\[(?:new to this host|new to the fleet)\]\s*$")
"""The tag compression puts on lines new to the host or the fleet (``tasseograph.novelty``)."""
_OMITTED = re.compile(r"^\[\.\.\. \d+ lines? omitted \.\.\.\]$")
_LEADING_STAMP = re.compile(
    r"^(?:\[\s*\d+\.\d+\]\s*"  # dmesg
    r"|\[\w{3} \w{3}\s+\d+ [\d:]+ \d{4}\]\s*"  # dmesg -T
    r"|\d{4}-\d\d-\d\d[T ][\d:.,]+(?:Z|[+-]\d\d:?\d\d)?\s+"  # ISO 8601
    r"|\w{3}\s+\d+ \d\d:\d\d:\d\d\s+)"  # syslog
)
_ELLIPSIS = re.compile(r"\s*(?:\.\.\.|…)\s*$|^\s*(?:\.\.\.|…)\s*")
_QUOTES = "\"'`"
_SPACES = re.compile(r"\s+")
_ELISION = re.compile(r"\s*(?:\.\.\.|…|\[\.\.\.\])\s*")


class _Index:
    """Search structures over one delta, built lazily (most quotes match on the first try)."""

    def __init__(self, delta: Delta) -> None:
        self.delta = delta
        self.raw = [line.raw for line in delta.lines]
        self.shown = [line.evidence for line in delta.lines]
        """What a finding quotes for each line (a journal JSON record: its message)."""

    @cached_property
    def messages(self) -> list[str]:
        return [message_text(line) for line in self.delta.lines]

    @cached_property
    def _raw_text(self) -> _Joined:
        return _Joined(self.raw)

    @cached_property
    def _message_text(self) -> _Joined:
        return _Joined(self.messages)

    @cached_property
    def _squeezed(self) -> _Joined:
        return _Joined([_squeeze(m) for m in self.messages])

    @cached_property
    def _templates(self) -> dict[str, list[int]]:
        by_template: dict[str, list[int]] = {}
        for i, msg in enumerate(self.messages):
            by_template.setdefault(template(msg), []).append(i)
        return by_template

    def substring(self, quote: str) -> int | None:
        """Index of the first line whose raw text or message contains ``quote``."""
        for joined in (self._raw_text, self._message_text):
            found = joined.find(quote)
            if found is not None:
                return found
        return None

    def squeezed(self, quote: str) -> int | None:
        """Like ``substring``, with runs of whitespace squeezed to one space on both sides."""
        return self._squeezed.find(_squeeze(quote))

    def elided(self, quote: str) -> int | None:
        """First line holding every part of a quote elided in the middle (``a ... b``), in order."""
        parts = [p for p in _ELISION.split(quote) if p]
        if len(parts) < 2:
            return None
        first = self._raw_text.text.find(parts[0])
        while first >= 0:
            i = bisect.bisect_right(self._raw_text.starts, first) - 1
            if _in_order(self.raw[i], parts):
                return i
            first = self._raw_text.text.find(parts[0], first + 1)
        return None

    def same_template(self, quote: str) -> list[int]:
        """Indices of every line with the quote's template."""
        return self._templates.get(template(quote), [])


class _Joined:
    """Lines joined by newlines, so one C-level ``str.find`` scans them all."""

    def __init__(self, lines: Sequence[str]) -> None:
        self.text = "\n".join(lines)
        self.starts: list[int] = []
        offset = 0
        for line in lines:
            self.starts.append(offset)
            offset += len(line) + 1

    def find(self, quote: str) -> int | None:
        """Line index of the first occurrence of ``quote`` (which holds no newline)."""
        at = self.text.find(quote)
        return None if at < 0 else bisect.bisect_right(self.starts, at) - 1


def _in_order(line: str, parts: Sequence[str]) -> bool:
    at = 0
    for part in parts:
        at = line.find(part, at)
        if at < 0:
            return False
        at += len(part)
    return True


def _squeeze(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def _clean(quote: str) -> tuple[str, bool]:
    """Strip what the model may add around a line; True when it carried a collapse annotation."""
    text = _NOVELTY_TAG.sub("", quote.strip().strip(_QUOTES).strip())
    annotated = _ANNOTATION.search(text)
    if annotated:
        text = text[: annotated.start()]
    text = _LEADING_STAMP.sub("", text, count=1)
    text = _ELLIPSIS.sub("", text).strip()
    return text, annotated is not None


def _resolve_line(quote: str, index: _Index) -> list[str] | None:
    """Raw lines for one quoted line; None when nothing matches, [] for our own markers."""
    if _OMITTED.match(quote.strip()):
        return []
    found = index.substring(quote.strip()) if quote.strip() else None
    if found is not None:
        return [index.shown[found]]
    cleaned, annotated = _clean(quote)
    if not cleaned:
        return None
    found = index.substring(cleaned)
    if found is None:
        found = index.squeezed(cleaned)
    same = index.same_template(cleaned) if found is None or annotated else []
    if annotated and same:
        # A collapsed line stands for the whole group: show where it began and ended.
        return [index.shown[i] for i in dict.fromkeys((same[0], same[-1]))]
    if found is not None:
        return [index.shown[found]]
    if same:
        return [index.shown[same[0]]]
    found = index.elided(cleaned)
    return None if found is None else [index.shown[found]]


def resolve_evidence(evidence: str, delta: Delta) -> str:
    """Map the model's quoted evidence back to the delta's real lines (``KernelLine.evidence``).

    Each quoted line (quotes may be joined by newlines) is looked up as an exact substring of a
    line's raw text or message, then with whitespace squeezed, then by template; a collapsed
    line (``... [xN similar, ...]``) maps to the first and last line of its group. Compression
    markers (``[... N lines omitted ...]``) are dropped. Unmatched quotes are kept as written.

    Args:
        evidence: the ``evidence`` string of one issue in the model's reply (already restored
            from redaction).
        delta: the delta the model was shown.

    Returns:
        The raw lines (deduplicated, in quote order), one per line.
    """
    index = _Index(delta)
    out: list[str] = []
    for quote in evidence.splitlines():
        if not quote.strip():
            continue
        resolved = _resolve_line(quote, index)
        out.extend([quote] if resolved is None else resolved)
    return "\n".join(dict.fromkeys(out))


def evidence_is_valid(evidence: str, delta: Delta) -> bool:
    """True when every non-blank line of ``evidence`` is a line, or a verbatim part of one, of the delta.

    Both the raw text and the message of each line count. Empty evidence is valid.
    """
    index = _Index(delta)
    return all(index.substring(e.strip()) is not None for e in evidence.splitlines() if e.strip())
