"""Delta compression: fewer tokens for the model, same meaning.

Steps, in order:

1. Timestamps go (``KernelLine.message`` is used; a leading dmesg ``[ 12.345678]`` left in a
   message by a lenient parser is stripped too). Order is kept.
2. Each message is reduced to a *template* (:func:`template`): hex values, numbers and long
   addresses are masked; device names (``sda``, ``nvme0n1``, ``eth0``) and PCI addresses
   (``0000:03:00.0``) are kept, because which device is failing is the point of triage.
3. All lines with the same template collapse into one line at the place of the first: the
   first real instance verbatim (so the model can still quote real text) plus
   ``[xN similar, first..last]``.
4. When more than ``max_lines`` lines remain, every line behind a deterministic signal is
   kept, then lines that are not known-boring (``signals.is_boring``), then boring ones, each
   taken from the head and the tail of the delta; each gap becomes ``[... N lines omitted ...]``.
5. Lines new to this host or the fleet (``tasseograph.novelty``) are always kept and go first,
   tagged (``[new to the fleet]``), so the model reads them before the rest.
6. Baseline-aware folding (``fold``): templates whose every line the host's baseline calls
   usual (``HostBaseline.usual_lines``: its learned templates and known noise) leave the prompt
   and one summary line at the end says how many lines of how many templates went
   (``[... 37 lines of 5 usual templates omitted ...]``), so the model reads what is new. A
   template holding a signal line or a line to put first is never folded.

Token counts are offline estimates (characters / 4), not tokenizer counts.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from tasseograph.schema import CompressionStats, Delta, KernelLine

if TYPE_CHECKING:  # only the type: compress must not depend on the catalogue's import
    from tasseograph.signals import SignalHit

CHARS_PER_TOKEN = 4
"""Offline token estimate for log text: one token per four characters (an estimate)."""

OMITTED_MARKER = "[... {n} {lines} omitted ...]"
"""Stands where oversized deltas were cut; quoted verbatim in the prompts."""

HEAD_SHARE = 0.5
"""Share of the line budget (after signal lines) given to the head of an oversized delta."""

# Mask rules, in order: (pattern, replacement). RE2-compatible on purpose (no look-arounds),
# so pyarrow's vectorised ``replace_substring_regex`` gives the same templates as ``re``.
# A PCI address is parked as a word (PCIBDF_dddd_bb_dd_f) so the number rule cannot touch it,
# then put back.
_BDF = r"\b([0-9a-fA-F]{4}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])\b"
_MASK_RULES: tuple[tuple[str, str], ...] = (
    (_BDF, r"PCIBDF_\1_\2_\3_\4"),
    (r"\b[0-9a-fA-F]{2}(?::[0-9a-fA-F]{2}){5}\b", "<MAC>"),
    (r"\b(?:0[xX][0-9a-fA-F]+|[0-9a-fA-F]{8,})\b", "<HEX>"),
    (r"\b\d+\b", "<N>"),
    (r"\bPCIBDF_([0-9a-fA-F]{4})_([0-9a-fA-F]{2})_([0-9a-fA-F]{2})_([0-7])\b", r"\1:\2:\3.\4"),
)
# A rule only runs when its cheap precondition holds: a substring test costs far less than a
# regex scan, and most kernel lines have no hex and no PCI address.
_PRECONDITIONS: tuple[str | None, ...] = (".", ":", None, None, "PCIBDF_")
_COMPILED = tuple(re.compile(p, re.ASCII) for p, _ in _MASK_RULES)
_PY_REPLACEMENTS = tuple(r for _, r in _MASK_RULES)

ROUTINE_CHECK_LIMIT = 5_000
"""Most line groups checked against the known-boring catalogue when cutting a delta."""
BULK_LINES = 20_000
"""Deltas this long are masked with ``template_many`` (worth pyarrow's import and setup)."""
_CHUNK = 65_536
"""Messages per pyarrow chunk in ``template_many``."""
FOLDED_MARKER = "[... {n} {lines} of {k} usual {templates} omitted ...]"
"""Stands for the lines baseline-aware folding left out (the prompts read it as an omission)."""
_DMESG_STAMP = re.compile(r"^\[\s*(\d+\.\d+)\]\s?")
_ANNOTATION = "  [x{count} similar{span}]"


TEMPLATE_CACHE_SIZE = 1 << 16
"""Messages whose templates are remembered: fleets repeat the same lines poll after poll."""


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def template(message: str) -> str:
    """Mask the variable fields of a kernel message, giving its template.

    Hex values (``0x1f``, long bare hex such as addresses) become ``<HEX>``, standalone numbers
    ``<N>``, MAC addresses ``<MAC>``. Device names (``sda``, ``nvme0n1``, ``eth0``) and PCI
    addresses (``0000:03:00.0``) are kept, so lines about different devices stay apart.

    Args:
        message: a kernel message without its timestamp.

    Returns:
        The template, e.g. ``"nvme nvme0: I/O <N> QID <N> timeout, aborting"``.
    """
    for rx, repl, pre in zip(_COMPILED, _PY_REPLACEMENTS, _PRECONDITIONS, strict=True):
        if pre is None or pre in message:
            message = rx.sub(repl, message)
    return message


def template_many(messages: Sequence[str]) -> list[str]:
    """Vectorised :func:`template` over many messages (same results).

    Kernel logs repeat themselves, so each distinct message is masked once; many distinct
    messages go through pyarrow's RE2 in chunks on several threads (pyarrow releases the GIL).
    """
    distinct = list(dict.fromkeys(messages))
    masked = [template(m) for m in distinct] if len(distinct) < BULK_LINES else _template_arrow(distinct)
    mapping = dict(zip(distinct, masked, strict=True))
    return [mapping[m] for m in messages]


def _template_arrow(messages: Sequence[str]) -> list[str]:
    import pyarrow as pa  # imported here: only bulk callers (eval, benchmarks) pay for it

    if len(messages) <= _CHUNK:
        return _template_chunk(pa.array(messages, type=pa.large_string()))
    chunks = [pa.array(messages[i : i + _CHUNK], type=pa.large_string()) for i in range(0, len(messages), _CHUNK)]
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(len(chunks), os.cpu_count() or 1)) as pool:
        return [t for part in pool.map(_template_chunk, chunks) for t in part]


