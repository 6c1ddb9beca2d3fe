"""Inventory files: CSV and TOML, host-name patterns, and one-line errors naming the file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.fleet.inventory import InventoryError, load_inventory, parse_csv

CSV = """\
host,rack,row,switch,pdu,chassis,model,firmware,kernel
db-17,r12,B,sw-12a,pdu-12-1,,PowerEdge R740,2.19.1,6.8.0-45-generic
db-18,r12,B,sw-12a,pdu-12-2,,PowerEdge R740,2.19.1,6.8.0-45-generic
web-01,r03,A,sw-03a,pdu-03-1,c7000-1,ProLiant BL460c,3.10,6.1.0-25-amd64
"""


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def test_csv_rows_become_host_labels(tmp_path: Path) -> None:
    inv = load_inventory(write(tmp_path, "inventory.csv", CSV))
    assert inv.labels == ("rack", "row", "switch", "pdu", "chassis", "model", "firmware", "kernel")
    assert inv.labels_of("db-17")["switch"] == "sw-12a"
    assert "chassis" not in inv.labels_of("db-17")  # empty cell: no value
    assert inv.labels_of("unknown-host") == {}
    assert inv.members("rack", "r12") == {"db-17", "db-18"}


def test_csv_with_a_byte_order_mark_and_windows_line_ends(tmp_path: Path) -> None:
    data = ("\ufeff" + CSV.replace("\n", "\r\n")).encode("utf-8")
    assert load_inventory(write(tmp_path, "inv.csv", data)).labels_of("web-01")["chassis"] == "c7000-1"


def test_toml_hosts_and_patterns(tmp_path: Path) -> None:
    toml = """
[hosts."db-17"]
rack = "r12"
model = "PowerEdge R740"

[[patterns]]
glob = "db-*"
labels = { role = "database", model = "generic" }

[[patterns]]
regex = '^(?P<rack>r\\d+)-n\\d+$'
"""
    inv = load_inventory(write(tmp_path, "inventory.toml", toml))
    assert inv.labels_of("db-17") == {"rack": "r12", "model": "PowerEdge R740", "role": "database"}
    assert inv.labels_of("db-99") == {"role": "database", "model": "generic"}
    assert inv.labels_of("r07-n03") == {"rack": "r07"}
    assert inv.members("rack", "r07", also=["r07-n01", "r08-n01"]) == {"r07-n01"}


@pytest.mark.parametrize(
    ("name", "text", "where", "what"),
    [
        ("a.csv", "name,rack\ndb-1,r1\n", ":1:", "first column must be 'host'"),
        ("a.csv", "host,rack\ndb-1,r1,extra\n", ":2:", "3 fields, the header has 2"),
        ("a.csv", "host,rack\ndb-1,r1\ndb-1,r2\n", ":3:", "listed twice"),
        ("a.csv", "host,rack,rack\n", ":1:", "duplicate column"),
        ("a.csv", "host,rack pos\n", ":1:", "not a label name"),
        ("a.csv", "host,rack\n../etc,r1\n", ":2:", "not a host name"),
        ("a.csv", 'host,rack\ndb-1,"r1\n', ":", "not valid CSV"),
        ("a.csv", "", "", "empty inventory"),
        ("a.csv", b"host,rack\ndb-1,r\xff1\n", ":2:", "not UTF-8"),
        ("a.csv", b"\x00\x01\x02\x03", "", "first column must be 'host'"),
        ("a.yaml", "host: x", "", "a .csv or .toml file"),
        ("a.toml", "[hosts]\nx = 1\n", "hosts.x", "must be a table"),
        ("a.toml", '[[patterns]]\nregex = "("\n', "patterns[0].regex", "not a regular expression"),
        ("a.toml", '[[patterns]]\nglob = "db-*"\n', "patterns[0]", "needs labels"),
        ("a.toml", 'racks = 1\n', "", "unknown key"),
        ("a.toml", "[hosts\n", "", "not valid TOML"),
    ],
)
def test_bad_files_are_one_line_errors(tmp_path: Path, name: str, text: str | bytes, where: str, what: str) -> None:
    path = write(tmp_path, name, text)
    with pytest.raises(InventoryError) as err:
        load_inventory(path)
    message = str(err.value)
    assert str(path) in message and where in message and what in message and "\n" not in message


def test_a_missing_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(InventoryError, match="not found"):
        load_inventory(tmp_path / "nope.csv")


def test_parse_csv_names_its_source() -> None:
    with pytest.raises(InventoryError, match=r"^inline:2: 1 fields"):
        parse_csv("host,rack\nonly-host\n", source="inline")
