"""Where a suite's data lives: ``{repo}`` is the suite file's checkout, ``{shared}`` the shared data.

Both are found from the suite file, never from where the package is installed: two clones that
share one virtual environment each score their own ``datasets/`` and their own ``../shared``.
``$TASSEOGRAPH_SHARED`` overrides ``../shared``; set to a folder without ``datasets/`` it is an
error, not a silent fall-back.
"""

from __future__ import annotations

import os
from pathlib import Path

from tasseograph.errors import UsageError

SHARED_ENV = "TASSEOGRAPH_SHARED"
CHECKOUT_MARKERS = (".git", "pyproject.toml")
"""A folder holding one of these is the top of a checkout (a git worktree has a ``.git`` file)."""


def checkout_root(start: Path) -> Path | None:
    """The nearest folder at or above ``start`` that is the top of a checkout, or None."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if any((folder / marker).exists() for marker in CHECKOUT_MARKERS):
            return folder
    return None


def shared_dir(checkout: Path | None) -> Path | None:
    """``$TASSEOGRAPH_SHARED``, else ``shared/`` beside ``checkout``, when it holds ``datasets/``.

    Raises:
        UsageError: ``$TASSEOGRAPH_SHARED`` is set to a folder without ``datasets/``.
    """
    env = os.environ.get(SHARED_ENV, "").strip()
    if env:
        path = Path(env).expanduser()
        if not (path / "datasets").is_dir():
            what = "does not exist" if not path.exists() else "holds no datasets/ folder"
            raise UsageError(f"{SHARED_ENV}={env} {what}: point it at the shared data folder "
                             "(the one holding datasets/) or unset it")
        return path.resolve()
    if checkout is not None and (checkout.parent / "shared" / "datasets").is_dir():
        return (checkout.parent / "shared").resolve()
    return None


def expand(template: str, suite_file: Path) -> Path | None:
    """A suite path with ``{repo}`` and ``{shared}`` expanded; relative paths are from the suite file.

    Returns None when ``{shared}`` is used and no shared data is found.

    Raises:
        UsageError: ``{repo}`` is used by a suite file outside any checkout, or
            ``$TASSEOGRAPH_SHARED`` points at nothing.
    """
    checkout = checkout_root(suite_file.parent)
    if "{shared}" in template:
        shared = shared_dir(checkout)
        if shared is None:
            return None
        template = template.replace("{shared}", str(shared))
    if "{repo}" in template:
        if checkout is None:
            raise UsageError(f"{suite_file}: '{{repo}}' needs the suite file inside a checkout (no "
                             f"{' or '.join(CHECKOUT_MARKERS)} above it); use a path relative to the suite file")
        template = template.replace("{repo}", str(checkout))
    path = Path(template).expanduser()
    return path if path.is_absolute() else (suite_file.parent / path).resolve()
