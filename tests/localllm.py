"""A real local LLM for the tests: Gemma 3 270M behind llama.cpp's server on 127.0.0.1.

``local_llm`` (session-scoped) assembles and checks the weights, starts ``python -m
llama_cpp.server`` on a free port, waits until it answers, and stops it after the session.
When llama-cpp-python or the weights package is missing, tests that use it are skipped with the
reason, except in CI (``CI=true``), where that is a failure: CI installs ``.[local-llm]``.

Its replies are a real model's (a measurement, not plumbing); a 270M model's verdicts are often
wrong, so the tests assert the pipeline's contract, never the model's quality.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tasseograph.localserver import (
    INSTALL_HINT,
    LocalServer,
    default_cache_dir,
    gemma_weights,
    missing_requirements,
)

WEIGHTS_DIR = default_cache_dir()
"""Taken at import, before any test points XDG_CACHE_HOME at a temporary folder: the 250 MB file
is assembled once per machine, not once per session."""
MODEL = "openai:gemma3-270m?max_tokens=200&timeout=600&max_retries=1"
"""How the tests name the local model: a tight reply cap, and a timeout a busy CI machine meets."""


def require_local_model() -> None:
    """Skip (or, in CI, fail) when the local model cannot run here."""
    missing = missing_requirements()
    if missing:
        reason = f"local model not installed ({', '.join(missing)}): {INSTALL_HINT}"
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the local-model tests: {reason}")
        pytest.skip(reason)


@pytest.fixture(scope="session", name="local_llm")
def local_llm_fixture(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """The real llama.cpp server with the Gemma weights, for the whole session."""
    require_local_model()
    log = tmp_path_factory.mktemp("local-llm") / "server.log"
    with LocalServer(gemma_weights(WEIGHTS_DIR), log_path=log) as server:
        yield server