def _template_chunk(arr: Any) -> list[str]:
    import pyarrow.compute as pc

    for pattern, repl in _MASK_RULES:
        arr = pc.replace_substring_regex(arr, pattern=pattern, replacement=repl)
    return list(arr.to_pylist())


def estimate_tokens(text: str) -> int:
    """Estimate the tokens of log text: characters / 4, rounded up (an estimate, not a count)."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


def _lines_tokens(lines: Iterable[str]) -> int:
    return estimate_tokens("\n".join(lines))


@dataclass
class Compressed:
    """The lines to put in the prompt, and what compression did."""

    lines: list[str]
    """Prompt lines: messages (or raw lines when compression is off), annotations, markers."""
    stats: CompressionStats


@dataclass
class _Group:
    """All lines of one template: where it first appears, how often, and when."""

    first: int
    count: int
    first_line: KernelLine
    last_line: KernelLine


def message_text(line: KernelLine) -> str:
    """The line's message without any timestamp (a leftover dmesg stamp is stripped)."""
    msg = line.message
    if msg.startswith("["):
        msg = _DMESG_STAMP.sub("", msg, count=1)
    return msg.rstrip()


def compress(
    delta: Delta, signals: Sequence[SignalHit] = (), *, max_lines: int = 200, enabled: bool = True,
    first: Mapping[int, str] | None = None, fold: Collection[int] = (),
) -> Compressed:
    """Compress a delta for the prompt (see the module docstring for the steps).

    Args:
        delta: the host's new lines.
        signals: deterministic signal hits; the lines at their ``line_indices`` are always kept.
        max_lines: most collapsed lines kept before cutting (signal lines may exceed it; the
            ``[... N lines omitted ...]`` markers come on top).
        enabled: False sends the raw lines as received, uncut, and only records the stats.
        first: line index -> tag (``new to the fleet``) of lines to keep and put first, tagged.
        fold: indices of usual lines (``HostBaseline.usual_lines``): a template all of whose
            lines are here, none a signal line or in ``first``, is folded into one summary line.

    Returns:
        The prompt lines and the stats (token counts are estimates, characters / 4).
    """
    raw = [line.raw for line in delta.lines]
    tokens_before = _lines_tokens(raw)
    if not enabled:
        return Compressed(raw, _stats(len(raw), raw, tokens_before, truncated=False))
    messages = [message_text(line) for line in delta.lines]
    groups, group_of = _group(delta.lines, messages)
    tags: dict[int, str] = {}
    for i, tag in sorted((first or {}).items()):
        if 0 <= i < len(group_of) and group_of[i] >= 0:
            tags.setdefault(group_of[i], tag)
    folded = _folded(group_of, fold, signals, first or {}) if fold else set()
    order = [g for g in range(len(groups)) if g not in folded]
    keep, truncated = _select(groups, order, group_of, signals, max_lines, messages, set(tags))
    out = _emit(groups, order, keep, messages, tags)
    folded_lines = sum(groups[g].count for g in folded)
    if folded:
        out.append(_fold_marker(folded_lines, len(folded)))
    stats = _stats(len(raw), out, tokens_before, truncated=truncated)
    stats.folded_lines, stats.folded_templates = folded_lines, len(folded)
    return Compressed(out, stats)


