"""The fleet inventory: which rack, switch, PDU, model... each host belongs to.

Two file forms, chosen by suffix:

* **CSV** (``.csv``): a header row whose first column is ``host`` and whose other columns are
  labels (``rack,row,switch,pdu,chassis,model,firmware,kernel`` or any others); one row per
  host. An empty cell means the host has no value for that label.
* **TOML** (``.toml``): ``[hosts."db-17"]`` tables of labels, and ``[[patterns]]`` that give
  labels to hosts by name: ``glob = "db-*"`` with ``labels = {model = "R740"}``, or ``regex``
  with named groups that become labels (``regex = '^(?P<rack>r\\d+)-'``).

A host's labels are its own row or table, over the patterns' (later patterns over earlier).
Label names must be valid Prometheus/Alertmanager label names (``[a-zA-Z_][a-zA-Z0-9_]*``),
so a correlated group can become an alert labelled ``rack="r12"``. Every problem in a file is
an ``InventoryError`` naming the file and the line (CSV) or the entry (TOML).
"""

from __future__ import annotations

import csv
import fnmatch
import io
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tasseograph.errors import ConfigError
from tasseograph.tomlfile import read_toml

LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
"""Prometheus/Alertmanager label names."""
HOST_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
"""Host names the runner accepts (the spool's directory names)."""
MAX_BYTES = 64 * 1024 * 1024
"""Largest inventory file read (a 100,000-host CSV is a few MB)."""


class InventoryError(ConfigError):
    """An inventory file cannot be used (the message names the file and the line or entry)."""


@dataclass(frozen=True)
class HostPattern:
    """Labels given to hosts by name: a glob with fixed labels, or a regex with named groups."""

    glob: str | None = None
    regex: re.Pattern[str] | None = None
    labels: Mapping[str, str] = field(default_factory=dict)

    def labels_for(self, host: str) -> dict[str, str] | None:
        """The labels this pattern gives ``host``, or None when it does not match."""
        if self.glob is not None and not fnmatch.fnmatchcase(host, self.glob):
            return None
        found: dict[str, str] = {}
        if self.regex is not None:
            m = self.regex.search(host)
            if m is None:
                return None
            found = {k.lower(): v for k, v in m.groupdict().items() if v}
        return {**self.labels, **found}


@dataclass
class Inventory:
    """Hosts and their labels.

    Example:
        >>> inv = load_inventory(Path("inventory.csv"))
        >>> inv.labels_of("db-17")
        {'rack': 'r12', 'switch': 'sw-12a', 'model': 'R740'}
    """

    hosts: dict[str, dict[str, str]] = field(default_factory=dict)
    """Explicit hosts (CSV rows, TOML tables) and their labels."""
    patterns: list[HostPattern] = field(default_factory=list)
    labels: tuple[str, ...] = ()
    """Label names, in file order (CSV columns, then TOML keys as first met)."""
    source: str = ""
    """The file it came from."""

    def labels_of(self, host: str) -> dict[str, str]:
        """``host``'s labels (empty for a host the inventory does not know)."""
        merged: dict[str, str] = {}
        for pattern in self.patterns:
            found = pattern.labels_for(host)
            if found:
                merged.update(found)
        merged.update(self.hosts.get(host, {}))
        return merged

    def members(self, label: str, value: str, also: Iterable[str] = ()) -> set[str]:
        """Hosts with ``label == value``: the explicit ones, plus any of ``also`` (hosts seen
        elsewhere, which the patterns may place)."""
        names = set(self.hosts) | set(also)
        return {h for h in names if self.labels_of(h).get(label) == value}

    def to_dict(self) -> dict[str, Any]:
        """Explicit hosts and label names as JSON (patterns are configuration, not state)."""
        return {"source": self.source, "labels": list(self.labels), "hosts": {h: dict(v) for h, v in self.hosts.items()}}


def load_inventory(path: Path) -> Inventory:
    """Load an inventory from a ``.csv`` or ``.toml`` file (see the module docstring).

    Raises:
        InventoryError: the file is missing, unreadable, too large, not UTF-8, of another
            suffix, or invalid; the message names the file and the line or entry.
    """
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".toml"):
        raise InventoryError(f"{path}: an inventory is a .csv or .toml file")
    if suffix == ".toml":
        try:
            return _from_toml(read_toml(path, what="inventory"), str(path))
        except InventoryError:
            raise
        except ConfigError as exc:
            raise InventoryError(str(exc)) from None
    return parse_csv(_read_text(path), source=str(path))


