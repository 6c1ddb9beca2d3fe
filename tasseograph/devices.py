"""Device identity: which device a signal line is about, as a small dict of fixed keys.

A catalogue entry names the device of its lines with named groups in its patterns
(``(?P<nvme>nvme\\d+)``) and with ``fields``, generic extractors from the vocabulary in
``tasseograph/data/devices.toml`` (``pci``, ``nic``, ``disk``...). The result is a plain
``dict[str, str]`` on ``SignalHit.device`` and ``Finding.device``, for example
``{"mc": "MC0", "dimm": "CPU_SrcID#0_Ha#0_Chan#2_DIMM#0", "channel": "2", "slot": "0"}``:
fleet counters, trends and alert labels key on it.

Keys marked ``detail`` (the failing page) describe one event, not a device: two corrected
errors on one DIMM at different pages are one device's episode, and the page is kept only
when every line of the episode agrees on it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEVICES_FILE = Path(__file__).resolve().parent / "data" / "devices.toml"
"""The device vocabulary (package data)."""
SUMMARY_KEYS = 2
"""A finding's summary names at most this many device keys (the first ones in vocabulary order)."""


class DeviceKey(BaseModel):
    """One key of the device vocabulary (a table ``[[key]]`` in ``devices.toml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    summary: str
    """What the value is."""
    label: str = "{}"
    """How a finding's summary shows the value (``{}`` stands for it)."""
    pattern: str | None = None
    """Generic extractor for an entry's ``fields``: the first non-empty group is the value."""
    detail: bool = False
    """A property of one event (an address), not of a device: it never splits episodes."""
    ignore: list[str] = Field(default_factory=list)
    """Values that name no device and are dropped."""
    examples: list[tuple[str, str]] = Field(default_factory=list)
    """``(line, value)`` pairs the pattern must turn into that value."""

    @field_validator("pattern")
    @classmethod
    def _has_group(cls, v: str | None) -> str | None:
        if v is not None and re.compile(v).groups < 1:
            raise ValueError(f"a device pattern needs a capturing group: {v!r}")
        return v

    @model_validator(mode="after")
    def _label_and_examples(self) -> DeviceKey:
        if "{}" not in self.label:
            raise ValueError(f"{self.name}: label must contain '{{}}' (the value): {self.label!r}")
        if self.examples and self.pattern is None:
            raise ValueError(f"{self.name}: examples need a pattern to test")
        return self


class _DeviceFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: list[DeviceKey]


@cache
def load_device_keys() -> tuple[DeviceKey, ...]:
    """The device vocabulary, in summary order (validated; cached)."""
    keys = tuple(_DeviceFile.model_validate(tomllib.loads(DEVICES_FILE.read_text(encoding="utf-8"))).key)
    names = [k.name for k in keys]
    if len(set(names)) != len(names):
        raise ValueError(f"devices.toml: duplicate keys in {names}")
    return keys


@cache
def _by_name() -> dict[str, DeviceKey]:
    return {k.name: k for k in load_device_keys()}


def device_key_names() -> tuple[str, ...]:
    """Every key a device dict may hold, in vocabulary order."""
    return tuple(k.name for k in load_device_keys())


def _first_group(found: re.Match[str]) -> str:
    return next((g for g in found.groups() if g), "")


def named_fields(found: re.Match[str]) -> dict[str, str]:
    """The device keys a match's named groups fill (groups that are not device keys are skipped)."""
    keys = _by_name()
    device = {name: value.strip() for name, value in found.groupdict().items() if value and name in keys}
    return {k: v for k, v in device.items() if v and v not in keys[k].ignore}


@dataclass(frozen=True)
class DeviceExtractor:
    """Turns one signal line (and the catalogue pattern that matched it) into a device dict."""

    fields: tuple[tuple[str, re.Pattern[str]], ...] = ()

    def extract(self, found: re.Match[str] | None, message: str) -> dict[str, str]:
        """Named groups of ``found`` first, then the generic extractors for keys still missing."""
        keys = _by_name()
        device = named_fields(found) if found is not None else {}
        for name, pattern in self.fields:
            if name not in device:
                hit = pattern.search(message)
                if hit and _first_group(hit):
                    device[name] = _first_group(hit)
        return {k: v for k, v in device.items() if v and v not in keys[k].ignore}


@cache
def extractor(fields: tuple[str, ...]) -> DeviceExtractor:
    """The extractor for an entry's ``fields`` (keys of the vocabulary that have a pattern)."""
    keys = _by_name()
    missing = [f for f in fields if f not in keys or keys[f].pattern is None]
    if missing:
        raise ValueError(f"no generic extractor for device key(s) {missing}; known: {sorted(generic_keys())}")
    return DeviceExtractor(tuple((f, re.compile(keys[f].pattern or "", re.ASCII)) for f in fields))


def generic_keys() -> tuple[str, ...]:
    """Keys that have a generic extractor (usable in an entry's ``fields``)."""
    return tuple(k.name for k in load_device_keys() if k.pattern)


def identity(device: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """The items that identify the device (detail keys left out), in a stable order."""
    keys = _by_name()
    return tuple(sorted((k, v) for k, v in device.items() if k in keys and not keys[k].detail))


def common(a: Mapping[str, str], b: Mapping[str, str]) -> dict[str, str]:
    """The items ``a`` and ``b`` agree on."""
    return {k: v for k, v in a.items() if b.get(k) == v}


def compatible(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """True when no identity key has different values in ``a`` and ``b``."""
    return all(b.get(k, v) == v for k, v in identity(a))


def same_device(a: Mapping[str, str], b: Mapping[str, str]) -> bool:
    """True when ``a`` and ``b`` share an identity key and agree on every one they share."""
    shared = {k for k, _ in identity(a)} & {k for k, _ in identity(b)}
    return bool(shared) and all(a[k] == b[k] for k in shared)


def names(device: Mapping[str, str]) -> tuple[str, ...]:
    """Identity values that can stand for the device in free text (plain numbers cannot)."""
    return tuple(v for _, v in identity(device) if not v.isdigit())


def describe(device: Mapping[str, str]) -> str:
    """A short human name: the first identity keys in vocabulary order, labelled."""
    shown: list[str] = []
    parts: list[str] = []
    for key in load_device_keys():
        value = device.get(key.name)
        if not value or key.detail or any(value in s for s in shown):
            continue
        shown.append(value)
        parts.append(key.label.format(value))
        if len(parts) == SUMMARY_KEYS:
            break
    return " ".join(parts)


def declared_keys(patterns: Sequence[str], fields: Sequence[str]) -> set[str]:
    """The device keys an entry can fill: its patterns' named groups and its ``fields``."""
    groups = {name for p in patterns for name in re.compile(p).groupindex}
    return (groups & set(device_key_names())) | set(fields)