def _stats(lines_in: int, out: list[str], tokens_before: int, *, truncated: bool) -> CompressionStats:
    return CompressionStats(
        lines_in=lines_in, lines_out=len(out), tokens_before=tokens_before,
        tokens_after=_lines_tokens(out), truncated=truncated,
    )


def _folded(group_of: Sequence[int], fold: Collection[int], signals: Sequence[SignalHit],
            first: Mapping[int, str]) -> set[int]:
    """Groups whose every line is usual and none protected (a signal line or one to put first)."""
    protected = {i for hit in signals for i in hit.line_indices} | set(first)
    usual = set(fold)
    candidates = {g for i, g in enumerate(group_of) if g >= 0 and i in usual and i not in protected}
    blocked = {g for i, g in enumerate(group_of) if g in candidates and (i not in usual or i in protected)}
    return candidates - blocked


def _group(lines: Sequence[KernelLine], messages: Sequence[str]) -> tuple[list[_Group], list[int]]:
    """Group lines by template, in order of first appearance; blank messages are dropped."""
    keys = template_many(messages)
    by_key: dict[str, int] = {}
    groups: list[_Group] = []
    group_of: list[int] = []
    for i, (line, msg, key) in enumerate(zip(lines, messages, keys, strict=True)):
        if not msg.strip():
            group_of.append(-1)
            continue
        gi = by_key.get(key)
        if gi is None:
            gi = by_key[key] = len(groups)
            groups.append(_Group(first=i, count=0, first_line=line, last_line=line))
        group = groups[gi]
        group.count += 1
        group.last_line = line
        group_of.append(gi)
    return groups, group_of


def _select(
    groups: Sequence[_Group], order: Sequence[int], group_of: Sequence[int], signals: Sequence[SignalHit],
    max_lines: int, messages: Sequence[str], first: set[int],
) -> tuple[list[int], bool]:
    """Indices of the groups to keep among ``order`` (the groups not folded): all of them, or a
    cut that favours what matters.

    Every signal group and every group in ``first`` is kept, then notable groups, then routine
    ones (known-boring lines), each taken from the head and the tail of the delta.
    """
    if len(order) <= max_lines:
        return list(order), False
    must = {group_of[i] for hit in signals for i in hit.line_indices if 0 <= i < len(group_of)} | first
    must.discard(-1)
    rest = [g for g in order if g not in must]
    budget = max(max_lines - len(must), 0)
    notable, routine = _split_routine(rest, groups, messages)
    if len(notable) <= budget:
        keep = must | set(notable) | set(_ends(routine, budget - len(notable)))
    else:
        keep = must | set(_ends(notable, budget))
    return sorted(keep), True