def parse_csv(text: str, *, source: str = "<csv>") -> Inventory:
    """An inventory from CSV text (see the module docstring); errors name ``source`` and the line."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff")), strict=True)
    inv = Inventory(source=source)
    header: list[str] | None = None
    try:
        for row in rows:
            line = rows.line_num
            if not row or all(not cell.strip() for cell in row):
                continue
            cells = [cell.strip() for cell in row]
            if header is None:
                header = _header(cells, source, line)
                inv.labels = tuple(header[1:])
                continue
            _add_row(inv, header, cells, source, line)
    except csv.Error as exc:
        raise InventoryError(f"{source}:{rows.line_num}: not valid CSV: {exc}") from None
    if header is None:
        raise InventoryError(f"{source}: empty inventory: the first row must be a header starting with 'host'")
    return inv


def _header(cells: list[str], source: str, line: int) -> list[str]:
    if cells[0].lower() != "host":
        raise InventoryError(f"{source}:{line}: the header's first column must be 'host', not {cells[0]!r}")
    names = [c.lower() for c in cells]
    for name in names[1:]:
        if not LABEL_NAME.match(name):
            raise InventoryError(f"{source}:{line}: {name!r} is not a label name (letters, digits, _)")
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InventoryError(f"{source}:{line}: duplicate column(s) {dupes}")
    return names


def _add_row(inv: Inventory, header: list[str], cells: list[str], source: str, line: int) -> None:
    if len(cells) != len(header):
        raise InventoryError(f"{source}:{line}: {len(cells)} fields, the header has {len(header)}")
    host = cells[0]
    if not HOST_NAME.match(host):
        raise InventoryError(f"{source}:{line}: {host!r} is not a host name")
    if host in inv.hosts:
        raise InventoryError(f"{source}:{line}: host {host!r} is listed twice")
    inv.hosts[host] = {name: value for name, value in zip(header[1:], cells[1:], strict=True) if value}


def _read_text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_BYTES:
            raise InventoryError(f"{path}: larger than {MAX_BYTES // 2**20} MB: not an inventory")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InventoryError(f"inventory not found: {path}") from None
    except OSError as exc:
        raise InventoryError(f"{path}: cannot read inventory: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise InventoryError(f"{path}:{line}: not UTF-8 text (an inventory is a UTF-8 CSV)") from None


def _from_toml(data: dict[str, Any], source: str) -> Inventory:
    unknown = sorted(set(data) - {"hosts", "patterns"})
    if unknown:
        raise InventoryError(f"{source}: unknown key(s) {unknown}: an inventory has [hosts.NAME] and [[patterns]]")
    inv = Inventory(source=source)
    names: list[str] = []
    hosts = data.get("hosts", {})
    if not isinstance(hosts, dict):
        raise InventoryError(f"{source}: hosts must be a table of [hosts.NAME] tables")
    for host, labels in hosts.items():
        where = f"{source}: hosts.{host}"
        if not HOST_NAME.match(host):
            raise InventoryError(f"{where}: {host!r} is not a host name")
        inv.hosts[host] = _labels(labels, where, names)
    patterns = data.get("patterns", [])
    if not isinstance(patterns, list):
        raise InventoryError(f"{source}: patterns must be an array of [[patterns]] tables")
    for i, raw in enumerate(patterns):
        inv.patterns.append(_pattern(raw, f"{source}: patterns[{i}]", names))
    inv.labels = tuple(names)
    return inv


def _labels(raw: Any, where: str, names: list[str]) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise InventoryError(f"{where}: must be a table of label = \"value\"")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not LABEL_NAME.match(key):
            raise InventoryError(f"{where}: {key!r} is not a label name (letters, digits, _)")
        if not isinstance(value, str | int):
            raise InventoryError(f"{where}.{key}: a label value is a string")
        out[key.lower()] = str(value)
        if key.lower() not in names:
            names.append(key.lower())
    return out


def _pattern(raw: Any, where: str, names: list[str]) -> HostPattern:
    if not isinstance(raw, dict) or not set(raw) <= {"glob", "regex", "labels"}:
        raise InventoryError(f"{where}: a pattern has glob and/or regex, and labels")
    glob, regex = raw.get("glob"), raw.get("regex")
    if glob is None and regex is None:
        raise InventoryError(f"{where}: give a glob or a regex")
    compiled = None
    if regex is not None:
        try:
            compiled = re.compile(str(regex))
        except re.error as exc:
            raise InventoryError(f"{where}.regex: not a regular expression: {exc}") from None
        for group in compiled.groupindex:
            if not LABEL_NAME.match(group):
                raise InventoryError(f"{where}.regex: group {group!r} is not a label name")
            if group.lower() not in names:
                names.append(group.lower())
    labels = _labels(raw.get("labels", {}), f"{where}.labels", names)
    if compiled is None and not labels:
        raise InventoryError(f"{where}: a glob pattern needs labels")
    return HostPattern(None if glob is None else str(glob), compiled, labels)
