"""Secrets the runner handles: key files read with care, files others may change refused, keys
scrubbed from everything stored or logged, and URL credentials kept out of messages.

* ``model.api_key_file`` is read only when it is a regular file, and at most ``KEY_FILE_MAX``
  bytes of it (``/dev/zero`` fails at once instead of filling memory).
* A key file others can read, and a config file others can write, are refused unless the
  operator says ``--insecure-ok`` (then a warning is logged): either lets another local user
  spend the API budget or point the runner elsewhere.
* :class:`Scrubber` replaces the known keys (the key file's, ``$ANTHROPIC_API_KEY``,
  ``$OPENAI_API_KEY``) and anything shaped like an Anthropic key in text, verdicts and log
  records, so a model that echoes the key back cannot get it stored or logged.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import urllib.parse
from contextlib import suppress
from pathlib import Path

from pydantic import SecretStr

from tasseograph.errors import ConfigError
from tasseograph.models.common import REDACTED
from tasseograph.schema import Verdict

log = logging.getLogger(__name__)

KEY_FILE_MAX = 4096
"""Most bytes read from ``model.api_key_file``: an API key is about a hundred."""
KEY_ENV_VARS = ("ANTHROPIC_API_KEY", "OPENAI_API_KEY")
"""Environment variables whose values are scrubbed as keys."""
MIN_SECRET = 8
"""Shorter values are not scrubbed (they would hit ordinary text)."""
_KEY_SHAPE = re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}")
"""Anthropic keys (``sk-ant-api03-...``) whatever their value: scrubbed even if not configured here."""


def read_key_file(path: Path) -> SecretStr:
    """The key on the first line of ``path``, read from a regular file only, at most ``KEY_FILE_MAX`` bytes.

    Raises:
        ConfigError: the file cannot be read, is not a regular file, is too large, is not
            UTF-8, or holds no key.
    """
    where = f"model.api_key_file: {path}"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise ConfigError(f"{where}: cannot read it: {exc.strerror}") from None
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
            raise ConfigError(f"{where} is not a regular file: point it at a file holding the key")
        data = fh.read(KEY_FILE_MAX + 1)
    if len(data) > KEY_FILE_MAX:
        raise ConfigError(f"{where} is larger than {KEY_FILE_MAX} bytes: not a key file")
    try:
        lines = data.decode("utf-8").strip().splitlines()
    except UnicodeDecodeError:
        raise ConfigError(f"{where} is not UTF-8 text: not a key file") from None
    if not lines or not lines[0].strip():
        raise ConfigError(f"{where} is empty")
    return SecretStr(lines[0].strip())


def check_file_modes(config_path: Path | None, key_file: Path | None, *, insecure_ok: bool = False) -> None:
    """Refuse a config file others can write and a key file others can read (warn with ``insecure_ok``).

    Raises:
        ConfigError: one of them is open to other users and ``insecure_ok`` is False.
    """
    problems = []
    if config_path is not None:
        problems += _open_to_others(config_path, stat.S_IWOTH, "writable by every user (they could point the "
                                    "runner at their own model, key file or Alertmanager)")
    if key_file is not None:
        problems += _open_to_others(key_file, stat.S_IROTH, "readable by every user (they could spend your API budget)")
    for problem in problems:
        if not insecure_ok:
            raise ConfigError(f"{problem}; or pass --insecure-ok to run anyway")
        log.warning("%s (running anyway: --insecure-ok)", problem)


def _open_to_others(path: Path, bit: int, why: str) -> list[str]:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return []  # a missing file is reported where it is read
    if not mode & bit:
        return []
    fix = "o-w" if bit == stat.S_IWOTH else "o-r"
    return [f"{path} is {why}: chmod {fix} {path}"]


def known_secrets(key_file: Path | None) -> list[str]:
    """The key values to scrub: the key file's and those of the backends' key variables."""
    values = [os.environ.get(name, "").strip() for name in KEY_ENV_VARS]
    if key_file is not None:
        with suppress(ConfigError):  # reported where the model reads it
            values.append(read_key_file(key_file).get_secret_value())
    return sorted({v for v in values if len(v) >= MIN_SECRET}, key=len, reverse=True)


class Scrubber(logging.Filter):
    """Replaces secrets in text, verdicts and log records (a ``logging.Filter`` for handlers).

    Example:
        >>> Scrubber(["sk-ant-api03-abcdefgh"]).text("echo sk-ant-api03-abcdefgh")
        'echo [REDACTED]'
    """

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= MIN_SECRET]

    def text(self, text: str) -> str:
        """``text`` with every secret (and anything shaped like an Anthropic key) replaced."""
        for secret in self.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return _KEY_SHAPE.sub(REDACTED, text) if "sk-ant-" in text else text

    def verdict(self, verdict: Verdict) -> Verdict:
        """The verdict with secrets scrubbed from every string in it (the same object when clean)."""
        raw = verdict.model_dump_json()
        clean = self.text(raw)
        return verdict if clean == raw else Verdict.model_validate_json(clean)

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub a log record in place; never drops it."""
        message = record.getMessage()
        record.msg, record.args = self.text(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.text(record.exc_text)
        return True


def install_log_scrubber(scrubber: Scrubber, logger: logging.Logger | None = None) -> None:
    """Put ``scrubber`` on every handler of ``logger`` (default: the root logger)."""
    for handler in (logger or logging.getLogger()).handlers:
        if scrubber not in handler.filters:
            handler.addFilter(scrubber)


def split_url_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    """The URL without ``user:password@``, and the credentials it carried (URL-decoded), if any."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    creds = (urllib.parse.unquote(parts.username or ""), urllib.parse.unquote(parts.password or ""))
    return clean, creds


def mask_url(url: str) -> str:
    """The URL fit for a message: credentials shown as ``***``."""
    clean, creds = split_url_credentials(url)
    if creds is None:
        return url
    scheme, _, rest = clean.partition("://")
    return f"{scheme}://***@{rest}"
