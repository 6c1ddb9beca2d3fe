"""The check every saved fleet state passes before it is read back."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from tasseograph.errors import UsageError


def check_saved(data: Any, version: int, what: str) -> Mapping[str, Any]:
    """``data`` when it is a saved ``what`` of ``version``.

    Raises:
        UsageError: it is not a mapping, or another tasseograph version wrote it.
    """
    if not isinstance(data, Mapping):
        raise UsageError(f"saved {what} is a {type(data).__name__}, not an object: the state is damaged")
    if data.get("version") != version:
        raise UsageError(f"saved {what} has version {data.get('version')!r}, this tasseograph reads {version}: "
                         "it was written by another tasseograph version")
    return data