def _split_routine(
    candidates: list[int], groups: Sequence[_Group], messages: Sequence[str]
) -> tuple[list[int], list[int]]:
    """Split groups into notable and routine (the catalogue's known-boring lines)."""
    if len(candidates) > ROUTINE_CHECK_LIMIT:
        return candidates, []  # classifying this many would cost more than the cut saves
    from tasseograph.signals import is_boring  # the catalogue, loaded only when cutting

    notable: list[int] = []
    routine: list[int] = []
    for g in candidates:
        (routine if is_boring(messages[groups[g].first]) else notable).append(g)
    return notable, routine


def _ends(items: list[int], n: int) -> list[int]:
    """The first and last items, ``n`` in all (``HEAD_SHARE`` of them from the head)."""
    if n >= len(items):
        return items
    head = int(n * HEAD_SHARE)
    return items[:head] + items[len(items) - (n - head) :]


def _emit(groups: Sequence[_Group], order: Sequence[int], keep: Sequence[int], messages: Sequence[str],
          tags: Mapping[int, str]) -> list[str]:
    """Prompt lines: the tagged groups first, then the other kept groups with a marker for each
    gap in ``order`` (folded groups are not in it: their summary line says what they held)."""
    out = [messages[groups[gi].first] + _annotation(groups[gi]) + f"  [{tags[gi]}]" for gi in keep if gi in tags]
    position = {gi: p for p, gi in enumerate(order)}
    previous = -1
    for gi in keep:
        at = position[gi]
        if at > previous + 1:
            out.append(_marker(sum(groups[g].count for g in order[previous + 1 : at])))
        previous = at
        if gi in tags:
            continue  # already emitted first
        group = groups[gi]
        out.append(messages[group.first] + _annotation(group))
    if previous < len(order) - 1:
        out.append(_marker(sum(groups[g].count for g in order[previous + 1 :])))
    return out


def _marker(n: int) -> str:
    return OMITTED_MARKER.format(n=n, lines="line" if n == 1 else "lines")


def _fold_marker(n: int, k: int) -> str:
    return FOLDED_MARKER.format(n=n, lines="line" if n == 1 else "lines", k=k,
                                templates="template" if k == 1 else "templates")


def _annotation(group: _Group) -> str:
    if group.count == 1:
        return ""
    span = _span(group.first_line, group.last_line)
    return _ANNOTATION.format(count=group.count, span=f", {span}" if span else "")


def _span(first: KernelLine, last: KernelLine) -> str:
    """``12.3s..98.1s`` (seconds since boot) or wall-clock times, whichever the lines carry.

    Seconds since boot win over wall-clock time: they are exact and survive clock jumps.
    """
    start, end = _seconds(first), _seconds(last)
    if start is not None and end is not None:
        return _range(f"{start:.1f}s", f"{end:.1f}s")
    if first.time is not None and last.time is not None:
        return _range(_clock(first.time, last.time), _clock(last.time, first.time))
    return ""


def _range(start: str, end: str) -> str:
    return start if start == end else f"{start}..{end}"


def _seconds(line: KernelLine) -> float | None:
    """Seconds since boot: parsed, or read from a dmesg stamp the parser left in the text."""
    if line.monotonic is not None:
        return line.monotonic
    match = _DMESG_STAMP.match(line.raw)
    return float(match.group(1)) if match else None


def _clock(t: datetime, other: datetime) -> str:
    """Time of day when both ends fall on one date, else the date too (UTC offset kept)."""
    if t.date() == other.date():
        return t.strftime("%H:%M:%S")
    return t.strftime("%Y-%m-%d %H:%M:%S")
