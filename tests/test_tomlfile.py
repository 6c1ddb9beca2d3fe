"""User TOML files: every way a file can be wrong is one ConfigError naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from tasseograph.errors import ConfigError
from tasseograph.tomlfile import read_toml


def test_reads_a_valid_file(tmp_path: Path) -> None:
    p = tmp_path / "ok.toml"
    p.write_text('name = "x"\n[a]\nb = 1\n', encoding="utf-8")
    assert read_toml(p) == {"name": "x", "a": {"b": 1}}


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "suite file not found"), (b"\xff\xfe\x00binary", "not a text file"), (b"name = = 3\n", "not valid TOML")],
    ids=["missing", "binary", "bad-toml"],
)
def test_bad_files_are_one_config_error(tmp_path: Path, content: bytes | None, message: str) -> None:
    p = tmp_path / "suite.toml"
    if content is not None:
        p.write_bytes(content)
    with pytest.raises(ConfigError, match=message) as info:
        read_toml(p, what="suite file")
    assert "\n" not in str(info.value) or message == "not valid TOML"
    assert str(p) in str(info.value)


def test_a_directory_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        read_toml(tmp_path)
