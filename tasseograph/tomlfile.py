"""Reading user-supplied TOML files (configs, suites) with one-line errors."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from tasseograph.errors import ConfigError


def read_toml(path: Path, *, what: str = "file") -> dict[str, Any]:
    """Parse the TOML file at ``path``.

    Raises:
        ConfigError: the file is missing, unreadable, not UTF-8 or not valid TOML; the message
            names the file (``what`` says what kind of file it should have been).
    """
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{what} not found: {path}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not a text file (a {what} must be UTF-8 TOML)") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
