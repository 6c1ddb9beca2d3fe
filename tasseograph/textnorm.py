"""Text as the catalogues match it: look-alike and invisible characters folded away.

Kernel messages are ASCII. A line that is not may be hiding from the signal catalogue: a
zero-width space or a soft hyphen inside ``EDAC``, a Cyrillic ``Е`` in place of the Latin
``E``, a fullwidth ``ＥＤＡＣ``. :func:`fold` gives the text the catalogues should match:

1. compatibility decomposition (NFKD): fullwidth forms, ligatures, mathematical letters and
   odd spaces become their plain forms, accents split from their letters;
2. format characters (Unicode category Cf: zero-width spaces and joiners, soft hyphens,
   bidirectional controls, the BOM) and combining marks (Mn) removed;
3. letters from other scripts drawn like ASCII letters folded to them (``data/confusables.toml``);
4. recomposition (NFC) of whatever is left.

Only matching sees the folded text: evidence, prompts and stored lines keep the line as
received, and a signal that matched only after folding is flagged (``SignalHit.normalized``,
``Finding.normalized``), because a kernel line that needs it was likely crafted.
ASCII text (nearly every line) is returned as is, at the cost of one ``str.isascii``.
"""

from __future__ import annotations

import tomllib
import unicodedata
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, field_validator

_DATA = Path(__file__).resolve().parent / "data" / "confusables.toml"
_DROP = frozenset({"Cf", "Mn"})
"""Unicode categories removed before matching: format characters and combining marks."""


class _ConfusablesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    fold: dict[str, str]

    @field_validator("fold")
    @classmethod
    def _letters_to_ascii(cls, table: dict[str, str]) -> dict[str, str]:
        for char, ascii_letter in table.items():
            if len(char) != 1 or char.isascii():
                raise ValueError(f"{char!r}: each key is one non-ASCII character")
            if len(ascii_letter) != 1 or not (ascii_letter.isascii() and ascii_letter.isalpha()):
                raise ValueError(f"{char!r}: folds to one ASCII letter, not {ascii_letter!r}")
            if unicodedata.normalize("NFKD", char) != char:
                raise ValueError(f"{char!r}: NFKD already decomposes it; no entry needed")
        return table


@cache
def confusables() -> dict[str, str]:
    """The look-alike table: character to the ASCII letter it is drawn like (validated; cached)."""
    data = tomllib.loads(_DATA.read_text(encoding="utf-8"))
    return _ConfusablesFile.model_validate(data).fold


@cache
def _table() -> dict[int, str]:
    return str.maketrans(confusables())


def fold(text: str) -> str:
    """``text`` as the catalogues match it (see the module docstring); ASCII comes back unchanged.

    Example:
        >>> fold("\\u0415DAC MC0: 1 UE memory read\\u200b error")
        'EDAC MC0: 1 UE memory read error'
    """
    if text.isascii():
        return text
    decomposed = unicodedata.normalize("NFKD", text)
    kept = "".join(c for c in decomposed if unicodedata.category(c) not in _DROP)
    return unicodedata.normalize("NFC", kept.translate(_table()))


def needs_fold(text: str) -> bool:
    """True when :func:`fold` changes ``text``."""
    return not text.isascii() and fold(text) != text


def fold_array(messages: Any) -> Any:
    """A ``pyarrow`` string array with its non-ASCII values folded (the bulk path's form of :func:`fold`).

    The array comes back unchanged (the same object) when every value is ASCII, so ordinary
    logs pay one vectorised check.
    """
    import pyarrow as pa

    if len(messages) == 0 or _all_ascii(messages):
        return messages
    values = messages.to_pylist()
    return pa.array([v if v is None or v.isascii() else fold(v) for v in values], type=messages.type)


def _all_ascii(messages: Any) -> bool:
    """True when no byte of the array's character data has its high bit set (one numpy pass).

    The data buffer may hold bytes outside a sliced array's values: a False then only costs the
    per-value check, never a wrong result.
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(messages, pa.ChunkedArray):
        return all(_all_ascii(chunk) for chunk in messages.chunks)
    buffers = messages.buffers()
    data = buffers[2] if len(buffers) > 2 else None
    return data is None or data.size == 0 or int(np.frombuffer(data, dtype=np.uint8).max()) < 0x80
