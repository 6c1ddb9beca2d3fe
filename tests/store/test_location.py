"""Where the store is: a SQLite path or a PostgreSQL URL, shown without its password."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tasseograph.errors import UsageError
from tasseograph.runner.config import RunnerConfig
from tasseograph.store import is_url, open_store, shown, without_password


@pytest.mark.parametrize(("location", "url"), [
    ("postgresql://tg@db1/tasseograph", True), ("POSTGRES://tg@db1/x", True), ("/var/lib/tasseograph/state.db", False),
    ("postgresql.db", False), (Path("postgresql://x"), False),
])
def test_a_url_is_postgresql_anything_else_a_sqlite_file(location: str | Path, url: bool) -> None:
    assert is_url(location) is url


@pytest.mark.parametrize("url", [
    "postgresql://tg:Hunter2-secret@db1:5432/tasseograph",
    "postgresql://tg@db1/tasseograph?sslmode=require&password=Hunter2-secret",
])
def test_a_urls_password_is_never_shown(url: str) -> None:
    text = shown(url)
    assert "Hunter2-secret" not in text and "***" in text and "db1" in text
    bare = without_password(url)
    assert "Hunter2-secret" not in bare and "***" not in bare and bare.startswith("postgresql://tg@db1")


def test_the_config_keeps_a_url_a_url_and_a_path_a_path() -> None:
    assert RunnerConfig().with_overrides({"state": "postgresql://tg@db1/x"}).state == "postgresql://tg@db1/x"
    assert RunnerConfig().with_overrides({"state": "/tmp/s.db"}).state == Path("/tmp/s.db")


def test_a_url_without_the_driver_installed_says_how_to_install_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg now raises ImportError
    with pytest.raises(UsageError, match=r"psycopg") as err:
        open_store("postgresql://tg:Hunter2-secret@127.0.0.1:1/x")
    assert "Hunter2-secret" not in str(err.value)
