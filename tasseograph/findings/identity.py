"""What makes two sightings the same finding.

A finding is one fault on one host: ``(host, category, signal, fingerprint, device)``.

* ``signal`` is the catalogue signal behind it. A model's finding that names no signal gets the
  one its evidence lines show (the catalogue reads them again), so the same fault keeps one
  identity whether the model reported it or the catalogue filled it in.
* A model's finding no signal explains is ``model.<category>`` with a ``fingerprint``: a hash of
  the template of its first evidence line (``compress.template``: numbers, hex and MAC addresses
  masked, device names kept), so a reworded count or address is the same finding and another
  device is another.
* ``device`` is the identity part of the device dict (``devices.identity``: DIMM, csrow, channel,
  NVMe controller, ATA port, SCSI address, disk, PCI address, NIC...; event details such as the
  failing page left out).

The id is a short hash of the key, the same on every runner and after a state recovery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tasseograph import devices
from tasseograph.compress import template
from tasseograph.parsing import parse_delta
from tasseograph.schema import Finding
from tasseograph.signals import SignalHit, detect

ID_CHARS = 12
"""Hex digits of a finding id (48 bits: collisions need millions of findings on one state)."""
MODEL_SIGNAL = "model.{category}"
"""The ``signal`` of a model finding no catalogue signal explains."""
FLEET_PREFIX = "fleet."
"""Prefix of the ``signal`` of findings raised by fleet rules (thresholds, trends, groups)."""


def _digest(payload: Any, chars: int) -> str:
    text = json.dumps(payload, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:chars]


@dataclass(frozen=True)
class FindingKey:
    """The identity of a finding.

    Example:
        >>> key = FindingKey("db-17", "memory", "edac.ce", device=(("dimm", "CPU1_DIMM_B2"),))
        >>> len(key.id)
        12
    """

    host: str
    """The host; a fleet-wide finding uses a scope such as ``rack=r12``."""
    category: str
    signal: str
    """Catalogue signal id, ``model.<category>``, or ``fleet.<rule>``."""
    fingerprint: str = ""
    """For ``model.<category>`` findings: the hash of their evidence template."""
    device: tuple[tuple[str, str], ...] = ()
    """Identity items of the device, sorted (``devices.identity``)."""

    @property
    def id(self) -> str:
        """Stable id: a hash of every field."""
        return _digest([self.host, self.category, self.signal, self.fingerprint, list(self.device)], ID_CHARS)

    @property
    def device_dict(self) -> dict[str, str]:
        """The device as a dict."""
        return dict(self.device)

    def describe(self) -> str:
        """``edac.ue DIMM CPU1_DIMM_B2``: the signal and the device, as a list shows them."""
        named = devices.describe(self.device_dict)
        return f"{self.signal} {named}".strip()

    def to_dict(self) -> dict[str, Any]:
        """The key's fields as plain JSON types."""
        return {"host": self.host, "category": self.category, "signal": self.signal,
                "fingerprint": self.fingerprint, "device": self.device_dict}

    @classmethod
    def make(cls, host: str, category: str, signal: str, *, fingerprint: str = "",
             device: Mapping[str, str] | None = None) -> FindingKey:
        """A key whose device keeps only its identity items (fleet rules and tests use it)."""
        return cls(host, category, signal, fingerprint, devices.identity(device or {}))


def fingerprint(category: str, text: str) -> str:
    """The fingerprint of a model finding: its category and the template of ``text``'s first line."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    lines = parse_delta(first).lines if first else []
    message = lines[0].message if lines else first
    return _digest([category, template(message.strip())], ID_CHARS)


def key_for(host: str, finding: Finding) -> FindingKey:
    """The key of a verdict's finding (see the module docstring for the rules)."""
    device = getattr(finding, "device", None) or {}
    if finding.signal_id:
        if not device:  # rows stored before devices were: the evidence names the device again
            hit = _catalogue_hit(finding)
            device = hit.device if hit is not None and hit.signal_id == finding.signal_id else {}
        return FindingKey(host, finding.category, finding.signal_id, "", devices.identity(device))
    hit = _catalogue_hit(finding)
    if hit is not None:
        return FindingKey(host, finding.category, hit.signal_id, "", devices.identity(hit.device))
    text = finding.evidence if finding.evidence.strip() else finding.summary.lower()
    return FindingKey(host, finding.category, MODEL_SIGNAL.format(category=finding.category),
                      fingerprint(finding.category, text), ())


def _catalogue_hit(finding: Finding) -> SignalHit | None:
    """The catalogue's reading of a model finding's evidence: the hit of its category, else the first."""
    if not finding.evidence.strip():
        return None
    hits = detect(parse_delta(finding.evidence).lines)
    same = [h for h in hits if finding.category in (h.category, *h.also)]
    return (same or hits)[0] if hits else None
